"""Functions that have a forward and no backward, as Dive into Deep Learning's from-scratch chapters
write them (``softmax(X)``, ``cross_entropy(y_hat, y)``, ``corr2d(X, K)``, ``pool2d(X, pool_size,
mode)``, ``dropout_layer(X, dropout)``...), "Deep Learning from Scratch"'s ``common/functions.py``
and the Deep Learning Specialization's ``compute_cost(AL, Y)``, ``zero_pad``, ``conv_single_step``:
``parity scan`` checks their output against torch's on each sample, float64 and float32 (the
dtype kept, the inputs unchanged). One entry per function: its samples and torch's result."""
import inspect
import re

import numpy as np
import torch
import torch.nn.functional as F

from .api import _Checks
from .compare import add_note, cast_back, compare, constant_ratio, is_none
from .report import Report
from .samples import seed_for
from .tolerance import tolerance_for


def _randn(*shape):
    return lambda rng: rng.standard_normal(shape)


def _probs(n, c):
    def draw(rng):
        e = np.exp(rng.standard_normal((n, c)))
        return e / e.sum(axis=1, keepdims=True)
    return draw


def _away(*shape):
    """Standard normal moved away from 0 (|x| >= 0.5): a dropped element cannot pass for a kept 0."""
    def draw(rng):
        z = rng.standard_normal(shape)
        return np.sign(z) * (0.5 + np.abs(z))
    return draw


def _huge(*shape):
    """Both signs, |x| near 800: past where exp overflows (709 in float64, 88 in float32)."""
    def draw(rng):
        z = rng.standard_normal(shape)
        return np.sign(z) * (800.0 + 30.0 * np.abs(z))
    return draw


def _open_unit(*shape):
    """Probabilities in (0.05, 0.95): a sigmoid's output, away from the log's poles."""
    return lambda rng: 0.05 + 0.9 * rng.random(shape)


def _bits(*shape):
    """Labels 0.0 and 1.0, in the input's float dtype (as the course's Y are compared)."""
    return lambda rng: (rng.random(shape) < 0.5).astype(np.float64)


def _labels(n, c):
    return lambda rng: rng.integers(0, c, n)


def _t(a):
    return torch.from_numpy(np.asarray(a))


def _derivative(fn, z):
    """The elementwise derivative of ``fn`` at ``z``, by autograd."""
    return _grad_of(lambda t: fn(t).sum(), z)


def _grad_of(fn, p):
    """The gradient of the scalar ``fn`` at ``p``, by autograd."""
    t = _t(p).clone().requires_grad_(True)
    fn(t).backward()
    return t.grad


def _distribution(*shape):
    """One sample's probabilities, a column (C, 1) or a row (1, C), summing to 1."""
    def draw(rng):
        e = np.exp(rng.standard_normal(shape))
        return e / e.sum()
    return draw


def _one_hot(*shape):
    """One sample's one-hot labels, a column (C, 1) or a row (1, C)."""
    def draw(rng):
        out = np.zeros(shape)
        out.flat[rng.integers(0, out.size)] = 1.0
        return out
    return draw


def _guarded(p, eps):
    """``p`` as a loss's log sees it: itself, or under the ``softmax_eps`` convention ``p + eps`` (a
    number) or ``clip(p, 1e-7, 1 - 1e-7)``."""
    if eps is None:
        return p
    return p.clamp(1e-7, 1 - 1e-7) if eps == "clip" else p + float(eps)


def _categorical(y_true, y_pred, eps=None):
    """Torch's cross-entropy of one sample given as probabilities: -log y_pred at its label."""
    p = y_pred if torch.is_tensor(y_pred) else _t(y_pred)
    return F.nll_loss(torch.log(_guarded(p.reshape(1, -1), eps)), _t(np.argmax(y_true)).reshape(1))


def _softmax(X):
    return torch.softmax(_t(X), dim=-1)


def _cross_entropy(y_hat, y, eps=None):
    """The per-sample -log y_hat[y] (d2l returns the vector; a scalar return is compared with its mean)."""
    return F.nll_loss(torch.log(_guarded(_t(y_hat), eps)), _t(y).long(), reduction="none")


