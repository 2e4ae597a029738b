/* The DeepSHAP driver's own device steps (twins of the loops in
 * engine/deeplift.c and engine/granularity.c): seeds of a
 * sub-batch of (instance, reference, class) triples, the φ accumulation at
 * the input nodes, and the granularity reduction. Triples are ordered
 * p = (i·n_r + r)·n_k + kk as on the CPU. All sums over references and
 * over φ's elements run in double in a fixed order, with no atomics, so
 * results are the same on every run. */
#ifndef DSHAP_PHI_CUDA_H
#define DSHAP_PHI_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "cuda/device.h"
#include "engine/granularity.h"

/* m_out (P, K) = one-hot of the explained class of each pair; classes (n_i, n_k) on the device, or NULL:
 * class kk is kk */
dshap_status seed_cuda(float *m_out, const int *classes, int p0, int P, int n_r, int n_k, int K, cuda_stream s);
/* φ (n_i, n_k, F) += Σ_r m ⊙ (x_i − x_r) for the branch input node whose
 * multiplier m is (live person rows, C, T, V), slot (P·M) the live row of
 * each (triple, person) or -1 (engine/rows.h); x_* (n, F) = (n, branches,
 * C, T, V, M). Branch −1, the whole sample: m (P, C·T·V = F), element e is
 * input element e. Each element adds its references in increasing order,
 * as the CPU does. */
dshap_status accumulate_phi_cuda(double *phi, const float *m, const int *slot, const float *x_inst, const float *x_ref,
                                 int p0, int P, int n_r, int n_k, int64_t F, int branch, int C, int T, int V, int M,
                                 cuda_stream s);
/* out (nk, G) = reduce(φ (nk, F)), the CPU's summation order per element */
dshap_status gran_reduce_cuda(double *out, const double *phi, int64_t nk, const granularity *g, cuda_stream s);
/* totals (nk) = Σ_f φ (nk, F): a fixed tree per row */
dshap_status phi_totals_cuda(double *totals, const double *phi, int64_t nk, int64_t F, cuda_stream s);

#ifdef __cplusplus
}
#endif
#endif
