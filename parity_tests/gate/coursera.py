"""The Deep Learning Specialization's step-by-step functions (deeplearning.ai on Coursera, courses 1, 2,
4 and 5), in their own layout: samples are COLUMNS (``A`` is (n, m), ``W`` is (n, n_prev), ``b`` is
(n, 1)); images are (m, n_H, n_W, n_C) and filters (f, f, n_C_prev, n_C), ``b`` (1, 1, 1, n_C).

* ``Z, cache = linear_forward(A, W, b)``; ``dA_prev, dW, db = linear_backward(dZ, cache)``, whose
  ``dW`` and ``db`` carry the cost's 1/m (``dW = 1/m dZ A_prev.T``): they are compared as ``m * dW``
  with torch's gradient of ``sum(Z * dZ)``, and ``dA_prev`` as it is.
* ``linear_activation_forward(A_prev, W, b, activation)`` / ``linear_activation_backward(dA, cache,
  activation)``, once with "relu" and once with "sigmoid"; ``relu(Z)`` / ``relu_backward(dA, cache)``
  and ``sigmoid(Z)`` / ``sigmoid_backward(dA, cache)``.
* ``conv_forward(A_prev, W, b, hparameters)`` / ``conv_backward(dZ, cache)`` and ``pool_forward(A_prev,
  hparameters, mode)`` / ``pool_backward(dA, cache, mode)``, "max" and "average".
* ``grads, cost = propagate(w, b, X, Y)`` (logistic regression) and ``L_model_forward(X, parameters)`` /
  ``L_model_backward(AL, Y, caches)``, against torch's mean binary cross-entropy.
* course 2 week 1's L2 cost and backward, and its dropout forward and backward (the masks read from
  the cache).
* course 5's ``rnn_cell_forward``, ``rnn_forward``, ``lstm_cell_forward``, ``lstm_forward`` (their
  outputs, and the gradients their optional backwards return) and ``rnn_utils``' ``softmax`` over axis 0.
* the update rules ``update_parameters(parameters, grads, learning_rate)`` (and ``_with_gd``),
  ``update_parameters_with_momentum(parameters, grads, v, beta, learning_rate)`` (``v = beta*v +
  (1-beta)*dW``, from 0: ``EmaMomentum`` below) and ``update_parameters_with_adam(parameters, grads, v,
  s, t, learning_rate, beta1, beta2, epsilon)`` (``torch.optim.Adam``), 20 steps, state compared.
* course 2's set-up functions (float64 only, as the course runs them): the initialisers
  ``initialize_parameters_zeros/_random/_he(layers_dims)`` and course 1's ``initialize_parameters(n_x,
  n_h, n_y)`` and ``initialize_parameters_deep(layer_dims)`` (keys, shapes, b zeros, W's mean, std and
  KS distance against ``torch.nn.init``'s sample for that name), ``random_mini_batches(X, Y,
  mini_batch_size, seed)`` (the batch sizes of torch's ``DataLoader``, every example once with its
  label, shuffled, seeded) and ``update_lr`` / ``schedule_lr_decay`` (torch's ``LambdaLR``, 46 epochs).

Each pair is checked by ``check_component`` against a torch module written in the same layout, so
a failure's shapes and indices are the user's own. ``compute_cost(AL, Y)`` is a forward-only
function (``forward_only``)."""
import functools
import inspect

import numpy as np
import torch
from torch import nn

from . import conventions as conv
from .adapters import FunctionPair, check_component
from .compare import NOT_WRITTEN, Refused, is_none
from .optimizer_check import check_optimizer
from .report import Report
from .samples import seed_for


# ----------------------------------------------------------------- torch modules in the course's layout
class ColumnLinear(nn.Module):
    """``W @ A + b``: A (n_prev, m), weight (n, n_prev), bias (n, 1)."""

    def __init__(self, n, n_prev):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n, n_prev))
        self.bias = nn.Parameter(torch.zeros(n, 1))

    def forward(self, a):
        return self.weight @ a + self.bias


class ChannelsLast(nn.Module):
    """A (m, n_H, n_W, n_C) through a module of (m, n_C, n_H, n_W)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, a):
        return self.inner(a.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class FilterConv(nn.Module):
    """The course's convolution: weight (f, f, n_C_prev, n_C), bias (1, 1, 1, n_C), channels last."""

    def __init__(self, f, c_in, c_out, stride, pad):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(f, f, c_in, c_out))
        self.bias = nn.Parameter(torch.zeros(1, 1, 1, c_out))
        self.stride, self.pad = stride, pad

    def forward(self, a):
        z = torch.nn.functional.conv2d(a.permute(0, 3, 1, 2), self.weight.permute(3, 2, 0, 1),
                                       self.bias.reshape(-1), stride=self.stride, padding=self.pad)
        return z.permute(0, 2, 3, 1)


class EmaMomentum(torch.optim.Optimizer):
    """The course's momentum: ``v = beta * v + (1 - beta) * g`` from ``v = 0``, ``p -= lr * v``. (torch's
    SGD with ``dampening=beta`` differs at the first step: its buffer starts at ``g``.)"""

    def __init__(self, params, lr, beta):
        super().__init__(params, dict(lr=lr, beta=beta))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st.setdefault("v", torch.zeros_like(p))
                st["v"].mul_(group["beta"]).add_(p.grad, alpha=1 - group["beta"])
                p.sub_(st["v"], alpha=group["lr"])


# ----------------------------------------------------------------- the pairs
# samples: (name, the input's shape, {argument: its shape or value})
LINEAR_SAMPLES = [("A (6,5) W (3,6) b (3,1)", (6, 5), {"W": (3, 6), "b": (3, 1)}),
                  ("A (4,1): one example, W (2,4) b (2,1)", (4, 1), {"W": (2, 4), "b": (2, 1)})]
CONV_SAMPLES = [("A_prev (2,5,4,3) W (3,3,3,4) stride 1 pad 0", (2, 5, 4, 3), {"W": (3, 3, 3, 4), "b": (1, 1, 1, 4),
                                                                               "stride": 1, "pad": 0}),
                ("A_prev (2,7,6,2) W (3,3,2,3) stride 2 pad 1", (2, 7, 6, 2), {"W": (3, 3, 2, 3), "b": (1, 1, 1, 3),
                                                                               "stride": 2, "pad": 1}),
                ("A_prev (1,4,5,2) W (2,2,2,2) stride 1 pad 2", (1, 4, 5, 2), {"W": (2, 2, 2, 2), "b": (1, 1, 1, 2),
                                                                               "stride": 1, "pad": 2})]
POOL_SAMPLES = [("A_prev (2,5,6,3) f 2 stride 2", (2, 5, 6, 3), {"f": 2, "stride": 2}),
                ("A_prev (1,5,5,2) f 3 stride 1", (1, 5, 5, 2), {"f": 3, "stride": 1})]
# forward name -> (its backward's name, the forward's arguments as the notebook names them)
PAIRS = {
    "linear_forward": ("linear_backward", ("A", "W", "b")),
    "linear_activation_forward": ("linear_activation_backward", ("A_prev", "W", "b", "activation")),
    "relu": ("relu_backward", ("Z",)),
    "sigmoid": ("sigmoid_backward", ("Z",)),
    "conv_forward": ("conv_backward", ("A_prev", "W", "b", "hparameters")),
    "pool_forward": ("pool_backward", ("A_prev", "hparameters", "mode")),
    # Piotr Skalski's "Let's code a Neural Network in plain NumPy": (A, Z) from the forward, and
    # (dA_prev, dW, db) from single_layer_backward_propagation(dA, W, b, Z, A_prev, activation)
    "single_layer_forward_propagation": ("single_layer_backward_propagation", ("A_prev", "W_curr", "b_curr",
                                                                               "activation")),
}
RULES = {"update_parameters": ("parameters", "grads", "learning_rate"),
         "update_parameters_with_gd": ("parameters", "grads", "learning_rate"),
         "update_parameters_with_momentum": ("parameters", "grads", "v", "beta", "learning_rate"),
         "update_parameters_with_adam": ("parameters", "grads", "v", "s", "t", "learning_rate")}
MODELS = {"L_model_forward": ("L_model_backward", ("X", "parameters")),
          # course 1 week 3: one tanh hidden layer, backward_propagation(parameters, cache, X, Y)
          "forward_propagation": ("backward_propagation", ("X", "parameters"))}