def _cross_entropy_error(y, t, eps=None):
    """"Deep Learning from Scratch"'s ``cross_entropy_error(y, t)``: the batch mean of -log y at the label,
    ``t`` the labels or one-hot rows (the book's also takes one sample as a vector: not every user's does,
    so no sample is one); with the ``softmax_eps`` convention the book's
    ``-log(y + 1e-7)`` (or ``clip``)."""
    p = _t(y).reshape(1, -1) if np.ndim(y) == 1 else _t(y)
    t = np.asarray(t)
    t = t.reshape(p.shape).argmax(axis=1) if t.size == p.numel() else t.reshape(-1)
    return -torch.log(_guarded(p[torch.arange(len(p)), _t(t).long()], eps)).mean()


def _one_hot_rows(n, c):
    def draw(rng):
        return np.eye(c)[rng.integers(0, c, n)]
    return draw


def _squared_loss(y_hat, y):
    yh = _t(y_hat)
    return (yh - _t(y).reshape(yh.shape)) ** 2 / 2


def _conv(X, K):
    """d2l's corr2d family: (h, w) * (kh, kw), (c, h, w) * (c, kh, kw), (c, h, w) * (co, c, kh, kw)."""
    x, k = _t(X), _t(K)
    if k.dim() == 2:
        return F.conv2d(x[None, None], k[None, None])[0, 0]
    if k.dim() == 3:
        return F.conv2d(x[None], k[None])[0, 0]
    return F.conv2d(x[None], k)[0]


def _pool(X, pool_size, mode="max"):
    """d2l's pool2d: stride 1, no padding, on a 2-D X."""
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool(_t(X)[None, None], tuple(pool_size), stride=1)[0, 0]


