/* model.h5 with a general (imported) graph: format_version 2, the op list
 * as the root attribute `graph` (JSON, src/onnx/store.h), the constants as
 * /constants/<i> in the order the record names them. */
#ifndef DSHAP_MODEL_GRAPH_H
#define DSHAP_MODEL_GRAPH_H

#include "engine/model.h"
#include "io/h5io.h"

dshap_status model_save_graph(const dshap_model *m, const char *path);
/* Read the record and the constants of an open model.h5 into m. */
dshap_status model_load_graph(dshap_model *m, const h5file *f);

#endif
