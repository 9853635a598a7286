"""``parity scan`` on layers whose backward takes a learning rate and updates the weights itself:
``forward(input)`` and ``backward(output_gradient, learning_rate)`` returning the input gradient, the
style of The Independent Code's "Neural Network from Scratch" (``Dense(input_size, output_size)`` on
column vectors, ``Activation(activation, activation_prime)``, ``Tanh``, ``Softmax``,
``Convolutional(input_shape, kernel_size, depth)``, ``Reshape``), of Omar Aflak's "Neural Network
from scratch in Python" (``forward_propagation``/``backward_propagation``, ``FCLayer`` on rows,
``ActivationLayer``) and of Victor Zhou's CNN (``backprop(d_L_d_out, learn_rate)``).

Checked in float64 (these tutorials' dtype), one sample at a time as they train:

* ``forward`` against torch, where the layer is one torch knows: a dense layer (found by its 2-D
  weight: ``W @ x + b`` on a column, ``x @ W + b`` on a row), the activations by name (the class's,
  or the function an ``Activation(f, f_prime)`` is built from: tanh, sigmoid, relu, softmax over the
  vector), a convolution (kernels (F, C, k, k) with biases (F, H', W'), or filters (F, k, k) on a 2-D
  image), a reshape;
* the input gradient it returns, and each weight's gradient read from its update (``before - after``
  with learning rate 1), against torch's gradient of ``sum(output_gradient * forward(x))`` AND against
  finite differences of its own forward (the only oracle for a layer torch has no name for);
* the input and the output gradient unchanged.

A backward that updates the weights before it computes the input gradient is told so.
"""
import ast
import inspect
import re
import textwrap

import numpy as np
import torch
import torch.nn.functional as F

from .api import _Checks
from .report import Report
from .samples import seed_for

LR_NAMES = {"learning_rate", "lr", "learn_rate", "learningrate", "eta", "alpha", "rate", "step_size", "lrate",
            "l_rate", "learningrate", "learing_rate"}
FORWARDS = ("forward", "forward_propagation", "forward_prop", "forward_pass")
BACKWARDS = ("backward", "backward_propagation", "backward_prop", "backprop", "backward_pass")
LR = 1.0                       # the update is then the gradient itself: before - after
FD_STEP = 1e-6
D, H = 4, 3                    # a dense layer's sizes (different, so the weight's layout shows)
N = 5                          # a batch, for the layers on rows that take one
SIZES = {"input_size": D, "n_inputs": D, "n_input": D, "in_features": D, "input_dim": D, "input_len": D,
         "in_size": D, "inputs": D, "n_in": D, "fan_in": D, "num_inputs": D, "input_neurons": D, "nin": D,
         "input_nodes": D, "in_dim": D, "input_units": D,
         "output_size": H, "n_outputs": H, "n_output": H, "out_features": H, "output_dim": H, "nodes": H,
         "out_size": H, "outputs": H, "n_out": H, "fan_out": H, "num_outputs": H, "output_neurons": H, "nout": H,
         "output_nodes": H, "out_dim": H, "neurons": H, "units": H, "n_neurons": H, "output_units": H}
IMAGE = (2, 6, 5)              # a convolution's or reshape's input_shape (C, H, W)
OTHER = {"input_shape": IMAGE, "kernel_size": 3, "filter_size": 3, "depth": 4, "num_filters": 4,
         "n_filters": 4, "filters": 4, "out_channels": 4}
# a derivative's name from its function's: tanh -> tanh_prime, tanh_derivative, d_tanh...
DERIVATIVE = re.compile(r"^(?:(?P<a>\w+?)_(?:prime|derivative|deriv|grad|gradient|der|backward|diff)"
                        r"|(?:d_?|derivative_(?:of_)?|deriv_)(?P<b>\w+))$")


