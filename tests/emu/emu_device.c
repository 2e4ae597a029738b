/* Host emulation of cuda/device.h and cuda/exec.h: "device" memory is host
 * memory, streams are tokens, and cuda_gemm is a plain column-major
 * reference with cuBLAS's semantics (with TF32 switched on, its operands are
 * truncated to TF32's 10-bit mantissa, as tensor cores read FP32 data). With emu_kernels.c it runs the CUDA
 * backend's C driver (engine, plans, GEMM orchestration) and the element
 * bodies of its kernels (cuda/elem.h) on the CPU. For tests only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "cuda/conv_kernels.h"
#include "cuda/device.h"
#include "cuda/exec.h"
#include "emu.h"

static int64_t emu_free_bytes = (int64_t)4 << 30;
/* Attached streams: token -> scratch. */
#define EMU_STREAMS 16
static struct {
    cuda_stream s;
    float *scratch;
    int64_t floats;
    int tf32_allowed, tf32_on;
} emu_exec[EMU_STREAMS];
static int64_t emu_live_bytes;

void emu_set_free_memory(int64_t bytes) { emu_free_bytes = bytes; }

int cuda_device_count(void) { return 1; }

int cuda_device_describe(int dev, char *name, size_t cap, size_t *total_mem, char *pci, size_t pci_cap) {
    snprintf(name, cap, "host emulation");
    *total_mem = (size_t)emu_free_bytes;
    snprintf(pci, pci_cap, "none");
    return dev == 0 ? 0 : -1;
}

dshap_status cuda_select(int dev) {
    if (dev != 0) FAIL(DSHAP_EDEVICE, "GPU %d requested but this machine has 1 (0..0)", dev);
    return DSHAP_OK;
}

dshap_status cuda_mem_info(size_t *free_bytes, size_t *total_bytes) {
    *free_bytes = (size_t)(emu_free_bytes - emu_live_bytes);
    *total_bytes = (size_t)emu_free_bytes;
    return DSHAP_OK;
}

/* A size header in front of each block, to count live bytes. */
dshap_status cuda_alloc(void **p, size_t bytes, const char *what) {
    *p = NULL;
    if (!bytes) return DSHAP_OK;
    if ((int64_t)bytes > emu_free_bytes - emu_live_bytes)
        FAIL(DSHAP_ENOMEM, "GPU out of memory allocating %.1f MiB for %s (emulated)", bytes / 1048576.0, what);
    char *b = malloc(bytes + 64);
    if (!b) FAIL(DSHAP_ENOMEM, "out of memory allocating %zu bytes for %s", bytes, what);
    memset(b + 64, 0xFF, bytes); /* NaN: reading what nothing wrote shows */
    *(size_t *)b = bytes;
    emu_live_bytes += (int64_t)bytes;
    *p = b + 64;
    return DSHAP_OK;
}

void cuda_release(void *p) {
    if (!p) return;
    char *b = (char *)p - 64;
    emu_live_bytes -= (int64_t) * (size_t *)b;
    free(b);
}

int64_t emu_live(void) { return emu_live_bytes; }

dshap_status cuda_stream_new(cuda_stream *s) {
    *s = malloc(1); /* a distinct token per stream */
    if (!*s) FAIL(DSHAP_ENOMEM, "out of memory");
    return DSHAP_OK;
}
void cuda_stream_free(cuda_stream s) { free(s); }
dshap_status cuda_stream_sync(cuda_stream s) { return DSHAP_OK; }

dshap_status cuda_upload(void *dst, const void *src, size_t bytes, cuda_stream s) {
    if (bytes) memcpy(dst, src, bytes);
    return DSHAP_OK;
}
dshap_status cuda_download(void *dst, const void *src, size_t bytes, cuda_stream s) {
    if (bytes) memcpy(dst, src, bytes);
    return DSHAP_OK;
}
dshap_status cuda_copy(void *dst, const void *src, size_t bytes, cuda_stream s) {
    if (bytes) memcpy(dst, src, bytes);
    return DSHAP_OK;
}
dshap_status cuda_zero(void *dst, size_t bytes, cuda_stream s) {
    if (bytes) memset(dst, 0, bytes);
    return DSHAP_OK;
}
dshap_status cuda_poison(float *dst, int64_t n, cuda_stream s) {
    if (n > 0) memset(dst, 0xFF, sizeof(float) * (size_t)n);
    return DSHAP_OK;
}

