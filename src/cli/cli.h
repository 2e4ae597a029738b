/* Command-line plumbing shared by the subcommands. */
#ifndef DSHAP_CLI_H
#define DSHAP_CLI_H

#include <getopt.h>

#include "core/error.h"

#define EXIT_USAGE 2

/* Print "dshap: error: <last error>" and return the process exit code (1). */
int cli_fail(dshap_status st);
/* Print "dshap <cmd>: <message>" for a usage problem; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse an integer / float flag value; a bad value is a usage error. */
int cli_int(const char *cmd, const char *flag, const char *s, long long lo, long long hi, long long *out);
int cli_double(const char *cmd, const char *flag, const char *s, double lo, double hi, double *out);

/* Refuse a single-valued option given twice ("-o a -o b" kept only one):
 * a usage error naming it; `repeatable` lists the long names that may
 * repeat ("scores,layer"), NULL for none. Returns 0 when fine. */
int cli_no_duplicates(const char *cmd, int argc, char **argv, const struct option *opts, const char *repeatable);

/* The files a command reads, for cli_check_outputs. */
#define CLI_MAX_PATHS 64
typedef struct {
    int n;
    char path[CLI_MAX_PATHS][4096];
} cli_paths;
void cli_paths_add(cli_paths *p, const char *path);
/* The files of a score source "[NAME=]FILE:DATASET[+FILE:DATASET...]". */
void cli_paths_add_spec(cli_paths *p, const char *spec);
/* Every output (outs[i], named by flags[i]; NULL skipped) checked before
 * any work: a writable folder, not a directory, not the same file as an
 * input or another output. Returns 0, or prints one line and returns 1. */
int cli_check_outputs(const cli_paths *in, int n_out, const char *const *outs, const char *const *flags);
/* The same as a status, printing nothing (MPI: rank 0 prints). */
dshap_status cli_outputs_status(const cli_paths *in, int n_out, const char *const *outs, const char *const *flags);

int cmd_model(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_gradcam(int argc, char **argv);
int cmd_perturb(int argc, char **argv);
int cmd_rank(int argc, char **argv);
int cmd_correlate(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);

#endif
