"""A network kept as lists of neuron dicts, in plain Python: Jason Brownlee's "How to Code a Neural
Network with Backpropagation In Python (from scratch)" (Machine Learning Mastery), copied into many
courses. ``initialize_network(n_inputs, n_hidden, n_outputs)`` makes a list of layers, each a list of
``{'weights': [w_1, ..., w_n, bias]}``; ``forward_propagate(network, row)`` leaves each neuron's
``'output'`` (a sigmoid of its activation) and returns the last layer's; ``backward_propagate_error(network,
expected)`` leaves each neuron's ``'delta'``; ``update_weights(network, row, l_rate)`` steps the weights.

Checked on a network of 3 inputs, 4 hidden and 2 outputs, its weights set to random values, one row:

* ``forward``: the outputs against torch's two sigmoid layers;
* ``delta:layer<i>``: each layer's deltas against torch's gradient of ``0.5 * sum((out - expected)**2)``
  in that layer's activations (the tutorial's first version keeps ``expected - output``, the negative:
  the sign is read from the output layer's deltas and held for the rest);
* ``update:layer<i>``: the weights after ``update_weights`` at rate 0.5 against torch's SGD step, and
  ``fd:layer<i>``: the gradient that step implies against finite differences of its own forward;
* the row unchanged.
"""
import inspect
import random

import numpy as np
import torch

from .api import _Checks
from .samples import seed_for

NAMES = ("forward_propagate", "backward_propagate_error")
D, H, C = 3, 4, 2
LR = 0.5
USER = (Exception, SystemExit, GeneratorExit)


