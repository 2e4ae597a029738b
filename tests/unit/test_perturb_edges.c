/* perturb --edge-tensors on an imported model's constants (study/perturb.h):
 * which constants are (V, V) blocks, the refusals, and the values written
 * by edges_apply against hand computations: (j, j) of every block where it
 * is nonzero, d = thresh * the block's range (original or re-read after
 * each joint), and the restore. */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "engine/layout.h"
#include "study/perturb.h"
#include "testlib.h"

#define V 25

static dshap_param *add(dshap_model *m, const char *name, int rank, const int64_t *d, int integer) {
    dshap_param *p = NULL;
    EXPECT_OK(model_add(m, name, rank, d, integer, &p));
    return p;
}

int main(void) {
    dshap_model m = {0};
    m.path = "m.h5";
    m.arch.layout = layout_find("ntu25");
    dshap_net net = {0};
    net.arch = m.arch;
    net.general = 1;
    int64_t d3[3] = {2, V, V}, d2[2] = {3 * V, V}, d1[1] = {V}, d5[2] = {5, V};
    add(&m, "blk/adj", 3, d3, 0);
    add(&m, "blk/flat", 2, d2, 0);
    add(&m, "w/vec", 1, d1, 0);
    add(&m, "w/rows", 2, d5, 0);
    add(&m, "w/int", 3, d3, 1);
    if (tl_failures) return tl_finish("test_perturb_edges");
    dshap_param *A = model_find(&m, "blk/adj");
    /* block 0: entry e = e / 100 (range 624 / 100), block 1: all 1 but (3, 3) = 0 and (5, 5) = 3 */
    for (int e = 0; e < V * V; e++) A->data[e] = (float)(e / 100.0), A->data[V * V + e] = 1;
    A->data[V * V + 3 * V + 3] = 0;
    A->data[V * V + 5 * V + 5] = 3;
    for (int64_t e = 0; e < model_find(&m, "blk/flat")->count; e++) model_find(&m, "blk/flat")->data[e] = 1;

    EXPECT(edge_blocks(A, V) == 2, "(2, V, V): 2 blocks");
    EXPECT(edge_blocks(model_find(&m, "blk/flat"), V) == 3, "(3V, V): 3 blocks");
    EXPECT(edge_blocks(model_find(&m, "w/vec"), V) == 0, "(V,): no block");
    EXPECT(edge_blocks(model_find(&m, "w/rows"), V) == 0, "(5, V): no block");
    EXPECT(edge_blocks(model_find(&m, "w/int"), V) == 0, "an integer tensor: no block");

    edge_set es;
    EXPECT(edges_collect_named(&es, &m, &net, "nothing*") != DSHAP_OK && strstr(dshap_last_error(), "matches no constant"),
           "no match: %s", dshap_last_error());
    EXPECT(edges_collect_named(&es, &m, &net, "w/*") != DSHAP_OK && strstr(dshap_last_error(), "'w/vec' of shape (25,)"),
           "wrong shape: %s", dshap_last_error());
    EXPECT(edges_collect(&es, &m, &net) != DSHAP_OK && strstr(dshap_last_error(), "--edge-tensors"),
           "imported model without a pattern: %s", dshap_last_error());
    net.general = 0;
    EXPECT(edges_collect_named(&es, &m, &net, "blk/*") != DSHAP_OK && strstr(dshap_last_error(), "imported models"),
           "ShapGCN model with a pattern: %s", dshap_last_error());
    net.general = 1;

    EXPECT_OK(edges_collect_named(&es, &m, &net, "blk/adj"));
    EXPECT(es.n == 1 && es.E[0] == A, "one constant selected");
    int joints[3] = {3, 5, 0};
    perturb_opts amp = {PM_AMPLIFY, 0.5, PR_ORIGINAL, 0};
    edges_apply(&es, &net, joints, 3, &amp);
    /* block 0: d = 0.5 * 6.24; (0, 0) = 0 is no edge */
    double d0 = 0.5 * (float)6.24;
    EXPECT(A->data[3 * V + 3] == (float)((float)0.78 + d0), "block 0 (3, 3): %.9g", A->data[3 * V + 3]);
    EXPECT(A->data[5 * V + 5] == (float)((float)1.30 + d0), "block 0 (5, 5): %.9g", A->data[5 * V + 5]);
    EXPECT(A->data[0] == 0, "block 0 (0, 0) = 0 stays 0: %g", A->data[0]);
    EXPECT(A->data[3 * V + 4] == (float)0.79, "off-diagonal untouched");
    /* block 1: d = 0.5 * (3 - 0); (3, 3) = 0 stays */
    const float *B = A->data + V * V;
    EXPECT(B[3 * V + 3] == 0 && B[5 * V + 5] == 4.5f && B[0] == 2.5f, "block 1: %g %g %g", B[3 * V + 3], B[5 * V + 5], B[0]);
    /* sequential: block 1's range re-read after each change: (5, 5) 3 + 1.5 = 4.5, then d = 0.5 * 4.5 at (0, 0) */
    perturb_opts seq = {PM_AMPLIFY, 0.5, PR_SEQUENTIAL, 0};
    edges_apply(&es, &net, joints, 3, &seq);
    EXPECT(B[5 * V + 5] == 4.5f && B[0] == 3.25f, "sequential block 1: %g %g", B[5 * V + 5], B[0]);
    perturb_opts zo = {PM_ZERO_OUT, 0.5, PR_ORIGINAL, 0}, tz = {PM_TOWARD_ZERO, 0.5, PR_ORIGINAL, 1};
    edges_apply(&es, &net, joints + 1, 1, &zo);
    EXPECT(B[5 * V + 5] == (float)1e-5 && B[0] == 1 && B[3 * V + 3] == 0, "zero-out of joint 5 only");
    edges_apply(&es, &net, joints + 1, 1, &tz);
    EXPECT(B[5 * V + 5] == 1.5f, "toward zero: 3 - 1.5 = %g", B[5 * V + 5]);
    edges_apply(&es, &net, NULL, 0, &amp);
    EXPECT(B[5 * V + 5] == 3 && A->data[3 * V + 3] == (float)0.78, "n_j = 0 restores");
    edges_free(&es);
    model_free(&m);
    return tl_finish("test_perturb_edges");
}
