/* Activation functions and their derivatives, inlined into the kernels (a
 * call per element costs more than the arithmetic). PyTorch's conventions at
 * kinks: relu'(0) = 0, relu6'(0) = relu6'(6) = 0, hardswish'(±3) one-sided;
 * for the imported-graph kinds below: leaky'(0) = prelu'(0) = α, elu'(0) = α,
 * hardsigmoid' = α only strictly inside (0 < αx + β < 1), clip'(x) = 1 on the
 * closed [min, max] (torch.clamp's backward). */
#ifndef DSHAP_ACT_H
#define DSHAP_ACT_H

#include <math.h>

#include "engine/arch.h"

/* Activations of imported graphs (node.act of general graphs, src/onnx),
 * numbered from ACT_ND_FIRST, past ACT_COUNT: arch_from_json accepts only
 * the names of [0, ACT_COUNT), so a ShapGCN checkpoint never yields them.
 * Parameters (node.alpha, node.beta): LeakyRelu α; PRelu its per-channel
 * slope, passed as α; Elu α; HardSigmoid α, β (y = max(0, min(1, αx + β)));
 * Clip min = α, max = β. GELU: x Φ(x) (erf form) and PyTorch's tanh
 * approximation x σ(2u), u = √(2/π) (x + 0.044715 x³). ONNX Identity needs
 * no activation (the importer drops it).
 * Rule set shap (node.shap_module): shap 0.46's deep_pytorch.py has rescale
 * handlers (nonlinear_1d) for nn.LeakyReLU and nn.ELU only; nn.PReLU,
 * nn.Hardsigmoid, nn.GELU, nn.Hardtanh and torch.clamp get none, so shap
 * takes their ordinary gradient at the reference side. */
enum { ACT_LEAKY_RELU = 32, ACT_PRELU, ACT_ELU, ACT_HARDSIGMOID, ACT_GELU, ACT_GELU_TANH, ACT_CLIP, ACT_ND_END };
#define ACT_ND_FIRST ACT_LEAKY_RELU
#ifndef __cplusplus
_Static_assert((int)ACT_ND_FIRST > (int)ACT_COUNT, "imported-graph activations must stay outside arch.h's range");
#endif
#define ACT_GELU_K 0.7978845608028654 /* √(2/π) */
#define ACT_GELU_C 0.044715

/* The imported-graph kinds compile as device code too (cuda/elem_nd.h):
 * one source for both backends. Their float libm calls go, on the device,
 * through double and one rounding (as elem.h's el_exp), where CUDA's
 * float functions may be ulps off glibc's. */
#ifdef __CUDACC__
#define ACT_FN static __host__ __device__ __forceinline__
#else
#define ACT_FN static inline
#endif

ACT_FN float act_expm1f(float x) {
#ifdef __CUDA_ARCH__
    return (float)expm1((double)x);
#else
    return expm1f(x);
#endif
}

ACT_FN float act_erfcf(float x) {
#ifdef __CUDA_ARCH__
    return (float)erfc((double)x);
#else
    return erfcf(x);
#endif
}

static inline float act_value(int act, float x) {
    switch (act) {
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_RELU6: return x < 0 ? 0 : (x > 6 ? 6 : x);
    case ACT_HARDSWISH: return x <= -3 ? 0 : (x >= 3 ? x : x * (x + 3) / 6);
    case ACT_SILU: return x / (1 + expf(-x));
    case ACT_SIGMOID: return 1 / (1 + expf(-x));
    case ACT_TANH: return tanhf(x);
    }
    return x;
}

static inline float act_derivative(int act, float x) {
    switch (act) {
    case ACT_RELU: return x > 0 ? 1.0f : 0.0f;
    case ACT_RELU6: return x > 0 && x < 6 ? 1.0f : 0.0f;
    case ACT_HARDSWISH: return x < -3 ? 0.0f : (x > 3 ? 1.0f : (2 * x + 3) / 6);
    case ACT_SILU: {
        float s = 1 / (1 + expf(-x));
        return s * (1 + x * (1 - s));
    }
    case ACT_SIGMOID: {
        float s = 1 / (1 + expf(-x));
        return s * (1 - s);
    }
    case ACT_TANH: {
        float t = tanhf(x);
        return 1 - t * t;
    }
    }
    return 1.0f;
}

/* The imported-graph kinds (act >= ACT_ND_FIRST), with the node's
 * parameters (PRelu: its slope as alpha); x itself for any other kind. */
ACT_FN float act_nd_value(int act, float x, float alpha, float beta) {
    switch (act) {
    case ACT_LEAKY_RELU:
    case ACT_PRELU: return x > 0 ? x : alpha * x;
    case ACT_ELU: return x > 0 ? x : alpha * act_expm1f(x);
    case ACT_HARDSIGMOID: return (float)fmax(0.0, fmin(1.0, (double)alpha * x + beta)); /* u in double, as rescale.h */
    case ACT_GELU: return 0.5f * x * act_erfcf(-x * 0.70710678f);
    case ACT_GELU_TANH: return (float)(0.5 * x * (1 + tanh(ACT_GELU_K * (x + ACT_GELU_C * x * x * x))));
    case ACT_CLIP: return fminf(fmaxf(x, alpha), beta);
    }
    return x;
}

/* act_nd_value's derivative (1 for any other kind) */
ACT_FN float act_nd_derivative(int act, float x, float alpha, float beta) {
    switch (act) {
    case ACT_LEAKY_RELU:
    case ACT_PRELU: return x > 0 ? 1.0f : alpha;
    case ACT_ELU: return x > 0 ? 1.0f : alpha * expf(x);
    case ACT_HARDSIGMOID: {
        double u = (double)alpha * x + beta;
        return u > 0 && u < 1 ? alpha : 0.0f;
    }
    case ACT_GELU: {
        double xd = x;
        return (float)(0.5 * erfc(-xd * 0.7071067811865476) + xd * exp(-0.5 * xd * xd) * 0.3989422804014327);
    }
    case ACT_GELU_TANH: {
        double xd = x, t = tanh(ACT_GELU_K * (xd + ACT_GELU_C * xd * xd * xd));
        return (float)(0.5 * (1 + t) + 0.5 * xd * (1 - t * t) * ACT_GELU_K * (1 + 3 * ACT_GELU_C * xd * xd));
    }
    case ACT_CLIP: return x >= alpha && x <= beta ? 1.0f : 0.0f;
    }
    return 1.0f;
}

/* Any kind, with the node's parameters (host only: the CUDA kernels take
 * the ShapGCN kinds from elem.h's el_act_value). */
static inline float act_value_p(int act, float x, float alpha, float beta) {
    return act >= ACT_ND_FIRST ? act_nd_value(act, x, alpha, beta) : act_value(act, x);
}

static inline float act_derivative_p(int act, float x, float alpha, float beta) {
    return act >= ACT_ND_FIRST ? act_nd_derivative(act, x, alpha, beta) : act_derivative(act, x);
}

#endif
