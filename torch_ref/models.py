"""The torch side of a NumPy model (``numpy_impl.models``): its mirror run layer by layer, dropout
with the mask the NumPy layer drew, and the model's loss as torch computes it."""
import torch
from torch import nn

import numpy_impl.layers as L

from .losses import LOSSES


def forward_layers(model, modules, x, retain=True):
    """Outputs of the torch ``modules`` (the mirror of ``model.layers``) one by one. A training-mode
    Dropout uses the mask its NumPy layer just drew; with ``retain`` every output keeps its gradient."""
    outs = []
    for layer, module in zip(model.layers, modules):
        if isinstance(layer, L.Dropout) and module.training:
            mask = torch.as_tensor(layer.mask, dtype=x.dtype)
            x = x * (mask / (1 - layer.p)) if layer.p < 1 else x * 0
        else:
            x = module(x)
        if retain:
            x.retain_grad()
        outs.append(x)
    return outs


def model_loss(model, scores, y):
    """The data loss of ``model`` (``model.loss_name``, softmax by default) on torch ``scores``."""
    return LOSSES[getattr(model, "loss_name", "softmax")](scores, torch.as_tensor(y, dtype=torch.int64))


def penalised_weights(module):
    """The weights ``reg * sum(W**2)`` covers, found on the torch side alone: the ``weight`` of every
    affine, convolution and embedding module, never a bias, BatchNorm's gamma and beta, a recurrent
    layer's matrices or attention's projections (NumPy names those ``Wx``/``Wh``/``W_in``/``W_out``,
    and ``Model.weight_names`` keeps the names ending in ``.W``)."""
    if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd, nn.Embedding)):
        return [module.weight]
    if isinstance(module, nn.MultiheadAttention):
        return []
    return [w for child in module.children() for w in penalised_weights(child)]


def l2_penalty(model, module):
    """``model.reg * sum(W**2)`` over ``penalised_weights(module)`` (``module``: the torch mirror of
    ``model``). Not read from the NumPy model's ``weight_names``, so a model that penalised the
    wrong arrays is caught."""
    if not getattr(model, "reg", 0):
        return 0.0
    return model.reg * sum((w ** 2).sum() for w in penalised_weights(module))