# name -> [(sample name, {argument: value or draw(rng)}, reference(**arguments))]
FUNCTIONS = {
    "softmax": [("random (4,5)", {"X": _randn(4, 5)}, _softmax),
                ("logits near 800 (3,6): exp overflows unless the row max is subtracted",
                 {"X": lambda rng: 800.0 + 30.0 * rng.standard_normal((3, 6))}, _softmax)],
    "relu": [("random (5,7)", {"X": _randn(5, 7)}, lambda X: torch.relu(_t(X))),
             ("exact zeros (4,6)", {"X": lambda rng: np.where(rng.random((4, 6)) < 0.3, 0.0,
                                                               rng.standard_normal((4, 6)))},
              lambda X: torch.relu(_t(X)))],
    "sigmoid": [("random (5,7)", {"X": _randn(5, 7)}, lambda X: torch.sigmoid(_t(X))),
                # exp(x) / (1 + exp(x)) is inf / inf = nan past 709; 1 / (1 + exp(-x)) stays right both ways
                ("|x| near 800, both signs (4,5): exp overflows one way", {"X": _huge(4, 5)},
                 lambda X: torch.sigmoid(_t(X)))],
    # Nielsen's "Neural Networks and Deep Learning": the sigmoid's derivative, against autograd's
    "sigmoid_prime": [("random (5,7)", {"z": _randn(5, 7)}, lambda z: _derivative(torch.sigmoid, z)),
                      ("|z| near 800, both signs (4,5)", {"z": _huge(4, 5)}, lambda z: _derivative(torch.sigmoid, z))],
    # the tutorials whose layers' backward takes a learning rate (lr_backward.py): an activation and its
    # derivative, a loss f(y_true, y_pred) and its derivative in y_pred (the arguments matched by name when
    # they say which is which: y_pred, y_hat, output..., else taken in this order)
    "tanh": [("random (5,7)", {"x": _randn(5, 7)}, lambda x: torch.tanh(_t(x))),
             ("|x| near 800, both signs (4,5)", {"x": _huge(4, 5)}, lambda x: torch.tanh(_t(x)))],
    "tanh_prime": [("random (5,7)", {"x": _randn(5, 7)}, lambda x: _derivative(torch.tanh, x))],
    "relu_prime": [("random (5,7)", {"x": _randn(5, 7)}, lambda x: _derivative(torch.relu, x))],
    # a column and a row: a derivative dividing by the rows instead of the size fails on the row
    "mse": [(f"y_true {n}, y_pred {n}", {"y_true": _randn(*n), "y_pred": _randn(*n)},
             lambda y_true, y_pred: F.mse_loss(_t(y_pred), _t(y_true))) for n in ((4, 1), (1, 5))],
    "mse_prime": [(f"y_true {n}, y_pred {n}", {"y_true": _randn(*n), "y_pred": _randn(*n)},
                   lambda y_true, y_pred: _grad_of(lambda p: F.mse_loss(p, _t(y_true)), y_pred))
                  for n in ((4, 1), (1, 5))],
    "binary_cross_entropy": [(f"y_true {n} of 0 and 1, y_pred {n} in (0.05, 0.95)",
                              {"y_true": _bits(*n), "y_pred": _open_unit(*n)},
                              lambda y_true, y_pred: F.binary_cross_entropy(_t(y_pred), _t(y_true)))
                             for n in ((5, 1), (1, 6))],
    "binary_cross_entropy_prime": [(f"y_true {n} of 0 and 1, y_pred {n} in (0.05, 0.95)",
                                    {"y_true": _bits(*n), "y_pred": _open_unit(*n)},
                                    lambda y_true, y_pred: _grad_of(lambda p: F.binary_cross_entropy(p, _t(y_true)),
                                                                    y_pred))
                                   for n in ((5, 1), (1, 6))],
    # aeronet's (the Independent Code's) categorical_cross_entropy(y_true, y_pred): one sample at a time, a
    # column or a row, -sum(y_true * log(y_pred)): torch's cross-entropy of that one sample
    "categorical_cross_entropy": [(f"y_true {n} one-hot, y_pred {n} probabilities",
                                   {"y_true": _one_hot(*n), "y_pred": _distribution(*n)}, _categorical)
                                  for n in ((5, 1), (1, 6))],
    "categorical_cross_entropy_prime": [(f"y_true {n} one-hot, y_pred {n} probabilities",
                                         {"y_true": _one_hot(*n), "y_pred": _distribution(*n)},
                                         lambda y_true, y_pred: _grad_of(lambda p: _categorical(y_true, p), y_pred))
                                        for n in ((5, 1), (1, 6))],
    "cross_entropy": [("probabilities (6,4), labels", {"y_hat": _probs(6, 4), "y": _labels(6, 4)}, _cross_entropy)],
    # Keras's spellings, a batch of rows: each row's -sum(y_true * log(y_pred)) (a scalar return: their mean)
    "categorical_crossentropy": [("y_true (6,4) one-hot, y_pred (6,4) probabilities",
                                  {"y_true": _one_hot_rows(6, 4), "y_pred": _probs(6, 4)},
                                  lambda y_true, y_pred, eps=None: _cross_entropy(y_pred, np.argmax(y_true, axis=1),
                                                                                  eps))],
    "sparse_categorical_crossentropy": [("y_true (6,) labels, y_pred (6,4) probabilities",
                                         {"y_true": _labels(6, 4), "y_pred": _probs(6, 4)},
                                         lambda y_true, y_pred, eps=None: _cross_entropy(y_pred, y_true, eps))],
    # "Deep Learning from Scratch"'s common/functions.py: y the network's probabilities, t the labels
    "cross_entropy_error": [("probabilities (6,4), labels (6,)", {"y": _probs(6, 4), "t": _labels(6, 4)},
                             _cross_entropy_error),
                            ("probabilities (6,4), one-hot (6,4)", {"y": _probs(6, 4), "t": _one_hot_rows(6, 4)},
                             _cross_entropy_error)],
    "sum_squared_error": [(f"y {n}, t {n}", {"y": _randn(*n), "t": _randn(*n)},
                           lambda y, t: F.mse_loss(_t(y), _t(t), reduction="sum") / 2) for n in ((10,), (4, 3))],
    "squared_loss": [("y_hat (6,1), y (6,)", {"y_hat": _randn(6, 1), "y": _randn(6)}, _squared_loss)],
    "linreg": [("X (6,3) w (3,1) b (1,)", {"X": _randn(6, 3), "w": _randn(3, 1), "b": _randn(1)},
                lambda X, w, b: _t(X) @ _t(w) + _t(b))],
    "corr2d": [("X (5,6) K (2,3)", {"X": _randn(5, 6), "K": _randn(2, 3)}, _conv)],
    "corr2d_multi_in": [("X (3,5,6) K (3,2,2)", {"X": _randn(3, 5, 6), "K": _randn(3, 2, 2)}, _conv)],
    "corr2d_multi_in_out": [("X (3,5,6) K (4,3,2,3)", {"X": _randn(3, 5, 6), "K": _randn(4, 3, 2, 3)}, _conv)],
    "corr2d_multi_in_out_1x1": [("X (3,5,6) K (4,3,1,1)", {"X": _randn(3, 5, 6), "K": _randn(4, 3, 1, 1)}, _conv)],
    "pool2d": [("X (5,6) 2x3 max", {"X": _randn(5, 6), "pool_size": (2, 3), "mode": "max"}, _pool),
               ("X (5,6) 2x3 avg", {"X": _randn(5, 6), "pool_size": (2, 3), "mode": "avg"}, _pool)],
    "dropout_layer": [(f"X (40,50) dropout={p}", {"X": _away(40, 50), "dropout": p}, None) for p in (0.0, 0.3, 1.0)],
    # the Deep Learning Specialization's (coursera.py has its pairs and update rules)
    "compute_cost": [("AL (1,8), Y (1,8) of 0 and 1", {"AL": _open_unit(1, 8), "Y": _bits(1, 8)},
                      lambda AL, Y: F.binary_cross_entropy(_t(AL), _t(Y)))],
    # Piotr Skalski's "Let's code a Neural Network in plain NumPy": the same cost, by another name
    "get_cost_value": [("Y_hat (1,8), Y (1,8) of 0 and 1", {"Y_hat": _open_unit(1, 8), "Y": _bits(1, 8)},
                        lambda Y_hat, Y: F.binary_cross_entropy(_t(Y_hat), _t(Y)))],
    "zero_pad": [("X (2,3,4,2) pad 2", {"X": _randn(2, 3, 4, 2), "pad": 2},
                  lambda X, pad: F.pad(_t(X), (0, 0, pad, pad, pad, pad)))],
    "conv_single_step": [("a_slice_prev (3,3,4) W (3,3,4) b (1,1,1)",
                          {"a_slice_prev": _randn(3, 3, 4), "W": _randn(3, 3, 4), "b": _randn(1, 1, 1)},
                          lambda a_slice_prev, W, b: (_t(a_slice_prev) * _t(W)).sum() + _t(b).reshape(()))],
}
# the course's rnn_utils.softmax: over axis 0, its samples being columns (coursera.recognise says when)
FUNCTIONS["softmax_columns"] = [(sample, args, lambda X: torch.softmax(_t(X), dim=0))
                                for sample, args, _ in FUNCTIONS["softmax"]]
