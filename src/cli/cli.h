/* Command-line plumbing shared by the subcommands. */
#ifndef DSHAP_CLI_H
#define DSHAP_CLI_H

#include "core/error.h"

#define EXIT_USAGE 2

/* Print "dshap: error: <last error>" and return the process exit code (1). */
int cli_fail(dshap_status st);
/* Print "dshap <cmd>: <message>" for a usage problem; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parse an integer / float flag value; a bad value is a usage error. */
int cli_int(const char *cmd, const char *flag, const char *s, long long lo, long long hi, long long *out);
int cli_double(const char *cmd, const char *flag, const char *s, double lo, double hi, double *out);

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
