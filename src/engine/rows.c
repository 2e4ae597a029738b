#include "engine/rows.h"

int64_t person_equal_mask(const float *x_inst, int n_i, const float *x_ref, int n_r, int64_t F, int M,
                          unsigned char *same) {
    int64_t n_same = 0;
    for (int i = 0; i < n_i; i++)
        for (int r = 0; r < n_r; r++) {
            const float *a = x_inst + (int64_t)i * F, *b = x_ref + (int64_t)r * F;
            for (int m = 0; m < M; m++) {
                int64_t f = m;
                /* x_i − x_r = 0 exactly where x_i == x_r (inputs are checked: no NaN) */
                while (f < F && a[f] == b[f]) f += M;
                same[((int64_t)i * n_r + r) * M + m] = f >= F;
                n_same += f >= F;
            }
        }
    return n_same;
}

void batch_rows_carve(batch_rows *r, int *buf, int P, int M) {
    int64_t PM = (int64_t)P * M;
    r->B = 0;
    r->xi_pp = buf;
    r->xr_pp = buf + PM;
    r->pair = buf + 2 * PM;
    r->slot = buf + 3 * PM;
    r->xi_ps = buf + 4 * PM;
    r->xr_ps = buf + 4 * PM + P;
}

void batch_rows_fill(batch_rows *r, const unsigned char *same, int p0, int P, int n_r, int n_k, int M) {
    int B = 0;
    for (int pp = 0; pp < P; pp++) {
        int p = p0 + pp;
        int ref = (p / n_k) % n_r, i = p / (n_k * n_r);
        r->xi_ps[pp] = i;
        r->xr_ps[pp] = ref;
        for (int m = 0; m < M; m++) {
            if (same && same[((int64_t)i * n_r + ref) * M + m]) {
                r->slot[pp * M + m] = -1;
                continue;
            }
            r->slot[pp * M + m] = B;
            r->xi_pp[B] = i * M + m;
            r->xr_pp[B] = ref * M + m;
            r->pair[B] = pp;
            B++;
        }
    }
    r->B = B;
}
