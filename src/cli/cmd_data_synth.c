/* dshap data synth: deterministic synthetic motion → data.h5, or NTU-style
 * .skeleton files (for the importer's benchmark and round-trip tests). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cmd_data.h"
#include "core/mem.h"
#include "data/skeleton.h"
#include "data/skeleton_write.h"
#include "data/synth.h"
#include "io/data_write.h"
#include "io/outpath.h"

#define BATCH 32

static const char *help =
    "usage: dshap data synth --layout ntu25|cp29|cp19 --n N [--classes K] [--frames T]\n"
    "                        [--persons M] [--second-person all|interactions] [--seed S]\n"
    "                        [--group-size W] -o data.h5\n"
    "       dshap data synth --layout ntu25 ... --format skeleton --out-dir DIR\n"
    "Skeletons with the layout's bone lengths moved by class-dependent periodic\n"
    "joint rotations (forward kinematics), per-sample variation and 4 mm noise.\n"
    "Sample i has label i mod K and depends only on (seed, i). Defaults: K = 60 (ntu25)\n"
    "or 2, T = 300 (ntu25) or 150, M = the layout's persons, seed 0.\n"
    "--format skeleton writes one SsssCcccPpppRrrrAaaa.skeleton file per sample\n"
    "(ntu25 only; action = label + 1; odd samples use CRLF line ends), readable by\n"
    "'dshap data import-ntu'.\n"
    "--group-size W adds /group (the subject / infant of each window, for the\n"
    "infant-level AUC of 'dshap perturb --metric auc-grouped'): sample i belongs to\n"
    "group K * (i / (K W)) + i mod K, so each group holds W windows of one label.\n"
    "--second-person interactions: as in NTU RGB+D 60, only labels 49-59 (the\n"
    "two-person actions A050-A060) have more than one person; in the others the\n"
    "later persons are absent (zero joints). Default: all, every person moves.\n";

static dshap_status write_h5(const synth_opts *o, int64_t n, int group_size, const char *out, const char *source) {
    data_writer w;
    float *x = NULL;
    int32_t y[BATCH], len[BATCH], group[BATCH];
    char *names[BATCH] = {0};
    size_t per = (size_t)o->L->C * o->T * o->L->V * o->M;
    TRY(outpath_check_space(out, (double)n * (double)per * sizeof(float)));
    TRY(data_writer_open(&w, out, o->L->C, o->T, o->L->V, o->M, group_size > 0));
    dshap_status st = DSHAP_OK;
    CHECK(dshap_alloc_floats(&x, per * BATCH, "synthetic batch"));
    for (int i = 0; i < BATCH; i++) CHECK(dshap_alloc((void **)&names[i], 32, "names"));
    for (int64_t i0 = 0; i0 < n; i0 += BATCH) {
        int b = n - i0 < BATCH ? (int)(n - i0) : BATCH;
        for (int j = 0; j < b; j++) {
            y[j] = synth_sample(o, i0 + j, x + j * per);
            len[j] = o->T;
            synth_name(o, i0 + j, y[j], names[j], 32);
            if (group_size > 0) /* labels are i mod K: a group = W windows of one label */
                group[j] = (int32_t)(o->K * ((i0 + j) / ((int64_t)o->K * group_size)) + (i0 + j) % o->K);
        }
        CHECK(data_writer_append(&w, b, x, y, len, names, group_size > 0 ? group : NULL));
    }
    data_attrs a = {.layout = o->L->name, .benchmark = "synth", .split = "all", .source = source};
    st = data_writer_commit(&w, &a);
    goto out;
done:
    data_writer_abort(&w);
out:
    dshap_free(x);
    for (int i = 0; i < BATCH; i++) dshap_free(names[i]);
    return st;
}

static dshap_status write_skeletons(const synth_opts *o, int64_t n, const char *dir, double *bytes) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) FAIL(DSHAP_EIO, "%s: cannot create folder (%s)", dir, strerror(errno));
    float *x;
    TRY(dshap_alloc_floats(&x, (size_t)3 * o->T * SK_JOINTS * o->M, "synthetic sample"));
    dshap_status st = DSHAP_OK;
    *bytes = 0;
    for (int64_t i = 0; i < n && !st; i++) {
        char name[32], path[4096], tmp[4200];
        int label = synth_sample(o, i, x);
        synth_name(o, i, label, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s.skeleton", dir, name);
        snprintf(tmp, sizeof tmp, "%s.part", path);
        FILE *fp = fopen(tmp, "wb");
        if (!fp) {
            st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot create (%s)", tmp, strerror(errno));
            break;
        }
        /* Body ids look like Kinect's 17-digit tracking ids. */
        st = skeleton_write(fp, path, x, o->T, o->M, 72057594037927936LL + 2 * i, (int)(i & 1));
        long size = ftell(fp);
        if (fclose(fp) != 0 && !st)
            st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: write failed: %s", path, outpath_write_reason(path, errno));
        if (!st && rename(tmp, path) != 0)
            st = dshap_fail(DSHAP_EIO, __FILE__, __LINE__, "%s: cannot rename into place (%s)", path, strerror(errno));
        if (st) remove(tmp);
        *bytes += (double)size;
    }
    dshap_free(x);
    return st;
}

