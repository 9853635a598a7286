"""The public API: check a NumPy layer or loss against torch.

From your own pytest test::

    from parity_tests import assert_layer_parity
    assert_layer_parity(MyLinear(4, 3), torch.nn.Linear(4, 3), {"W": "weight.T", "b": "bias"}, x)

The NumPy parameters are copied into the torch module (through the mapping) before anything runs,
so both start from the same weights. The registry runs exactly these functions.
"""
import numpy as np
import torch

from numpy_impl.gradcheck import numerical_gradient
from torch_ref.layers import mirror
from torch_ref.mapping import copy_to_torch, normalise, to_numpy_dict, torch_dtype

from .compare import compare, failed
from .report import Report
from .tolerance import tolerance_for


class _Checks:
    """Collects results for one (component, sample, dtype) run."""

    def __init__(self, tolerances, **meta):
        self.meta, self.tolerances, self.results = meta, tolerances, []

    def add(self, check, actual, expected):
        tol = tolerance_for(self.meta["dtype"], check, self.tolerances)
        self.results.append(compare(actual, expected, tol, check=check, **self.meta))

    def fail(self, check, note):
        self.results.append(failed(note, check=check, **self.meta))

    def dtype(self, check, arr, want):
        if np.asarray(arr).dtype != want:
            self.fail(check, f"dtype changed: input {want}, got {np.asarray(arr).dtype}")

    def unchanged(self, what, before, after):
        if not np.array_equal(before, after, equal_nan=True):
            self.fail("no_mutation", f"{what} was modified in place")

    def report(self):
        return Report(self.results)


def _to_torch(arr, requires_grad=False):
    return torch.tensor(np.ascontiguousarray(arr), requires_grad=requires_grad)


def check_layer(layer, module=None, params=None, x=None, *, buffers=None, dout=None, seed=0, component=None,
                sample="", tolerances=None, finite_differences=None, extra_batches=(), eval_mode=False,
                share=None, eval_backward=True):
    """Compare a NumPy layer with a torch module on input ``x``.

    Checks: ``forward``; ``grad_input`` and every ``grad_param:<name>`` under the upstream gradient
    ``dout`` (default: standard normal drawn from ``seed``); ``running:<buffer>`` after the
    ``extra_batches`` and the main batch; ``eval_forward``/``eval_grad_input`` if ``eval_mode``
    (``eval_backward=False``: the forward only);
    ``fd:input`` / ``fd:<param>`` against finite differences (default: when ``x`` is float64);
    plus output/grad dtypes and that neither ``x`` nor ``dout`` was modified.

    ``module=None`` builds the torch mirror (``torch_ref.mirror``); otherwise ``params`` (and
    ``buffers``) map NumPy names to torch names (``{"W": "weight.T"}``). ``share(layer, out_t)`` is
    called after each torch forward to carry randomness (a dropout mask) over to the NumPy layer.
    Returns a ``Report``.
    """
    x = np.asarray(x)
    dtype = x.dtype
    meta = dict(component=component or layer.describe(), dtype=dtype.name, sample=sample,
                shape=tuple(x.shape), seed=seed)
    c = _Checks(tolerances, **meta)
    try:
        if module is None:
            m = mirror(layer, dtype)
            module, params, buffers = m.module, m.params, m.buffers
        else:
            params, buffers = normalise(params), normalise(buffers)
            module.to(torch_dtype(dtype))
            copy_to_torch(layer.named_parameters(), module, params)
            copy_to_torch(layer.named_buffers(), module, buffers)
        module.train()
        layer.train()
        for xb in extra_batches:
            out_b = module(_to_torch(xb))
            if share:
                share(layer, out_b)
            layer.forward(xb, training=True)
        xt = _to_torch(x, requires_grad=True)
        out_t = module(xt)
        if share:
            share(layer, out_t)
        x_before = x.copy()
        out = layer.forward(x, training=True)
        c.add("forward", out, out_t.detach().numpy())
        c.dtype("forward", out, dtype)
        # a stream of its own: drawn from ``seed`` alone it would repeat x (and g ~ x hides norm-layer bugs)
        g = np.random.default_rng([seed, 1]).standard_normal(out.shape).astype(dtype) if dout is None else dout
        g_before = g.copy()
        dx = layer.backward(g)
        out_t.backward(_to_torch(g))
        c.add("grad_input", dx, xt.grad.numpy())
        c.dtype("grad_input", dx, dtype)
        np_grads = {k: v.copy() for k, v in layer.named_grads().items()}
        torch_grads = to_numpy_dict(module, params, grads=True)
        for name in params:
            c.add(f"grad_param:{name}", np_grads[name], torch_grads[name])
        c.unchanged("the input x", x_before, x)
        c.unchanged("the upstream gradient", g_before, g)
        if buffers:
            torch_buffers = to_numpy_dict(module, buffers)
            for name, value in layer.named_buffers().items():
                if name in torch_buffers:
                    c.add(f"running:{name}", value, torch_buffers[name])
        if eval_mode:
            module.eval()
            xe = _to_torch(x, requires_grad=True)
            out_te = module(xe)
            out_e = layer.forward(x, training=False)
            c.add("eval_forward", out_e, out_te.detach().numpy())
            if eval_backward:             # False: code whose backward exists for training only
                out_te.backward(_to_torch(g))
                c.add("eval_grad_input", layer.backward(g), xe.grad.numpy())
            module.train()
        if finite_differences if finite_differences is not None else dtype == np.float64:
            _finite_differences(c, layer, x, g, dx, np_grads)
    except Exception as exc:  # a crash is a failure of that component, reported like any other
        c.fail("error", f"raised {type(exc).__name__}: {exc}")
    return c.report()


