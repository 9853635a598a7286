"""A NumPy model's parameters and BatchNorm buffers as a torch ``state_dict`` of its mirror, and back."""
import os

import torch

from numpy_impl.atomic import atomic_write

from .layers import mirror
from .mapping import copy_to_numpy


def to_state_dict(model):
    """The mirror's ``state_dict``: ``load_state_dict`` on ``mirror(model).module`` accepts it."""
    return mirror(model).module.state_dict()


def save_state_dict(model, path):
    """``torch.save`` of ``to_state_dict``, written to a temporary file and renamed."""
    state = to_state_dict(model)
    atomic_write(path, lambda f: torch.save(state, f))


def load_state_dict(model, state):
    """Copy a torch ``state_dict`` (or a path to one) into the NumPy model, in place."""
    if isinstance(state, (str, os.PathLike)):
        state = torch.load(state, weights_only=True)
    m = mirror(model)
    m.module.load_state_dict(state)
    copy_to_numpy(m.module, model.named_parameters(), m.params)
    copy_to_numpy(m.module, model.named_buffers(), m.buffers)
    return model
