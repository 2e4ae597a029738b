/* The CPU backend as the graph walkers (engine/walk.h) see it: per op kind,
 * adapters from a node to the kernels of ops_cpu.h, backward_cpu.h and
 * deeplift_cpu.h (the general-graph ops: op_table_nd.h). The backward's context (bwd_call.be) is the folded
 * weights, float *const w_fold[n_nodes] (engine/deeplift.h). */
#ifndef DSHAP_OP_TABLE_CPU_H
#define DSHAP_OP_TABLE_CPU_H

#include "engine/walk.h"

extern const op_impl cpu_op_table[OP_COUNT];
extern const backend_impl cpu_backend;

#endif
