"""Float64 reference of the exact DeepLIFT/DeepSHAP rules for general graphs
(the ops an ONNX import produces), written independently of
deeplift_exact.py (which patches the ShapGCN reference only).

Everything acts on a paired batch [x tiled R times; R references]: rows i
and i + h of every tensor inside the network are the pair (instance,
reference r) (persons folded into the batch as n*M + m keep the pairing).
The rules, as custom autograd Functions:

  elementwise y = g(x) (ReLU, Tanh, Sigmoid, SiLU): rescale,
      m = (g(x_x) - g(x_r)) / (x_x - x_r); where x_x = x_r exactly, g' there;
      for the smooth g where 0 < |dx| < 1e-6, g' at the midpoint (within
      |g'''| dx^2 / 24 of the secant, which loses ~1e-16/|dx| to rounding)
  softmax: rescaled through y = exp(x - logsumexp(x)) step by step
      (shift, exp, sum, log, subtract, exp, each a one-variable secant), so
      sum_j m_j dx_j = sum_i g_i dy_i holds for every line
  max pooling (max_pool2d windows): the DeepLIFT max rule: per window
      M = max(y_x, y_r); g (M - y_r) goes to the argmax of the instance's
      window, g (y_x - M) to the argmax of the reference's window, each
      position's total credit is divided by its dx (0 where dx = 0: no
      credit can reach it then)
  product of two input-dependent tensors (mul, einsum, any bilinear op): two-player
      Shapley, m_a = d/da op(a, b_mid), m_b = d/db op(a_mid, b), with the
      pair means a_mid = (a_x + a_r) / 2, b_mid likewise; exact for bilinear
      ops: dz = m_a da + m_b db
  everything else (conv, BN in eval mode, means, reshapes, adds, products
  with a constant): the ordinary gradient (linear).

With these rules both halves carry the same multipliers and
sum m (x - r) = f(x) - f(r) for every pair; check_additivity() measures it.

Models use them through models/fn.py: its modules and functions call the
rules while `exact_mode()` is active and plain torch ops otherwise (ONNX
export, shap, captum).
"""
import contextlib

import numpy as np
import torch
from torch.nn import functional as F

MIDPOINT_EPS = 1e-6
STATE = {'exact': False}


@contextlib.contextmanager
def exact_mode():
    """Within: models/fn.py ops apply the exact rules (paired batch)."""
    old = STATE['exact']
    STATE['exact'] = True
    try:
        yield
    finally:
        STATE['exact'] = old


def active():
    return STATE['exact']


def _pair(t):
    h = t.shape[0] // 2
    if 2 * h != t.shape[0]:
        raise ValueError(f'paired batch expected, got {tuple(t.shape)}')
    return t[:h], t[h:]


def _both(t):
    return torch.cat([t, t], 0)


def _mid(t):
    a, b = _pair(t)
    return _both((a + b) / 2)


def _derivative(fn, at):
    with torch.enable_grad():
        a = at.detach().requires_grad_()
        (d,) = torch.autograd.grad(fn(a).sum(), a)
    return d


def secant(fn, a, b, piecewise_linear=False):
    """(fn(a) - fn(b)) / (a - b) elementwise; fn' where a = b, and for a
    smooth fn fn' at the midpoint where |a - b| < MIDPOINT_EPS."""
    d = a - b
    q = (fn(a) - fn(b)) / torch.where(d == 0, torch.ones_like(d), d)
    if piecewise_linear:
        return torch.where(d == 0, _derivative(fn, b), q)
    return torch.where(d.abs() < MIDPOINT_EPS, _derivative(fn, (a + b) / 2), q)


class _Rescale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, fn, piecewise_linear):
        ctx.fn, ctx.pl = fn, piecewise_linear
        ctx.save_for_backward(x)
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a, b = _pair(x)
        return g * _both(secant(ctx.fn, a, b, ctx.pl)), None, None


def rescale(x, fn, piecewise_linear=False):
    return _Rescale.apply(x, fn, piecewise_linear)


