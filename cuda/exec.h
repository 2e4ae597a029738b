/* The execution context of a stream: the kernels of cuda/ take a trailing
 * stream, as llm.c's do, and find the stream's cuBLAS handle (its math mode:
 * FP32 or TF32), and a scratch buffer for the convolutions here. Whoever
 * owns the stream (an engine, a test) attaches it once before the first
 * kernel and detaches it before destroying the stream. */
#ifndef DSHAP_CUDA_EXEC_H
#define DSHAP_CUDA_EXEC_H

#include <stdint.h>

#include "cuda/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* allow_tf32: cuBLAS may use TF32 tensor cores for the float32 GEMMs (from
 * the start; cuda_exec_tf32 switches it off and on again).
 * scratch_floats: at least conv_scratch_floats() of every convolution run. */
dshap_status cuda_exec_attach(cuda_stream s, int allow_tf32, int64_t scratch_floats);
/* TF32 GEMMs on (where the stream was attached with allow_tf32) or off for
 * the next kernels of s. The engine runs its forward passes in FP32 and
 * only the backward in TF32: the rescale rule divides by x − r, so TF32's
 * 1e-3 rounding in the activations would move rules across their
 * thresholds and shift attributions by far more than 1e-3, while in the
 * backward it stays a linear 1e-3 error of the multipliers. */
dshap_status cuda_exec_tf32(cuda_stream s, int on);
void cuda_exec_detach(cuda_stream s);

/* Scratch (floats) a conv_*_cuda call needs: the weights re-laid per tap,
 * plus, for strided convolutions, room for at least one row of shifted input
 * (larger scratch processes more rows per GEMM). */
int64_t conv_scratch_floats(int Cin, int V, int Cout, int Tout, int k, int stride, int groups);

#ifdef __cplusplus
}
#endif
#endif
