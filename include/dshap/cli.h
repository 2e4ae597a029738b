/* libdshap — the dshap command line as a function. Unlike the API of
 * dshap/dshap.h (which never exits or prints), this is the whole program:
 * it initialises and finalises MPI (for the commands that use it), installs
 * signal handlers, may re-execute the process (to set OPENBLAS_CORETYPE),
 * prints to stdout and stderr, and may end the process as the CLI does
 * (exit, MPI_Abort when a rank fails). The dshap executable is
 * `int main(int argc, char **argv) { return dshap_cli_main(argc, argv); }`.
 * A program that calls it uses neither MPI nor libdshap afterwards. */
#ifndef DSHAP_DSHAP_CLI_H
#define DSHAP_DSHAP_CLI_H

#include "dshap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs `dshap argv[1] ...` (argv[0] the program name); returns its exit status. */
DSHAP_API int dshap_cli_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
