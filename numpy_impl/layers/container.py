"""Sequential: layers applied in order; parameters are named ``"<index>.<name>"``."""
import inspect

from .base import Layer


class Sequential(Layer):
    def __init__(self, *layers):
        super().__init__()
        self.layers = list(layers)

    def children(self):
        return list(self.layers)

    def describe(self):
        return "Sequential(" + ", ".join(layer.describe() for layer in self.layers) + ")"

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def _named(self, attr):
        out = {}
        for i, layer in enumerate(self.layers):
            for name, value in getattr(layer, attr)().items():
                out[f"{i}.{name}"] = value
        return out

    def named_parameters(self):
        return self._named("named_parameters")

    def named_grads(self):
        return self._named("named_grads")

    def named_buffers(self):
        return self._named("named_buffers")

    def zero_grad(self):
        for layer in self.layers:
            layer.zero_grad()

    def forward(self, x, training=None):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dout, input_grad=True):
        """The input gradient; ``input_grad=False`` lets a first layer that supports it (Linear,
        Conv2d) skip computing it, and returns None (a training step never uses it)."""
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad and "input_grad" in inspect.signature(layer.backward).parameters:
                return layer.backward(dout, input_grad=False)
            dout = layer.backward(dout)
        return dout
