"""Gate rows for what is not a layer, a loss or an optimizer trajectory: the initialisers and
``gain`` against ``torch.nn.init``, ``l2_penalty`` against weight decay, every model kind's
``model.loss`` (data loss plus penalty, every parameter gradient) against its mirror, each classic
convention against the torch form docs/CONVENTIONS.md predicts for it, the trainer's shuffling,
the checkpoint round trip and the preprocessing statistics.

``PropertyInfo(name, fn, what)`` follows the registry's entry protocol (``name``, ``kind``, ``doc``,
``cases(dtypes, seed)``, ``run(case)`` -> ``Report``, ``docs_row()``); ``fn(dtype, seed)`` returns
the ``Report``. Statistical checks use fixed seeds and 5-sigma (or alpha = 1e-6) limits, so a
correct implementation passes for any seed with overwhelming probability and a 5% error fails.
"""
import contextlib
import math
import os
import tempfile
from dataclasses import dataclass
from typing import Callable
from unittest import mock

import numpy as np
import torch
import torch.nn.functional as F

from numpy_impl import init, losses
from numpy_impl.layers import BatchNorm2d, Dropout
from numpy_impl.optim import SGD, Adam

from .compare import CheckResult, compare, failed
from .report import Report
from .tolerance import tolerance_for


class Props:
    """Collects the results of one property run (one component name, one dtype, one seed)."""

    def __init__(self, component, dtype, seed):
        self.component, self.dtype, self.seed, self.results = component, np.dtype(dtype).name, seed, []

    def _meta(self, check, sample, shape=()):
        return dict(component=self.component, check=check, dtype=self.dtype, sample=sample, shape=tuple(shape),
                    seed=self.seed)

    def add(self, check, actual, expected, sample="", reference="torch"):
        """``actual`` against ``expected`` under the one tolerance policy of ``self.dtype``."""
        actual = np.asarray(actual)
        self.results.append(compare(actual, np.asarray(expected), tolerance_for(self.dtype, check),
                                    reference=reference, **self._meta(check, sample, actual.shape)))

    def claim(self, check, ok, note, sample=""):
        """A yes/no property; ``note`` says what was expected (shown when it fails)."""
        self.results.append(CheckResult(passed=bool(ok), note=note, **self._meta(check, sample)) if ok
                            else failed(note, **self._meta(check, sample)))

    def within(self, check, value, limit, note, sample=""):
        """A statistic ``value`` >= 0 that must stay at or below ``limit``."""
        r = CheckResult(passed=bool(value <= limit), max_abs=float(value), max_rel=float(value), total=1,
                        mismatches=int(not value <= limit), tolerance=f"<= {limit:.3g}",
                        note=f"{note}: {value:.4g}, limit {limit:.3g}", extra={"statistic": True},
                        **self._meta(check, sample))
        self.results.append(r)

    def report(self):
        return Report(self.results)


@contextlib.contextmanager
def torch_seed(seed):
    """torch draws from ``seed`` without touching the caller's global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) % 2**63)
        yield


@dataclass
class PropertyInfo:
    name: str
    fn: Callable                     # (dtype, seed) -> Report
    what: str                        # what it covers, for the docs table
    kind: str = "property"
    dtypes: tuple = ("float64", "float32")
    doc: str = ""

    def cases(self, dtypes=("float64", "float32"), seed=0):
        from .registry import Case
        return [Case(self, None, d, seed) for d in dtypes if d in self.dtypes]

    def run(self, case):
        try:
            return self.fn(case.dtype, case.seed)
        except Exception as exc:     # a crash is a failure of that property, reported like any other
            from .api import where
            return Report([failed(f"raised {type(exc).__name__}: {exc}{where(exc)}", component=self.name,
                                  check="error", dtype=case.dtype, seed=case.seed)])

    def docs_row(self):
        return {"component": self.name, "kind": self.kind, "what": self.what,
                "count": "/".join(d.replace("float", "f") for d in self.dtypes), "doc": self.doc}


# ---------------------------------------------------------------- initialisers
def _ks(a, b):
    """Two-sample Kolmogorov-Smirnov statistic."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, grid, side="right") / a.size
                               - np.searchsorted(b, grid, side="right") / b.size)))


# (NumPy shape, layout, torch shape): the NumPy Linear weight (in, out) is torch's (out, in) transposed
LAYOUTS = [((600, 200), "linear", (200, 600)), ((64, 16, 3, 3), "torch", (64, 16, 3, 3))]
NONLINEARITIES = [("relu", None), ("leaky_relu", 0.2), ("tanh", None), ("linear", None), ("sigmoid", None),
                  ("selu", None)]


def _init_cases():
    """(name, numpy fn(shape, rng, dtype, layout), torch fn(tensor) in place)."""
    out = [("xavier_normal", lambda s, r, d, l: init.xavier_normal(s, r, d, l), torch.nn.init.xavier_normal_),
           ("xavier_normal gain=5/3", lambda s, r, d, l: init.xavier_normal(s, r, d, l, gain_=5 / 3),
            lambda t: torch.nn.init.xavier_normal_(t, gain=5 / 3)),
           ("xavier_uniform", lambda s, r, d, l: init.xavier_uniform(s, r, d, l), torch.nn.init.xavier_uniform_),
           ("xavier_uniform gain=2", lambda s, r, d, l: init.xavier_uniform(s, r, d, l, gain_=2.0),
            lambda t: torch.nn.init.xavier_uniform_(t, gain=2.0)),
           ("he_normal", lambda s, r, d, l: init.he_normal(s, r, d, l),
            lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu")),
           ("lecun_normal (classic 'Xavier')", lambda s, r, d, l: init.classic_xavier(s, r, d, l),
            lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="linear")),
           ("normal std=0.01", lambda s, r, d, l: init.normal(s, r, d, l, std=0.01),
            lambda t: torch.nn.init.normal_(t, 0.0, 0.01)),
           ("uniform(-0.5, 2)", lambda s, r, d, l: init.uniform(s, r, d, l, a=-0.5, b=2.0),
            lambda t: torch.nn.init.uniform_(t, -0.5, 2.0))]
    for fn_name in ("kaiming_normal", "kaiming_uniform"):
        for mode in ("fan_in", "fan_out"):
            for nl, a in NONLINEARITIES:
                kw = dict(mode=mode, nonlinearity=nl, a=0.0 if a is None else a)
                np_fn = getattr(init, fn_name)
                t_fn = getattr(torch.nn.init, fn_name + "_")
                out.append((f"{fn_name} {mode} {nl}{'' if a is None else f' a={a}'}",
                            lambda s, r, d, l, f=np_fn, kw=kw: f(s, r, d, l, **kw),
                            lambda t, f=t_fn, kw=kw: f(t, **kw)))
        # torch's own defaults, nothing passed, and ``a`` alone (torch's Linear and Conv init is
        # ``kaiming_uniform_(w, a=sqrt(5))``): a default that differs from torch's shows here
        for a in (None, math.sqrt(5), 0.2):
            kw = {} if a is None else {"a": a}
            out.append((f"{fn_name} torch defaults{'' if a is None else f' a={a:.3g}'}",
                        lambda s, r, d, l, f=getattr(init, fn_name), kw=kw: f(s, r, d, l, **kw),
                        lambda t, f=getattr(torch.nn.init, fn_name + "_"), kw=kw: f(t, **kw)))
    return out


def init_distributions(dtype, seed):
    """Each initialiser draws from torch's distribution: fans as torch reads them, mean and std within
    5 sigma of torch's sample, the two samples one distribution (KS at alpha = 1e-6), dtype kept."""
    p = Props("init", dtype, seed)
    from torch.nn.init import _calculate_fan_in_and_fan_out
    for k, (name, np_fn, t_fn) in enumerate(_init_cases()):
        for np_shape, layout, t_shape in LAYOUTS:
            sample = f"{name} {layout} {np_shape}"
            fans = init.fans(np_shape, layout)
            p.claim("fans", fans == _calculate_fan_in_and_fan_out(torch.empty(t_shape)),
                    f"fans {fans}, torch reads {_calculate_fan_in_and_fan_out(torch.empty(t_shape))}", sample)
            w = np_fn(np_shape, np.random.default_rng([seed, k]), np.dtype(dtype), layout)
            p.claim("dtype", w.dtype == np.dtype(dtype) and w.shape == np_shape,
                    f"wanted {dtype} {np_shape}, got {w.dtype} {w.shape}", sample)
            with torch_seed(seed * 7919 + k):
                t = t_fn(torch.empty(t_shape, dtype=torch.float64)).numpy().ravel()
            w = w.astype(np.float64).ravel()
            n, sd = w.size, t.std()
            p.within("mean", abs(w.mean() - t.mean()) / sd, 5 * math.sqrt(2 / n), "|mean - torch mean| / torch std",
                     sample)
            p.within("std", abs(w.std() / sd - 1), 5 * math.sqrt(1 / n) + 1e-6, "|std / torch std - 1|", sample)
            p.within("distribution", _ks(w, t), 2.69 * math.sqrt(2 / n), "KS statistic against torch's sample",
                     sample)
    return p.report()


