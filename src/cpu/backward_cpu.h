/* Backward kernels of the linear node kinds (the ordinary chain rule, which
 * every rule set uses for them). With acc set they accumulate into m_x (+=):
 * an input read by several nodes (residual joins, attention) collects every
 * contribution; with acc 0 they overwrite it (the first contribution, as
 * the backward plan, engine/dl_plan.h, says), so no buffer is cleared
 * first. m_* are multipliers, shaped like the tensors. */
#ifndef DSHAP_BACKWARD_CPU_H
#define DSHAP_BACKWARD_CPU_H

#include <stdint.h>

#include "cpu/ops_cpu.h"

void conv_backward_cpu(float *m_x, const float *m_y, const float *w, int B, int Cin, int Tin, int V, int Cout, int Tout,
                       int k, int stride, int pad, int groups, int acc);
void affine_backward_cpu(float *m_x, const float *m_y, const float *scale, int B, int C, int TV, int acc);
/* m_x (B, K, C, T, V) (+)= m_y (B, C, T, W) · G_kᵀ */
void graph_backward_cpu(float *m_x, const float *m_y, const float *G, int B, int K, int C, int T, int V, int acc);
/* m_x (shape sx, broadcast into sy) += Σ over the broadcast axes of m_y */
void broadcast_backward_cpu(float *m_x, const float *m_y, int B, shape3 sy, shape3 sx, int acc);
void mean_backward_cpu(float *m_x, const float *m_y, int B, shape3 sx, int axes, int acc);
/* part `which` (channels [c0, c0 + C) of Ctot) */
void concat_backward_cpu(float *m_x, const float *m_y, int B, int Ctot, int c0, int C, int TV, int acc);
void gather_backward_cpu(float *m_x, const float *m_y, const int *index, int B, int C, int T, int Vin, int Vout, int acc);
/* m_x (B person rows, S): row j takes 1/M of sample row sample[j] of m_y */
void person_mean_backward_cpu(float *m_x, const float *m_y, const int *sample, int B, int M, int64_t S, int acc);
void copy_backward_cpu(float *m_x, const float *m_y, int64_t n, int acc);

#endif