int cmd_data_synth(int argc, char **argv) {
    static const struct option opts[] = {
        {"layout", required_argument, 0, 'l'}, {"n", required_argument, 0, 'n'},      {"classes", required_argument, 0, 'k'},
        {"frames", required_argument, 0, 't'}, {"persons", required_argument, 0, 'm'}, {"seed", required_argument, 0, 's'},
        {"output", required_argument, 0, 'o'}, {"format", required_argument, 0, 'f'}, {"out-dir", required_argument, 0, 'd'},
        {"group-size", required_argument, 0, 'g'}, {"second-person", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *cmd = "data synth", *layout = NULL, *out = NULL, *format = "h5", *dir = NULL;
    long long n = -1, K = -1, T = -1, M = -1, seed = 0, group_size = 0;
    int interactions = 0;
    int c;
    optind = 1;
    opterr = 0; /* one error line: ours */
    if (cli_no_duplicates(cmd, argc, argv, opts, NULL)) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "l:n:k:t:m:s:o:f:d:g:S:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': layout = optarg; break;
        case 'n': if (cli_int(cmd, "--n", optarg, 1, 100000000, &n)) return EXIT_USAGE; break;
        case 'k': if (cli_int(cmd, "--classes", optarg, 1, 999, &K)) return EXIT_USAGE; break;
        case 't': if (cli_int(cmd, "--frames", optarg, 1, 100000, &T)) return EXIT_USAGE; break;
        case 'm': if (cli_int(cmd, "--persons", optarg, 1, SK_MAX_BODIES, &M)) return EXIT_USAGE; break;
        case 's': if (cli_int(cmd, "--seed", optarg, 0, INT64_MAX, &seed)) return EXIT_USAGE; break;
        case 'o': out = optarg; break;
        case 'f': format = optarg; break;
        case 'd': dir = optarg; break;
        case 'g': if (cli_int(cmd, "--group-size", optarg, 1, 100000000, &group_size)) return EXIT_USAGE; break;
        case 'S':
            if (!strcmp(optarg, "all")) interactions = 0;
            else if (!strcmp(optarg, "interactions")) interactions = 1;
            else return cli_usage_error(cmd, "--second-person expects all or interactions (got '%s')", optarg);
            break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    const dshap_layout *L = layout_find(layout);
    if (!L) return cli_usage_error(cmd, "--layout must be one of %s", layout_names());
    if (n < 0) return cli_usage_error(cmd, "--n (number of samples) is required");
    int ntu = !strcmp(L->name, "ntu25");
    synth_opts o = {.L = L, .K = K > 0 ? (int)K : ntu ? 60 : 2, .T = T > 0 ? (int)T : ntu ? 300 : 150,
                    .M = M > 0 ? (int)M : L->M, .interactions_only = interactions, .seed = (uint64_t)seed};
    char source[320];
    snprintf(source, sizeof source,
             "dshap data synth --layout %s --n %lld --classes %d --frames %d --persons %d --second-person %s --seed %lld",
             L->name, n, o.K, o.T, o.M, interactions ? "interactions" : "all", seed);
    dshap_status st;
    if (!strcmp(format, "h5")) {
        if (!out || dir) return cli_usage_error(cmd, "--format h5 needs -o data.h5 (and no --out-dir)");
        cli_paths none = {0};
        if (cli_check_outputs(&none, 1, (const char *[]){out}, (const char *[]){"-o"})) return 1;
        st = write_h5(&o, n, (int)group_size, out, source);
        if (!st) printf("synth: %lld %s samples (%d classes, %d frames, %d persons) -> %s\n", n, L->name, o.K, o.T, o.M, out);
    } else if (!strcmp(format, "skeleton")) {
        if (!dir || out) return cli_usage_error(cmd, "--format skeleton needs --out-dir DIR (and no -o)");
        if (!ntu) return cli_usage_error(cmd, "--format skeleton needs --layout ntu25 (the .skeleton format has 25 3-D joints)");
        if (interactions) return cli_usage_error(cmd, "--second-person interactions needs --format h5");
        if (n > 239760) return cli_usage_error(cmd, "--format skeleton names at most 239760 samples uniquely");
        double bytes = 0;
        st = write_skeletons(&o, n, dir, &bytes);
        if (!st) printf("synth: %lld .skeleton files (%.1f MB) -> %s\n", n, bytes / 1e6, dir);
    } else {
        return cli_usage_error(cmd, "--format must be h5 or skeleton, got '%s'", format);
    }
    return st ? cli_fail(st) : 0;
}
