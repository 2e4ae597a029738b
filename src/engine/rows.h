/* The rows of one backward sub-batch, shared by the CPU and CUDA drivers.
 *
 * Persons are folded into the batch (MODEL.md): every node before the
 * classifier's person mean sees one row per (triple, person), and no node
 * mixes rows. Where person m's inputs of instance i and reference r are
 * bitwise equal (an absent second person in both: most NTU pairs), every φ
 * contribution of that row is m ⊙ (x_i − x_r) = m ⊙ 0 = ±0, which leaves
 * each φ sum bitwise unchanged, and nothing else reads the row. Such rows
 * are left out of the sub-batch: the kernels and GEMMs run over the live
 * rows only, in (triple, person) order. */
#ifndef DSHAP_ROWS_H
#define DSHAP_ROWS_H

#include <stdint.h>

#include "engine/net.h"

/* same (n_i, n_r, M): 1 where person m's inputs (all branches) of instance i
 * and reference r are bitwise equal; x (n, F) in the input layout, M
 * innermost. Returns the number of equal (i, r, m). */
int64_t person_equal_mask(const float *x_inst, int n_i, const float *x_ref, int n_r, int64_t F, int M,
                          unsigned char *same);

typedef struct {
    int B;              /* live person rows */
    int *xi_pp, *xr_pp; /* (B): activation rows (sample·M + person) of instance and reference */
    int *pair;          /* (B): the row's triple within the sub-batch */
    int *slot;          /* (P·M): live row of (triple, person), or -1 */
    int *xi_ps, *xr_ps; /* (P): sample rows of instance and reference */
} batch_rows;

/* Ints of the maps of a sub-batch of P triples. */
static inline int64_t batch_rows_ints(int64_t P, int M) { return P * (4 * M + 2); }

/* Points the maps into buf (batch_rows_ints(P, M) ints; host or device). */
void batch_rows_carve(batch_rows *r, int *buf, int P, int M);

/* Fills the maps (host) for triples [p0, p0 + P), p = (i·n_r + r)·n_k + k;
 * same as person_equal_mask's, or NULL: every row is live. */
void batch_rows_fill(batch_rows *r, const unsigned char *same, int p0, int P, int n_r, int n_k, int M);

/* Rows of node nd in the sub-batch. */
static inline int batch_rows_of(const batch_rows *r, const node *nd, int P) { return nd->per_person ? r->B : P; }

#endif
