/* Butterworth design and zero-phase filtering, following scipy 1.10's
 * buttap → lp2lp_zpk → bilinear_zpk → zpk2sos('nearest') and sosfiltfilt
 * operation by operation, so the coefficients agree to the last bits (the
 * test compares them with scipy's to 1e-12). Complex arithmetic is spelled
 * out the way numpy does it (its multiply, and Smith's division). */
#include "data/butter.h"

#include <math.h>
#include <string.h>

typedef struct {
    double re, im;
} cplx;

static cplx c_mul(cplx a, cplx b) { return (cplx){a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re}; }

/* numpy's complex division (Smith's method). */
static cplx c_div(cplx a, cplx b) {
    double br = fabs(b.re), bi = fabs(b.im);
    if (br >= bi) {
        double rat = b.im / b.re, scl = 1.0 / (b.re + b.im * rat);
        return (cplx){(a.re + a.im * rat) * scl, (a.im - a.re * rat) * scl};
    }
    double rat = b.re / b.im, scl = 1.0 / (b.im + b.re * rat);
    return (cplx){(a.re * rat + a.im) * scl, (a.im * rat - a.re) * scl};
}

/* scipy's lfilter_zi for one section (a0 = 1): solve (I − Aᵀ) zi = B, with
 * I − Aᵀ = [[1 + a1, −1], [a2, 1]], by LU with partial pivoting as LAPACK's
 * gesv does for a 2×2 system. */
static void section_zi(const double s[6], double zi[2]) {
    double m[2][2] = {{1.0 + s[4], -1.0}, {s[5], 1.0}};
    double r[2] = {s[1] - s[4] * s[0], s[2] - s[5] * s[0]};
    if (fabs(m[1][0]) > fabs(m[0][0])) {
        for (int j = 0; j < 2; j++) {
            double t = m[0][j];
            m[0][j] = m[1][j];
            m[1][j] = t;
        }
        double t = r[0];
        r[0] = r[1];
        r[1] = t;
    }
    double l = m[1][0] * (1.0 / m[0][0]);
    double u22 = m[1][1] - l * m[0][1];
    double y2 = r[1] - l * r[0];
    zi[1] = y2 / u22;
    zi[0] = (r[0] - zi[1] * m[0][1]) / m[0][0];
}

