"""Write the ONNX import fixtures (tests/fixtures/onnx/) with torch.onnx.export.

Regenerate:  make -C tests/reference onnx
             (= /opt/dshap-ref/bin/python gen_onnx.py --out ../fixtures/onnx;
             torch 1.13 and onnx 1.16.2, which checks each file)

Each model is tiny (KBs) and exported with a dynamic batch axis, so the
files carry the Shape/Gather/Concat/Reshape chains x.size()/x.view() make.
Beside each .onnx, NAME.json records what the C test checks: the input and
output shapes and, for a fixed input (seeded), the PyTorch logits.
"""
import argparse
import json
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F


def ntu_adjacency(V=25, seed=3):
    g = torch.Generator().manual_seed(seed)
    A = torch.rand(3, V, V, generator=g)
    return A / A.sum(1, keepdim=True)


class TinySTGCN(nn.Module):
    """ST-GCN-like: 1x1 conv to K partitions, einsum with A*E, BN, ReLU,
    temporal conv, residual, global pooling, person mean, linear."""

    def __init__(self, C=3, V=25, K=5, hidden=8):
        super().__init__()
        self.register_buffer("A", ntu_adjacency(V))
        self.edge_importance = nn.Parameter(1 + 0.1 * torch.randn(3, V, V))
        self.gcn = nn.Conv2d(C, 3 * hidden, 1)
        self.bn = nn.BatchNorm2d(hidden)
        self.tcn = nn.Conv2d(hidden, hidden, (3, 1), padding=(1, 0))
        self.res = nn.Conv2d(C, hidden, 1)
        self.fc = nn.Linear(hidden, K)

    def forward(self, x):
        N, C, T, V, M = x.size()
        x = x.permute(0, 4, 1, 2, 3).contiguous().view(N * M, C, T, V)
        y = self.gcn(x)
        n, kc, t, v = y.size()
        y = y.view(n, 3, kc // 3, t, v)
        y = torch.einsum("nkctv,kvw->nctw", (y, self.A * self.edge_importance))
        y = F.relu(self.bn(y))
        y = F.relu(self.tcn(y) + self.res(x))
        y = F.adaptive_avg_pool2d(y, 1)
        y = y.view(N, M, -1).mean(dim=1)
        return self.fc(y)


class ActZoo(nn.Module):
    """Rank-4 input (N, C, T, V): the activations the importer fuses or maps,
    softmax, concat, slice, pad, max pooling, flatten, Gemm."""

    def __init__(self, C=3, V=25, K=4):
        super().__init__()
        self.conv = nn.Conv2d(C, 6, (3, 1), padding=(1, 0))
        self.fc = nn.Linear(6 * 2 * (V // 5), K)
        self.prelu = nn.PReLU(6)

    def forward(self, x):
        y = self.conv(x)
        a = F.gelu(y[:, :2])
        b = F.silu(y[:, 2:4])
        c = F.hardswish(y[:, 4:])
        y = torch.cat([a, b, c], 1)
        y = F.leaky_relu(y, 0.1) + F.relu6(y) + torch.sigmoid(y) * torch.tanh(y)
        y = self.prelu(F.elu(y))
        y = y * torch.softmax(y, dim=-1)
        y = F.pad(y, (0, 0, 1, 1))
        y = F.max_pool2d(y, (3, 1), stride=(2, 1))
        y = F.avg_pool2d(y, (1, 5), stride=(1, 5))
        y = y.mean(dim=2, keepdim=True)
        y = torch.cat([y, y * 0.5], 2)
        return self.fc(torch.flatten(y, 1))


class Misc(nn.Module):
    """Rank-5 input, M = 1: split, gather of joints by constant indices,
    expand of an activation, einsum of two activations, matmul, reduce sum,
    sub / div by constants, squeeze / unsqueeze."""

    def __init__(self, C=3, V=25, K=3):
        super().__init__()
        self.register_buffer("idx", torch.tensor([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]))
        self.fc = nn.Linear(10 * 10, K)

    def forward(self, x):
        x = x.squeeze(-1)                                    # (N, C, T, V)
        a, b = torch.split(x, [1, 2], dim=1)
        a = a.expand(-1, 2, -1, -1)                          # (N, 2, T, V)
        y = (a - 0.5) / 2 + b
        y = y[:, :, :, self.idx]                             # (N, 2, T, 10)
        g = torch.einsum("nctv,nctw->nvw", y, y)             # (N, 10, 10)
        g = torch.softmax(g, dim=-1) @ g.transpose(1, 2)
        g = g.unsqueeze(1).sum(dim=1)
        return self.fc(g.flatten(1))


class Branches(nn.Module):
    """ShapGCN's input (N, 4, 2C, T, V, M): the four branches as channels."""

    def __init__(self, C2=4, V=25, K=2):
        super().__init__()
        self.conv = nn.Conv2d(4 * C2, 6, 1)
        self.fc = nn.Linear(6, K)

    def forward(self, x):
        N, I, C, T, V, M = x.size()
        x = x.permute(0, 5, 1, 2, 3, 4).contiguous().view(N * M, I * C, T, V)
        y = F.relu(self.conv(x)).mean((2, 3))
        return self.fc(y.view(N, M, -1).mean(1))


class Deconv(nn.Module):
    """An op the importer refuses (ConvTranspose)."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(3, 2, (2, 1))
        self.fc = nn.Linear(2, 3)

    def forward(self, x):
        return self.fc(self.up(x).mean((2, 3)))


class Rank3(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x.mean(2))


def randomise_bn(model, g):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g))
            m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=g))
            m.weight.data.copy_(1 + 0.2 * torch.randn(m.num_features, generator=g))
            m.bias.data.copy_(0.1 * torch.randn(m.num_features, generator=g))


def export(model, shape, name, opset, out, g):
    model.eval()
    x = torch.randn(*shape, generator=g)
    path = os.path.join(out, f"{name}.onnx")
    torch.onnx.export(model, (x,), path, opset_version=opset, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}})
    onnx.checker.check_model(onnx.load(path), full_check=True)
    with torch.no_grad():
        y = model(x)
    rec = {"input_shape": list(shape), "output_shape": list(y.shape), "opset": opset,
           "x": x.flatten().tolist(), "logits": y.flatten().tolist()}
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(rec, f, indent=1)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="../fixtures/onnx")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(1)
    for opset in (13, 17):
        m = TinySTGCN()
        randomise_bn(m, g)
        export(m, (1, 3, 6, 25, 2), f"stgcn_tiny_op{opset}", opset, args.out, g)
    export(ActZoo(), (1, 3, 8, 25), "actzoo_op13", 13, args.out, g)
    export(TinySTGCN(V=20), (1, 3, 6, 20, 2), "stgcn_v20", 13, args.out, g)
    export(Deconv(), (1, 3, 4, 25), "bad_convtranspose", 13, args.out, g)
    export(Rank3(), (1, 3, 25), "bad_rank3", 13, args.out, g)
    export(Misc(), (1, 3, 4, 25, 1), "misc_op17", 17, args.out, g)
    export(Branches(), (1, 4, 4, 5, 25, 2), "branches_op13", 13, args.out, g)


if __name__ == "__main__":
    main()
