#!/usr/bin/env python3
"""Float64 references for the general-graph CPU kernels (src/cpu/ops_nd.c,
backward_nd.c, deeplift_nd.c), written to tests/fixtures/ops_nd/ops_nd.h5:

  /opt/dshap-ref/bin/python tests/reference/gen_ops_nd.py [--out tests/fixtures/ops_nd]

(or `make -C tests/reference ops_nd`). Needs numpy, torch, h5py.

One group per case, named <op>_<what>. Datasets: x0, x1 float32 (B, *in)
the inputs (B = 2 samples), k float32 a constant operand, w / b the conv
weight / bias, scale / shift, slope; y float64 (B, *out) the forward
computed here from the float32 inputs (numpy broadcasting and matmul,
torch conv / pool / activations). Attributes: op (net.h op name), the node
fields by their net.h names (perm, axes, kernel, strides, dilations, pads,
starts, ends, steps, axis, index, binop, k_first, reduce, pool,
count_include_pad, groups, act, alpha, beta, pad_value), out (the
per-sample output shape). Nonlinear cases also hold my float32 (B, *out),
the output multiplier of the pairs q = 0: (instance 0, reference 1) and
q = 1: (1, 0), and m<k>_exact / m<k>_ref float64 (B, *in_k): the
multipliers of input k under the exact rules (RULES.md: secants,
two-player Shapley, the DeepLIFT max rule, the exp(x − logsumexp) softmax
rule) and under the ordinary derivative at the reference side, each written
here from its definition.
"""
import argparse
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F

BIN = {"add": 0, "sub": 1, "mul": 2, "div": 3}
# act.h: ACT_LEAKY_RELU = 32, then in order
ACT = {"leaky_relu": 32, "prelu": 33, "elu": 34, "hardsigmoid": 35, "gelu": 36, "gelu_tanh": 37, "clip": 38}
PAIRS = [(0, 1), (1, 0)]

rng = np.random.default_rng(20261203)