def gains(dtype, seed):
    """``init.gain`` is ``torch.nn.init.calculate_gain`` for every nonlinearity and parameter."""
    p = Props("init.gain", dtype, seed)
    cases = [(nl, None) for nl in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "tanh", "relu", "selu")]
    cases += [("leaky_relu", a) for a in (None, 0.0, 0.01, 0.2, 0.5, 1.0, 3.0)]
    for nl, a in cases:
        p.add("calculate_gain", np.float64(init.gain(nl, a)), np.float64(torch.nn.init.calculate_gain(nl, a)),
              sample=f"{nl}{'' if a is None else f' param={a}'}")
    return p.report()


# ---------------------------------------------------------------- L2 and the classic conventions
def l2_is_weight_decay(dtype, seed):
    """``l2_penalty(params, reg)`` is ``reg * sum(W**2)`` over the weights only, its gradient is
    torch autograd's, and one SGD step on it equals torch's SGD with ``weight_decay = 2 * reg``."""
    p = Props("l2_penalty", dtype, seed)
    rng = np.random.default_rng(seed)
    params = {"0.W": rng.standard_normal((5, 3)).astype(dtype), "0.b": rng.standard_normal(3).astype(dtype),
              "1.W": rng.standard_normal((3, 2)).astype(dtype), "1.gamma": rng.standard_normal(2).astype(dtype)}
    before = {k: v.copy() for k, v in params.items()}
    for reg in (0.1, 2.5e-3):
        sample = f"reg={reg}"
        pen, grads = losses.l2_penalty(params, reg)
        ts = {k: torch.tensor(v, requires_grad=True) for k, v in params.items() if k.endswith("W")}
        tpen = reg * sum((t ** 2).sum() for t in ts.values())
        tpen.backward()
        p.add("penalty", np.float64(pen), tpen.detach().numpy(), sample)
        p.claim("weights only", set(grads) == set(ts), f"gradients for {sorted(grads)}, wanted {sorted(ts)}", sample)
        for k, t in ts.items():
            p.add(f"grad:{k}", grads[k], t.grad.numpy(), sample)
            w = torch.tensor(params[k], requires_grad=True)
            w.grad = torch.zeros_like(w)
            torch.optim.SGD([w], lr=0.3, weight_decay=2 * reg).step()
            p.add(f"= weight_decay 2*reg:{k}", params[k] - 0.3 * grads.get(k, 0), w.detach().numpy(), sample)
    p.claim("no_mutation", all(np.array_equal(before[k], params[k]) for k in params), "l2_penalty changed params")
    return p.report()


def batchnorm_classic(dtype, seed):
    """``convention="classic"`` starts at 0 with momentum 0.9 (the old value's weight); from torch's
    start (var 1) its running_mean equals torch's ``nn.BatchNorm2d`` and its running_var is torch's
    minus exactly ``0.1 * (unbiased var - biased var)`` after every step."""
    p = Props("BatchNorm classic", dtype, seed)
    rng = np.random.default_rng(seed)
    c = BatchNorm2d(3, convention="classic", dtype=dtype)
    p.claim("start", c.momentum == 0.9 and not c.buffers["running_var"].any() and not c.buffers["running_mean"].any(),
            f"classic starts at momentum 0.9, running stats 0; got momentum {c.momentum}, "
            f"running_var {c.buffers['running_var']}")
    c.buffers["running_var"][...] = 1                 # torch's start
    tb = torch.nn.BatchNorm2d(3, affine=False, momentum=0.1).to(torch.float64 if dtype == "float64" else torch.float32)
    for step in range(3):
        x = (rng.standard_normal((4, 3, 3, 5)) * (1 + step)).astype(dtype)
        c.forward(x, training=True)
        xt = torch.tensor(x)
        tb(xt)
        if step == 0:
            unbiased, biased = xt.var(dim=(0, 2, 3)), xt.var(dim=(0, 2, 3), unbiased=False)
            p.add("running_var = torch - 0.1*(unbiased - biased)", c.buffers["running_var"],
                  (tb.running_var - 0.1 * (unbiased - biased)).numpy(), sample="after 1 step")
        p.add("running_mean = torch", c.buffers["running_mean"], tb.running_mean.numpy(), sample=f"step {step + 1}")
    return p.report()


def dropout_classic(dtype, seed):
    """``Dropout(p, inverted=False)`` is exactly torch's inverted dropout times ``1 - p``, with the
    same mask, in training and in eval, forward and backward."""
    p = Props("Dropout classic", dtype, seed)
    rng = np.random.default_rng(seed)
    for prob in (0.3, 0.5):
        sample = f"p={prob}"
        x = (rng.standard_normal((6, 9)) + 3).astype(dtype)          # never 0: the mask is readable from torch
        g = rng.standard_normal(x.shape).astype(dtype)
        layer = Dropout(prob, inverted=False)
        xt = torch.tensor(x, requires_grad=True)
        with torch_seed(seed):
            out_t = F.dropout(xt, prob, training=True)
        out_t.backward(torch.tensor(g))
        layer.set_mask(out_t.detach().numpy() != 0)
        k = np.dtype(dtype).type(1 - prob)
        p.add("train forward = torch * (1-p)", layer.forward(x, training=True), out_t.detach().numpy() * k, sample)
        p.add("train backward = torch * (1-p)", layer.backward(g), xt.grad.numpy() * k, sample)
        p.add("eval forward = x * (1-p)", layer.forward(x, training=False), (torch.tensor(x) * k).numpy(), sample)
        p.add("eval backward = g * (1-p)", layer.backward(g), g * k, sample)
    return p.report()


def dropout_keep_rate(dtype, seed):
    """The gate's layer rows inject torch's mask; here NumPy draws its own: over 250,000 elements the
    keep rate is within 5 sigma of ``1 - p`` (as torch's is), kept elements are scaled by
    ``1 / (1 - p)``, and the same seed draws the same mask."""
    p = Props("Dropout keep rate", dtype, seed)
    x = np.ones((500, 500), dtype=dtype)
    for prob in (0.2, 0.5, 0.8):
        sample = f"p={prob}"
        layer = Dropout(prob, rng=np.random.default_rng([seed, 3]))
        out = layer.forward(x, training=True)
        sigma = math.sqrt(prob * (1 - prob) / x.size)
        p.within("keep rate", abs(float(layer.mask.mean()) - (1 - prob)) / sigma, 5.0,
                 "|keep rate - (1 - p)| in standard deviations", sample)
        with torch_seed(seed):
            t_rate = float((F.dropout(torch.ones(500, 500, dtype=torch.float64), prob) != 0).double().mean())
        p.within("torch keep rate", abs(t_rate - (1 - prob)) / sigma, 5.0, "torch, the same measure", sample)
        p.add("kept scaled by 1/(1-p)", out[layer.mask], np.full(int(layer.mask.sum()), 1 / (1 - prob), dtype=dtype),
              sample, reference="1/(1-p)")
        again = Dropout(prob, rng=np.random.default_rng([seed, 3]))
        again.forward(x, training=True)
        p.claim("same seed, same mask", np.array_equal(again.mask, layer.mask), "another mask from the same seed",
                sample)
        p.claim("dtype kept", out.dtype == np.dtype(dtype), f"{dtype} input gave {out.dtype} output", sample)
        # a mask given with set_mask serves the next forward only; the one after draws its own again
        layer.set_mask(np.ones(x.shape, dtype=bool))
        layer.forward(x, training=True)
        layer.forward(x, training=True)
        p.claim("set_mask serves one forward", not layer.mask.all(),
                "the forward after the one a set_mask served kept every element: the given mask was used again",
                sample)
    return p.report()


