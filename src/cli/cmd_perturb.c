/* dshap perturb: edge-importance perturbation curves guided by joint scores */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "study/perturb_job.h"
#include "study/util.h"

static const char *help =
    "usage: dshap perturb --model m.h5 --data d.h5 --scores [NAME=]FILE:DATASET -o curves.h5\n"
    "         [--k 1..10] [--select top,bottom,random] [--mode amplify|toward-zero|zero-out]\n"
    "         [--thresh X] [--seed S] [--repeats R] [--metric accuracy|auc-grouped|agreement|probability]\n"
    "         [--sets global|per-sample] [--score-class auto|true|C] [--range original|sequential]\n"
    "         [--no-sign-switch] [--csv curves.csv] [--label NAME] [--save-model FILE] [--quiet]\n"
    "         [--edge-tensors PATTERN]\n"
    "For each k, changes the self-loop E[0, j, j] of partition 0 in every SGC layer\n"
    "(all branches and the main stream) for the k selected joints j, and evaluates\n"
    "the model (eval mode) on every sample of d.h5.\n"
    "  --edge-tensors imported models (needed there): a glob over the constants'\n"
    "                names (dshap model info --constants); each, of shape (..., V, V)\n"
    "                or (n·V, V), is n (V, V) blocks and joint j changes (j, j) of\n"
    "                every block where it is nonzero (d from that block's range)\n"
    "  --scores      joint scores: (N, V) or (N, K', V), e.g. a.h5:/shap/values or\n"
    "                a.h5:/gradcam/main_stream.block-1_tcn_main.conv/joint; A+B sums parts\n"
    "                after scaling each to [0, 1] per sample. --score-class picks the\n"
    "                class column (auto: the only one, else the label's)\n"
    "  --sets global (default): joints ranked by the mean score over samples, one set\n"
    "                per k for all samples; per-sample: each sample perturbed at its own\n"
    "                top/bottom joints (the published loop; slower)\n"
    "  --select      top: the k highest positive scores (fewer if fewer are positive);\n"
    "                bottom: the k lowest scores; random: k random joints (the first k of\n"
    "                a seeded permutation), repeated R times (seeds S..S+R-1) -> mean +- sd\n"
    "  --mode        amplify: E += d if E > 0 else E -= d, d = thresh * (max E[0] - min E[0]);\n"
    "                toward-zero: E moves toward 0 by d (may cross 0 unless --no-sign-switch,\n"
    "                then it stops at +-1e-5); zero-out: E = 1e-5\n"
    "  --range       original (default): d from the unperturbed E[0]; sequential: re-read\n"
    "                after each joint's change (the published loop)\n"
    "  --metric      accuracy (top-1), or auc-grouped: softmax, class-1 probability per\n"
    "                window, median per /group, ROC AUC across groups (ties count half);\n"
    "                agreement: top-1 equal to the unperturbed model's (no labels needed;\n"
    "                shows a perturbation's effect on untrained, random-weight models);\n"
    "                probability: the mean softmax probability of the labelled class (moves\n"
    "                while a confident model's top-1 stays put)\n"
    "  --k           1..10 (default), a single k, or a list 1,2,5\n"
    "  --save-model  write the model perturbed for the first selection at the largest k\n"
    "Defaults: --select top,bottom,random --mode amplify --thresh 0.5 --seed 0 --repeats 5.\n"
    "Writes /k, /baseline, /<select>/{metric, sd, runs, joints, n_joints} (HDF5) and a CSV.\n";

static int parse_k(const char *s, perturb_job_opts *o) {
    int a, b, n;
    o->n_k = 0;
    if (sscanf(s, "%d..%d%n", &a, &b, &n) == 2 && !s[n]) {
        if (a < 1 || b < a || b - a + 1 > PJ_MAX_K) return -1;
        for (int k = a; k <= b; k++) o->ks[o->n_k++] = k;
        return 0;
    }
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || v < 1 || o->n_k == PJ_MAX_K) return -1;
        if (o->n_k && v <= o->ks[o->n_k - 1]) return -1;
        o->ks[o->n_k++] = (int)v;
        p = *end ? end + 1 : end;
    }
    return o->n_k ? 0 : -1;
}

