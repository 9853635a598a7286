"""``parity scan`` on Michael Nielsen's "Neural Networks and Deep Learning" (``network.py``,
``network2.py``): a class with ``feedforward(a)`` and ``backprop(x, y)`` over the lists ``weights``
(each (n_out, n_in)) and ``biases`` (each (n_out, 1)), one sample a column vector, sigmoid layers.

Checked against torch, in float64 as the book runs it, on a net of sizes 4-6-5-3 (three weight
matrices, so the backward loop over the hidden layers runs twice):

* the constructor's shapes (``weights[i]`` (n_out, n_in), ``biases[i]`` (n_out, 1));
* ``feedforward(x)``;
* ``backprop(x, y)`` -> ``(nabla_b, nabla_w)``: every array against torch's gradient of the cost and
  against finite differences of that cost of the user's own ``feedforward``. The cost: network.py's
  quadratic ``0.5 * |a - y|**2`` (``cost_derivative`` is ``a - y``); network2.py's ``cost=`` classes,
  each checked (``QuadraticCost``, ``CrossEntropyCost``: ``sum(-y log a - (1 - y) log(1 - a))``),
  with their ``fn(a, y)`` against torch's value;
* network2's ``total_cost(data, lmbda)``: the mean cost plus ``0.5 * (lmbda / len(data)) * sum(|w|**2)``;
* ``update_mini_batch(mini_batch, eta[, lmbda, n])`` (by position, whatever their names): one step on
  4 samples against torch's SGD on the mean cost, with weight decay ``lmbda / n`` on the weights only
  (network2's L2).

A class with ``feedforward`` and ``backprop`` built or called another way (``NeuralNetwork(x, y)``
with ``backprop(self)``) is listed under "Skipped" (``unlike``). Cost classes are told apart by name
(Quadratic..., CrossEntropy...), beside the network or beside its default ``cost=``.
"""
import inspect

import numpy as np
import torch

from .api import _Checks
from .compare import add_note, constant_ratio
from .report import Report
from .samples import seed_for

SIZES = (4, 6, 5, 3)
ETA, LMBDA, N_TRAIN, BATCH = 0.5, 0.1, 50, 4
FD_STEP = 1e-6
COSTS = {"quadratic": "QuadraticCost", "cross_entropy": "CrossEntropyCost"}


def recognise(cls):
    """Whether ``cls`` has ``feedforward`` and ``backprop`` methods (Nielsen's, or another tutorial's:
    ``unlike`` tells them apart)."""
    return inspect.isclass(cls) and callable(getattr(cls, "feedforward", None)) and \
        callable(getattr(cls, "backprop", None))


