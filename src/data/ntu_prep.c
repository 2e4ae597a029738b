/* The "zero" tests follow the published code: a joint is empty when
 * x + y + z == 0 (summed in float32, as numpy does), a frame when the sum over
 * its joints is 0, a body when the sum over all its values is 0. Frame and
 * body sums are taken in double here; numpy sums float32 pairwise, and the two
 * can only disagree when non-zero coordinates cancel exactly, which real
 * coordinates (depth z > 0 before centring) do not. */
#include "data/ntu_prep.h"

#include <math.h>
#include <string.h>

#include "data/skeleton.h"

#define V SK_JOINTS
#define FRAME (V * 3)

const char *const ntu_transforms[NTU_TRANSFORMS_N] = {"pad", "sub", "parallel_s", "parallel_h"};

static float *frame_at(float *s, int T, int m, int t) { return s + ((size_t)m * T + t) * FRAME; }

static float joint_sum(const float *j) { return (j[0] + j[1]) + j[2]; }

static double sum_of(const float *p, size_t n) {
    double acc = 0;
    for (size_t i = 0; i < n; i++) acc += p[i];
    return acc;
}

static int frame_zero(const float *f) { return sum_of(f, FRAME) == 0; }

/* Step 2: population std of each channel over the slot's non-zero frames
 * (two passes: mean, then squared deviations). */
static double energy(float *s, int T, int m, int frames) {
    double mean[3] = {0}, sq[3] = {0};
    long n = 0;
    for (int t = 0; t < frames; t++) {
        const float *f = frame_at(s, T, m, t);
        if (frame_zero(f)) continue;
        for (int v = 0; v < V; v++)
            for (int c = 0; c < 3; c++) mean[c] += f[v * 3 + c];
        n += V;
    }
    if (n == 0) return 0;
    for (int c = 0; c < 3; c++) mean[c] /= (double)n;
    for (int t = 0; t < frames; t++) {
        const float *f = frame_at(s, T, m, t);
        if (frame_zero(f)) continue;
        for (int v = 0; v < V; v++)
            for (int c = 0; c < 3; c++) {
                double d = f[v * 3 + c] - mean[c];
                sq[c] += d * d;
            }
    }
    return sqrt(sq[0] / n) + sqrt(sq[1] / n) + sqrt(sq[2] / n);
}

/* Step 3: move the frames to the start when the first is empty, then repeat
 * frames 0..i−1 over the all-zero tail starting at i. */
static void pad(float *s, int T, int m) {
    float *p = frame_at(s, T, m, 0);
    if (sum_of(p, (size_t)T * FRAME) == 0) return;
    if (frame_zero(p)) {
        int k = 0;
        for (int t = 0; t < T; t++) {
            float *f = frame_at(s, T, m, t);
            if (frame_zero(f)) continue;
            if (k != t) memcpy(frame_at(s, T, m, k), f, sizeof(float) * FRAME);
            k++;
        }
        memset(frame_at(s, T, m, k), 0, sizeof(float) * FRAME * (size_t)(T - k));
    }
    for (int i = 1; i < T; i++) {
        if (!frame_zero(frame_at(s, T, m, i))) continue;
        if (sum_of(frame_at(s, T, m, i), (size_t)(T - i) * FRAME) != 0) continue;
        for (int t = i; t < T; t++) memcpy(frame_at(s, T, m, t), frame_at(s, T, m, t % i), sizeof(float) * FRAME);
        return;
    }
}

/* Step 4: subtract joint 1 of body 0 at frame 0 from every non-empty joint;
 * numpy computes (x − c)·mask, so an empty joint becomes ±0. */
static void sub_center(float *s, int T) {
    float c[3];
    memcpy(c, frame_at(s, T, 0, 0) + 1 * 3, sizeof c);
    for (int m = 0; m < SK_SLOTS; m++) {
        if (sum_of(frame_at(s, T, m, 0), (size_t)T * FRAME) == 0) continue;
        for (int t = 0; t < T; t++) {
            float *f = frame_at(s, T, m, t);
            for (int v = 0; v < V; v++) {
                float mask = joint_sum(f + v * 3) != 0 ? 1.0f : 0.0f;
                for (int k = 0; k < 3; k++) f[v * 3 + k] = (f[v * 3 + k] - c[k]) * mask;
            }
        }
    }
}

