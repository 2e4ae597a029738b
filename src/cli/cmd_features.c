/* dshap features: data.h5 (raw joints) → inputs.h5 (J, V, B, A model input). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "data/featurize.h"
#include "data/features.h"

static const char *help =
    "usage: dshap features --data d.h5 --frames T -o inputs.h5\n"
    "Computes the model input (N, 4, 2C, T, V, M), branches J, V, B, A (MODEL.md),\n"
    "on the first T frames of every sample (T = the model's frames, 150 for the\n"
    "published models), as the training loaders slice then compute. /y, /name and\n"
    "/group are copied. For T <= 27 the A branch's zero-phase filter uses padlen\n"
    "T - 1 (scipy's default padlen 27 needs T > 27).\n";

int cmd_features(int argc, char **argv) {
    static const struct option opts[] = {{"data", required_argument, 0, 'd'}, {"frames", required_argument, 0, 't'},
                                         {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *cmd = "features", *data = NULL, *out = NULL;
    long long T = -1;
    int c;
    optind = 1;
    opterr = 0; /* one error line: ours */
    if (cli_no_duplicates(cmd, argc, argv, opts, NULL)) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "d:t:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 't': if (cli_int(cmd, "--frames", optarg, 1, 100000, &T)) return EXIT_USAGE; break;
        case 'o': out = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!data || !out) return cli_usage_error(cmd, "--data and -o are required");
    if (T < 0) return cli_usage_error(cmd, "--frames T is required (the model's frames, 150 for the published models)");
    cli_paths in = {0};
    cli_paths_add(&in, data);
    if (cli_check_outputs(&in, 1, (const char *[]){out}, (const char *[]){"-o"})) return 1;
    featurize_report r;
    dshap_status st = featurize_file(data, (int)T, out, &r);
    if (st) return cli_fail(st);
    printf("features: %lld samples (%s, %d of %d frames) -> %s: x (%lld, 4, %d, %d, %d, %d)\n", (long long)r.N, r.layout,
           r.T, r.T_raw, out, (long long)r.N, 2 * r.C, r.T, r.V, r.M);
    if (r.T <= 27) printf("features: note: T = %d <= 27, the A branch's filter used padlen %d\n", r.T, features_padlen(r.T));
    return 0;
}
