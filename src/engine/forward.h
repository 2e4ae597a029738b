/* Forward pass over the node list on the CPU (the shared walker of
 * engine/walk.h with the CPU's op table), keeping the outputs the DeepLIFT
 * rules and Grad-CAM read. */
#ifndef DSHAP_FORWARD_H
#define DSHAP_FORWARD_H

#include "engine/walk.h"

typedef struct {
    int64_t n;            /* samples (capacity; a forward may use fewer) */
    int64_t n_used;       /* samples of the last forward */
    float **y;            /* per node: (rows, C, T, V) for kept nodes, else NULL after the forward */
    fwd_plan plan;        /* where each output lives */
    float *arena;         /* kept outputs */
    float *work;          /* outputs that die during the forward */
    int64_t floats;       /* both arenas' size */
} net_acts;

/* keep: per node, 1 to keep its output (NULL keeps every node). */
dshap_status acts_alloc(net_acts *a, const dshap_net *net, int64_t n, const unsigned char *keep);
void acts_free(net_acts *a);
/* Bytes one sample's kept activations take (keep NULL: all nodes). */
int64_t acts_bytes_per_sample(const dshap_net *net, const unsigned char *keep);

/* x: (n, F) float32, F = net_input_floats, with n <= a->n. Logits are always
 * kept, in a->y[net->out] (n, K). */
dshap_status net_forward_cpu(const dshap_net *net, net_acts *a, const float *x, int64_t n);

/* One node, for callers that interleave work between nodes (keep-all acts). */
dshap_status net_forward_node_cpu(const dshap_net *net, net_acts *a, int i, const float *x, int64_t n);

#endif
