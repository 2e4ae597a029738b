#include "study/gradcam_job.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "engine/deeplift.h"
#include "io/inputs.h"

#define ATTR_FORMAT "dshap-attributions"

typedef struct {
    int64_t N;
    int n_k, K;
    int32_t *classes;  /* (N, n_k) */
    float *logits;     /* (N, K) */
    float **maps;      /* per layer (N, n_k, T', V) */
    double *seconds;   /* per layer: backward + map time */
    double forward_s, total_s;
} gc_result;

static const char *variant_name(gc_variant v) { return v == GC_STANDARD ? "standard" : "shapgcn"; }
static const char *persons_name(gc_persons p) {
    return p == GC_PERSONS_SUM ? "sum" : p == GC_PERSONS_MEAN ? "mean" : "first";
}

/* An existing attributions file to add to must describe the same samples. */
static dshap_status check_existing(const char *path, const inputs_src *s) {
    h5file f;
    TRY(h5io_open_read(&f, path, ATTR_FORMAT, 1));
    dshap_status st = DSHAP_OK;
    int rank;
    int64_t d[H5IO_MAX_RANK];
    const char *probe = h5io_exists(&f, "/labels") ? "/labels" : h5io_exists(&f, "/names") ? "/names" : NULL;
    if (!probe && h5io_exists(&f, "/shap/values")) probe = "/shap/values";
    if (probe) {
        CHECK(h5io_shape(&f, probe, &rank, d));
        if (d[0] != s->N)
            CHECK_FAIL(DSHAP_EFORMAT, "%s: holds %lld samples ('%s'), %s has %lld; write Grad-CAM to a new file instead",
                       path, (long long)d[0], probe, s->path, (long long)s->N);
    }
    if (s->labels && h5io_exists(&f, "/labels")) {
        int32_t *lab = NULL;
        int64_t n = s->N;
        CHECK(h5io_read_i32(&f, "/labels", 1, &n, &lab));
        int same = memcmp(lab, s->labels, sizeof *lab * (size_t)s->N) == 0;
        dshap_free(lab);
        if (!same) CHECK_FAIL(DSHAP_EFORMAT, "%s: its /labels differ from %s's; not the same samples", path, s->path);
    }
done:
    h5io_close(&f);
    return st;
}

static dshap_status write_layer(const h5file *f, const gc_job_opts *o, const dshap_net *net, int node_i, const char *name,
                                const gc_result *r, int l) {
    gc_geom g;
    TRY(gradcam_geom(net, node_i, name, &g));
    int T = g.T, V = g.V, nk = r->n_k;
    char path[600];
    snprintf(path, sizeof path, "/gradcam/%s", name);
    if (h5io_exists(f, path) && H5Ldelete(f->id, path, H5P_DEFAULT) < 0)
        FAIL(DSHAP_EIO, "%s: cannot replace '%s'", f->path, path);
    int64_t TV = (int64_t)T * V;
    float *joint;
    TRY(dshap_alloc_floats(&joint, (size_t)(r->N * nk * V), "joint scores"));
    for (int64_t i = 0; i < r->N * nk; i++)
        for (int v = 0; v < V; v++) {
            double s = 0;
            for (int t = 0; t < T; t++) s += r->maps[l][i * TV + (int64_t)t * V + v];
            joint[i * V + v] = (float)(s / T);
        }
    dshap_status st = DSHAP_OK;
    char ds[700];
    /* One class: (N, T', V) and (N, V) as FORMATS.md; several: a class axis after N. */
    int64_t dm[4] = {r->N, nk, T, V}, dj[3] = {r->N, nk, V}, dc[2] = {r->N, nk};
    if (nk == 1) {
        int64_t m1[3] = {r->N, T, V}, j1[2] = {r->N, V};
        snprintf(ds, sizeof ds, "%s/map", path);
        CHECK(h5io_write_f32(f, ds, 3, m1, r->maps[l]));
        snprintf(ds, sizeof ds, "%s/joint", path);
        CHECK(h5io_write_f32(f, ds, 2, j1, joint));
    } else {
        snprintf(ds, sizeof ds, "%s/map", path);
        CHECK(h5io_write_f32(f, ds, 4, dm, r->maps[l]));
        snprintf(ds, sizeof ds, "%s/joint", path);
        CHECK(h5io_write_f32(f, ds, 3, dj, joint));
    }
    snprintf(ds, sizeof ds, "%s/classes", path);
    CHECK(h5io_write_i32(f, ds, 2, dc, r->classes));
    char cls[256];
    class_spec cs;
    CHECK(class_spec_parse(&cs, o->classes, r->K));
    CHECK(h5io_write_attr_str(f, path, "layer", name));
    CHECK(h5io_write_attr_str(f, path, "variant", variant_name(o->gc.variant)));
    CHECK(h5io_write_attr_int(f, path, "negate", o->gc.negate));
    CHECK(h5io_write_attr_str(f, path, "persons", persons_name(o->gc.persons)));
    CHECK(h5io_write_attr_str(f, path, "classes", class_spec_name(&cs, cls, sizeof cls)));
    CHECK(h5io_write_attr_str(f, path, "mode", "eval"));
    CHECK(h5io_write_attr_int(f, path, "channels", g.C));
    CHECK(h5io_write_attr_f64(f, path, "seconds", r->seconds[l]));
done:
    dshap_free(joint);
    return st;
}

