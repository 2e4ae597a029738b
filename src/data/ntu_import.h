/* NTU RGB+D import: a folder of `.skeleton` files → data.h5, one benchmark
 * split, preprocessed as the published models' training data was
 * (FORMATS.md). Files are streamed one at a time; malformed ones are skipped
 * with a reason and counted. */
#ifndef DSHAP_NTU_IMPORT_H
#define DSHAP_NTU_IMPORT_H

#include <stdio.h>

#include "core/error.h"
#include "data/skeleton.h"

typedef struct {
    const char *dir;
    const char *out;       /* data.h5 */
    const char *benchmark; /* xview | xsub */
    const char *split;     /* train | eval */
    const char *skip_list; /* official missing-skeleton list, or NULL */
    int frames;            /* frames per sample (300); longer files are skipped */
    int raw;               /* 1: no transforms, bodies as listed (round-trip tests) */
    FILE *log;             /* skipped files and progress (NULL: quiet) */
} ntu_import_opts;

typedef struct {
    long listed;      /* .skeleton files in the folder */
    long ignored;     /* other entries (not .skeleton) */
    long bad_name;    /* not SsssCcccPpppRrrrAaaa.skeleton, or an action beyond NTU_CLASSES */
    long skip_listed; /* named in the skip list */
    long other_split; /* belong to the other split */
    long read;        /* files of this split that were parsed */
    long imported;
    long skipped;                 /* parsed with a defect, or without any body */
    long by_reason[SK_NREASONS];  /* defects by reason */
    long no_body;                 /* well-formed, but no body in any frame */
    long frames_total;            /* frames of the imported files */
    long max_bodies;              /* over the imported files */
    long frames_with[SK_MAX_BODIES + 1]; /* frames by body count, imported files */
    double bytes;                 /* bytes of the files read */
    double seconds;               /* wall time */
} ntu_import_report;

/* Sample name fields of SsssCcccPpppRrrrAaaa; 0 when the name does not match. */
typedef struct {
    int setup, camera, performer, replication, action;
} ntu_name;
int ntu_name_parse(const char *file, ntu_name *n);
/* 1 when the sample belongs to the training split of the benchmark. */
int ntu_is_train(const ntu_name *n, const char *benchmark);

dshap_status ntu_import(const ntu_import_opts *o, ntu_import_report *r);

#endif
