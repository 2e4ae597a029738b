/* --backend cpu|cuda|auto: the engine table each name selects, on this
 * machine (with or without CUDA support, with or without a GPU). */
#include <string.h>

#include "engine/backend.h"
#include "testlib.h"

int main(void) {
    char why[256];
    int gpus = backend_gpu_count();
    const engine_ops *e = engine_for_backend("cpu", why, sizeof why);
    EXPECT(e == &cpu_engine_ops && why[0] == '\0', "cpu selects the CPU engine silently");

    e = engine_for_backend("auto", why, sizeof why);
    if (gpus > 0) {
        EXPECT(e && !strcmp(e->name, "cuda") && why[0] == '\0', "auto picks the GPU engine when there is a GPU");
    } else {
        EXPECT(e == &cpu_engine_ops, "auto falls back to the CPU engine without a GPU");
        EXPECT(why[0] != '\0' && !strchr(why, '\n'), "auto says why in one line: '%s'", why);
    }

    e = engine_for_backend("cuda", why, sizeof why);
    if (gpus > 0) {
        EXPECT(e && !strcmp(e->name, "cuda"), "cuda selects the GPU engine");
    } else {
        EXPECT(e == NULL, "cuda without a GPU is an error");
        EXPECT(strstr(why, "--backend cuda") != NULL && !strchr(why, '\n'), "one clear line: '%s'", why);
    }

    e = engine_for_backend("gpu", why, sizeof why);
    EXPECT(e == NULL && strstr(why, "cpu, cuda or auto") != NULL, "unknown names are refused: '%s'", why);
    printf("GPUs: %d; auto -> %s\n", gpus, engine_for_backend("auto", why, sizeof why)->name);
    return tl_finish("test_backend_select");
}
