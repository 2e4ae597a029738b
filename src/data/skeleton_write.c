#include "data/skeleton_write.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "data/skeleton.h"

/* Joints whose orientation Kinect leaves all-zero (head, feet, hand tips,
 * thumbs), as in the real files. */
static int no_orientation(int v) { return v == 3 || v == 15 || v == 19 || v >= 21; }

dshap_status skeleton_write(FILE *fp, const char *name, const float *x, int T, int M, int64_t body_id, int crlf) {
    const char *nl = crlf ? "\r\n" : "\n";
    fprintf(fp, "%d%s", T, nl);
    for (int t = 0; t < T; t++) {
        fprintf(fp, "%d%s", M, nl);
        for (int m = 0; m < M; m++) {
#define X(c, v) x[(((size_t)(c) * T + t) * SK_JOINTS + (v)) * M + m]
            double lean_x = X(0, 20) - X(0, 0), lean_y = X(2, 20) - X(2, 0);
            fprintf(fp, "%lld 0 1 1 1 1 0 %.7g %.7g 2%s", (long long)(body_id + m), lean_x, lean_y, nl);
            fprintf(fp, "%d%s", SK_JOINTS, nl);
            for (int v = 0; v < SK_JOINTS; v++) {
                double px = X(0, v), py = X(1, v), pz = X(2, v), zz = fabs(pz) > 0.1 ? pz : 0.1;
                /* Pinhole projections of the depth (512×424) and colour
                 * (1920×1080) cameras. */
                fprintf(fp, "%.9G %.9G %.9G %.7g %.7g %.7g %.7g ", px, py, pz, 256 + 365 * px / zz, 212 - 365 * py / zz,
                        960 + 1081 * px / zz, 540 - 1081 * py / zz);
                if (no_orientation(v)) {
                    fprintf(fp, "0 0 0 0 2%s", nl);
                } else {
                    double a = 0.05 * v + 0.01 * t;
                    fprintf(fp, "%.7g 0 %.7g 0 2%s", cos(a), sin(a), nl);
                }
            }
#undef X
        }
    }
    if (ferror(fp)) FAIL(DSHAP_EIO, "%s: write failed (%s)", name, strerror(errno));
    return DSHAP_OK;
}
