/* Strict streaming parser of NTU RGB+D `.skeleton` text files (FORMATS.md
 * "The NTU .skeleton text format"). It reads line by line through a fixed
 * buffer (memory does not grow with the file), validates every field of every
 * line, and keeps x, y, z of the first SK_SLOTS bodies listed in each frame.
 * Any defect ends the file with one message "<name>:<line>: <problem>" and a
 * reason code, so an importer can skip the file and count why. */
#ifndef DSHAP_SKELETON_H
#define DSHAP_SKELETON_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

#define SK_JOINTS 25
#define SK_SLOTS 2        /* bodies kept per frame (FORMATS.md step 1) */
#define SK_MAX_BODIES 6   /* Kinect v2 tracks at most 6 bodies */
#define SK_MAX_IDS 16     /* distinct body ids remembered, for reports */
#define SK_MAX_LINE 1024  /* a joint line is ~110 bytes */

typedef enum {
    SK_OK = 0,
    SK_EIO,       /* the file could not be read */
    SK_ETRUNC,    /* ended before the declared frames, bodies or joints */
    SK_ETOKENS,   /* a line has the wrong number of values */
    SK_ENUMBER,   /* a token is not a number of the expected kind */
    SK_ERANGE,    /* a number is out of its field's range, or not finite */
    SK_EFRAMES,   /* no frames, or more than the frame buffer holds */
    SK_EBODIES,   /* a body count outside 0..SK_MAX_BODIES */
    SK_EJOINTS,   /* a joint count other than 25 */
    SK_ETRAILING, /* content after the last declared frame */
    SK_ELINE,     /* a line longer than SK_MAX_LINE or with control bytes */
    SK_NREASONS
} sk_reason;

typedef struct {
    /* in */
    int T_max;  /* frames the buffer holds (300 for NTU) */
    float *xyz; /* (SK_SLOTS, T_max, SK_JOINTS, 3), zeroed by the parser */
    /* out */
    int frames;                   /* declared frame count */
    int max_bodies;               /* largest body count of any frame */
    int hist[SK_MAX_BODIES + 1];  /* frames per body count */
    int n_ids;                    /* distinct body ids (up to SK_MAX_IDS) */
    int64_t ids[SK_MAX_IDS];
    sk_reason reason;
    long line; /* line of the defect (1-based), 0 when none */
} sk_sample;

/* Parse one file from fp (name is used in messages). DSHAP_EFORMAT or
 * DSHAP_EIO with s->reason set on a defect. */
dshap_status skeleton_read(FILE *fp, const char *name, sk_sample *s);
/* Short description of a reason, for per-reason counts. */
const char *sk_reason_text(sk_reason r);

#endif
