from torch import nn

from ..mapping import Param

_AFFINE = {"gamma": Param("weight"), "beta": Param("bias")}


def group_norm(layer):
    return nn.GroupNorm(layer.num_groups, layer.num_channels, eps=layer.eps, affine=layer.affine), dict(_AFFINE)


def instance_norm2d(layer):
    return nn.InstanceNorm2d(layer.num_features, eps=layer.eps, affine=layer.affine), dict(_AFFINE)