LOGISTIC = {"propagate": ("w", "b", "X", "Y")}        # course 1 week 2: logistic regression
# course 5 week 1: forward -> (its arguments, its backward, the backward's upstream gradients)
SEQUENCES = {"rnn_cell_forward": (("xt", "a_prev", "parameters"), "rnn_cell_backward", ("da_next",)),
             "rnn_forward": (("x", "a0", "parameters"), "rnn_backward", ("da",)),
             "lstm_cell_forward": (("xt", "a_prev", "c_prev", "parameters"), "lstm_cell_backward",
                                   ("da_next", "dc_next")),
             "lstm_forward": (("x", "a0", "parameters"), "lstm_backward", ("da",))}
# course 2 week 1 (3 layers, LINEAR->RELU->LINEAR->RELU->LINEAR->SIGMOID, reg_utils' cache tuple)
REGULARIZED = {"compute_cost_with_regularization": ("A3", "Y", "parameters", "lambd"),
               "backward_propagation_with_regularization": ("X", "Y", "cache", "lambd"),
               "forward_propagation_with_dropout": ("X", "parameters", "keep_prob"),
               # its gradient checking notebook: the same network, no penalty, (cost, cache) from the forward
               "forward_propagation_n": ("X", "Y", "parameters"),
               "backward_propagation_n": ("X", "Y", "cache")}
NAMES = set(PAIRS) | set(RULES) | set(MODELS) | set(LOGISTIC) | set(SEQUENCES) | set(REGULARIZED)


def _positional(fn):
    try:
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def recognise(name, fn, namespace):
    """``(kind, obj)`` when ``fn`` is the course's ``name`` (its arguments as the notebook names them;
    a pair needs its backward beside it), else None. ``relu(Z)`` with a ``relu_backward(dA, cache)``
    is the course's; d2l's ``relu(X)`` is not."""
    found = _setup_kind(name, fn)
    if found:
        return found
    if name in RULES:                           # update_parameters(params, ...) in the newer notebooks
        takes = ["parameters" if a == "params" else a for a in _positional(fn)[:len(RULES[name])]]
        return ("optimizer", fn) if takes == list(RULES[name]) else None
    if name in SEQUENCES:                       # its backward is optional in the notebook
        args, back_name, _ = SEQUENCES[name]
        back = namespace.get(back_name)
        return ("sequence", (fn, back if callable(back) else None)) if _positional(fn)[:len(args)] == list(args) \
            else None
    if name == "softmax":                       # rnn_utils.softmax(x): over axis 0, in rnn_utils or beside the RNNs
        course = str(namespace.get("__name__", "")).rsplit(".", 1)[-1] == "rnn_utils"
        return ("softmax_columns", fn) if course or any(k in namespace for k in SEQUENCES) else None
    if name in REGULARIZED:
        if _positional(fn)[:len(REGULARIZED[name])] != list(REGULARIZED[name]):
            return None
        back = namespace.get("backward_propagation_with_dropout")
        return ("regularized", (fn, back if name == "forward_propagation_with_dropout" and callable(back) else None))
    if name in LOGISTIC:
        return ("logistic", fn) if _positional(fn)[:4] == list(LOGISTIC[name]) else None
    if name not in PAIRS and name not in MODELS:
        return None
    back_name, args = PAIRS.get(name) or MODELS[name]
    back = namespace.get(back_name)
    if not callable(back) or _positional(fn)[:len(args)] != list(args):
        return None
    if len(_positional(back)) < 2 or name == "forward_propagation" and \
            _positional(back)[:4] != ["parameters", "cache", "X", "Y"]:
        return None
    return ("model" if name in MODELS else name), (fn, back)


# the course's helpers, checked through the function that calls them
HELPERS = {"pool_forward": ("create_mask_from_window", "distribute_value"),     # through pool_backward
           "update_parameters_with_momentum": ("initialize_velocity",),
           "update_parameters_with_adam": ("initialize_adam",)}


# forward -> the backward checked with it
BACKWARDS = {**{k: v[0] for k, v in {**PAIRS, **MODELS}.items()}, **{k: v[1] for k, v in SEQUENCES.items()},
             "forward_propagation_with_dropout": "backward_propagation_with_dropout"}


def checked_through(name, namespace):
    """Whether ``name`` is the backward of a recognised pair, or a helper of a recognised function."""
    for fwd, back in BACKWARDS.items():
        if name == back and fwd in namespace and recognise(fwd, namespace[fwd], namespace):
            return True
    return any(name in helpers and user in namespace and recognise(user, namespace[user], namespace)
               for user, helpers in HELPERS.items())


def _judge(c, check, got, want, dtype, cv):
    """``got`` against torch's ``want`` and its dtype against the input's; under ``dtype=promotes`` (the
    course's ``np.zeros(shape)`` outputs are float64) it is cast back first and only the numbers judged."""
    if cv.get("dtype") == "promotes" and isinstance(got, np.ndarray) and got.dtype.kind == "f":
        got = got.astype(dtype)
    c.add(check, got, want)
    if cv.get("dtype") != "promotes":
        c.dtype(check, got, dtype)


def _scaled_back(back, m_axis):
    """``linear_backward``'s dW and db times m (the cost's 1/m taken out); dA_prev as it is."""
    def bwd(dz, cache, *rest):
        res = back(dz, cache, *rest)
        if not isinstance(res, (tuple, list)) or len(res) != 3 or any(r is None for r in res):
            return res
        m = np.shape(dz)[m_axis]
        da, dw, db = res
        return da, np.asarray(dw) * np.asarray(m, dtype=np.asarray(dw).dtype), \
            np.asarray(db) * np.asarray(m, dtype=np.asarray(db).dtype)
    bwd.__name__ = getattr(back, "__name__", "backward")
    return bwd


def _cases(name, fwd, back, rng, dtype, cv):
    """``(sample, x, FunctionPair, module, params)`` for each sample of ``name``."""
    def arr(shape):
        return rng.standard_normal(shape).astype(dtype)
    if name == "single_layer_forward_propagation":
        fwd, back = _skalski(fwd, back)
    if name in ("linear_forward", "linear_activation_forward", "single_layer_forward_propagation"):
        for sample, shape, spec in LINEAR_SAMPLES:
            acts = (None,) if name == "linear_forward" else ("relu", "sigmoid")
            x, W, b = arr(shape), arr(spec["W"]), arr(spec["b"])
            for act in acts:
                args = {"W": W.copy(), "b": b.copy()}
                if act:
                    args["activation"] = act

                def backward(dz, cache, act=act):
                    return back(dz, cache, act) if act else back(dz, cache)
                pair = FunctionPair(fwd, _scaled_back(backward, 1), args, name=name, kind="affine",
                                    keep_dtype=cv.get("dtype") == "promotes")
                lin = ColumnLinear(*spec["W"])
                module = lin if not act else nn.Sequential(lin, nn.ReLU() if act == "relu" else nn.Sigmoid())
                prefix = "" if not act else "0."
                yield (f"{sample}{', ' + act if act else ''}", x.copy(), pair, module,
                       {"W": prefix + "weight", "b": prefix + "bias"})
    elif name in ("relu", "sigmoid"):
        for sample, shape in (("Z (5,7)", (5, 7)), ("Z (4,6) with exact zeros", (4, 6))):
            if name == "sigmoid" and "zeros" in sample:
                continue
            x = arr(shape)
            if "zeros" in sample:
                x[rng.random(shape) < 0.3] = 0
            pair = FunctionPair(_with_input(fwd, back), back, {}, name=name, kind=name,
                                keep_dtype=cv.get("dtype") == "promotes")
            yield sample, x, pair, nn.ReLU() if name == "relu" else nn.Sigmoid(), {}
    elif name == "conv_forward":
        for sample, shape, spec in CONV_SAMPLES:
            f, _, c_in, c_out = spec["W"]
            args = {"W": arr(spec["W"]), "b": arr(spec["b"]), "hparameters": {"stride": spec["stride"],
                                                                                  "pad": spec["pad"]}}
            pair = FunctionPair(fwd, back, args, name=name, kind="conv", keep_dtype=cv.get("dtype") == "promotes")
            yield sample, arr(shape), pair, FilterConv(f, c_in, c_out, spec["stride"], spec["pad"]), \
                {"W": "weight", "b": "bias"}
    elif name == "pool_forward":
        for sample, shape, spec in POOL_SAMPLES:
            for mode in ("max", "average"):
                size, stride = (spec["f"], spec["f"]), spec["stride"]
                if mode == "average":
                    inner = nn.AvgPool2d(size, stride=stride)
                elif cv.get("pool_ties") in ("all", "split"):
                    inner = conv.TiedMaxPool(size, stride, split=cv["pool_ties"] == "split")
                else:
                    inner = nn.MaxPool2d(size, stride=stride)

                def backward(da, cache, mode=mode):
                    return back(da, cache, mode)
                backward.__name__ = getattr(back, "__name__", "pool_backward")
                args = {"hparameters": {"f": spec["f"], "stride": stride}, "mode": mode}
                pair = FunctionPair(fwd, backward, args, name=name, kind="max_pool" if mode == "max" else "avg_pool",
                                    keep_dtype=cv.get("dtype") == "promotes")
                yield f"{sample}, {mode}", arr(shape), pair, ChannelsLast(inner), {}


