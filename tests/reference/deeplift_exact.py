"""DeepLIFT / DeepSHAP multipliers for the reference ShapGCN model, in the two
rule sets of RULES.md: "exact" and "shap".

Independent of the shap package: custom torch.autograd.Functions that act on
a doubled batch [x tiled R times; R references] (the layout shap uses), and
per-instance patched forwards on a deep copy of a shapgcn_torch.Student. The
reference module file itself is not touched.

Rows i and i + h (h = half the batch) of every tensor inside the network are
the pair (instance, reference r): persons are folded into the batch as
n*M + m, so the first R*M rows belong to the tiled x.

Rule set "exact" (every node, module or functional):
  elementwise nonlinearity y = g(x), also STJointAtt's functional .sigmoid():
      m = (y_x - y_r) / (x_x - x_r) wherever x_x != x_r, g'(x) where they are
      equal. No threshold: the secant is continuous in (x_x, x_r) for the
      smooth g, so a float32 engine lands near the float64 value. Computed
      here plainly: dy/dx in float64 for the piecewise-linear ReLU/ReLU6
      (exact), the segment formula (x_x + x_r + 3)/6 for Hardswish inside
      (-3, 3), and for |dx| < 1e-6 at the smooth g (sigmoid, tanh, SiLU, and
      Hardswish across a segment end) g' at the midpoint, within
      |g'''| dx^2 / 24 of the secant (dy/dx loses ~1e-16 / |dx| to rounding)
  Softmax y = exp(x - L(x)), L = logsumexp: the rescale rule of each
      elementwise step, exp -> sum -> log -> subtract -> exp (shifted by one
      constant per line), so
      m_x_j = s_j g_j - (sum_i s_i g_i) w_j, s_i = dy_i / du_i with
      u = x - L, w_j = (dL / dS) (de_j / dx_j), e = exp(x - c), S = sum e;
      every factor is the secant of a smooth one-variable function (midpoint
      derivative for |d| < 1e-6 as above), sum_j w_j dx_j = dL and
      sum_j m_x_j dx_j = sum_i g_i dy_i. The elementwise dy_i / dx_i (shap's
      nonlinear_1d) is not a function of one variable: at small dx_i with
      dy_i of the order of the other inputs' change it is a large multiplier
      that float32 activations get wrong by their rounding / dx_i.
  AdaptiveMaxPool2d (frame attention's max over (C, V)): DeepLIFT max rule as
      shap's maxpool handler: M = max(y_x, y_r); credit g*(M - y_r) to the
      argmax of x and g*(y_x - M) to the argmax of r (first maximum, as
      PyTorch's max pooling), divide by that position's Delta; |Delta| < 1e-7
      -> 0
  product z = a * b of two input-dependent tensors (x * att(x) in
      AttentionLayer, a_t * a_v in STJointAtt): m_a = (b_x + b_r) / 2,
      m_b = (a_x + a_r) / 2, summed over the axes a broadcast factor lacks
  all other ops: ordinary gradient (linear)
  With the exact set both halves of the doubled batch carry the same
  multipliers and sum(m * (x - r)) = f(x) - f(r) for every reference.

Rule set "shap" (what shap.DeepExplainer does on this model): rescale only at
nn.Module nonlinearities whose class name is in `handled` (shap's op_handler
with nonlinear_1d, plus the ReLU6/SiLU/Hardswish handlers ShapGCN's fork
adds); everything else (the products, .sigmoid(), AdaptiveMaxPool2d, and
modules not in `handled`) keeps PyTorch's ordinary gradient; the multiplier is
read from the reference half of the batch, i.e. local derivatives of those ops
are evaluated at the reference.
"""
import copy
import types

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import shapgcn_torch as ref

RESCALE_EPS = 1e-6   # |dx| below this: ordinary gradient (shap nonlinear_1d)
MIDPOINT_EPS = 1e-6  # exact rules: |d| below this, g' at the midpoint for smooth g
MAXPOOL_EPS = 1e-7   # |dx| below this at an argmax position: 0 (shap maxpool)