def sgd_classic(dtype, seed):
    """``SGD(variant="classic")`` (``v = m*v - lr*g; p += v``) is torch's SGD while lr is constant,
    and after an lr change it is torch's SGD with the momentum buffer scaled by ``lr_old / lr_new``."""
    p = Props("SGD classic momentum", dtype, seed)
    rng = np.random.default_rng(seed)
    w = {"w": rng.standard_normal(7).astype(dtype)}
    t = torch.tensor(w["w"].copy(), requires_grad=True)
    opt, topt = SGD(w, lr=0.1, momentum=0.9, variant="classic"), torch.optim.SGD([t], lr=0.1, momentum=0.9)
    for step in range(1, 41):
        if step == 21:                                    # the schedule halves lr
            opt.param_groups[0]["lr"] = topt.param_groups[0]["lr"] = 0.05
            topt.state[t]["momentum_buffer"] *= 0.1 / 0.05
        g = rng.standard_normal(7).astype(dtype)
        opt.step({"w": g})
        t.grad = torch.tensor(g)
        topt.step()
        if step in (20, 40):
            sample = "constant lr, 20 steps" if step == 20 else "lr halved at step 21, buffer * lr_old/lr_new"
            p.add("params = torch", w["w"], t.detach().numpy(), sample)
            p.add("velocity = -lr * momentum_buffer", opt.state["w"]["velocity"],
                  -topt.param_groups[0]["lr"] * topt.state[t]["momentum_buffer"].numpy(), sample)
    return p.report()


def adam_classic(dtype, seed):
    """``Adam(variant="classic")`` (eps added before the bias correction) is torch's Adam with
    ``eps_t = eps / sqrt(1 - b2**t)`` at step t; for gradients of 1e-6 the two differ (eps matters)."""
    p = Props("Adam classic", dtype, seed)
    rng = np.random.default_rng(seed)
    scales = np.array([1e-6, 1e-4, 1.0, 10.0])
    w = {"w": rng.standard_normal(4).astype(dtype)}
    t = torch.tensor(w["w"].copy(), requires_grad=True)
    eps, b2 = 1e-8, 0.999
    opt, topt = Adam(w, lr=1e-2, eps=eps, variant="classic"), torch.optim.Adam([t], lr=1e-2, eps=eps)
    plain = torch.tensor(w["w"].copy(), requires_grad=True)
    popt = torch.optim.Adam([plain], lr=1e-2, eps=eps)
    for step in range(1, 31):
        g = (scales * rng.standard_normal(4)).astype(dtype)
        opt.step({"w": g})
        topt.param_groups[0]["eps"] = eps / math.sqrt(1 - b2 ** step)
        for x, o in ((t, topt), (plain, popt)):
            x.grad = torch.tensor(g)
            o.step()
    p.add("params = torch with eps/sqrt(1-b2^t)", w["w"], t.detach().numpy(), "30 steps, gradients 1e-6 to 10")
    gap = abs(w["w"][0] - plain.detach().numpy()[0]) / abs(plain.detach().numpy()[0] - t.detach().numpy()[0] + 1e-300)
    p.claim("differs from plain torch Adam", abs(w["w"][0] - plain.detach().numpy()[0]) > 1e-4,
            f"at gradient 1e-6 the classic and torch rules must part ways (eps placement); gap {gap:.3g}")
    return p.report()


def svm_scale(dtype, seed):
    """The classic multiclass SVM sums the margins over classes: it is ``C * MultiMarginLoss``."""
    p = Props("svm_loss scale", dtype, seed)
    rng = np.random.default_rng(seed)
    for c in (2, 5, 10):
        x, y = rng.standard_normal((7, c)).astype(dtype), rng.integers(0, c, 7)
        loss, _ = losses.svm_loss(x, y)
        mm = F.multi_margin_loss(torch.tensor(x), torch.tensor(y)).numpy()
        p.add("loss = C * multi_margin_loss", np.asarray(loss), c * mm, sample=f"C={c}")
    return p.report()


# ---------------------------------------------------------------- trainer, checkpoints, preprocessing
class _Recorder:
    """A model that learns nothing and records the sample indices of every batch (X holds them)."""

    def __init__(self):
        self.params = {"w": np.zeros(1)}
        self.batches = []

    def named_parameters(self):
        return self.params

    def named_buffers(self):
        return {}

    def children(self):
        return []

    def describe(self):
        return "Recorder"

    def loss(self, X, y):
        self.batches.append(X[:, 0].astype(int).copy())
        return 0.0, {"w": np.zeros(1)}

    def accuracy(self, X, y):
        return 0.0