def f32(*shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def batch_view(x, rank):
    """(B, *s) viewed with s right-aligned to `rank` axes, for broadcasting."""
    return x.reshape((x.shape[0],) + (1,) * (rank - (x.ndim - 1)) + x.shape[1:])


def unbroadcast(g, shape):
    """Sum g (out shape) down to `shape` (numpy broadcasting in reverse)."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


class Out:
    def __init__(self, path):
        self.f = h5py.File(path, "w")

    def case(self, name, op, inputs, y, consts=None, mults=None, my=None, **attrs):
        g = self.f.create_group(name)
        g.attrs["op"] = op
        for i, x in enumerate(inputs):
            g.create_dataset("x%d" % i, data=x)
        for k, v in (consts or {}).items():
            g.create_dataset(k, data=np.asarray(v, dtype=np.float32))
        g.create_dataset("y", data=np.asarray(y, dtype=np.float64))
        g.attrs["out"] = np.array(y.shape[1:], dtype=np.int64)
        if my is not None:
            g.create_dataset("my", data=my)
            for k, v in mults.items():
                g.create_dataset(k, data=np.asarray(v, dtype=np.float64))
        for k, v in attrs.items():
            g.attrs[k] = np.array(v, dtype=np.float64 if isinstance(v, float) else np.int64)


def linear_cases(o):
    x = f32(2, 3, 4, 5)
    o.case("transpose_3d", "transpose", [x], np.transpose(x.astype(np.float64), (0, 3, 1, 2)), perm=[2, 0, 1])
    a, b = f32(2, 3, 1, 5), f32(2, 4, 1)  # size-1 axes both sides, rank mismatch
    o.case("binary_add_bcast", "binary", [a, b], batch_view(a, 3) + batch_view(b.astype(np.float64), 3),
           binop=BIN["add"], k_first=0)
    o.case("binary_sub_bcast", "binary", [b, a], batch_view(b.astype(np.float64), 3) - batch_view(a, 3),
           binop=BIN["sub"], k_first=0)
    k = f32(5)
    x = f32(2, 3, 4, 5)
    o.case("binary_sub_kfirst", "binary", [x], k.astype(np.float64) - x, {"k": k}, binop=BIN["sub"], k_first=1)
    k = f32(4, 1)
    o.case("binary_mul_const", "binary", [x], x.astype(np.float64) * k, {"k": k}, binop=BIN["mul"], k_first=0)
    k = f32(5, lo=0.5, hi=2.0)
    o.case("binary_div_const", "binary", [x], x.astype(np.float64) / k, {"k": k}, binop=BIN["div"], k_first=0)
    x, k = f32(2, 2, 3, 4), f32(4, 5)
    o.case("matmul_const_right", "matmul", [x], np.matmul(x.astype(np.float64), k), {"k": k}, k_first=0)
    x, k = f32(2, 3, 4), f32(3)  # 1-D constant on the left: (1, 3) @ (3, 4) -> (4)
    o.case("matmul_const_left_1d", "matmul", [x], np.matmul(k.astype(np.float64), x), {"k": k}, k_first=1)
    x, k = f32(2, 3, 4), f32(2, 1, 5, 3)  # batch axes broadcast: (2, 1) vs (3): (2, 3, 5, 4)
    o.case("matmul_const_left_bcast", "matmul", [x], np.matmul(k.astype(np.float64), x[:, None, None]), {"k": k},
           k_first=1)
    # conv 2-D: groups 2, strides (2, 1), dilations (1, 2), asymmetric pads (top 1, left 0, bottom 2, right 1)
    x, w, bias = f32(2, 4, 7, 6), f32(6, 2, 3, 2), f32(6)
    xp = F.pad(t64(x), (0, 1, 1, 2))
    y = F.conv2d(xp, t64(w), t64(bias), stride=(2, 1), dilation=(1, 2), groups=2).numpy()
    o.case("convnd_2d", "convnd", [x], y, {"w": w, "b": bias}, nsp=2, kernel=[3, 2], strides=[2, 1],
           dilations=[1, 2], pads=[1, 0, 2, 1], groups=2)
    x, w = f32(2, 3, 9), f32(4, 3, 3)
    y = F.conv1d(F.pad(t64(x), (1, 1)), t64(w), stride=2).numpy()
    o.case("convnd_1d", "convnd", [x], y, {"w": w}, nsp=1, kernel=[3, 0], strides=[2, 0], dilations=[1, 0],
           pads=[1, 1], groups=1)
    x = f32(2, 3, 4, 5)
    o.case("reduce_sum", "reduce", [x], x.astype(np.float64).sum(axis=(1, 3), keepdims=True), axes_nd=[0, 2], reduce=0)
    o.case("reduce_mean", "reduce", [x], x.astype(np.float64).mean(axis=2, keepdims=True), axes_nd=[1], reduce=1)
    o.case("reduce_mean_nokeep", "reduce", [x], x.astype(np.float64).mean(axis=(1, 2)), axes_nd=[0, 1], reduce=1)
    x = f32(2, 3, 6, 5)
    for cip in (0, 1):
        y = F.avg_pool2d(t64(x), (3, 2), stride=(2, 1), padding=(1, 1), count_include_pad=bool(cip)).numpy()
        o.case("pool_avg_cip%d" % cip, "pool", [x], y, nsp=2, kernel=[3, 2], strides=[2, 1], dilations=[1, 1],
               pads=[1, 1, 1, 1], pool=0, count_include_pad=cip)
    x = f32(2, 3, 10)
    y = F.avg_pool1d(t64(x), 4, stride=3, padding=0).numpy()
    o.case("pool_avg_1d", "pool", [x], y, nsp=1, kernel=[4, 0], strides=[3, 0], dilations=[1, 0], pads=[0, 0],
           pool=0, count_include_pad=0)
    x = f32(2, 4, 6, 5)
    o.case("slice_steps", "slice", [x], x[:, 1:4:2, 0:6:3, 2:5].astype(np.float64), starts=[1, 0, 2],
           ends=[4, 6, 5], steps=[2, 3, 1])
    x = f32(2, 3, 4)
    o.case("pad_const", "pad", [x], np.pad(x.astype(np.float64), ((0, 0), (1, 2), (0, 3)), constant_values=0.5),
           pads=[1, 0, 2, 3], pad_value=0.5)
    parts = [f32(2, 2, 3, 2), f32(2, 2, 1, 2), f32(2, 2, 4, 2)]
    o.case("concat_axis1", "concat_nd", parts, np.concatenate([p.astype(np.float64) for p in parts], axis=2), axis=1)
    x = f32(2, 3, 5, 2)
    idx = [4, 0, 4, 2]
    o.case("gather_axis1", "gather_nd", [x], np.take(x.astype(np.float64), idx, axis=2), axis=1, index=idx)
    x, scale, shift = f32(2, 3, 4, 2), f32(3), f32(3)
    o.case("channel_affine", "channel_affine", [x], x * scale[:, None, None].astype(np.float64) + shift[:, None, None],
           {"scale": scale, "shift": shift})


def pairs_of(x):
    return [(x[i].astype(np.float64), x[r].astype(np.float64)) for i, r in PAIRS]


def product_cases(o):
    for name, sa, sb, op in [("binary_mul_act", (2, 1, 4), (3, 1), "mul"), ("binary_div_act", (3, 4), (4,), "div")]:
        a = f32(2, *sa)
        b = f32(2, *sb, lo=0.5, hi=2.0) if op == "div" else f32(2, *sb)
        R = max(len(sa), len(sb))
        av, bv = batch_view(a.astype(np.float64), R), batch_view(b.astype(np.float64), R)
        y = av * bv if op == "mul" else av / bv
        my = f32(*y.shape)
        m = {k: np.zeros((2,) + s) for k, s in [("m0_exact", sa), ("m1_exact", sb), ("m0_ref", sa), ("m1_ref", sb)]}
        for q, ((ai, ar), (bi, br)) in enumerate(zip(pairs_of(a), pairs_of(b))):
            ai, ar = ai.reshape((1,) * (R - len(sa)) + sa), ar.reshape((1,) * (R - len(sa)) + sa)
            bi, br = bi.reshape((1,) * (R - len(sb)) + sb), br.reshape((1,) * (R - len(sb)) + sb)
            if op == "mul":  # Shapley: Δz = Δa b̄ + ā Δb; at ref: b_r, a_r
                fa, fb, ra, rb = (bi + br) / 2, (ai + ar) / 2, br, ar
            else:  # Shapley of a / b; at ref: 1 / b_r, -a_r / b_r²
                fa, fb = (1 / bi + 1 / br) / 2, -(ai + ar) / 2 / (bi * br)
                ra, rb = 1 / br, -ar / br ** 2
            out = my[q].astype(np.float64)
            m["m0_exact"][q] = unbroadcast(out * fa, sa)
            m["m1_exact"][q] = unbroadcast(out * fb, sb)
            m["m0_ref"][q] = unbroadcast(out * ra, sa)
            m["m1_ref"][q] = unbroadcast(out * rb, sb)
        o.case(name, "binary", [a, b], y, mults=m, my=my, binop=BIN[op], k_first=0)
    # k / x: the secant -k / (x_i x_r)
    k, x = f32(4), f32(2, 3, 4, lo=0.5, hi=2.0)
    y = k.astype(np.float64) / x
    my = f32(*y.shape)
    m = {"m0_exact": np.zeros(x.shape), "m0_ref": np.zeros(x.shape)}
    for q, (xi, xr) in enumerate(pairs_of(x)):
        m["m0_exact"][q] = -my[q] * k / (xi * xr)
        m["m0_ref"][q] = -my[q] * k / xr ** 2
    o.case("binary_kdiv_act", "binary", [x], y, {"k": k}, mults=m, my=my, binop=BIN["div"], k_first=1)
    # matmul of two activations, batch axes broadcast: (2, 1, 3, 4) @ (3, 4, 2) -> (2, 3, 3, 2)
    a, b = f32(2, 2, 1, 3, 4), f32(2, 3, 4, 2)
    y = np.matmul(a.astype(np.float64), b[:, None].astype(np.float64))
    my = f32(*y.shape)
    m = {}
    for name, side in [("exact", None), ("ref", 1)]:
        ma, mb = np.zeros(a.shape), np.zeros(b.shape)
        for q, (i, r) in enumerate(PAIRS):
            ta, tb = t64(a[[i, r]]), t64(b[[i, r]])
            abar, bbar = (ta[0] + ta[1]) / 2, (tb[0] + tb[1]) / 2
            if side:
                abar, bbar = ta[1], tb[1]
            va, vb = abar.clone().requires_grad_(), bbar.clone().requires_grad_()
            ga, = torch.autograd.grad((torch.matmul(va, bbar) * t64(my[q])).sum(), va)
            gb, = torch.autograd.grad((torch.matmul(abar, vb) * t64(my[q])).sum(), vb)
            ma[q], mb[q] = ga.numpy(), gb.numpy()
        m["m0_" + name], m["m1_" + name] = ma, mb
    o.case("matmul_act_bcast", "matmul", [a, b], y, mults=m, my=my, k_first=0)


def window_positions(H, W, kh, kw, sh, sw, dh, dw, ph, pw, oh, ow):
    for i in range(kh):
        for j in range(kw):
            ih, iw = oh * sh - ph + i * dh, ow * sw - pw + j * dw
            if 0 <= ih < H and 0 <= iw < W:
                yield ih, iw


def maxpool_case(o, name, x, kernel, strides, dilations, pads, nsp):
    xs = x if nsp == 2 else x[..., None]
    kh, kw = kernel[0], kernel[1] if nsp == 2 else 1
    sh, sw = strides[0], strides[1] if nsp == 2 else 1
    dh, dw = dilations[0], dilations[1] if nsp == 2 else 1
    ph, pw = pads[0], pads[1] if nsp == 2 else 0
    B, C, H, W = xs.shape
    if nsp == 2:
        y = F.max_pool2d(t64(x), (kh, kw), (sh, sw), (ph, pw), (dh, dw)).numpy()
    else:
        y = F.max_pool1d(t64(x), kh, sh, ph, dh).numpy()
    ys = y if nsp == 2 else y[..., None]
    my = f32(*y.shape)
    mys = my if nsp == 2 else my[..., None]
    m = {"m0_exact": np.zeros(xs.shape), "m0_ref": np.zeros(xs.shape)}
    for q, (i, r) in enumerate(PAIRS):
        xi, xr = xs[i].astype(np.float64), xs[r].astype(np.float64)
        for c in range(C):
            for oh in range(ys.shape[2]):
                for ow in range(ys.shape[3]):
                    pos = list(window_positions(H, W, kh, kw, sh, sw, dh, dw, ph, pw, oh, ow))
                    ai = max(pos, key=lambda p: (xi[c][p], -pos.index(p)))  # first maximum
                    ar = max(pos, key=lambda p: (xr[c][p], -pos.index(p)))
                    g = float(mys[q, c, oh, ow])
                    yx, yr = xi[c][ai], xr[c][ar]
                    M = max(yx, yr)
                    m["m0_ref"][q, c][ar] += g
                    da, db = xi[c][ai] - xr[c][ai], xi[c][ar] - xr[c][ar]
                    if abs(da) >= 1e-7:
                        m["m0_exact"][q, c][ai] += g * (M - yr) / da
                    if abs(db) >= 1e-7:
                        m["m0_exact"][q, c][ar] += g * (yx - M) / db
    if nsp == 1:
        m = {k: v[..., 0] for k, v in m.items()}
    o.case(name, "pool", [x], y, mults=m, my=my, nsp=nsp, kernel=kernel, strides=strides, dilations=dilations,
           pads=pads, pool=1, count_include_pad=0)


def softmax_rule(xi, xr, my, axis):
    """exact: rescale at each step of exp(x − logsumexp x); ref: Jacobian product at x_r"""
    lx = np.log(np.exp(xi).sum(axis=axis, keepdims=True))
    lr = np.log(np.exp(xr).sum(axis=axis, keepdims=True))
    ux, ur = xi - lx, xr - lr
    s = (np.exp(ux) - np.exp(ur)) / (ux - ur)
    w = (lx - lr) / (np.exp(lx) - np.exp(lr)) * (np.exp(xi) - np.exp(xr)) / (xi - xr)
    exact = s * my - (s * my).sum(axis=axis, keepdims=True) * w
    yr = np.exp(ur)
    ref = yr * (my - (my * yr).sum(axis=axis, keepdims=True))
    return exact, ref


def act_ref(name, x, alpha, beta, slope):
    t = t64(x)
    if name == "leaky_relu":
        return F.leaky_relu(t, alpha).numpy()
    if name == "prelu":  # slope per index along axis 0 of the sample
        return np.where(x > 0, x, slope[:, None] * x)
    if name == "elu":
        return F.elu(t, alpha).numpy()
    if name == "hardsigmoid":
        return np.clip(alpha * x + beta, 0, 1)
    if name == "gelu":
        return F.gelu(t).numpy()
    if name == "gelu_tanh":
        return F.gelu(t, approximate="tanh").numpy()
    return torch.clamp(t, alpha, beta).numpy()


def act_grad(name, x, alpha, beta, slope):
    """the ordinary derivative (torch autograd; PRelu, HardSigmoid by hand)"""
    if name == "prelu":
        return np.where(x > 0, 1.0, slope[:, None] * np.ones_like(x))
    if name == "hardsigmoid":
        u = alpha * x + beta
        return np.where((u > 0) & (u < 1), alpha, 0.0)
    t = t64(x).requires_grad_()
    if name == "leaky_relu":
        out = F.leaky_relu(t, alpha)
    elif name == "elu":
        out = F.elu(t, alpha)
    elif name == "gelu":
        out = F.gelu(t)
    elif name == "gelu_tanh":
        out = F.gelu(t, approximate="tanh")
    else:
        out = torch.clamp(t, alpha, beta)
    g, = torch.autograd.grad(out.sum(), t)
    return g.numpy()


def nonlinear_cases(o):
    maxpool_case(o, "pool_max_2d", f32(2, 2, 7, 6), [3, 3], [2, 2], [1, 1], [1, 1, 1, 1], 2)
    maxpool_case(o, "pool_max_2d_dil", f32(2, 2, 7, 6), [2, 3], [1, 2], [2, 1], [0, 1, 0, 1], 2)
    maxpool_case(o, "pool_max_1d", f32(2, 3, 10), [3, 0], [2, 0], [2, 0], [1, 1], 1)
    x = f32(2, 3, 4, 5)
    y = torch.softmax(t64(x), dim=2).numpy()
    my = f32(*y.shape)
    m = {"m0_exact": np.zeros(x.shape), "m0_ref": np.zeros(x.shape)}
    for q, (xi, xr) in enumerate(pairs_of(x)):
        m["m0_exact"][q], m["m0_ref"][q] = softmax_rule(xi, xr, my[q].astype(np.float64), 1)
    o.case("softmax_axis1", "softmax_nd", [x], y, mults=m, my=my, axis=1)
    params = {"leaky_relu": (0.1, 0.0), "prelu": (0.0, 0.0), "elu": (0.7, 0.0), "hardsigmoid": (0.2, 0.5),
              "gelu": (0.0, 0.0), "gelu_tanh": (0.0, 0.0), "clip": (-0.5, 1.0)}
    for name, (alpha, beta) in params.items():
        alpha, beta = float(np.float32(alpha)), float(np.float32(beta))
        x = f32(2, 3, 7, lo=-4.0, hi=4.0)
        x[1, 0, :3] = x[0, 0, :3]  # pairs with Δx = 0: the derivative
        slope = f32(3, 1, lo=-0.5, hi=0.5)
        y = act_ref(name, x.astype(np.float64), alpha, beta, slope[:, 0])
        my = f32(*y.shape)
        m = {"m0_exact": np.zeros(x.shape), "m0_ref": np.zeros(x.shape)}
        for q, (i, r) in enumerate(PAIRS):
            xi, xr = x[i].astype(np.float64), x[r].astype(np.float64)
            yi, yr = y[i], y[r]
            gr = act_grad(name, xr, alpha, beta, slope[:, 0])
            gi = act_grad(name, xi, alpha, beta, slope[:, 0])
            d = xi - xr
            sec = np.where(d == 0, gi, (yi - yr) / np.where(d == 0, 1, d))
            m["m0_exact"][q] = my[q] * sec
            m["m0_ref"][q] = my[q] * gr
        consts = {"slope": slope[:, 0]} if name == "prelu" else None
        o.case("act_" + name, "act", [x], y, consts, mults=m, my=my, act=ACT[name], alpha=alpha, beta=beta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops_nd"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    o = Out(os.path.join(args.out, "ops_nd.h5"))
    linear_cases(o)
    product_cases(o)
    nonlinear_cases(o)
    o.f.close()


if __name__ == "__main__":
    main()
