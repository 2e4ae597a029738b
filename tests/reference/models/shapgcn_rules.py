"""The ShapGCN reference (shapgcn_torch.Student) on models/fn.py's ops, so
that deeplift_general.py's rules can be checked against deeplift_exact.py
(written separately for that family) on the same network.

with_fn_ops(student) returns a deep copy whose nonlinear leaf modules are
replaced by fn's classes (same class names, same torch forward outside
exact mode) and whose two functional products (x * att(x) in
AttentionLayer, a_t * a_v in STJointAtt) and STJointAtt's .sigmoid() go
through fn/deeplift_general."""
import copy
import types

import torch
from torch import nn

import deeplift_general as dl
import shapgcn_torch as ref
from . import fn

_REPLACE = {nn.ReLU: fn.ReLU, nn.ReLU6: fn.ReLU6, nn.Hardswish: fn.Hardswish, nn.SiLU: fn.SiLU,
            nn.Sigmoid: fn.Sigmoid, nn.Tanh: fn.Tanh}


class GlobalMaxPool(nn.AdaptiveMaxPool2d):
    """AdaptiveMaxPool2d(1) as one max_pool2d window (the max rule)."""

    def forward(self, x):
        if dl.active():
            return dl.max_pool2d(x, tuple(x.shape[2:]), tuple(x.shape[2:]), 0)
        return super().forward(x)


def _attention_forward(self, x):
    return self.activation(self.bn(fn.mul(x, self.att(x)))) + x


def _sigmoid(x):
    return dl.rescale(x, torch.sigmoid) if dl.active() else x.sigmoid()


def _stja_forward(self, x):
    t, v = x.shape[2], x.shape[3]
    z = self.fcn(torch.cat([x.mean(3, keepdim=True), x.mean(2, keepdim=True).transpose(2, 3)], dim=2))
    z_t, z_v = torch.split(z, [t, v], dim=2)
    return fn.mul(_sigmoid(self.conv_t(z_t)), _sigmoid(self.conv_v(z_v.transpose(2, 3))))


def with_fn_ops(student):
    m = copy.deepcopy(student).eval()
    for parent in list(m.modules()):
        for name, child in parent.named_children():
            if type(child) in _REPLACE:
                setattr(parent, name, _REPLACE[type(child)]())
            elif type(child) is nn.Softmax:
                setattr(parent, name, fn.Softmax(child.dim))
            elif type(child) is nn.AdaptiveMaxPool2d:
                if child.output_size not in (1, (1, 1)):
                    raise ValueError(f'unexpected {child}')
                setattr(parent, name, GlobalMaxPool(1))
    for mod in m.modules():
        if isinstance(mod, ref.AttentionLayer):
            mod.forward = types.MethodType(_attention_forward, mod)
        elif isinstance(mod, ref.STJointAtt):
            mod.forward = types.MethodType(_stja_forward, mod)
    return m
