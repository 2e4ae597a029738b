/* dshap — DeepSHAP and Grad-CAM for skeleton graph-convolution models: the
 * command line, libdshap's dshap_cli_main (include/dshap/cli.h); the dshap
 * executable is a main() that calls it (src/cli/main.c). */
#include <stdio.h>
#include <string.h>

#include <hdf5.h>

#include "cli/cli.h"
#include "dshap/cli.h"
#include "cpu/blas_tune.h"
#include "cpu/ops_cpu.h"
#include "io/outpath.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"model", cmd_model, "init | info: create a model with random weights, describe a model.h5"},
    {"predict", cmd_predict, "logits and accuracy of a model on inputs.h5 / data.h5"},
    {"explain", cmd_explain, "DeepSHAP attributions (MPI: run under mpirun or srun)"},
    {"data", cmd_data, "import-ntu | import-npy | synth: write a data.h5 of raw joints"},
    {"features", cmd_features, "J/V/B/A model inputs of a data.h5 -> inputs.h5"},
    {"gradcam", cmd_gradcam, "Grad-CAM maps and joint scores at named layers (eval mode)"},
    {"perturb", cmd_perturb, "edge-importance perturbation guided by joint scores -> curves"},
    {"rank", cmd_rank, "per-joint median and IQR of per-sample joint ranks"},
    {"correlate", cmd_correlate, "Spearman rho between joint-score sources (Table 1)"},
    {"plot", cmd_plot, "SVG figures: skeleton heat maps, rank boxes, perturbation, scaling"},
    {"evaluate", cmd_evaluate, "planted-joint recovery, PGI/PGU, RIS/ROS of joint scores"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: dshap <command> [options]   (dshap <command> --help for each)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
}

int dshap_cli_main(int argc, char **argv) {
    blas_tune_reexec(argv);
    /* HDF5 1.10 cannot close a file whose flush failed (a full disk: its
     * cache is left inconsistent), and its exit handler would then crash
     * closing it again. Every file dshap opens is closed explicitly, so the
     * handler has nothing else to do: leave it out. */
    H5dont_atexit();
    outpath_signals_install();
    if (argc < 2) {
        fprintf(stderr, "dshap: error: no command given (dshap --help lists them)\n");
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("dshap %s\n", DSHAP_VERSION);
        return 0;
    }
    cpu_backend_init();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "dshap: error: unknown command '%s' (dshap --help lists them)\n", argv[1]);
    return EXIT_USAGE;
}