def _takes(fn, n):
    try:
        ps = [p for p in inspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY,
                                                                                 p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    return len([p for p in ps if p.default is p.empty]) <= n <= len(ps)


def recognise(name, namespace):
    """Whether ``name`` is the tutorial's ``backward_propagate_error(network, expected)`` beside its
    ``forward_propagate(network, row)`` (``update_weights`` and ``initialize_network`` are read beside
    them too)."""
    fwd, back = (namespace.get(n) for n in NAMES)
    return name == NAMES[1] and inspect.isfunction(fwd) and inspect.isfunction(back) and _takes(fwd, 2) \
        and _takes(back, 2)


def checked_through(name, namespace):
    """The functions checked through the network's check (not components of their own)."""
    return name in ("forward_propagate", "update_weights", "initialize_network", "activate", "transfer",
                    "transfer_derivative", "train_network", "predict") and recognise(NAMES[1], namespace)


def _network(namespace, w1, w2):
    """The user's network (``initialize_network`` where there is one: its containers), weights set to ours."""
    init = namespace.get("initialize_network")
    net = None
    if inspect.isfunction(init) and _takes(init, 3):
        state = random.getstate()
        try:
            random.seed(0)
            net = init(D, H, C)
        finally:
            random.setstate(state)
        if not (isinstance(net, list) and len(net) == 2 and [len(layer) for layer in net] == [H, C] and all(
                isinstance(n, dict) and len(n.get("weights", ())) == w.shape[1] for layer, w in zip(net, (w1, w2))
                for n in layer)):
            raise ValueError(f"initialize_network({D}, {H}, {C}) made {_shape(net)}: expected a list of 2 layers of "
                             f"{H} and {C} neuron dicts, each {{'weights': [{D} or {H} weights, then the bias]}}")
    net = net or [[{"weights": []} for _ in range(H)], [{"weights": []} for _ in range(C)]]
    for layer, w in zip(net, (w1, w2)):
        for neuron, row in zip(layer, w):
            kept = neuron.get("weights")
            neuron["weights"] = np.array(row) if isinstance(kept, np.ndarray) else [float(v) for v in row]
    return net


def _shape(net):
    if isinstance(net, list):
        return "a list of " + ", ".join(f"{len(x)}" if isinstance(x, list) else type(x).__name__ for x in net)
    return type(net).__name__


def _reference(w1, w2, x, expected):
    """``(out, [dL/dz1, dL/dz2], [dL/dW1, dL/dW2])`` from torch, the bias the weights' last column."""
    t1, t2 = (torch.tensor(w, requires_grad=True) for w in (w1, w2))
    xt = torch.tensor(x)
    z1 = t1[:, :-1] @ xt + t1[:, -1]
    z1.retain_grad()
    h = torch.sigmoid(z1)
    z2 = t2[:, :-1] @ h + t2[:, -1]
    z2.retain_grad()
    out = torch.sigmoid(z2)
    (0.5 * ((out - torch.tensor(expected)) ** 2).sum()).backward()
    return out.detach().numpy(), [z1.grad.numpy(), z2.grad.numpy()], [t1.grad.numpy(), t2.grad.numpy()]


def check(label, namespace, seed=0):
    s = seed_for(seed, label, "row")
    c = _Checks(None, component=label, dtype="float64", sample=f"one row, {D}-{H}-{C} sigmoid layers",
                shape=(D,), seed=s)
    rng = np.random.default_rng(s)
    w1, w2 = rng.uniform(-1, 1, (H, D + 1)), rng.uniform(-1, 1, (C, H + 1))
    x = rng.standard_normal(D)
    label_ = 1
    expected = [0.0] * C
    expected[label_] = 1.0
    state, np_state = random.getstate(), np.random.get_state()
    try:
        _check(c, namespace, w1, w2, x, label_, expected)
    except USER as e:                               # noqa: BLE001 -- the user's code
        c.crashed(e)
    finally:                                        # its generators as they were (the user's code may seed them)
        random.setstate(state)
        np.random.set_state(np_state)
    return c.report()


def _weights(net):
    return [np.array([np.asarray(n["weights"], dtype=np.float64) for n in layer]) for layer in net]


def _check(c, ns, w1, w2, x, label, expected):
    out, dz, dw = _reference(w1, w2, x, expected)
    net = _network(ns, w1, w2)
    row = [float(v) for v in x] + [label]
    row_in = list(row)
    got = ns[NAMES[0]](net, row_in)
    c.add("forward", np.asarray(got, dtype=np.float64), out)
    c.results[-1].reference = "torch (two layers, each sigmoid(W x + bias), the bias the last weight)"
    ns[NAMES[1]](net, list(expected))
    c.unchanged("the row", np.array(row[:-1]), np.array(row_in[:-1]))
    deltas = [np.array([float(n.get("delta", np.nan)) for n in layer]) for layer in net]
    sign = -1.0 if np.sum((deltas[1] + dz[1]) ** 2) < np.sum((deltas[1] - dz[1]) ** 2) else 1.0
    for i in (1, 0):
        c.add(f"delta:layer{i}", sign * deltas[i], dz[i])
        c.results[-1].reference = ("torch (dL/dz of 0.5 * sum((out - expected)**2) in the layer's activations" +
                                   (", its sign as the output layer's: expected - output)" if sign < 0 else ")"))
    upd = ns.get("update_weights")
    if not (inspect.isfunction(upd) and _takes(upd, 3)):
        return
    before = _weights(net)
    upd(net, list(row), LR)
    after = _weights(net)
    for i in (0, 1):
        c.add(f"update:layer{i}", after[i], before[i] - LR * dw[i])
        c.results[-1].reference = f"torch (its SGD step at l_rate={LR})"

    def loss(i, w):
        trial = _network(ns, *(w if j == i else before[j] for j in (0, 1)))
        o = np.asarray(ns[NAMES[0]](trial, list(row)), dtype=np.float64)
        return 0.5 * np.sum((o - np.asarray(expected)) ** 2)
    for i in (0, 1):
        fd = np.zeros_like(before[i])
        for idx in np.ndindex(fd.shape):
            up, down = before[i].copy(), before[i].copy()
            up[idx] += 1e-6
            down[idx] -= 1e-6
            fd[idx] = (loss(i, up) - loss(i, down)) / 2e-6
        c.add(f"fd:layer{i}", (before[i] - after[i]) / LR, fd)
        c.results[-1].reference = "finite differences of its own forward (the gradient its update implies)"
