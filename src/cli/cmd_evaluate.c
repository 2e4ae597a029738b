/* dshap evaluate: faithfulness and stability metrics of joint scores */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "study/evaluate_job.h"
#include "study/util.h"

static const char *help =
    "usage: dshap evaluate --data d.h5 --scores [NAME=]FILE:DATASET [--scores ...] -o eval.h5\n"
    "         [--csv eval.csv] [--k K] [--score-class auto|true|C]\n"
    "         [--model m.h5 [--pg-k 3] [--pg-perturb noise|freeze] [--pg-sigma 0.05]\n"
    "         [--repeats 8] [--seed S]]\n"
    "         [--perturbed p.h5 --perturbed-scores [NAME=]FILE:DATASET ...]\n"
    "         [--curves curves.h5 [--curves-csv c.csv] [--curve-k 10]\n"
    "          [--curve-metric accuracy|auc-grouped|probability] [--label NAME]] [--quiet]\n"
    "       dshap evaluate jitter --data d.h5 --sigma 0.005 --copies P [--seed S] -o p.h5\n"
    "Per score source and sample (sources as in 'dshap perturb --help'; higher = more\n"
    "important, signed scores as stored):\n"
    "  recovery (when d.h5 has /planted (N, V), e.g. tools/planted.py's data):\n"
    "    AUC of the planted set (ROC AUC of the scores against it, ties half) and\n"
    "    precision@k (k = --k, default the set's size; ties at position k by expectation)\n"
    "  PGI / PGU (with --model): mean over --repeats draws of |p_c(x) - p_c(x')|, c the\n"
    "    predicted class, p the softmax, x' = x with N(0, pg-sigma^2) added to every\n"
    "    coordinate of the pg-k highest (PGI) / lowest (PGU) scoring joints; the draws\n"
    "    depend on (seed, sample, repeat) only, so every source meets the same noise;\n"
    "    --pg-perturb freeze: one x' with those joints held at their time mean instead\n"
    "    (noise adds motion, which a model of motion may read as evidence)\n"
    "  RIS / ROS (with --model and --perturbed): over the copies x' of x (rows i*P..i*P+P-1\n"
    "    of p.h5, from 'evaluate jitter') that keep the predicted class, the maximum of\n"
    "    ||(e - e')/e||_2 / max(||(x - x')/x||_2, 1e-6) (RIS; x raw coordinates) and of\n"
    "    the same over ||(p - p')/p||_2 (ROS; p the softmax); entries below 1e-6 in\n"
    "    magnitude divide as 1e-6. --perturbed-scores: each source explained on p.h5,\n"
    "    in the order of --scores\n"
    "  freeze curves (with --model and --curves): for k = 1..curve-k, each sample's k\n"
    "    top / bottom / random (--repeats seeded draws) joints of the FIRST source held\n"
    "    at their time mean (top: the k highest scores, bottom: the k lowest, signed),\n"
    "    the metric on all samples (accuracy; the infant-level AUC over /group; or\n"
    "    probability: the mean softmax probability of the labelled class, which a\n"
    "    confident model's accuracy hides); dshap perturb's curves format\n"
    "Writes /sources, /recovery/{auc, precision}, /pgi, /pgu, /ris, /ros (S, N; NaN where\n"
    "undefined) and a CSV of means (sd) per source (RIS/ROS: median of log10).\n"
    "jitter: P copies of every sample with N(0, sigma^2) added to every coordinate of\n"
    "the present persons (sensor error; Kinect v2 joints: about 5 mm), labels kept.\n";

/* An integer option in [lo, hi] into an int field (cli_int parses into long
 * long); non-zero after cli_int has printed the usage error. */
static int int_opt(const char *cmd, const char *name, const char *arg, long long lo, long long hi, int *out) {
    long long v;
    if (cli_int(cmd, name, arg, lo, hi, &v)) return 1;
    *out = (int)v;
    return 0;
}

/* --seed: any value in [0, 2^62]. */
static int seed_opt(const char *cmd, const char *arg, uint64_t *out) {
    long long v;
    if (cli_int(cmd, "--seed", arg, 0, (long long)1 << 62, &v)) return 1;
    *out = (uint64_t)v;
    return 0;
}

/* A keyword option of two values: *out = 0 for v0, 1 for v1; anything else
 * is a usage error naming both. */
static int two_way_opt(const char *cmd, const char *name, const char *arg, const char *v0, const char *v1, int *out) {
    if (!strcmp(arg, v0)) *out = 0;
    else if (!strcmp(arg, v1)) *out = 1;
    else return cli_usage_error(cmd, "%s expects %s or %s, got '%s'", name, v0, v1, arg);
    return 0;
}

