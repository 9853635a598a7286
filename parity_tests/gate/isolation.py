"""What makes every check a pure function of its arguments: ``preserved(layer, module, seed)``.

Inside it torch's global generator is forked and seeded from ``seed`` (dropout draws the same mask
every time; the caller's torch random state is untouched), every ``.grad`` of the torch module is
cleared, and on exit the state a check may change is put back:

* the NumPy layer (walked through ``children()``): its parameters and buffers (running
  statistics) in place, its mode (``training``), its ``numpy.random.Generator`` states and any
  pending dropout mask;
* the torch module: each parameter's dtype, ``requires_grad`` and ``.grad``, each buffer (value
  and dtype) and each submodule's train/eval mode. Parameter VALUES are not restored: the check
  copies the NumPy weights into the module and they stay (in the module's own dtype).
"""
import contextlib

import numpy as np
import torch


def walk(layer):
    """The layer and its children, depth first (any object; ``children()`` is optional)."""
    yield layer
    for child in getattr(layer, "children", lambda: [])() or []:
        yield from walk(child)


def _arrays(get):
    try:
        return dict(get() or {})
    except Exception:                      # a duck type without the method: nothing to save
        return {}


class _NumpyState:
    def __init__(self, layer):
        self.layer = layer
        self.params = {k: np.array(v, copy=True) for k, v in _arrays(getattr(layer, "named_parameters", dict)).items()
                       if v is not None}
        self.buffers = {k: np.array(v, copy=True) for k, v in _arrays(getattr(layer, "named_buffers", dict)).items()
                        if v is not None}
        self.parts = []
        for part in walk(layer):
            saved = {}
            if hasattr(part, "training"):
                saved["training"] = part.training
            if hasattr(part, "_next_mask"):
                saved["_next_mask"] = part._next_mask
            gens = {k: v.bit_generator.state for k, v in vars(part).items() if isinstance(v, np.random.Generator)} \
                if hasattr(part, "__dict__") else {}
            self.parts.append((part, saved, gens))

    def restore(self):
        for get, saved in ((getattr(self.layer, "named_parameters", dict), self.params),
                           (getattr(self.layer, "named_buffers", dict), self.buffers)):
            now = _arrays(get)
            for k, v in saved.items():
                if isinstance(now.get(k), np.ndarray) and now[k].shape == v.shape:
                    now[k][...] = v
        for part, saved, gens in self.parts:
            for k, v in saved.items():
                setattr(part, k, v)
            for k, state in gens.items():
                getattr(part, k).bit_generator.state = state


class _TorchState:
    def __init__(self, module):
        self.modes = [(m, m.training) for m in module.modules()]
        self.params = [(p, p.dtype, p.requires_grad, p.grad) for p in module.parameters()]
        self.buffers = [(m, k, b.detach().clone()) for m in module.modules() for k, b in m._buffers.items()
                        if b is not None]

    def clear_grads(self):
        for p, *_ in self.params:
            p.grad = None
            p.requires_grad_(True)

    def restore(self):
        for p, dtype, requires_grad, grad in self.params:
            if p.dtype != dtype:
                p.data = p.data.to(dtype)
            p.grad = grad
            p.requires_grad_(requires_grad)
        for m, k, b in self.buffers:
            m._buffers[k] = b
        for m, mode in self.modes:
            m.training = mode


@contextlib.contextmanager
def preserved(layer=None, module=None, seed=0):
    """Run a check on ``layer`` (NumPy) and ``module`` (torch; None when the check builds its own
    mirror) with seeded torch randomness, and put back what the check may change (module doc)."""
    np_state = _NumpyState(layer) if layer is not None else None
    t_state = _TorchState(module) if module is not None else None
    if t_state:
        t_state.clear_grads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) % 2**63)
        try:
            yield
        finally:
            if np_state:
                np_state.restore()
            if t_state:
                t_state.restore()
