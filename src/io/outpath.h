/* Output paths: checked before any work, written under a temporary sibling
 * name, and never left half-written (a full disk, a signal, a failure).
 *
 * Every command calls outpath_check for each of its outputs with all of its
 * inputs (and its other outputs) first, so that a bad location or an output
 * that would replace an input is refused in one line before anything runs. */
#ifndef DSHAP_OUTPATH_H
#define DSHAP_OUTPATH_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

/* Refuse `out` (one line naming it) when it is empty, an existing directory,
 * in a folder that does not exist or cannot be written, or the same file as
 * any of others[0..n) (by device and inode, through links; NULL entries are
 * skipped). `what` names the flag in messages ("-o", "--csv"). */
dshap_status outpath_check(const char *what, const char *out, const char *const *others, int n);

/* Refuse before the work when the disk holding `out` has less than `bytes`
 * free (statvfs; a file system that cannot say is trusted). Bytes as a
 * double: a declared size may overflow 64-bit arithmetic. */
dshap_status outpath_check_space(const char *out, double bytes);

/* After a failed write of `path`: the reason in words, "the disk is full"
 * when errno or the file system says so. */
const char *outpath_write_reason(const char *path, int err);

/* Temporary files to remove when SIGINT / SIGTERM / SIGHUP arrives: a fixed
 * table (the handler may not allocate); register on create, forget on commit
 * or removal. */
void outpath_temp_register(const char *tmp);
void outpath_temp_forget(const char *tmp);
/* Remove `tmp` and forget it. */
void outpath_temp_remove(const char *tmp);
void outpath_signals_install(void);

/* A text output (SVG, CSV) written to PATH.part and renamed when complete;
 * every write error is kept and reported by textout_commit. */
typedef struct {
    FILE *f;
    char path[4096];
    char tmp[4100];
} textout;

dshap_status textout_open(textout *t, const char *path);
/* Flush, check, close and rename; on any failure the temporary is removed. */
dshap_status textout_commit(textout *t);
/* Close and remove the temporary (no-op when not open). */
void textout_discard(textout *t);

#endif
