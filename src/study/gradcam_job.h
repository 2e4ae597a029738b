/* dshap gradcam: Grad-CAM maps and per-joint scores of a whole data set at
 * named layers, into an attributions.h5 (new, or added to an existing one). */
#ifndef DSHAP_GRADCAM_JOB_H
#define DSHAP_GRADCAM_JOB_H

#include "study/gradcam.h"
#include "study/util.h"

#define GC_MAX_LAYERS 64

typedef struct {
    const char *model, *data, *output;
    int n_layers;
    const char *layers[GC_MAX_LAYERS];
    const char *classes;  /* true | pred | all | list */
    gc_opts gc;
    int block;            /* samples per forward (default 8) */
    double memory_gib;    /* gradient buffer budget (default 1) */
    const engine_ops *engine; /* NULL: the CPU engine */
    int device;           /* GPU for a device engine */
    int allow_tf32;
    const char *command_line;
    int quiet;
} gc_job_opts;

dshap_status gradcam_job_run(const gc_job_opts *o);

#endif