# under --style lr-backward too: the activations and losses with their derivatives that style's layers use
LR_BACKWARD = {"tanh", "tanh_prime", "sigmoid", "sigmoid_prime", "relu", "relu_prime", "softmax", "mse", "mse_prime",
               "binary_cross_entropy", "binary_cross_entropy_prime", "categorical_cross_entropy",
               "categorical_cross_entropy_prime", "sigmoid_derivative", "tanh_derivative", "relu_derivative"}
# other names of an entry: Andrew Ng's Machine Learning course (sigmoidGradient), the long names of the
# Independent Code's losses (aeronet's mean_squared_error), Keras's binary_crossentropy, and _derivative
# for _prime (Keras's categorical_crossentropy is an entry of its own: it takes a batch of rows, the
# Independent Code's categorical_cross_entropy one sample, a column or a row)
SAME_AS = {"sigmoidGradient": "sigmoid_prime",
           **{f"{long}{end}": f"{short}{'_prime' if end else ''}"
              for long, short in (("mean_squared_error", "mse"), ("mse", "mse"),
                                  ("categorical_cross_entropy", "categorical_cross_entropy"),
                                  ("binary_cross_entropy", "binary_cross_entropy"),
                                  ("binary_crossentropy", "binary_cross_entropy"))
              for end in ("", "_prime", "_derivative")}}
for _k in [k for k in SAME_AS if k in FUNCTIONS]:
    del SAME_AS[_k]                                 # the entry's own name
# iamtrask's nonlin(x, deriv=False): the activation its output shows
NONLIN = {"nonlin": ("sigmoid", "tanh", "relu")}
# a derivative of its own under a blog's or a book's name: sigmoid_derivative, sigmoidDerivative, d_tanh,
# dsigmoid, deriv_relu, sigmoid_grad ("Deep Learning from Scratch"), relu2deriv ("Grokking Deep Learning").
# Its name does not say whether it takes z or the activation's output (x * (1 - x)): either passes, and the
# verdict says which (_prime is Nielsen's and the Independent Code's, called with z: checked at z only)
_ACTS, _AFTER, _BEFORE = "sigmoid|tanh|relu", r"(?:_?(?:derivative|deriv|der|grad|gradient|diff)|2deriv)", \
    r"(?:d_?|der_|deriv_|derivative_(?:of_)?)"
