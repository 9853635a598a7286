"""``parity scan`` on Tariq Rashid's "Make Your Own Neural Network": ``neuralNetwork(inputnodes,
hiddennodes, outputnodes, learningrate)`` with the weights ``wih`` (hidden, input) and ``who`` (output,
hidden), no biases, sigmoid layers, ``query(inputs_list)`` and ``train(inputs_list, targets_list)``, one
sample at a time, given as lists (column vectors inside).

Checked against torch, in float64, on a 4-5-3 network (the weights found by their shapes, whatever
their names):

* ``query(x)`` against the two sigmoid layers;
* one ``train(x, t)`` against torch's SGD step at the constructor's learning rate on the cost
  ``0.5 * sum((t - o)**2)``, whose negative gradient in ``o`` is the book's error ``t - o``: both
  weight matrices after the step.

The book sends the error back to ``wih`` as ``who.T @ (t - o)`` ("split by the weights"), without the
output layer's derivative ``o * (1 - o)``: not the gradient of its cost. Its ``wih`` step fails, and
the failure says that this is what it computes.
"""
import inspect

import numpy as np
import torch

from .api import _Checks
from .compare import add_note
from .report import Report
from .samples import seed_for

SIZES = (4, 5, 3)
LR = 0.3


def recognise(cls):
    """Whether ``cls`` is built as ``(inputs, hidden, outputs, learning rate)`` and has ``train(inputs,
    targets)`` and ``query(inputs)``."""
    def required(fn):
        try:
            ps = list(inspect.signature(fn).parameters.values())[1:]
        except (TypeError, ValueError):
            return None
        return [p for p in ps if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not inspect.isclass(cls) or not all(callable(getattr(cls, m, None)) for m in ("train", "query")):
        return False
    init, train, query = required(cls.__init__), required(cls.train), required(cls.query)
    return init is not None and train is not None and query is not None and \
        len(init) == 4 and len(train) == 2 and len(query) == 1


def _build(cls, seed):
    state = np.random.get_state()
    try:
        np.random.seed(seed % 2**32)
        return cls(*SIZES, LR)
    finally:
        np.random.set_state(state)


def _weights(net):
    """The names of its (hidden, input) and (output, hidden) arrays, or None where not one of each."""
    i, h, o = SIZES
    found = {}
    for k, v in vars(net).items():
        if isinstance(v, np.ndarray) and v.shape in ((h, i), (o, h)):
            found.setdefault(v.shape, []).append(k)
    if [len(found.get(s, ())) for s in ((h, i), (o, h))] != [1, 1]:
        return None
    return found[(h, i)][0], found[(o, h)][0]


def check(name, cls, seed=0):
    """One ``Report`` for the network class ``cls``: two samples, a target one-hot as the book's (0.01
    and 0.99) and one of numbers in (0.1, 0.9)."""
    report = Report()
    for sample, one_hot in (("x (4,) in [0.01, 1], t one-hot 0.01/0.99 (3,)", True),
                            ("x (4,) in [0.01, 1], t in (0.1, 0.9) (3,)", False)):
        s = seed_for(seed, name, sample)
        c = _Checks(None, component=name, dtype="float64", sample=sample, shape=(SIZES[0],), seed=s)
        try:
            _check_one(c, cls, np.random.default_rng(s), one_hot, s)
        except (Exception, SystemExit) as e:        # noqa: BLE001 -- the user's code (sys.exit too)
            c.crashed(e)
        report.extend(c.report())
    return report


def _check_one(c, cls, rng, one_hot, seed):
    net = _build(cls, seed)
    names = _weights(net)
    if names is None:
        i, h, o = SIZES
        c.fail("init", f"built as {type(net).__name__}{SIZES + (LR,)}, it holds no one ({h}, {i}) and one ({o}, {h}) "
                       f"array: the book's wih (hidden, input) and who (output, hidden)")
        return
    first, second = names
    w1 = rng.normal(0.0, SIZES[0] ** -0.5, (SIZES[1], SIZES[0]))
    w2 = rng.normal(0.0, SIZES[1] ** -0.5, (SIZES[2], SIZES[1]))
    setattr(net, first, w1.copy())
    setattr(net, second, w2.copy())
    x = rng.uniform(0.01, 1.0, SIZES[0])
    t = np.full(SIZES[2], 0.01)
    if one_hot:
        t[rng.integers(SIZES[2])] = 0.99
    else:
        t = rng.uniform(0.1, 0.9, SIZES[2])
    W1, W2 = torch.tensor(w1, requires_grad=True), torch.tensor(w2, requires_grad=True)
    xt, tt = torch.from_numpy(x.reshape(-1, 1)), torch.from_numpy(t.reshape(-1, 1))
    h = torch.sigmoid(W1 @ xt)
    o = torch.sigmoid(W2 @ h)
    got = net.query(list(x))
    c.add("forward", None if got is None else np.asarray(got, dtype=np.float64).reshape(-1, 1)
          if np.size(got) == SIZES[2] else np.asarray(got), o.detach().numpy())
    (0.5 * ((tt - o) ** 2).sum()).backward()
    lr = float(getattr(net, "lr", LR))
    want1, want2 = (w1 - lr * W1.grad.numpy(), w2 - lr * W2.grad.numpy())
    net.train(list(x), list(t))
    c.add(f"step:{second}", getattr(net, second), want2)
    c.add(f"step:{first}", getattr(net, first), want1)
    if not c.results[-1].passed:
        hn, on = h.detach().numpy(), o.detach().numpy()
        split = w1 + lr * ((w2.T @ (t.reshape(-1, 1) - on)) * hn * (1 - hn)) @ x.reshape(1, -1)
        if np.allclose(getattr(net, first), split, rtol=1e-9, atol=1e-12):
            add_note(c.results[-1], f"the error sent back to {first} is {second}.T @ (t - o), without the output "
                                    f"layer's derivative o * (1 - o) (the book's errors 'split by the weights'): not "
                                    f"the gradient of its cost; backpropagation sends {second}.T @ ((t - o) * o * (1 - o))")
