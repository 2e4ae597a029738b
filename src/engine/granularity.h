/* Linear reductions of φ to the stored granularity (RULES.md). They commute
 * with the sum over background chunks, so partials are reduced before they
 * are communicated. */
#ifndef DSHAP_GRANULARITY_H
#define DSHAP_GRANULARITY_H

#include <stdint.h>

typedef enum { STORE_JOINT, STORE_CHANNEL_JOINT, STORE_FRAME, STORE_FULL } store_kind;

typedef struct {
    store_kind kind;
    int persons_each; /* keep the person axis (else summed); full always keeps it */
    int B, C, T, V, M;/* model input (B, C, T, V, M); ShapGCN: B = 4 branches of C = 2·raw C channels */
} granularity;

/* Elements per (instance, class). */
int64_t gran_size(const granularity *g);
/* out (G) = reduce(phi (B, C, T, V, M)); doubles throughout. */
void gran_reduce(const granularity *g, const double *phi, double *out);
/* Dataset shape for N instances and K' classes; returns the rank. The
 * layout is (N, K', ...) except full, which is shap's (N, B, C, T, V, M, K'); a one-branch model's is (N, C, T, V, M, K'). */
int gran_dataset_shape(const granularity *g, int64_t N, int Kp, int64_t *dims);
const char *gran_name(store_kind k);
int gran_parse(const char *s, store_kind *k);

#endif