def _epoch_orders(seed, n=23, batch=5, epochs=4):
    from numpy_impl.train import Trainer
    model = _Recorder()
    X, y = np.arange(n, dtype=float)[:, None], np.zeros(n, dtype=int)
    Trainer(model, SGD(model.params, lr=0.0), batch_size=batch, seed=seed, train_acc_samples=0, progress=False,
            log=None).fit(X, y, epochs=epochs)
    per = -(-n // batch)
    return [np.concatenate(model.batches[e * per:(e + 1) * per]) for e in range(epochs)]


# ---------------------------------------------------------------- whole models
def _sequence_model(dtype, seed, reg):
    """A model of one's own over sequences: attention, a transformer layer, a per-step affine."""
    from numpy_impl import layers as L
    from numpy_impl.models import Model
    rng = np.random.default_rng([seed, 1])
    model = Model(L.MultiheadAttention(4, 2, rng=rng, dtype=dtype),
                  L.TransformerEncoderLayer(4, 2, dim_feedforward=6, rng=rng, dtype=dtype),
                  L.TemporalAffine(4, 3, rng=rng, dtype=dtype), L.Flatten(), L.Linear(9, 5, rng=rng, dtype=dtype))
    model.reg = reg
    return model


# (kind, sample shape, architecture settings): small versions of every model kind, each with its
# data loss (softmax or SVM), BatchNorm and dropout where the kind has them; a kind that is a
# function (dtype, seed, reg) -> model is a model of one's own
MODEL_CASES = [("softmax", (12,), {}), ("svm", (12,), {}), ("two-layer", (12,), dict(hidden=[9])),
               ("mlp", (12,), dict(hidden=[10, 8])), ("conv", (2, 8, 8), dict(channels=[3, 4], hidden=[7])),
               (_sequence_model, (3, 4), {})]


def model_losses(dtype, seed):
    """``model.loss(X, y)`` of every model kind, the way a training loop calls it: the data loss plus
    ``reg * sum(W**2)`` over the weights, and the gradient of every parameter, against the torch
    mirror's loss (the same data loss and penalty) and autograd (dropout masks shared). Weights are
    redrawn at scale 0.5 so the penalty weighs as much as the data loss. Also: the gradients come
    by the parameters' names in their dtype, and X and the parameters are left as they were."""
    from numpy_impl.models import build_model
    from torch_ref import mirror
    from torch_ref.mapping import to_numpy_dict
    from torch_ref.models import forward_layers, l2_penalty, model_loss

    p = Props("Model.loss", dtype, seed)
    rng = np.random.default_rng(seed)
    for kind, shape, settings in MODEL_CASES:
        for reg, training in ((0.0, True), (0.3, True), (0.3, False)):
            name = kind if isinstance(kind, str) else "sequence model"
            sample = f"{name} reg={reg}{'' if training else ' eval'}"
            model = build_model(kind, shape, num_classes=5, reg=reg, seed=seed, dtype=dtype, **settings) \
                if isinstance(kind, str) else kind(dtype, seed, reg)
            for v in model.named_parameters().values():
                v[...] = 0.5 * rng.standard_normal(v.shape)
            X, y = rng.standard_normal((6,) + shape).astype(dtype), rng.integers(0, 5, 6)
            m = mirror(model, dtype)
            m.module.train(training)
            kept = {k: v.copy() for k, v in {"X": X, **model.named_parameters()}.items()}
            loss, grads = model.loss(X, y, training=training)
            out = forward_layers(model, list(m.module), torch.tensor(X), retain=False)[-1]
            lt = model_loss(model, out, y) + l2_penalty(model, m.module)
            lt.backward()
            p.add("loss", np.float64(loss), lt.detach().numpy().astype(np.float64), sample)
            names = set(model.named_parameters())
            p.claim("gradient names", set(grads) == names, f"gradients for {sorted(grads)}, wanted {sorted(names)}",
                    sample)
            for k, g in to_numpy_dict(m.module, m.params, grads=True).items():
                if k in grads:
                    p.claim(f"dtype:{k}", np.asarray(grads[k]).dtype == np.dtype(dtype),
                            f"gradient {k} is {np.asarray(grads[k]).dtype}, wanted {dtype}", sample)
                    p.add(f"grad_param:{k}", grads[k], g, sample)
            now = {"X": X, **model.named_parameters()}
            p.claim("no_mutation", all(np.array_equal(kept[k], now[k]) for k in kept),
                    "model.loss changed X or a parameter", sample)
        _predict_in_eval(p, model, X, name)
    return p.report()


def _predict_in_eval(p, model, X, name):
    """``predict`` runs in eval mode: twice the same classes (no dropout drawn), the classes of the
    eval scores, and the running statistics left as they were."""
    before = {k: np.array(v, copy=True) for k, v in model.named_buffers().items()} \
        if callable(getattr(model, "named_buffers", None)) else {}
    first, second = model.predict(X), model.predict(X)
    want = np.argmax(model.forward(X, training=False), axis=1)
    p.claim("predict in eval mode", np.array_equal(first, want) and np.array_equal(second, want),
            "predict's classes are not those of the eval-mode scores (dropout or batch statistics in predict?)",
            f"{name} predict")
    after = model.named_buffers() if before else {}
    p.claim("predict leaves running statistics", all(np.array_equal(before[k], after[k]) for k in before),
            "predict changed a running statistic (it ran in training mode)", f"{name} predict")
    batched = model.predict(X, batch_size=4)          # several batches, the last one short
    p.claim("predict in batches", np.array_equal(batched, want),
            f"predict(X, batch_size=4) gave {len(batched)} classes for {len(X)} samples, or other classes than "
            "one batch: every sample, once, in order", f"{name} predict")
    if callable(getattr(model, "eval", None)) and callable(getattr(model, "train", None)):
        model.eval()                                  # eval() reaches every layer: forward(x) is then eval-mode
        in_eval = model.forward(X)
        model.train()
        p.claim("eval() reaches every layer", np.array_equal(in_eval, model.forward(X, training=False)),
                "after model.eval(), forward(X) is not the eval-mode forward: a layer still in training mode",
                f"{name} eval()")


def trainer_shuffling(dtype, seed):
    """Epoch ``e`` visits the samples in the order ``default_rng([seed, e]).permutation(n)``: each
    epoch differs, and the same seed gives the same orders."""
    p = Props("Trainer shuffling", dtype, seed)
    orders = _epoch_orders(seed)
    for e, order in enumerate(orders):
        want = np.random.default_rng([seed, e]).permutation(len(order))
        p.claim("order = default_rng([seed, epoch])", np.array_equal(order, want),
                f"epoch {e}: visited {order.tolist()}, wanted {want.tolist()}", sample=f"epoch {e}")
    p.claim("each epoch differs", len({o.tobytes() for o in orders}) == len(orders),
            "two epochs visited the samples in the same order")
    p.claim("reproducible", all(np.array_equal(a, b) for a, b in zip(orders, _epoch_orders(seed))),
            "the same seed gave another order")
    return p.report()


def trainer_schedule(dtype, seed):
    """The schedule steps once an epoch by default (once a batch with ``schedule_every="step"``): each
    epoch's recorded lr is StepLR's, halved epoch by epoch or batch by batch; ``max_steps`` stops
    after exactly that many updates."""
    from numpy_impl.train import Trainer
    p = Props("Trainer schedule", dtype, seed)
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((20, 6)).astype(dtype), rng.integers(0, 3, 20)
    for every, per_epoch in (("epoch", 1), ("step", 4)):            # 20 samples in batches of 5: 4 a epoch
        model, opt, sched = _small_run(seed, dtype)
        trainer = Trainer(model, opt, sched, batch_size=5, seed=seed, schedule_every=every, progress=False,
                          log=None)
        trainer.fit(X, y, 3)
        got = [r["lr"][0] for r in trainer.history["epochs"]]
        want = [1e-2 * 0.5 ** (per_epoch * (e + 1)) for e in range(3)]
        p.claim(f"lr per epoch (schedule_every={every})", np.allclose(got, want, rtol=1e-12),
                f"the epochs' lr {got}, StepLR(step_size=1, gamma=0.5) stepped once a{'n epoch' if per_epoch == 1 else ' batch'}"
                f" gives {want}", f"schedule_every={every}")
    model, opt, sched = _small_run(seed, dtype)
    trainer = Trainer(model, opt, batch_size=5, seed=seed, progress=False, log=None)
    trainer.fit(X, y, 3, max_steps=6)
    p.claim("max_steps", trainer.step == 6, f"max_steps=6 stopped after {trainer.step} updates", "max_steps=6")
    return p.report()


def _small_run(seed, dtype):
    import numpy_impl.optim as no
    from numpy_impl.models import FullyConnectedNet
    model = FullyConnectedNet(6, [8, 5], 3, batchnorm=True, dropout=0.2, reg=1e-3, seed=seed, dtype=dtype)
    opt = no.Adam(model.named_parameters(), lr=1e-2)
    return model, opt, no.StepLR(opt, step_size=1, gamma=0.5)


def _everything(model, opt, sched):
    from numpy_impl.checkpoint import layer_generators
    out = {f"param:{k}": np.array(v) for k, v in model.named_parameters().items()}
    out.update({f"buffer:{k}": np.array(v) for k, v in model.named_buffers().items()})
    for name, st in opt.state.items():
        out.update({f"optim:{name}.{k}": np.array(v) for k, v in st.items()})
    out["lr"] = np.array([g["lr"] for g in opt.param_groups])
    out["schedule"] = np.array(sched.last_epoch if hasattr(sched, "last_epoch") else 0)
    out["generators"] = np.array([g.random() for g in layer_generators(model)])   # draws: compare last
    return out


def checkpoint_round_trip(dtype, seed):
    """A run stopped mid-epoch, saved and resumed into a model built from another seed ends
    bit-identical to the uninterrupted run: parameters, buffers, optimizer state, lr, generators."""
    from numpy_impl.train import Trainer
    p = Props("checkpoint round trip", dtype, seed)
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((50, 6)).astype(dtype), rng.integers(0, 3, 50)
    kw = dict(batch_size=8, seed=seed, train_acc_samples=0, progress=False, log=None)
    model, opt, sched = _small_run(seed, dtype)
    full = Trainer(model, opt, sched, **kw)
    full.fit(X, y, epochs=3)
    want = _everything(model, opt, sched)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "run.npz")
        model, opt, sched = _small_run(seed, dtype)
        Trainer(model, opt, sched, **kw).fit(X, y, epochs=3, max_steps=10, checkpoint=path)
        model, opt, sched = _small_run(seed + 1, dtype)
        model.forward(X[:4], training=True)                  # a used dropout generator
        resumed = Trainer(model, opt, sched, **kw).resume(path)
        resumed.fit(X, y, epochs=3)
        _refusals(p, path, X, y, seed, dtype, kw)
    got = _everything(model, opt, sched)
    timing = ("seconds", "wall_seconds")                     # the clock is the one thing allowed to differ
    hist = [{k: v for k, v in r.items() if k not in timing} for r in resumed.history["epochs"]]
    hist_want = [{k: v for k, v in r.items() if k not in timing} for r in full.history["epochs"]]
    p.claim("history", resumed.history["loss"] == full.history["loss"] and hist == hist_want,
            f"the resumed run's history differs: {len(resumed.history['loss'])} step losses and epochs {hist}, "
            f"uninterrupted {len(full.history['loss'])} and {hist_want}")
    p.claim("same entries", got.keys() == want.keys(), f"resumed has {sorted(got)}, uninterrupted {sorted(want)}")
    for k in want:
        if k in got:
            p.claim(f"bit-identical:{k.split(':')[0]}", got[k].shape == want[k].shape and np.array_equal(got[k], want[k]),
                    f"'{k}' differs after the resume: greatest difference "
                    f"{np.max(np.abs(got[k] - want[k])) if got[k].shape == want[k].shape else 'shape'}", sample=k)
    return p.report()


