"""The one layer interface every NumPy layer follows.

* ``forward(x, training=None)`` returns the output and caches what backward needs;
  ``training=None`` uses the layer's mode (``train()`` / ``eval()``).
* ``backward(dout)`` returns the gradient of the input and fills ``grads`` (same names as
  ``params``). It never mutates ``dout``.
* ``params`` / ``grads`` / ``buffers`` are dicts of arrays by name. Optimizers update ``params``
  in place, so the dict entries stay the same objects.
"""
import numpy as np

from ..checks import as_float_array, backward_before_forward, check_shape


class Layer:
    def __init__(self):
        self.params = {}
        self.grads = {}
        self.buffers = {}
        self.training = True
        self._cache = None

    # -- mode ------------------------------------------------------------
    def train(self, mode=True):
        self.training = mode
        for child in self.children():
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

    def _mode(self, training):
        return self.training if training is None else bool(training)

    def _input(self, x):
        return as_float_array(self.describe(), x)

    def _dout(self, dout):
        if self._cache is None:
            raise backward_before_forward(self.describe())
        return check_shape(self.describe(), dout, self._out_shape, "upstream gradient")

    def _set_grad(self, name, value):
        """Store a parameter gradient in the parameter's dtype."""
        self.grads[name] = np.asarray(value, dtype=self.params[name].dtype)

    def describe(self):
        return type(self).__name__

    def __repr__(self):
        return self.describe()
