/* The backward plan the walker runs for every backend (engine/walk.h):
 * which nodes reach the logits, where each multiplier lives in one arena
 * (floats per triple), and which contribution to a buffer comes first (it
 * writes with =, later ones add), so there is no clearing pass and no
 * allocation inside a sub-batch.
 *
 * Two savings over a plain node-by-node backward, both exact in real
 * arithmetic:
 *  - fold: a convolution whose only reader is a BN runs its transpose with
 *    the BN's scale folded into its weights (w_fold = diag(scale)·w), on the
 *    BN's multiplier; the BN's own backward is skipped: one pass over the
 *    largest tensors fewer per conv + BN pair.
 *  - alias: the first input of a residual add (same shape, first written
 *    there), or the input of a reshape, takes the node's multiplier buffer
 *    instead of a copy of it.
 * A node's multiplier then lives in the buffer of store[i]. */
#ifndef DSHAP_DL_PLAN_H
#define DSHAP_DL_PLAN_H

#include <stdint.h>

#include "engine/net.h"

typedef struct {
    int n_nodes;
    unsigned char *reach; /* node has a path to the logits */
    unsigned char *acc;   /* (n_nodes, NODE_MAX_IN): that input's contribution accumulates */
    unsigned char *alias; /* (n_nodes, NODE_MAX_IN): that input takes this node's buffer, no kernel */
    unsigned char *skip;  /* node's backward is folded into its input convolution's */
    unsigned char *folded;/* convolution that reads its BN's multiplier with folded weights */
    int *store;           /* node whose buffer holds the multiplier */
    int64_t *off;         /* multiplier offset, floats per triple (-1: none) */
    int64_t per_pair;     /* arena floats per triple */
} dl_plan;

/* `keep`: a node whose own multiplier must be materialised (a Grad-CAM
 * capture: its convolution is then not folded), or -1. */
dshap_status dl_plan_make(dl_plan *p, const dshap_net *net, int keep);
void dl_plan_free(dl_plan *p);

/* The AFFINE node (folded BN) that is the only reader of convolution c, or -1. */
int conv_fold_target(const dshap_net *net, int c);
/* diag(scale of the BN that reads conv c) · w (host floats, caller frees). */
dshap_status conv_fold_weights(const dshap_net *net, int c, float **out);

#endif
