/* Activation functions and their derivatives, inlined into the kernels (a
 * call per element costs more than the arithmetic). PyTorch's conventions at
 * kinks: relu'(0) = 0, relu6'(0) = relu6'(6) = 0, hardswish'(±3) one-sided. */
#ifndef DSHAP_ACT_H
#define DSHAP_ACT_H

#include <math.h>

#include "engine/arch.h"

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

#endif
