"""Shared pieces of the reference models: the NTU skeleton graph and its
partitions, the data BN over (M, V, C), person folding, seeded weights."""
import numpy as np
import torch
from torch import nn

# NTU RGB+D 25 joints: parent of each joint (0-based; joint 1, the spine
# middle, is the root). The same facts as shapgcn_torch.LAYOUTS['ntu25'].
NTU_PARENTS = [1, 1, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16,
               17, 18, 1, 22, 7, 24, 11]
NTU_CENTER = 20  # spine shoulder: ST-GCN's partition centre


def hop_matrix(parents):
    """All-pairs hop distances on the undirected skeleton (BFS)."""
    v = len(parents)
    nbr = [[] for _ in range(v)]
    for j, p in enumerate(parents):
        if p != j:
            nbr[j].append(p)
            nbr[p].append(j)
    hop = np.full((v, v), np.inf)
    for s in range(v):
        hop[s, s], frontier = 0, [s]
        while frontier:
            nxt = []
            for a in frontier:
                for b in nbr[a]:
                    if hop[s, b] == np.inf:
                        hop[s, b] = hop[s, a] + 1
                        nxt.append(b)
            frontier = nxt
    return hop


def _column_normalized(adj):
    """adj[v, w] / deg(w): each target w averages over its sources."""
    return adj / adj.sum(0, keepdims=True)


def spatial_partition(parents=NTU_PARENTS, center=NTU_CENTER):
    """ST-GCN's spatial configuration partitioning: (3, V, V), entry [k, v, w]
    the weight of source v at target w; subsets by the source's distance to
    the centre compared with the target's: equal (incl. the node itself),
    nearer (centripetal), farther (centrifugal)."""
    hop = hop_matrix(parents)
    norm = _column_normalized((hop <= 1).astype(np.float64))
    dc = hop[:, center]
    same = dc[:, None] == dc[None, :]
    nearer = dc[:, None] < dc[None, :]
    farther = dc[:, None] > dc[None, :]
    return np.stack([norm * same, norm * nearer, norm * farther])


def distance_partition(parents=NTU_PARENTS, max_hop=2):
    """EfficientGCN's distance partitioning: subset k = neighbours at exactly
    k hops (k = 0..max_hop) of the column-normalised <= max_hop adjacency."""
    hop = hop_matrix(parents)
    norm = _column_normalized((hop <= max_hop).astype(np.float64))
    return np.stack([norm * (hop == k) for k in range(max_hop + 1)])


class DataBN(nn.Module):
    """BatchNorm1d over (M, V, C) per frame; returns persons folded into the
    batch, (N*M, C, T, V), row n*M + m."""

    def __init__(self, c, v, m):
        super().__init__()
        self.bn = nn.BatchNorm1d(m * v * c)

    def forward(self, x):
        n, c, t, v, m = x.shape
        x = x.permute(0, 4, 3, 1, 2).reshape(n, m * v * c, t)
        x = self.bn(x).view(n, m, v, c, t)
        return x.permute(0, 1, 3, 4, 2).reshape(n * m, c, t, v)


def person_mean(x, n):
    """(N*M, C, T, V) -> (N, C): global average over T, V, then persons."""
    nm, c = x.shape[:2]
    return x.mean((2, 3)).view(n, nm // n, c).mean(1)


def conv_bn(cin, cout, kernel=1, stride=1, padding=0, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups),
                         nn.BatchNorm2d(cout))


def random_init(model, seed):
    """Seeded weights that exercise every term; every parameter and buffer
    (the graphs too) rounded to float32 values, so the float32 ONNX export
    and the float64 model hold the same numbers.
    Conv/Linear weights N(0, 2/fan_in), biases N(0, 0.05); BN weight
    U(0.5, 1.5), bias N(0, 0.1), running mean N(0, 0.1), var U(0.5, 1.5);
    parameters named 'importance' U(0.5, 1.5) (edge importance), 'alpha'
    U(0.01, 0.03) (CTR-GCN's refinement scale: the refined topology then is
    of the size of the graph's entries; at U(0.5, 1.5) the activation x
    activation products grow the logits to ~1e7), 'PA' the graph +
    N(0, 0.05)."""
    rng = np.random.default_rng(seed)
    for name, mod in model.named_modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            fan_in = mod.weight[0].numel()
            _fill(mod.weight, rng.normal(0, np.sqrt(2 / fan_in), mod.weight.shape))
            if mod.bias is not None:
                _fill(mod.bias, rng.normal(0, 0.05, mod.bias.shape))
        elif isinstance(mod, nn.modules.batchnorm._BatchNorm):
            _fill(mod.weight, rng.uniform(0.5, 1.5, mod.weight.shape))
            _fill(mod.bias, rng.normal(0, 0.1, mod.bias.shape))
            _fill(mod.running_mean, rng.normal(0, 0.1, mod.running_mean.shape))
            _fill(mod.running_var, rng.uniform(0.5, 1.5, mod.running_var.shape))
    for name, p in model.named_parameters():
        leaf = name.rsplit('.', 1)[-1]
        if leaf == 'importance':
            _fill(p, rng.uniform(0.5, 1.5, p.shape))
        elif leaf == 'alpha':
            _fill(p, rng.uniform(0.01, 0.03, p.shape))
        elif leaf == 'PA':
            _fill(p, p.detach().numpy() + rng.normal(0, 0.05, p.shape))
    for t in list(model.parameters()) + list(model.buffers()):  # the graphs too
        if t.is_floating_point():
            _fill(t, t.detach().numpy())
    return model.eval()


def _fill(t, values):
    with torch.no_grad():
        t.copy_(torch.from_numpy(np.asarray(values, dtype=np.float32).astype(np.float64)))
