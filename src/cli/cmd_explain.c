/* dshap explain — DeepSHAP attributions over all MPI ranks. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/backend.h"
#include "jobs/explain.h"
#include "jobs/jobfile.h"
#include "mpi/placement.h"

static const char *help =
    "usage: dshap explain --model m.h5 --data val.h5 --background train.h5 -o attributions.h5\n"
    "         [--n-background 100 --background-seed S | --background-indices FILE]\n"
    "         [--chunk 20] [--block B] [--classes true|pred|all|LIST] [--rules exact|shap]\n"
    "         [--store joint|channel-joint|frame|full] [--persons sum|each]\n"
    "         [--check-additivity TOL] [--memory GiB] [--resume] [--no-progress]\n"
    "         [--job FILE] [--bind auto|none|core|numa] [--backend auto|cpu|cuda] [--tf32]\n"
    "         [--transport auto|mpi|nccl] [--all-rows] [--class-seeds]\n"
    "Run under mpirun / srun to spread work units over ranks; results are bitwise\n"
    "identical for any rank count. --data/--background take inputs.h5 or data.h5.\n"
    "  --n-background N     references drawn (seeded) from the background file (100)\n"
    "  --chunk C            references per work unit (20); chunks combine exactly\n"
    "  --block B            instances per work unit (default 4)\n"
    "  --classes            true (labels), pred (argmax), all, or a list like 3,7,12 (pred)\n"
    "  --rules              exact: additive rules (default); shap: as shap.DeepExplainer\n"
    "  --store              granularity of the stored values (joint)\n"
    "  --check-additivity T fail if |residual| > T·max(1, |f(x) - phi0|) anywhere\n"
    "  --memory G           working memory for the batched backward, GiB (2)\n"
    "  --resume             reuse the work units saved in OUTPUT.ckpt/ by an interrupted run\n"
    "  --job FILE           a job description (jobs/README.md); flags given here override it\n"
    "  --bind MODE          CPU binding per rank (auto); none leaves it to srun/mpirun\n"
    "  --backend B          auto (a GPU per rank when there are GPUs, else the CPU), cpu, cuda\n"
    "  --tf32               allow TF32 tensor-core GEMMs in the GPU's backward (FP32 by\n"
    "                       default); phi then moves by about 1e-2 of max |phi|\n"
    "  --transport T        how partials travel between ranks: auto (NCCL between GPUs\n"
    "                       when built with NCCL, else MPI), mpi, nccl\n"
    "  --all-rows           also run the person rows whose instance and reference inputs are\n"
    "                       equal (an absent second person in both): their phi is exactly 0 and\n"
    "                       they are left out by default; the output is the same bytes\n"
    "  --class-seeds        a backward seed per explained class; by default, with more\n"
    "                       classes than the classifier has inputs (NTU X-View: 60 > 48)\n"
    "                       and a reduced store, the inputs are seeded and combined\n"
    "                       (exact up to float rounding)\n";

static int parse_classes(explain_opts *o, const char *s) {
    if (!strcmp(s, "true")) o->classes = CLASSES_TRUE;
    else if (!strcmp(s, "pred")) o->classes = CLASSES_PRED;
    else if (!strcmp(s, "all")) o->classes = CLASSES_ALL;
    else {
        o->classes = CLASSES_LIST;
        o->n_list = 0;
        const char *p = s;
        while (*p) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || (*end && *end != ',') || v < 0 || o->n_list == EXPLAIN_MAX_CLASSES) return -1;
            for (int i = 0; i < o->n_list; i++)
                if (o->list[i] == v) return -1;
            o->list[o->n_list++] = (int)v;
            p = *end ? end + 1 : end;
        }
        if (!o->n_list) return -1;
    }
    return 0;
}

static char *join_args(int argc, char **argv) {
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = calloc(n, 1);
    strcpy(s, "dshap");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* The job file named by --job, if any (its values are defaults for the flags). */
static const char *job_arg(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--job") && i + 1 < argc) return argv[i + 1];
        if (!strncmp(argv[i], "--job=", 6)) return argv[i] + 6;
    }
    return NULL;
}