# Module nonlinearities of the family (class names, as shap sees them).
MODULE_NONLINEAR = ('ReLU', 'ReLU6', 'Hardswish', 'SiLU', 'Sigmoid', 'Tanh', 'Softmax')
# shap 0.46 op_handler entries with nonlinear_1d that occur in the family,
# plus the handlers of ShapGCN's shap fork (SiLU, Hardswish, ReLU6).
SHAP_STOCK = ('ReLU', 'Sigmoid', 'Tanh', 'Softmax')
SHAP_FORK = SHAP_STOCK + ('ReLU6', 'Hardswish', 'SiLU')

# rescale_fallback: shap's gradient fallback, or the exact rules' midpoint derivative
STATS = {'rescale_fallback': 0, 'rescale_elems': 0, 'maxpool_zeroed': 0}


def _halves(t):
    h = t.shape[0] // 2
    return t[:h], t[h:]


def _dup(t):
    return torch.cat([t, t], 0)


def _sum_to(g, shape):
    """Sum g over the axes that a broadcast operand of `shape` lacks."""
    axes = [i for i, (a, b) in enumerate(zip(g.shape, shape)) if b == 1 and a != 1]
    return g.sum(axes, keepdim=True) if axes else g


class Rescale(torch.autograd.Function):
    """y = fn(x) elementwise (or softmax); backward: DeepLIFT rescale."""

    @staticmethod
    def forward(ctx, x, fn):
        y = fn(x)
        ctx.fn = fn
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        xx, xr = _halves(x)
        yx, yr = _halves(y)
        dx, dy = xx - xr, yx - yr
        small = dx.abs() < RESCALE_EPS
        ratio = dy / torch.where(small, torch.ones_like(dx), dx)
        out = g * _dup(ratio)
        if bool(small.any()):
            # ordinary gradient at the reference side, with each half's g
            gx, gr = _halves(g)
            with torch.enable_grad():
                xr_ = xr.detach().requires_grad_()
                yr_ = ctx.fn(xr_)
                fb = torch.cat([torch.autograd.grad(yr_, xr_, gx, retain_graph=True)[0],
                                torch.autograd.grad(yr_, xr_, gr)[0]], 0)
            out = torch.where(_dup(small), fb, out)
        STATS['rescale_fallback'] += int(small.sum())
        STATS['rescale_elems'] += small.numel()
        return out, None


def _grad_at(fn, at):
    """g'(at) elementwise, by autograd (fn elementwise)."""
    with torch.enable_grad():
        a = at.detach().requires_grad_()
        (d,) = torch.autograd.grad(fn(a).sum(), a)
    return d


def _secant(fn, kind, a, b):
    """(fn(a) - fn(b)) / (a - b) elementwise in float64 (rule set exact)."""
    d = a - b
    zero = d == 0
    plain = (fn(a) - fn(b)) / torch.where(zero, torch.ones_like(d), d)
    if kind in ('ReLU', 'ReLU6'):  # exact values: the quotient is the secant to a rounding
        return torch.where(zero, _grad_at(fn, b), plain)
    small = d.abs() < MIDPOINT_EPS
    STATS['rescale_fallback'] += int(small.sum())
    STATS['rescale_elems'] += small.numel()
    out = torch.where(small, _grad_at(fn, (a + b) / 2), plain)
    if kind == 'Hardswish':
        inside = (a > -3) & (a < 3) & (b > -3) & (b < 3)
        out = torch.where(inside, (a + b + 3) / 6, out)
    return out


class ExactRescale(torch.autograd.Function):
    """y = fn(x) elementwise; backward: the exact rules' secant (no threshold)."""

    @staticmethod
    def forward(ctx, x, fn, kind):
        ctx.fn, ctx.kind = fn, kind
        ctx.save_for_backward(x)
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xx, xr = _halves(x)
        return g * _dup(_secant(ctx.fn, ctx.kind, xx, xr)), None, None


