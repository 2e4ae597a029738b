/* The layers of the ShapGCN family as node sequences. Module paths and the
 * split between nn.Module nonlinearities and functional ops follow ShapGCN's
 * src/model/{layers,attention_layers}.py (MODEL.md). */
#include <math.h>
#include <stdio.h>

#include "engine/build_ctx.h"

/* conv + BN pair of an nn.Sequential(Conv2d, BatchNorm2d) at `seq`.0 / `seq`.1 */
static int conv_bn(builder *b, const char *seq, int in, int cout, int k, int stride, int groups, int bias) {
    char c[200], n[200];
    int x = b_conv(b, PATH(c, "%s.0", seq), in, cout, k, stride, groups, bias);
    x = b_bn(b, PATH(n, "%s.1", seq), x);
    b_module(b, x, seq);
    return x;
}

/* A node that is not the output of a PyTorch module (a split of one). */
static void rename_node(builder *b, int i, const char *fmt, const char *prefix, const char *tag) {
    if (b->st || i < 0) return;
    node *nd = &b->net->nodes[i];
    snprintf(nd->name, sizeof nd->name, fmt, prefix, tag);
    nd->is_module = 0;
}

static int act(builder *b, const char *name, int in) { return b_act(b, name, in, b->net->arch.act, 1); }

/* Residual of temporal layers: identity, or a strided 1×1 conv + BN. */
static int tcn_residual(builder *b, const char *prefix, int in, int stride) {
    if (stride == 1) return in;
    char p[200];
    return conv_bn(b, PATH(p, "%s.residual", prefix), in, b->net->nodes[in].C, 1, stride, 1, 1);
}

/* Spatial_Graph_Layer: out = act(BN(SGC(x))) + res(x). */
int layer_sgc(builder *b, const char *prefix, int in, int cout, int graph_dist) {
    if (b->st) return -1;
    char p[200], q[200];
    int cin = b->net->nodes[in].C, K = graph_dist + 1;
    int res = in;
    if (cin != cout) res = conv_bn(b, PATH(p, "%s.residual", prefix), in, cout, 1, 1, 1, 1);
    int x = b_conv(b, PATH(p, "%s.conv.gcn", prefix), in, cout * K, 1, 1, 1, 1);
    x = b_graph(b, PATH(p, "%s.conv", prefix), x, K);
    x = b_bn(b, PATH(p, "%s.bn", prefix), x);
    x = act(b, PATH(p, "%s.activation", prefix), x);
    x = b_add(b, PATH(q, "%s:add", prefix), x, res);
    b_module(b, x, prefix);
    return x;
}

/* Sep and V3: optional 1×1 expand (×expand_ratio) + BN + activation_1. */
static int expand(builder *b, const char *prefix, int x, int *inner) {
    char p[200];
    double ratio = b->net->arch.expand_ratio;
    if (ratio <= 0) return x;
    *inner = (int)(b->net->nodes[x].C * ratio);
    x = conv_bn(b, PATH(p, "%s.expand_conv", prefix), x, *inner, 1, 1, 1, 1);
    return act(b, PATH(p, "%s.activation_1", prefix), x);
}

static int inner_reduct(builder *b, int C) { return (int)floor(C / b->net->arch.reduct_ratio); }

