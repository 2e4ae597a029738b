/* dshap explain: DeepSHAP attributions of a whole data set against a
 * background, over all MPI ranks (DESIGN.md, RULES.md, FORMATS.md). */
#ifndef DSHAP_EXPLAIN_H
#define DSHAP_EXPLAIN_H

#include <stdint.h>

#include "engine/deeplift.h"
#include "engine/engine.h"
#include "engine/granularity.h"
#include "mpi/dist.h"
#include "mpi/xfer.h"

#define EXPLAIN_MAX_CLASSES 4096

typedef enum { CLASSES_TRUE, CLASSES_PRED, CLASSES_ALL, CLASSES_LIST } classes_mode;

typedef struct {
    const char *model, *data, *background, *output;
    int n_background;               /* references drawn from the background file */
    uint64_t background_seed;
    const char *background_indices; /* text file of row indices, instead of drawing */
    int chunk;                      /* references per work unit (default 20) */
    int block;                      /* instances per work unit (0: automatic) */
    classes_mode classes;
    int n_list, list[EXPLAIN_MAX_CLASSES];
    rule_set rules;
    store_kind store;
    int persons_each;
    double check_additivity;        /* <= 0: off */
    double memory_gib;              /* working-memory budget for the backward */
    int progress;                   /* 0 off, 1 on (rank 0) */
    int resume;                     /* reuse the units in <output>.ckpt/ */
    const engine_ops *engine;       /* NULL: the CPU engine */
    const char *bind;               /* placement mode (mpi/placement.h); NULL: no binding, no report */
    int gpu;                        /* this rank's GPU, -1 for the CPU engine */
    const char *backend_note;       /* why --backend auto chose the CPU (logged), or NULL */
    int device;                     /* GPU of this rank (device engines) */
    int allow_tf32;
    int all_rows;                   /* also run person rows with equal inputs (engine_cfg.all_rows) */
    int class_seeds;                /* a seed per class, no class basis (engine_cfg.class_seeds) */
    xfer_kind transport;            /* how partials travel between ranks */
    const char *command_line;
} explain_opts;

dshap_status explain_run(dist_ctx *d, const explain_opts *o);

/* Draw n distinct rows of [0, N) with the seeded generator (partial
 * Fisher-Yates), in draw order; or read them from a file. */
dshap_status background_select(const char *bg_path, int64_t N, int n, uint64_t seed, const char *file, int64_t **rows,
                               int *n_out);

#endif