int cmd_perturb(int argc, char **argv) {
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},       {"data", required_argument, 0, 'd'},
        {"scores", required_argument, 0, 's'},      {"k", required_argument, 0, 'k'},
        {"select", required_argument, 0, 'S'},      {"mode", required_argument, 0, 'M'},
        {"thresh", required_argument, 0, 't'},      {"seed", required_argument, 0, 'e'},
        {"repeats", required_argument, 0, 'r'},     {"metric", required_argument, 0, 'x'},
        {"sets", required_argument, 0, 'g'},        {"score-class", required_argument, 0, 'c'},
        {"range", required_argument, 0, 'R'},       {"no-sign-switch", no_argument, 0, 'n'},
        {"csv", required_argument, 0, 'C'},         {"label", required_argument, 0, 'L'},
        {"save-model", required_argument, 0, 'w'},  {"block", required_argument, 0, 'b'},
        {"output", required_argument, 0, 'o'},      {"quiet", no_argument, 0, 'q'},
        {"edge-tensors", required_argument, 0, 'E'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    perturb_job_opts o = {.p = {PM_AMPLIFY, 0.5, PR_ORIGINAL, 0}, .repeats = 5, .metric = MET_ACCURACY};
    parse_k("1..10", &o);
    const char *select = "top,bottom,random";
    int c;
    long long v;
    optind = 1;
    opterr = 0;
    if (cli_no_duplicates("perturb", argc, argv, opts, NULL)) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o.model = optarg; break;
        case 'd': o.data = optarg; break;
        case 's': o.scores = optarg; break;
        case 'k':
            if (parse_k(optarg, &o))
                return cli_usage_error("perturb", "--k expects A..B, a number or an increasing list like 1,2,5 (k >= 1, at most %d values), got '%s'",
                                       PJ_MAX_K, optarg);
            break;
        case 'S': select = optarg; break;
        case 'M':
            if (!strcmp(optarg, "amplify")) o.p.mode = PM_AMPLIFY;
            else if (!strcmp(optarg, "toward-zero")) o.p.mode = PM_TOWARD_ZERO;
            else if (!strcmp(optarg, "zero-out")) o.p.mode = PM_ZERO_OUT;
            else return cli_usage_error("perturb", "--mode expects amplify, toward-zero or zero-out, got '%s'", optarg);
            break;
        case 't':
            if (cli_double("perturb", "--thresh", optarg, 0, 1e6, &o.p.thresh)) return EXIT_USAGE;
            break;
        case 'e':
            if (cli_int("perturb", "--seed", optarg, 0, (long long)1 << 62, &v)) return EXIT_USAGE;
            o.seed = (uint64_t)v;
            break;
        case 'r':
            if (cli_int("perturb", "--repeats", optarg, 1, 10000, &v)) return EXIT_USAGE;
            o.repeats = (int)v;
            break;
        case 'x':
            if (!strcmp(optarg, "accuracy")) o.metric = MET_ACCURACY;
            else if (!strcmp(optarg, "auc-grouped")) o.metric = MET_AUC_GROUPED;
            else if (!strcmp(optarg, "agreement")) o.metric = MET_AGREEMENT;
            else if (!strcmp(optarg, "probability")) o.metric = MET_PROBABILITY;
            else
                return cli_usage_error("perturb", "--metric expects accuracy, auc-grouped, agreement or probability, got '%s'",
                                       optarg);
            break;
        case 'g':
            if (!strcmp(optarg, "global")) o.per_sample = 0;
            else if (!strcmp(optarg, "per-sample")) o.per_sample = 1;
            else return cli_usage_error("perturb", "--sets expects global or per-sample, got '%s'", optarg);
            break;
        case 'c': o.score_class = optarg; break;
        case 'R':
            if (!strcmp(optarg, "original")) o.p.range = PR_ORIGINAL;
            else if (!strcmp(optarg, "sequential")) o.p.range = PR_SEQUENTIAL;
            else return cli_usage_error("perturb", "--range expects original or sequential, got '%s'", optarg);
            break;
        case 'n': o.p.no_sign_switch = 1; break;
        case 'C': o.csv = optarg; break;
        case 'L': o.label = optarg; break;
        case 'w': o.save_model = optarg; break;
        case 'b':
            if (cli_int("perturb", "--block", optarg, 1, 4096, &v)) return EXIT_USAGE;
            o.block = (int)v;
            break;
        case 'o': o.output = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'E':
            if (!*optarg) return cli_usage_error("perturb", "--edge-tensors expects a pattern");
            o.edge_tensors = optarg;
            break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error("perturb", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("perturb", "unexpected argument '%s'", argv[optind]);
    if (!o.model || !o.data || !o.scores || !o.output)
        return cli_usage_error("perturb", "--model, --data, --scores and -o are required");
    char buf[256];
    snprintf(buf, sizeof buf, "%s", select);
    int any = 0;
    for (char *p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
        int s = !strcmp(p, "top") ? SEL_TOP : !strcmp(p, "bottom") ? SEL_BOTTOM : !strcmp(p, "random") ? SEL_RANDOM : -1;
        if (s < 0) return cli_usage_error("perturb", "--select expects top, bottom, random or a list of them, got '%s'", select);
        o.select[s] = any = 1;
    }
    if (!any) return cli_usage_error("perturb", "--select names no selection");
    if (o.save_model && o.per_sample) return cli_usage_error("perturb", "--save-model needs --sets global");
    cli_paths in = {0};
    cli_paths_add(&in, o.model);
    cli_paths_add(&in, o.data);
    cli_paths_add_spec(&in, o.scores);
    if (cli_check_outputs(&in, 3, (const char *[]){o.output, o.csv, o.save_model},
                          (const char *[]){"-o", "--csv", "--save-model"}))
        return 1;
    if (study_launch_size() > 1)
        return cli_usage_error("perturb", "runs on one rank; started as one of %d MPI ranks (run it without mpirun/srun)", study_launch_size());
    char *cmdline = study_join_args(argc, argv);
    o.command_line = cmdline;
    dshap_status st = perturb_job_run(&o);
    free(cmdline);
    return st ? cli_fail(st) : 0;
}