def _finite_differences(c, layer, x, g, dx, np_grads):
    """Analytic NumPy gradients against central differences of sum(forward(x) * g)."""
    mask = getattr(layer, "mask", None)           # dropout: hold the mask fixed

    def f():
        if mask is not None:
            layer.set_mask(mask)
        return layer.forward(xc, training=True)

    xc = np.array(x, dtype=np.float64)
    c.add("fd:input", dx, numerical_gradient(f, xc, g))
    for name, p in layer.named_parameters().items():
        c.add(f"fd:{name}", np_grads[name], numerical_gradient(f, p, g))


def check_loss(loss_fn, torch_fn, x, y, *, seed=0, component=None, sample="", tolerances=None,
               finite_differences=None):
    """Compare ``loss, dx = loss_fn(x, y)`` with ``torch_fn(x_t, y_t)`` and its autograd gradient.

    Checks ``loss``, ``grad_input``, dtypes, no mutation, and ``fd:input`` (float64)."""
    x = np.asarray(x)
    dtype = x.dtype
    c = _Checks(tolerances, component=component or getattr(loss_fn, "__name__", "loss"), dtype=dtype.name,
                sample=sample, shape=tuple(x.shape), seed=seed)
    try:
        x_before, y_before = x.copy(), np.array(y, copy=True)
        loss, dx = loss_fn(x, y)
        xt = _to_torch(x, requires_grad=True)
        lt = torch_fn(xt, torch.from_numpy(np.asarray(y).astype(np.int64) if np.asarray(y).dtype.kind in "iu"
                                           else np.asarray(y)))
        lt.backward()
        c.add("loss", np.asarray(loss), lt.detach().numpy())
        c.dtype("loss", loss, dtype)
        c.add("grad_input", dx, xt.grad.numpy())
        c.dtype("grad_input", dx, dtype)
        c.unchanged("the scores x", x_before, x)
        c.unchanged("the labels y", y_before, y)
        if finite_differences if finite_differences is not None else dtype == np.float64:
            xc = np.array(x, dtype=np.float64)
            c.add("fd:input", dx, numerical_gradient(lambda: loss_fn(xc, y)[0], xc))
    except Exception as exc:
        c.fail("error", f"raised {type(exc).__name__}: {exc}")
    return c.report()


def assert_layer_parity(layer, module=None, params=None, x=None, **kwargs):
    """``check_layer`` that raises ``ParityError`` listing every failed check."""
    return check_layer(layer, module, params, x, **kwargs).raise_if_failed()


def assert_loss_parity(loss_fn, torch_fn, x, y, **kwargs):
    return check_loss(loss_fn, torch_fn, x, y, **kwargs).raise_if_failed()
