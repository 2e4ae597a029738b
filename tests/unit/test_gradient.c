/* The plain gradient (RULES_GRAD, used by Grad-CAM) at a node equals central
 * finite differences of the logit. Checked at the J-branch input node of a
 * smooth (swish) model, for 40 random input elements: |g - fd| ≤ 2e-2·max(|fd|, 0.05·max|g|). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/rng.h"
#include "engine/deeplift.h"
#include "testlib.h"

int main(void) {
    const char *json =
        "{\"act\": \"swish\", \"att_lay\": \"ca\", \"conv_lay\": \"Basic\", \"init_lay\": 16, \"expand_ratio\": 1,"
        " \"reduct_ratio\": 2, \"blocks_in\": 1, \"depth_in\": 1, \"stride_in\": 2, \"scale_in\": 1, \"temp_win_in\": 3,"
        " \"graph_dist_in\": 1, \"blocks_main\": 1, \"depth_main\": 1, \"stride_main\": 1, \"scale_main\": 1,"
        " \"temp_win_main\": 3, \"graph_dist_main\": 1, \"num_class\": 3, \"layout\": \"cp19\", \"in_channels\": 2,"
        " \"num_frames\": 8, \"num_persons\": 1}";
    dshap_model m = {0};
    dshap_net net;
    EXPECT_OK(arch_from_json(&m.arch, json, "test"));
    EXPECT_OK(net_init_random(&net, &m, 3));
    int n = 1, cls = 2, K = 3;
    int64_t F = 4LL * 4 * 8 * 19;
    float *x;
    dshap_alloc_floats(&x, (size_t)F, "x");
    rng_t r;
    rng_seed(&r, 9);
    for (int64_t e = 0; e < F; e++) x[e] = (float)(0.5 * rng_normal(&r));
    net_acts a;
    EXPECT_OK(acts_alloc(&a, &net, n, NULL));
    EXPECT_OK(net_forward_cpu(&net, &a, x, n));
    int at = -1;
    for (int i = 0; i < net.n_nodes; i++)
        if (net.nodes[i].op == OP_INPUT && net.nodes[i].branch == 0) at = i;
    int64_t S = node_size(&net.nodes[at]); /* (2C, T, V), M = 1 */
    float *g;
    dshap_alloc_floats(&g, (size_t)S, "grad");
    EXPECT_OK(gradient_at_node_cpu(&net, &a, x, n, at, 1, &cls, g, NULL, 0));
    double gmax = 0;
    for (int64_t e = 0; e < S; e++) gmax = fmax(gmax, fabs(g[e]));
    int bad = 0;
    for (int k = 0; k < 40; k++) {
        int64_t e = (int64_t)rng_below(&r, (uint64_t)S); /* branch 0 comes first in x, M = 1 */
        float keep = x[e], h = 1e-2f;
        x[e] = keep + h;
        net_forward_cpu(&net, &a, x, n);
        double up = a.y[net.out][cls];
        x[e] = keep - h;
        net_forward_cpu(&net, &a, x, n);
        double down = a.y[net.out][cls];
        x[e] = keep;
        double fd = (up - down) / (2 * h);
        if (fabs(g[e] - fd) > 2e-2 * fmax(fabs(fd), 0.05 * gmax)) {
            bad++;
            fprintf(stderr, "element %lld: gradient %.6g, finite difference %.6g\\n", (long long)e, g[e], fd);
        }
    }
    EXPECT(bad == 0, "%d of 40 gradient entries disagree with finite differences", bad);
    (void)K;
    dshap_free(g);
    dshap_free(x);
    acts_free(&a);
    net_free(&net);
    model_free(&m);
    return tl_finish("test_gradient");
}
