/* J, V, B, A input features (MODEL.md "The four input features"), computed in
 * double on the first T frames and stored as float32. Double matters for the
 * bone angles: arccos near ±1 magnifies float32 rounding of B/L to ~5e-5,
 * while in double the only error left is the final float32 store. */
#include "data/features.h"

#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "data/butter.h"

#define FEAT_BUTTER_ORDER 8
#define FEAT_BUTTER_CUTOFF 0.5
#define BONE_EPS 1e-4

int features_padlen(int T) {
    /* scipy's default for the order-8 filter is 3·(2·4 + 1) = 27 and it
     * refuses T ≤ 27; we extend by as much as the sequence allows. */
    int e = 3 * (FEAT_BUTTER_ORDER + 1);
    return T - 1 < e ? T - 1 : e;
}

typedef struct {
    int C, T, V, M;
    const int *parent;
    butter_sos filt;
    int padlen;
    double *x;    /* (C, T, V, M) the sliced joints */
    double *vel;  /* (2C, T, V, M) V, unrounded, as the filter sees it */
    double *sig;  /* (T) one velocity channel of one joint */
    double *work; /* (T + 2·padlen) filter extension */
} feat_ctx;

#define AT(c, t, v, m) ((((size_t)(c) * k->T + (t)) * k->V + (v)) * k->M + (m))

/* J: raw coordinates, then coordinates relative to joint 1. */
static void joint_branch(const feat_ctx *k, float *J) {
    for (int c = 0; c < k->C; c++)
        for (int t = 0; t < k->T; t++)
            for (int v = 0; v < k->V; v++)
                for (int m = 0; m < k->M; m++) {
                    J[AT(c, t, v, m)] = (float)k->x[AT(c, t, v, m)];
                    J[AT(k->C + c, t, v, m)] = (float)(k->x[AT(c, t, v, m)] - k->x[AT(c, t, 1, m)]);
                }
}

/* V: one-frame and two-frame (halved) differences; the last two frames stay 0. */
static void velocity_branch(const feat_ctx *k, float *Vout) {
    memset(k->vel, 0, sizeof(double) * 2 * (size_t)k->C * k->T * k->V * k->M);
    for (int c = 0; c < k->C; c++)
        for (int t = 0; t + 2 < k->T; t++)
            for (int v = 0; v < k->V; v++)
                for (int m = 0; m < k->M; m++) {
                    k->vel[AT(c, t, v, m)] = k->x[AT(c, t + 1, v, m)] - k->x[AT(c, t, v, m)];
                    k->vel[AT(k->C + c, t, v, m)] = (k->x[AT(c, t + 2, v, m)] - k->x[AT(c, t, v, m)]) / 2;
                }
    for (size_t i = 0; i < 2 * (size_t)k->C * k->T * k->V * k->M; i++) Vout[i] = (float)k->vel[i];
}

/* B: bone vectors to the parent, then the angle of each bone component with
 * its length (+1e-4, so zero bones give π/2). */
static void bone_branch(const feat_ctx *k, float *B) {
    double b[8];
    for (int t = 0; t < k->T; t++)
        for (int v = 0; v < k->V; v++)
            for (int m = 0; m < k->M; m++) {
                double len2 = 0;
                for (int c = 0; c < k->C; c++) {
                    b[c] = k->x[AT(c, t, v, m)] - k->x[AT(c, t, k->parent[v], m)];
                    len2 += b[c] * b[c];
                }
                double len = sqrt(len2) + BONE_EPS;
                for (int c = 0; c < k->C; c++) {
                    B[AT(c, t, v, m)] = (float)b[c];
                    B[AT(k->C + c, t, v, m)] = (float)acos(b[c] / len);
                }
            }
}

/* A: low-pass every velocity channel along time (zero phase), then the same
 * differences as V on the filtered signal F. */
static void accel_branch(feat_ctx *k, float *A) {
    int C2 = 2 * k->C, T = k->T;
    memset(A, 0, sizeof(float) * (size_t)C2 * T * k->V * k->M);
    for (int c = 0; c < C2; c++)
        for (int v = 0; v < k->V; v++)
            for (int m = 0; m < k->M; m++) {
                for (int t = 0; t < T; t++) k->sig[t] = k->vel[AT(c, t, v, m)];
                butter_filtfilt(&k->filt, k->padlen, k->sig, T, k->sig, k->work);
                for (int t = 0; t + 2 < T; t++)
                    A[AT(c, t, v, m)] = (float)(c < k->C ? k->sig[t + 1] - k->sig[t] : (k->sig[t + 2] - k->sig[t]) / 2);
            }
}

dshap_status features_compute(float *out, const float *raw, int64_t n, const dshap_layout *L, int C, int T_raw, int T,
                              int M) {
    if (C < 1 || C > 4 || M < 1 || T < 1 || T > T_raw || L->V < 2)
        FAIL(DSHAP_EINVAL, "features: unsupported shape C = %d, T = %d of %d stored frames, V = %d, M = %d", C, T, T_raw,
             L->V, M);
    feat_ctx k = {.C = C, .T = T, .V = L->V, .M = M, .parent = L->parents};
    TRY(butter_lowpass(&k.filt, FEAT_BUTTER_ORDER, FEAT_BUTTER_CUTOFF));
    k.padlen = features_padlen(T);
    size_t plane = (size_t)C * T * k.V * M; /* one branch half: C channels */
    dshap_status st = DSHAP_OK;
    CHECK(dshap_alloc((void **)&k.x, sizeof(double) * plane, "feature joints"));
    CHECK(dshap_alloc((void **)&k.vel, sizeof(double) * 2 * plane, "feature velocity"));
    CHECK(dshap_alloc((void **)&k.sig, sizeof(double) * (size_t)T, "feature signal"));
    CHECK(dshap_alloc((void **)&k.work, sizeof(double) * (size_t)(T + 2 * k.padlen), "filter work"));
    size_t raw_frame = (size_t)k.V * M, raw_per = (size_t)C * T_raw * raw_frame;
    for (int64_t i = 0; i < n; i++) {
        const float *r = raw + (size_t)i * raw_per;
        /* Slice the first T frames (as the loaders do before computing). */
        for (int c = 0; c < C; c++)
            for (size_t j = 0; j < (size_t)T * raw_frame; j++)
                k.x[(size_t)c * T * raw_frame + j] = r[(size_t)c * T_raw * raw_frame + j];
        float *o = out + (size_t)i * 4 * 2 * plane; /* (4, 2C, T, V, M) */
        joint_branch(&k, o);
        velocity_branch(&k, o + 2 * plane);
        bone_branch(&k, o + 4 * plane);
        accel_branch(&k, o + 6 * plane);
    }
done:
    dshap_free(k.x);
    dshap_free(k.vel);
    dshap_free(k.sig);
    dshap_free(k.work);
    return st;
}
