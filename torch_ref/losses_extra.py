"""torch counterparts of ``numpy_impl.losses_extra``: ``fn(x, target, **options) -> loss``.

Array options (class weights, pos_weight, masks) arrive as NumPy arrays and are turned into
tensors of the input's dtype here."""
import warnings

import numpy as np
import torch
import torch.nn.functional as F


def _t(arr, like):
    return None if arr is None else torch.as_tensor(np.asarray(arr)).to(like.dtype)


def nll_loss(x, y, weight=None, ignore_index=-100, reduction="mean"):
    return F.nll_loss(x, y, weight=_t(weight, x), ignore_index=ignore_index, reduction=reduction)


def cross_entropy_loss(x, y, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    return F.cross_entropy(x, y, weight=_t(weight, x), ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=label_smoothing)


def binary_cross_entropy(p, y, weight=None, reduction="mean"):
    return F.binary_cross_entropy(p, y, weight=_t(weight, p), reduction=reduction)


def binary_cross_entropy_with_logits(x, y, weight=None, pos_weight=None, reduction="mean"):
    return F.binary_cross_entropy_with_logits(x, y, weight=_t(weight, x), pos_weight=_t(pos_weight, x),
                                              reduction=reduction)


def l1_loss(x, target, reduction="mean"):
    return F.l1_loss(x, target, reduction=reduction)


def huber_loss(x, target, reduction="mean", delta=1.0):
    return F.huber_loss(x, target, reduction=reduction, delta=delta)


def smooth_l1_loss(x, target, reduction="mean", beta=1.0):
    return F.smooth_l1_loss(x, target, reduction=reduction, beta=beta)


def kl_div_loss(logq, p, reduction="mean", log_target=False):
    with warnings.catch_warnings():       # torch warns that 'mean' is not the KL divergence
        warnings.simplefilter("ignore", UserWarning)
        return F.kl_div(logq, p, reduction=reduction, log_target=log_target)


def temporal_softmax_loss(x, y, mask=None):
    """cs231n's form: cross-entropy per step, masked, summed, divided by N."""
    n, t, v = x.shape
    per_step = F.cross_entropy(x.reshape(n * t, v), y.reshape(n * t), reduction="none")
    if mask is not None:
        per_step = per_step * torch.as_tensor(np.asarray(mask).reshape(n * t)).to(x.dtype)
    return per_step.sum() / n