static int find(cuda_stream s) {
    for (int i = 0; i < EMU_STREAMS; i++)
        if (s && emu_exec[i].s == s) return i;
    return -1;
}

dshap_status cuda_exec_attach(cuda_stream s, int allow_tf32, int64_t scratch_floats) {
    int slot = find(NULL);
    for (int i = 0; i < EMU_STREAMS && slot < 0; i++)
        if (!emu_exec[i].s) slot = i;
    if (slot < 0 || find(s) >= 0) FAIL(DSHAP_EDEVICE, "emulation: too many streams or stream attached twice");
    float *p = NULL;
    if (scratch_floats > 0) TRY(cuda_alloc((void **)&p, sizeof(float) * (size_t)scratch_floats, "scratch"));
    emu_exec[slot].s = s;
    emu_exec[slot].scratch = p;
    emu_exec[slot].floats = scratch_floats;
    emu_exec[slot].tf32_allowed = emu_exec[slot].tf32_on = allow_tf32;
    return DSHAP_OK;
}

void cuda_exec_detach(cuda_stream s) {
    int i = find(s);
    if (i < 0) return;
    cuda_release(emu_exec[i].scratch);
    emu_exec[i].s = NULL;
}

dshap_status cuda_exec_tf32(cuda_stream s, int on) {
    int i = find(s);
    if (i < 0) FAIL(DSHAP_EDEVICE, "internal: CUDA stream used without cuda_exec_attach");
    emu_exec[i].tf32_on = emu_exec[i].tf32_allowed && on;
    return DSHAP_OK;
}

/* The low 13 of FP32's 23 mantissa bits dropped. */
static float tf32(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u &= ~0x1fffu;
    memcpy(&x, &u, sizeof u);
    return x;
}

dshap_status cuda_exec_scratch(cuda_stream s, float **scratch, int64_t *floats) {
    int i = find(s);
    if (i < 0) FAIL(DSHAP_EDEVICE, "internal: CUDA stream used without cuda_exec_attach");
    *scratch = emu_exec[i].scratch;
    *floats = emu_exec[i].floats;
    return DSHAP_OK;
}

/* cuBLAS sgemmStridedBatched, alpha = 1: C = op(A)·op(B) + beta·C, column-major. */
dshap_status cuda_gemm(cuda_stream s, int trans_a, int trans_b, int m, int n, int k, const float *A, int lda,
                       int64_t stride_a, const float *B, int ldb, int64_t stride_b, float beta, float *C, int ldc,
                       int64_t stride_c, int batch) {
    int e = find(s);
    if (e < 0) FAIL(DSHAP_EDEVICE, "internal: CUDA stream used without cuda_exec_attach");
    int t32 = emu_exec[e].tf32_on;
    if (lda < (trans_a ? k : m) || ldb < (trans_b ? n : k) || ldc < m)
        FAIL(DSHAP_EDEVICE, "cuBLAS error (emulated): invalid leading dimension");
    float *col = malloc(sizeof(float) * (size_t)(m > 0 ? m : 1)); /* float sums, as cuBLAS's FP32 path */
    if (!col) FAIL(DSHAP_ENOMEM, "out of memory");
    for (int b = 0; b < batch; b++) {
        const float *Ab = A + b * stride_a, *Bb = B + b * stride_b;
        float *Cb = C + b * stride_c;
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) col[i] = 0;
            for (int l = 0; l < k; l++) {
                float bv = trans_b ? Bb[j + (int64_t)l * ldb] : Bb[l + (int64_t)j * ldb];
                if (t32) {
                    bv = tf32(bv);
                    for (int i = 0; i < m; i++) col[i] += tf32(trans_a ? Ab[l + (int64_t)i * lda] : Ab[i + (int64_t)l * lda]) * bv;
                } else if (trans_a) {
                    for (int i = 0; i < m; i++) col[i] += Ab[l + (int64_t)i * lda] * bv;
                } else {
                    for (int i = 0; i < m; i++) col[i] += Ab[i + (int64_t)l * lda] * bv;
                }
            }
            float *c = Cb + (int64_t)j * ldc;
            for (int i = 0; i < m; i++) c[i] = beta == 0.0f ? col[i] : col[i] + beta * c[i];
        }
    }
    free(col);
    return DSHAP_OK;
}
