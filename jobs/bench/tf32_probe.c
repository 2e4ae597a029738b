/* TF32 accuracy of the GPU backward, measured on the CPU: how far the
 * attributions move when every backward GEMM takes its operands rounded to
 * TF32 (10-bit mantissa, FP32 accumulation), as the CUDA engine's --tf32
 * does with tensor cores, while the forwards stay FP32 (as there).
 *
 * This program defines cblas_sgemm itself, so the engine's calls reach this
 * wrapper first; it rounds copies of A and B and calls OpenBLAS's sgemm.
 * Modes, each against the plain FP32 run of the same CPU engine:
 *  - tf32-trunc: the operands' low 13 mantissa bits dropped (what tensor
 *    cores do with FP32 bit patterns that were not converted first)
 *  - tf32-rn: rounded to nearest (cvt.rna.tf32.f32)
 *  - 3xtf32: a = a_hi + a_lo split, a_hi·b_hi + a_hi·b_lo + a_lo·b_hi, all
 *    operands truncated to TF32 (the split-precision scheme that keeps FP32
 *    accuracy at three tensor-core GEMMs)
 *  - perturb: no rounding, the inputs moved by a relative 1e-6 (how much
 *    FP32 rounding in the forward alone moves φ: the conditioning floor)
 * Prints one DEVIATION line per mode in bench_gpu's format
 * (max |φ_mode − φ_FP32| / max |φ_FP32| for the joint and full stores and
 * the totals), then a table.
 *
 *   tf32_probe --model xview.h5 --data synth.h5 [--inst 1 --refs 4 --classes 60]
 */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "engine/engine.h"
#include "bench_util.h"

typedef enum { MODE_FP32, MODE_TRUNC, MODE_RN, MODE_3X } gemm_mode;
static gemm_mode g_mode = MODE_FP32;

typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const enum CBLAS_TRANSPOSE, const blasint,
                         const blasint, const blasint, const float, const float *, const blasint, const float *,
                         const blasint, const float, float *, const blasint);
static sgemm_fn real_sgemm;

static float tf32(float x, int nearest) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if (nearest && (u & 0x7f800000u) != 0x7f800000u) u += 0x1000u;
    u &= ~0x1fffu;
    memcpy(&x, &u, 4);
    return x;
}

/* hi (and lo = x − hi, itself truncated) of a rows × ld operand. */
static void split(const float *x, int64_t n, float *hi, float *lo, int nearest) {
    for (int64_t i = 0; i < n; i++) {
        hi[i] = tf32(x[i], nearest);
        if (lo) lo[i] = tf32(x[i] - hi[i], 0);
    }
}

void cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta, const enum CBLAS_TRANSPOSE tb,
                 const blasint M, const blasint N, const blasint K, const float alpha, const float *A, const blasint lda,
                 const float *B, const blasint ldb, const float beta, float *C, const blasint ldc) {
    gemm_mode mode = g_mode;
    if (mode == MODE_FP32) {
        real_sgemm(order, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    /* Row-major storage: A is M×K (K×M transposed), B is K×N (N×K transposed). */
    int rm = order == CblasRowMajor;
    int64_t ra = rm ? (ta == CblasNoTrans ? M : K) : (ta == CblasNoTrans ? K : M);
    int64_t rb = rm ? (tb == CblasNoTrans ? K : N) : (tb == CblasNoTrans ? N : K);
    int64_t na = ra * lda, nb = rb * ldb;
    int three = mode == MODE_3X;
    float *buf = malloc(sizeof(float) * (size_t)(na + nb) * (three ? 2 : 1));
    if (!buf) abort();
    float *ah = buf, *bh = buf + na, *al = three ? buf + na + nb : NULL, *bl = three ? al + na : NULL;
    split(A, na, ah, al, mode == MODE_RN);
    split(B, nb, bh, bl, mode == MODE_RN);
    real_sgemm(order, ta, tb, M, N, K, alpha, ah, lda, bh, ldb, beta, C, ldc);
    if (three) {
        real_sgemm(order, ta, tb, M, N, K, alpha, ah, lda, bl, ldb, 1.0f, C, ldc);
        real_sgemm(order, ta, tb, M, N, K, alpha, al, lda, bh, ldb, 1.0f, C, ldc);
    }
    free(buf);
}

#define DIE(...) bench_die("tf32_probe", __VA_ARGS__)

typedef struct {
    double *joint, *full, *tot;
} phis;

/* Forwards in FP32, the backward under `mode`: φ at the joint and full stores. */
static void run(const dshap_net *net, const float *xi, const float *xr, int n_i, int n_r, int n_k, gemm_mode mode,
                phis *out) {
    const dshap_arch *a = &net->arch;
    engine_cfg cfg = {.max_inst = n_i, .max_ref = n_r, .max_classes = n_k, .memory_gib = 2.0};
    engine *e;
    g_mode = MODE_FP32;
    if (cpu_engine_ops.create(&e, net, &cfg)) DIE("engine create");
    float *logits = malloc(sizeof(float) * (size_t)(n_i > n_r ? n_i : n_r) * a->num_class);
    if (cpu_engine_ops.forward_ref(e, xr, n_r, logits) || cpu_engine_ops.forward_inst(e, xi, n_i, logits))
        DIE("forward");
    granularity gj = {STORE_JOINT, 0, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons};
    granularity gf = gj;
    gf.kind = STORE_FULL;
    int64_t nk = (int64_t)n_i * n_k;
    int *classes = malloc(sizeof(int) * (size_t)nk);
    for (int i = 0; i < n_i; i++)
        for (int k = 0; k < n_k; k++) classes[i * n_k + k] = k % a->num_class;
    out->joint = malloc(sizeof(double) * (size_t)(nk * gran_size(&gj)));
    out->full = malloc(sizeof(double) * (size_t)(nk * gran_size(&gf)));
    out->tot = malloc(sizeof(double) * (size_t)nk);
    g_mode = mode;
    if (cpu_engine_ops.attribute(e, RULES_EXACT, n_k, classes, &gj, out->joint, out->tot) ||
        cpu_engine_ops.attribute(e, RULES_EXACT, n_k, classes, &gf, out->full, out->tot))
        DIE("attribute");
    g_mode = MODE_FP32;
    cpu_engine_ops.destroy(e);
    free(logits), free(classes);
}

int main(int argc, char **argv) {
    const char *model = NULL, *data = NULL;
    int n_i = 1, n_r = 4, n_k = 60;
    static struct option lo[] = {{"model", 1, 0, 'm'}, {"data", 1, 0, 'd'},    {"inst", 1, 0, 'i'},
                                 {"refs", 1, 0, 'r'},  {"classes", 1, 0, 'k'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'i': n_i = atoi(optarg); break;
        case 'r': n_r = atoi(optarg); break;
        case 'k': n_k = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: tf32_probe --model M.h5 --data D.h5 [--inst 1 --refs 4 --classes 60]\n");
            return 2;
        }
    if (!model || !data || n_i < 1 || n_r < 1 || n_k < 1) {
        fprintf(stderr, "tf32_probe: --model and --data are required; sizes must be >= 1\n");
        return 2;
    }
    real_sgemm = (sgemm_fn)dlsym(RTLD_NEXT, "cblas_sgemm");
    if (!real_sgemm) {
        fprintf(stderr, "tf32_probe: no cblas_sgemm after this program's own (%s)\n", dlerror());
        return 1;
    }
    bench_inputs in;
    bench_load("tf32_probe", model, data, n_i, n_r, &in);
    const dshap_net *net = &in.net;
    const dshap_arch *a = &net->arch;
    const float *xi = in.xi, *xr = in.xr;
    int64_t F = in.F;
    if (n_k > a->num_class) n_k = a->num_class;
    granularity g = {STORE_JOINT, 0, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons};
    int64_t nk = (int64_t)n_i * n_k, Gj = gran_size(&g);
    g.kind = STORE_FULL;
    int64_t Gf = gran_size(&g);

    phis ref;
    run(net, xi, xr, n_i, n_r, n_k, MODE_FP32, &ref);
    const char *names[] = {"tf32-trunc", "tf32-rn", "3xtf32", "perturb-1e-6"};
    double dev[4][3];
    for (int md = 0; md < 4; md++) {
        phis p;
        if (md == 3) { /* FP32 again, inputs moved by a relative ±1e-6 */
            float *pi = malloc(sizeof(float) * (size_t)(n_i * F)), *pr = malloc(sizeof(float) * (size_t)(n_r * F));
            for (int64_t i = 0; i < n_i * F; i++) pi[i] = xi[i] * (float)(1 + (i % 2 ? 1e-6 : -1e-6));
            for (int64_t i = 0; i < n_r * F; i++) pr[i] = xr[i] * (float)(1 + (i % 3 ? -1e-6 : 1e-6));
            run(net, pi, pr, n_i, n_r, n_k, MODE_FP32, &p);
            free(pi), free(pr);
        } else {
            run(net, xi, xr, n_i, n_r, n_k, (gemm_mode)(md + 1), &p);
        }
        dev[md][0] = bench_rel_dev(p.joint, ref.joint, nk * Gj);
        dev[md][1] = bench_rel_dev(p.full, ref.full, nk * Gf);
        dev[md][2] = bench_rel_dev(p.tot, ref.tot, nk);
        printf("DEVIATION %s_vs_fp32 joint=%.3g full=%.3g totals=%.3g\n", names[md], dev[md][0], dev[md][1],
               dev[md][2]);
        fflush(stdout);
        free(p.joint), free(p.full), free(p.tot);
    }
    printf("\nCPU engine, %d instance(s) x %d references x %d classes, rules exact; backward GEMM operands:\n", n_i,
           n_r, n_k);
    printf("%-14s %10s %10s %10s   (max |phi - phi_FP32| / max |phi_FP32|; goal for TF32 <= 1e-3)\n", "mode",
           "joint", "full", "totals");
    for (int md = 0; md < 4; md++)
        printf("%-14s %10.3g %10.3g %10.3g\n", names[md], dev[md][0], dev[md][1], dev[md][2]);
    free(ref.joint), free(ref.full), free(ref.tot);
    bench_inputs_free(&in);
    return 0;
}