static dshap_status write_output(const gc_job_opts *o, const dshap_net *net, const int *nodes, const inputs_src *s,
                                 const gc_result *r) {
    char tmp[4096];
    h5io_temp_name(o->output, tmp, sizeof tmp);
    int add = access(o->output, F_OK) == 0;
    h5file f = {.id = H5I_INVALID_HID};
    if (add) {
        TRY(check_existing(o->output, s));
        TRY(study_copy_file(o->output, tmp));
        TRY(study_open_rw(&f, tmp));
    } else {
        TRY(h5io_create(&f, tmp, H5P_DEFAULT));
    }
    dshap_status st = DSHAP_OK;
    int64_t dn = s->N, dl[2] = {s->N, r->K};
    if (!add) {
        CHECK(h5io_write_attr_str(&f, "/", "format", ATTR_FORMAT));
        CHECK(h5io_write_attr_int(&f, "/", "format_version", 1));
        CHECK(h5io_write_attr_str(&f, "/", "dshap_version", DSHAP_VERSION));
        CHECK(h5io_write_attr_str(&f, "/", "model", o->model));
        CHECK(h5io_write_attr_str(&f, "/", "data", o->data));
        if (s->labels) CHECK(h5io_write_i32(&f, "/labels", 1, &dn, s->labels));
        if (s->names) CHECK(h5io_write_strings(&f, "/names", s->N, s->names));
    }
    CHECK(h5io_ensure_groups(&f, "/gradcam/x"));
    if (h5io_exists(&f, "/gradcam/output") && H5Ldelete(f.id, "/gradcam/output", H5P_DEFAULT) < 0)
        CHECK_FAIL(DSHAP_EIO, "%s: cannot replace /gradcam/output", tmp);
    CHECK(h5io_write_f32(&f, "/gradcam/output", 2, dl, r->logits));
    CHECK(h5io_write_attr_str(&f, "/gradcam", "model", o->model));
    CHECK(h5io_write_attr_str(&f, "/gradcam", "data", o->data));
    CHECK(h5io_write_attr_str(&f, "/gradcam", "mode", "eval (BN running statistics, dropout off)"));
    CHECK(h5io_write_attr_str(&f, "/gradcam", "command_line", o->command_line ? o->command_line : ""));
    CHECK(h5io_write_attr_f64(&f, "/gradcam", "forward_seconds", r->forward_s));
    CHECK(h5io_write_attr_f64(&f, "/gradcam", "seconds", r->total_s));
    for (int l = 0; l < o->n_layers; l++) CHECK(write_layer(&f, o, net, nodes[l], o->layers[l], r, l));
done:
    if (st) {
        h5io_discard(&f, tmp);
        return st;
    }
    return h5io_finish(&f, tmp, o->output);
}

