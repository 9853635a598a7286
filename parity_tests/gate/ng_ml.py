"""Andrew Ng's Machine Learning course (Coursera), its exercises as their Python ports write them: the cost
functions that return ``(J, grad)`` for an optimizer, ``costFunction(theta, X, y)`` and
``costFunctionReg(theta, X, y, lambda_)`` (ex2: logistic regression; ex3's ``lrCostFunction`` is the same),
``linearRegCostFunction(X, y, theta, lambda_)`` (ex5) and ``computeCost(X, y, theta)`` (ex1, J only), and
ex4's ``nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_)``: J
against torch's cost and ``grad`` against autograd's gradient and finite differences of its own J, the
arguments unchanged (theta[0], the bias, is not regularised, in the caller's theta or anywhere else).
In float64, as the course runs them; X with its column of ones, theta and y one-dimensional as the ports
have them (as columns when that is what the function takes). ``sigmoidGradient(z)`` is forward_only's
``sigmoid_prime`` under another name."""
import inspect

import numpy as np
import torch
import torch.nn.functional as F

from .api import _Checks, where
from .compare import add_note, constant_ratio
from .report import Report
from .samples import seed_for

# name -> (its arguments' names up to the data, the model, regularised, returns the gradient)
COSTS = {"costFunction": (("theta", "x", "y"), "logistic", False, True),
         "costFunctionReg": (("theta", "x", "y"), "logistic", True, True),
         "lrCostFunction": (("theta", "x", "y"), "logistic", True, True),
         "linearRegCostFunction": (("x", "y", "theta"), "linear", True, True),
         "computeCost": (("x", "y", "theta"), "linear", False, False),
         "computeCostMulti": (("x", "y", "theta"), "linear", False, False)}
NN = ("nn_params", "input_layer_size", "hidden_layer_size", "num_labels", "x", "y")
LAMBDA = 1.3
# the course's other functions: not checked, said so
UNCHECKED = {n: f"Andrew Ng's Machine Learning course's {n}: {why}; not checked by parity scan" for n, why in {
    "randInitializeWeights": "a random initialiser", "debugInitializeWeights": "a fixed initialiser for its tests",
    "computeNumericalGradient": "its finite differences", "checkNNGradients": "its gradient check",
    "gradientDescent": "a training loop", "gradientDescentMulti": "a training loop", "oneVsAll": "a training loop",
    "predictOneVsAll": "a prediction", "featureNormalize": "a data set-up"}.items()}


