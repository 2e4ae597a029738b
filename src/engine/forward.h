/* Forward pass over the node list, keeping every node's output (the
 * DeepLIFT rules and Grad-CAM read them). */
#ifndef DSHAP_FORWARD_H
#define DSHAP_FORWARD_H

#include "engine/net.h"

#include "core/pool.h"

typedef struct {
    int64_t n;            /* samples (capacity; a forward may use fewer) */
    int64_t n_used;       /* samples of the last forward */
    float **y;            /* per node: (rows, C, T, V) for kept nodes, else NULL after the forward */
    unsigned char *keep;  /* per node: output kept after the forward */
    int *owner;           /* node whose storage a node uses (reshapes alias their input) */
    int *last_use;        /* last node reading each storage owner */
    float *arena;         /* kept outputs */
    int64_t floats;       /* arena size */
    buf_pool pool;        /* outputs that die during the forward */
} net_acts;

/* keep: per node, 1 to keep its output (NULL keeps every node). */
dshap_status acts_alloc(net_acts *a, const dshap_net *net, int64_t n, const unsigned char *keep);
void acts_free(net_acts *a);
/* Bytes one sample's kept activations take (keep NULL: all nodes). */
int64_t acts_bytes_per_sample(const dshap_net *net, const unsigned char *keep);

/* x: (n, 4, 2C, T, V, M) float32 with n <= a->n. Logits are always kept, in
 * a->y[net->out] (n, K). */
dshap_status net_forward_cpu(const dshap_net *net, net_acts *a, const float *x, int64_t n);

/* One node, for callers that interleave work between nodes (keep-all acts). */
dshap_status net_forward_node_cpu(const dshap_net *net, net_acts *a, int i, const float *x, int64_t n);

#endif
