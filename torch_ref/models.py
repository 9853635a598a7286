"""The torch side of a NumPy model (``numpy_impl.models``): its mirror run layer by layer, dropout
with the mask the NumPy layer drew, and the model's loss as torch computes it."""
import torch

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


def l2_penalty(model, module, mapping):
    """``model.reg * sum(W**2)`` over the model's weights, on the torch parameters."""
    if not getattr(model, "reg", 0):
        return 0.0
    params = dict(module.named_parameters())
    return model.reg * sum((params[mapping[k].torch_name] ** 2).sum() for k in model.weight_names())
