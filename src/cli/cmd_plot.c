/* dshap plot: SVG figures (skeleton heat maps, rank boxes, perturbation and scaling curves) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "study/plot.h"

static const char *help =
    "usage: dshap plot skeleton --data d.h5 --scores [NAME=]FILE:DATASET [--scores ...] -o fig.svg\n"
    "                  [--sample I] [--windows W] [--frames T] [--person M] [--score-class C]\n"
    "       dshap plot ranks    --ranks ranks.h5 [--top N] -o fig.svg\n"
    "       dshap plot perturb  --curves curves.h5 [--curves ...] -o fig.svg\n"
    "       dshap plot scaling  --csv scaling.csv [--csv ...] -o fig.svg\n"
    "       (all: [--title TEXT] [--quiet])\n"
    "Hand-written SVG (view in a browser, or rsvg-convert fig.svg -o fig.png).\n"
    "  skeleton  one row per score source (e.g. SHAP and Grad-CAM side by side), one\n"
    "            panel per frame window: the sample's mean pose in the window (bones from\n"
    "            the layout's parents), joints coloured and sized by importance. Time-\n"
    "            resolved sources ((N, T', V) Grad-CAM maps, (N, K', T', V) SHAP frame\n"
    "            stores) are split into the same windows; (N, V) scores are constant.\n"
    "            --frames: the model's T (the frames the scores cover; default: all).\n"
    "  ranks     box plots of per-sample joint ranks, one box per source and joint,\n"
    "            joints in the file's order (dshap rank --sort-by).\n"
    "  perturb   metric against k for each curves file and selection; random selection\n"
    "            as mean with a +-sd band; the unperturbed model dashed.\n"
    "  scaling   speedup p1*T1/Tp and efficiency against ranks from a CSV with columns\n"
    "            ranks and seconds (or wall_s, as jobs/scaling/run_scaling.sh writes;\n"
    "            one series per file and 'mode').\n";

int cmd_plot(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const char *kind = argv[1];
    int k = !strcmp(kind, "skeleton") ? 0 : !strcmp(kind, "ranks") ? 1 : !strcmp(kind, "perturb") ? 2 : !strcmp(kind, "scaling") ? 3 : -1;
    if (k < 0) return cli_usage_error("plot", "unknown figure kind '%s' (skeleton, ranks, perturb, scaling)", kind);
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},    {"scores", required_argument, 0, 's'},
        {"ranks", required_argument, 0, 'r'},   {"curves", required_argument, 0, 'c'},
        {"csv", required_argument, 0, 'C'},     {"sample", required_argument, 0, 'i'},
        {"windows", required_argument, 0, 'w'}, {"frames", required_argument, 0, 'f'},
        {"person", required_argument, 0, 'p'},  {"score-class", required_argument, 0, 'k'},
        {"top", required_argument, 0, 't'},     {"title", required_argument, 0, 'T'},
        {"output", required_argument, 0, 'o'},  {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char want[4] = {'s', 'r', 'c', 'C'};
    const char *flag[4] = {"--scores", "--ranks", "--curves", "--csv"};
    plot_opts o = {.windows = 4};
    int c;
    long long v;
    optind = 1;
    opterr = 0;
    argc--;
    argv++;
    if (cli_no_duplicates("plot", argc, argv, opts, "scores,curves")) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': case 'r': case 'c': case 'C':
            if (c != want[k]) return cli_usage_error("plot", "'plot %s' takes %s, not --%s", kind, flag[k], argv[optind - 2] + 2);
            if (o.n_in == PLOT_MAX_SERIES) return cli_usage_error("plot", "more than %d inputs", PLOT_MAX_SERIES);
            if (k == 1 && o.n_in == 1) return cli_usage_error("plot", "'plot ranks' takes one --ranks file");
            o.in[o.n_in++] = optarg;
            break;
        case 'd': o.data = optarg; break;
        case 'i':
            if (cli_int("plot", "--sample", optarg, 0, 1LL << 40, &v)) return EXIT_USAGE;
            o.sample = (int)v;
            break;
        case 'w':
            if (cli_int("plot", "--windows", optarg, 1, 16, &v)) return EXIT_USAGE;
            o.windows = (int)v;
            break;
        case 'f':
            if (cli_int("plot", "--frames", optarg, 1, 100000, &v)) return EXIT_USAGE;
            o.frames = (int)v;
            break;
        case 'p':
            if (cli_int("plot", "--person", optarg, 0, 16, &v)) return EXIT_USAGE;
            o.person = (int)v;
            break;
        case 'k': o.score_class = optarg; break;
        case 't':
            if (cli_int("plot", "--top", optarg, 1, 64, &v)) return EXIT_USAGE;
            o.top = (int)v;
            break;
        case 'T': o.title = optarg; break;
        case 'o': o.output = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error("plot", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("plot", "unexpected argument '%s'", argv[optind]);
    if (!o.output) return cli_usage_error("plot", "-o is required");
    if (!o.n_in) return cli_usage_error("plot", "'plot %s' needs %s", kind, flag[k]);
    if (k == 0 && !o.data) return cli_usage_error("plot", "'plot skeleton' needs --data (the joint positions)");
    cli_paths in = {0};
    cli_paths_add(&in, o.data);
    for (int i = 0; i < o.n_in; i++) {
        if (k == 0) cli_paths_add_spec(&in, o.in[i]);
        else cli_paths_add(&in, o.in[i]);
    }
    if (cli_check_outputs(&in, 1, (const char *[]){o.output}, (const char *[]){"-o"})) return 1;
    dshap_status st = k == 0 ? plot_skeleton(&o) : k == 1 ? plot_ranks(&o) : k == 2 ? plot_perturb(&o) : plot_scaling(&o);
    return st ? cli_fail(st) : 0;
}
