/* dshap data: import-ntu | import-npy | synth → data.h5 (FORMATS.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_data.h"
#include "data/ntu_import.h"

static const char *help =
    "usage: dshap data <subcommand> [options]   (dshap data <subcommand> --help)\n"
    "  import-ntu DIR --benchmark xview|xsub --split train|eval -o data.h5\n"
    "             [--skip-list FILE] [--frames 300] [--raw] [--quiet]\n"
    "  import-npy X.npy Y.npy --layout ntu25|cp29|cp19 -o data.h5 [--group G.npy]\n"
    "             [--benchmark NAME] [--split NAME]\n"
    "  synth      --layout L --n N --classes K --frames T --persons M --seed S\n"
    "             -o data.h5 | --format skeleton --out-dir DIR\n";

static const char *help_ntu =
    "usage: dshap data import-ntu DIR --benchmark xview|xsub --split train|eval -o data.h5\n"
    "                             [--skip-list FILE] [--frames 300] [--raw] [--quiet]\n"
    "Reads every SsssCcccPpppRrrrAaaa.skeleton file of DIR in the split (X-View:\n"
    "train = cameras 2, 3; X-Sub: train = the 20 training performers), keeps the\n"
    "first 2 bodies listed per frame, and applies the published preprocessing:\n"
    "energy ordering, pad, sub, parallel_s, parallel_h (FORMATS.md). Writes\n"
    "/x (N, 3, frames, 25, 2), /y = action - 1, /length = frames in the file, /name.\n"
    "Malformed files (truncated, non-numeric values, wrong counts, more frames than\n"
    "--frames, no body at all) are skipped with a reason; counts are printed at the\n"
    "end. --skip-list: the official list of samples with missing skeletons.\n"
    "--raw: no preprocessing (bodies as listed, zero padded), for inspection.\n";

static void print_report(const ntu_import_opts *o, const ntu_import_report *r) {
    printf("import-ntu %s -> %s (%s/%s%s)\n", o->dir, o->out, o->benchmark, o->split, o->raw ? ", raw" : "");
    printf("  %-34s %8ld\n", ".skeleton files in the folder", r->listed);
    if (r->ignored) printf("  %-34s %8ld\n", "other entries (ignored)", r->ignored);
    if (r->bad_name) printf("  %-34s %8ld\n", "names not SsssCcccPpppRrrrAaaa", r->bad_name);
    if (o->skip_list) printf("  %-34s %8ld\n", "on the skip list", r->skip_listed);
    printf("  %-34s %8ld\n", "in the other split", r->other_split);
    printf("  %-34s %8ld\n", "read", r->read);
    printf("  %-34s %8ld\n", "imported", r->imported);
    printf("  %-34s %8ld\n", "skipped", r->skipped);
    for (int k = 1; k < SK_NREASONS; k++)
        if (r->by_reason[k]) printf("    %-32s %8ld\n", sk_reason_text((sk_reason)k), r->by_reason[k]);
    if (r->no_body) printf("    %-32s %8ld\n", "no body in any frame", r->no_body);
    printf("  %-34s %8ld\n", "frames (imported files)", r->frames_total);
    long more = 0;
    for (int k = 3; k <= SK_MAX_BODIES; k++) more += r->frames_with[k];
    static const char *with[3] = {"frames with 0 bodies", "frames with 1 body", "frames with 2 bodies"};
    for (int k = 0; k < 3; k++)
        if (r->frames_with[k]) printf("    %-32s %8ld\n", with[k], r->frames_with[k]);
    if (more) printf("    %-32s %8ld\n", "frames with 3+ (first 2 kept)", more);
    printf("  %.2f s, %.0f files/s, %.1f MB/s\n", r->seconds, r->read / (r->seconds > 0 ? r->seconds : 1),
           r->bytes / 1e6 / (r->seconds > 0 ? r->seconds : 1));
}

static int import_ntu(int argc, char **argv) {
    static const struct option opts[] = {{"benchmark", required_argument, 0, 'b'}, {"split", required_argument, 0, 's'},
                                         {"output", required_argument, 0, 'o'},    {"skip-list", required_argument, 0, 'k'},
                                         {"frames", required_argument, 0, 'f'},    {"raw", no_argument, 0, 'r'},
                                         {"quiet", no_argument, 0, 'q'},           {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *cmd = "data import-ntu";
    ntu_import_opts o = {.frames = 300, .log = stderr};
    long long v;
    int c;
    optind = 1;
    opterr = 0; /* one error line: ours */
    if (cli_no_duplicates(cmd, argc, argv, opts, NULL)) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "b:s:o:k:f:rqh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': o.benchmark = optarg; break;
        case 's': o.split = optarg; break;
        case 'o': o.out = optarg; break;
        case 'k': o.skip_list = optarg; break;
        case 'f':
            if (cli_int(cmd, "--frames", optarg, 1, 100000, &v)) return EXIT_USAGE;
            o.frames = (int)v;
            break;
        case 'r': o.raw = 1; break;
        case 'q': o.log = NULL; break;
        case 'h': fputs(help_ntu, stdout); return 0;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error(cmd, "expected one folder of .skeleton files");
    o.dir = argv[optind];
    if (!o.benchmark || (strcmp(o.benchmark, "xview") && strcmp(o.benchmark, "xsub")))
        return cli_usage_error(cmd, "--benchmark must be xview or xsub");
    if (!o.split || (strcmp(o.split, "train") && strcmp(o.split, "eval")))
        return cli_usage_error(cmd, "--split must be train or eval");
    if (!o.out) return cli_usage_error(cmd, "-o data.h5 is required");
    cli_paths in = {0};
    cli_paths_add(&in, o.skip_list);
    if (cli_check_outputs(&in, 1, (const char *[]){o.out}, (const char *[]){"-o"})) return 1;
    ntu_import_report r;
    dshap_status st = ntu_import(&o, &r);
    if (st) return cli_fail(st);
    print_report(&o, &r);
    return 0;
}

int cmd_data(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("data", "expects a subcommand, import-ntu, import-npy or synth");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "import-ntu")) return import_ntu(argc - 1, argv + 1);
    if (!strcmp(argv[1], "import-npy")) return cmd_data_import_npy(argc - 1, argv + 1);
    if (!strcmp(argv[1], "synth")) return cmd_data_synth(argc - 1, argv + 1);
    return cli_usage_error("data", "unknown subcommand '%s' (import-ntu, import-npy, synth)", argv[1]);
}