dshap_status butter_lowpass(butter_sos *f, int order, double wn) {
    if (order < 2 || order > 2 * BUTTER_MAX_SECTIONS || order % 2)
        FAIL(DSHAP_EINVAL, "Butterworth order %d: only even orders 2..%d are supported", order, 2 * BUTTER_MAX_SECTIONS);
    if (!(wn > 0 && wn < 1)) FAIL(DSHAP_EINVAL, "Butterworth cutoff %g must lie in (0, 1) (fraction of Nyquist)", wn);
    memset(f, 0, sizeof *f);
    int N = order, ns = order / 2;
    /* buttap: p = −exp(iπm/(2N)), m = −N+1, −N+3, …, N−1; k = 1. */
    cplx p[2 * BUTTER_MAX_SECTIONS];
    for (int i = 0; i < N; i++) {
        int m = -N + 1 + 2 * i;
        double ang = (M_PI * m) / (2.0 * N);
        p[i] = (cplx){-cos(ang), -sin(ang)};
    }
    /* iirfilter pre-warps with fs = 2; lp2lp_zpk scales poles and gain. */
    const double fs = 2.0, fs2 = 2.0 * fs;
    double wo = 2 * fs * tan(M_PI * wn / fs);
    double k = pow(wo, N);
    for (int i = 0; i < N; i++) p[i] = (cplx){wo * p[i].re, wo * p[i].im};
    /* bilinear_zpk: p_z = (fs2 + p)/(fs2 − p); all N zeros go to −1;
     * k_z = k · Re(1 / Π(fs2 − p)) (the product runs left to right). */
    cplx prod = {fs2 - p[0].re, -p[0].im};
    for (int i = 1; i < N; i++) prod = c_mul(prod, (cplx){fs2 - p[i].re, -p[i].im});
    k = k * c_div((cplx){1.0, 0.0}, prod).re;
    for (int i = 0; i < N; i++) p[i] = c_div((cplx){fs2 + p[i].re, p[i].im}, (cplx){fs2 - p[i].re, -p[i].im});
    /* _cplxreal: keep one pole of each conjugate pair, averaged with its
     * partner; even N has no real poles. buttap lists the upper-half-plane
     * poles first (m < 0), and pole N−1−i is the conjugate of pole i. */
    cplx pc[BUTTER_MAX_SECTIONS];
    int used[BUTTER_MAX_SECTIONS] = {0};
    for (int i = 0; i < ns; i++) {
        cplx a = p[i], b = p[N - 1 - i]; /* a.im > 0 */
        if (!(a.im > 0) || fabs(a.im) <= 100 * 2.220446049250313e-16 * hypot(a.re, a.im))
            FAIL(DSHAP_EINVAL, "Butterworth order %d, cutoff %g: unexpected real pole", order, wn);
        pc[i] = (cplx){(a.re + b.re) * 0.5, (a.im + -b.im) * 0.5};
    }
    /* zpk2sos('nearest'): the pole closest to the unit circle goes into the
     * last section; every section gets the double zero at −1 (b = 1, 2, 1)
     * and a = poly(p, p̄) = 1, −2·Re p, Re²p + Im²p. */
    for (int si = ns - 1; si >= 0; si--) {
        int best = -1;
        double bestd = 0;
        for (int i = 0; i < ns; i++) {
            if (used[i]) continue;
            double d = fabs(1.0 - hypot(pc[i].re, pc[i].im));
            if (best < 0 || d < bestd) {
                best = i;
                bestd = d;
            }
        }
        used[best] = 1;
        cplx q = pc[best];
        double *s = f->sos[si];
        s[0] = 1.0;
        s[1] = 2.0;
        s[2] = 1.0;
        s[3] = 1.0;
        s[4] = -q.re + -q.re;
        s[5] = q.re * q.re + q.im * q.im;
    }
    for (int j = 0; j < 3; j++) f->sos[0][j] *= k;
    f->n_sections = ns;
    /* sosfilt_zi: each section's steady state, scaled by the DC gain of the
     * sections before it. */
    double scale = 1.0;
    for (int s = 0; s < ns; s++) {
        double z[2];
        section_zi(f->sos[s], z);
        f->zi[s][0] = scale * z[0];
        f->zi[s][1] = scale * z[1];
        const double *c = f->sos[s];
        scale *= ((c[0] + c[1]) + c[2]) / ((c[3] + c[4]) + c[5]);
    }
    /* ntaps = 2·ns + 1 minus the sections whose b2 and a2 are both zero. */
    int zb = 0, za = 0;
    for (int s = 0; s < ns; s++) {
        zb += f->sos[s][2] == 0;
        za += f->sos[s][5] == 0;
    }
    f->padlen = 3 * (2 * ns + 1 - (zb < za ? zb : za));
    return DSHAP_OK;
}

/* sosfilt in place, direct form II transposed, with initial state zi·x0. */
static void sosfilt_inplace(const butter_sos *f, double *x, int n, double x0) {
    double z[BUTTER_MAX_SECTIONS][2];
    for (int s = 0; s < f->n_sections; s++) {
        z[s][0] = f->zi[s][0] * x0;
        z[s][1] = f->zi[s][1] * x0;
    }
    for (int i = 0; i < n; i++) {
        double cur = x[i];
        for (int s = 0; s < f->n_sections; s++) {
            const double *c = f->sos[s];
            double y = c[0] * cur + z[s][0];
            z[s][0] = (c[1] * cur - c[4] * y) + z[s][1];
            z[s][1] = c[2] * cur - c[5] * y;
            cur = y;
        }
        x[i] = cur;
    }
}

void butter_filtfilt(const butter_sos *f, int padlen, const double *x, int n, double *y, double *work) {
    int e = padlen < 0 ? f->padlen : padlen;
    int m = n + 2 * e;
    /* odd_ext: 2·x[0] − x[e..1] on the left, 2·x[n−1] − x[n−2..n−1−e] on the right. */
    for (int i = 0; i < e; i++) work[i] = 2 * x[0] - x[e - i];
    memcpy(work + e, x, sizeof(double) * (size_t)n);
    for (int j = 0; j < e; j++) work[e + n + j] = 2 * x[n - 1] - x[n - 2 - j];
    sosfilt_inplace(f, work, m, work[0]);
    /* Backward pass on the reversed signal. */
    for (int i = 0, j = m - 1; i < j; i++, j--) {
        double t = work[i];
        work[i] = work[j];
        work[j] = t;
    }
    sosfilt_inplace(f, work, m, work[0]);
    for (int i = 0; i < n; i++) y[i] = work[m - 1 - e - i];
}
