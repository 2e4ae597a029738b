/* Helpers shared by the study commands: clock, class selections, files. */
#ifndef DSHAP_STUDY_UTIL_H
#define DSHAP_STUDY_UTIL_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "io/h5io.h"

#define STUDY_MAX_CLASSES 4096

typedef enum { SEL_TRUE, SEL_PRED, SEL_ALL, SEL_LIST } class_sel;

typedef struct {
    class_sel mode;
    int n_list;
    int list[STUDY_MAX_CLASSES];
} class_spec;

double study_now(void);

/* "true" | "pred" | "all" | "3,7,12" (each in [0, K)). */
dshap_status class_spec_parse(class_spec *c, const char *s, int K);
/* Explained classes per sample. */
static inline int class_spec_count(const class_spec *c, int K) {
    return c->mode == SEL_ALL ? K : c->mode == SEL_LIST ? c->n_list : 1;
}
/* Fill classes (n, n_k) for samples [i0, i0+n): labels (N) may be NULL
 * (then "true" fails), logits (n, K) are this block's. */
dshap_status class_spec_fill(const class_spec *c, int K, const int32_t *labels, int64_t i0, int n,
                             const float *logits, int *classes);
const char *class_spec_name(const class_spec *c, char *buf, size_t cap);

/* Byte copy (to add to a copy of an existing file, then rename). */
dshap_status study_copy_file(const char *from, const char *to);
/* Open an existing HDF5 file for writing. */
dshap_status study_open_rw(h5file *f, const char *path);

/* Ranks of the MPI job this process was started in (1 outside mpirun/srun),
 * from the launchers' environment: the study commands run on one rank. */
int study_launch_size(void);

/* "a b c" of argv, for the command_line attribute (caller frees). */
char *study_join_args(int argc, char **argv);

/* CSV helpers: a field quoted when needed. */
void csv_field(FILE *f, const char *s);

#endif
