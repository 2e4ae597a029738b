/* The activation kinds of imported graphs, numbered as src/cpu/act.h of the
 * kernel work numbers them; this copy stands until that header is merged
 * (its ACT_ND_FIRST then switches this one off). */
#ifndef DSHAP_ONNX_ACT_ND_H
#define DSHAP_ONNX_ACT_ND_H

#include "cpu/act.h"

#ifndef ACT_ND_FIRST
enum { ACT_LEAKY_RELU = 32, ACT_PRELU, ACT_ELU, ACT_HARDSIGMOID, ACT_GELU, ACT_GELU_TANH, ACT_CLIP, ACT_ND_END };
#define ACT_ND_FIRST ACT_LEAKY_RELU
#endif

#endif