def _refusals(p, path, X, y, seed, dtype, kw):
    """A checkpoint is refused, nothing changed, by a model of the same shapes in the other dtype or
    with other settings (dropout p), and by a trainer with another batch size, seed or schedule."""
    from numpy_impl.models import FullyConnectedNet
    from numpy_impl.train import Trainer
    import numpy_impl.optim as no
    other_dtype = np.float32 if np.dtype(dtype) == np.float64 else np.float64
    cases = [("another dtype", lambda: _small_run(seed, other_dtype), {}),
             ("another dropout p", lambda: _with_model(FullyConnectedNet(6, [8, 5], 3, batchnorm=True, dropout=0.5,
                                                                          reg=1e-3, seed=seed, dtype=dtype), no), {}),
             ("another batch size", lambda: _small_run(seed, dtype), {"batch_size": 4}),
             ("another seed", lambda: _small_run(seed, dtype), {"seed": seed + 1}),
             ("another schedule_every", lambda: _small_run(seed, dtype), {"schedule_every": "step"})]
    for what, make, change in cases:
        model, opt, sched = make()
        before = _everything(model, opt, sched)
        try:
            Trainer(model, opt, sched, **{**kw, **change}).resume(path)
            refused = False
        except ValueError:
            refused = True
        after = _everything(model, opt, sched)
        same = all(np.array_equal(before[k], after[k]) for k in before if k != "generators")
        p.claim("refuses another run's checkpoint", refused and same,
                f"a checkpoint resumed into {what}: " + ("accepted" if not refused else "refused, but the model changed"),
                sample=what)
    from numpy_impl.checkpoint import load_checkpoint
    model = _small_run(seed, other_dtype)[0]                # the model alone: no optimizer state to trip on
    before = {k: v.copy() for k, v in model.named_parameters().items()}
    try:
        load_checkpoint(path, model)
        refused = False
    except ValueError:
        refused = True
    p.claim("refuses another run's checkpoint", refused and all(np.array_equal(before[k], v) for k, v in
                                                                model.named_parameters().items()),
            f"load_checkpoint of a {np.dtype(dtype).name} model's file into a {np.dtype(other_dtype).name} model: "
            + ("accepted (cast silently)" if not refused else "refused, but the model changed"),
            sample="another dtype, the model alone")


def search_draws(dtype, seed):
    """``random_configs`` draws a range log-uniformly within it (the logs' mean and spread those of a
    uniform, 20,000 draws), integers for integer ends, choices evenly; ``search`` ranks the best
    validation accuracy first, a failed trial last, and gives trial i the seed [seed, i]."""
    from numpy_impl.search import random_configs, search
    p = Props("search", dtype, seed)
    configs = random_configs({"lr": (1e-5, 1e-1), "hidden": (16, 512), "act": ["relu", "tanh"]}, 20000, seed)
    logs = np.log10([c["lr"] for c in configs])
    p.claim("range", logs.min() >= -5 and logs.max() <= -1, f"lr drawn in [{10 ** logs.min():.3g}, "
            f"{10 ** logs.max():.3g}], asked (1e-05, 0.1)", "lr (1e-5, 1e-1)")
    n = len(logs)
    p.within("log-uniform mean", abs(logs.mean() + 3) / (4 / math.sqrt(12)), 5 / math.sqrt(n),
             "|mean of log10(lr) - (-3)| / its spread (uniform on [-5, -1])", "lr (1e-5, 1e-1)")
    p.within("log-uniform spread", abs(logs.std() / (4 / math.sqrt(12)) - 1), 5 / math.sqrt(n),
             "|std of log10(lr) / a uniform's - 1|", "lr (1e-5, 1e-1)")
    hidden = [c["hidden"] for c in configs]
    p.claim("integers", all(isinstance(h, int) and 16 <= h <= 512 for h in hidden),
            "hidden (16, 512) must give integers within the range", "hidden (16, 512)")
    share = float(np.mean([c["act"] == "relu" for c in configs]))
    p.within("choices even", abs(share - 0.5), 5 * math.sqrt(0.25 / n), "|share of the first choice - 1/2|", "act")
    seen = []
    accs = {0: 0.3, 1: 0.9, 2: float("nan"), 3: 0.6}
    results = search(lambda config, s: seen.append(list(s)) or {"val_acc": accs[config["i"]]},
                     [{"i": i} for i in range(4)], seed=seed, log=None)
    p.claim("best first", [r["trial"] for r in results] == [1, 3, 0, 2],
            f"ranked trials {[r['trial'] for r in results]}, by validation accuracy [1, 3, 0, 2] (NaN last)", "4 trials")
    p.claim("trial seeds", seen == [[seed, i] for i in range(4)], f"trials got seeds {seen}", "4 trials")
    return p.report()


def gradcheck_helpers(dtype, seed):
    """The finite-difference helpers users call themselves (``numpy_impl.gradcheck``): the gradient of
    ``sum(sin(x) * x**2)`` against torch autograd, element by element and sampled, ``x`` restored
    after, and ``rel_error`` 0 for equal arrays (zeros included: no 0/0)."""
    from numpy_impl import gradcheck as G
    p = Props("gradcheck", dtype, seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4))
    x0 = x.copy()
    xt = torch.tensor(x, requires_grad=True)
    (torch.sin(xt) * xt ** 2).sum().backward()
    want = xt.grad.numpy()
    num = G.numerical_gradient(lambda: np.sin(x) * x ** 2, x)
    p.within("numerical_gradient", G.rel_error(num, want), 1e-7, "rel_error against torch autograd", "sin(x) x^2")
    rows = G.grad_check_sparse(lambda: float(np.sum(np.sin(x) * x ** 2)), x, want, num_checks=8, seed=seed)
    worst = max(abs(n - a) / max(1e-8, abs(n) + abs(a)) for _, n, a, _ in rows)
    p.within("grad_check_sparse", worst, 1e-7, "worst relative difference of 8 sampled elements to torch's",
             "sin(x) x^2")
    p.claim("x restored", np.array_equal(x, x0), "the helpers left x perturbed", "sin(x) x^2")
    # every element can be drawn: a wrong gradient in the last row or column (a bias, the last class) is seen
    drawn = {i for i, *_ in G.grad_check_sparse(lambda: float(np.sum(x)), x, np.ones_like(x), num_checks=200,
                                                seed=seed)}
    p.claim("grad_check_sparse reaches every element", len(drawn) == x.size,
            f"200 draws on a (3, 4) x reached {len(drawn)} of its 12 elements (missing "
            f"{sorted(set(np.ndindex(x.shape)) - drawn)})", "(3, 4)")
    zeros = np.zeros(5)
    p.claim("rel_error of equal arrays", G.rel_error(zeros, zeros) == 0 and G.rel_error(x, x) == 0,
            f"rel_error(zeros, zeros) = {G.rel_error(zeros, zeros)}, rel_error(x, x) = {G.rel_error(x, x)}", "zeros")
    return p.report()


def _with_model(model, no):
    opt = no.Adam(model.named_parameters(), lr=1e-2)
    return model, opt, no.StepLR(opt, step_size=1, gamma=0.5)


def preprocessing(dtype, seed):
    """``datasets.prepare`` takes the mean image and the channel statistics from the training split
    only (validation and test are shifted here, so any leak shows), and applies them to every split."""
    import datasets.preprocess as P
    p = Props("preprocessing", dtype, seed)
    rng = np.random.default_rng(seed)
    raw = {"X_train": rng.integers(0, 120, (40, 2, 4, 3)).astype(np.uint8),
           "y_train": np.arange(40) % 4,
           "X_test": rng.integers(100, 256, (12, 2, 4, 3)).astype(np.uint8), "y_test": np.arange(12) % 4,
           "classes": ["a", "b", "c", "d"], "source": "synthetic"}
    raw["X_train"][30:] += 120                       # the 10 held-out samples: another distribution
    dt = np.dtype(dtype).type
    train = raw["X_train"][:30].astype(dtype) / dt(255)
    with mock.patch.object(P, "load", lambda *a, **k: {k2: v.copy() if hasattr(v, "copy") else v
                                                         for k2, v in raw.items()}):
        flat = P.prepare("mnist", num_val=10, split_seed=None, dtype=dt, subtract_mean=True, flat=True)
        conv = P.prepare("mnist", num_val=10, split_seed=None, dtype=dt, standardize=True)
    p.add("mean image = training split mean", flat["mean_image"], train.mean(axis=0), "subtract_mean")
    val = raw["X_train"][30:].astype(dtype) / dt(255)
    p.add("validation - training mean", flat["X_val"], (val - train.mean(axis=0)).reshape(10, -1), "subtract_mean")
    m, s = train.mean(axis=(0, 2, 3), keepdims=True)[0], train.std(axis=(0, 2, 3), keepdims=True)[0]
    p.add("channel mean = training split", conv["channel_mean"], m, "standardize")
    p.add("channel std = training split", conv["channel_std"], s, "standardize")
    test = raw["X_test"].astype(dtype) / dt(255)
    p.add("test standardised with training statistics", conv["X_test"], (test - m) / s, "standardize")
    p.claim("dtype", conv["X_train"].dtype == np.dtype(dtype), f"X_train is {conv['X_train'].dtype}, wanted {dtype}")
    return p.report()


