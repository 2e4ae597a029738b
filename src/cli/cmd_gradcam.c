/* dshap gradcam: Grad-CAM maps at named layers → attributions.h5 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/backend.h"
#include "study/gradcam_job.h"

static const char *help =
    "usage: dshap gradcam --model m.h5 --data d.h5 --layer NAME [--layer NAME ...] -o attributions.h5\n"
    "         [--classes true|pred|all|LIST] [--negate] [--variant standard|shapgcn]\n"
    "         [--persons sum|mean|first] [--block B] [--memory GiB] [--backend auto|cpu|cuda]\n"
    "         [--tf32] [--quiet]\n"
    "Grad-CAM of every sample of d.h5 (data.h5 or inputs.h5) at each layer, named by its\n"
    "PyTorch module path ('dshap model info m.h5 --nodes' lists them; e.g.\n"
    "main_stream.block-1_tcn_main.conv, input_stream.0.block-0_att.activation).\n"
    "The model always runs in eval mode (BN running statistics, dropout off): the\n"
    "same function that 'dshap explain' attributes. (The published ShapGCN Grad-CAM\n"
    "ran in training mode; its maps are of a different function.)\n"
    "  --variant standard  alpha_k = mean_(t,v) dy_c/dA_k, map = ReLU(sum_k alpha_k A_k) (default)\n"
    "  --variant shapgcn   the published code: G / rms(G), the node weights collapse\n"
    "                      to one scalar s, map = ReLU(s mean_k A_k), (map - min) / (max + 1e-8)\n"
    "  --negate            counterfactual map (gradient negated)\n"
    "  --classes           explained classes: true (labels, default), pred, all, or 3,7,12\n"
    "  --persons           per-person layers: sum the persons' maps (standard default),\n"
    "                      mean, or first (person 0 only, the shapgcn default)\n"
    "  --block B           samples per forward (8); --memory G: gradient buffer, GiB (1)\n"
    "  --backend B         auto (the GPU when there is one, else the CPU), cpu, cuda;\n"
    "                      --tf32 allows TF32 GEMMs in the GPU's backward\n"
    "Writes /gradcam/<layer>/map (N, T', V), /joint (N, V) = map mean over time and\n"
    "/classes (N, K'); with several classes per sample map is (N, K', T', V) and joint\n"
    "(N, K', V). If -o names an existing attributions.h5 (e.g. from dshap explain) the\n"
    "groups are added to it (same samples required; a layer already there is replaced);\n"
    "otherwise a new attributions file is written. Runs on one rank.\n";

int cmd_gradcam(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},   {"data", required_argument, 0, 'd'},
        {"layer", required_argument, 0, 'l'},   {"classes", required_argument, 0, 'c'},
        {"negate", no_argument, 0, 'n'},        {"variant", required_argument, 0, 'v'},
        {"persons", required_argument, 0, 'p'}, {"block", required_argument, 0, 'b'},
        {"memory", required_argument, 0, 'M'},  {"output", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},         {"help", no_argument, 0, 'h'},
        {"backend", required_argument, 0, 'E'}, {"tf32", no_argument, 0, 'F'},
        {0, 0, 0, 0}};
    gc_job_opts o = {.classes = "true", .gc = {GC_STANDARD, 0, GC_PERSONS_SUM}, .memory_gib = 1.0};
    const char *persons = NULL, *backend = "auto";
    int c;
    long long v;
    optind = 1;
    opterr = 0;
    if (cli_no_duplicates("gradcam", argc, argv, opts, "layer")) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o.model = optarg; break;
        case 'd': o.data = optarg; break;
        case 'l':
            if (o.n_layers == GC_MAX_LAYERS) return cli_usage_error("gradcam", "more than %d --layer flags", GC_MAX_LAYERS);
            o.layers[o.n_layers++] = optarg;
            break;
        case 'c': o.classes = optarg; break;
        case 'n': o.gc.negate = 1; break;
        case 'v':
            if (!strcmp(optarg, "standard")) o.gc.variant = GC_STANDARD;
            else if (!strcmp(optarg, "shapgcn")) o.gc.variant = GC_SHAPGCN;
            else return cli_usage_error("gradcam", "--variant expects standard or shapgcn, got '%s'", optarg);
            break;
        case 'p': persons = optarg; break;
        case 'b':
            if (cli_int("gradcam", "--block", optarg, 1, 4096, &v)) return EXIT_USAGE;
            o.block = (int)v;
            break;
        case 'M':
            if (cli_double("gradcam", "--memory", optarg, 0.01, 1024, &o.memory_gib)) return EXIT_USAGE;
            break;
        case 'o': o.output = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'E': backend = optarg; break;
        case 'F': o.allow_tf32 = 1; break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error("gradcam", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("gradcam", "unexpected argument '%s'", argv[optind]);
    if (!o.model || !o.data || !o.output) return cli_usage_error("gradcam", "--model, --data and -o are required");
    if (!o.n_layers) return cli_usage_error("gradcam", "at least one --layer NAME is required");
    cli_paths in = {0};
    cli_paths_add(&in, o.model);
    cli_paths_add(&in, o.data);
    if (cli_check_outputs(&in, 1, (const char *[]){o.output}, (const char *[]){"-o"})) return 1;
    if (o.gc.variant == GC_SHAPGCN) o.gc.persons = GC_PERSONS_FIRST;
    if (persons) {
        if (!strcmp(persons, "sum")) o.gc.persons = GC_PERSONS_SUM;
        else if (!strcmp(persons, "mean")) o.gc.persons = GC_PERSONS_MEAN;
        else if (!strcmp(persons, "first")) o.gc.persons = GC_PERSONS_FIRST;
        else return cli_usage_error("gradcam", "--persons expects sum, mean or first, got '%s'", persons);
    }
    if (study_launch_size() > 1)
        return cli_usage_error("gradcam", "runs on one rank; started as one of %d MPI ranks (run it without mpirun/srun)", study_launch_size());
    char why[256] = "";
    o.engine = engine_for_backend(backend, why, sizeof why);
    if (!o.engine) {
        fprintf(stderr, "dshap: error: %s\n", why);
        return 1;
    }
    char *cmdline = study_join_args(argc, argv);
    o.command_line = cmdline;
    dshap_status st = gradcam_job_run(&o);
    free(cmdline);
    return st ? cli_fail(st) : 0;
}
