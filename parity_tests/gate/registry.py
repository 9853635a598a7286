"""The registry: one declarative entry per component, from which the CLI report, the pytest suite
and the docs table are generated (in the spirit of PyTorch's OpInfo).

Every entry offers the same small interface: ``name``, ``kind``, ``doc``, ``cases(dtypes, seed)``
(the ``Case`` objects to run), ``run(case)`` (a ``Report``) and ``docs_row()`` (its row in
docs/COMPONENTS.md and ``parity list``). There are two kinds of entry:

* ``OpInfo``, a layer or a loss: how to build the NumPy component for a sample (``make(shape, rng,
  dtype, **kwargs)``), how to draw its inputs, which samples to run (fixed edge cases and shapes
  drawn from the seed), and any tolerance override with its reason. Layers get their torch
  counterpart from ``torch_ref.mirror``; losses name their torch function.
* ``OptimInfo``, an optimizer (and schedule): its NumPy factory, parameter groups, and the number
  of steps of the trajectory check (``trajectory.check_trajectory``).
* ``PropertyInfo`` (``properties.py``), a property that is not a layer or an optimizer: the
  initialisers, ``l2_penalty``, the classic conventions, shuffling, checkpoints, preprocessing.

Adding a layer means one class in ``numpy_impl``, one factory in ``torch_ref`` and one entry here.
"""
import fnmatch
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import numpy_impl as ni
import numpy_impl.optim as no
import torch_ref.losses as tl
from numpy_impl import losses as nl

from torch import nn

from torch_ref.layers import mirror
from torch_ref.mapping import normalise

from .api import check_layer, check_loss
from .compare import CheckResult, failed
from .samples import seed_for
from .tolerance import Tolerance
from .trajectory import check_trajectory


@dataclass
class Sample:
    name: str
    shape: Any                      # a tuple, or ``fn(rng) -> tuple`` for shapes drawn from the seed
    kwargs: dict = field(default_factory=dict)
    fd: bool = True                 # finite differences are meaningless at kinks and ties
    inputs: Callable = None         # overrides the entry's input generator
    nonfinite: bool = False         # tests NaN/inf propagation: NaN (or the same inf) on both sides agrees
    dout: Callable = None           # (rng, shape, dtype) -> the upstream gradient (shape-keeping layers)


@dataclass
class Case:
    """One run of one entry: a sample (None for optimizers) in one dtype, with its own seed."""
    entry: Any
    sample: Any
    dtype: str
    seed: int

    @property
    def id(self):
        return f"{self.entry.name}[{self.sample.name + '|' if self.sample else ''}{self.dtype}]"

    def run(self):
        return self.entry.run(self)


def case_seed(base, entry, sample):
    """A stable per-case seed: the same case draws the same data in the CLI and in pytest."""
    return seed_for(base, entry.name, sample.name)


@dataclass
class OpInfo:
    name: str
    make: Callable                  # layer: (shape, rng, dtype, **kw) -> Layer; loss: the NumPy fn
    samples: list
    kind: str = "layer"
    torch: Callable = None          # loss: the torch fn; layer: None = torch_ref.mirror
    inputs: Callable = None         # (rng, shape, dtype) -> x (loss: -> (x, y))
    tolerances: dict = field(default_factory=dict)
    eval_mode: bool = False
    extra_batches: int = 0          # training batches before the checked one (running statistics)
    share: Callable = None          # carries torch's randomness (dropout mask) into the NumPy layer
    torch_module: Callable = None   # layer: (shape, **kwargs) -> (module, params, buffers) built from the
    #                                 sample's own arguments, not from the NumPy layer's parsed attributes
    doc: str = ""
    check: Callable = None          # own check (case, shape, rng, **run_case's common kwargs) -> Report
    integer_input: bool = False     # the input is integer ids (Embedding): no input gradient to check

    def cases(self, dtypes=("float64", "float32"), seed=0):
        return [Case(self, s, d, case_seed(seed, self, s)) for s in self.samples for d in dtypes]

    def run(self, case):
        sample, dtype = case.sample, np.dtype(case.dtype)
        rng = np.random.default_rng(case.seed)
        shape = sample.shape(rng) if callable(sample.shape) else tuple(sample.shape)
        inputs = sample.inputs or self.inputs or normal
        common = dict(seed=case.seed, component=self.name, sample=sample.name, tolerances=self.tolerances,
                      finite_differences=sample.fd and dtype == np.float64, allow_nonfinite=sample.nonfinite)
        if self.check is not None:
            return self.check(case, shape, rng, **common)
        if self.kind == "loss":
            x, y = inputs(rng, shape, dtype)
            return check_loss(lambda a, b: self.make(a, b, **sample.kwargs),
                              lambda a, b: self.torch(a, b, **sample.kwargs), x, y, **common)
        layer = self.make(shape, rng, dtype, **sample.kwargs)
        x = inputs(rng, shape, dtype)
        extra = [inputs(rng, shape, dtype) * (1 + k) for k in range(self.extra_batches)]
        if sample.dout is not None:
            common["dout"] = sample.dout(rng, shape, dtype)
        if self.torch_module is None:
            return check_layer(layer, x=x, extra_batches=extra, eval_mode=self.eval_mode, share=self.share,
                               own_gradient=True, **common)
        # torch built from the sample's arguments: a NumPy layer that misreads its own constructor
        # arguments (stride (1, 2) stored as (2, 1)) cannot hand the same mistake to its mirror
        module, params, buffers = self.torch_module(shape, **sample.kwargs)
        report = check_layer(layer, module, params, x, buffers=buffers, extra_batches=extra, eval_mode=self.eval_mode,
                             share=self.share, own_gradient=True, **common)
        return report.extend([_same_mirror(layer, module, params, buffers, dtype, case.seed, self.name, sample.name)])

    def docs_row(self):
        return {"component": self.name, "kind": self.kind,
                "what": ", ".join(s.name for s in self.samples), "count": f"{len(self.samples)} samples",
                "doc": self.doc}