def _required(fn):
    try:
        ps = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    return [p.name for p in ps if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def methods(cls):
    """``(forward name, backward name, "lr")`` when ``cls`` has a forward and a backward taking
    ``(output_gradient, learning_rate)``; ``(forward, backward, "dict")`` for a layer keeping
    ``self.params`` and ``self.grads`` as dicts (Joel Grus's joelnet) whose backward takes the output
    gradient alone; else None."""
    fwd = next((m for m in FORWARDS if callable(getattr(cls, m, None))), None)
    for m in BACKWARDS:
        args = _required(getattr(cls, m, None)) if callable(getattr(cls, m, None)) else None
        if fwd and args and len(args) == 3 and args[2].lower() in LR_NAMES:
            return fwd, m, "lr"
        if fwd and args and len(args) == 2 and _keeps_dicts(cls):
            return fwd, m, "dict"
    return None


def _keeps_dicts(cls):
    """Whether ``cls`` (or a base) keeps ``self.params = {}`` and ``self.grads = {}`` (or fills them by key)."""
    found = set()
    for c in cls.__mro__:
        try:
            src = inspect.getsource(c)
        except (OSError, TypeError):
            continue
        for what in ("params", "grads"):
            if re.search(r"self\." + what + r"\s*(:[^=\n]*)?=\s*(\{|dict\()", src) or \
                    re.search(r"self\." + what + r"\[\s*['\"]", src):
                found.add(what)
    return found == {"params", "grads"}


def _not_written(fn):
    """Whether ``fn``'s body is only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``
    (a base class's)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = tree.body[0].body if tree.body and hasattr(tree.body[0], "body") else []
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.dump(stmt):
            continue
        return False
    return True


def is_base(cls, names):
    """A base class (``Layer``): its forward and backward are not written."""
    return all(_not_written(getattr(cls, n)) for n in names[:2])


def subclassed(cls, modules):
    """Whether a class of ``modules`` derives from ``cls`` (The Independent Code's ``Tanh(Activation)``)."""
    def key(c):
        try:
            return c.__qualname__, inspect.getsourcefile(c)
        except TypeError:
            return c.__qualname__, None
    # by name and file: the scan may import a file twice (as itself and through ``from activation import ...``)
    mine = key(cls)
    return any(inspect.isclass(c) and key(c) != mine and any(key(b) == mine for b in c.__mro__[1:])
               for m in modules for c in vars(m).values())


def function_pairs(namespaces):
    """``[(f, f_prime)]``: the functions with a derivative beside them (``tanh``/``tanh_prime``,
    ``sigmoid``/``sigmoid_derivative``, ``relu``/``d_relu``) in any of ``namespaces``."""
    funcs = {}
    for ns in namespaces:
        for name, obj in ns.items():
            if inspect.isfunction(obj) and name not in funcs and _required(obj) is not None \
                    and len(_required(obj)) == 1:
                funcs[name] = obj
    pairs = []
    for name, obj in sorted(funcs.items()):
        m = DERIVATIVE.match(name)
        base = m and (m.group("a") or m.group("b"))
        if base and base in funcs and funcs[base] is not obj:
            pairs.append((funcs[base], obj))
    return pairs


def targets(name, cls, names, pairs):
    """``([(label, kind, make)], skipped reason or None)`` for a layer class: ``make()`` builds it."""
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        params = []
    fixed, callables, missing = {}, [], []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        key = p.name.lower()
        if key in SIZES:
            fixed[p.name] = SIZES[key]
        elif key in OTHER:
            fixed[p.name] = OTHER[key]
        elif key == "output_shape" and "input_shape" in [q.name for q in params]:
            fixed[p.name] = (int(np.prod(IMAGE)), 1)
        elif p.default is not p.empty:
            continue
        elif "activation" in key or "prime" in key or "deriv" in key or key in ("f", "df", "fn", "func", "function"):
            callables.append(p.name)
        else:
            missing.append(p.name)
    if missing:
        return [], (f"a layer whose backward takes a learning rate, built as {name}({', '.join(p.name for p in params)}): "
                    f"parity scan has no value for {', '.join(repr(m) for m in missing)}")
    if not callables:
        return [(name, _kind(name, layer=True), lambda: cls(**fixed))], None
    if len(callables) != 2:
        return [], (f"a layer built from functions ({', '.join(callables)}): parity scan builds one from a "
                    "function and its derivative only")
    if not pairs:
        return [], (f"a layer built from a function and its derivative ({', '.join(callables)}), but no pair "
                    "such as tanh / tanh_prime was found beside it to build it with")
    found = []
    for f, fp in pairs:
        def make(f=f, fp=fp):
            return cls(**fixed, **dict(zip(callables, (f, fp))))
        found.append((f"{name}({f.__name__}, {fp.__name__})", _kind(f.__name__), make))
    return found, None


KINDS = {"tanh": "tanh", "sigmoid": "sigmoid", "logistic": "sigmoid", "relu": "relu", "softmax": "softmax",
         "reshape": "reshape", "flatten": "reshape", "linear": "identity", "identity": "identity"}


def _kind(name, layer=False):
    """The kind a class (``layer``) or an activation function's name says."""
    n = re.sub(r"(layer|activation|_)", "", name.lower())
    if re.fullmatch(r"(dense|fc|fullyconnected|linear|affine|fullconnected)", n) and (layer or n != "linear"):
        return "dense"
    if n in KINDS:
        return KINDS[n]
    if re.fullmatch(r"conv\w*", n):
        return "conv"
    return "layer"


# ----------------------------------------------------------------- checking
def check(label, kind, make, names, seed=0):
    """One ``Report`` for the layer ``make()`` builds (forward name, backward name = ``names``)."""
    samples = [("random", 1.0, False)] + ([("|x| near 800", 800.0, False)] if kind in ("sigmoid", "tanh") else []) \
        + ([(ONE_NONZERO, 1.0, True)] if kind == "softmax" else [])
    if _takes_batches(make, names, seed):
        samples.append((BATCH, 1.0, False))
    runs = []
    for sample, size, sparse in samples:
        s = seed_for(seed, label, sample)
        c = _Checks(None, component=label, dtype="float64", sample=sample, shape=(), seed=s)
        try:
            _check_one(c, kind, make, names, np.random.default_rng(s), s, size, sparse, batch=sample == BATCH)
        except (Exception, SystemExit) as e:        # noqa: BLE001 -- the user's code (sys.exit too)
            c.crashed(e)
        runs.append(c.report())
    if kind == "softmax" and not runs[0].passed and runs[-1].passed:
        # Victor Zhou's Softmax: "we know only 1 element of d_L_d_out will be nonzero", and its backward
        # returns at that element: right under cross-entropy, which is where it is used, and said so
        for r in runs[-1].results:
            r.extra["one_nonzero"] = True
        runs = runs[-1:]
    report = Report()
    for r in runs:
        report.extend(r)
    return report


BATCH = f"a batch of {N} rows"


def _takes_batches(make, names, seed):
    """Whether a dense layer on rows also trains on a batch: its forward and backward run on (N, D) and
    leave its weights' shapes as they were (Omar Aflak's FCLayer does not: its bias takes the
    whole output gradient, one sample at a time as its fit loop gives them)."""
    try:
        obj = _build(make, seed)
        before = {k: v.shape for k, v in _params(obj, names).items()}
        dense = _dense(_params(obj, names))
        if not dense or dense[2] != "row":
            return False
        out = np.asarray(_run(obj, names, np.ones((N, D))))
        _run(obj, names, np.ones((N, D)), np.ones_like(out))
        return out.shape[0] == N and all(np.shape(_params(obj, names).get(k)) == v for k, v in before.items())
    except Exception:                               # noqa: BLE001 -- the user's code refusing batches
        return False


ONE_NONZERO = "cross-entropy's output gradient (one nonzero entry, -1/p at the label)"


def _build(make, seed):
    state = np.random.get_state()
    try:
        np.random.seed(seed % 2**32)
        return make()
    finally:
        np.random.set_state(state)


def _params(obj, names):
    """Its weights: the float arrays it holds (those its own update changes), or ``self.params``'s."""
    held = obj.params if names[2] == "dict" and isinstance(getattr(obj, "params", None), dict) else vars(obj)
    return {k: v for k, v in held.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"}


def _set(obj, names, k, v):
    if names[2] == "dict":
        obj.params[k] = v
    else:
        setattr(obj, k, v)


def _backward(obj, names, g):
    return getattr(obj, names[1])(g, LR) if names[2] == "lr" else getattr(obj, names[1])(g)


def _param_label(names, k):
    return f"params[{k!r}]" if names[2] == "dict" else k


def _dense(params):
    """``(weight name, bias name or None, "column" | "row")`` for a layer holding a 2-D weight of the
    sizes it was built with, else None."""
    for k, w in params.items():
        if w.ndim == 2 and w.shape in ((H, D), (D, H)):
            layout = "column" if w.shape == (H, D) else "row"
            bias = next((b for b, v in params.items() if b != k and v.size == H), None)
            return k, bias, layout
    return None


def _inputs(kind, obj, params):
    """The input shapes to try, in order: the one the layer's weights say, else a column, a row, a batch."""
    dense = _dense(params)
    if dense:
        return [(D, 1)] if dense[2] == "column" else [(1, D), (N, D)]
    if getattr(obj, "input_shape", None) is not None:
        try:
            return [tuple(int(n) for n in obj.input_shape)]
        except TypeError:
            pass
    if any(v.ndim == 3 for v in params.values()):          # filters (F, k, k) on a 2-D image
        return [(8, 7)]
    return [(5, 1), (1, 5), (3, 4)]


def _run(obj, names, x, g=None):
    out = getattr(obj, names[0])(x)
    if g is None:
        return out
    return out, _backward(obj, names, g)


def _pick(kind, make, names, shapes, seed, rng):
    """The first input shape its forward and backward both take (for a softmax: whose output is one)."""
    first, why = None, None
    for shape in shapes:
        obj = _build(make, seed)
        x = rng.standard_normal(shape)
        try:
            out = np.asarray(_run(obj, names, x.copy()))
            _run(_build(make, seed), names, x.copy(), np.ones_like(out))
        except Exception as e:                      # noqa: BLE001 -- the user's code refusing this layout
            why = why or e
            continue
        if kind != "softmax" or np.isclose(out.sum(), 1.0):
            return shape
        first = first or shape
    if first is None and why is not None:
        raise why
    return first or shapes[0]


def _check_one(c, kind, make, names, rng, seed, size, sparse=False, batch=False):
    obj = _build(make, seed)
    shape = (N, D) if batch else _pick(kind, make, names, _inputs(kind, obj, _params(obj, names)), seed, rng)
    c.meta["shape"] = shape
    z = rng.standard_normal(shape)
    x = z if size == 1.0 else np.sign(z) * (size + 30.0 * np.abs(z))
    obj = _build(make, seed)
    before = {k: v.copy() for k, v in _params(obj, names).items()}
    x_in = x.copy()
    out = _run(obj, names, x_in)
    c.unchanged("its input", x, x_in)
    if not isinstance(out, np.ndarray):
        c.fail("forward", f"{names[0]} returned {type(out).__name__}, not an array")
        return
    out = out.copy()
    g = rng.standard_normal(out.shape)
    if sparse:                                      # d(-log p[label]) / dp
        g = np.zeros(out.shape)
        label = np.unravel_index(int(rng.integers(out.size)), out.shape)
        g[label] = -1.0 / out[label]
    g_in = g.copy()
    dx = _backward(obj, names, g_in)
    c.unchanged("the output gradient", g, g_in)
    if names[2] == "lr":                            # the update at learning rate 1 is the gradient
        after = {k: np.array(getattr(obj, k, None), dtype=np.float64, copy=True) for k in before}
        grads = {k: (before[k] - after[k]) / LR if after[k].shape == before[k].shape else after[k] for k in before}
    else:
        held = getattr(obj, "grads", None)
        after = {k: np.array(_params(obj, names).get(k), dtype=np.float64, copy=True) for k in before}
        grads = {k: (held.get(k) if isinstance(held, dict) else None) for k in before}
    ref = _reference(kind, before, x, g, out.shape)
    then = None
    if ref is not None and _dense(before) and not _close(out, ref[0]):
        # Dense(..., activation="relu"): the dense layer and the activation it applies after it
        then = next((a for a in ("relu", "sigmoid", "tanh", "softmax") if a != kind
                     and _close(out, _reference(a, before, x, g, out.shape)[0])), None)
        ref = _reference(then, before, x, g, out.shape) if then else ref
    if ref is not None:
        c.add("forward", out, ref[0])
        if then:
            c.results[-1].reference = f"torch (a dense layer, then {then})"
        if dx is not None:
            c.add("grad_input", dx, ref[1])
        for k in before:
            if k in ref[2]:
                c.add(f"grad_param:{_param_label(names, k)}", grads[k], ref[2][k])
                _explain_scale(c.results[-1], grads[k], ref[2][k], names)
    # the third oracle: finite differences of its own forward, the weights as they were
    for k, v in before.items():
        _set(obj, names, k, v.copy())
    if dx is not None:
        c.add("fd:grad_input", dx, _fd(lambda xx: _run(obj, names, xx), x, g))
    for k, v in before.items():
        def f(p, k=k):
            _set(obj, names, k, p)
            return _run(obj, names, x.copy())
        c.add(f"fd:{_param_label(names, k)}", grads[k], _fd(f, v, g))
        _set(obj, names, k, v.copy())
        if names[2] == "lr" and not c.results[-1].passed and np.array_equal(before[k], after[k]):
            c.results[-1].note = (c.results[-1].note + "; " if c.results[-1].note else "") + \
                f"{names[1]}(output_gradient, learning_rate=1.0) left {k} unchanged"
    if dx is None and c.results:
        c.results[-1].note = c.results[-1].note or \
            f"{names[1]} returned no input gradient (a first layer's): only its weights' gradients are checked"
    _explain_stale(c, obj, names, x, g, dx, before, after)


def _close(got, want):
    got, want = np.asarray(got), np.asarray(want)
    return got.shape == want.shape and np.allclose(got, want, rtol=1e-9, atol=1e-12 * (np.abs(want).max() + 1e-300))


def _explain_scale(result, got, want, names):
    """An update (a gradient) that is a constant times torch's (a learning rate of its own, a missing 1/N)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if result.passed or got.shape != want.shape or not np.any(want):
        return
    ratio = float(np.sum(got * want) / np.sum(want * want))
    if ratio and np.allclose(got, ratio * want, rtol=1e-6, atol=1e-9 * np.abs(want).max()):
        result.note = (result.note + "; " if result.note else "") + (
            f"its update at learning_rate=1.0 is {ratio:.6g} times the gradient: is the learning rate used as "
            "given, and the gradient scaled right?" if names[2] == "lr" else f"it is {ratio:.6g} times torch's")


def _explain_stale(c, obj, names, x, g, dx, before, after):
    """An input gradient that is wrong for the weights before the update but right for those after
    it: the backward updated them first."""
    bad = [r for r in c.results if r.check in ("grad_input", "fd:grad_input") and not r.passed]
    if not bad or dx is None or not any(np.any(before[k] != after[k]) for k in before):
        return
    for k, v in after.items():
        _set(obj, names, k, v.copy())
    try:
        stale = _fd(lambda xx: _run(obj, names, xx), x, g)
    finally:
        for k, v in before.items():
            _set(obj, names, k, v.copy())
    if np.shape(dx) == stale.shape and np.allclose(dx, stale, rtol=1e-5, atol=1e-7):
        for r in bad:
            r.note = (r.note + "; " if r.note else "") + (
                "it is the input gradient of the weights after the update: the backward updates the weights "
                "before it uses them (compute the input gradient first)")


def _fd(f, p, g):
    """d sum(g * f(p)) / dp by central differences."""
    p = np.array(p, dtype=np.float64, copy=True)
    grad = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        old = p[idx]
        p[idx] = old + FD_STEP
        up = float(np.sum(g * np.asarray(f(p.copy()))))
        p[idx] = old - FD_STEP
        down = float(np.sum(g * np.asarray(f(p.copy()))))
        p[idx] = old
        grad[idx] = (up - down) / (2 * FD_STEP)
    return grad


def _reference(kind, params, x, g, out_shape):
    """``(out, dx, {param: grad})`` from torch, or None where torch has no name for the layer."""
    xt = torch.tensor(x, requires_grad=True)
    pt = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    dense = _dense(params)
    if dense:
        w, b, layout = dense
        if layout == "column":
            out = pt[w] @ xt + (pt[b].reshape(H, 1) if b else 0.0)
        else:             # rows; a Softmax(input_len, nodes) flattening its input first (Victor Zhou's)
            out = xt.reshape(-1, D) @ pt[w] + (pt[b].reshape(-1) if b else 0.0)
        if kind == "softmax":
            out = torch.softmax(out.reshape(-1), 0).reshape(out.shape)
        elif kind in ("tanh", "sigmoid", "relu"):
            out = getattr(torch, kind)(out)
    elif kind in ("tanh", "sigmoid", "relu") and not params:
        out = getattr(torch, kind)(xt)
    elif kind == "identity" and not params:
        out = xt * 1.0
    elif kind == "softmax" and not params:
        out = torch.softmax(xt.reshape(-1), 0).reshape(xt.shape)
    elif kind == "reshape" and not params:
        out = xt.reshape(out_shape)
    elif kind == "conv" and (kernels := _conv_params(params, x)):
        k, b, flat = kernels
        if flat:          # Victor Zhou's Conv3x3: filters (F, k, k) on (h, w), out (h', w', F), no bias
            out = F.conv2d(xt[None, None], pt[k][:, None])[0].permute(1, 2, 0)
        else:             # kernels (F, C, k, k), biases (F, h', w') (The Independent Code) or (F,) or (F, 1)
            out = F.conv2d(xt[None], pt[k])[0]
            if b is not None:
                out = out + (pt[b] if pt[b].dim() == 3 else pt[b].reshape(-1, 1, 1))
    else:
        return None
    if tuple(out.shape) != tuple(out_shape):
        out = out.reshape(out_shape) if out.numel() == int(np.prod(out_shape)) else out
    (out * torch.from_numpy(g.reshape(out.shape) if g.size == out.numel() else np.zeros(tuple(out.shape)))).sum() \
        .backward()
    return out.detach().numpy(), xt.grad.numpy(), {k: t.grad.numpy() for k, t in pt.items() if t.grad is not None}


def _conv_params(params, x):
    """``(kernel name, bias name or None, flat)`` for the convolutions torch is asked to redo."""
    for k, w in params.items():
        if w.ndim == 4 and x.ndim == 3 and w.shape[1] == x.shape[0]:
            oh, ow = x.shape[1] - w.shape[2] + 1, x.shape[2] - w.shape[3] + 1
            bias = next((b for b, v in params.items() if b != k and v.shape in ((w.shape[0], oh, ow), (w.shape[0],),
                                                                                (w.shape[0], 1))), None)
            return k, bias, False
        if w.ndim == 3 and x.ndim == 2 and len(params) == 1:
            return k, None, True
    return None