DERIVATIVE_NAME = re.compile(rf"(?i)(?P<a>{_ACTS}){_AFTER}|{_BEFORE}(?P<b>{_ACTS})")
DERIVATIVE_DEF = rf"(?i:(?:{_ACTS}){_AFTER}|{_BEFORE}(?:{_ACTS}))"     # for the scan's look at a file
EITHER_FORM = {f"{a}_derivative": f"{a}_prime" for a in ("sigmoid", "tanh", "relu")}
# under --style coursera too: the course's own, and its utils' elementwise helpers (reg_utils.relu(x))
COURSERA = {"compute_cost", "get_cost_value", "zero_pad", "conv_single_step", "relu", "sigmoid"}
# d2l's from-scratch functions scan names but does not check: what it checks instead
_STATEFUL = "d2l's {}({}) keeps its state in what it returns: not checked by parity scan ({})"
UNCHECKED = {
    "batch_norm": _STATEFUL.format("batch_norm", "X, gamma, beta, moving_mean, moving_var, eps, momentum",
                                   "cs231n's batchnorm_forward/backward and the book's BatchNormalization are"),
    "layer_norm": "d2l's layer_norm: not checked by parity scan (cs231n's layernorm_forward/backward is)",
    "rnn": _STATEFUL.format("rnn", "inputs, state, params", "cs231n's rnn_forward/backward is"),
    "gru": _STATEFUL.format("gru", "inputs, state, params", "no classic style's GRU is"),
    "lstm": _STATEFUL.format("lstm", "inputs, state, params", "cs231n's lstm_forward/backward is"),
}
# an argument a function may leave out, when the sample's value is its usual default (pool2d(X, pool_size))
OPTIONAL = {"mode": "max"}


def entry(name, fn):
    """The entry ``fn`` named ``name`` is checked as: its own name, another name of it (``SAME_AS``), an
    activation's derivative of either form (``EITHER_FORM``: ``sigmoid_derivative``, ``relu2deriv``...), or
    for ``nonlin`` the activation its output is (sigmoid, iamtrask's, when it is none of them); else None."""
    if name in FUNCTIONS:
        return name
    if name in SAME_AS:
        return SAME_AS[name]
    if m := DERIVATIVE_NAME.fullmatch(name):
        return f"{(m['a'] or m['b']).lower()}_derivative"
    if name not in NONLIN:
        return None
    x = np.linspace(-3.0, 3.0, 13)
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(x), dtype=np.float64)
    except Exception:  # noqa: BLE001 -- the user's code; its check says what it raises
        return NONLIN[name][0]
    for kind in NONLIN[name]:
        want = FUNCTIONS[kind][0][2](x).numpy()
        if out.shape == x.shape and np.allclose(out, want, rtol=1e-6, atol=1e-9):
            return kind
    return NONLIN[name][0]


# a derivative flag beside the input: sigmoid(x, derivative=False), iamtrask's nonlin(x, deriv=False)
FLAG = re.compile(r"(?i)^(?:is_|get_|return_|calc_|compute_)?(?:d|der|deriv|derivative|derivate|derive|prime|grad|"
                  r"gradient|backward|back|diff)$")


def derivative_flag(name, fn):
    """The name of ``fn``'s derivative flag (an argument after the first, False by default, named
    ``derivative``, ``deriv``, ``prime``...) when ``name`` is an activation whose derivative scan knows,
    else None."""
    if f"{name}_prime" not in FUNCTIONS:
        return None
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    return next((p.name for p in params if p.default is False and FLAG.match(p.name)
                 and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)), None)


def arguments(fn):
    """The names ``fn`` takes: the entry's names by position (d2l's ``X``, a user's ``x``)."""
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def on_tensors(fn):
    """Whether ``fn`` is written for torch tensors, not NumPy arrays (d2l's PyTorch edition): it calls
    ``torch.*``, or its module imports torch and not NumPy."""
    import types
    g = getattr(fn, "__globals__", {})

    def mods(names):
        return {getattr(g.get(n), "__name__", "").split(".")[0] for n in names
                if isinstance(g.get(n), types.ModuleType)}
    own = mods(fn.__code__.co_names)
    every = mods(g)
    return "torch" in own and "numpy" not in own or ("torch" in every and "numpy" not in every)


# what an argument's name says it is, for the entries whose arguments are y_true and y_pred
ALIASES = {"y_true": {"y_true", "y", "target", "targets", "actual", "label", "labels", "truth", "expected", "y_real",
                      "ytrue", "true", "y_target", "desired", "t"},
           "y_pred": {"y_pred", "y_hat", "yhat", "pred", "preds", "prediction", "predictions", "predicted", "output",
                      "outputs", "out", "ypred", "a", "activation", "y_predicted", "p", "probs"}}


