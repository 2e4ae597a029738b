/* Public API: library state, models and plain forwards. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "api/api.h"
#include "core/error.h"
#include "core/mem.h"
#include "cpu/blas_tune.h"
#include "cpu/ops_cpu.h"
#include "engine/engine.h"

const char *dshap_version(void) { return DSHAP_VERSION; }

dshap_status dshap_init(void) {
    cpu_backend_init();
    return DSHAP_OK;
}

const char *dshap_blas_core(void) { return blas_corename(); }
const char *dshap_blas_coretype_hint(void) { return blas_tune_wanted(); }

dshap_status api_check_init(void) {
    if (openblas_get_num_threads() != 1)
        FAIL(DSHAP_EINVAL, "OpenBLAS runs %d threads, the results need one: call dshap_init() first",
             openblas_get_num_threads());
    return DSHAP_OK;
}

dshap_status api_check_ptr(const void *p, const char *fn, const char *what) {
    if (!p) FAIL(DSHAP_EINVAL, "%s: %s is NULL", fn, what);
    return DSHAP_OK;
}

dshap_status api_check_finite(const float *x, int64_t n, int64_t S, const char *fn, const char *what) {
    for (int64_t i = 0; i < n * S; i++)
        if (!isfinite(x[i]))
            FAIL(DSHAP_ENUMERIC, "%s: %s sample %lld holds a non-finite value (%g) at element %lld", fn, what,
                 (long long)(i / S), (double)x[i], (long long)(i % S));
    return DSHAP_OK;
}

dshap_status api_check_classes(const int32_t *classes, int64_t n, int n_k, int K, const char *fn) {
    for (int64_t i = 0; i < n * n_k; i++)
        if (classes[i] < 0 || classes[i] >= K)
            FAIL(DSHAP_EINVAL, "%s: class %d (sample %lld) is out of range for a model with %d classes (0..%d)", fn,
                 (int)classes[i], (long long)(i / n_k), K, K - 1);
    return DSHAP_OK;
}

int api_threads_set(int threads) {
#ifdef _OPENMP
    int prev = omp_get_max_threads();
    if (threads > 0) omp_set_num_threads(threads);
    return prev;
#else
    return threads;
#endif
}

void api_threads_restore(int threads, int previous) {
#ifdef _OPENMP
    if (threads > 0) omp_set_num_threads(previous);
#endif
}

void dshap_options_default(dshap_options *o) {
    memset(o, 0, sizeof *o);
    o->rules = DSHAP_RULES_EXACT;
    o->store = DSHAP_STORE_JOINT;
    o->chunk = 20; /* dshap explain's default */
    o->block = 4;  /* jobs/explain_unit.c's default */
}

void dshap_gradcam_options_default(dshap_gradcam_options *o) {
    memset(o, 0, sizeof *o);
    o->variant = DSHAP_GRADCAM_STANDARD;
    o->persons = DSHAP_PERSONS_SUM;
    o->block = 8;        /* dshap gradcam's default */
    o->memory_gib = 1.0;
}

dshap_status dshap_model_load(const char *path, dshap_model_t **out) {
    TRY(api_check_ptr(path, "dshap_model_load", "path"));
    TRY(api_check_ptr(out, "dshap_model_load", "out"));
    *out = NULL;
    if (api_file_is_onnx(path)) return api_onnx_load_file(path, out);
    dshap_model_t *m;
    TRY(dshap_calloc((void **)&m, 1, sizeof *m, "model handle"));
    snprintf(m->path, sizeof m->path, "%s", path);
    dshap_status st = model_load(&m->model, m->path);
    if (!st) st = net_build(&m->net, &m->model);
    if (st) {
        net_free(&m->net);
        model_free(&m->model);
        dshap_free(m);
        return st;
    }
    *out = m;
    return DSHAP_OK;
}

/* HDF5 opens files by name: the image goes to a private temporary file that
 * is removed as soon as it is read. */
dshap_status dshap_model_load_memory(const void *bytes, size_t n_bytes, dshap_model_t **out) {
    TRY(api_check_ptr(bytes, "dshap_model_load_memory", "bytes"));
    TRY(api_check_ptr(out, "dshap_model_load_memory", "out"));
    if (api_bytes_are_onnx(bytes, n_bytes)) return dshap_model_import_onnx(bytes, n_bytes, NULL, out);
    const char *dir = getenv("TMPDIR");
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s/dshap-model-XXXXXX", dir && dir[0] ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) FAIL(DSHAP_EIO, "%s: cannot create a temporary file for the model image", tmp);
    size_t done = 0;
    while (done < n_bytes) {
        ssize_t w = write(fd, (const char *)bytes + done, n_bytes - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    close(fd);
    dshap_status st;
    if (done < n_bytes) st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot write the model image", tmp);
    else st = dshap_model_load(tmp, out);
    unlink(tmp);
    if (!st) snprintf((*out)->path, sizeof (*out)->path, "<model image of %zu bytes>", n_bytes);
    return st;
}

void dshap_model_free(dshap_model_t *m) {
    if (!m) return;
    net_free(&m->net);
    model_free(&m->model);
    dshap_free(m);
}

void dshap_model_get_info(const dshap_model_t *m, dshap_model_info *info) {
    const dshap_net *net = &m->net;
    const dshap_arch *a = &net->arch;
    info->num_class = a->num_class;
    int64_t s[5] = {net->in_branches, net->in_C, a->num_frames, a->layout->V, a->num_persons};
    memcpy(info->input_shape, s, sizeof s);
    info->sample_size = s[0] * s[1] * s[2] * s[3] * s[4];
}

dshap_status dshap_predict(const dshap_model_t *m, const float *x, int64_t n, float *logits) {
    const char *fn = "dshap_predict";
    TRY(api_check_ptr(m, fn, "model"));
    TRY(api_check_ptr(x, fn, "x"));
    TRY(api_check_ptr(logits, fn, "logits"));
    TRY(api_check_init());
    if (n < 1) FAIL(DSHAP_EINVAL, "%s: n = %lld, needs at least one sample", fn, (long long)n);
    dshap_model_info info;
    dshap_model_get_info(m, &info);
    TRY(api_check_finite(x, n, info.sample_size, fn, "x"));
    int block = n < 8 ? (int)n : 8;
    engine_cfg cfg = {.max_inst = block, .max_ref = 1, .max_classes = 1};
    engine *e = NULL;
    TRY(cpu_engine_ops.create(&e, &m->net, &cfg));
    dshap_status st = DSHAP_OK;
    for (int64_t i0 = 0; i0 < n && !st; i0 += block) {
        int b = (int)(n - i0 < block ? n - i0 : block);
        st = cpu_engine_ops.forward_inst(e, x + i0 * info.sample_size, b, logits + i0 * info.num_class);
    }
    cpu_engine_ops.destroy(e);
    return st;
}
