"""ST-GCN (Yan et al., AAAI 2018), from the paper's description: spatial
configuration partitioning (3 subsets), learnable edge importance, data BN
over (M, V, C), graph conv as a 1x1 conv to K*C channels and
einsum('nkctv,kvw->nctw'), a 9x1 temporal conv, residuals, global average
pooling, the mean over persons and a 1x1 conv classifier.

x (N, C, T, V, M) -> logits (N, num_class)."""
import torch
from torch import nn

from . import fn
from .common import DataBN, conv_bn, person_mean, spatial_partition

# (out channels, temporal stride) of the paper's ten layers
FULL = [(64, 1), (64, 1), (64, 1), (64, 1), (128, 2), (128, 1), (128, 1), (256, 2), (256, 1), (256, 1)]
SMALL = [(16, 1), (16, 1), (32, 2), (32, 1)]


class STGCNBlock(nn.Module):
    def __init__(self, cin, cout, A, stride, residual):
        super().__init__()
        self.k, self.cout = A.shape[0], cout
        self.register_buffer('A', A)
        self.importance = nn.Parameter(torch.ones_like(A))
        self.gcn = nn.Conv2d(cin, cout * self.k, 1)
        self.tcn = nn.Sequential(nn.BatchNorm2d(cout), fn.ReLU(),
                                 nn.Conv2d(cout, cout, (9, 1), (stride, 1), (4, 0)), nn.BatchNorm2d(cout))
        if not residual:
            self.residual = None
        elif cin == cout and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = conv_bn(cin, cout, 1, (stride, 1))
        self.relu = fn.ReLU()

    def forward(self, x):
        n, _, t, v = x.shape
        y = self.gcn(x).view(n, self.k, self.cout, t, v)
        y = self.tcn(torch.einsum('nkctv,kvw->nctw', y, self.A * self.importance))
        return self.relu(y if self.residual is None else y + self.residual(x))


class STGCN(nn.Module):
    def __init__(self, num_class=5, in_channels=3, num_joints=25, num_persons=2, layers=SMALL):
        super().__init__()
        A = torch.from_numpy(spatial_partition())
        self.data_bn = DataBN(in_channels, num_joints, num_persons)
        blocks, cin = [], in_channels
        for i, (cout, stride) in enumerate(layers):
            blocks.append(STGCNBlock(cin, cout, A, stride, residual=i > 0))
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fcn = nn.Conv2d(cin, num_class, 1)

    def forward(self, x):
        n = x.shape[0]
        y = person_mean(self.blocks(self.data_bn(x)), n)
        return self.fcn(y.view(n, -1, 1, 1)).view(n, -1)