def unlike(cls):
    """Why a class with ``feedforward`` and ``backprop`` is not Nielsen's form (``Network(sizes)``,
    ``feedforward(a)``, ``backprop(x, y)``): another tutorial's ``NeuralNetwork(x, y)`` with
    ``backprop(self)``; None when it is."""
    def required(fn):
        try:
            ps = list(inspect.signature(fn).parameters.values())[1:]
        except (TypeError, ValueError):
            return None
        return [p.name for p in ps if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    init, ff, bp = required(cls.__init__), required(cls.feedforward), required(cls.backprop)
    if init is None or ff is None or bp is None or (len(init) == 1 and len(ff) == 1 and len(bp) == 2):
        return None
    return (f"has feedforward({', '.join(ff)}) and backprop({', '.join(bp)}) built as {cls.__name__}({', '.join(init)}), "
            "not Nielsen's Network(sizes), feedforward(a), backprop(x, y): parity scan does not know how to drive it")


def costs(cls, namespace):
    """``[(kind, cost class or None)]``: the costs to check the network with. A constructor taking
    ``cost`` gets each cost class of its module whose name says which it is; one without is
    network.py's, quadratic."""
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        params = {}
    if "cost" not in params:
        return [("quadratic", None)]
    default = params["cost"].default
    spaces = [namespace]
    if inspect.isclass(default) and inspect.getmodule(default) is not None:
        spaces.append(vars(inspect.getmodule(default)))     # cost=C.CrossEntropyCost: its siblings too
    found = {}
    for space in spaces:
        for name, c in space.items():
            if inspect.isclass(c) and callable(getattr(c, "delta", None)) and callable(getattr(c, "fn", None)):
                kind = _cost_kind(name)
                if kind and c not in found.values():
                    found.setdefault(kind, c)
    return sorted(found.items())


def _cost_kind(name):
    """quadratic or cross_entropy from a cost class's name (QuadraticCost, CrossEntropy, LogLoss...)."""
    n = name.lower()
    if "quad" in n or "mse" in n or "squared" in n:
        return "quadratic"
    if "cross" in n or "entropy" in n or "logloss" in n:
        return "cross_entropy"
    return None


def _cost_np(a, y, kind):
    return 0.5 * np.sum((a - y) ** 2) if kind == "quadratic" else \
        float(np.sum(-y * np.log(a) - (1 - y) * np.log(1 - a)))


def _cost_t(a, y, kind):
    return 0.5 * ((a - y) ** 2).sum() if kind == "quadratic" else -(y * torch.log(a) + (1 - y) * torch.log(1 - a)).sum()


def _torch_net(weights, biases):
    ws = [torch.tensor(w, requires_grad=True) for w in weights]
    bs = [torch.tensor(b, requires_grad=True) for b in biases]

    def forward(x):
        a = torch.from_numpy(x)
        for w, b in zip(ws, bs):
            a = torch.sigmoid(w @ a + b)
        return a
    return ws, bs, forward


def _draw(rng):
    weights = [rng.standard_normal((o, i)) / np.sqrt(i) for i, o in zip(SIZES[:-1], SIZES[1:])]
    biases = [0.5 * rng.standard_normal((o, 1)) for o in SIZES[1:]]
    return weights, biases


def _pair(rng, one_hot):
    x = rng.standard_normal((SIZES[0], 1))
    y = np.zeros((SIZES[-1], 1))
    if one_hot:
        y[rng.integers(SIZES[-1])] = 1.0
    else:
        y[:] = rng.uniform(0.1, 0.9, (SIZES[-1], 1))
    return x, y


def _build(cls, cost, seed):
    state = np.random.get_state()
    try:
        np.random.seed(seed % 2**32)
        return cls(list(SIZES), cost=cost) if cost is not None else cls(list(SIZES))
    finally:
        np.random.set_state(state)


def check(name, cls, namespace, seed=0):
    """One ``Report`` for the network class ``cls``, every cost it takes."""
    report = Report()
    found = costs(cls, namespace)
    for kind, cost in found:
        label = f"{name}(cost={cost.__name__})" if cost is not None else name
        for sample, one_hot in (("x (4,1), y one-hot (3,1)", True), ("x (4,1), y in (0.1, 0.9) (3,1)", False)):
            s = seed_for(seed, label, sample)
            c = _Checks(None, component=label, dtype="float64", sample=sample, shape=(SIZES[0], 1), seed=s)
            try:
                _check_one(c, cls, cost, kind, np.random.default_rng(s), one_hot, s)
            except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's code (sys.exit too)
                c.crashed(e)
            _explain(c)
            report.extend(c.report())
    return report


def _explain(c):
    """A forward that differs from the book's while every finite difference agrees: its backprop is
    right for its own network, which is not the book's sigmoid one."""
    fwd = [r for r in c.results if r.check == "forward" and not r.passed and r.max_abs > 0]
    fd = [r for r in c.results if r.check.startswith("fd:")]
    if fwd and fd and all(r.passed for r in fd):
        fwd[0].note = (fwd[0].note + "; " if fwd[0].note else "") + (
            "its backprop agrees with finite differences of its own feedforward: the network is not the book's "
            "(sigmoid layers, w @ a + b)")


def _check_one(c, cls, cost, kind, rng, one_hot, seed):
    net = _build(cls, cost, seed)
    for attr, want in (("weights", [(o, i) for i, o in zip(SIZES[:-1], SIZES[1:])]),
                       ("biases", [(o, 1) for o in SIZES[1:]])):
        held = getattr(net, attr, None)
        if not isinstance(held, (list, tuple)):
            c.fail(f"init:{attr}", f"{attr} is {type(held).__name__}; the book keeps a list of arrays, one per layer")
            return
        got = [np.shape(a) for a in held]
        if got != want:
            c.fail(f"init:{attr}", f"{attr} built for sizes {list(SIZES)} have shapes {got}; the book's are {want} "
                                   f"({'(n_out, n_in)' if attr == 'weights' else '(n_out, 1)'})")
    weights, biases = _draw(rng)
    net.weights, net.biases = [w.copy() for w in weights], [b.copy() for b in biases]
    x, y = _pair(rng, one_hot)
    ws, bs, forward = _torch_net(weights, biases)
    a_t = forward(x)
    c.add("forward", _output(net.feedforward(x.copy())), a_t.detach().numpy())
    if cost is not None and callable(getattr(cost, "fn", None)):
        a = a_t.detach().numpy()
        c.add("cost.fn", np.asarray(cost.fn(a.copy(), y.copy()), dtype=np.float64),
              _cost_t(torch.from_numpy(a), torch.from_numpy(y), kind).numpy())
    _cost_t(a_t, torch.from_numpy(y), kind).backward()
    x_before, y_before = x.copy(), y.copy()
    res = net.backprop(x, y)
    c.unchanged("x", x_before, x)
    c.unchanged("y", y_before, y)
    if not isinstance(res, (tuple, list)) or len(res) != 2:
        c.fail("error", f"backprop returned {type(res).__name__}; expected (nabla_b, nabla_w)")
        return
    nabla_b, nabla_w = res
    shapes = [[np.shape(a) for a in part] if isinstance(part, (list, tuple)) else None for part in res]
    if shapes == [[tuple(w.shape) for w in weights], [tuple(b.shape) for b in biases]]:
        c.fail("error", "backprop returned (nabla_w, nabla_b): the book's order is (nabla_b, nabla_w), as "
                        "update_mini_batch unpacks it")
        return
    for i, (w, b) in enumerate(zip(ws, bs)):
        c.add(f"grad_param:weights[{i}]", _at(nabla_w, i), w.grad.numpy())
        c.add(f"grad_param:biases[{i}]", _at(nabla_b, i), b.grad.numpy())
    ratios = [constant_ratio(_at(nabla_w, i), w.grad.numpy()) for i, w in enumerate(ws)] + \
        [constant_ratio(_at(nabla_b, i), b.grad.numpy()) for i, b in enumerate(bs)]
    if kind == "quadratic" and all(r is not None and np.isclose(r, 2.0) for r in ratios):
        for r in c.results:                         # the cost sum((a - y)**2), without the book's 1/2
            if not r.check.startswith("grad_param:"):
                continue
            add_note(r, "it is 2 times the gradient of the book's quadratic cost 0.5 * |a - y|**2: that of "
                        "sum((a - y)**2), the cost without the 1/2 (cost_derivative 2 * (a - y))?")
    # the third oracle: finite differences of the cost of its own feedforward
    for attr, grads in (("weights", nabla_w), ("biases", nabla_b)):
        for i, p in enumerate(getattr(net, attr)):
            c.add(f"fd:{attr}[{i}]", _at(grads, i), _fd(net, p, x, y, kind))
    _check_total_cost(c, net, weights, biases, kind, rng)
    _check_step(c, net, weights, biases, kind, rng)


def _check_total_cost(c, net, weights, biases, kind, rng):
    """network2's ``total_cost(data, lmbda)``: the mean cost over the data plus
    ``0.5 * (lmbda / len(data)) * sum(|w|**2)``, against torch."""
    fn = getattr(net, "total_cost", None)
    if not callable(fn):
        return
    names = [p.name for p in inspect.signature(fn).parameters.values()
             if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(names) != 2:
        return                                      # not the book's total_cost(data, lmbda[, convert])
    data = [_pair(rng, True) for _ in range(BATCH + 1)]
    net.weights, net.biases = [w.copy() for w in weights], [b.copy() for b in biases]
    ws, bs, forward = _torch_net(weights, biases)
    with torch.no_grad():
        want = sum(_cost_t(forward(x), torch.from_numpy(y), kind) for x, y in data) / len(data) \
            + 0.5 * (LMBDA / len(data)) * sum((w ** 2).sum() for w in ws)
    got = fn([(x.copy(), y.copy()) for x, y in data], LMBDA)
    c.add("total_cost", np.asarray(got, dtype=np.float64), want.numpy())


def _output(out):
    """Its network's output: what ``feedforward`` returns, or the first of a tuple it returns with the
    activations (multilayer-perceptron-from-scratch's ``(a, activations, zs)``)."""
    if isinstance(out, tuple) and out and isinstance(out[0], np.ndarray):
        return out[0]
    return out


def _at(arrays, i):
    return np.asarray(arrays[i]) if isinstance(arrays, (list, tuple)) and i < len(arrays) else None


def _fd(net, p, x, y, kind):
    grad = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        old = p[idx]
        p[idx] = old + FD_STEP
        up = _cost_np(np.asarray(_output(net.feedforward(x.copy()))), y, kind)
        p[idx] = old - FD_STEP
        down = _cost_np(np.asarray(_output(net.feedforward(x.copy()))), y, kind)
        p[idx] = old
        grad[idx] = (up - down) / (2 * FD_STEP)
    return grad


def _check_step(c, net, weights, biases, kind, rng):
    """One ``update_mini_batch`` against torch's SGD on the batch's mean cost (network2: weight decay
    lmbda / n on the weights)."""
    fn = getattr(net, "update_mini_batch", None)
    if not callable(fn):
        return
    names = [p.name for p in inspect.signature(fn).parameters.values()
             if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(names) not in (2, 4):
        return                                      # not the book's (mini_batch, eta[, lmbda, n]), by position
    values = dict(zip(names[1:], (ETA, LMBDA, N_TRAIN)))          # by position: (eta[, lmbda, n])
    batch = [_pair(rng, True) for _ in range(BATCH)]
    net.weights, net.biases = [w.copy() for w in weights], [b.copy() for b in biases]
    ws, bs, forward = _torch_net(weights, biases)
    decay = LMBDA / N_TRAIN if len(names) == 4 else 0.0
    opt = torch.optim.SGD([{"params": ws, "weight_decay": decay}, {"params": bs}], lr=ETA)
    (sum(_cost_t(forward(x), torch.from_numpy(y), kind) for x, y in batch) / BATCH).backward()
    opt.step()
    fn([(x.copy(), y.copy()) for x, y in batch], *(values[n] for n in names[1:]))
    for i, (w, b) in enumerate(zip(ws, bs)):
        c.add(f"step:weights[{i}]", _at(net.weights, i), w.detach().numpy())
        c.add(f"step:biases[{i}]", _at(net.biases, i), b.detach().numpy())