def _skalski(fwd, back):
    """Skalski's ``single_layer_forward_propagation(A_prev, W, b, activation)`` returning ``(A, Z)`` and
    its backward ``(dA, W, b, Z, A_prev, activation)`` as the course's pair on a cache ``(A_prev, W, b, Z)``."""
    @functools.wraps(fwd)
    def forward(A_prev, W, b, activation):
        res = fwd(A_prev, W, b, activation)
        if not isinstance(res, (tuple, list)) or len(res) != 2:
            return res                              # said by the pair: not (A, Z)
        return res[0], (A_prev, W, b, res[1])

    @functools.wraps(back)
    def backward(dA, cache, activation):
        A_prev, W, b, Z = cache
        return back(dA, W, b, Z, A_prev, activation)
    return forward, backward


def _with_input(fwd, back):
    """``relu(Z)`` as the course's, returning ``(A, cache)``, where its backward takes the forward's input
    instead of a cache (Piotr Skalski's "Let's code a Neural Network in plain NumPy": ``relu(Z)`` returns
    A alone beside ``relu_backward(dA, Z)``)."""
    if _positional(back)[1:2] == ["cache"]:
        return fwd

    @functools.wraps(fwd)
    def forward(z):
        return fwd(z), z
    return forward


def check(target_name, obj, kind, dtypes=("float64", "float32"), conventions=None, seed=0):
    """A ``Report`` for one of the course's functions: a pair on each of its samples, or an update rule."""
    cv = conventions or {}
    if kind in _CHECKS:                         # set-up functions: float64, whatever the dtypes
        return _CHECKS[kind](target_name, obj, seed)
    if kind == "optimizer":
        return _check_rule(target_name, obj, dtypes, cv, seed)
    if kind == "model":
        return _check_model(target_name, obj, dtypes, cv, seed)
    if kind == "logistic":
        return _check_logistic(target_name, obj, dtypes, cv, seed)
    if kind == "sequence":
        return _check_sequence(target_name, obj, dtypes, cv, seed)
    if kind == "regularized":
        return _check_regularized(target_name, obj, dtypes, cv, seed)
    if kind == "softmax_columns":
        from . import forward_only as FO
        return FO.check(obj, "softmax_columns", dtypes, cv, seed, label=target_name)
    fwd, back = obj
    report = Report()
    for dtype in map(np.dtype, dtypes):
        s = seed_for(seed, target_name, dtype.name)
        rng = np.random.default_rng(s)
        for sample, x, pair, module, params in _cases(target_name, fwd, back, rng, dtype, cv):
            s_sample = seed_for(seed, target_name, sample)
            # finite differences in float64, away from ties and kinks the samples do not aim at
            fd = dtype == np.float64 and "zeros" not in sample
            report.extend(check_component(pair, x, module=module, params=params, conventions=cv, hints=False,
                                          seed=s_sample, sample=sample, finite_differences=fd))
    return report


# ----------------------------------------------------------------- the update rules
RULE_STEPS = 20
# the course's parameters (W1, b1, W2, b2) and the scale of each one's gradients (ordinary, tiny, large)
RULE_PARAMS = {"W1": ((4, 3), 1.0), "b1": ((4, 1), 1e-6), "W2": ((2, 4), 1e3), "b2": ((2, 1), 1.0)}
RULE_HYPER = {"update_parameters": (torch.optim.SGD, {"learning_rate": 0.05}, {"lr": 0.05}),
              "update_parameters_with_gd": (torch.optim.SGD, {"learning_rate": 0.05}, {"lr": 0.05}),
              "update_parameters_with_momentum": (EmaMomentum, {"beta": 0.9, "learning_rate": 0.05},
                                                  {"lr": 0.05, "beta": 0.9}),
              "update_parameters_with_adam": (torch.optim.Adam, {"learning_rate": 0.01, "beta1": 0.9,
                                                                 "beta2": 0.999, "epsilon": 1e-8},
                                              {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8})}
# the state the rule keeps, by its name in the course -> torch's state key
RULE_STATE = {"update_parameters_with_momentum": {"v": "v"},
              "update_parameters_with_adam": {"v": "exp_avg", "s": "exp_avg_sq"}}


class _Rule:
    """The course's ``parameters, ... = update_parameters_with_x(parameters, grads, ...)`` as an
    optimizer ``check_optimizer`` steps: ``step(grads)`` updates the arrays it was made with in place
    (the rule may return new ones), ``state`` holds the rule's v/s per parameter under torch's names."""

    def __init__(self, fn, name, params, hyper):
        self.fn, self.name, self.params, self.hyper, self.t = fn, name, params, hyper, 0
        self.kept = {k: {f"d{p}": np.zeros_like(v) for p, v in params.items()} for k in RULE_STATE.get(name, {})}
        self.state = {}

    def step(self, grads):
        self.t += 1
        parameters = dict(self.params)
        g = {f"d{k}": v for k, v in grads.items()}
        h = self.hyper
        if self.name == "update_parameters_with_momentum":
            res = self.fn(parameters, g, self.kept["v"], h["beta"], h["learning_rate"])
        elif self.name == "update_parameters_with_adam":
            res = self.fn(parameters, g, self.kept["v"], self.kept["s"], self.t, h["learning_rate"], h["beta1"],
                          h["beta2"], h["epsilon"])
        else:
            res = self.fn(parameters, g, h["learning_rate"])
        new = res[0] if isinstance(res, tuple) else res
        if res is None:
            raise Refused(f"{self.name} {NOT_WRITTEN}")
        if not isinstance(new, dict):
            raise Refused(f"{self.name} returned {type(res).__name__}; expected the parameters dict"
                            + (" first" if isinstance(res, tuple) else ""))
        if isinstance(res, tuple):                  # (parameters, v) or (parameters, v, s[, v_corrected, s_corrected])
            for key, value in zip(RULE_STATE.get(self.name, {}), res[1:]):
                if isinstance(value, dict):
                    self.kept[key] = value
        for k in self.params:
            if k not in new:
                raise Refused(f"{self.name} returned parameters without {k!r} (they hold {sorted(new)})")
            if new[k] is not self.params[k]:
                self.params[k][...] = new[k]
        self.state = {k: {torch_key: self.kept[key][f"d{k}"] for key, torch_key in RULE_STATE.get(self.name, {}).items()
                          if f"d{k}" in self.kept[key]} for k in self.params}


def _check_rule(name, fn, dtypes, cv, seed):
    torch_cls, hyper, torch_hyper = RULE_HYPER[name]
    report = Report()
    for dtype in dtypes:
        s = seed_for(seed, name)
        rng = np.random.default_rng(s)
        params = {k: rng.standard_normal(shape) for k, (shape, _) in RULE_PARAMS.items()}

        def grads(step, _params, rng=rng):
            return {k: scale * (1 + 0.5 * np.sin(0.3 * step)) * rng.standard_normal(shape)
                    for k, (shape, scale) in RULE_PARAMS.items()}

        def make(p, fn=fn):
            return _Rule(fn, name, p, hyper)
        make.__name__ = name
        report.extend(check_optimizer(make, torch_cls, torch_hyper, hints=False, steps=RULE_STEPS, dtype=dtype,
                                      seed=s, name=name, params=params, grads=grads,
                                      conventions={k: v for k, v in cv.items() if k != "adam_eps"}))
    return report


