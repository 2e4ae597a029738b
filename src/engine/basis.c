#include "engine/basis.h"

int class_basis_for(const dshap_net *net, int n_k, class_basis *b) {
    const node *fc = &net->nodes[net->out];
    if (fc->op != OP_CONV || fc->n_in != 1 || fc->k != 1 || fc->groups != 1 || fc->T != 1 || fc->V != 1) return 0;
    const node *h = &net->nodes[fc->in[0]];
    if (h->per_person || h->T != 1 || h->V != 1 || n_k <= h->C) return 0;
    b->node = fc->in[0];
    b->C = h->C;
    b->w = fc->w;
    return 1;
}

void class_basis_combine(const class_basis *b, const int *classes, int n_i, int n_k, int64_t G, const double *in,
                         double *out) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < n_i; i++)
        for (int kk = 0; kk < n_k; kk++) {
            const float *wk = b->w + (int64_t)classes[i * n_k + kk] * b->C;
            double *o = out + ((int64_t)i * n_k + kk) * G;
            for (int64_t g = 0; g < G; g++) o[g] = 0;
            for (int c = 0; c < b->C; c++) {
                const double *src = in + ((int64_t)i * b->C + c) * G;
                double w = wk[c];
                for (int64_t g = 0; g < G; g++) o[g] += w * src[g];
            }
        }
}
