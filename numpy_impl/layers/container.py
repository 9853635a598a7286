"""Sequential: layers applied in order; parameters are named ``"<index>.<name>"``."""
import inspect

from .base import Layer


def _describe(layer):
    describe = getattr(layer, "describe", None)
    return describe() if callable(describe) else type(layer).__name__


def _walk(layer):
    """``layer`` and every layer inside it (through ``children()``)."""
    yield layer
    children = getattr(layer, "children", None)
    for child in (children() if callable(children) else []):
        yield from _walk(child)


class Sequential(Layer):
    def __init__(self, *layers):
        super().__init__()
        seen = {}
        for i, layer in enumerate(layers):
            if isinstance(layer, type):
                raise TypeError(f"Sequential: layer {i} is the class {layer.__name__}, not a layer: write "
                                f"{layer.__name__}(...)")
            if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))):
                raise TypeError(f"Sequential: layer {i} must be a layer with forward() and backward(), got "
                                f"{type(layer).__name__}")
            for inner in _walk(layer):              # a layer inside a nested Sequential counts too
                if id(inner) in seen:               # its cache holds one input: the first call's gradient is lost
                    raise ValueError(f"Sequential: layers {seen[id(inner)]} and {i} hold the same "
                                     f"{type(inner).__name__} object; a layer caches one forward, so the earlier "
                                     "use would get a wrong gradient (and an optimizer would step its weights "
                                     "twice): build a layer per place")
                seen[id(inner)] = i
        self.layers = list(layers)

    def children(self):
        return list(self.layers)

    def describe(self):
        return "Sequential(" + ", ".join(_describe(layer) for layer in self.layers) + ")"

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def _named(self, attr):
        out = {}
        for i, layer in enumerate(self.layers):
            named = getattr(layer, attr, None)      # a layer of your own with forward/backward alone has none
            for name, value in (named() if callable(named) else {}).items():
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
            zero_grad = getattr(layer, "zero_grad", None)
            if callable(zero_grad):
                zero_grad()

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