dshap_status gradcam_job_run(const gc_job_opts *o) {
    double t_start = study_now();
    int tty = isatty(2); /* progress lines only on a terminal */
    dshap_model m = {0};
    dshap_net net = {0};
    inputs_src s = {0};
    const engine_ops *ops = o->engine ? o->engine : &cpu_engine_ops;
    engine *e = NULL;
    float *x = NULL, *logits = NULL;
    int *cls = NULL;
    int nodes[GC_MAX_LAYERS];
    gc_geom geom[GC_MAX_LAYERS];
    gc_result r = {0};
    class_spec cs;
    TRY(model_load(&m, o->model));
    dshap_status st = DSHAP_OK;
    CHECK(net_build(&net, &m));
    for (int l = 0; l < o->n_layers; l++) {
        nodes[l] = gradcam_find_layer(&net, o->layers[l]);
        if (nodes[l] < 0)
            CHECK_FAIL(DSHAP_EINVAL, "%s: no layer '%s' (dshap model info %s --nodes lists them)", o->model,
                       o->layers[l], o->model);
        CHECK(gradcam_check_layer(&net, nodes[l], o->layers[l]));
        for (int j = 0; j < l; j++)
            if (nodes[j] == nodes[l]) CHECK_FAIL(DSHAP_EINVAL, "--layer '%s' given twice", o->layers[l]);
    }
    int K = m.arch.num_class;
    CHECK(class_spec_parse(&cs, o->classes, K));
    CHECK(inputs_open(&s, o->data, &net));
    if (cs.mode == SEL_TRUE && !s.labels)
        CHECK_FAIL(DSHAP_EINVAL, "%s: --classes true needs labels (/y), and the file has none", o->data);
    int nk = class_spec_count(&cs, K);
    int64_t N = s.N;
    int block = o->block > 0 ? o->block : 8;
    if (block > N) block = (int)N;
    r.N = N;
    r.n_k = nk;
    r.K = K;
    CHECK(dshap_calloc((void **)&r.classes, (size_t)(N * nk), sizeof *r.classes, "classes"));
    CHECK(dshap_alloc_floats(&r.logits, (size_t)(N * K), "logits"));
    CHECK(dshap_calloc((void **)&r.maps, (size_t)o->n_layers, sizeof *r.maps, "maps"));
    CHECK(dshap_calloc((void **)&r.seconds, (size_t)o->n_layers, sizeof *r.seconds, "timings"));
    for (int l = 0; l < o->n_layers; l++) {
        CHECK(gradcam_geom(&net, nodes[l], o->layers[l], &geom[l]));
        CHECK(dshap_alloc_floats(&r.maps[l], (size_t)(N * nk * geom[l].T * geom[l].V), "Grad-CAM maps"));
    }
    int64_t max_bytes = (int64_t)((o->memory_gib > 0 ? o->memory_gib : 1.0) * (1 << 30));
    engine_cfg cfg = {.max_inst = block, .max_ref = 1, .max_classes = nk, .memory_gib = o->memory_gib,
                      .device = o->device, .allow_tf32 = o->allow_tf32, .keep_nodes = nodes, .n_keep = o->n_layers};
    CHECK(ops->create(&e, &net, &cfg));
    CHECK(dshap_alloc_floats(&x, (size_t)(block * inputs_sample_size(&s)), "input block"));
    CHECK(dshap_alloc_floats(&logits, (size_t)(block * K), "logits"));
    CHECK(dshap_calloc((void **)&cls, (size_t)block * nk, sizeof *cls, "classes"));
    for (int64_t i0 = 0; i0 < N; i0 += block) {
        int n = (int)(N - i0 < block ? N - i0 : block);
        CHECK(inputs_read(&s, i0, n, x));
        double t0 = study_now();
        CHECK(ops->forward_inst(e, x, n, logits));
        r.forward_s += study_now() - t0;
        memcpy(r.logits + i0 * K, logits, sizeof(float) * (size_t)(n * K));
        CHECK(class_spec_fill(&cs, K, s.labels, i0, n, logits, cls));
        for (int64_t e = 0; e < (int64_t)n * nk; e++) r.classes[i0 * nk + e] = cls[e];
        float *maps_at[GC_MAX_LAYERS];
        for (int l = 0; l < o->n_layers; l++) maps_at[l] = r.maps[l] + i0 * nk * geom[l].T * geom[l].V;
        CHECK(gradcam_block(ops, e, &net, n, nodes, o->n_layers, nk, cls, &o->gc, max_bytes, maps_at, r.seconds));
        if (!o->quiet && tty) fprintf(stderr, "\rgradcam: %lld/%lld samples", (long long)(i0 + n), (long long)N);
    }
    if (!o->quiet && tty) fprintf(stderr, "\n");
    r.total_s = study_now() - t_start;
    CHECK(write_output(o, &net, nodes, &s, &r));
    if (!o->quiet) {
        printf("gradcam: %lld samples x %d class(es) at %d layer(s) -> %s (%.2f s; forward %.2f s)\n", (long long)N, nk,
               o->n_layers, o->output, r.total_s, r.forward_s);
        for (int l = 0; l < o->n_layers; l++) printf("  %-60s %8.2f s\n", o->layers[l], r.seconds[l]);
    }
done:
    if (r.maps)
        for (int l = 0; l < o->n_layers; l++) dshap_free(r.maps[l]);
    dshap_free(r.maps);
    dshap_free(r.seconds);
    dshap_free(r.classes);
    dshap_free(r.logits);
    dshap_free(x);
    dshap_free(logits);
    dshap_free(cls);
    if (e) ops->destroy(e);
    inputs_close(&s);
    net_free(&net);
    model_free(&m);
    return st;
}
