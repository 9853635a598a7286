"""Numerical gradients: the third oracle beside the analytic NumPy gradient and torch.

Use float64 only (float32 central differences are too noisy to judge anything).
"""
import numpy as np

from .checks import check_count, check_number


def rel_error(a, b, floor=1e-8):
    """cs231n's measure: max over elements of |a - b| / max(floor, |a| + |b|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:                  # broadcasting would compare something else and could read 0
        raise ValueError(f"rel_error: the two arrays must have one shape, got {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b)))) if a.size else 0.0


def _perturbable(component, x, h):
    """``x`` must be a writable float64 ndarray (it is perturbed in place) and ``h`` a step > 0."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{component}: x must be the float64 ndarray that f reads (it is perturbed in place), "
                        f"got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(f"{component}: use float64 arrays, got {x.dtype}")
    if not x.flags.writeable:
        raise ValueError(f"{component}: x is read-only; it is perturbed in place (pass a writable copy that f reads)")
    check_number(component, "h", h, 0, low_open=True)


def _values(out):
    """What ``f()`` returned, as float64 numbers (a copy); anything else is refused by name."""
    if out is None or isinstance(out, (str, bytes)):
        raise TypeError(f"numerical_gradient: f() must return a number or an array of numbers, got "
                        f"{type(out).__name__}")
    try:
        return np.array(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"numerical_gradient: f() must return a number or an array of numbers, got "
                        f"{type(out).__name__}") from None


def numerical_gradient(f, x, df=None, h=1e-5):
    """Central-difference gradient of ``sum(f() * df)`` with respect to ``x``.

    ``f`` takes no argument and reads ``x``, which is perturbed in place one element at a time and
    always restored. ``df`` is the upstream gradient (default 1, for a scalar ``f``)."""
    _perturbable("numerical_gradient", x, h)
    grad = np.zeros_like(x)
    if x.size == 0:                                 # an empty batch: nothing to perturb, an empty gradient
        return grad
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            x[i] = old + h
            plus = _values(f())                     # a copy: f may return a view of x
            x[i] = old - h
            minus = _values(f())
        finally:
            x[i] = old
        diff = plus - minus
        if df is not None and np.shape(df) != diff.shape:
            raise ValueError(f"numerical_gradient: df must have the shape of f()'s output {diff.shape}, "
                             f"got {np.shape(df)}")
        grad[i] = np.sum(diff * df) / (2 * h) if df is not None else np.sum(diff) / (2 * h)
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=0):
    """Check ``num_checks`` random elements of ``analytic_grad`` (of the scalar ``f()`` with
    respect to ``x``). Returns a list of ``(index, numerical, analytic, rel_error)``."""
    _perturbable("grad_check_sparse", x, h)
    num_checks = check_count("grad_check_sparse", "num_checks", num_checks, 0)
    if np.shape(analytic_grad) != x.shape:          # indexed with x's indices: another shape reads other elements
        raise ValueError(f"grad_check_sparse: analytic_grad must have x's shape {x.shape}, got {np.shape(analytic_grad)}")
    if x.size == 0 and num_checks:
        raise ValueError(f"grad_check_sparse: x of shape {x.shape} has no element to check")
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(num_checks):
        i = tuple(int(rng.integers(s)) for s in x.shape)
        old = x[i]
        try:
            x[i] = old + h
            plus = float(f())
            x[i] = old - h
            minus = float(f())
        finally:
            x[i] = old
        num = (plus - minus) / (2 * h)
        ana = float(analytic_grad[i])
        rows.append((i, num, ana, rel_error(num, ana)))
    return rows


class _Frozen:
    """A layer's random generators and buffers (running statistics) as they were: ``again()`` puts the
    generators back before each forward (a dropout draws the same mask every time), ``restore()`` puts
    both back at the end (a gradient check leaves the layer as it found it)."""

    def __init__(self, layer):
        import copy
        self.layer, self.generators, todo, seen = layer, [], [layer], set()
        while todo:
            node = todo.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            for v in getattr(node, "__dict__", {}).values():
                if isinstance(v, np.random.Generator):
                    self.generators.append((v, copy.deepcopy(v.bit_generator.state)))
            children = getattr(node, "children", None)
            todo.extend(children() if callable(children) else ())
        buffers = getattr(layer, "named_buffers", None)
        self.buffers = {k: np.array(v, copy=True) for k, v in (buffers() if callable(buffers) else {}).items()}

    def again(self):
        for g, state in self.generators:
            g.bit_generator.state = state

    def restore(self):
        self.again()
        live = self.layer.named_buffers() if self.buffers else {}
        for k, v in self.buffers.items():
            if isinstance(live.get(k), np.ndarray) and live[k].shape == v.shape:
                live[k][...] = v


def layer_gradients(layer, x, dout, h=1e-5):
    """Numerical gradients of ``sum(layer.forward(x) * dout)`` with respect to the input and to
    every parameter, in training mode, each forward with the layer's generators as they were (a
    dropout's mask the same every time). Returns ``{"input": dx, "<param>": dparam, ...}``; the
    layer's generators and running statistics are left as they were."""
    x = np.array(x, dtype=np.float64)
    frozen = _Frozen(layer)

    def f():
        frozen.again()
        return layer.forward(x, training=True)

    try:
        out = {"input": numerical_gradient(f, x, dout, h)}
        for name, p in layer.named_parameters().items():
            out[name] = numerical_gradient(f, p, dout, h)
    finally:
        frozen.restore()
    return out


def check_layer(layer, x, dout=None, h=1e-5, seed=0):
    """Compare a layer's analytic gradients with finite differences. Returns ``{name: rel_error}``.
    The layer's generators and running statistics are left as they were."""
    x = np.array(x, dtype=np.float64)
    frozen = _Frozen(layer)
    try:
        if dout is None:
            out = layer.forward(x, training=True)
            dout = np.random.default_rng(seed).standard_normal(out.shape)
        frozen.again()
        layer.forward(x, training=True)
        analytic = {"input": layer.backward(dout)}
        analytic.update({k: v.copy() for k, v in layer.named_grads().items()})
    finally:
        frozen.restore()
    numeric = layer_gradients(layer, x, dout, h)
    return {k: rel_error(analytic[k], numeric[k]) for k in analytic}


def check_loss(loss_fn, x, y, h=1e-5):
    """Compare a ``(loss, dx) = loss_fn(x, y)`` gradient with finite differences; returns rel_error."""
    x = np.array(x, dtype=np.float64)
    _, dx = loss_fn(x, y)
    num = numerical_gradient(lambda: loss_fn(x, y)[0], x, None, h)
    return rel_error(dx, num)
