/* NTU bookkeeping: sample names, benchmark splits, skip lists, listings. */
#ifndef DSHAP_NTU_FILES_H
#define DSHAP_NTU_FILES_H

#include <stddef.h>

#include "core/error.h"
#include "data/ntu_import.h"

#define NTU_NAME_LEN 20 /* SsssCcccPpppRrrrAaaa */
#define NTU_CLASSES 60  /* actions A001..A060: the xview and xsub benchmarks are NTU RGB+D 60's */

typedef struct {
    char **v;
    size_t n, cap;
} strlist;

dshap_status strlist_add(strlist *l, const char *s, size_t len);
void strlist_free(strlist *l);
/* strcmp on two char * (for qsort / bsearch on strlist.v). */
int ntu_cmp_str(const void *a, const void *b);

/* Sample names of an official missing-skeleton list, sorted (the prose
 * header lines are ignored). */
dshap_status ntu_read_skip_list(const char *path, strlist *l);
/* Sorted .skeleton names of dir; counts them and the other entries in r. */
dshap_status ntu_list_dir(const char *dir, strlist *l, ntu_import_report *r);

#endif