@dataclass
class OptimInfo:
    name: str
    make: Callable                        # (params or groups) -> numpy optimizer
    groups: tuple = ()                    # (weights overrides, biases overrides): two parameter groups
    schedule: Callable = None             # numpy optimizer -> numpy scheduler
    steps: int = 100
    tolerances: dict = field(default_factory=dict)
    doc: str = ""
    metric: Callable = None               # step -> the value fed to both schedules' step(metric) (plateau)
    clip: tuple = ()                      # ("norm" | "value", kwargs): both sides clip before each step
    kind: str = "optimizer"

    def cases(self, dtypes=("float64", "float32"), seed=0):
        return [Case(self, None, d, seed) for d in dtypes]

    def run(self, case):
        return check_trajectory(self, case.dtype, case.seed)

    def docs_row(self):
        extra = [x for x in ("two parameter groups" if self.groups else "",
                             "with a schedule" if self.schedule else "") if x]
        return {"component": self.name, "kind": self.kind, "count": f"{self.steps} steps",
                "what": ", ".join([f"{self.steps} steps, params and state every step"] + extra), "doc": self.doc}


# ---------------------------------------------------------------- input generators
def normal(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def away_from_zero(rng, shape, dtype):
    """Normal values with |x| >= 0.05: finite differences never straddle the kink at 0."""
    x = rng.standard_normal(shape)
    return (x + np.where(x >= 0, 0.05, -0.05)).astype(dtype)


def with_zeros(rng, shape, dtype):
    """A third of the values exactly 0: the gradient at the kink is tested on purpose."""
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 1 / 3] = 0
    return x.astype(dtype)


