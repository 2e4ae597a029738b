/* Perturbation of the edge-importance matrices E (RULES.md, "Perturbation
 * of the edge-importance matrix"): only E[0, j, j] of every SGC layer.
 * Imported models (net->general): the constants named by a glob
 * (--edge-tensors), each viewed as n blocks of (V, V) (its row-major
 * (count / V², V, V) view); joint j's entries are (b, j, j) of every block
 * b whose unperturbed (j, j) is nonzero (a zero diagonal entry is no edge
 * and stays zero), delta from that block's range. */
#ifndef DSHAP_PERTURB_H
#define DSHAP_PERTURB_H

#include <stdint.h>

#include "engine/net.h"

typedef enum { PM_AMPLIFY, PM_TOWARD_ZERO, PM_ZERO_OUT } perturb_mode;
typedef enum {
    PR_ORIGINAL,  /* delta from the unperturbed E[0] range (RULES.md) */
    PR_SEQUENTIAL /* the published loop: range re-read after each joint's change */
} perturb_range;

#define PERTURB_EPS 1e-5

typedef struct {
    perturb_mode mode;
    double thresh;      /* delta = thresh * (max E[0] - min E[0]) */
    perturb_range range;
    int no_sign_switch; /* toward-zero stops at +-1e-5 instead of crossing 0 */
} perturb_opts;

typedef struct {
    int n;              /* SGC layers, or matched constants (general) */
    dshap_param **E;    /* (K, V, V) in the model, changed in place */
    const dshap_param **A;
    float **orig;       /* copies of the unperturbed E */
    int *node;          /* the graph node using E (its G = A ⊙ E is refreshed); -1 general */
    int general;        /* constants of an imported graph: the nodes read them in place */
} edge_set;

/* Every graph node's E of the built network (ShapGCN models). */
dshap_status edges_collect(edge_set *es, dshap_model *m, dshap_net *net);
/* The constants of an imported model whose names match the glob pattern
 * (fnmatch); each must be a (..., V, V) view (edge_blocks > 0). */
dshap_status edges_collect_named(edge_set *es, dshap_model *m, const dshap_net *net, const char *pattern);
/* (V, V) blocks of a constant: count / V² when its last axis is V, its rank
 * at least 2 and V² divides its size; else 0. */
int64_t edge_blocks(const dshap_param *p, int V);
void edges_free(edge_set *es);

/* From the unperturbed E: change E[0, j, j] for the joints in order[0..n_j)
 * (in that order), in every E, and refresh the network's G. n_j = 0 restores. */
void edges_apply(edge_set *es, dshap_net *net, const int *joints, int n_j, const perturb_opts *o);

/* The new value of one self-loop entry e given delta (one rule). */
double perturb_value(double e, double delta, const perturb_opts *o);

/* Joint sets from one score vector (V): top = the k highest strictly
 * positive scores (descending; fewer when fewer are positive); bottom = the
 * k lowest scores of any sign (ascending). Ties: lower joint index first.
 * Returns the set size. */
int select_top(const double *score, int V, int k, int *out);
int select_bottom(const double *score, int V, int k, int *out);

#endif
