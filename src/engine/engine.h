/* A compute engine runs the per-unit work of an explain job on one device:
 * forward passes that cache what the rules need, and the batched DeepLIFT
 * backward reduced to the stored granularity. The CPU engine (cpu_engine.c)
 * is the reference; the CUDA engine (cuda/) implements the same table and is
 * tested against it. Buffers passed in and out live on the host. */
#ifndef DSHAP_ENGINE_H
#define DSHAP_ENGINE_H

#include <stddef.h>

#include "engine/deeplift.h"
#include "engine/granularity.h"

typedef struct {
    int max_inst;       /* instances per forward (block size) */
    int max_ref;        /* references per forward (chunk size) */
    int max_classes;    /* explained classes per instance */
    double memory_gib;  /* working-memory budget of the batched backward */
    int device;         /* GPU ordinal for device engines */
    int allow_tf32;     /* device engines: TF32 tensor-core GEMMs */
    int all_rows;       /* also run the person rows whose instance and reference inputs are equal
                           (engine/rows.h: their φ is exactly 0; for checks and benchmarks) */
    int class_seeds;    /* a seed per explained class even where the classifier's input has fewer
                           channels (engine/basis.h; for checks and benchmarks) */
    const int *keep_nodes; /* nodes whose instance-side output the forward keeps too (Grad-CAM layers) */
    int n_keep;
} engine_cfg;

typedef struct engine engine;

typedef struct {
    const char *name;
    dshap_status (*create)(engine **e, const dshap_net *net, const engine_cfg *cfg);
    void (*destroy)(engine *e);
    /* x (n, F), F = net_input_floats; logits (n, K) out. The activations stay cached
     * as the reference / instance side until the next call of the same kind. */
    dshap_status (*forward_ref)(engine *e, const float *x, int n, float *logits);
    dshap_status (*forward_inst)(engine *e, const float *x, int n, float *logits);
    /* For the cached instances × references: phi (n_i, n_k, G) and totals
     * (n_i, n_k) = Σ_r of the granularity-reduced / summed attributions
     * (not yet divided by R), classes (n_i, n_k). */
    dshap_status (*attribute)(engine *e, rule_set rules, int n_k, const int *classes, const granularity *g,
                              double *phi, double *totals);
    /* Grad-CAM: for the cached instances, the output of node `at` (one of
     * cfg.keep_nodes) into act (n_i, rows, size) and the plain gradient of
     * each explained logit with respect to it into grad (n_i, n_k, rows,
     * size), classes (n_i, n_k). */
    dshap_status (*gradient)(engine *e, int at, int n_k, const int *classes, float *act, float *grad);
    /* "cpu" or the device's name and PCI id; peak working memory. */
    void (*describe)(engine *e, char *buf, size_t cap, int64_t *peak_bytes);
} engine_ops;

extern const engine_ops cpu_engine_ops;

#endif
