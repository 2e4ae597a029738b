/* libFuzzer target for the .skeleton parser (and the NTU preprocessing of
 * whatever it accepts). Built by run_fuzz.sh with a 4 KiB line buffer
 * (-DSK_BUF=4096) so buffer refills and lines across refills get exercised.
 * Besides crashes and sanitizer reports, it traps on broken invariants:
 * success means consistent counts; failure means a one-line message that
 * starts with the file name and a reason code. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "data/ntu_prep.h"
#include "data/skeleton.h"

#define T_MAX 300

static float xyz[SK_SLOTS * T_MAX * SK_JOINTS * 3];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0; /* fmemopen refuses empty buffers; empty.skeleton is a unit test */
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (!fp) return 0;
    sk_sample s = {.T_max = T_MAX, .xyz = xyz};
    dshap_status st = skeleton_read(fp, "fuzz.skeleton", &s);
    fclose(fp);
    if (st == DSHAP_OK) {
        int frames = 0;
        for (int k = 0; k <= SK_MAX_BODIES; k++) frames += s.hist[k];
        if (s.reason != SK_OK || frames != s.frames || s.frames < 1 || s.frames > T_MAX || s.max_bodies > SK_MAX_BODIES)
            __builtin_trap();
        ntu_preprocess(xyz, T_MAX, s.frames, s.hist[2] > 0);
    } else {
        const char *msg = dshap_last_error();
        if (s.reason <= SK_OK || s.reason >= SK_NREASONS || strncmp(msg, "fuzz.skeleton:", 14) != 0 ||
            strchr(msg, '\n') || strchr(msg, '\r'))
            __builtin_trap();
    }
    return 0;
}