int layer_tcn(builder *b, int kind, const char *prefix, int in, int k, int stride) {
    if (b->st) return -1;
    char p[200], q[200];
    int C = b->net->nodes[in].C, x = in, res;
    switch ((tcn_kind)kind) {
    case TCN_BASIC:
        res = tcn_residual(b, prefix, in, stride);
        x = b_conv(b, PATH(p, "%s.conv", prefix), in, C, k, stride, 1, 1);
        x = b_bn(b, PATH(p, "%s.bn", prefix), x);
        x = act(b, PATH(p, "%s.activation", prefix), x);
        x = b_add(b, PATH(q, "%s:add", prefix), x, res);
        break;
    case TCN_BOTTLENECK: {
        int inner = inner_reduct(b, C);
        res = tcn_residual(b, prefix, in, stride);
        x = conv_bn(b, PATH(p, "%s.reduct_conv", prefix), x, inner, 1, 1, 1, 1);
        x = act(b, PATH(p, "%s.activation_1", prefix), x);
        x = conv_bn(b, PATH(p, "%s.conv", prefix), x, inner, k, stride, 1, 1);
        x = act(b, PATH(p, "%s.activation_2", prefix), x);
        x = conv_bn(b, PATH(p, "%s.expand_conv", prefix), x, C, 1, 1, 1, 1);
        x = b_add(b, PATH(q, "%s:add", prefix), x, res);
        x = act(b, PATH(p, "%s.activation_3", prefix), x);
        break;
    }
    case TCN_SEP: {
        res = tcn_residual(b, prefix, in, stride);
        int inner = C;
        x = expand(b, prefix, x, &inner);
        x = conv_bn(b, PATH(p, "%s.depth_conv", prefix), x, inner, k, stride, inner, 1);
        x = act(b, PATH(p, "%s.activation_2", prefix), x);
        x = conv_bn(b, PATH(p, "%s.point_conv", prefix), x, C, 1, 1, 1, 1);
        x = b_add(b, PATH(q, "%s:add", prefix), x, res);
        break;
    }
    case TCN_SG: {
        int inner = inner_reduct(b, C);
        res = tcn_residual(b, prefix, in, stride);
        x = conv_bn(b, PATH(p, "%s.depth_conv1", prefix), x, C, k, 1, C, 1);
        x = act(b, PATH(p, "%s.activation_1", prefix), x);
        x = conv_bn(b, PATH(p, "%s.point_conv1", prefix), x, inner, 1, 1, 1, 1);
        x = conv_bn(b, PATH(p, "%s.point_conv2", prefix), x, C, 1, 1, 1, 1);
        x = act(b, PATH(p, "%s.activation_2", prefix), x);
        x = conv_bn(b, PATH(p, "%s.depth_conv2", prefix), x, C, k, stride, C, 1);
        x = b_add(b, PATH(q, "%s:add", prefix), x, res);
        break;
    }
    case TCN_V3: {
        res = tcn_residual(b, prefix, in, stride);
        int inner = C;
        x = expand(b, prefix, x, &inner);
        x = conv_bn(b, PATH(p, "%s.depth_conv", prefix), x, inner, k, stride, inner, 1);
        /* Squeeze-excite quirk: its (N, C, 1, 1) output replaces the tensor. */
        x = b_reduce(b, OP_MEAN, PATH(p, "%s.squeez_excite.0", prefix), x, AX_T | AX_V, 0);
        b_module(b, x, p);
        x = b_conv(b, PATH(p, "%s.squeez_excite.1", prefix), x, inner / 4, 1, 1, 1, 0);
        x = b_bn(b, PATH(p, "%s.squeez_excite.2", prefix), x);
        x = b_act(b, PATH(p, "%s.squeez_excite.3", prefix), x, ACT_RELU, 1);
        x = b_conv(b, PATH(p, "%s.squeez_excite.4", prefix), x, inner, 1, 1, 1, 0);
        x = b_bn(b, PATH(p, "%s.squeez_excite.5", prefix), x);
        x = b_act(b, PATH(p, "%s.squeez_excite.6", prefix), x, ACT_RELU, 1);
        b_module(b, x, PATH(p, "%s.squeez_excite", prefix));
        x = conv_bn(b, PATH(p, "%s.point_conv", prefix), x, C, 1, 1, 1, 1);
        x = act(b, PATH(p, "%s.activation_2", prefix), x);
        x = b_add(b, PATH(q, "%s:add", prefix), x, res); /* broadcast over T and V */
        break;
    }
    case TCN_SHUFFLE: {
        int inner = inner_reduct(b, C);
        res = tcn_residual(b, prefix, in, stride);
        x = conv_bn(b, PATH(p, "%s.point_conv", prefix), x, inner, 1, 1, 1, 1);
        /* channel_shuffle with groups = inner channels is the identity */
        x = conv_bn(b, PATH(p, "%s.depth_conv", prefix), x, inner, k, stride, inner, 1);
        x = conv_bn(b, PATH(p, "%s.point_conv_expand", prefix), x, C, 1, 1, 1, 1);
        x = b_add(b, PATH(q, "%s:add", prefix), x, res);
        x = act(b, PATH(p, "%s.activation", prefix), x);
        break;
    }
    default:
        b->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "unknown temporal layer kind %d", kind);
        return -1;
    }
    b_module(b, x, prefix);
    return x;
}

