/* Many classes through the classifier's input (one step further than
 * DESIGN.md's fast algorithm). The logits are a linear layer W (K × C) of a
 * per-sample vector h, and every rule below h is linear in its seed once the
 * pair is fixed, so the attribution of class k is
 *     φ_k = Σ_c W[k, c] · φ^(c),
 * φ^(c) being the attribution of h's channel c. With more explained classes
 * than channels (NTU X-View, all 60 classes: C = 48) the backward runs C
 * seeds per pair instead of one per class, and the φ^(c), reduced to the
 * stored granularity (a linear map too), are combined in double, c in
 * order. Exact in real arithmetic; the float rounding differs from seeding
 * each class. */
#ifndef DSHAP_BASIS_H
#define DSHAP_BASIS_H

#include <stdint.h>

#include "engine/net.h"

typedef struct {
    int node;       /* h: the classifier's input node */
    int C;          /* its channels */
    const float *w; /* W (K × C), row-major: the classifier's weights */
} class_basis;

/* 1 with *b filled when the network ends in a 1×1 linear layer of a
 * per-sample (C, 1, 1) vector and n_k > C; else 0. */
int class_basis_for(const dshap_net *net, int n_k, class_basis *b);

/* out (n_i, n_k, G) = Σ_c W[classes[i, k], c] · in (n_i, C, G) */
void class_basis_combine(const class_basis *b, const int *classes, int n_i, int n_k, int64_t G, const double *in,
                         double *out);

#endif
