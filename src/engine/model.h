/* A model: the architecture record plus the PyTorch state_dict tensors, as
 * stored in model.h5 (FORMATS.md). */
#ifndef DSHAP_MODEL_H
#define DSHAP_MODEL_H

#include <stdint.h>

#include "engine/arch.h"

#define MODEL_FORMAT "dshap-model"
#define MODEL_FORMAT_VERSION 1
/* Models with a general (imported) graph are written as version 2; version 1
 * files (ShapGCN architecture records) load as before. */
#define MODEL_FORMAT_VERSION_GRAPH 2

typedef struct {
    char *name;           /* PyTorch state_dict key */
    int rank;
    int64_t dims[6];
    int64_t count;
    float *data;          /* float tensors */
    int64_t *idata;       /* integer tensors (PartAtt's att.joints) */
    int used;             /* bound by the network builder */
    char dtype[12];       /* as stored in the file ("float32", "int64", ...), for messages */
} dshap_param;

typedef struct {
    dshap_arch arch;
    int n_params, cap_params;
    dshap_param *params;
    const char *path;     /* where it was loaded from (for messages) */
    char *graph;          /* general graphs: the stored op list (JSON, src/onnx/store.h); NULL for ShapGCN */
} dshap_model;

dshap_status model_load(dshap_model *m, const char *path);
dshap_status model_save(const dshap_model *m, const char *path);
void model_free(dshap_model *m);

dshap_param *model_find(const dshap_model *m, const char *name);
/* Append a new tensor (used by random initialisation). */
dshap_status model_add(dshap_model *m, const char *name, int rank, const int64_t *dims, int integer, dshap_param **out);

/* Parameter counts as PyTorch reports trainable parameters (BN weight/bias,
 * conv weights/biases, E), excluding buffers and the fixed adjacency A. */
void model_count_params(const dshap_model *m, int64_t *with_edge, int64_t *without_edge);

#endif
