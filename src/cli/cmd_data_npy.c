/* dshap data import-npy: preprocessed (N, C, T, V, M) arrays + labels → data.h5. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_data.h"
#include "data/npy_import.h"

static const char *help =
    "usage: dshap data import-npy X.npy Y.npy --layout ntu25|cp29|cp19 -o data.h5\n"
    "                             [--group G.npy] [--benchmark NAME] [--split NAME]\n"
    "X.npy: (N, C, T, V, M) float32 or float64 joints (C and V of the layout), as the\n"
    "published repositories store their preprocessed data; Y.npy: (N,) int32/int64\n"
    "labels (0-based); G.npy: (N,) int group ids (e.g. the infant of each window).\n"
    "Arrays are streamed. /length is the number of frames up to the last non-zero one;\n"
    "/name is 'X.npy#i'. No transform is applied.\n";

int cmd_data_import_npy(int argc, char **argv) {
    static const struct option opts[] = {{"layout", required_argument, 0, 'l'}, {"output", required_argument, 0, 'o'},
                                         {"group", required_argument, 0, 'g'},  {"benchmark", required_argument, 0, 'b'},
                                         {"split", required_argument, 0, 's'},  {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *cmd = "data import-npy", *layout = NULL;
    npy_import_opts a = {0};
    int c;
    optind = 1;
    opterr = 0; /* one error line: ours */
    if (cli_no_duplicates(cmd, argc, argv, opts, NULL)) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "l:o:g:b:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': layout = optarg; break;
        case 'o': a.out = optarg; break;
        case 'g': a.g = optarg; break;
        case 'b': a.benchmark = optarg; break;
        case 's': a.split = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2) return cli_usage_error(cmd, "expected two files, X.npy and Y.npy");
    a.x = argv[optind];
    a.y = argv[optind + 1];
    if (!(a.L = layout_find(layout))) return cli_usage_error(cmd, "--layout must be one of %s", layout_names());
    if (!a.out) return cli_usage_error(cmd, "-o data.h5 is required");
    cli_paths in = {0};
    cli_paths_add(&in, a.x);
    cli_paths_add(&in, a.y);
    cli_paths_add(&in, a.g);
    if (cli_check_outputs(&in, 1, (const char *[]){a.out}, (const char *[]){"-o"})) return 1;
    int64_t n = 0, empty = 0;
    dshap_status st = npy_import(&a, &n, &empty);
    if (st) return cli_fail(st);
    printf("import-npy: %lld samples (%s) -> %s\n", (long long)n, a.L->name, a.out);
    if (empty) printf("import-npy: note: %lld samples are all zero\n", (long long)empty);
    return 0;
}