# ----------------------------------------------------------------- the whole network
# (sample, layer sizes from the input's to the output's, m): [LINEAR->RELU]*(L-1) -> LINEAR->SIGMOID
MODEL_SAMPLES = {"L_model_forward": [("X (4,7), layers 4-5-3-1", [4, 5, 3, 1], 7),
                                      ("X (3,1): one example, layers 3-2-1", [3, 2, 1], 1)],
                 "forward_propagation": [("X (4,7), layers 4-5-1", [4, 5, 1], 7),
                                         ("X (3,1): one example, layers 3-2-1", [3, 2, 1], 1)]}
HIDDEN = {"L_model_forward": torch.relu, "forward_propagation": torch.tanh}


def _check_model(name, obj, dtypes, cv, seed):
    """``AL, caches = L_model_forward(X, parameters)`` and ``grads = L_model_backward(AL, Y, caches)``
    ([LINEAR->RELU]*(L-1) -> LINEAR->SIGMOID), or week 3's ``A2, cache = forward_propagation(X, parameters)``
    and ``grads = backward_propagation(parameters, cache, X, Y)`` (LINEAR->TANH->LINEAR->SIGMOID):
    AL against torch's, each ``dW{l}``/``db{l}`` against torch's gradient of the mean binary
    cross-entropy (the course's cost), and against finite differences of that cost of its own AL."""
    from .api import _Checks, where
    from .model_check import _fd
    fwd, back = obj
    report = Report()
    for sample, dims, m in MODEL_SAMPLES[name]:
        for dtype in map(np.dtype, dtypes):
            s = seed_for(seed, name, sample)
            rng = np.random.default_rng(s)
            L = len(dims) - 1
            parameters = {}
            for i in range(1, L + 1):
                parameters[f"W{i}"] = (rng.standard_normal((dims[i], dims[i - 1])) / np.sqrt(dims[i - 1])).astype(dtype)
                parameters[f"b{i}"] = (0.1 * rng.standard_normal((dims[i], 1))).astype(dtype)
            X = rng.standard_normal((dims[0], m)).astype(dtype)
            Y = (rng.random((1, m)) < 0.5).astype(dtype)
            c = _Checks(None, component=name, dtype=dtype.name, sample=sample, shape=X.shape, seed=s)
            before = {k: v.copy() for k, v in parameters.items()}
            X0, Y0 = X.copy(), Y.copy()
            P = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in parameters.items()}
            A = torch.from_numpy(X.astype(np.float64))
            for i in range(1, L + 1):
                Z = P[f"W{i}"] @ A + P[f"b{i}"]
                A = HIDDEN[name](Z) if i < L else torch.sigmoid(Z)
            cost = torch.nn.functional.binary_cross_entropy(A, torch.from_numpy(Y.astype(np.float64)))
            cost.backward()
            try:
                res = fwd(X, parameters)
                if not (isinstance(res, tuple) and len(res) == 2):
                    c.fail("forward", NOT_WRITTEN if is_none(res) else
                           f"{name} returned {type(res).__name__}" + (f" of {len(res)}" if isinstance(res, tuple) else "")
                           + "; expected (AL, caches)")
                    report.extend(c.report())
                    continue
                AL, caches = res
                grads = back(AL, Y, caches) if name == "L_model_forward" else back(parameters, caches, X, Y)
            except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's code
                c.crashed(e)
                report.extend(c.report())
                continue
            _judge(c, "forward", AL, A.detach().numpy(), dtype, cv)
            if not isinstance(grads, dict):
                c.fail("grad_param", f"{getattr(back, '__name__', 'backward')} returned {type(grads).__name__}; "
                                     "expected the dict of dW1, db1, ...")
                grads = {}
            for k in parameters:
                if f"d{k}" not in grads:
                    c.fail(f"grad_param:{k}", f"the gradients hold no 'd{k}' (they hold {sorted(grads)})")
                    continue
                _judge(c, f"grad_param:{k}", grads[f"d{k}"], P[k].grad.numpy(), dtype, cv)
            for k, v in before.items():
                c.unchanged(f"the parameter {k}", v, parameters[k])
            c.unchanged("the data X", X0, X)
            c.unchanged("the labels Y", Y0, Y)
            if dtype == np.float64:
                def value():
                    al = np.asarray(fwd(X, parameters)[0], dtype=np.float64)
                    return float(-np.mean(Y * np.log(al) + (1 - Y) * np.log(1 - al)))
                fd_rng = np.random.default_rng(s)
                for k in parameters:
                    if f"d{k}" in grads and grads[f"d{k}"] is not None:
                        try:
                            _fd(c, k, value, parameters[k], np.asarray(grads[f"d{k}"]), fd_rng)
                        except (Exception, SystemExit) as e:   # noqa: BLE001 -- the user's code
                            c.fail(f"fd:{k}", f"raised {type(e).__name__}: {e}{where(e)}")
                        parameters[k][...] = before[k]
            report.extend(c.report())
    return report


# ----------------------------------------------------------------- logistic regression
LOGISTIC_SAMPLES = [("w (4,1) b 0.3 X (4,6)", 4, 6, 0.3), ("w (3,1) b 0 X (3,1): one example", 3, 1, 0.0)]


def _check_logistic(name, fn, dtypes, cv, seed):
    """``grads, cost = propagate(w, b, X, Y)``: the cost (the mean binary cross-entropy of
    ``sigmoid(w.T @ X + b)``), ``dw`` and ``db`` against torch and finite differences of its own cost."""
    from .api import _Checks, where
    from .model_check import _fd
    report = Report()
    for sample, dim, m, b in LOGISTIC_SAMPLES:
        for dtype in map(np.dtype, dtypes):
            s = seed_for(seed, name, sample)
            rng = np.random.default_rng(s)
            w = (0.5 * rng.standard_normal((dim, 1))).astype(dtype)
            X = rng.standard_normal((dim, m)).astype(dtype)
            Y = (rng.random((1, m)) < 0.5).astype(dtype)
            c = _Checks(None, component=name, dtype=dtype.name, sample=sample, shape=X.shape, seed=s)
            wt = torch.tensor(w.astype(np.float64), requires_grad=True)
            bt = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
            a = torch.sigmoid(wt.T @ torch.from_numpy(X.astype(np.float64)) + bt)
            cost_t = torch.nn.functional.binary_cross_entropy(a, torch.from_numpy(Y.astype(np.float64)))
            cost_t.backward()
            before = (w.copy(), X.copy(), Y.copy())
            try:
                res = fn(w, b, X, Y)
            except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's code
                c.crashed(e)
                report.extend(c.report())
                continue
            if not (isinstance(res, tuple) and len(res) == 2 and isinstance(res[0], dict)):
                c.fail("error", f"{name} returned {type(res).__name__}; expected (grads, cost), grads a dict "
                                "of 'dw' and 'db'")
                report.extend(c.report())
                continue
            grads, cost = res
            c.add("loss", None if cost is None else np.asarray(cost, dtype=np.float64), cost_t.detach().numpy())
            for k, ref, like in (("dw", wt.grad.numpy(), w), ("db", bt.grad.numpy(), None)):
                if k not in grads:
                    c.fail(f"grad_param:{k[1:]}", f"the gradients hold no {k!r} (they hold {sorted(grads)})")
                    continue
                got = grads[k] if like is not None or grads[k] is None else np.asarray(grads[k]).reshape(())
                _judge(c, f"grad_param:{k[1:]}", got, ref, dtype, cv if like is not None else {"dtype": "promotes"})
            for what, old, new in zip(("the weights w", "the data X", "the labels Y"), before, (w, X, Y)):
                c.unchanged(what, old, new)
            if dtype == np.float64 and "dw" in grads and grads["dw"] is not None:
                try:
                    _fd(c, "w", lambda: float(np.squeeze(fn(w, b, X, Y)[1])), w, np.asarray(grads["dw"]),
                        np.random.default_rng(s))
                except (Exception, SystemExit) as e:   # noqa: BLE001 -- the user's code
                    c.fail("fd:w", f"raised {type(e).__name__}: {e}{where(e)}")
                w[...] = before[0]
            report.extend(c.report())
    return report


# ----------------------------------------------------------------- course 5: RNN and LSTM, step by step
def _rnn_cell(P, xt, a_prev):
    a = torch.tanh(P["Wax"] @ xt + P["Waa"] @ a_prev + P["ba"])
    return a, torch.softmax(P["Wya"] @ a + P["by"], dim=0)


