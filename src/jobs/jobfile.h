/* Job descriptions as data: a `dshap explain` job in a small text file that
 * batch templates and scaling scripts pass with `--job FILE` (flags given on
 * the command line override it). Format (jobs/README.md):
 *
 *     # NTU X-View, every validation sample vs 100 references
 *     model      = models/ntu_xview.h5
 *     data       = ${DSHAP_DATA:-data}/xview_val.h5   # environment, default
 *     n_background = 100
 *     classes    = all
 *
 * One `key = value` per line; '#' starts a comment at the start of a line or
 * after a blank; ${NAME} is the environment variable NAME (an error when
 * unset), ${NAME:-text} falls back to text; "double quotes" keep a value
 * literally (blanks, '#', '$').
 * Keys are the long flag names of dshap explain, '_' or '-' alike: model,
 * data, background, output, n_background, background_seed,
 * background_indices, chunk, block, classes, rules, store, persons,
 * check_additivity (a tolerance or off), memory (GiB). Values take the same
 * forms as the flags. Relative paths are relative to the working directory,
 * as on the command line. Each key at most once; an unknown key, a bad value
 * or an unset ${NAME} is an error "FILE:LINE: key: problem". */
#ifndef DSHAP_JOBFILE_H
#define DSHAP_JOBFILE_H

#include "jobs/explain.h"

#define JOBFILE_MAX_STRINGS 16 /* 5 path keys per file */

/* Owns the strings (paths) that jobfile_load put into explain_opts: keep it
 * until the options are no longer used, then jobfile_free. */
typedef struct {
    char *str[JOBFILE_MAX_STRINGS];
    int n;
} jobfile;

/* Sets the fields of o that the file names; the others keep their values.
 * On failure o and jf are unchanged. */
dshap_status jobfile_load(const char *path, explain_opts *o, jobfile *jf);
void jobfile_free(jobfile *jf);

#endif
