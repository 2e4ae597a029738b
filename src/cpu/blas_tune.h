/* OpenBLAS 0.3.21 (Debian 12) does not recognise recent Xeons (e.g. Emerald
 * Rapids, model 207) and falls back to its SSE3 "Prescott" kernels, about 4x
 * slower. Before anything else runs, re-execute the program once with
 * OPENBLAS_CORETYPE set to the newest kernel family the CPU supports. A
 * coretype chosen by the user is never overridden; DSHAP_BLAS_AUTO=0
 * disables the check. */
#ifndef DSHAP_BLAS_TUNE_H
#define DSHAP_BLAS_TUNE_H

void blas_tune_reexec(char **argv);
/* The coretype that re-execution would set (NULL: none needed, or the user
 * chose one); the library reports it instead of re-executing. */
const char *blas_tune_wanted(void);
/* The kernel family OpenBLAS uses, for reports ("SkylakeX", ...). */
const char *blas_corename(void);

#endif
