/* Which compute engine runs an explain job: --backend cpu|cuda|auto. */
#ifndef DSHAP_BACKEND_H
#define DSHAP_BACKEND_H

#include <stddef.h>

#include "engine/engine.h"

/* "cpu", "cuda" or "auto". Returns the engine table, or NULL with a
 * one-line reason in why (unknown name; cuda asked for on a build without
 * CUDA or a machine without a GPU). For "auto" it never fails: the CUDA
 * engine when this build has it and a GPU is present, else the CPU engine,
 * and why then says in one line why the CPU was chosen (empty when CUDA was
 * chosen), for the log. */
const engine_ops *engine_for_backend(const char *name, char *why, size_t cap);

/* Number of GPUs this build can use (0 without CUDA support). */
int backend_gpu_count(void);

#endif
