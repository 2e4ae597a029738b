/* dshap rank / dshap correlate: joint rankings and rank correlation of score sources */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "study/rankcorr.h"
#include "study/util.h"

static const char *rank_help =
    "usage: dshap rank --scores [NAME=]FILE:DATASET [--scores ...] -o ranks.h5 [--csv ranks.csv]\n"
    "         [--sort-by NAME] [--score-class auto|true|C] [--quiet]\n"
    "Per sample, joints are ranked by score (1 = highest; ties share the average rank).\n"
    "Per joint and source, across samples: median, quartiles (linear interpolation),\n"
    "Tukey whiskers (1.5 IQR) and mean of the ranks; joints sorted by the median rank\n"
    "of --sort-by (default: the first source). Sources as in 'dshap perturb --help'\n"
    "((N, V) or (N, K', V); frame maps are averaged over time; A+B sums [0, 1]-scaled parts).\n"
    "Writes /order, /joint_names, /sources, /source<i>/{median, q1, q3, whisker_lo,\n"
    "whisker_hi, mean, ranks} and a CSV table (position, joint, median, q1, q3 per source).\n";

static const char *corr_help =
    "usage: dshap correlate --scores [NAME=]FILE:DATASET --scores ... -o corr.h5 [--csv corr.csv]\n"
    "         [--score-class auto|true|C] [--quiet]\n"
    "Spearman's rho (average ranks for ties) between every pair of score sources, as\n"
    "the study's Table 1: each source's joint scores are min-max scaled to [0, 1] per\n"
    "sample (per-layer normalisation), averaged over samples into one profile per\n"
    "source, and rho is taken between profiles (/rho, the CSV). /rho_sample is the\n"
    "mean over samples of the per-sample rho. All sources must cover the same samples.\n";

static int run(int argc, char **argv, int correlate) {
    static const struct option opts[] = {{"scores", required_argument, 0, 's'}, {"sort-by", required_argument, 0, 'S'},
                                         {"score-class", required_argument, 0, 'c'}, {"csv", required_argument, 0, 'C'},
                                         {"output", required_argument, 0, 'o'}, {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *cmd = correlate ? "correlate" : "rank";
    rc_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    if (cli_no_duplicates(cmd, argc, argv, opts, "scores")) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (o.n_src == RC_MAX_SOURCES) return cli_usage_error(cmd, "more than %d --scores", RC_MAX_SOURCES);
            o.src[o.n_src++] = optarg;
            break;
        case 'S':
            if (correlate) return cli_usage_error(cmd, "--sort-by belongs to dshap rank");
            o.sort_by = optarg;
            break;
        case 'c': o.score_class = optarg; break;
        case 'C': o.csv = optarg; break;
        case 'o': o.output = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'h': fputs(correlate ? corr_help : rank_help, stdout); return 0;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o.output) return cli_usage_error(cmd, "-o is required");
    if (o.n_src < (correlate ? 2 : 1))
        return cli_usage_error(cmd, correlate ? "at least two --scores are required" : "at least one --scores is required");
    cli_paths in = {0};
    for (int i = 0; i < o.n_src; i++) cli_paths_add_spec(&in, o.src[i]);
    if (cli_check_outputs(&in, 2, (const char *[]){o.output, o.csv}, (const char *[]){"-o", "--csv"})) return 1;
    char *cmdline = study_join_args(argc, argv);
    o.command_line = cmdline;
    dshap_status st = correlate ? correlate_run(&o) : rank_run(&o);
    free(cmdline);
    return st ? cli_fail(st) : 0;
}

int cmd_rank(int argc, char **argv) { return run(argc, argv, 0); }
int cmd_correlate(int argc, char **argv) { return run(argc, argv, 1); }
