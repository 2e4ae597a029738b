/* Random models that behave like trained ones: after random initialisation,
 * one forward pass over a random batch sets every BatchNorm's running
 * statistics to the batch statistics of its input, perturbed (×U(0.8, 1.25)
 * on the variance, +0.1·sd·N(0, 1) on the mean). Without this, random
 * statistics compound through the residual stack and logits reach 10⁴,
 * which is nothing like a model anyone explains. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "engine/calibrate.h"

#define CALIB_SAMPLES 2
#define BN_EPS 1e-5

static dshap_status calibrate_affine(node *nd, dshap_model *m, const float *x, int64_t rows, rng_t *rng) {
    char name[200];
    snprintf(name, sizeof name, "%s.running_mean", nd->params);
    dshap_param *mu = model_find(m, name);
    snprintf(name, sizeof name, "%s.running_var", nd->params);
    dshap_param *var = model_find(m, name);
    snprintf(name, sizeof name, "%s.weight", nd->params);
    dshap_param *g = model_find(m, name);
    snprintf(name, sizeof name, "%s.bias", nd->params);
    dshap_param *be = model_find(m, name);
    if (!mu || !var || !g || !be) FAIL(DSHAP_EINVAL, "internal: BN tensors of '%s' not found", nd->params);
    int64_t TV = (int64_t)nd->T * nd->V;
    /* Pooled features (attention, squeeze-excite) give too few values per
     * channel for a variance: keep their random statistics. */
    if (rows * TV < 64) return DSHAP_OK;
    /* Per-channel batch mean and variance, in double. */
    double *mean, *vr;
    TRY(dshap_calloc((void **)&mean, (size_t)nd->C * 2, sizeof(double), "BN statistics"));
    vr = mean + nd->C;
    double cnt = (double)rows * TV, vsum = 0;
    for (int c = 0; c < nd->C; c++) {
        double s = 0, s2 = 0;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t e = 0; e < TV; e++) {
                double v = x[(r * nd->C + c) * TV + e];
                s += v;
                s2 += v * v;
            }
        mean[c] = s / cnt;
        vr[c] = fmax(s2 / cnt - mean[c] * mean[c], 0);
        vsum += vr[c];
    }
    /* Dead channels (e.g. all clipped by an activation) get the average
     * variance, not a near-zero one that would amplify them 100-fold. */
    double vfloor = fmax(0.1 * vsum / nd->C, 1e-4);
    for (int c = 0; c < nd->C; c++) {
        double v = fmax(vr[c], vfloor);
        mu->data[c] = (float)(mean[c] + 0.1 * sqrt(v) * rng_normal(rng));
        var->data[c] = (float)(v * (0.8 + 0.45 * rng_uniform(rng)));
        double sc = (double)g->data[c] / sqrt((double)var->data[c] + BN_EPS);
        nd->scale[c] = (float)sc;
        nd->shift[c] = (float)((double)be->data[c] - (double)mu->data[c] * sc);
    }
    dshap_free(mean);
    return DSHAP_OK;
}

dshap_status net_calibrate_bn(dshap_net *net, dshap_model *m, uint64_t seed) {
    int64_t F = net_input_floats(net);
    float *x = NULL;
    net_acts acts = {0};
    rng_t rng;
    rng_seed(&rng, seed ^ 0xB47C4A11B7A7E5ull);
    dshap_status st = DSHAP_OK;
    CHECK(dshap_alloc_floats(&x, (size_t)(CALIB_SAMPLES * F), "calibration batch"));
    for (int64_t e = 0; e < CALIB_SAMPLES * F; e++) x[e] = (float)rng_normal(&rng);
    CHECK(acts_alloc(&acts, net, CALIB_SAMPLES, NULL));
    for (int i = 0; i < net->n_nodes; i++) {
        node *nd = &net->nodes[i];
        if (nd->op == OP_AFFINE)
            CHECK(calibrate_affine(nd, m, acts.y[nd->in[0]], node_rows(net, nd, CALIB_SAMPLES), &rng));
        CHECK(net_forward_node_cpu(net, &acts, i, x, CALIB_SAMPLES));
    }
done:
    acts_free(&acts);
    dshap_free(x);
    return st;
}