class _Softmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        ctx.save_for_backward(x)
        return torch.softmax(x, dim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dim = ctx.dim
        a, b = _pair(x)
        shift = torch.maximum(a.amax(dim, keepdim=True), b.amax(dim, keepdim=True))
        sa = torch.exp(a - shift).sum(dim, keepdim=True)
        sb = torch.exp(b - shift).sum(dim, keepdim=True)
        # y = exp(u), u = x - shift - log(S), S = sum exp(x - shift)
        s_exp = secant(torch.exp, a - shift - torch.log(sa), b - shift - torch.log(sb))
        s_log = secant(torch.log, sa, sb)
        s_e = secant(lambda t: torch.exp(t - shift), a, b)
        gu = g * _both(s_exp)
        # sum per line in index order, the same rounding for both halves
        total = gu.narrow(dim, 0, 1)
        for i in range(1, gu.shape[dim]):
            total = total + gu.narrow(dim, i, 1)
        return gu - total * _both(s_log * s_e), None


def softmax(x, dim):
    return _Softmax.apply(x, dim)


class _MaxPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        y, idx = F.max_pool2d(x, kernel, stride, padding, return_indices=True)
        ctx.save_for_backward(x, y, idx)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y, idx = ctx.saved_tensors
        ya, yb = _pair(y)
        top = torch.maximum(ya, yb)
        share = g * torch.cat([top - yb, ya - top], 0)  # instance side, reference side
        n, c = x.shape[:2]
        credit = torch.zeros(n, c, x.shape[2] * x.shape[3], dtype=x.dtype)
        credit.scatter_add_(2, idx.reshape(n, c, -1), share.reshape(n, c, -1))
        ca, cb = _pair(credit.view_as(x))
        xa, xb = _pair(x)
        d = xa - xb
        m = torch.where(d == 0, torch.zeros_like(d), (ca + cb) / torch.where(d == 0, torch.ones_like(d), d))
        return _both(m), None, None, None


def max_pool2d(x, kernel, stride, padding):
    return _MaxPool.apply(x, kernel, stride, padding)


class _Bilinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, op, a, b):
        ctx.op = op
        ctx.save_for_backward(a, b)
        return op(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        with torch.enable_grad():
            a_ = a.detach().requires_grad_()
            b_ = b.detach().requires_grad_()
            (ga,) = torch.autograd.grad(ctx.op(a_, _mid(b)), a_, g)
            (gb,) = torch.autograd.grad(ctx.op(_mid(a), b_), b_, g)
        return None, ga, gb


def bilinear(op, a, b):
    """op(a, b), bilinear in the two input-dependent tensors a and b (both
    with the paired batch as their first axis)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f'product operands not paired: {tuple(a.shape)} x {tuple(b.shape)}')
    return _Bilinear.apply(op, a, b)


# ------------------------------------------------------------ attributions ----

def pair_batch(x, refs):
    """(n_inst, ...) and (R, ...) -> list of n_inst paired batches (2R, ...)."""
    return [torch.cat([x[i:i + 1].expand_as(refs), refs], 0) for i in range(x.shape[0])]


def pair_attributions(model, x, refs, classes):
    """Exact-rule phi per pair: (n_inst, R, n_k, *x.shape[1:]) float64 numpy,
    phi[i, r, k] = m (x_i - r) for class classes[i, k]; and the additivity
    residual sum(phi) - (f_c(x_i) - f_c(r)) (n_inst, R, n_k)."""
    n, R = x.shape[0], refs.shape[0]
    nk = classes.shape[1]
    phi = np.zeros((n, R, nk) + tuple(x.shape[1:]))
    resid = np.zeros((n, R, nk))
    for i, joint in enumerate(pair_batch(x, refs)):
        joint = joint.detach().requires_grad_()
        with exact_mode():
            out = model(joint)
        for k in range(nk):
            c = int(classes[i, k])
            (g,) = torch.autograd.grad(out[:, c].sum(), joint, retain_graph=k + 1 < nk)
            ga, gb = _pair(g)
            if not torch.equal(ga, gb):
                halves = (ga - gb).abs().max().item()
                if halves > 1e-12 * max(ga.abs().max().item(), 1e-300):
                    raise AssertionError(f'halves differ by {halves:.3e}')
            contrib = gb * (joint[:R] - joint[R:]).detach()
            phi[i, :, k] = contrib.numpy()
            delta = (out[:R, c] - out[R:, c]).detach().numpy()
            resid[i, :, k] = contrib.reshape(R, -1).sum(1).numpy() - delta
    return phi, resid
