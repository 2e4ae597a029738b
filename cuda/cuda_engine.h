/* The CUDA engine: engine.h's table on one GPU (engine_cfg.device).
 *
 * Memory: everything a work unit needs is sized from the model, the block
 * (instances), the chunk (references) and the explained classes, checked
 * against the device's free memory BEFORE anything is allocated, and
 * allocated once; a unit then runs without allocations and without host
 * round trips (the partials come back once, reduced to the granularity).
 * The batched backward takes memory_gib GiB when that is > 0, otherwise
 * 85 % of the device's total memory less the fixed part; the triples per
 * sub-batch follow from that budget alone (never from the free memory of
 * the moment), so a run's results do not depend on what else is running.
 *
 * Determinism: every reduction runs in a fixed order without atomics, and
 * cuBLAS is deterministic for a given handle, stream and problem, so
 * repeated runs give bitwise the same attributions. They agree with the
 * CPU engine to float32 rounding (FP32), or to TF32 rounding with
 * allow_tf32, which applies to the backward's GEMMs only: the forward passes
 * stay FP32 so every rule sees the same activations (cuda/exec.h; tests/gpu
 * states the tolerances). */
#ifndef DSHAP_CUDA_ENGINE_H
#define DSHAP_CUDA_ENGINE_H

#include "engine/engine.h"

extern const engine_ops cuda_engine_ops;

/* What create() would allocate (bytes), without allocating: the fixed part
 * (parameters, activations of both sides, inputs, φ partials, scratch) and
 * one triple of the backward. For messages and the benchmark. */
dshap_status cuda_engine_estimate(const dshap_net *net, const engine_cfg *cfg, int64_t *fixed_bytes,
                                  int64_t *per_pair_bytes);
/* Triples per backward sub-batch the engine chose. */
int cuda_engine_pairs(const engine *e);

#endif