def _lstm_cell(P, xt, a_prev, c_prev):
    concat = torch.cat([a_prev, xt], dim=0)
    f, i = torch.sigmoid(P["Wf"] @ concat + P["bf"]), torch.sigmoid(P["Wi"] @ concat + P["bi"])
    c = f * c_prev + i * torch.tanh(P["Wc"] @ concat + P["bc"])
    a = torch.sigmoid(P["Wo"] @ concat + P["bo"]) * torch.tanh(c)
    return a, c, torch.softmax(P["Wy"] @ a + P["by"], dim=0)


def _sequence_reference(name, P, inputs):
    """torch's outputs, in the order the course's function returns them (its cache left out)."""
    if name == "rnn_cell_forward":
        return _rnn_cell(P, *inputs)
    if name == "lstm_cell_forward":
        return _lstm_cell(P, *inputs)
    x, a = inputs
    c, outs = torch.zeros_like(a), []
    for t in range(x.shape[2]):
        if name == "rnn_forward":
            a, y = _rnn_cell(P, x[:, :, t], a)
            outs.append((a, y))
        else:
            a, c, y = _lstm_cell(P, x[:, :, t], a, c)
            outs.append((a, y, c))
    return tuple(torch.stack(seq, dim=2) for seq in zip(*outs))