/* The attention modules (`prefix`.att); each returns the gate to multiply. */
static int att_gate(builder *b, const char *prefix, int x) {
    char p[200], q[200];
    const node *nx = &b->net->nodes[x];
    int C = nx->C, T = nx->T, V = nx->V, g;
    switch (b->net->arch.att) {
    case ATT_JA: { /* joints become channels: mean over (T, C) → 1×1 V→V/2 → BN → ReLU → 1×1 → softmax over joints */
        g = b_reduce(b, OP_MEAN, PATH(p, "%s.fcn.0", prefix), x, AX_C | AX_T, 0);
        g = b_reshape(b, PATH(q, "%s.fcn.0:as_channels", prefix), g, V, 1, 1);
        b_module(b, g, p);
        g = b_conv(b, PATH(p, "%s.fcn.1", prefix), g, V / 2, 1, 1, 1, 1);
        g = b_bn(b, PATH(p, "%s.fcn.2", prefix), g);
        g = b_act(b, PATH(p, "%s.fcn.3", prefix), g, ACT_RELU, 1);
        g = b_conv(b, PATH(p, "%s.fcn.4", prefix), g, V, 1, 1, 1, 1);
        g = b_softmax(b, PATH(p, "%s.fcn.5", prefix), g, AX_C);
        g = b_reshape(b, PATH(p, "%s:joints", prefix), g, 1, 1, V);
        break;
    }
    case ATT_FA: { /* [mean, max] over (C, V) → conv (9, 1) 2→1; no sigmoid */
        int avg = b_reduce(b, OP_MEAN, PATH(p, "%s.avg_pool", prefix), x, AX_C | AX_V, 0);
        int mx = b_reduce(b, OP_MAX, PATH(q, "%s.max_pool", prefix), x, AX_C | AX_V, 0);
        int cat[2] = {avg, mx};
        g = b_concat(b, PATH(p, "%s:cat", prefix), 2, cat);
        g = b_conv(b, PATH(p, "%s.conv", prefix), g, 1, 9, 1, 1, 1);
        break;
    }
    case ATT_CA: {
        g = b_reduce(b, OP_MEAN, PATH(p, "%s.fcn.0", prefix), x, AX_T | AX_V, 0);
        g = b_conv(b, PATH(p, "%s.fcn.1", prefix), g, C / 4, 1, 1, 1, 1);
        g = b_bn(b, PATH(p, "%s.fcn.2", prefix), g);
        g = b_act(b, PATH(p, "%s.fcn.3", prefix), g, ACT_RELU, 1);
        g = b_conv(b, PATH(p, "%s.fcn.4", prefix), g, C, 1, 1, 1, 1);
        g = b_act(b, PATH(p, "%s.fcn.5", prefix), g, ACT_SIGMOID, 1);
        break;
    }
    case ATT_STJA: {
        /* fcn is pointwise, so applying it to x_t and x_v separately equals
         * applying it to their concatenation along dim 2 and splitting. */
        int inner = inner_reduct(b, C);
        int side[2];
        side[0] = b_reduce(b, OP_MEAN, PATH(p, "%s:mean_v", prefix), x, AX_V, 0); /* (C, T, 1) */
        side[1] = b_reduce(b, OP_MEAN, PATH(p, "%s:mean_t", prefix), x, AX_T, 0); /* (C, 1, V) */
        for (int i = 0; i < 2; i++) {
            const char *tag = i ? "v" : "t";
            int y = b_conv(b, PATH(p, "%s.fcn.0", prefix), side[i], inner, 1, 1, 1, 1);
            rename_node(b, y, "%s.fcn.0:%s", prefix, tag);
            y = b_bn(b, PATH(p, "%s.fcn.1", prefix), y);
            rename_node(b, y, "%s.fcn.1:%s", prefix, tag);
            y = b_act(b, PATH(p, "%s.fcn.2:%s", prefix, tag), y, ACT_HARDSWISH, 1);
            rename_node(b, y, "%s.fcn.2:%s", prefix, tag);
            y = b_conv(b, PATH(p, "%s.conv_%s", prefix, tag), y, C, 1, 1, 1, 1);
            side[i] = b_act(b, PATH(p, "%s.conv_%s:sigmoid", prefix, tag), y, ACT_SIGMOID, 0); /* functional .sigmoid() */
            rename_node(b, side[i], "%s.conv_%s:sigmoid", prefix, tag);
        }
        g = b_mul(b, PATH(p, "%s:att", prefix), side[0], side[1]);
        break;
    }
    case ATT_PA: {
        int P = b->net->arch.layout->n_parts;
        int inner = inner_reduct(b, C);
        g = b_reduce(b, OP_MEAN, PATH(p, "%s.fcn.0", prefix), x, AX_T | AX_V, 0);
        g = b_conv(b, PATH(p, "%s.fcn.1", prefix), g, inner, 1, 1, 1, 1);
        g = b_bn(b, PATH(p, "%s.fcn.2", prefix), g);
        g = b_act(b, PATH(p, "%s.fcn.3", prefix), g, ACT_RELU, 1);
        g = b_conv(b, PATH(p, "%s.fcn.4", prefix), g, C * P, 1, 1, 1, 1);
        g = b_reshape(b, PATH(p, "%s:parts", prefix), g, C, 1, P);
        g = b_softmax(b, PATH(p, "%s.softmax", prefix), g, AX_V);
        g = b_gather(b, PATH(p, "%s:joints", prefix), g, PATH(q, "%s.joints", prefix));
        break;
    }
    default:
        b->st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "unknown attention kind");
        return -1;
    }
    (void)T;
    b_module(b, g, prefix);
    return g;
}

/* AttentionLayer: out = act(BN(x ⊙ att(x))) + x. */
int layer_att(builder *b, const char *prefix, int in) {
    if (b->st) return -1;
    char p[200], q[200];
    int g = att_gate(b, PATH(p, "%s.att", prefix), in);
    int x = b_mul(b, PATH(q, "%s:gate", prefix), in, g);
    x = b_bn(b, PATH(p, "%s.bn", prefix), x);
    x = act(b, PATH(p, "%s.activation", prefix), x);
    x = b_add(b, PATH(q, "%s:add", prefix), x, in);
    b_module(b, x, prefix);
    return x;
}