/* Steps 5/6: rotate every non-zero frame so that body 0's frame-0 vector
 * joint[to] − joint[from] points along axis `dir` (0 = x, 1 = y). The rotation
 * is about v × e_dir by the angle between v and e_dir (numpy's
 * angle_between: float32 unit vector, arccos in double), as a quaternion
 * matrix; identity when |v|₁, |axis|₁ or the angle is below 1e-6. */
static void align(float *s, int T, int from, int to, int dir) {
    const float *f0 = frame_at(s, T, 0, 0);
    float v[3];
    for (int k = 0; k < 3; k++) v[k] = f0[to * 3 + k] - f0[from * 3 + k];
    double e[3] = {0, 0, 0};
    e[dir] = 1;
    double axis[3] = {(double)v[1] * e[2] - (double)v[2] * e[1], (double)v[2] * e[0] - (double)v[0] * e[2],
                      (double)v[0] * e[1] - (double)v[1] * e[0]};
    double theta = 0;
    if ((fabsf(v[0]) + fabsf(v[1])) + fabsf(v[2]) >= 1e-6f) {
        float norm = sqrtf((v[0] * v[0] + v[1] * v[1]) + v[2] * v[2]);
        double cosang = (double)(v[dir] / norm);
        theta = acos(cosang < -1 ? -1 : cosang > 1 ? 1 : cosang);
    }
    double R[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    if ((fabs(axis[0]) + fabs(axis[1])) + fabs(axis[2]) >= 1e-6 && fabs(theta) >= 1e-6) {
        double n = sqrt((axis[0] * axis[0] + axis[1] * axis[1]) + axis[2] * axis[2]);
        double a = cos(theta / 2.0), sn = sin(theta / 2.0);
        double b = -(axis[0] / n) * sn, c = -(axis[1] / n) * sn, d = -(axis[2] / n) * sn;
        double aa = a * a, bb = b * b, cc = c * c, dd = d * d;
        double bc = b * c, ad = a * d, ac = a * c, ab = a * b, bd = b * d, cd = c * d;
        double M[3][3] = {{aa + bb - cc - dd, 2 * (bc + ad), 2 * (bd - ac)},
                          {2 * (bc - ad), aa + cc - bb - dd, 2 * (cd + ab)},
                          {2 * (bd + ac), 2 * (cd - ab), aa + dd - bb - cc}};
        memcpy(R, M, sizeof R);
    } else {
        return; /* identity: nothing changes */
    }
    for (int m = 0; m < SK_SLOTS; m++) {
        if (sum_of(frame_at(s, T, m, 0), (size_t)T * FRAME) == 0) continue;
        for (int t = 0; t < T; t++) {
            float *f = frame_at(s, T, m, t);
            if (frame_zero(f)) continue;
            for (int j = 0; j < V; j++) {
                double x = f[j * 3], y = f[j * 3 + 1], z = f[j * 3 + 2];
                for (int r = 0; r < 3; r++) f[j * 3 + r] = (float)((R[r][0] * x + R[r][1] * y) + R[r][2] * z);
            }
        }
    }
}

void ntu_preprocess(float *s, int T, int frames, int any_two) {
    if (any_two && energy(s, T, 0, frames) < energy(s, T, 1, frames)) {
        /* numpy's argsort()[::-1], applied twice in the published code, swaps
         * only on a strict difference. */
        for (size_t i = 0; i < (size_t)T * FRAME; i++) {
            float t = s[i];
            s[i] = s[(size_t)T * FRAME + i];
            s[(size_t)T * FRAME + i] = t;
        }
    }
    for (int m = 0; m < SK_SLOTS; m++) pad(s, T, m);
    if (sum_of(s, (size_t)SK_SLOTS * T * FRAME) == 0) return;
    sub_center(s, T);
    /* The rotations check the whole sample again (after sub it may be zero). */
    if (sum_of(s, (size_t)SK_SLOTS * T * FRAME) != 0) align(s, T, 4, 8, 0);
    if (sum_of(s, (size_t)SK_SLOTS * T * FRAME) != 0) align(s, T, 0, 20, 1);
}

void ntu_to_ctvm(const float *s, int T, float *x) {
    for (int m = 0; m < SK_SLOTS; m++)
        for (int t = 0; t < T; t++)
            for (int v = 0; v < V; v++)
                for (int c = 0; c < 3; c++)
                    x[(((size_t)c * T + t) * V + v) * SK_SLOTS + m] = s[(((size_t)m * T + t) * V + v) * 3 + c];
}
