/* Butterworth low-pass as second-order sections, and zero-phase filtering,
 * reproducing scipy.signal.butter(N, Wn, output='sos') and
 * scipy.signal.sosfiltfilt(sos, x) with its defaults (odd extension, padlen
 * 3·ntaps, steady-state initial conditions from sosfilt_zi). The A branch of
 * the models was trained with exactly these, so the arithmetic follows scipy's
 * step by step (same operation order), in double. */
#ifndef DSHAP_BUTTER_H
#define DSHAP_BUTTER_H

#include "core/error.h"

#define BUTTER_MAX_SECTIONS 8 /* order ≤ 16 */

typedef struct {
    int n_sections;
    double sos[BUTTER_MAX_SECTIONS][6]; /* b0 b1 b2 a0 a1 a2 per section, a0 = 1 */
    double zi[BUTTER_MAX_SECTIONS][2];  /* sosfilt_zi: steady state for a unit step */
    int padlen;                         /* scipy's default edge: 3·ntaps */
} butter_sos;

/* Digital low-pass of even order N (2..16), cutoff 0 < wn < 1 (fraction of
 * Nyquist), with sosfilt_zi and the default padlen filled in. */
dshap_status butter_lowpass(butter_sos *f, int order, double wn);

/* Zero-phase filter of x (n samples) into y (n samples; may alias x).
 * padlen < 0 means scipy's default (f->padlen). scipy refuses n <= padlen;
 * the caller decides what to do then (see features.c). work holds
 * n + 2·padlen doubles. */
void butter_filtfilt(const butter_sos *f, int padlen, const double *x, int n, double *y, double *work);

#endif
