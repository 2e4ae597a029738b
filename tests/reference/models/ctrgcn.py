"""CTR-GCN (Chen et al., ICCV 2021), from the paper's description:
channel-wise topology refinement per partition subset,
    Z = tanh(mean_T(phi(x))_u - mean_T(psi(x))_v)        (N, R, V, V)
    A_c = xi(Z) * alpha + A_k                              (N, C', V, V)
    y = einsum('ncuv,nctv->nctu', A_c, conv3(x))           activation x activation
summed over the 3 subsets (A_k learnable, from ST-GCN's spatial partition),
BN, a down-projected residual, ReLU; a multi-scale temporal conv (two
dilated 5x1 branches, a 3x1 max-pool branch, a 1x1 branch); data BN,
global pooling, the mean over persons, a linear classifier.

x (N, C, T, V, M) -> logits (N, num_class)."""
import torch
from torch import nn

from . import fn
from .common import DataBN, conv_bn, person_mean, spatial_partition

# (out channels, temporal stride) of the paper's ten layers
FULL = [(64, 1), (64, 1), (64, 1), (64, 1), (128, 2), (128, 1), (128, 1), (256, 2), (256, 1), (256, 1)]
SMALL = [(16, 1), (16, 1), (32, 2), (32, 1)]


class CTRGC(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        rel = 8 if cin in (3, 9) else cin // 8
        self.conv1 = nn.Conv2d(cin, rel, 1)
        self.conv2 = nn.Conv2d(cin, rel, 1)
        self.conv3 = nn.Conv2d(cin, cout, 1)
        self.conv4 = nn.Conv2d(rel, cout, 1)
        self.tanh = fn.Tanh()

    def forward(self, x, A, alpha):
        x1 = self.conv1(x).mean(-2)
        x2 = self.conv2(x).mean(-2)
        z = self.tanh(x1.unsqueeze(-1) - x2.unsqueeze(-2))
        refined = self.conv4(z) * alpha + A
        return fn.einsum('ncuv,nctv->nctu', refined, self.conv3(x))


class UnitGCN(nn.Module):
    def __init__(self, cin, cout, A):
        super().__init__()
        self.PA = nn.Parameter(A.clone())
        self.alpha = nn.Parameter(torch.zeros(1))
        self.convs = nn.ModuleList([CTRGC(cin, cout) for _ in range(A.shape[0])])
        self.bn = nn.BatchNorm2d(cout)
        self.down = conv_bn(cin, cout) if cin != cout else nn.Identity()
        self.relu = fn.ReLU()

    def forward(self, x):
        y = None
        for k, conv in enumerate(self.convs):
            z = conv(x, self.PA[k], self.alpha)
            y = z if y is None else y + z
        return self.relu(self.bn(y) + self.down(x))


class MultiScaleTCN(nn.Module):
    def __init__(self, cin, cout, stride, dilations=(1, 2), kernel=5):
        super().__init__()
        bc = cout // (len(dilations) + 2)
        if bc * (len(dilations) + 2) != cout:
            raise ValueError(f'{cout} channels do not split into {len(dilations) + 2} branches')
        self.branches = nn.ModuleList()
        for d in dilations:
            pad = (kernel + (kernel - 1) * (d - 1) - 1) // 2
            self.branches.append(nn.Sequential(
                conv_bn(cin, bc), fn.ReLU(),
                nn.Conv2d(bc, bc, (kernel, 1), (stride, 1), (pad, 0), (d, 1)), nn.BatchNorm2d(bc)))
        self.branches.append(nn.Sequential(
            conv_bn(cin, bc), fn.ReLU(), fn.MaxPool2d((3, 1), (stride, 1), (1, 0)), nn.BatchNorm2d(bc)))
        self.branches.append(conv_bn(cin, bc, 1, (stride, 1)))

    def forward(self, x):
        return torch.cat([b(x) for b in self.branches], 1)


class CTRBlock(nn.Module):
    def __init__(self, cin, cout, A, stride, residual):
        super().__init__()
        self.gcn = UnitGCN(cin, cout, A)
        self.tcn = MultiScaleTCN(cout, cout, stride)
        if not residual:
            self.residual = None
        elif cin == cout and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = conv_bn(cin, cout, 1, (stride, 1))
        self.relu = fn.ReLU()

    def forward(self, x):
        y = self.tcn(self.gcn(x))
        return self.relu(y if self.residual is None else y + self.residual(x))


class CTRGCN(nn.Module):
    def __init__(self, num_class=5, in_channels=3, num_joints=25, num_persons=2, layers=SMALL):
        super().__init__()
        A = torch.from_numpy(spatial_partition())
        self.data_bn = DataBN(in_channels, num_joints, num_persons)
        blocks, cin = [], in_channels
        for i, (cout, stride) in enumerate(layers):
            blocks.append(CTRBlock(cin, cout, A, stride, residual=i > 0))
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, num_class)

    def forward(self, x):
        return self.fc(person_mean(self.blocks(self.data_bn(x)), x.shape[0]))