static int jitter(int argc, char **argv) {
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},   {"sigma", required_argument, 0, 's'},
                                         {"copies", required_argument, 0, 'p'}, {"seed", required_argument, 0, 'e'},
                                         {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    jitter_opts o = {.sigma = 0.005, .copies = 4};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.data = optarg; break;
        case 's':
            if (cli_double("evaluate jitter", "--sigma", optarg, 0, 1e3, &o.sigma)) return EXIT_USAGE;
            break;
        case 'p':
            if (int_opt("evaluate jitter", "--copies", optarg, 1, 1000, &o.copies)) return EXIT_USAGE;
            break;
        case 'e':
            if (seed_opt("evaluate jitter", optarg, &o.seed)) return EXIT_USAGE;
            break;
        case 'o': o.output = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error("evaluate jitter", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("evaluate jitter", "unexpected argument '%s'", argv[optind]);
    if (!o.data || !o.output) return cli_usage_error("evaluate jitter", "--data and -o are required");
    dshap_status st = evaluate_jitter(&o);
    return st ? cli_fail(st) : 0;
}

int cmd_evaluate(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "jitter")) return jitter(argc - 1, argv + 1);
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},     {"scores", required_argument, 0, 's'},
        {"k", required_argument, 0, 'k'},        {"score-class", required_argument, 0, 'c'},
        {"model", required_argument, 0, 'm'},    {"pg-k", required_argument, 0, 'K'},
        {"pg-sigma", required_argument, 0, 'g'}, {"repeats", required_argument, 0, 'r'},
        {"seed", required_argument, 0, 'e'},     {"perturbed", required_argument, 0, 'p'},
        {"perturbed-scores", required_argument, 0, 'P'}, {"csv", required_argument, 0, 'C'},
        {"pg-perturb", required_argument, 0, 'G'},
        {"curves", required_argument, 0, 'u'},   {"curves-csv", required_argument, 0, 'U'},
        {"curve-k", required_argument, 0, 'n'},  {"curve-metric", required_argument, 0, 'x'},
        {"label", required_argument, 0, 'L'},
        {"output", required_argument, 0, 'o'},   {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    evaluate_opts o = {.pg_k = 3, .pg_sigma = 0.05, .repeats = 8};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.data = optarg; break;
        case 's':
            if (o.n_sources == EVAL_MAX_SOURCES) return cli_usage_error("evaluate", "more than %d --scores", EVAL_MAX_SOURCES);
            o.sources[o.n_sources++] = optarg;
            break;
        case 'P':
            if (o.n_perturbed_sources == EVAL_MAX_SOURCES)
                return cli_usage_error("evaluate", "more than %d --perturbed-scores", EVAL_MAX_SOURCES);
            o.perturbed_sources[o.n_perturbed_sources++] = optarg;
            break;
        case 'k':
            if (int_opt("evaluate", "--k", optarg, 1, 1024, &o.k)) return EXIT_USAGE;
            break;
        case 'c': o.score_class = optarg; break;
        case 'm': o.model = optarg; break;
        case 'K':
            if (int_opt("evaluate", "--pg-k", optarg, 1, 1024, &o.pg_k)) return EXIT_USAGE;
            break;
        case 'g':
            if (cli_double("evaluate", "--pg-sigma", optarg, 0, 1e3, &o.pg_sigma)) return EXIT_USAGE;
            break;
        case 'u': o.curves_out = optarg; break;
        case 'U': o.curves_csv = optarg; break;
        case 'L': o.curves_label = optarg; break;
        case 'n':
            if (int_opt("evaluate", "--curve-k", optarg, 1, 64, &o.curve_k)) return EXIT_USAGE;
            break;
        case 'x':
            if (!strcmp(optarg, "accuracy")) o.curve_metric = MET_ACCURACY;
            else if (!strcmp(optarg, "auc-grouped")) o.curve_metric = MET_AUC_GROUPED;
            else if (!strcmp(optarg, "probability")) o.curve_metric = MET_PROBABILITY;
            else
                return cli_usage_error("evaluate", "--curve-metric expects accuracy, auc-grouped or probability, got '%s'",
                                       optarg);
            break;
        case 'G':
            if (two_way_opt("evaluate", "--pg-perturb", optarg, "noise", "freeze", &o.pg_freeze)) return EXIT_USAGE;
            break;
        case 'r':
            if (int_opt("evaluate", "--repeats", optarg, 1, 1000, &o.repeats)) return EXIT_USAGE;
            break;
        case 'e':
            if (seed_opt("evaluate", optarg, &o.seed)) return EXIT_USAGE;
            break;
        case 'p': o.perturbed = optarg; break;
        case 'C': o.csv = optarg; break;
        case 'o': o.output = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error("evaluate", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("evaluate", "unexpected argument '%s'", argv[optind]);
    if (!o.data || !o.n_sources || !o.output) return cli_usage_error("evaluate", "--data, --scores and -o are required");
    if (o.perturbed && !o.model) return cli_usage_error("evaluate", "--perturbed needs --model (RIS/ROS compare predictions)");
    if (o.curves_out && !o.model) return cli_usage_error("evaluate", "--curves needs --model");
    if (o.curves_out && !o.curve_k) o.curve_k = 10;
    if (!o.curves_out && (o.curve_k || o.curves_csv)) return cli_usage_error("evaluate", "--curve-k and --curves-csv need --curves");
    if (o.n_perturbed_sources && !o.perturbed) return cli_usage_error("evaluate", "--perturbed-scores needs --perturbed");
    if (study_launch_size() > 1)
        return cli_usage_error("evaluate", "runs on one rank; started as one of %d MPI ranks (run it without mpirun/srun)",
                               study_launch_size());
    char *cmdline = study_join_args(argc, argv);
    o.command_line = cmdline;
    dshap_status st = evaluate_run(&o);
    free(cmdline);
    return st ? cli_fail(st) : 0;
}
