/* Benchmark of the CUDA engine on one representative work unit of a job:
 * n_i instances × n_r references × n_k classes, timed per phase, and
 * extrapolated to the whole job (N instances, R references). Prints
 * key=value lines (RESULT, DEVIATION, CPUCHECK) that device_check.sh
 * turns into its table.
 *
 * Figures (all on the GPU named in the RESULT line):
 *  - t_ref, t_inst: forward of the chunk's references / the block's
 *    instances (upload, forward, logits back); t_attr: attribute() of the
 *    unit, to the reduced partials on the host. Median of --reps runs after
 *    one warm-up run.
 *  - unit_s = t_attr + t_inst + t_ref (the reference forward counted in
 *    every unit, as when units go block by block); full_s = unit_s × the
 *    units of the job (⌈N/n_i⌉·⌈R/n_r⌉), with a partial last block or chunk
 *    counted as a whole one.
 *  - tflops: useful FLOPs / unit_s, with a backward per triple counted as
 *    one forward (`dshap model info`'s forward FLOPs per sample) and the
 *    forwards of the unit's samples added: the rate of the job as asked.
 *    The engine does less: 60 classes at the joint store go through the
 *    classifier's 48 inputs (engine/basis.h), and person rows with equal
 *    inputs are left out (engine/rows.h; the synthetic data here has both
 *    persons everywhere, so none are).
 *  - peak_gib: device memory the engine allocated (its whole footprint: by
 *    default 85 % of the card goes to the batched backward); used_gib: total
 *    − free device memory after the run (CUDA context and cuBLAS workspaces
 *    included); fixed_gib + per_triple_mib: what the unit needs at least
 *    (parameters, activations, partials) and per triple of a sub-batch.
 *  - DEVIATION: max |φ_TF32 − φ_FP32| / max |φ_FP32| for the joint and the
 *    full granularity, and for the totals Σφ.
 *  - CPUCHECK: the same comparison of the FP32 GPU engine with the CPU
 *    engine on a small slice (--cpu-check). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "cuda/cuda_engine.h"
#include "cuda/device.h"
#include "bench_util.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define DIE(...) bench_die("bench_gpu", __VA_ARGS__)

typedef struct {
    double *joint, *full, *tot_joint;
} phis;

/* One engine: warm-up, timed repetitions, and the φ of the last run. */
static void run_mode(const engine_ops *ops, const dshap_net *net, const float *xi, const float *xr, int n_i, int n_r,
                     int n_k, int tf32, int reps, const char *label, double N, double R, phis *out) {
    const dshap_arch *a = &net->arch;
    int K = a->num_class;
    engine_cfg cfg = {.max_inst = n_i, .max_ref = n_r, .max_classes = n_k,
        .memory_gib = 0.0, .device = 0, .allow_tf32 = tf32};
    engine *e;
    double t0 = now();
    if (ops->create(&e, net, &cfg)) DIE("%s: engine create", label);
    double t_create = now() - t0;
    granularity gj = {STORE_JOINT, 0, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V, a->num_persons};
    granularity gf = gj;
    gf.kind = STORE_FULL;
    int64_t nk = (int64_t)n_i * n_k, Gj = gran_size(&gj), Gf = gran_size(&gf);
    int *classes = malloc(sizeof(int) * (size_t)nk);
    for (int i = 0; i < n_i; i++)
        for (int k = 0; k < n_k; k++) classes[i * n_k + k] = k % K;
    float *logits = malloc(sizeof(float) * (size_t)(n_i > n_r ? n_i : n_r) * K);
    out->joint = malloc(sizeof(double) * (size_t)(nk * Gj));
    out->full = malloc(sizeof(double) * (size_t)(nk * Gf));
    out->tot_joint = malloc(sizeof(double) * (size_t)nk);
    double *tot = malloc(sizeof(double) * (size_t)nk);
    double *tr = malloc(sizeof(double) * (reps + 1)), *ti = malloc(sizeof(double) * (reps + 1)),
           *ta = malloc(sizeof(double) * (reps + 1));
    for (int rep = 0; rep <= reps; rep++) { /* rep 0: warm-up */
        double s0 = now();
        if (ops->forward_ref(e, xr, n_r, logits)) DIE("%s: forward_ref", label);
        double s1 = now();
        if (ops->forward_inst(e, xi, n_i, logits)) DIE("%s: forward_inst", label);
        double s2 = now();
        if (ops->attribute(e, RULES_EXACT, n_k, classes, &gj, out->joint, out->tot_joint)) DIE("%s: attribute", label);
        double s3 = now();
        if (rep) {
            tr[rep - 1] = s1 - s0;
            ti[rep - 1] = s2 - s1;
            ta[rep - 1] = s3 - s2;
        }
        printf("TIMING mode=%s rep=%d t_ref=%.4f t_inst=%.4f t_attr=%.4f\n", label, rep, s1 - s0, s2 - s1, s3 - s2);
        fflush(stdout);
    }
    if (ops->attribute(e, RULES_EXACT, n_k, classes, &gf, out->full, tot)) DIE("%s: attribute (full)", label);
    double m_ref = median(tr, reps), m_inst = median(ti, reps), m_attr = median(ta, reps);
    double unit = m_ref + m_inst + m_attr;
    double units = ceil(N / n_i) * ceil(R / n_r);
    double triples = (double)n_i * n_r * n_k, fwd = net_flops(net);
    double flops = triples * fwd + (double)(n_i + n_r) * fwd;
    char desc[256];
    int64_t peak = 0;
    ops->describe(e, desc, sizeof desc, &peak);
    size_t fr = 0, tot_b = 0;
    cuda_mem_info(&fr, &tot_b);
    int64_t fixed = 0, per_pair = 0;
    cuda_engine_estimate(net, &cfg, &fixed, &per_pair);
    printf("RESULT mode=%s n_i=%d n_r=%d n_k=%d pairs_per_batch=%d t_create=%.3f t_ref=%.4f t_inst=%.4f t_attr=%.4f "
           "unit_s=%.4f units=%.0f full_s=%.1f full_min=%.2f us_per_triple=%.2f tflops=%.2f gflop_fwd=%.3f "
           "peak_gib=%.2f used_gib=%.2f fixed_gib=%.2f per_triple_mib=%.1f device=\"%s\"\n",
           label, n_i, n_r, n_k, ops == &cuda_engine_ops ? cuda_engine_pairs(e) : 0, t_create, m_ref, m_inst, m_attr,
           unit, units, unit * units, unit * units / 60, 1e6 * m_attr / triples, flops / unit * 1e-12, fwd * 1e-9,
           peak / 1073741824.0, (double)(tot_b - fr) / 1073741824.0, fixed / 1073741824.0, per_pair / 1048576.0, desc);
    fflush(stdout);
    ops->destroy(e);
    free(classes), free(logits), free(tot), free(tr), free(ti), free(ta);
}