def _models():
    import numpy_impl.models
    return numpy_impl.models


def _layer_inits():
    """(layer factory(rng, dtype), {parameter: the std its docstring gives, 0 or "ones"}) for every
    layer that draws its own weights, at sizes of 30,000 to 120,000 values a weight."""
    import numpy_impl.layers as L
    return [
        (lambda r, d: L.Linear(300, 200, rng=r, dtype=d), {"W": 1e-2, "b": 0}),
        (lambda r, d: L.Linear(300, 200, weight_scale=0.3, rng=r, dtype=d), {"W": 0.3, "b": 0}),
        (lambda r, d: L.Conv2d(20, 30, 7, rng=r, dtype=d), {"W": 1e-2, "b": 0}),
        (lambda r, d: L.Conv1d(40, 50, 9, rng=r, dtype=d), {"W": 1e-2, "b": 0}),
        (lambda r, d: L.ConvTranspose2d(30, 20, 7, rng=r, dtype=d), {"W": 1e-2, "b": 0}),
        (lambda r, d: L.Embedding(500, 80, rng=r, dtype=d), {"W": 1.0}),
        (lambda r, d: L.Embedding(500, 80, padding_idx=7, rng=r, dtype=d), {"W": 1.0, "W[7]": 0}),
        (lambda r, d: L.TemporalAffine(300, 200, rng=r, dtype=d), {"W": 1 / math.sqrt(300), "b": 0}),
        (lambda r, d: L.RNN(100, 200, rng=r, dtype=d), {"Wx": 1 / math.sqrt(200), "Wh": 1 / math.sqrt(200), "b": 0}),
        (lambda r, d: L.LSTM(100, 150, hidden_bias=True, rng=r, dtype=d),
         {"Wx": 1 / math.sqrt(150), "Wh": 1 / math.sqrt(150), "b": 0, "bh": 0}),
        (lambda r, d: L.GRU(100, 150, rng=r, dtype=d), {"Wx": 1 / math.sqrt(150), "Wh": 1 / math.sqrt(150), "b": 0}),
        (lambda r, d: L.MultiheadAttention(160, 4, rng=r, dtype=d),
         {"W_in": 1 / math.sqrt(160), "b_in": 0, "W_out": 1 / math.sqrt(160), "b_out": 0}),
        # the models build their layers from init= and weight_scale=: a name, a scale, a He default
        (lambda r, d: _models().TwoLayerNet(300, 200, 100, seed=r, dtype=d),
         {"0.W": 1e-4, "0.b": 0, "2.W": 1e-4, "2.b": 0}),
        (lambda r, d: _models().FullyConnectedNet(300, [200], 100, init="he", seed=r, dtype=d),
         {"0.W": math.sqrt(2 / 300), "0.b": 0, "2.W": math.sqrt(2 / 200), "2.b": 0}),
        (lambda r, d: _models().FullyConnectedNet(300, [200], 100, init="normal", weight_scale=0.05, seed=r, dtype=d),
         {"0.W": 0.05, "0.b": 0, "2.W": 0.05, "2.b": 0}),
        (lambda r, d: L.TransformerEncoderLayer(160, 4, dim_feedforward=400, rng=r, dtype=d),
         {"self_attn.W_in": 1 / math.sqrt(160), "self_attn.b_in": 0, "self_attn.W_out": 1 / math.sqrt(160),
          "self_attn.b_out": 0, "linear1.W": 1 / math.sqrt(160), "linear1.b": 0, "linear2.W": 1 / math.sqrt(400),
          "linear2.b": 0, "norm1.gamma": "ones", "norm1.beta": 0, "norm2.gamma": "ones", "norm2.beta": 0}),
    ]


def layer_init(dtype, seed):
    """Each layer's own default init is the one its docstring states: every weight normal with mean 0
    and the stated std, as ``torch.nn.init.normal_`` draws it (mean and std within 5 sigma, KS at
    alpha = 1e-6, as ``init``), every bias zero, in the layer's dtype. The gate copies NumPy's
    weights into torch, so nothing else would notice a wrong default scale."""
    p = Props("layer init", dtype, seed)
    for k, (make, want) in enumerate(_layer_inits()):
        layer = make(np.random.default_rng([seed, k]), np.dtype(dtype))
        sample = layer.describe()
        params = layer.named_parameters()
        names = {n.split("[")[0] for n in want}
        p.claim("parameter names", set(params) == names, f"parameters {sorted(params)}, wanted {sorted(names)}",
                sample)
        for name, std in want.items():
            base, _, row = name.partition("[")          # "W[7]": that row alone
            w = np.asarray(params.get(base, np.zeros(0)))
            w = w[int(row[:-1])] if row and w.ndim else w
            p.claim(f"dtype:{name}", w.dtype == np.dtype(dtype), f"{name} is {w.dtype}, wanted {dtype}", sample)
            w = w.astype(np.float64).ravel()
            if std in (0, "ones"):
                p.claim(f"{name} {'zeros' if std == 0 else std}", w.size > 0 and np.all(w == (std == "ones")),
                        f"{name} is not all {'zeros' if std == 0 else std}", sample)
                continue
            with torch_seed(seed * 7919 + k):
                t = torch.nn.init.normal_(torch.empty(w.size, dtype=torch.float64), 0.0, std).numpy()
            n = w.size
            p.within(f"{name} mean", abs(w.mean() - t.mean()) / std, 5 * math.sqrt(2 / n),
                     "|mean - torch mean| / std", sample)
            p.within(f"{name} std", abs(w.std() / t.std() - 1), 5 * math.sqrt(1 / n) + 1e-6, "|std / torch std - 1|",
                     sample)
            p.within(f"{name} distribution", _ks(w, t), 2.69 * math.sqrt(2 / n), "KS statistic against torch's sample",
                     sample)
    return p.report()


# ---------------------------------------------------------------- defaults
# NumPy names whose torch counterpart has another name
DEFAULT_ALIASES = {"LinearWarmup": "optim.lr_scheduler.LinearLR", "cross_entropy_loss": "nn.functional.cross_entropy",
                   "kl_div_loss": "nn.functional.kl_div", "gain": "nn.init.calculate_gain"}
# (NumPy name or "*", parameter): why its default deliberately differs from torch's
DEFAULT_DIFFERENCES = {
    ("*", "dtype"): "NumPy layers are float64 unless told; torch uses its global default (float32)",
    ("BatchNorm1d", "momentum"): "the default resolves by convention: 0.1 for torch's (checked on an instance), "
                                 "0.9 of the old value for the classic one; None is torch's cumulative average",
    ("BatchNorm2d", "momentum"): "as BatchNorm1d",
    ("Softmax", "dim"): "torch's None is its deprecated implicit dim (1 for 4-D input); NumPy takes the last axis",
    ("LogSoftmax", "dim"): "as Softmax",
    ("TransformerEncoderLayer", "dropout"): "only dropout=0.0 is implemented (the gate needs a deterministic layer)",
    ("Upsample", "scale_factor"): "torch requires size or scale_factor; NumPy doubles by default",
    ("normal", "std"): "the classic weight scale 1e-2 (cs231n's weight_scale); torch's normal_ draws std 1",
}
# NumPy keyword -> torch's name for it (``gain`` is a function of numpy_impl.init, so its keyword is ``gain_``)
DEFAULT_KEYWORDS = {"gain_": "gain"}


