"""The ops the reference models are written against.

Outside deeplift_general.exact_mode() they are plain torch (ONNX export,
shap, captum, forward checks); inside it they apply the exact rules of
deeplift_general.py on a paired batch. The nonlinearities are subclasses of
the torch modules of the same class name, so shap.DeepExplainer (which
hooks leaf modules by class name) treats them as it treats torch's own.
Products of two input-dependent tensors go through mul/einsum (a matmul
is an einsum);
products with a constant (a parameter, the graph) are written plainly.
"""
import torch
from torch import nn

import deeplift_general as dl


class ReLU(nn.ReLU):
    def forward(self, x):
        return dl.rescale(x, torch.relu, piecewise_linear=True) if dl.active() else super().forward(x)


class Tanh(nn.Tanh):
    def forward(self, x):
        return dl.rescale(x, torch.tanh) if dl.active() else super().forward(x)


class Sigmoid(nn.Sigmoid):
    def forward(self, x):
        return dl.rescale(x, torch.sigmoid) if dl.active() else super().forward(x)


class SiLU(nn.SiLU):
    """Swish x * sigmoid(x), one elementwise function for the rules (the ONNX
    export writes it as Sigmoid + Mul: an importer must fuse the pair)."""

    def forward(self, x):
        return dl.rescale(x, nn.functional.silu) if dl.active() else super().forward(x)


class ReLU6(nn.ReLU6):
    def forward(self, x):
        return dl.rescale(x, nn.functional.relu6, piecewise_linear=True) if dl.active() else super().forward(x)


class Hardswish(nn.Hardswish):
    def forward(self, x):
        return dl.rescale(x, nn.functional.hardswish) if dl.active() else super().forward(x)


class Softmax(nn.Softmax):
    def forward(self, x):
        return dl.softmax(x, self.dim) if dl.active() else super().forward(x)


class MaxPool2d(nn.MaxPool2d):
    def forward(self, x):
        if dl.active():
            if self.dilation not in (1, (1, 1)) or self.ceil_mode:
                raise ValueError(f'max rule: dilation and ceil_mode are not implemented ({self})')
            return dl.max_pool2d(x, self.kernel_size, self.stride, self.padding)
        return super().forward(x)


def mul(a, b):
    """a * b of two input-dependent tensors (same leading batch axis)."""
    return dl.bilinear(torch.mul, a, b) if dl.active() else a * b


def einsum(eq, a, b):
    """torch.einsum of two input-dependent tensors (batch axis first in both)."""
    if dl.active():
        return dl.bilinear(lambda p, q: torch.einsum(eq, p, q), a, b)
    return torch.einsum(eq, a, b)
