/* Grad-CAM on a node of the network (RULES.md, "Grad-CAM on a graph layer").
 * Always the eval-mode function (BN running statistics, no dropout): the
 * same function the SHAP values explain. */
#ifndef DSHAP_GRADCAM_H
#define DSHAP_GRADCAM_H

#include "engine/engine.h"
#include "engine/forward.h"

typedef enum {
    GC_STANDARD, /* alpha_k = mean_(t,v) G_k; L = ReLU(sum_k alpha_k A_k) */
    GC_SHAPGCN   /* the published code: RMS-normalised G, scalar weight, min-max scaled */
} gc_variant;

typedef enum {
    GC_PERSONS_SUM,   /* per-person maps summed (standard default; as SHAP's person sum) */
    GC_PERSONS_MEAN,  /* averaged */
    GC_PERSONS_FIRST  /* person 0 only (the published code's gradients[:1]) */
} gc_persons;

typedef struct {
    gc_variant variant;
    int negate;         /* counterfactual: use -G */
    gc_persons persons;
} gc_opts;

/* The node whose output is the named PyTorch module (the last node carrying
 * that module path), else a node of exactly that name; -1 when none. */
int gradcam_find_layer(const dshap_net *net, const char *name);

/* A layer's output per sample as Grad-CAM reads it: rows (persons) of
 * (C, T, V). A ShapGCN node: its own shape and person rows; a general-graph
 * (imported) node of per-sample shape (C, T', V), one row, or (M, C, T', V)
 * (persons merged into the batch, x.view(N·M, C, T, V)), M rows. */
typedef struct {
    int rows, C, T, V;
} gc_geom;

/* The layer's geometry, or a one-line error naming the layer where its
 * output is not such a map over the layout's joints. */
dshap_status gradcam_geom(const dshap_net *net, int node_index, const char *name, gc_geom *g);

/* Check that a node's output is a (C, T', V) map over the layout's joints
 * (gradcam_geom); a one-line error naming the layer otherwise. */
dshap_status gradcam_check_layer(const dshap_net *net, int node_index, const char *name);

/* One sample and class: A and G are (rows, C, T, V) (rows = persons of the
 * node, 1 or M); map (T, V) in double. */
void gradcam_map(const gc_opts *o, int rows, int C, int T, int V, const float *A, const float *G, double *map);

/* The n instances an engine last forwarded (created with every node of
 * `layers` in cfg.keep_nodes; CPU or GPU), n_k classes per sample (n, n_k):
 * maps[l] (n, n_k, T'_l, V) float32 for each layer. max_bytes bounds the
 * gradient buffer (classes are split into sub-batches to fit; the engine
 * needs max_classes >= the classes of one sub-batch). */
dshap_status gradcam_block(const engine_ops *ops, engine *e, const dshap_net *net, int n, const int *layers,
                           int n_layers, int n_k, const int *classes, const gc_opts *o, int64_t max_bytes,
                           float **maps, double *layer_seconds);

#endif
