"""How a NumPy parameter maps onto a torch one, and the copies in both directions.

A mapping is ``{numpy_name: Param}``. ``Param("weight", transpose=True)`` says the NumPy array is
the transpose of torch's ``weight`` (``Linear``: W is (in, out), ``nn.Linear.weight`` is (out, in)).
A plain string ``"weight"`` means the same layout; the string ``"weight.T"`` means transposed.
"""
from dataclasses import dataclass

import numpy as np
import torch

TORCH_DTYPES = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}


@dataclass(frozen=True)
class Param:
    torch_name: str
    transpose: bool = False

    def to_torch(self, array):
        return np.asarray(array.T if self.transpose else array, order="C")     # a 0-d count stays 0-d

    def to_numpy(self, array):
        return np.asarray(array.T if self.transpose else array, order="C")     # a 0-d count stays 0-d


def as_param(spec):
    if isinstance(spec, Param):
        return spec
    if isinstance(spec, str):
        return Param(spec[:-2], True) if spec.endswith(".T") else Param(spec)
    raise TypeError(f"parameter mapping: expected a torch name or Param, got {spec!r}")


def normalise(mapping):
    return {k: as_param(v) for k, v in (mapping or {}).items()}


def torch_dtype(np_dtype):
    try:
        return TORCH_DTYPES[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"no torch dtype for NumPy dtype {np_dtype}: use float32 or float64") from None


def _torch_tensors(module):
    out = dict(module.named_parameters())
    out.update(dict(module.named_buffers()))
    return out


def copy_to_torch(arrays, module, mapping):
    """Copy NumPy arrays (params or buffers by NumPy name) into the torch module's tensors."""
    tensors = _torch_tensors(module)
    for name, param in normalise(mapping).items():
        if name not in arrays:
            raise KeyError(f"parameter mapping names NumPy '{name}', which the layer does not have "
                           f"(it has {sorted(arrays)})")
        if param.torch_name not in tensors:
            raise KeyError(f"parameter mapping names torch '{param.torch_name}', which the module does "
                           f"not have (it has {sorted(tensors)})")
        t = tensors[param.torch_name]
        value = param.to_torch(arrays[name])
        if tuple(value.shape) != tuple(t.shape):
            raise ValueError(f"parameter '{name}' -> '{param.torch_name}': NumPy shape {arrays[name].shape} "
                             f"becomes {value.shape} in torch layout, torch has {tuple(t.shape)}")
        with torch.no_grad():
            if t.is_floating_point():
                value = value.astype(np.float64 if t.dtype == torch.float64 else np.float32)
            t.copy_(torch.from_numpy(np.asarray(value)))       # a count (num_batches_tracked) stays an integer


def to_numpy_dict(module, mapping, grads=False):
    """The torch tensors (or their ``.grad``), by NumPy name and in NumPy layout."""
    tensors = _torch_tensors(module)
    out = {}
    for name, param in normalise(mapping).items():
        t = tensors[param.torch_name]
        if grads:
            t = t.grad
            if t is None:
                out[name] = None
                continue
        out[name] = param.to_numpy(t.detach().cpu().numpy())
    return out


def copy_to_numpy(module, arrays, mapping):
    """Copy torch tensors back into the NumPy arrays in place (the inverse of ``copy_to_torch``)."""
    for name, value in to_numpy_dict(module, mapping).items():
        arrays[name][...] = value
