/* Forward pass over the node list, keeping every node's output (the
 * DeepLIFT rules and Grad-CAM read them). */
#ifndef DSHAP_FORWARD_H
#define DSHAP_FORWARD_H

#include "engine/net.h"

typedef struct {
    int64_t n;      /* samples */
    float **y;      /* per node: (rows, C, T, V); reshapes alias their input */
    float *arena;
    int64_t floats; /* arena size */
} net_acts;

dshap_status acts_alloc(net_acts *a, const dshap_net *net, int64_t n);
void acts_free(net_acts *a);
/* Bytes one sample's activations take. */
int64_t acts_bytes_per_sample(const dshap_net *net);

/* x: (n, 4, 2C, T, V, M) float32. Logits end up in a->y[net->out] (n, K). */
dshap_status net_forward_cpu(const dshap_net *net, net_acts *a, const float *x);

#endif