def order(name, fn):
    """The entry's argument names in the order ``fn`` takes them: by name where its names say which is
    which (``mse(y_pred, y_true)``, ``mse(predicted, actual)``), else the entry's own order."""
    keys = list(FUNCTIONS[name][0][1])
    try:
        mine = [a.lower() for a in arguments(fn)][:len(keys)]
    except (TypeError, ValueError):
        return keys
    if not set(keys) <= set(ALIASES) or len(mine) != len(keys):
        return keys
    found = [next((k for k in keys if m in ALIASES[k]), None) for m in mine]
    return found if sorted(found, key=str) == sorted(keys) else keys


def order_of_truth(fn):
    """Whether ``fn``'s first two arguments are named (truth, prediction): ``(y_true, y_pred)``."""
    try:
        mine = [a.lower() for a in arguments(fn)][:2]
    except (TypeError, ValueError):
        return False
    return len(mine) == 2 and mine[0] in ALIASES["y_true"] - {"y"} and mine[1] in ALIASES["y_pred"]


def takes(name, fn):
    """Whether ``fn`` can be called as the entry ``name`` is: at least its drawn arguments, by position."""
    name = EITHER_FORM.get(name, name)
    if name not in FUNCTIONS:
        return False
    keys = list(FUNCTIONS[name][0][1])
    if keys == ["y_hat", "y"] and order_of_truth(fn):
        return False                                # cross_entropy(y_true, y_pred): another function than d2l's
    needed = [k for k in FUNCTIONS[name][0][1] if k not in OPTIONAL]
    try:
        params = arguments(fn)
        required = [p for p in inspect.signature(fn).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    # at least the drawn arguments, and no more required than those (the course's older
    # compute_cost(A2, Y, parameters) is another function)
    return len(params) >= len(needed) and len(required) <= len(FUNCTIONS[name][0][1])


def check(fn, name, dtypes=("float64", "float32"), conventions=None, seed=0, label=None):
    """A ``Report``: ``fn``'s output against torch on each of the entry's samples, float64 and
    float32; its dtype kept (``dtype=promotes`` accepts float64 for float32 input, cast back), its
    inputs unchanged."""
    cv = conventions or {}
    report = Report()
    if name in EITHER_FORM:                         # sigmoid_derivative(x): at x, or of the output
        return _derivatives(fn, name.split("_")[0], None, dtypes, cv, seed, label or name)
    arity = len(arguments(fn))
    for sample, spec, reference in FUNCTIONS[name]:
        left_out = list(spec)[arity:]
        if any(OPTIONAL.get(k, KeyError) != spec[k] for k in left_out):
            continue                                # pool2d(X, pool_size) pools max only: no avg sample
        for dtype in map(np.dtype, dtypes):
            s = seed_for(seed, name, sample)
            rng = np.random.default_rng(s)
            args = {k: (v(rng) if callable(v) else v) for k, v in spec.items()}
            args = {k: (v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v)
                    for k, v in args.items()}                   # labels stay integers
            c = _Checks(None, component=label or name, dtype=dtype.name, sample=sample,
                        shape=tuple(np.shape(next(iter(args.values())))), seed=s)
            _one(c, fn, name, [args[k] for k in order(name, fn)][:arity], args, reference, dtype, cv)
            report.extend(c.report())
    flag = derivative_flag(name, fn)
    if flag:                                        # its other branch: the derivative, at x or of the output
        report.extend(_derivatives(fn, name, flag, dtypes, cv, seed, label or name))
    return report


def _derivatives(fn, act, flag, dtypes, cv, seed, label):
    """A ``Report`` of ``fn`` as the derivative of the activation ``act`` on the samples of ``act``'s
    ``_prime`` entry: ``fn(x, flag=True)``, or ``fn(x)`` where ``flag`` is None (``sigmoid_derivative``)."""
    report = Report()
    for sample, spec, reference in FUNCTIONS[f"{act}_prime"]:
        for dtype in map(np.dtype, dtypes):
            s = seed_for(seed, f"{act}_prime", sample)
            x = next(iter(spec.values()))(np.random.default_rng(s)).astype(dtype)
            c = _Checks(None, component=label, dtype=dtype.name, sample=sample, shape=x.shape, seed=s)
            _derivative_branch(c, fn, act, flag, x, reference(x).numpy(), dtype, cv, label=label)
            report.extend(c.report())
    return report


def _call(c, check, fn, x, dtype, cv, **flag):
    """``fn(x, **flag)`` as an array of ``dtype`` (cast back under ``dtype=promotes``), its input
    unchanged; None (a failure said) when it raises."""
    before = x.copy()
    try:
        out = fn(x, **flag)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 -- the user's function
        c.crashed(exc)
        return None
    if cv.get("dtype") == "promotes" and isinstance(out, np.ndarray) and out.dtype != dtype:
        out = cast_back(out, dtype)
    c.unchanged("the argument x", before, x)
    return out


def _derivative_branch(c, fn, name, flag, x, want, dtype, cv, label=None):
    """``fn(x, flag=True)`` (``fn(x)`` when ``flag`` is None: ``sigmoid_derivative``, named ``label``)
    against torch's derivative of the activation ``name`` at ``x``; for a sigmoid or a tanh, whose
    derivative is a function of its output, also ``fn(fn(x), flag=True)``, as iamtrask calls
    ``nonlin(l1, deriv=True)`` (``x * (1 - x)`` of the sigmoid's output): either passes, and the verdict
    says which it is."""
    check, flags = (f"{flag}=True", {flag: True}) if flag else ("forward", {})
    call = f"{name}(x, {flag}=True)" if flag else f"{label}(x)"
    said = f"{flag}=True" if flag else label
    out = _call(c, check, fn, x, dtype, cv, **flags)
    if out is None:
        return
    c.add(check, out, want)
    if c.results[-1].passed:
        c.results[-1].extra["says"] = f"{said}: the derivative at its input x"
    elif f"{name}_prime" in OF_OUTPUT:
        failed = c.results.pop()
        y = FUNCTIONS[name][0][2](x).numpy().astype(dtype)           # torch's sigmoid(x) or tanh(x)
        of_output = _call(c, check, fn, y, dtype, cv, **flags)
        if of_output is not None:
            c.add(check, of_output, want)
            if c.results[-1].passed:
                c.results[-1].extra["says"] = f"{said}: the derivative written for the output, right when called " + (
                    f"with {name}(x), as iamtrask calls nonlin(l1, deriv=True)" if flag else f"with {name}(x), not x")
                return
            c.results.pop()
        add_note(failed, f"{call} is neither {name}'s derivative at x nor, called with "
                         f"{name}(x), the derivative written for the output ({OF_OUTPUT[f'{name}_prime'][0]})")
        c.results.append(failed)
    else:
        add_note(c.results[-1], f"{call} is not {name}'s derivative at x")
    if not isinstance(out, (float, int)):
        c.dtype(check, out, dtype)


def _one(c, fn, name, positional, args, reference, dtype, cv):
    before = {k: np.array(v, copy=True) for k, v in args.items() if isinstance(v, np.ndarray)}
    state = np.random.get_state()
    try:
        out = fn(*positional)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 -- the user's function
        c.crashed(exc)
        return
    finally:
        if name != "dropout_layer":
            np.random.set_state(state)
    out = out.detach().numpy() if torch.is_tensor(out) else out
    if cv.get("dtype") == "promotes" and isinstance(out, np.ndarray) and out.dtype != dtype:
        out = cast_back(out, dtype)
    if reference is None:                           # dropout: the mask is the user's, read from its output
        _dropout(c, out, args)
    else:
        eps = {"eps": cv["softmax_eps"]} if name in EPS and "softmax_eps" in cv else {}
        expected = reference(**args, **eps).numpy()
        expected = expected.mean() if name in PER_SAMPLE and np.ndim(out) == 0 else expected
        c.add("forward", out, expected)
        if name == "softmax" and not c.results[-1].passed:
            _softmax_axis(c.results[-1], out, positional[0])
        if name in OF_OUTPUT and not c.results[-1].passed:
            _of_output(c.results[-1], name, out, positional[0], c.meta["component"])
        if name in SCALED and not c.results[-1].passed:
            _scaled(c.results[-1], out, expected, SCALED[name])
        if name in EPS and not c.results[-1].passed and not eps:
            _guard_note(c, out, reference, args, name)
    if not isinstance(out, (float, int)):        # a Python number (float(np.squeeze(cost))) has no dtype to keep
        c.dtype("forward", out, dtype)
    for k, v in before.items():
        c.unchanged(f"the argument {k}", v, args[k])


# the losses whose reference is per sample: a function returning one number is compared with their mean
PER_SAMPLE = {"cross_entropy", "categorical_crossentropy", "sparse_categorical_crossentropy"}
# the losses of probabilities whose reference takes the softmax_eps convention (the book's -log(y + 1e-7));
# another epsilon in the log is named (bren's 1e-8)
EPS = {"cross_entropy_error", "cross_entropy", "categorical_cross_entropy", "categorical_crossentropy",
       "sparse_categorical_crossentropy"}
GUARDS = (1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-6, 1e-5)
# a derivative written in terms of the activation's output, right when given sigmoid(z), not z
OF_OUTPUT = {"sigmoid_prime": ("s * (1 - s)", lambda s: s * (1 - s)), "tanh_prime": ("1 - t**2", lambda t: 1 - t * t)}


def _of_output(result, name, out, x, label=None):
    """A derivative that is the activation's written in terms of its output (``x * (1 - x)``) is told so."""
    form, fn = OF_OUTPUT[name]
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        if np.shape(out) == x.shape and np.allclose(out, fn(x), rtol=1e-4, atol=1e-7):
            result.note = (result.note + "; " if result.note else "") + (
                f"it is {form} of its argument: the derivative written for the activation's output, right only "
                f"when given {name.split('_')[0]}(z); {label or name}(z) is checked as the derivative at z")


# the losses whose value or derivative is often written with another constant: what torch's is
SCALED = {"cross_entropy_error": "mean over the batch", "categorical_crossentropy": "mean over the batch",
          "sparse_categorical_crossentropy": "mean over the batch", "sum_squared_error": "half the sum of the squares",
          "mse": "mean of the squares", "mse_prime": "derivative of the mean of the squares",
          "binary_cross_entropy": "mean over the elements", "binary_cross_entropy_prime":
          "derivative of the mean over the elements"}


def _scaled(result, out, expected, what):
    """A loss (or its derivative) that is a constant times torch's: the sum, 0.5 * the sum..."""
    ratio = constant_ratio(out, expected, rtol=1e-4)
    if ratio is None:
        return
    # a sum, or half of one, is a whole number or half of one times the mean: the hint only for those
    hint = ratio > 0 and abs(2 * ratio - round(2 * ratio)) < 1e-6
    add_note(result, f"it is {ratio:.6g} times torch's, the {what}"
                     + (" (a sum, or half of one, where the mean is meant?)" if hint else ""))


def _guard_note(c, out, reference, args, name):
    """A cross-entropy off only by an epsilon inside its log, ``-log(p + 1e-8)``, is told which."""
    for e in GUARDS:
        want = reference(**args, eps=e).numpy()
        want = want.mean() if name in PER_SAMPLE and np.ndim(out) == 0 else want
        if compare(out, want, tolerance_for(c.meta["dtype"], "forward"), component="", check="").passed:
            add_note(c.results[-1], f"it is -log(p + {e:g}): an epsilon inside the log, which torch's has not"
                     + f" (declare softmax_eps={e:g} if intended)")
            return


def _softmax_axis(result, out, x):
    """A softmax that fails over rows but is one over every element, or over each column, is told so:
    right for one vector (Karpathy's min-char-rnn, (V, 1)) or samples as columns, not for rows (N, C)."""
    x = np.asarray(x, dtype=np.float64)
    for what, axis in (("every element at once", None), ("each column (axis 0)", 0)):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        if np.shape(out) == x.shape and np.allclose(out, e / e.sum(axis=axis, keepdims=True), rtol=1e-4, atol=1e-7):
            result.note = (result.note + "; " if result.note else "") + (
                f"it normalises over {what}: a softmax of one vector or of samples as columns; the samples here "
                "are rows (N, C), each normalised over its classes (axis=1, keepdims=True)")
            return


def _dropout(c, out, args):
    """d2l's dropout_layer(X, dropout): each element 0 or X / (1 - dropout); 0 keeps X, 1 drops all;
    the share dropped near ``dropout`` (2,000 elements: within 0.06, six standard deviations)."""
    x, p = args["X"], args["dropout"]
    if is_none(out) or np.shape(out) != x.shape:
        c.add("forward", out, x)                    # says None, or the shapes
        return
    kept = np.asarray(out) != 0
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    c.add("forward", out, np.where(kept, x.astype(np.float64) * scale, 0.0))
    c.results[-1].reference = "the mask read from its output, x / (1 - dropout)"
    dropped = 1.0 - kept.mean()
    if abs(dropped - p) > 0.06:
        c.fail("dropped_share", f"dropped {dropped:.1%} of the elements for dropout={p}")