int main(int argc, char **argv) {
    const char *model = NULL, *data = NULL, *modes = "fp32,tf32";
    int n_i = 4, n_r = 20, n_k = 60, reps = 3, cpu_r = 0;
    double N = 316, R = 100;
    static struct option lo[] = {{"model", 1, 0, 'm'},  {"data", 1, 0, 'd'}, {"inst", 1, 0, 'i'},
                                 {"refs", 1, 0, 'r'},   {"classes", 1, 0, 'k'}, {"reps", 1, 0, 'p'},
                                 {"N", 1, 0, 'N'},      {"R", 1, 0, 'R'},    {"modes", 1, 0, 'o'},
                                 {"cpu-check", 1, 0, 'c'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'i': n_i = atoi(optarg); break;
        case 'r': n_r = atoi(optarg); break;
        case 'k': n_k = atoi(optarg); break;
        case 'p': reps = atoi(optarg); break;
        case 'N': N = atof(optarg); break;
        case 'R': R = atof(optarg); break;
        case 'o': modes = optarg; break;
        case 'c': cpu_r = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: bench_gpu --model M.h5 --data D.h5 [--inst 4 --refs 20 --classes 60 --reps 3 "
                            "--N 316 --R 100 --modes fp32,tf32 --cpu-check NREF]\n");
            return 2;
        }
    if (!model || !data || n_i < 1 || n_r < 1 || n_k < 1 || reps < 1) {
        fprintf(stderr, "bench_gpu: --model and --data are required; sizes must be >= 1\n");
        return 2;
    }
    if (cuda_device_count() == 0) {
        printf("SKIP: bench_gpu needs a CUDA GPU and this machine has none\n");
        return 77;
    }
    bench_inputs in;
    bench_load("bench_gpu", model, data, n_i, n_r, &in);
    const dshap_net *net = &in.net;
    const dshap_arch *a = &net->arch;
    const float *xi = in.xi, *xr = in.xr;
    if (n_k > a->num_class) n_k = a->num_class;
    phis p32 = {0}, p_tf = {0};
    if (strstr(modes, "fp32")) run_mode(&cuda_engine_ops, net, xi, xr, n_i, n_r, n_k, 0, reps, "fp32", N, R, &p32);
    if (strstr(modes, "tf32")) run_mode(&cuda_engine_ops, net, xi, xr, n_i, n_r, n_k, 1, reps, "tf32", N, R, &p_tf);
    if (p32.joint && p_tf.joint) {
        granularity g = {STORE_JOINT, 0, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V,
                         a->num_persons};
        int64_t nk = (int64_t)n_i * n_k, Gj = gran_size(&g);
        g.kind = STORE_FULL;
        int64_t Gf = gran_size(&g);
        printf("DEVIATION tf32_vs_fp32 joint=%.3g full=%.3g totals=%.3g\n", bench_rel_dev(p_tf.joint, p32.joint, nk * Gj),
               bench_rel_dev(p_tf.full, p32.full, nk * Gf), bench_rel_dev(p_tf.tot_joint, p32.tot_joint, nk));
    }
    if (cpu_r > 0 && p32.joint) {
        /* The CPU engine on the first instance, cpu_r references, 8 classes. */
        int ck = n_k < 8 ? n_k : 8, nr = cpu_r < n_r ? cpu_r : n_r;
        phis pc = {0}, pg = {0};
        run_mode(&cpu_engine_ops, net, xi, xr, 1, nr, ck, 0, 1, "cpu", N, R, &pc);
        run_mode(&cuda_engine_ops, net, xi, xr, 1, nr, ck, 0, 1, "fp32-small", N, R, &pg);
        granularity g = {STORE_JOINT, 0, ARCH_BRANCHES, 2 * a->in_channels, a->num_frames, a->layout->V,
                         a->num_persons};
        int64_t Gj = gran_size(&g);
        g.kind = STORE_FULL;
        int64_t Gf = gran_size(&g);
        printf("CPUCHECK gpu_fp32_vs_cpu refs=%d classes=%d joint=%.3g full=%.3g totals=%.3g\n", nr, ck,
               bench_rel_dev(pg.joint, pc.joint, ck * Gj), bench_rel_dev(pg.full, pc.full, ck * Gf),
               bench_rel_dev(pg.tot_joint, pc.tot_joint, ck));
    }
    bench_inputs_free(&in);
    return 0;
}