def distinct(rng, shape, dtype):
    """A permutation of evenly spaced values in [-2, 2]: no ties, gaps far above the FD step."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * (4.0 / max(n - 1, 1)) - 2).astype(dtype)


def with_nan(rng, shape, dtype):
    """Distinct values with a NaN in about one window in four: torch routes a NaN window's output
    and gradient to the NaN (its last one); the other windows stay finite."""
    x = distinct(rng, shape, dtype)
    x[rng.random(shape) < 0.06] = np.nan
    return x


def with_neg_inf_corners(rng, shape, dtype):
    """Distinct values with -inf in the top-left 2x2 and bottom-right 3x3 of each plane: with padding,
    a window holds only padding and -inf, and torch sends its gradient to its first real element."""
    x = distinct(rng, shape, dtype)
    x[..., :2, :2] = -np.inf
    x[..., -3:, -3:] = -np.inf
    return x


def relu_ties(rng, shape, dtype):
    """ReLU of normal values with a negative shift: many all-zero windows (tied maxima)."""
    return np.maximum(rng.standard_normal(shape) - 0.8, 0).astype(dtype)


def extreme(rng, shape, dtype):
    """Saturating inputs, +-1000 and +-50 among normal values (stable-sigmoid check)."""
    x = rng.standard_normal(shape)
    flat = x.reshape(-1)
    flat[: min(4, flat.size)] = [1000.0, -1000.0, 50.0, -50.0][: min(4, flat.size)]
    return x.astype(dtype)


def scores(scale=1.0):
    def gen(rng, shape, dtype):
        return (scale * rng.standard_normal(shape)).astype(dtype), rng.integers(0, shape[1], shape[0])
    return gen


def scores_past_exp_range(rng, shape, dtype):
    """Scores whose rows alternate: shifted by +500, by -500 (exp overflows or underflows in both
    dtypes, so the row takes the stable path) and unshifted (the fast path), in one batch."""
    x, y = scores()(rng, shape, dtype)
    x[0::3] += 500
    x[1::3] -= 500
    return x, y


def confident_scores(rng, shape, dtype):
    """Scores whose label logit is 40 above the rest: p_y rounds to 1 in both dtypes, so torch's loss
    and label gradient are exactly 0."""
    x, y = scores()(rng, shape, dtype)
    x[np.arange(shape[0]), y] += 40
    return x, y


def wrong_scores(rng, shape, dtype):
    """Every other row confidently wrong, its label logit 30 or 800 below the rest (p_y ~1e-13, or 0
    where exp underflows: the loss, 30 or 800, must come from log-sum-exp - x_y), beside plain rows
    in the same block."""
    x, y = scores()(rng, shape, dtype)
    rows = np.arange(0, shape[0], 2)
    x[rows, y[rows]] -= np.where(rows % 4 == 0, 30, 800).astype(dtype)
    return x, y


def high_scores(rng, shape, dtype):
    """Logits near the top of the range exp takes without a max shift (log-sum-exp near 300 in
    float64, 33 in float32), the label's 12 (float64) or 3 (float32) above the rest: the loss
    (3e-5, 0.25) is well conditioned, but as log(sum(exp(x))) - x_y it keeps too few digits."""
    offset, boost = (300, 12) if np.dtype(dtype) == np.float64 else (30, 3)
    x, y = scores()(rng, shape, dtype)
    x += offset
    x[np.arange(shape[0]), y] += boost
    return x, y


def low_scores(rng, shape, dtype):
    """Every other row shifted just below the smallest logit exp takes without underflow (by -720 in
    float64, -95 in float32), beside plain rows: such a row must take the max-shifted path, or its
    loss loses its digits and its gradient is inf (the float32 range, not float64's, decides)."""
    x, y = scores()(rng, shape, dtype)
    x[0::2] -= 720 if np.dtype(dtype) == np.float64 else 95
    return x, y


def nan_and_inf(rng, shape, dtype):
    """Values away from 0 with a NaN, +inf and -inf in each row: a NaN input passes its gradient
    (torch's ReLU backward is ``x <= 0 ? 0 : g``), -inf gets none."""
    x = away_from_zero(rng, shape, dtype)
    x[:, 0], x[:, 1], x[:, 2] = np.nan, np.inf, -np.inf
    return x


def inf_dout(rng, shape, dtype):
    """An upstream gradient with +-inf at every other element: 0 * inf must stay 0 where the input
    is <= 0, as torch's masked backward gives."""
    g = rng.standard_normal(shape)
    g.flat[::2] = np.where(rng.random(g.flat[::2].shape) < 0.5, np.inf, -np.inf)
    return g.astype(dtype)


def svm_scores(rng, shape, dtype):
    """Scores whose hinge margins all stay 1e-3 away from the kink (redrawn until they do)."""
    for _ in range(1000):
        x, y = scores()(rng, shape, dtype)
        m = x - x[np.arange(shape[0]), y][:, None] + 1
        m[np.arange(shape[0]), y] = 1
        if np.abs(m).min() > 1e-3:
            return x, y
    raise RuntimeError("could not draw SVM scores away from the hinge")


def regression(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)


def random_shape(*ranges):
    """A shape drawn from the case's seed, each dimension in [lo, hi]."""
    return lambda rng: tuple(int(rng.integers(lo, hi + 1)) for lo, hi in ranges)


# ---------------------------------------------------------------- factories
def _randomise(layer, rng, scale=1.0, offset=0.0):
    for p in layer.params.values():
        p[...] = offset + scale * rng.standard_normal(p.shape)
    return layer


def linear(shape, rng, dtype, out=3, bias=True):
    layer = ni.Linear(shape[1], out, bias=bias, weight_scale=1 / np.sqrt(shape[1]), rng=rng, dtype=dtype)
    if bias:
        layer.params["b"][...] = rng.standard_normal(out)
    return layer


def mlp(shape, rng, dtype):
    return ni.Sequential(linear(shape, rng, dtype, out=6), ni.ReLU(), linear((0, 6), rng, dtype, out=3))


def conv(shape, rng, dtype, cls=ni.Conv2d, out=4, k=3, stride=1, pad=0, dil=1, bias=True):
    layer = cls(shape[1], out, k, stride=stride, padding=pad, dilation=dil, bias=bias,
                weight_scale=1 / np.sqrt(shape[1] * np.prod(k)), rng=rng, dtype=dtype)
    if bias:
        layer.params["b"][...] = rng.standard_normal(out)
    return layer


def batchnorm(shape, rng, dtype, affine=True, convention="torch", **momentum):
    cls = ni.BatchNorm1d if len(shape) == 2 else ni.BatchNorm2d
    layer = cls(shape[1], affine=affine, convention=convention, dtype=dtype, **momentum)
    return _randomise(layer, rng, 0.5, 1.0)


def layernorm(shape, rng, dtype, dims=1, affine=True, bias=True):
    layer = ni.LayerNorm(shape[-dims:], elementwise_affine=affine, dtype=dtype, bias=bias)
    return _randomise(layer, rng, 0.5, 1.0)


def _same_mirror(layer, module, params, buffers, dtype, seed, component, sample):
    """``torch_ref.mirror(layer)`` builds the module the sample's arguments build, with the same
    parameter and buffer mappings (the check ``mirror``): what ``diagnose`` and lockstep use agrees
    with what the check used."""
    meta = dict(component=component, check="mirror", dtype=dtype.name, sample=sample, seed=seed)
    try:
        built = mirror(layer, dtype)
    except Exception as exc:
        return failed(f"torch_ref.mirror raised {type(exc).__name__}: {exc}", **meta)
    if _hyper(built.module) != _hyper(module):
        return failed(f"torch_ref.mirror built {built.module!r}, the sample's arguments build {module!r}", **meta)
    for what, got, want in (("parameter", built.params, params), ("buffer", built.buffers, buffers)):
        if normalise(got) != normalise(want):
            return failed(f"torch_ref.mirror maps the {what}s {normalise(got)}, the check maps {normalise(want)}",
                          **meta)
    return CheckResult(passed=True, **meta)


_PAIRS = ("kernel_size", "stride", "padding", "dilation")
_ATTRS = _PAIRS + ("eps", "momentum", "normalized_shape", "elementwise_affine", "affine", "p", "negative_slope",
                   "count_include_pad", "ceil_mode", "in_channels", "out_channels", "in_features", "out_features")


def _hyper(module):
    """A module's type, hyperparameters (an int kernel/stride/padding/dilation as its pair) and the
    shapes of its parameters and buffers."""
    out = {"type": type(module).__name__}
    for a in _ATTRS:
        if hasattr(module, a):
            v = getattr(module, a)
            out[a] = (v, v) if a in _PAIRS and isinstance(v, int) else (tuple(v) if isinstance(v, list) else v)
    out["tensors"] = {k: tuple(t.shape) for k, t in list(module.named_parameters()) + list(module.named_buffers())}
    return out


def share_dropout_mask(layer, out_t):
    """torch drew the mask: recover it from the output (inputs are never 0) and hand it over."""
    layer.set_mask(out_t.detach().numpy() != 0)


# ---------------------------------------------------------------- torch modules from a sample's arguments
BN_BUFFERS = {"running_mean": "running_mean", "running_var": "running_var"}


def torch_linear(shape, out=3, bias=True):
    return nn.Linear(shape[1], out, bias=bias), {"W": "weight.T", **({"b": "bias"} if bias else {})}, {}


def torch_conv(shape, out=4, k=3, stride=1, pad=0, dil=1, bias=True):
    return (nn.Conv2d(shape[1], out, k, stride=stride, padding=pad, dilation=dil, bias=bias),
            {"W": "weight", **({"b": "bias"} if bias else {})}, {})


def torch_pool(cls):
    return lambda shape, **kw: (cls(**kw), {}, {})


def torch_batchnorm(shape, affine=True, **momentum):
    cls = nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d
    buffers = dict(BN_BUFFERS, num_batches_tracked="num_batches_tracked") if momentum.get("momentum", 0) is None else BN_BUFFERS
    return cls(shape[1], affine=affine, **momentum), {"gamma": "weight", "beta": "bias"} if affine else {}, buffers


def torch_layernorm(shape, dims=1, affine=True, bias=True):
    return (nn.LayerNorm(shape[-dims:], elementwise_affine=affine, bias=bias),
            ({"gamma": "weight", "beta": "bias"} if bias else {"gamma": "weight"}) if affine else {}, {})


def simple(cls, **fixed):
    return lambda shape, rng, dtype, **kw: cls(**{**fixed, **kw})


# ---------------------------------------------------------------- the entries
IMG = random_shape((1, 3), (1, 3), (5, 9), (5, 9))

ENTRIES = [
    OpInfo("Linear", linear, [
        Sample("random", random_shape((1, 8), (1, 8))),
        Sample("batch of 1", (1, 5)),
        Sample("one feature", (4, 1), {"out": 1}),
        Sample("no bias", (3, 4), {"bias": False}),
        Sample("square", (3, 4), {"out": 4}),
    ], torch_module=torch_linear, doc="x @ W + b; W is (in, out), torch weight = W.T"),
    OpInfo("Flatten", simple(ni.Flatten), [Sample("4-D", (2, 3, 4, 5)), Sample("2-D", (1, 7)),
                                           Sample("empty batch (0,3,4,5)", (0, 3, 4, 5), fd=False)]),
    OpInfo("ReLU", simple(ni.ReLU), [
        Sample("random", random_shape((1, 6), (1, 6))),
        Sample("exact zeros", (4, 6), fd=False, inputs=with_zeros),
        Sample("NaN, inf and -inf inputs", (4, 6), fd=False, inputs=nan_and_inf, nonfinite=True),
        Sample("inf upstream gradient", (4, 6), fd=False, dout=inf_dout, nonfinite=True),
    ], inputs=away_from_zero, doc="gradient at exactly 0 is 0, as torch"),
    OpInfo("LeakyReLU", simple(ni.LeakyReLU), [
        Sample("slope 0.01", (4, 5)),
        Sample("slope 0.2", (3, 2, 4), {"negative_slope": 0.2}),
        Sample("exact zeros", (4, 6), fd=False, inputs=with_zeros),
    ], inputs=away_from_zero, torch_module=lambda shape, **kw: (nn.LeakyReLU(**kw), {}, {})),
    OpInfo("Sigmoid", simple(ni.Sigmoid), [
        Sample("random", random_shape((1, 6), (1, 6))),
        Sample("saturating +-1000", (3, 4), inputs=extreme),
    ], doc="stable for large |x|"),
    OpInfo("Tanh", simple(ni.Tanh), [
        Sample("random", random_shape((1, 6), (1, 6))),
        Sample("saturating +-1000", (3, 4), inputs=extreme),
    ]),
    OpInfo("Sequential", mlp, [Sample("Linear-ReLU-Linear", (5, 4))], inputs=away_from_zero,
           doc="parameters named '<index>.<name>'"),
    OpInfo("Conv2d", conv, [
        Sample("3x3 s1 p0", (2, 3, 6, 7)),
        Sample("3x3 s1 p1", (2, 3, 5, 5), {"pad": 1}),
        Sample("3x3 s2 p1", (2, 2, 7, 6), {"stride": 2, "pad": 1}),
        Sample("5x5 s3 p2", (1, 2, 9, 8), {"k": 5, "stride": 3, "pad": 2}),
        Sample("3x3 dil2 p2", (2, 2, 7, 7), {"dil": 2, "pad": 2}),
        Sample("2x2 s2 dil2", (1, 3, 8, 9), {"k": 2, "stride": 2, "dil": 2}),
        Sample("1x1", (2, 4, 3, 3), {"k": 1, "out": 2}),
        Sample("single channel, batch of 1", (1, 1, 5, 6), {"out": 1, "pad": 1}),
        Sample("no bias", (2, 2, 5, 5), {"bias": False}),
        Sample("random", IMG, {"pad": 1}),
        # every axis on its own: a height/width swap anywhere changes the result
        Sample("k(2,3) s(1,2) p(0,1)", (2, 3, 7, 8), {"k": (2, 3), "stride": (1, 2), "pad": (0, 1)}),
        Sample("k(3,2) s(2,1) p(1,0) dil(1,2)", (2, 2, 9, 7), {"k": (3, 2), "stride": (2, 1), "pad": (1, 0),
                                                               "dil": (1, 2)}),
        Sample("k(1,3) dil(2,1) odd, batch of 1", (1, 3, 7, 5), {"k": (1, 3), "dil": (2, 1), "pad": (2, 1)}),
    ], torch_module=torch_conv, doc="im2col via sliding_window_view + one matmul; col2im loops over kernel offsets"),
    OpInfo("Conv2dNaive", lambda shape, rng, dtype, **kw: conv(shape, rng, dtype, cls=ni.Conv2dNaive, **kw), [
        Sample("3x3 s1 p1", (2, 2, 5, 5), {"pad": 1, "out": 3}),
        Sample("3x3 s2 dil2 p1", (1, 2, 7, 6), {"stride": 2, "pad": 1, "dil": 2, "out": 2}),
        Sample("k(2,3) s(1,2) p(0,1) dil(2,1)", (2, 2, 7, 8), {"k": (2, 3), "stride": (1, 2), "pad": (0, 1),
                                                               "dil": (2, 1), "out": 3}),
    ], torch_module=torch_conv, doc="the six-loop reference"),
    OpInfo("MaxPool2d", simple(ni.MaxPool2d), [
        Sample("2x2 s2", (2, 3, 8, 8), {"kernel_size": 2}),
        Sample("2x2 s2 on odd 7x9: the windows leave a row and a column out", (2, 2, 7, 9), {"kernel_size": 2}),
        Sample("3x3 s2 p1 odd", (1, 2, 7, 9), {"kernel_size": 3, "stride": 2, "padding": 1}),
        Sample("3x3 s1 overlapping", (2, 1, 6, 5), {"kernel_size": 3, "stride": 1}),
        Sample("2x2 ties after ReLU", (2, 3, 6, 6), {"kernel_size": 2}, fd=False, inputs=relu_ties),
        Sample("3x3 s1 ties after ReLU", (1, 2, 7, 7), {"kernel_size": 3, "stride": 1, "padding": 1},
               fd=False, inputs=relu_ties),
        Sample("k(2,3) s(1,2) p(0,1)", (2, 3, 7, 8), {"kernel_size": (2, 3), "stride": (1, 2), "padding": (0, 1)}),
        Sample("k(3,2) s(2,1) p(1,0) odd, batch of 1", (1, 2, 9, 7),
               {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0)}),
        Sample("NaN routing", (2, 2, 6, 7), {"kernel_size": (2, 3), "stride": (2, 1)}, fd=False, inputs=with_nan,
               nonfinite=True),
        Sample("-inf windows beside padding", (2, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1}, fd=False,
               inputs=with_neg_inf_corners, nonfinite=True),
        # ceil mode: the last window runs past the input (7 = 2*3 + 1; 3x3 s2 on 8 with p1 overruns by one)
        Sample("2x2 s2 ceil_mode on odd 7x9", (2, 2, 7, 9), {"kernel_size": 2, "ceil_mode": True}),
        Sample("3x3 s2 p1 ceil_mode", (1, 2, 8, 6), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
        Sample("-inf windows ceil_mode", (2, 1, 8, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
               fd=False, inputs=with_neg_inf_corners, nonfinite=True),
        # 2x2 s2 p1 on 5: rounding up gives a 4th window, which would start in the right padding: 3
        Sample("2x2 s2 p1 ceil_mode on 5x7", (2, 2, 5, 7), {"kernel_size": 2, "padding": 1, "ceil_mode": True}),
        Sample("4x4 s2 ceil_mode on 3x3: an input smaller than the window", (2, 2, 3, 3),
               {"kernel_size": 4, "stride": 2, "ceil_mode": True}),
        Sample("3x3 dilation 2", (2, 2, 9, 8), {"kernel_size": 3, "dilation": 2}),
        Sample("k(2,3) s(2,1) p1 dilation (3,2) ceil_mode", (1, 2, 9, 10),
               {"kernel_size": (2, 3), "stride": (2, 1), "padding": 1, "dilation": (3, 2), "ceil_mode": True}),
    ], inputs=distinct, torch_module=torch_pool(nn.MaxPool2d),
        doc="pads with -inf; a tie sends the gradient to the first maximum, as torch; dilation, ceil_mode"),
    OpInfo("AvgPool2d", simple(ni.AvgPool2d), [
        Sample("2x2 s2", (2, 3, 6, 6), {"kernel_size": 2}),
        Sample("3x3 s2 p1", (1, 2, 7, 8), {"kernel_size": 3, "stride": 2, "padding": 1}),
        Sample("3x3 s2 p1 exclude pad", (2, 2, 7, 7),
               {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
        Sample("k(2,3) s(1,2) p(0,1)", (2, 3, 7, 8), {"kernel_size": (2, 3), "stride": (1, 2), "padding": (0, 1)}),
        Sample("k(3,2) s(2,1) p(1,0) exclude pad, batch of 1", (1, 2, 9, 7),
               {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "count_include_pad": False}),
        # ceil mode: the overrun past the padded input is not counted in the divisor, the padding is
        Sample("3x3 s2 p1 ceil_mode", (2, 2, 6, 8), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
        Sample("3x3 s2 p1 ceil_mode exclude pad", (1, 2, 8, 6),
               {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
        Sample("2x2 s2 ceil_mode on odd 5x7", (2, 3, 5, 7), {"kernel_size": 2, "ceil_mode": True}),
        Sample("2x2 s2 p1 ceil_mode on 5x7", (1, 2, 5, 7), {"kernel_size": 2, "padding": 1, "ceil_mode": True}),
        Sample("4x4 s2 ceil_mode on 3x3: an input smaller than the window", (1, 2, 3, 3),
               {"kernel_size": 4, "stride": 2, "ceil_mode": True}),
        Sample("divisor_override=5", (2, 2, 6, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 5}),
    ], torch_module=torch_pool(nn.AvgPool2d), doc="zero padding; count_include_pad, ceil_mode, divisor_override as torch"),
    OpInfo("BatchNorm1d", batchnorm, [
        Sample("random", random_shape((2, 8), (1, 6))),
        Sample("batch of 2", (2, 3)),
        Sample("no affine", (6, 4), {"affine": False}),
        Sample("momentum=None: the cumulative average", (5, 3), {"momentum": None}),
        Sample("momentum=0.3", (4, 3), {"momentum": 0.3}),
    ], eval_mode=True, extra_batches=3, torch_module=torch_batchnorm,
        doc="torch momentum/eps; running_var from the unbiased variance; checked after 4 training steps, then eval"),
    OpInfo("BatchNorm2d", batchnorm, [
        Sample("random", IMG),
        Sample("batch of 1", (1, 3, 4, 5)),
        Sample("single channel", (3, 1, 4, 4)),
        Sample("no affine", (2, 2, 3, 3), {"affine": False}),
        Sample("momentum=None: the cumulative average", (2, 3, 4, 4), {"momentum": None}),
        # past one 1 MB block of samples in both dtypes: each block's own rows, beta added once
        Sample("(40, 8, 32, 32): several sample blocks", (40, 8, 32, 32), fd=False),
    ], eval_mode=True, extra_batches=3, torch_module=torch_batchnorm, doc="per channel over (N, H, W)"),
    OpInfo("LayerNorm", layernorm, [
        Sample("(N, D)", (4, 6)),
        Sample("over (C, H, W)", (2, 3, 4, 4), {"dims": 3}),
        Sample("no affine", (3, 5), {"affine": False}),
        Sample("gamma without beta (bias=False)", (3, 2, 5), {"bias": False}),
        # normalized_shape of every length on (N, T, D) and (N, C, H, W): the leading axes must stay apart
        Sample("(N, T, D) over D", (3, 4, 5)),
        Sample("(N, T, D) over (T, D)", (2, 3, 5), {"dims": 2}),
        Sample("(N, C, H, W) over W", (2, 3, 4, 5)),
        Sample("(N, C, H, W) over (H, W)", (2, 3, 5, 4), {"dims": 2}),
        Sample("odd (N, C, H, W) over (C, H, W), batch of 1", (1, 3, 5, 7), {"dims": 3}),
        # past one 1 MB block of rows in both dtypes: the per-block partial sums must all be added
        Sample("(600, 520): several row blocks", (600, 520), fd=False),
    ], torch_module=torch_layernorm),
    OpInfo("Dropout", simple(ni.Dropout), [
        Sample("p=0.5", (8, 10)),
        Sample("p=0.2 4-D", (2, 3, 4, 4), {"p": 0.2}),
        Sample("p=1 drops everything", (4, 5), {"p": 1.0}, fd=False),
        Sample("p=0 keeps everything", (4, 5), {"p": 0.0}),
    ], inputs=away_from_zero, eval_mode=True, share=share_dropout_mask,
        torch_module=lambda shape, p=0.5: (nn.Dropout(p), {}, {}),
        doc="inverted; torch's own mask recovered from its output and fed to NumPy"),
    # losses
    OpInfo("softmax_loss", nl.softmax_loss, [
        Sample("random", random_shape((1, 10), (2, 10))),
        Sample("batch of 1", (1, 5)),
        Sample("two classes", (6, 2)),
        Sample("large logits 1e3", (4, 5), fd=False, inputs=scores(1e3)),
        Sample("rows past exp's range (+-500) beside plain rows", (6, 5), fd=False, inputs=scores_past_exp_range),
        Sample("confident rows (label logit +40)", (5, 4), fd=False, inputs=confident_scores),
        Sample("confidently wrong rows (label logit -30, -800) beside plain rows", (6, 4), fd=False,
               inputs=wrong_scores),
        Sample("logits near exp's limit, label above", (5, 4), fd=False, inputs=high_scores),
        Sample("rows just below exp's range (-720 float64, -95 float32) beside plain rows", (6, 5), fd=False,
               inputs=low_scores),
        # past one 1 MB block of rows in both dtypes: every block divides by the whole batch's N
        Sample("(300, 1000): several row blocks", (300, 1000), fd=False),
    ], kind="loss", torch=tl.softmax_loss, inputs=scores(), doc="F.cross_entropy (mean)"),
    OpInfo("softmax_loss_naive", nl.softmax_loss_naive, [
        Sample("random", random_shape((1, 8), (2, 6))),
        Sample("large logits 1e3", (3, 4), fd=False, inputs=scores(1e3)),
    ], kind="loss", torch=tl.softmax_loss, inputs=scores()),
    OpInfo("svm_loss", nl.svm_loss, [
        Sample("random", random_shape((1, 10), (2, 10))),
        Sample("batch of 1", (1, 4)),
        Sample("large scores 1e3", (4, 5), fd=False, inputs=scores(1e3)),
        Sample("delta 0.5", (6, 5), {"delta": 0.5}),
    ], kind="loss", torch=tl.svm_loss, inputs=svm_scores, doc="C * MultiMarginLoss"),
    OpInfo("svm_loss_naive", nl.svm_loss_naive, [Sample("random", random_shape((1, 8), (2, 6)))],
           kind="loss", torch=tl.svm_loss, inputs=svm_scores),
    OpInfo("mse_loss", nl.mse_loss, [Sample("(N, D)", (5, 3)), Sample("4-D", (2, 1, 3, 3))],
           kind="loss", torch=tl.mse_loss, inputs=regression, doc="F.mse_loss (mean)"),
]


OPTIM_ENTRIES = [
    OptimInfo("SGD", lambda p: no.SGD(p, lr=1e-3)),
    OptimInfo("SGD momentum", lambda p: no.SGD(p, lr=1e-3, momentum=0.9)),
    OptimInfo("SGD momentum dampening+wd", lambda p: no.SGD(p, lr=1e-3, momentum=0.8, dampening=0.3,
                                                             weight_decay=1e-2)),
    OptimInfo("SGD nesterov", lambda p: no.SGD(p, lr=1e-3, momentum=0.9, nesterov=True)),
    OptimInfo("SGD momentum StepLR", lambda p: no.SGD(p, lr=1e-2, momentum=0.9),
              schedule=lambda o: no.StepLR(o, 30, 0.5)),
    OptimInfo("Adagrad", lambda p: no.Adagrad(p, lr=0.1, lr_decay=1e-3, initial_accumulator_value=0.1, eps=1e-7)),
    OptimInfo("RMSprop", lambda p: no.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-6)),
    OptimInfo("RMSprop momentum 0.9", lambda p: no.RMSprop(p, lr=1e-3, alpha=0.99, momentum=0.9)),
    OptimInfo("Adagrad wd", lambda p: no.Adagrad(p, lr=0.1, weight_decay=1e-2)),
    OptimInfo("RMSprop centered momentum", lambda p: no.RMSprop(p, lr=1e-3, momentum=0.5, centered=True,
                                                                 weight_decay=1e-3)),
    OptimInfo("Adam", lambda p: no.Adam(p, lr=1e-2)),
    OptimInfo("Adam amsgrad wd", lambda p: no.Adam(p, lr=1e-2, amsgrad=True, weight_decay=1e-2)),
    OptimInfo("Adam ExponentialLR", lambda p: no.Adam(p, lr=1e-2), schedule=lambda o: no.ExponentialLR(o, 0.97)),
    OptimInfo("AdamW cosine", lambda p: no.AdamW(p, lr=1e-2, weight_decay=0.1),
              schedule=lambda o: no.CosineAnnealingLR(o, T_max=40, eta_min=1e-4)),
    OptimInfo("Adam warmup", lambda p: no.Adam(p, lr=1e-2), schedule=lambda o: no.LinearWarmup(o, 0.1, 1.0, 20)),
    OptimInfo("SGD warmup to half", lambda p: no.SGD(p, lr=5e-3, momentum=0.9),
              schedule=lambda o: no.LinearWarmup(o, 0.2, 0.5, 15)),
    OptimInfo("SGD groups (wd on weights only)", lambda p: no.SGD(p, lr=1e-3, momentum=0.9),
              groups=({"weight_decay": 5e-2}, {"weight_decay": 0.0, "lr": 1e-2})),
    OptimInfo("AdamW groups (wd on weights only)", lambda p: no.AdamW(p, lr=1e-2),
              groups=({"weight_decay": 0.1}, {"weight_decay": 0.0, "betas": (0.8, 0.99)})),
]
# the later components (activations, losses, sequences, attention, optimizers...) live in their own
# module; it builds its lists on first access, since it imports this one
from . import entries_breadth as breadth  # noqa: E402
from .properties import PROPERTY_ENTRIES  # noqa: E402  (it uses Case, defined above)

OPTIM_ENTRIES = OPTIM_ENTRIES + breadth.OPTIM_ENTRIES
ENTRIES = ENTRIES + breadth.ENTRIES + OPTIM_ENTRIES + PROPERTY_ENTRIES
BY_NAME = {e.name: e for e in ENTRIES}


def select(only=None):
    """Entries whose name matches any of the comma-separated patterns (substring, or glob when the
    pattern has * ? [; case-insensitive)."""
    if not only:
        return list(ENTRIES)
    pats = [p.strip().lower() for p in only.split(",") if p.strip()]
    return [e for e in ENTRIES if any(fnmatch.fnmatch(e.name.lower(), p if any(ch in p for ch in "*?[") else f"*{p}*")
                                      for p in pats)]


def cases(entries=None, dtypes=("float64", "float32"), seed=0):
    """Every case of ``entries`` (default: all)."""
    for entry in ENTRIES if entries is None else entries:
        yield from entry.cases(dtypes, seed)


__all__ = ["OpInfo", "OptimInfo", "Sample", "Case", "ENTRIES", "BY_NAME", "cases", "select", "Tolerance"]