static int parse(int argc, char **argv, explain_opts *o, const char **bind, const char **backend) {
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},          {"data", required_argument, 0, 'd'},
        {"background", required_argument, 0, 'b'},     {"output", required_argument, 0, 'o'},
        {"n-background", required_argument, 0, 'n'},   {"background-seed", required_argument, 0, 's'},
        {"background-indices", required_argument, 0, 'I'}, {"chunk", required_argument, 0, 'c'},
        {"block", required_argument, 0, 'B'},          {"classes", required_argument, 0, 'k'},
        {"rules", required_argument, 0, 'r'},          {"store", required_argument, 0, 'S'},
        {"persons", required_argument, 0, 'p'},        {"check-additivity", required_argument, 0, 'a'},
        {"memory", required_argument, 0, 'M'},         {"no-progress", no_argument, 0, 'P'},
        {"resume", no_argument, 0, 'R'},              {"job", required_argument, 0, 'J'},
        {"bind", required_argument, 0, 'G'},          {"backend", required_argument, 0, 'E'},
        {"tf32", no_argument, 0, 'F'},                 {"transport", required_argument, 0, 'X'},
        {"all-rows", no_argument, 0, 'W'},            {"class-seeds", no_argument, 0, 'Q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *cmd = "explain";
    long long v;
    int c;
    optind = 1;
    opterr = 0;
    if (cli_no_duplicates(cmd, argc, argv, opts, NULL)) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "m:d:b:o:n:s:I:c:B:k:r:S:p:a:M:PRJ:G:E:FX:WQh", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'd': o->data = optarg; break;
        case 'b': o->background = optarg; break;
        case 'o': o->output = optarg; break;
        case 'n': if (cli_int(cmd, "--n-background", optarg, 1, 1 << 30, &v)) return EXIT_USAGE; o->n_background = (int)v; o->background_indices = NULL; break;
        case 's': if (cli_int(cmd, "--background-seed", optarg, 0, (1LL << 62), &v)) return EXIT_USAGE; o->background_seed = (uint64_t)v; break;
        case 'I': o->background_indices = optarg; o->n_background = 0; break;
        case 'c': if (cli_int(cmd, "--chunk", optarg, 1, 1 << 20, &v)) return EXIT_USAGE; o->chunk = (int)v; break;
        case 'B': if (cli_int(cmd, "--block", optarg, 1, 1 << 20, &v)) return EXIT_USAGE; o->block = (int)v; break;
        case 'k':
            if (parse_classes(o, optarg)) return cli_usage_error(cmd, "--classes expects true, pred, all or a list of distinct class numbers like 3,7 (got '%s')", optarg);
            break;
        case 'r':
            if (!strcmp(optarg, "exact")) o->rules = RULES_EXACT;
            else if (!strcmp(optarg, "shap")) o->rules = RULES_SHAP;
            else return cli_usage_error(cmd, "--rules expects exact or shap (got '%s')", optarg);
            break;
        case 'S': if (gran_parse(optarg, &o->store)) return cli_usage_error(cmd, "--store expects joint, channel-joint, frame or full (got '%s')", optarg); break;
        case 'p':
            if (!strcmp(optarg, "sum")) o->persons_each = 0;
            else if (!strcmp(optarg, "each")) o->persons_each = 1;
            else return cli_usage_error(cmd, "--persons expects sum or each (got '%s')", optarg);
            break;
        case 'a': if (cli_double(cmd, "--check-additivity", optarg, 1e-12, 1e6, &o->check_additivity)) return EXIT_USAGE; break;
        case 'M': if (cli_double(cmd, "--memory", optarg, 0.01, 1e6, &o->memory_gib)) return EXIT_USAGE; break;
        case 'P': o->progress = 0; break;
        case 'R': o->resume = 1; break;
        case 'J': break; /* loaded before the flags */
        case 'E': *backend = optarg; break;
        case 'F': o->allow_tf32 = 1; break;
        case 'W': o->all_rows = 1; break;
        case 'Q': o->class_seeds = 1; break;
        case 'X':
            if (xfer_parse(optarg) < 0) return cli_usage_error(cmd, "--transport expects auto, mpi or nccl (got '%s')", optarg);
            o->transport = (xfer_kind)xfer_parse(optarg);
            break;
        case 'G':
            if (strcmp(optarg, "auto") && strcmp(optarg, "none") && strcmp(optarg, "core") && strcmp(optarg, "numa"))
                return cli_usage_error(cmd, "--bind expects auto, none, core or numa (got '%s')", optarg);
            *bind = optarg;
            break;
        case 'h': fputs(help, stdout); return -1;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o->model || !o->data || !o->background || !o->output)
        return cli_usage_error(cmd, "--model, --data, --background and -o are required");
    if (o->background_indices && o->n_background)
        return cli_usage_error(cmd, "give --n-background or --background-indices, not both");
    if (!o->background_indices && !o->n_background) o->n_background = 100;
    return 0;
}