def _positional(fn):
    try:
        return [p.name.lower() for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def recognise(name, fn):
    """``"cost"`` or ``"nn_cost"`` when ``fn`` is the course's ``name`` (its arguments as the exercise names
    them), a reason to skip it when it is named so but takes others or is not checked, else None."""
    if name in UNCHECKED:
        return UNCHECKED[name]
    args = _positional(fn)
    if name in COSTS:
        want, _, reg, _ = COSTS[name]
        if args[:3] == list(want) and len(args) >= 3 + reg:
            return "cost"
        return (f"named like Andrew Ng's Machine Learning course's {name}({', '.join(want)}"
                f"{', lambda_' if reg else ''}) but it takes ({', '.join(args)})")
    if name == "nnCostFunction":
        if args[:6] == list(NN):
            return "nn_cost"
        return (f"named like Andrew Ng's Machine Learning course's nnCostFunction({', '.join(NN)}, lambda_) but it "
                f"takes ({', '.join(args)})")
    return None


def _call(c, fn, args):
    try:
        return fn(*args)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 -- the user's code
        c.crashed(exc)
        return None


def _split(c, name, res, with_grad):
    """``(J, grad)`` from what the cost function returned, or None (a failure said)."""
    if not with_grad:
        return res, None
    if isinstance(res, (tuple, list)) and len(res) == 2:
        return res
    c.fail("error", f"{name} returned {type(res).__name__}; expected (J, grad)")
    return None


def _compare(c, name, fn, args, p, J_t, grad_t, with_grad, before, names):
    """J and grad against torch's, grad against finite differences of its own J at ``args[p]``, the
    arguments unchanged."""
    from .model_check import _fd
    res = _call(c, fn, args)
    got = None if res is None else _split(c, name, res, with_grad)
    if got is not None:
        J, grad = got
        c.add("loss", None if J is None else np.asarray(J, dtype=np.float64).reshape(()) if np.size(J) == 1
              else np.asarray(J), J_t)
        if with_grad:
            c.add(f"grad_param:{names[p]}", grad, grad_t.reshape(np.shape(args[p])))
            ratio = None if c.results[-1].passed else constant_ratio(grad, grad_t.reshape(np.shape(args[p])), 1e-6)
            if ratio is not None:
                m = np.shape(args[names.index("X")])[0]
                add_note(c.results[-1], f"it is {ratio:.6g} times torch's gradient"
                                        + (f" (m={m}: the 1/m missing?)" if np.isclose(ratio, m) else ""))
    for k, (old, new) in enumerate(zip(before, args)):
        if isinstance(old, np.ndarray):
            c.unchanged(f"the argument {names[k]}", old, new)
            new[...] = old                          # the next call starts from the caller's values
    if got is not None and with_grad and grad is not None and np.size(grad) == np.size(args[p]):
        def cost():
            out = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
            return float(np.squeeze(out[0] if with_grad else out))
        try:
            _fd(c, names[p], cost, args[p], np.asarray(grad, dtype=np.float64).reshape(np.shape(args[p])),
                np.random.default_rng(0))
        except (Exception, SystemExit) as e:  # noqa: BLE001 -- the user's code
            c.fail(f"fd:{names[p]}", f"raised {type(e).__name__}: {e}{where(e)}")


def check(name, fn, kind, seed=0):
    return _check_nn(name, fn, seed) if kind == "nn_cost" else _check_cost(name, fn, seed)


def _check_cost(name, fn, seed):
    """J (and grad) of a logistic or linear regression's cost, theta one-dimensional (or a column)."""
    order, model, reg, with_grad = COSTS[name]
    reports = []
    m, n = 9, 3
    for layout in ("1-D", "columns"):
        report = Report()
        sample = f"X ({m},{n + 1}) with its ones column, theta and y {layout}" + (f", lambda {LAMBDA}" if reg else "")
        s = seed_for(seed, name, sample)
        rng = np.random.default_rng(s)
        X = np.concatenate([np.ones((m, 1)), rng.standard_normal((m, n))], axis=1)
        theta = 0.5 * rng.standard_normal(n + 1)
        y = (rng.random(m) < 0.5).astype(np.float64) if model == "logistic" else rng.standard_normal(m)
        tt = torch.tensor(theta, requires_grad=True)
        z = torch.from_numpy(X) @ tt
        yt = torch.from_numpy(y)
        J_t = F.binary_cross_entropy(torch.sigmoid(z), yt) if model == "logistic" else ((z - yt) ** 2).sum() / (2 * m)
        if reg:
            J_t = J_t + LAMBDA / (2 * m) * (tt[1:] ** 2).sum()
        J_t.backward()
        if layout == "columns":
            theta, y = theta[:, None], y[:, None]
        data = {"theta": theta, "x": X, "y": y}
        args = [data[k] for k in order] + ([LAMBDA] if reg else [])
        arrays = args[:3]
        c = _Checks(None, component=name, dtype="float64", sample=sample, shape=X.shape, seed=s)
        _compare(c, name, fn, args, order.index("theta"), J_t.detach().numpy(), tt.grad.numpy(), with_grad,
                 [a.copy() for a in arrays], [k if k != "x" else "X" for k in order])
        report.extend(c.report())
        reports.append(report)
        if report.passed:
            return report                           # one-dimensional (as the ports), or as columns (Octave's)
    return reports[0]                               # right in neither: its failures one-dimensional


NN_SAMPLES = [(0.0, "lambda 0"), (LAMBDA, f"lambda {LAMBDA}")]


def _nn_cost(params, n, h, K, X, y, lam, first):
    """Torch's cost of ex4's network: Theta1 (h, n+1), Theta2 (K, h+1) unrolled in ``params``, sigmoid
    layers, labels one-hot from ``first`` (0 or 1), the bias columns not regularised."""
    T1 = params[:h * (n + 1)].reshape(h, n + 1)
    T2 = params[h * (n + 1):].reshape(K, h + 1)
    ones = torch.ones(X.shape[0], 1, dtype=torch.float64)
    a2 = torch.sigmoid(torch.cat([ones, X], 1) @ T1.T)
    a3 = torch.sigmoid(torch.cat([ones, a2], 1) @ T2.T)
    Y = F.one_hot(torch.from_numpy(y - first), K).double()
    m = X.shape[0]
    return F.binary_cross_entropy(a3, Y, reduction="sum") / m + lam / (2 * m) * (
        (T1[:, 1:] ** 2).sum() + (T2[:, 1:] ** 2).sum())


def _check_nn(name, fn, seed):
    """ex4's ``nnCostFunction``: J and the unrolled gradient, labels in 1..K-1 (so that both 0..K-1, the
    Python port's ``np.eye(num_labels)[y]``, and the Octave course's 1..K run); it is judged against the
    reading its J agrees with."""
    report = Report()
    n, h, K, m = 4, 5, 4, 8
    for lam, sample in NN_SAMPLES:
        sample = f"X ({m},{n}), {n}-{h}-{K}, labels 1..{K - 1}, {sample}"
        s = seed_for(seed, name, sample)
        rng = np.random.default_rng(s)
        X = rng.standard_normal((m, n))
        y = rng.integers(1, K, m)
        params = 0.5 * rng.standard_normal(h * (n + 1) + K * (h + 1))
        c = _Checks(None, component=name, dtype="float64", sample=sample, shape=X.shape, seed=s)
        refs = []
        for first in (0, 1):
            pt = torch.tensor(params, requires_grad=True)
            J_t = _nn_cost(pt, n, h, K, torch.from_numpy(X), y, lam, first)
            J_t.backward()
            refs.append((J_t.detach().numpy(), pt.grad.numpy()))
        try:
            J = float(np.squeeze(fn(params.copy(), n, h, K, X.copy(), y.copy(), lam)[0]))
        except Exception:  # noqa: BLE001 -- said by the check below
            J = None
        first = 1 if J is not None and np.isclose(J, refs[1][0], rtol=1e-8) and not np.isclose(J, refs[0][0]) else 0
        args = [params, n, h, K, X, y, lam]
        _compare(c, name, fn, args, 0, *refs[first], True, [params.copy(), n, h, K, X.copy(), y.copy()],
                 ["nn_params", "input_layer_size", "hidden_layer_size", "num_labels", "X", "y"])
        for r in c.results:
            if r.check.endswith(":nn_params") and not r.passed and len(r.index or ()) == 1:
                i = int(r.index[0])                 # the worst element as the Theta it unrolls from
                which, (rows, cols), j = ("Theta1", (h, n + 1), i) if i < h * (n + 1) else \
                    ("Theta2", (K, h + 1), i - h * (n + 1))
                add_note(r, f"nn_params[{i}] is {which}[{j // cols}, {j % cols}]"
                            + (" (its bias column, which is not regularised)" if j % cols == 0 else ""))
        if first:
            for r in c.results:
                r.extra["says"] = "its labels 1..K, as the Octave course's (y == k)"
        report.extend(c.report())
    return report
