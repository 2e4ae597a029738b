#include "cpu/blas_tune.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *blas_corename(void) { return openblas_get_corename(); }

const char *blas_tune_wanted(void) {
    const char *mode = getenv("DSHAP_BLAS_AUTO");
    if (getenv("OPENBLAS_CORETYPE") || (mode && !strcmp(mode, "0"))) return NULL;
    const char *core = openblas_get_corename();
    if (!core || (strcasecmp(core, "prescott") && strcasecmp(core, "core2") && strcasecmp(core, "nehalem"))) return NULL;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return NULL;
}

void blas_tune_reexec(char **argv) {
    const char *want = blas_tune_wanted();
    if (!want) return;
    setenv("OPENBLAS_CORETYPE", want, 1);
    setenv("DSHAP_BLAS_AUTO", "0", 1); /* once only */
    /* exec the resolved path so the process keeps its name (top, pgrep) */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return;
    self[n] = '\0';
    execv(self, argv);
    /* exec failed: carry on with the slow kernels */
}