int cmd_explain(int argc, char **argv) {
    static explain_opts o;
    memset(&o, 0, sizeof o);
    o.chunk = 20;
    o.classes = CLASSES_PRED;
    o.rules = RULES_EXACT;
    o.store = STORE_JOINT;
    o.progress = 1;
    dist_ctx d;
    int argc0 = argc;
    char **argv0 = argv;
    dshap_status st = dist_init(&d, &argc, &argv);
    if (st) return cli_fail(st);
    jobfile jf = {0};
    const char *job = job_arg(argc0, argv0), *bind = "auto", *backend = "auto";
    if (job && (st = jobfile_load(job, &o, &jf))) {
        if (d.rank == 0) cli_fail(st);
        dist_finalize(&d);
        return 1;
    }
    /* every rank parses the same flags; only rank 0 may say what is wrong
     * with them (else 3 ranks print 3 interleaved copies) */
    int saved_err = -1, saved_out = -1;
    if (d.rank != 0) {
        int null = open("/dev/null", O_WRONLY);
        fflush(stdout);
        fflush(stderr);
        if (null >= 0) {
            saved_err = dup(2);
            saved_out = dup(1);
            dup2(null, 2);
            dup2(null, 1);
            close(null);
        }
    }
    int rc = parse(argc0, argv0, &o, &bind, &backend);
    if (saved_err >= 0) {
        fflush(stdout);
        fflush(stderr);
        dup2(saved_err, 2);
        dup2(saved_out, 1);
        close(saved_err);
        close(saved_out);
    }
    if (rc) {
        jobfile_free(&jf);
        dist_finalize(&d);
        return rc < 0 ? 0 : rc;
    }
    cli_paths in = {0};
    const char *inputs[] = {o.model, o.data, o.background, o.background_indices, job};
    for (int i = 0; i < 5; i++) cli_paths_add(&in, inputs[i]);
    if ((st = cli_outputs_status(&in, 1, (const char *[]){o.output}, (const char *[]){"-o"}))) {
        if (d.rank == 0) cli_fail(st);
        jobfile_free(&jf);
        dist_finalize(&d);
        return 1;
    }
    char why[256] = "";
    o.engine = engine_for_backend(backend, why, sizeof why);
    if (!o.engine) {
        if (d.rank == 0) fprintf(stderr, "dshap: error: %s\n", why);
        jobfile_free(&jf);
        dist_finalize(&d);
        return 1;
    }
    o.backend_note = why;
    int gpu = o.engine == &cpu_engine_ops ? -1 : placement_pick_gpu(&d, backend_gpu_count());
    o.device = gpu < 0 ? 0 : gpu;
    o.gpu = gpu;
    o.bind = bind;
    char *cl = join_args(argc0, argv0);
    o.command_line = cl;
    if (!st) st = explain_run(&d, &o);
    free(cl);
    jobfile_free(&jf);
    int code = 0;
    if (st) {
        if (d.rank == 0) cli_fail(st);
        code = 1;
    }
    dist_finalize(&d);
    return code;
}