def _torch_namesake(name):
    """The torch class or function a public NumPy name mirrors, or None."""
    import torch.nn.functional  # noqa: F401
    if name in DEFAULT_ALIASES:
        obj = torch
        for part in DEFAULT_ALIASES[name].split("."):
            obj = getattr(obj, part)
        return obj
    if callable(getattr(torch.nn.init, name + "_", None)):     # torch's in-place initialisers: kaiming_normal_
        return getattr(torch.nn.init, name + "_")
    for space in (torch.nn, torch.optim, torch.optim.lr_scheduler, torch.nn.functional):
        if name in getattr(space, "__all__", dir(space)) and callable(getattr(space, name, None)):
            return getattr(space, name)
    return None


def _defaults(obj):
    """Every keyword default of ``obj``'s constructor (or signature), plus an optimizer's ``defaults``."""
    import inspect
    try:
        sig = inspect.signature(obj.__init__ if isinstance(obj, type) else obj)
    except (TypeError, ValueError):
        return {}
    out = {DEFAULT_KEYWORDS.get(p.name, p.name): p.default for p in sig.parameters.values()
           if p.default is not inspect.Parameter.empty}
    if isinstance(obj, type) and isinstance(getattr(obj, "defaults", None), dict):
        out.update(obj.defaults)
    return out


def default_pairs():
    """[(NumPy name, NumPy object, torch object)] for every public NumPy layer, optimizer, scheduler,
    loss and initialiser that has a torch namesake (found by name, so a new one joins by itself)."""
    import numpy_impl.init
    import numpy_impl.layers
    import numpy_impl.losses
    import numpy_impl.losses_extra
    import numpy_impl.optim
    import numpy_impl.optim.extra
    import numpy_impl.optim.schedulers
    pairs = {}
    for mod in (numpy_impl.layers, numpy_impl.optim, numpy_impl.optim.schedulers, numpy_impl.optim.extra,
                numpy_impl.losses, numpy_impl.losses_extra, numpy_impl.init):
        for name, obj in vars(mod).items():
            if name.startswith("_") or not callable(obj) or not getattr(obj, "__module__", "").startswith("numpy_impl"):
                continue
            t = _torch_namesake(name)
            if t is not None and name not in pairs:
                pairs[name] = (obj, t)
    return [(name, *pairs[name]) for name in sorted(pairs)]


def _same_default(a, b):
    if callable(b) and isinstance(a, str):          # nn.TransformerEncoderLayer's activation=F.relu vs "relu"
        return getattr(b, "__name__", None) == a
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_default(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def shared_defaults(name, np_obj, t_obj):
    """``[(keyword, NumPy default, torch default)]`` for every keyword both have a default for, the
    stated ``DEFAULT_DIFFERENCES`` left out."""
    a, b = _defaults(np_obj), _defaults(t_obj)
    return [(k, a[k], b[k]) for k in sorted(set(a) & set(b))
            if ("*", k) not in DEFAULT_DIFFERENCES and (name, k) not in DEFAULT_DIFFERENCES]


def defaults(dtype, seed):
    """Every keyword a NumPy component shares with its torch namesake has torch's default value (an
    ``Adam()`` is torch's ``Adam()``), except the deliberate differences in ``DEFAULT_DIFFERENCES``
    (each with its reason). The gate passes every hyperparameter explicitly, so nothing else would
    notice a default of 1e-6 where torch has 1e-8."""
    p = Props("defaults", dtype, seed)
    for name, np_obj, t_obj in default_pairs():
        for key, ours, theirs in shared_defaults(name, np_obj, t_obj):
            p.claim(f"{name}.{key}", _same_default(ours, theirs),
                    f"{name}({key}={ours!r}) by default, torch's {getattr(t_obj, '__qualname__', t_obj)} has "
                    f"{key}={theirs!r}", "defaults")
    from numpy_impl.layers import BatchNorm1d as _BN1
    p.claim("BatchNorm momentum", _BN1(3).momentum == 0.1, "BatchNorm1d(3).momentum should be torch's 0.1",
            "defaults")
    return p.report()


def _parallel_cases(dtype, rng):
    """(name, layer or None, input, labels or None): every component that spreads row blocks over
    threads (numpy_impl.parallel), at sizes of several 1 MB blocks."""
    import numpy_impl.layers as L
    from numpy_impl.losses import softmax_loss

    def randomised(layer):
        for k, v in layer.params.items():
            v[...] = 1.0 + 0.5 * rng.standard_normal(v.shape) if k == "gamma" else 0.5 * rng.standard_normal(v.shape)
        return layer
    x = lambda *shape: rng.standard_normal(shape).astype(dtype)      # noqa: E731
    return [("LayerNorm(520) (600, 520)", randomised(L.LayerNorm(520, dtype=dtype)), x(600, 520), None),
            ("BatchNorm2d(8) (40, 8, 32, 32)", randomised(L.BatchNorm2d(8, dtype=dtype)), x(40, 8, 32, 32), None),
            ("BatchNorm1d(512) (1200, 512)", randomised(L.BatchNorm1d(512, dtype=dtype)), x(1200, 512), None),
            ("MaxPool2d(2) (64, 8, 32, 32)", L.MaxPool2d(2), x(64, 8, 32, 32), None),
            ("Conv2d(3, 8, 3, padding=1) (160, 3, 16, 16)",
             L.Conv2d(3, 8, 3, padding=1, weight_scale=0.2, rng=rng, dtype=dtype), x(160, 3, 16, 16), None),
            ("softmax_loss (300, 1000)", softmax_loss, x(300, 1000), rng.integers(0, 1000, 300))]


def _run_once(layer, x, y, g):
    if y is not None:                               # a loss function
        loss, dx = layer(x, y)
        return [np.asarray(loss), dx]
    out = layer.forward(x, training=True)
    dx = layer.backward(g)
    return [out, dx] + [np.array(v) for v in layer.named_grads().values()]


def thread_count(dtype, seed):
    """The layers that cut large inputs into row blocks and spread them over threads give the same
    bits with 1, 2, 3 and 4 threads, whatever this machine's core count (a block given to two threads,
    or one left out, shows only with more threads than blocks' worth of cores)."""
    from numpy_impl import parallel
    p = Props("thread count", dtype, seed)
    rng = np.random.default_rng(seed)
    for name, layer, x, y in _parallel_cases(np.dtype(dtype), rng):
        g = None if y is not None else rng.standard_normal(layer.forward(x, training=True).shape).astype(dtype)
        before = parallel.set_threads(1)
        try:
            one = _run_once(layer, x, y, g)
            for n in (2, 3, 4):
                parallel.set_threads(n)
                many = _run_once(layer, x, y, g)
                same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(one, many))
                p.claim(f"{n} threads = 1 thread", same, f"{n} threads gave other results than 1: a row block "
                        "computed twice or left out (numpy_impl.parallel)", name)
        finally:
            parallel.set_threads(before)
    return p.report()


def train_sgd(dtype, seed):
    """``LinearClassifier.train_sgd``: every sample every epoch (23 samples in batches of 5: 5 steps an
    epoch, the last of 3), one loss per step, and the same seed the same run, another seed another."""
    from numpy_impl.models import LinearClassifier
    p = Props("LinearClassifier.train_sgd", dtype, seed)
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((23, 4)).astype(dtype), rng.integers(0, 3, 23)

    def run(s):
        model = LinearClassifier(4, 3, seed=0, dtype=dtype)
        return model.train_sgd(X, y, lr=0.1, epochs=2, batch_size=5, seed=s)
    first, again, other = run(seed), run(seed), run(seed + 1)
    p.claim("every batch", len(first) == 10, f"2 epochs of 23 samples in batches of 5 took {len(first)} steps, not 10",
            "23 samples, batch 5")
    p.claim("seeded", first == again and first != other, "the same seed must give the same losses, another seed "
            "other ones", "23 samples, batch 5")
    return p.report()


