"""EfficientGCN-B0 (Song et al., TPAMI 2022), from the paper's description
(the family ShapGCN derives from): three input branches computed from the
raw joints inside the model (J: joint and joint minus the centre joint;
V: the one- and two-frame differences; B: bone vectors; the paper's bone
angle channels are left out, acos is not among the ops of a plain export),
each a BN, a graph-conv stem, a 5x1 temporal conv and two blocks; the
branches concatenated and two main blocks. A block is a spatial graph layer
(distance partition, max 2 hops, edge importance), separable temporal
layers (1x1 expand x2, depthwise 5x1, 1x1 project, residual) and the
spatial-temporal joint attention act(BN(x * (a_t * a_v)) + x) with
a_t = sigmoid(conv_t(.)), a_v = sigmoid(conv_v(.)) from the (T + V)-pooled
features: two products of input-dependent tensors. Swish everywhere.
Global pooling over T, V and persons, a 1x1 conv classifier.

x (N, 3, T, V, M) -> logits (N, num_class)."""
import torch
from torch import nn
from torch.nn import functional as F

from . import fn
from .common import NTU_PARENTS, conv_bn, distance_partition, person_mean

# B0 at scaling 0: stem 64, input blocks (48, 1), (32, 1), main (64, 2), (128, 2), depth 1
FULL = dict(stem=64, input_blocks=[(48, 1), (32, 1)], main_blocks=[(64, 2), (128, 2)], depth=1)
SMALL = dict(stem=16, input_blocks=[(16, 1), (16, 1)], main_blocks=[(24, 2), (32, 1)], depth=1)
CENTER = 1  # spine middle


class GraphLayer(nn.Module):
    def __init__(self, cin, cout, A):
        super().__init__()
        self.k, self.cout = A.shape[0], cout
        self.register_buffer('A', A)
        self.importance = nn.Parameter(torch.ones_like(A))
        self.gcn = nn.Conv2d(cin, cout * self.k, 1)
        self.bn = nn.BatchNorm2d(cout)
        self.residual = conv_bn(cin, cout) if cin != cout else nn.Identity()
        self.act = fn.SiLU()

    def forward(self, x):
        n, _, t, v = x.shape
        y = self.gcn(x).view(n, self.k, self.cout, t, v)
        y = torch.einsum('nkctv,kvw->nctw', y, self.A * self.importance)
        return self.act(self.bn(y) + self.residual(x))


class BasicTemporal(nn.Module):
    def __init__(self, c, window=5):
        super().__init__()
        self.conv = conv_bn(c, c, (window, 1), 1, (window // 2, 0))
        self.act = fn.SiLU()

    def forward(self, x):
        return self.act(self.conv(x) + x)


class SepTemporal(nn.Module):
    def __init__(self, c, stride, window=5, expand=2):
        super().__init__()
        inner = c * expand
        self.expand = nn.Sequential(conv_bn(c, inner), fn.SiLU())
        self.depth = nn.Sequential(conv_bn(inner, inner, (window, 1), (stride, 1), (window // 2, 0), groups=inner),
                                   fn.SiLU())
        self.point = conv_bn(inner, c)
        self.residual = nn.Identity() if stride == 1 else conv_bn(c, c, 1, (stride, 1))

    def forward(self, x):
        return self.point(self.depth(self.expand(x))) + self.residual(x)


class STJointAtt(nn.Module):
    def __init__(self, c, reduct=4):
        super().__init__()
        inner = c // reduct
        self.fcn = nn.Sequential(conv_bn(c, inner), fn.SiLU())
        self.conv_t = nn.Conv2d(inner, c, 1)
        self.conv_v = nn.Conv2d(inner, c, 1)
        self.sig_t, self.sig_v = fn.Sigmoid(), fn.Sigmoid()

    def forward(self, x):
        t, v = x.shape[2], x.shape[3]
        pooled = torch.cat([x.mean(3, keepdim=True), x.mean(2, keepdim=True).transpose(2, 3)], 2)
        z_t, z_v = torch.split(self.fcn(pooled), [t, v], 2)
        a_t = self.sig_t(self.conv_t(z_t))                      # (N, C, T, 1)
        a_v = self.sig_v(self.conv_v(z_v)).transpose(2, 3)      # (N, C, 1, V)
        return fn.mul(a_t, a_v)


class AttentionLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.att = STJointAtt(c)
        self.bn = nn.BatchNorm2d(c)
        self.act = fn.SiLU()

    def forward(self, x):
        return self.act(self.bn(fn.mul(x, self.att(x))) + x)


def block(cin, cout, stride, depth, A):
    layers = [GraphLayer(cin, cout, A)]
    layers += [SepTemporal(cout, stride if i == 0 else 1) for i in range(depth)]
    return layers + [AttentionLayer(cout)]


def branch(cin, cfg, A):
    layers = [nn.BatchNorm2d(cin), GraphLayer(cin, cfg['stem'], A), BasicTemporal(cfg['stem'])]
    c = cfg['stem']
    for cout, stride in cfg['input_blocks']:
        layers += block(c, cout, stride, cfg['depth'], A)
        c = cout
    return nn.Sequential(*layers)


def input_branches(x):
    """Raw joints (N, 3, T, V, M) -> J (6), V (6), B (3) channels."""
    joint = torch.cat([x, x - x[:, :, :, CENTER:CENTER + 1]], 1)
    vel1 = F.pad(x[:, :, 1:] - x[:, :, :-1], (0, 0, 0, 0, 0, 1))
    vel2 = F.pad(x[:, :, 2:] - x[:, :, :-2], (0, 0, 0, 0, 0, 2))
    parents = torch.tensor(NTU_PARENTS)
    bone = x - x.index_select(3, parents)
    return [joint, torch.cat([vel1, vel2], 1), bone]


def fold(x):
    n, c, t, v, m = x.shape
    return x.permute(0, 4, 1, 2, 3).reshape(n * m, c, t, v)


class EfficientGCN(nn.Module):
    def __init__(self, num_class=5, cfg=SMALL):
        super().__init__()
        A = torch.from_numpy(distance_partition())
        self.branches = nn.ModuleList([branch(c, cfg, A) for c in (6, 6, 3)])
        c = 3 * cfg['input_blocks'][-1][0]
        main = []
        for cout, stride in cfg['main_blocks']:
            main += block(c, cout, stride, cfg['depth'], A)
            c = cout
        self.main = nn.Sequential(*main)
        self.fcn = nn.Conv2d(c, num_class, 1)

    def forward(self, x):
        n = x.shape[0]
        y = torch.cat([b(fold(f)) for b, f in zip(self.branches, input_branches(x))], 1)
        y = person_mean(self.main(y), n)
        return self.fcn(y.view(n, -1, 1, 1)).view(n, -1)