class ExactSoftmax(torch.autograd.Function):
    """Softmax over `dim`; backward: rescale through exp(x - logsumexp(x))."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        ctx.save_for_backward(x)
        return torch.softmax(x, dim)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dim = ctx.dim
        xx, xr = _halves(x)
        c = torch.maximum(xx.amax(dim, keepdim=True), xr.amax(dim, keepdim=True))
        sx, sr = torch.exp(xx - c).sum(dim, keepdim=True), torch.exp(xr - c).sum(dim, keepdim=True)
        w = _secant(torch.log, 'log', sx, sr) * _secant(lambda t: torch.exp(t - c), 'exp', xx, xr)
        s = _secant(torch.exp, 'exp', xx - (c + torch.log(sx)), xr - (c + torch.log(sr)))
        gs = g * _dup(s)  # on the doubled batch: each half with its own g
        # the line sum as elementwise adds in index order: torch's reductions
        # round differently by row position, and the two halves must agree
        tot = sum(gs.narrow(dim, i, 1) for i in range(gs.shape[dim]))
        return gs - tot * _dup(w), None


class MaxRule(torch.autograd.Function):
    """AdaptiveMaxPool2d(1) with the DeepLIFT max rule (shap's maxpool)."""

    @staticmethod
    def forward(ctx, x):
        y, idx = F.adaptive_max_pool2d(x, 1, return_indices=True)
        ctx.save_for_backward(x, y, idx)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y, idx = ctx.saved_tensors
        yx, yr = _halves(y)
        cross = torch.max(yx, yr)
        diffs = torch.cat([cross - yr, yx - cross], 0)        # (2h, T, 1, 1)
        n, t = x.shape[:2]
        credit = torch.zeros(n, t, x.shape[2] * x.shape[3], dtype=x.dtype)
        credit.scatter_(2, idx.view(n, t, 1), (g * diffs).view(n, t, 1))
        credit = credit.view_as(x)
        xpos, rpos = _halves(credit)
        xx, xr = _halves(x)
        dx = xx - xr
        zero = dx.abs() < MAXPOOL_EPS
        m = torch.where(zero, torch.zeros_like(dx),
                        (xpos + rpos) / torch.where(zero, torch.ones_like(dx), dx))
        STATS['maxpool_zeroed'] += int((zero & (xpos + rpos != 0)).sum())
        return _dup(m)


class Product(torch.autograd.Function):
    """z = a * b (broadcasting); backward: two-player Shapley rule."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_avg = _dup(sum(_halves(a)) / 2)
        b_avg = _dup(sum(_halves(b)) / 2)
        return _sum_to(g * b_avg, a.shape), _sum_to(g * a_avg, b.shape)


# ------------------------------------------------ fast depthwise convs ----

def _depthwise_forward(self, x):
    """Depthwise (k x 1) Conv2d as a sum of k shifted slices: the same
    linear map, differently rounded (~1e-16). PyTorch 1.13's CPU float64
    grouped convolution loops over the groups (one slow im2col conv per
    channel, ~1000 calls per ntu_xview forward, minutes per shap run)."""
    k, s, p = self.kernel_size[0], self.stride[0], self.padding[0]
    t_out = (x.shape[2] + 2 * p - k) // s + 1
    xp = F.pad(x, (0, 0, p, p))
    w = self.weight[:, 0, :, 0]
    y = None
    for i in range(k):
        term = xp[:, :, i:i + s * (t_out - 1) + 1:s, :] * w[:, i].view(1, -1, 1, 1)
        y = term if y is None else y + term
    if self.bias is not None:
        y = y + self.bias.view(1, -1, 1, 1)
    return y


def fast_depthwise(model):
    """Patch every depthwise temporal Conv2d of `model` in place (instance
    forward; module class, hooks and parameters unchanged, so shap sees the
    same leaf modules). Returns the number of patched convolutions."""
    count = 0
    for mod in model.modules():
        if (isinstance(mod, nn.Conv2d) and mod.groups > 1
                and mod.groups == mod.in_channels == mod.out_channels
                and mod.kernel_size[1] == 1 and mod.stride[1] == 1 and mod.padding[1] == 0
                and mod.dilation == (1, 1) and mod.padding_mode == 'zeros'):
            mod.forward = types.MethodType(_depthwise_forward, mod)
            count += 1
        elif isinstance(mod, nn.Conv2d) and mod.groups > 1:
            raise ValueError(f'unexpected grouped conv {mod}')
    return count


# ------------------------------------------------------- patched forwards ----

def _rescale_forward(orig):
    def forward(self, x):
        return Rescale.apply(x, orig)
    return forward


def _exact_forward(orig, kind):
    def forward(self, x):
        return ExactRescale.apply(x, orig, kind)
    return forward


def _exact_softmax_forward(self, x):
    return ExactSoftmax.apply(x, self.dim)


def _maxrule_forward(self, x):
    assert self.output_size in (1, (1, 1)), self.output_size
    return MaxRule.apply(x)


def _att_layer_forward(self, x):
    res = x
    return self.activation(self.bn(Product.apply(x, self.att(x)))) + res


def _stja_forward(self, x):  # STJointAtt.forward with the exact rules
    t, v = x.shape[2], x.shape[3]
    x_t = x.mean(3, keepdim=True)
    x_v = x.mean(2, keepdim=True).transpose(2, 3)
    z = self.fcn(torch.cat([x_t, x_v], dim=2))
    z_t, z_v = torch.split(z, [t, v], dim=2)
    a_t = ExactRescale.apply(self.conv_t(z_t), torch.sigmoid, 'Sigmoid')
    a_v = ExactRescale.apply(self.conv_v(z_v.transpose(2, 3)), torch.sigmoid, 'Sigmoid')
    return Product.apply(a_t, a_v)


def deeplift_model(model, rules='exact', handled=SHAP_FORK):
    """Deep copy of a reference Student with DeepLIFT backward rules.

    rules: 'exact' or 'shap'. handled: for 'shap', the module class names
    that shap rescales (SHAP_FORK = stock shap 0.46 + the fork's handlers).
    """
    if rules not in ('exact', 'shap'):
        raise ValueError(rules)
    m = copy.deepcopy(model).eval()
    for mod in m.modules():
        cls = type(mod).__name__
        if rules == 'exact' and cls == 'Softmax':
            mod.forward = types.MethodType(_exact_softmax_forward, mod)
        elif rules == 'exact' and cls in MODULE_NONLINEAR:
            mod.forward = types.MethodType(_exact_forward(mod.forward, cls), mod)
        elif rules == 'shap' and cls in MODULE_NONLINEAR and cls in handled:
            mod.forward = types.MethodType(_rescale_forward(mod.forward), mod)
        elif rules == 'exact' and isinstance(mod, nn.AdaptiveMaxPool2d):
            mod.forward = types.MethodType(_maxrule_forward, mod)
        elif rules == 'exact' and isinstance(mod, ref.AttentionLayer):
            mod.forward = types.MethodType(_att_layer_forward, mod)
        elif rules == 'exact' and isinstance(mod, ref.STJointAtt):
            mod.forward = types.MethodType(_stja_forward, mod)
    # The only functional nonlinear ops of the family are the two products
    # and STJointAtt's .sigmoid() (shapgcn_torch.py keeps ShapGCN's
    # module/functional split); a new one would need a patch here.
    return m


def attributions(dl_model, x, background, classes, check_halves=False):
    """DeepSHAP values with a model from deeplift_model().

    x (n, ...) and background (R, ...) float64 tensors; classes (n, n_k).
    Returns phi (n, *x.shape[1:], n_k) float64 numpy, the per-reference
    contributions sums (n, n_k, R) and, if check_halves, the max |m_x - m_r|
    between the two halves of the doubled batch.
    """
    n, R = x.shape[0], background.shape[0]
    nk = classes.shape[1]
    phi = np.zeros(x.shape + (nk,))
    sums = np.zeros((n, nk, R))
    halves = 0.0
    for j in range(n):
        xj = x[j:j + 1].expand(R, *x.shape[1:])
        joint = torch.cat([xj, background], 0).detach().requires_grad_()
        out = dl_model(joint)
        for k in range(nk):
            c = int(classes[j, k])
            (g,) = torch.autograd.grad(out[:, c].sum(), joint, retain_graph=k + 1 < nk)
            m_x, m_r = g[:R], g[R:]
            contrib = m_r * (xj - background)
            phi[j, ..., k] = contrib.mean(0).numpy()
            sums[j, k] = contrib.reshape(R, -1).sum(1).numpy()
            if check_halves:
                halves = max(halves, (m_x - m_r).abs().max().item())
    return phi, sums, halves
