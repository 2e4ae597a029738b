/* CPU reference kernels, one per node kind and phase. Arguments follow one
 * order everywhere (outputs, saved inputs, weights, sizes); the CUDA twins in
 * cuda/ have the same names with _cuda and the same arguments. Tensors are
 * row-major (B, C, T, V) with B = rows (samples × persons). */
#ifndef DSHAP_OPS_CPU_H
#define DSHAP_OPS_CPU_H

#include <stdint.h>

/* Once per process, before any kernel (see ops_cpu.c). */
void cpu_backend_init(void);
/* This thread's scratch buffer of at least n floats (reused; NULL if OOM). */
float *cpu_scratch(int64_t n);

/* (N, n_branches, C, T, V, M) → rows n·M + m of (N·M, C, T, V), one branch;
 * branch −1: y = x, the N samples of C·T·V floats as they are */
void input_forward_cpu(float *y, const float *x, int N, int n_branches, int branch, int C, int T, int V, int M);
/* y (B, Cout, Tout, V) = conv_(k×1, stride, pad, groups)(x (B, Cin, Tin, V)) + bias */
void conv_forward_cpu(float *y, const float *x, const float *w, const float *bias, int B, int Cin, int Tin, int V,
                      int Cout, int Tout, int k, int stride, int pad, int groups);
void affine_forward_cpu(float *y, const float *x, const float *scale, const float *shift, int B, int C, int TV);
/* y (B, C, T, W) = Σ_k x (B, K, C, T, V) · G (K, V, W) */
void graph_forward_cpu(float *y, const float *x, const float *G, int B, int K, int C, int T, int V);
void act_forward_cpu(float *y, const float *x, int64_t n, int act);
/* Broadcast binary op; shapes are (C, T, V) per row, size-1 axes broadcast. */
typedef struct {
    int C, T, V;
} shape3;
void add_forward_cpu(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa, shape3 sb);
void mul_forward_cpu(float *y, const float *a, const float *b, int B, shape3 sy, shape3 sa, shape3 sb);
/* mean / max over the axes (AX_C | AX_T | AX_V) of (B, C, T, V) */
void mean_forward_cpu(float *y, const float *x, int B, shape3 sx, int axes);
void max_forward_cpu(float *y, const float *x, int B, shape3 sx, int axes);
/* channel concat: part i has C_i channels; each (B, C_i, T, V) */
void concat_forward_cpu(float *y, const float *const *parts, const int *C, int n, int B, int TV);
void softmax_forward_cpu(float *y, const float *x, int B, shape3 s, int axis);
/* y (B, C, T, Vout)[.., v] = x (B, C, T, Vin)[.., index[v]] */
void gather_forward_cpu(float *y, const float *x, const int *index, int B, int C, int T, int Vin, int Vout);
/* y (N, S) = mean over m of x (N·M, S) */
void person_mean_forward_cpu(float *y, const float *x, int N, int M, int64_t S);


#endif