def char_lstm(dtype, seed):
    """``CharLSTM``: the forget-gate bias starts at 1 (the rest of b at 0); two chunks of truncated
    BPTT, the second from the state the first returned, give torch's losses and final states; and
    ``sample`` draws what a sampler over the torch mirror draws from the same generator (each step's
    distribution from the state carried so far)."""
    from numpy_impl.models.char_lstm import CharLSTM
    from torch_ref.char_lstm import mirror_char_lstm
    p = Props("CharLSTM", dtype, seed)
    rng = np.random.default_rng(seed)
    V, H = 7, 5
    model = CharLSTM(V, embed_dim=4, hidden_size=H, rng=rng, dtype=dtype)
    b = model.lstm.params["b"]
    p.claim("forget-gate bias 1", np.all(b[H:2 * H] == 1) and not np.any(b[:H]) and not np.any(b[2 * H:]),
            f"lstm.b starts as {b.tolist()}; the forget gate's (columns H:2H, torch's order i, f, g, o) must be "
            "1, the rest 0", "init")
    module = mirror_char_lstm(model)
    ids = rng.integers(0, V, (3, 9))
    state, tstate = model.zero_state(3), tuple(torch.from_numpy(a) for a in model.zero_state(3))
    for chunk in range(2):
        x, t = ids[:, chunk * 4:chunk * 4 + 4], ids[:, chunk * 4 + 1:chunk * 4 + 5]
        loss, _, state = model.loss(x, t, state)
        with torch.no_grad():
            tloss, tstate = module.loss(torch.from_numpy(x), torch.from_numpy(t), tstate)
        sample = f"chunk {chunk + 1} of 2, (3, 4), state carried"
        p.add("loss", np.asarray(loss), tloss.numpy(), sample)
        p.add("state h", state[0], tstate[0].numpy(), sample)
        p.add("state c", state[1], tstate[1].numpy(), sample)
    if np.dtype(dtype) != np.float64:               # float32 probabilities may round a draw the other way
        return p.report()
    got = model.sample(2, 12, rng=np.random.default_rng([seed, 5]))
    draw, want = np.random.default_rng([seed, 5]), []
    cur, tstate = torch.tensor([[2]]), tuple(torch.from_numpy(a) for a in model.zero_state(1))
    with torch.no_grad():
        for _ in range(12):
            scores, tstate = module(cur, tstate)
            s = scores[0, -1].numpy().astype(np.float64)
            q = np.exp(s - s.max())
            nxt = int(draw.choice(V, p=q / q.sum()))
            want.append(nxt)
            cur = torch.tensor([[nxt]])
    p.claim("sample", got == want, f"sample drew {got}; the torch mirror, carrying its state step by step, "
            f"draws {want} from the same generator", "12 characters after id 2")
    return p.report()


def recurrent_final_state(dtype, seed):
    """``h_n`` (and the LSTM's ``c_n``) after a forward are torch's final states, from zero and from
    given initial states: the layers' outputs are compared by the registry, these are what a caller
    carries to the next chunk (CharLSTM does)."""
    import numpy_impl.layers as L
    from torch_ref.layers import mirror
    p = Props("recurrent final state", dtype, seed)
    rng = np.random.default_rng(seed)
    for cls in (L.RNN, L.LSTM, L.GRU):
        for given in (False, True):
            layer = cls(3, 4, rng=rng, dtype=dtype)
            layer.params["b"][...] = 0.5 * rng.standard_normal(layer.params["b"].shape)
            x = rng.standard_normal((2, 5, 3)).astype(dtype)
            h0 = rng.standard_normal((2, 4)).astype(dtype) if given else None
            c0 = rng.standard_normal((2, 4)).astype(dtype) if given and cls is L.LSTM else None
            layer.forward(x, h0=h0, c0=c0) if cls is L.LSTM else layer.forward(x, h0=h0)
            module = mirror(layer).module
            state = None
            if given:
                state = (torch.tensor(h0)[None], torch.tensor(c0)[None]) if cls is L.LSTM else torch.tensor(h0)[None]
            with torch.no_grad():                   # the torch class's own forward returns (output, h_n)
                _, last = type(module).__mro__[1].forward(module, torch.tensor(x), state)
            sample = f"{layer.describe()}, {'h0 given' if given else 'h0 zero'}, T=5"
            h_n, c_n = (last[0][0], last[1][0]) if cls is L.LSTM else (last[0], None)
            p.add("h_n", layer.h_n, h_n.numpy(), sample)
            if c_n is not None:
                p.add("c_n", layer.c_n, c_n.numpy(), sample)
    return p.report()


PROPERTY_ENTRIES = [
    PropertyInfo("init", init_distributions, "every initialiser x layout (Linear (in, out), Conv2d) x fan mode x "
                 "nonlinearity: fans, mean, std, KS vs torch.nn.init", doc="distribution parity with torch.nn.init"),
    PropertyInfo("layer init", layer_init, "the own default init of Linear, Conv2d, Conv1d, ConvTranspose2d, "
                 "Embedding, TemporalAffine, RNN, LSTM, GRU, MultiheadAttention, and the models' init= and "
                 "weight_scale=: std, mean, KS, zero biases",
                 dtypes=("float64",), doc="as their docstrings state"),
    PropertyInfo("defaults", defaults, "every keyword default a layer, optimizer, scheduler, loss or initialiser "
                 "shares with its torch namesake", dtypes=("float64",), doc="torch's, or a stated deliberate difference"),
    PropertyInfo("init.gain", gains, "every nonlinearity, leaky_relu slopes 0 to 3", dtypes=("float64",),
                 doc="= torch.nn.init.calculate_gain"),
    PropertyInfo("l2_penalty", l2_is_weight_decay, "penalty, gradient, weights only, one SGD step",
                 doc="reg*sum(W^2) = weight_decay 2*reg"),
    PropertyInfo("BatchNorm classic", batchnorm_classic, "start, running_var after one step, running_mean",
                 doc="running_var = torch's - momentum*(unbiased - biased var)"),
    PropertyInfo("Dropout classic", dropout_classic, "train/eval forward and backward, same mask",
                 doc="= inverted dropout * (1 - p)"),
    PropertyInfo("Dropout keep rate", dropout_keep_rate, "p = 0.2, 0.5, 0.8 over 250,000 elements",
                 doc="NumPy's own masks: keep rate 1 - p, scale 1/(1-p), seeded, the dtype kept, a set mask used once"),
    PropertyInfo("SGD classic momentum", sgd_classic, "40 steps, lr halved at step 21",
                 doc="= torch SGD at constant lr; buffer * lr_old/lr_new after a change"),
    PropertyInfo("Adam classic", adam_classic, "30 steps, gradients 1e-6 to 10",
                 doc="= torch Adam with eps/sqrt(1-b2^t)"),
    PropertyInfo("svm_loss scale", svm_scale, "C = 2, 5, 10", doc="classic SVM = C * MultiMarginLoss"),
    PropertyInfo("Model.loss", model_losses, "every model kind (softmax, svm, two-layer, mlp with BatchNorm and "
                 "dropout, conv) and a model of attention, transformer and per-step affine layers; reg 0 "
                 "and 0.3, training and eval: loss and every parameter gradient",
                 doc="data loss + reg*sum(W^2) over the weights = torch's, autograd's gradients"),
    PropertyInfo("thread count", thread_count, "LayerNorm, BatchNorm1d/2d, MaxPool2d, Conv2d, softmax_loss at "
                 "several 1 MB blocks, 1 to 4 threads", doc="bit-identical whatever the number of threads"),
    PropertyInfo("gradcheck", gradcheck_helpers, "numerical_gradient, grad_check_sparse, rel_error",
                 dtypes=("float64",), doc="central differences = torch autograd"),
    PropertyInfo("search", search_draws, "20,000 random configurations; 4 trials ranked", dtypes=("float64",),
                 doc="log-uniform ranges, integer ends, even choices, best first, seeds [seed, i]"),
    PropertyInfo("Trainer schedule", trainer_schedule, "StepLR per epoch and per step, 3 epochs; max_steps 6",
                 dtypes=("float64",), doc="the schedule steps when schedule_every says; max_steps is exact"),
    PropertyInfo("LinearClassifier.train_sgd", train_sgd, "2 epochs of 23 samples, batches of 5",
                 dtypes=("float64",), doc="every sample, seeded"),
    PropertyInfo("CharLSTM", char_lstm, "init, two chunks of truncated BPTT, 12 sampled characters",
                 doc="torch's losses, states and samples"),
    PropertyInfo("recurrent final state", recurrent_final_state, "RNN, LSTM, GRU from zero and given states",
                 doc="h_n and c_n = torch's final states"),
    PropertyInfo("Trainer shuffling", trainer_shuffling, "4 epochs of 23 samples", dtypes=("float64",),
                 doc="epoch e shuffled by default_rng([seed, e])"),
    PropertyInfo("checkpoint round trip", checkpoint_round_trip, "stopped at step 10 of 21, resumed",
                 doc="bit-identical to the uninterrupted run"),
    PropertyInfo("preprocessing", preprocessing, "mean image, channel mean/std, applied to val and test",
                 doc="statistics from the training split only"),
]