# (sample, n_x, n_a, n_y, m, T_x)
SEQUENCE_SAMPLES = [("n_x 3 n_a 5 n_y 2 m 4 T_x 3", 3, 5, 2, 4, 3), ("n_x 2 n_a 3 n_y 3 m 1 T_x 2: one example", 2, 3, 3, 1, 2)]
# what each backward returns, by the inputs and parameters its keys name
SEQUENCE_GRADS = {"rnn_cell_forward": {"dxt": "xt", "da_prev": "a_prev", "dWax": "Wax", "dWaa": "Waa", "dba": "ba"},
                  "rnn_forward": {"dx": "x", "da0": "a0", "dWax": "Wax", "dWaa": "Waa", "dba": "ba"},
                  "lstm_cell_forward": {"dxt": "xt", "da_prev": "a_prev", "dc_prev": "c_prev",
                                        **{f"d{k}": k for k in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo")}},
                  "lstm_forward": {"dx": "x", "da0": "a0",
                                   **{f"d{k}": k for k in ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo")}}}


def _check_sequence(name, obj, dtypes, cv, seed):
    """The course's RNN and LSTM cells and sequences: every output against torch's (the softmax over
    the n_y rows included), and, when its backward is written, each gradient it returns against torch's
    gradient of ``sum(a * da)`` (plus ``sum(c_next * dc_next)`` for an LSTM cell)."""
    from .api import _Checks
    fwd, back = obj
    lstm = name.startswith("lstm")
    report = Report()
    for sample, n_x, n_a, n_y, m, T in SEQUENCE_SAMPLES:
        for dtype in map(np.dtype, dtypes):
            s = seed_for(seed, name, sample)
            rng = np.random.default_rng(s)
            shapes = ({k: (n_a, n_a + n_x) for k in ("Wf", "Wi", "Wc", "Wo")} | {k: (n_a, 1) for k in ("bf", "bi", "bc", "bo")}
                      | {"Wy": (n_y, n_a), "by": (n_y, 1)}) if lstm else \
                {"Waa": (n_a, n_a), "Wax": (n_a, n_x), "Wya": (n_y, n_a), "ba": (n_a, 1), "by": (n_y, 1)}
            parameters = {k: rng.standard_normal(shape).astype(dtype) for k, shape in shapes.items()}
            cell = name.endswith("cell_forward")
            inputs = {("xt" if cell else "x"): rng.standard_normal((n_x, m) if cell else (n_x, m, T)).astype(dtype),
                      ("a_prev" if cell else "a0"): rng.standard_normal((n_a, m)).astype(dtype)}
            if name == "lstm_cell_forward":
                inputs["c_prev"] = rng.standard_normal((n_a, m)).astype(dtype)
            c = _Checks(None, component=name, dtype=dtype.name, sample=sample, shape=next(iter(inputs.values())).shape,
                        seed=s)
            P = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in parameters.items()}
            X = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in inputs.items()}
            expected = _sequence_reference(name, P, list(X.values()))
            before = {k: v.copy() for k, v in {**parameters, **inputs}.items()}
            try:
                res = fwd(*inputs.values(), parameters)
            except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's code
                c.crashed(e)
                report.extend(c.report())
                continue
            labels = {"rnn_cell_forward": ("a_next", "yt_pred"), "lstm_cell_forward": ("a_next", "c_next", "yt_pred"),
                      "rnn_forward": ("a", "y_pred"), "lstm_forward": ("a", "y", "c")}[name]
            if not isinstance(res, tuple) or len(res) != len(labels) + 1:
                c.fail("forward", f"{name} returned {type(res).__name__}"
                                  + (f" of {len(res)}" if isinstance(res, tuple) else "")
                                  + f"; expected ({', '.join(labels)}, cache{'s' if not cell else ''})")
                report.extend(c.report())
                continue
            for label, got, want in zip(labels, res, expected):
                _judge(c, f"forward:{label}", got, want.detach().numpy(), dtype, cv)
            for k, v in before.items():
                c.unchanged(f"the argument {k}", v, {**parameters, **inputs}[k])
            if back is not None:
                _sequence_backward(c, name, back, res, expected, P, X, rng, dtype, cv)
            report.extend(c.report())
    return report


def _sequence_backward(c, name, back, res, expected, P, X, rng, dtype, cv):
    from .api import where
    a_t = expected[0]
    da = rng.standard_normal(tuple(a_t.shape)).astype(dtype)
    loss = (a_t * torch.from_numpy(da.astype(np.float64))).sum()
    upstream = [da]
    if name == "lstm_cell_forward":
        dc = rng.standard_normal(tuple(expected[1].shape)).astype(dtype)
        loss = loss + (expected[1] * torch.from_numpy(dc.astype(np.float64))).sum()
        upstream.append(dc)
    loss.backward()
    cache = res[-1]
    try:
        grads = back(*upstream, cache)
    except (Exception, SystemExit) as e:        # noqa: BLE001 -- the user's code
        c.fail("grad", f"{getattr(back, '__name__', 'backward')} raised {type(e).__name__}: {e}{where(e)}")
        return
    if not isinstance(grads, dict):
        c.fail("grad", f"{getattr(back, '__name__', 'backward')} returned {type(grads).__name__}; expected the dict "
                       f"of {', '.join(SEQUENCE_GRADS[name])}")
        return
    for key, of in SEQUENCE_GRADS[name].items():
        if key not in grads:
            c.fail(f"grad:{key}", f"the gradients hold no {key!r} (they hold {sorted(grads)})")
            continue
        ref = (P.get(of) if of in P else X[of]).grad
        _judge(c, f"grad:{key}", grads[key], ref.numpy(), dtype, cv)


# ----------------------------------------------------------------- course 2 week 1: L2 and dropout
# (sample, layer sizes, m, lambd, keep_prob): enough hidden units that the share each mask keeps is measured
REGULARIZED_SAMPLES = [("X (3,40), layers 3-20-10-1, lambd 0.7, keep_prob 0.86", [3, 20, 10, 1], 40, 0.7, 0.86),
                       ("X (2,30), layers 2-12-6-1, lambd 0.1, keep_prob 0.5", [2, 12, 6, 1], 30, 0.1, 0.5)]


def _three_layers(rng, dims, m, dtype):
    parameters = {}
    for i in range(1, 4):
        parameters[f"W{i}"] = (rng.standard_normal((dims[i], dims[i - 1])) / np.sqrt(dims[i - 1])).astype(dtype)
        parameters[f"b{i}"] = (0.1 * rng.standard_normal((dims[i], 1))).astype(dtype)
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    Y = (rng.random((1, m)) < 0.5).astype(dtype)
    return parameters, X, Y


def _torch_three_layers(parameters, X, Y, lambd=0.0, masks=None, keep_prob=1.0):
    """The cost (plus ``(lambd / (2 m)) * sum ||W||^2``) and its leaves, the hidden activations
    multiplied by ``masks / keep_prob`` when given; (cost, A3, P)."""
    P = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in parameters.items()}
    A = torch.from_numpy(X.astype(np.float64))
    for i in range(1, 4):
        Z = P[f"W{i}"] @ A + P[f"b{i}"]
        A = torch.relu(Z) if i < 3 else torch.sigmoid(Z)
        if masks is not None and i < 3:
            A = A * torch.from_numpy(np.asarray(masks[i - 1], dtype=np.float64)) / keep_prob
    cost = torch.nn.functional.binary_cross_entropy(A, torch.from_numpy(Y.astype(np.float64)))
    m = X.shape[1]
    cost = cost + lambd / (2 * m) * sum((P[f"W{i}"] ** 2).sum() for i in range(1, 4))
    cost.backward()
    return cost, A, P


def _check_regularized(name, obj, dtypes, cv, seed):
    """``compute_cost_with_regularization(A3, Y, parameters, lambd)``: the cost plus ``lambd / (2m)``
    times the squared weights; ``backward_propagation_with_regularization(X, Y, cache, lambd)`` given
    reg_utils' cache ``(Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)``: each dW, db; and
    ``forward_propagation_with_dropout(X, parameters, keep_prob)``: its A3 given the masks D1, D2 it
    drew (read from its cache; each 0 or 1, the share kept near keep_prob), then
    ``backward_propagation_with_dropout(X, Y, cache, keep_prob)``'s dW, db against torch with them."""
    from .api import _Checks
    fn, back = obj
    report = Report()
    dropout = name == "forward_propagation_with_dropout"
    for sample, dims, m, lambd, keep in REGULARIZED_SAMPLES:
        # the sample as this function sees it: its lambd, its keep_prob, or neither
        label = ", ".join(part for part in sample.split(", ") if not (
            part.startswith("lambd") and (dropout or name.endswith("_n"))
            or part.startswith("keep_prob") and not dropout))
        for dtype in map(np.dtype, dtypes):
            s = seed_for(seed, name, sample)
            rng = np.random.default_rng(s)
            parameters, X, Y = _three_layers(rng, dims, m, dtype)
            c = _Checks(None, component=name, dtype=dtype.name, sample=label, shape=X.shape, seed=s)
            before = {k: v.copy() for k, v in {**parameters, "X": X, "Y": Y}.items()}
            try:
                if name == "forward_propagation_with_dropout":
                    _dropout_run(c, fn, back, parameters, X, Y, keep, dtype, cv, s)
                else:
                    _l2_run(c, name, fn, parameters, X, Y, lambd, dtype, cv)
            except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's code
                c.crashed(e)
            for k, v in before.items():
                c.unchanged(f"the argument {k}", v, {**parameters, "X": X, "Y": Y}[k])
            report.extend(c.report())
    return report


def _l2_run(c, name, fn, parameters, X, Y, lambd, dtype, cv):
    lambd = 0.0 if name.endswith("_n") else lambd
    cost, A3, P = _torch_three_layers(parameters, X, Y, lambd)
    if name == "forward_propagation_n":
        res = fn(X, Y, parameters)
        if not (isinstance(res, tuple) and len(res) == 2):
            c.fail("loss", NOT_WRITTEN if is_none(res) else f"{name} returned {type(res).__name__}; expected (cost, cache)")
            return
        try:
            got = None if res[0] is None else np.asarray(res[0], dtype=np.float64)
        except (TypeError, ValueError):
            c.fail("loss", f"returned {type(res[0]).__name__} {str(res[0])[:60]!r} as the cost, not a number")
            return
        c.add("loss", got, cost.detach().numpy())
        return
    if name == "compute_cost_with_regularization":
        got = fn(A3.detach().numpy().astype(dtype), Y, parameters, lambd)
        try:
            got = None if got is None else np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            c.fail("loss", f"returned {type(got).__name__} {str(got)[:60]!r}, not a number")
            return
        c.add("loss", got, cost.detach().numpy())
        return
    # reg_utils.forward_propagation's cache, computed here in the input's dtype
    cache, A = [], X
    for i in range(1, 4):
        W, b = parameters[f"W{i}"], parameters[f"b{i}"]
        Z = W @ A + b
        A = np.maximum(Z, 0) if i < 3 else (1 / (1 + np.exp(-Z))).astype(dtype)
        cache += [Z, A, W, b]
    grads = fn(X, Y, tuple(cache)) if name == "backward_propagation_n" else fn(X, Y, tuple(cache), lambd)
    _grads(c, grads, parameters, P, dtype, cv)


def _grads(c, grads, parameters, P, dtype, cv):
    if not isinstance(grads, dict):
        c.fail("grad_param", f"returned {type(grads).__name__}; expected the dict of dW1, db1, ...")
        return
    for k in parameters:
        if f"d{k}" not in grads:
            c.fail(f"grad_param:{k}", f"the gradients hold no 'd{k}' (they hold {sorted(grads)})")
        else:
            _judge(c, f"grad_param:{k}", grads[f"d{k}"], P[k].grad.numpy(), dtype, cv)


def _dropout_run(c, fn, back, parameters, X, Y, keep, dtype, cv, seed):
    state = np.random.get_state()
    np.random.seed(seed % 2**32)                # the course draws its masks from np.random
    try:
        res = fn(X, parameters, keep)
    finally:
        np.random.set_state(state)
    if not (isinstance(res, tuple) and len(res) == 2 and isinstance(res[1], tuple) and len(res[1]) == 14):
        c.fail("forward", "expected (A3, cache), cache = (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)")
        return
    A3, cache = res
    masks = [np.asarray(cache[1]), np.asarray(cache[6])]
    for i, D in enumerate(masks, 1):
        if not np.isin(D, (0, 1)).all():
            c.fail(f"mask:D{i}", f"D{i} holds values other than 0 and 1 (e.g. {D.ravel()[~np.isin(D.ravel(), (0, 1))][0]!r}):"
                                 " it must be (np.random.rand(...) < keep_prob)")
            return
        kept = float(np.mean(D))
        if abs(kept - keep) > 0.08:
            c.fail(f"mask:D{i}", f"D{i} keeps {kept:.1%} of the units for keep_prob={keep}")
    cost, A3_t, P = _torch_three_layers(parameters, X, Y, masks=masks, keep_prob=keep)
    _judge(c, "forward", A3, A3_t.detach().numpy(), dtype, cv)
    if back is not None:
        _grads(c, back(X, Y, cache, keep), parameters, P, dtype, cv)


# ----------------------------------------------------------------- course 2: initialisation, mini-batches, decay
# each initialiser's W against torch.nn.init's distribution for the same (n, n_prev) shape (torch's
# Linear layout: fan_in = n_prev); by name, what the notebook asks for, or what the course's versions use
INIT_RULES = {"zeros": ("zeros", torch.nn.init.zeros_),
              "random": ("randn * 10", lambda t: torch.nn.init.normal_(t, 0.0, 10.0)),
              "he": ("randn * sqrt(2 / n_prev)", lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu")),
              "small": ("randn * 0.01", lambda t: torch.nn.init.normal_(t, 0.0, 0.01)),
              "scaled": ("randn / sqrt(n_prev)", lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="linear"))}
INITIALIZERS = {"initialize_parameters_zeros": ("zeros",), "initialize_parameters_random": ("random",),
                "initialize_parameters_he": ("he",),
                # course 1's step-by-step asks for 0.01; its application's helpers divide by sqrt(n_prev)
                "initialize_parameters_deep": ("small", "scaled"),
                "initialize_parameters": ("small", "scaled", "he")}
INIT_DIMS = [400, 300, 200, 50]          # distinct fans, so n_prev and n cannot be mistaken for each other
# course 2 week 2's mini-batches: (sample, n_x, m, mini_batch_size)
BATCH_SAMPLES = [("X (5,148) Y (1,148), mini_batch_size 64", 5, 148, 64),
                 ("X (3,128), mini_batch_size 64: the batches tile m", 3, 128, 64),
                 ("X (4,25), mini_batch_size 10: two whole batches and a short one", 4, 25, 10),
                 ("X (2,7), mini_batch_size 10: one short batch", 2, 7, 10)]
# course 2 week 2's learning-rate decay: name -> (its arguments, the factor of epoch e)
DECAYS = {"update_lr": (("learning_rate0", "epoch_num", "decay_rate"), lambda e, rate, interval: 1 / (1 + rate * e)),
          "schedule_lr_decay": (("learning_rate0", "epoch_num", "decay_rate", "time_interval"),
                                lambda e, rate, interval: 1 / (1 + rate * (e // interval)))}
NAMES |= set(INITIALIZERS) | {"random_mini_batches"} | set(DECAYS)


def _setup_kind(name, fn):
    """``(kind, fn)`` for the course 2 set-up functions above, by their argument names, else None."""
    args = _positional(fn)
    if name in INITIALIZERS and (args[:1] in (["layers_dims"], ["layer_dims"]) or
                                 name == "initialize_parameters" and args[:3] == ["n_x", "n_h", "n_y"]):
        return "initializer", fn
    if name == "random_mini_batches" and args[:2] == ["X", "Y"]:
        return "mini_batches", fn
    if name in DECAYS and args[:len(DECAYS[name][0])] == list(DECAYS[name][0]):
        return "lr_decay", fn
    return None


def _call_seeded(fn, *args, start=0):
    """The user's function from numpy's global random state seeded with ``start`` (so that two calls
    agree only when the function seeds itself), the caller's state put back afterwards."""
    state = np.random.get_state()
    np.random.seed(start)
    try:
        return fn(*args)
    finally:
        np.random.set_state(state)


def _shape_of(v):
    """``np.shape(v)``, or None for what has none (a ragged list)."""
    try:
        return np.shape(v)
    except (ValueError, TypeError):
        return None


def _numbers(v):
    """``v`` as a float64 array, or None when it does not hold real numbers (strings, objects)."""
    try:
        a = np.asarray(v)
        return a.astype(np.float64) if a.dtype.kind in "biuf" else None
    except (ValueError, TypeError):
        return None


def _same_list(a, b):
    try:
        return len(a) == len(b) and all(bool(x == y) for x, y in zip(a, b))
    except (TypeError, ValueError):
        return False


def _check_initializer(name, fn, seed):
    """``parameters = initialize_parameters_x(layers_dims)`` (or ``(n_x, n_h, n_y)``): every W{l} and b{l}
    there with the course's shapes ((n, n_prev) and (n, 1)), b zeros, W drawn from torch.nn.init's
    distribution for that name (mean and std within 5 sigma of torch's sample, KS at alpha = 1e-6)."""
    from .api import where
    from .properties import Props, _ks, torch_seed
    two_layer = _positional(fn)[:3] == ["n_x", "n_h", "n_y"]
    dims = [INIT_DIMS[0], INIT_DIMS[1], INIT_DIMS[3]] if two_layer else list(INIT_DIMS)
    sample = f"n_x, n_h, n_y = {tuple(dims)}" if two_layer else f"layers_dims {dims}"
    p = Props(name, "float64", seed)
    given = list(dims)
    try:
        parameters = _call_seeded(fn, *dims) if two_layer else _call_seeded(fn, given)
    except (Exception, SystemExit) as e:            # noqa: BLE001 -- the user's code
        p.claim("error", False, f"raised {type(e).__name__}: {e}{where(e)}", sample)
        return p.report()
    if not isinstance(parameters, dict):
        p.claim("returns", False, NOT_WRITTEN if parameters is None else
                f"returned {type(parameters).__name__}; expected the dict of W1, b1, ... W{len(dims) - 1}", sample)
        return p.report()
    p.claim("no_mutation", _same_list(given, dims), f"the layer sizes {dims} were changed to {given}", sample)
    L = len(dims) - 1
    missing = [f"{k}{l}" for l in range(1, L + 1) for k in "Wb" if f"{k}{l}" not in parameters]
    p.claim("keys", not missing, f"{L} layers need W1, b1, ... W{L}, b{L}; missing {missing} (the parameters "
                                 f"hold {sorted(parameters)}): the loop's range?", sample)
    # course 1's two-layer initialize_parameters(n_x, n_h, n_y) asks for 0.01 in both notebooks
    rules = ("small",) if two_layer else INITIALIZERS[name]
    Ws = {}
    for l in range(1, L + 1):
        W, b = parameters.get(f"W{l}"), parameters.get(f"b{l}")
        for k, v, want, spec in ((f"W{l}", W, (dims[l], dims[l - 1]), "(layers_dims[l], layers_dims[l-1])"),
                                 (f"b{l}", b, (dims[l], 1), "(layers_dims[l], 1)")):
            if v is not None:
                p.claim("shapes", _shape_of(v) == want, f"{k} has shape {np.shape(v)}; the course's is {want}, {spec}",
                        f"{sample}: {k}")
        for k, v in ((f"b{l}", b), (f"W{l}", W)):
            if v is not None and _shape_of(v) is not None and _numbers(v) is None:
                p.claim("returns", False, f"{k} holds {np.asarray(v).dtype} values, not numbers", f"{sample}: {k}")
        if _shape_of(b) == (dims[l], 1) and _numbers(b) is not None:
            p.claim("b zeros", not np.any(_numbers(b)), f"b{l} is not zeros (max |b| {np.abs(_numbers(b)).max():.3g})",
                    f"{sample}: b{l}")
        if _shape_of(W) == (dims[l], dims[l - 1]) and _numbers(W) is not None:
            Ws[l] = _numbers(W)
    if not Ws:
        return p.report()
    if rules == ("zeros",):
        for l, W in Ws.items():
            p.claim("W zeros", not np.any(W), f"W{l} is not zeros (max |W| {np.abs(W).max():.3g})", f"{sample}: W{l}")
        return p.report()
    refs = {}
    for k, rule in enumerate(rules):               # torch's sample of each candidate, per layer
        for l, W in Ws.items():
            with torch_seed(seed * 7919 + 31 * k + l):
                refs[rule, l] = INIT_RULES[rule][1](torch.empty(W.shape, dtype=torch.float64)).numpy().ravel()

    def off(rule):
        return max(abs(np.log(max(W.std(), 1e-300) / refs[rule, l].std())) for l, W in Ws.items())
    rule = min(rules, key=off)
    what = INIT_RULES[rule][0]
    label = sample if len(rules) == 1 else f"{sample}, read as {what}"
    for l, W in Ws.items():
        t, w = refs[rule, l], W.ravel()
        n, sd = w.size, t.std()
        here = f"{label}: W{l}"
        rand = " (every value >= 0: np.random.rand draws from [0, 1), randn is the normal)" if (w >= 0).all() else ""
        p.within("W mean", abs(w.mean() - t.mean()) / sd, 5 * np.sqrt(2 / n),
                 f"W{l}'s |mean - torch mean| / torch std, torch's {what}{rand}", here)
        p.within("W std", abs(w.std() / sd - 1), 5 * np.sqrt(1 / n) + 1e-6,
                 f"W{l}'s |std / torch std - 1|: std {w.std():.4g}, torch's {what} {sd:.4g} (n_prev = {dims[l - 1]}, "
                 f"n = {dims[l]})", here)
        p.within("W distribution", _ks(w, t), 2.69 * np.sqrt(2 / n),
                 f"W{l}'s KS statistic against torch's {what}", here)
    return p.report()


def _check_mini_batches(name, fn, seed):
    """``random_mini_batches(X, Y, mini_batch_size, seed)``: the columns shuffled and cut into batches of
    the sizes torch's ``DataLoader(batch_size, shuffle=True, drop_last=False)`` makes, every example in
    exactly one batch with its own label, and the same batches for the same seed."""
    from .api import where
    from .properties import Props, torch_seed
    p = Props(name, "float64", seed)
    for sample, n, m, size in BATCH_SAMPLES:
        rng = np.random.default_rng(seed_for(seed, name, sample))
        ids = np.arange(m, dtype=np.float64)
        X = np.vstack([ids, rng.standard_normal((n - 1, m))])     # row 0 names the example
        Y = (ids + 0.5).reshape(1, m)
        X0, Y0 = X.copy(), Y.copy()
        try:
            batches = _call_seeded(fn, X, Y, size, 3)
            again = _call_seeded(fn, X.copy(), Y.copy(), size, 3, start=1)
            other = _call_seeded(fn, X.copy(), Y.copy(), size, 4)
        except (Exception, SystemExit) as e:        # noqa: BLE001 -- the user's code
            p.claim("error", False, f"raised {type(e).__name__}: {e}{where(e)}", sample)
            continue
        if not isinstance(batches, (list, tuple)) or not all(isinstance(b, (list, tuple)) and len(b) == 2
                                                            for b in batches):
            p.claim("returns", False, NOT_WRITTEN if batches is None else "expected a list of (mini_batch_X, "
                    f"mini_batch_Y) pairs, got {type(batches).__name__}", sample)
            continue
        with torch_seed(seed):                      # the caller's torch generator is left alone
            loader = torch.utils.data.DataLoader(torch.arange(m), batch_size=size, shuffle=True, drop_last=False)
            want = [len(b) for b in loader]
        shapes = [(_shape_of(bx), _shape_of(by)) for bx, by in batches]
        if any(sx is None or sy is None or _numbers(bx) is None or _numbers(by) is None
               for (sx, sy), (bx, by) in zip(shapes, batches)):
            p.claim("returns", False, "a batch that is not an array of numbers (a ragged list?)", sample)
            continue
        got = [sx[1] if len(sx) == 2 else sx for sx, _ in shapes]
        p.claim("sizes", got == want, f"batches of {got} columns; torch's DataLoader(batch_size={size}, "
                                      f"drop_last=False) makes {want} from m = {m}", sample)
        if any(len(sx) != 2 or sx[0] != n or sy != (1, sx[1]) for sx, sy in shapes):
            bad = next((sx, sy) for sx, sy in shapes if len(sx) != 2 or sx[0] != n or sy != (1, sx[1]))
            p.claim("shapes", False, f"a batch of shapes X {bad[0]}, Y {bad[1]}; expected X ({n}, k), Y (1, k)",
                    sample)
            continue
        if not batches:
            p.claim("partition", False, f"no batches at all: every one of the {m} examples missing", sample)
            continue
        order = np.concatenate([np.asarray(bx)[0] for bx, _ in batches])
        seen = np.bincount(order.astype(np.int64), minlength=m) if np.isin(order, ids).all() else None
        p.claim("partition", seen is not None and (seen == 1).all(),
                "each example must be in exactly one batch: " + (
                    "a column that is not one of X's" if seen is None else
                    f"{int((seen == 0).sum())} of {m} missing, {int((seen > 1).sum())} repeated"), sample)
        cast = {str(np.asarray(a).dtype) for bx, by in batches for a in (bx, by)} - {"float64"}
        paired = all(np.array_equal(np.asarray(bx), X0[:, np.asarray(bx)[0].astype(np.int64)]) and
                     np.array_equal(np.asarray(by), Y0[:, np.asarray(bx)[0].astype(np.int64)])
                     for bx, by in batches) if seen is not None else False
        p.claim("pairs", paired, f"the batches are {sorted(cast)}, X and Y float64: keep their values as they are"
                if cast else "a batch's columns of X and of Y must be the same examples, whole: shuffle X and Y "
                             "with one permutation", sample)
        p.claim("shuffled", order.size != m or not np.array_equal(order, ids) or m == 1,
                "the examples are in their original order: shuffle them (np.random.permutation(m))", sample)
        same = isinstance(again, (list, tuple)) and len(again) == len(batches) and all(
            isinstance(b, (list, tuple)) and len(b) == 2 and np.array_equal(np.asarray(b[0]), np.asarray(a[0]))
            for a, b in zip(batches, again))
        differs = not (isinstance(other, (list, tuple)) and len(other) == len(batches) and all(
            isinstance(b, (list, tuple)) and len(b) == 2 and np.array_equal(np.asarray(b[0]), np.asarray(a[0]))
            for a, b in zip(batches, other)))
        p.claim("seeded", same and (differs or m == 1),
                "the same seed gave other batches: np.random.seed(seed) before the permutation" if not same else
                "seed 4 gave the batches of seed 3: the seed argument is not used (the course's model() passes "
                "seed + 1 each epoch, for a new shuffle)", sample)
        p.claim("no_mutation", np.array_equal(X, X0) and np.array_equal(Y, Y0), "X or Y was modified in place",
                sample)
    return p.report()


def _check_lr_decay(name, fn, seed):
    """``update_lr(learning_rate0, epoch_num, decay_rate)`` (``lr0 / (1 + decay_rate * epoch)``) and
    ``schedule_lr_decay(..., time_interval)`` (the epoch floored to whole intervals) against torch's
    ``LambdaLR`` stepped once an epoch, epochs 0 to 45."""
    from .api import where
    from .properties import Props
    args, factor = DECAYS[name]
    p = Props(name, "float64", seed)
    for lr0, rate, interval in ((0.5, 0.3, 10), (0.01, 1.0, 7)):
        sample = f"learning_rate0 {lr0}, decay_rate {rate}" + (f", time_interval {interval}" if len(args) > 3 else "")
        w = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([w], lr=lr0)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: factor(e, rate, interval))
        want, got = [], []
        try:
            for epoch in range(46):
                want.append(opt.param_groups[0]["lr"])
                got.append(fn(lr0, epoch, rate, interval) if len(args) > 3 else fn(lr0, epoch, rate))
                opt.step()
                sched.step()
        except (Exception, SystemExit) as e:        # noqa: BLE001 -- the user's code
            p.claim("error", False, f"raised {type(e).__name__}: {e}{where(e)}", sample)
            continue
        values = [_numbers(g) for g in got]
        if any(g is None for g in got) or any(v is None or v.size != 1 for v in values):
            bad = next((g for g, v in zip(got, values) if g is None or v is None or v.size != 1), None)
            p.claim("lr", False, NOT_WRITTEN if bad is None else f"expected one real number per epoch, got {bad!r}",
                    sample)
            continue
        p.add("lr", np.concatenate([v.ravel() for v in values]), np.asarray(want), sample)
    return p.report()


_CHECKS = {"initializer": _check_initializer, "mini_batches": _check_mini_batches, "lr_decay": _check_lr_decay}


# the notebooks' functions that are not components: listed under "Skipped" with why, beside checked ones
_LOOP = "a training loop: the functions it calls are checked where they are defined"
UNCHECKED = {"model": _LOOP, "L_layer_model": _LOOP, "two_layer_model": _LOOP, "nn_model": _LOOP,
             "optimize": "logistic regression's gradient-descent loop: propagate, which it calls, is checked",
             "predict": "a prediction from trained parameters: the forward it calls is checked",
             "predict_dec": "a prediction from trained parameters: the forward it calls is checked",
             "gradient_check": "gradient checking itself: the functions it checks are checked against torch",
             "gradient_check_n": "gradient checking itself: forward_propagation_n and backward_propagation_n are "
                                 "checked against torch",
             "layer_sizes": "reads the layer sizes off the data", "initialize_with_zeros": "zeros of a given shape",
             "dictionary_to_vector": "a reshaping helper of gradient checking",
             "vector_to_dictionary": "a reshaping helper of gradient checking",
             "gradients_to_vector": "a reshaping helper of gradient checking"}


def misnamed(name, fn, namespace):
    """Why a course 2 set-up function named as the notebook names it, but with other arguments, is not
    checked (``random_mini_batches(X_train, Y_train, ...)``), beside a recognised course function."""
    if name not in set(INITIALIZERS) | {"random_mini_batches"} | set(DECAYS) or _setup_kind(name, fn):
        return None
    if not _beside_course(name, namespace):
        return None
    want = {"random_mini_batches": "X, Y, mini_batch_size, seed", **{k: ", ".join(v[0]) for k, v in DECAYS.items()}}
    expected = want.get(name, "layers_dims" if name != "initialize_parameters" else "n_x, n_h, n_y (or layer_dims)")
    return (f"named like the course's {name}({expected}) but it takes ({', '.join(_positional(fn))}): "
            "give the notebook's argument names to have it checked")


def unchecked(name, fn, namespace):
    """Why ``name`` is not checked, when it is one of the notebooks' other functions in a file that
    holds a recognised one (so a cs231n or d2l ``predict`` is not mistaken for the course's)."""
    if name not in UNCHECKED:
        return None
    return UNCHECKED[name] if _beside_course(name, namespace) else None


def _beside_course(name, namespace):
    """Whether ``namespace`` holds a recognised course function other than ``name`` (so a cs231n or
    d2l ``predict`` or ``update_lr`` is not taken for the course's)."""
    return any(callable(v) and k != name and recognise(k, v, namespace) for k, v in namespace.items()
               if isinstance(k, str) and (k in NAMES or k == "softmax"))
