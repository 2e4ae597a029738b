#include "engine/backend.h"

#include <stdio.h>
#include <string.h>

#ifdef DSHAP_HAVE_CUDA
#include "cuda/cuda_engine.h"
#include "cuda/device.h"
#endif

int backend_gpu_count(void) {
#ifdef DSHAP_HAVE_CUDA
    return cuda_device_count();
#else
    return 0;
#endif
}

const engine_ops *engine_for_backend(const char *name, char *why, size_t cap) {
    if (cap) why[0] = '\0';
    if (!name || !strcmp(name, "cpu")) return &cpu_engine_ops;
    int is_auto = !strcmp(name, "auto");
    if (!is_auto && strcmp(name, "cuda")) {
        snprintf(why, cap, "--backend must be cpu, cuda or auto, got '%s'", name);
        return NULL;
    }
#ifdef DSHAP_HAVE_CUDA
    if (cuda_device_count() > 0) return &cuda_engine_ops;
    snprintf(why, cap, is_auto ? "backend auto: no CUDA device found (no GPU or no driver), using the CPU"
                               : "--backend cuda: no CUDA device found (no GPU or no driver)");
#else
    snprintf(why, cap, is_auto ? "backend auto: this dshap was built without CUDA, using the CPU"
                               : "--backend cuda: this dshap was built without CUDA (rebuild with -DDSHAP_CUDA=ON)");
#endif
    return is_auto ? &cpu_engine_ops : NULL;
}
