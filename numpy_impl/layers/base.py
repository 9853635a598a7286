"""The one layer interface every NumPy layer follows.

* ``forward(x, training=None)`` returns the output and caches what backward needs;
  ``training=None`` uses the layer's mode (``train()`` / ``eval()``).
* ``backward(dout)`` returns the gradient of the input and fills ``grads`` (same names as
  ``params``). It never mutates ``dout``.
* ``params`` / ``grads`` / ``buffers`` are dicts of arrays by name. Optimizers update ``params``
  in place, so the dict entries stay the same objects.
"""
import functools
import inspect

import numpy as np

from ..checks import as_float_array, backward_before_forward, check_flag, check_shape


def _naming_memory_errors(method):
    """``method`` with a MemoryError (NumPy's "Unable to allocate 728 TiB for an array with shape ...")
    prefixed by the layer it happened in: Linear(10000000, 10000000), not a bare error from inside."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except MemoryError as e:
            if getattr(e, "named", False):         # an inner layer (or super()) named it already
                raise
            try:
                who = self.describe() if method.__name__ != "__init__" else type(self).__name__
            except Exception:                   # noqa: BLE001 -- a half-built layer: its class names it
                who = type(self).__name__
            err = MemoryError(f"{who}.{method.__name__.strip('_')}: {e}")
            err.named = True
            raise err from None
    return wrapper


class Layer:
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("__init__", "forward", "backward"):
            if inspect.isfunction(cls.__dict__.get(name)):     # a staticmethod or classmethod stays as it is
                setattr(cls, name, _naming_memory_errors(cls.__dict__[name]))

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.buffers = {}
        self.training = True
        self._cache = None

    # -- mode ------------------------------------------------------------
    def train(self, mode=True):
        self.training = check_flag(f"{self.describe()}.train", "mode", mode)    # "False" would mean training
        for child in self.children():
            if callable(getattr(child, "train", None)):     # a layer of your own may have no modes
                child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def children(self):
        return []

    # -- named access, flat over nested layers ---------------------------
    def named_parameters(self):
        return dict(self.params)

    def named_grads(self):
        return dict(self.grads)

    def named_buffers(self):
        return dict(self.buffers)

    def zero_grad(self):
        for g in self.grads.values():
            g[...] = 0

    # -- calling ---------------------------------------------------------
    def __call__(self, x, training=None):
        return self.forward(x, training)

    def _mode(self, training, hint=""):
        """The mode to run in: ``training`` (True/False), or the layer's own when None. An array
        here is an input passed by position into ``training``: refused (``hint`` says how to pass it)."""
        if training is None:
            return self.training
        if not isinstance(training, (bool, np.bool_)) and not (isinstance(training, (int, np.integer))
                                                                and training in (0, 1)):
            raise TypeError(f"{self.describe()}: training must be True, False or None, got "
                            f"{type(training).__name__}{hint}")
        return bool(training)

    def _input(self, x):
        return as_float_array(self.describe(), x)

    def _dout(self, dout):
        if self._cache is None:
            raise backward_before_forward(self.describe())
        dout = check_shape(self.describe(), dout, self._out_shape, "upstream gradient")
        dtype = getattr(self, "_out_dtype", None)   # as torch: the gradient takes the output's dtype
        return dout if dtype is None else dout.astype(dtype, copy=False)

    def _scratch(self, name, shape, dtype):
        """An uninitialised array for what forward caches and only backward reads (a column buffer,
        a centred input), reused by the next call while shape and dtype stay the same. Fresh arrays
        of a few MB cost one page fault per 4 KB on first touch, about a third of a norm layer's
        forward; the old contents are dead once the next forward replaces the cache. Never use it
        for an array the caller receives."""
        pool = self.__dict__.setdefault("_scratch_arrays", {})
        buf = pool.get(name)
        if buf is None or buf.shape != tuple(shape) or buf.dtype != dtype:
            buf = pool[name] = np.empty(shape, dtype=dtype)
        return buf

    def _set_grad(self, name, value):
        """Store a parameter gradient in the parameter's dtype."""
        self.grads[name] = np.asarray(value, dtype=self.params[name].dtype)

    def describe(self):
        return type(self).__name__

    def __repr__(self):
        return self.describe()
