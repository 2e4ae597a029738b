#include "study/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "io/outpath.h"

double study_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

dshap_status class_spec_parse(class_spec *c, const char *s, int K) {
    memset(c, 0, sizeof *c);
    if (!strcmp(s, "true")) c->mode = SEL_TRUE;
    else if (!strcmp(s, "pred")) c->mode = SEL_PRED;
    else if (!strcmp(s, "all")) c->mode = SEL_ALL;
    else {
        c->mode = SEL_LIST;
        const char *p = s;
        while (*p) {
            char *end;
            errno = 0;
            long v = strtol(p, &end, 10);
            if (end == p || errno || (*end && *end != ','))
                FAIL(DSHAP_EINVAL, "--classes expects true, pred, all or a list like 3,7,12; got '%s'", s);
            if (v < 0 || v >= K) FAIL(DSHAP_EINVAL, "--classes: class %ld is outside the model's %d classes", v, K);
            if (c->n_list == STUDY_MAX_CLASSES) FAIL(DSHAP_EINVAL, "--classes: more than %d classes", STUDY_MAX_CLASSES);
            c->list[c->n_list++] = (int)v;
            p = *end ? end + 1 : end;
            if (*end == ',' && !*p) FAIL(DSHAP_EINVAL, "--classes: trailing comma in '%s'", s);
        }
        if (!c->n_list) FAIL(DSHAP_EINVAL, "--classes: empty list");
    }
    return DSHAP_OK;
}

dshap_status class_spec_fill(const class_spec *c, int K, const int32_t *labels, int64_t i0, int n,
                             const float *logits, int *classes) {
    int nk = class_spec_count(c, K);
    for (int i = 0; i < n; i++) {
        int *ci = classes + (int64_t)i * nk;
        switch (c->mode) {
        case SEL_TRUE:
            if (!labels) FAIL(DSHAP_EINVAL, "--classes true needs labels, and the input has no /y");
            ci[0] = labels[i0 + i];
            break;
        case SEL_PRED: {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (logits[(int64_t)i * K + k] > logits[(int64_t)i * K + best]) best = k;
            ci[0] = best;
            break;
        }
        case SEL_ALL:
            for (int k = 0; k < K; k++) ci[k] = k;
            break;
        case SEL_LIST: memcpy(ci, c->list, sizeof(int) * (size_t)c->n_list); break;
        }
    }
    return DSHAP_OK;
}

const char *class_spec_name(const class_spec *c, char *buf, size_t cap) {
    const char *fixed[] = {"true", "pred", "all"};
    if (c->mode != SEL_LIST) {
        snprintf(buf, cap, "%s", fixed[c->mode]);
        return buf;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < c->n_list && used + 12 < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, i ? ",%d" : "%d", c->list[i]);
    return buf;
}

dshap_status study_copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb");
    if (!in) FAIL(DSHAP_EIO, "%s: cannot open (%s)", from, strerror(errno));
    FILE *out = fopen(to, "wb");
    if (!out) {
        int err = errno;
        fclose(in);
        FAIL(DSHAP_EIO, "%s: cannot create (%s)", to, outpath_write_reason(to, err));
    }
    outpath_temp_register(to);
    char buf[1 << 16];
    size_t got;
    int bad = 0;
    int err = 0;
    while (!bad && (got = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, got, out) != got) bad = 1, err = errno;
    if (ferror(in)) bad = 1;
    fclose(in);
    if (fclose(out) != 0 && !bad) bad = 1, err = errno;
    if (bad) {
        char shown[4096];
        outpath_temp_remove(to);
        FAIL(DSHAP_EIO, "%s: copying %s failed: %s; nothing written", h5io_shown(to, shown, sizeof shown), from,
             outpath_write_reason(to, err));
    }
    return DSHAP_OK;
}

dshap_status study_open_rw(h5file *f, const char *path) {
    h5io_quiet();
    f->path = path;
    f->id = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f->id < 0) FAIL(DSHAP_EIO, "%s: HDF5 could not open the file for writing", path);
    return DSHAP_OK;
}

char *study_join_args(int argc, char **argv) {
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int study_launch_size(void) {
    /* Not SLURM_NTASKS: a single command inside a many-task allocation is one process. */
    const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 1) return atoi(v);
    }
    return 1;
}
