"""Weight initialisers with torch's fan and gain conventions, for the NumPy layouts.

Every function is ``f(shape, rng=None, dtype=float64, layout=None, ...) -> array``.
``layout`` says how to read the fans: ``"linear"`` is the NumPy Linear weight (in, out),
``"torch"`` is torch's (out, in, *kernel) -- which is also the NumPy Conv2d weight (F, C, kh, kw).
By default 2-D shapes are read as ``"linear"`` and other shapes as ``"torch"``.

The classic "Xavier" ``std = sqrt(1/fan_in)`` is NOT torch's ``xavier_normal_``
(``sqrt(2/(fan_in+fan_out))``); it is ``kaiming_normal_(nonlinearity="linear")`` and is named
``lecun_normal`` here (``classic_xavier`` is an alias). He is ``kaiming_normal(nonlinearity="relu")``.
"""
import math
import os

import numpy as np

from .checks import check_number, float_dtype
from .rng import as_rng



def _shape(component, shape, draws=True):
    """A weight shape: non-negative integers (a tuple, or one integer); with ``draws``, one whose float64
    draws fit in the machine's memory (else a MemoryError naming ``component``, not NumPy's from inside)."""
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        ok = all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{component}: shape must be a tuple of integers >= 0, got {shape!r}")
    dims = tuple(int(d) for d in dims)
    need = math.prod(dims) * 8                      # the draws are float64 before any cast
    if draws and need > _memory():
        raise MemoryError(f"{component}: shape {dims} needs {need / 2 ** 30:,.0f} GiB of float64 draws, more than "
                          f"this machine's {_memory() / 2 ** 30:,.0f} GiB of memory")
    return dims


def _memory():
    """The machine's physical memory in bytes (unbounded where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return math.inf


def fans(shape, layout=None):
    """(fan_in, fan_out) as torch computes them for the tensor that this NumPy array maps to."""
    shape = _shape("fans", shape, draws=False)
    if len(shape) < 2:
        raise ValueError(f"fans: need at least 2 dimensions, got shape {shape}")
    layout = layout or ("linear" if len(shape) == 2 else "torch")
    if layout == "linear":
        if len(shape) != 2:
            raise ValueError(f"fans: layout 'linear' is (in, out), got shape {shape}")
        return shape[0], shape[1]
    if layout != "torch":
        raise ValueError(f"fans: layout must be 'linear' or 'torch', got {layout!r}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _nonzero_fans(shape, layout, component):
    _shape(component, shape)
    fi, fo = fans(shape, layout)
    if not fi or not fo:
        raise ValueError(f"init: a weight of shape {tuple(shape)} has fan_in {fi}, fan_out {fo}; both must be >= 1")
    return fi, fo


def gain(nonlinearity="leaky_relu", param=None):
    """torch.nn.init.calculate_gain."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                        "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else check_number("gain", "param (the negative slope)", param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"gain: unknown nonlinearity {nonlinearity!r}")


def zeros(shape, rng=None, dtype=np.float64, layout=None):
    return np.zeros(_shape("init.zeros", shape), dtype=float_dtype("init", dtype))


def constant(shape, value, rng=None, dtype=np.float64, layout=None):
    return np.full(_shape("init.constant", shape), value, dtype=float_dtype("init", dtype))


def normal(shape, rng=None, dtype=np.float64, layout=None, std=0.01, mean=0.0):
    """Normal with a fixed std: the classic ``0.01 * randn``."""
    dtype = float_dtype("init", dtype)
    shape = _shape("init.normal", shape)
    std, mean = check_number("init.normal", "std", std, 0), check_number("init.normal", "mean", mean)
    return (mean + std * as_rng(rng).standard_normal(shape)).astype(dtype)


def uniform(shape, rng=None, dtype=np.float64, layout=None, a=0.0, b=1.0):
    dtype = float_dtype("init", dtype)
    shape = _shape("init.uniform", shape)
    check_number("init.uniform", "a", a), check_number("init.uniform", "b", b)     # -inf would overflow the draw
    if not b >= a:
        raise ValueError(f"init.uniform: expected a <= b, got a={a!r}, b={b!r}")
    return as_rng(rng).uniform(a, b, shape).astype(dtype)


def xavier_normal(shape, rng=None, dtype=np.float64, layout=None, gain_=1.0):
    fi, fo = _nonzero_fans(shape, layout, "xavier_normal")
    gain_ = check_number("xavier_normal", "gain_", gain_, 0)
    return normal(shape, rng, dtype, std=gain_ * math.sqrt(2.0 / (fi + fo)))


def xavier_uniform(shape, rng=None, dtype=np.float64, layout=None, gain_=1.0):
    fi, fo = _nonzero_fans(shape, layout, "xavier_uniform")
    gain_ = check_number("xavier_uniform", "gain_", gain_, 0)
    bound = gain_ * math.sqrt(6.0 / (fi + fo))
    return uniform(shape, rng, dtype, a=-bound, b=bound)


def _fan(fan_in, fan_out, mode, component):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{component}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def kaiming_normal(shape, rng=None, dtype=np.float64, layout=None, a=0.0, mode="fan_in",
                   nonlinearity="leaky_relu"):
    """``torch.nn.init.kaiming_normal_``, its defaults included: gain ``sqrt(2 / (1 + a**2))``
    (leaky_relu, ``a`` its negative slope; with ``a = 0`` that is ReLU's sqrt(2))."""
    fi, fo = _nonzero_fans(shape, layout, "kaiming_normal")
    std = gain(nonlinearity, a) / math.sqrt(_fan(fi, fo, mode, "kaiming_normal"))
    return normal(shape, rng, dtype, std=std)


def kaiming_uniform(shape, rng=None, dtype=np.float64, layout=None, a=0.0, mode="fan_in",
                    nonlinearity="leaky_relu"):
    """``torch.nn.init.kaiming_uniform_``, its defaults included; ``a=math.sqrt(5)`` is the init
    torch gives ``nn.Linear`` and ``nn.Conv2d`` weights (bound ``1/sqrt(fan_in)``)."""
    fi, fo = _nonzero_fans(shape, layout, "kaiming_uniform")
    bound = math.sqrt(3.0) * gain(nonlinearity, a) / math.sqrt(_fan(fi, fo, mode, "kaiming_uniform"))
    return uniform(shape, rng, dtype, a=-bound, b=bound)


def he_normal(shape, rng=None, dtype=np.float64, layout=None):
    """He: std sqrt(2/fan_in) = kaiming_normal(nonlinearity='relu')."""
    return kaiming_normal(shape, rng, dtype, layout, nonlinearity="relu")


def lecun_normal(shape, rng=None, dtype=np.float64, layout=None):
    """The classic 'Xavier' of the from-scratch books: std sqrt(1/fan_in)."""
    return kaiming_normal(shape, rng, dtype, layout, nonlinearity="linear")


classic_xavier = lecun_normal

INITIALIZERS = {"normal": normal, "xavier": xavier_normal, "xavier_normal": xavier_normal,
                "xavier_uniform": xavier_uniform, "he": he_normal, "kaiming_normal": kaiming_normal,
                "kaiming_uniform": kaiming_uniform, "classic_xavier": lecun_normal, "lecun": lecun_normal,
                "zeros": zeros}


def by_name(name, std=0.01):
    """An ``init(shape, rng, dtype)`` function by name; ``"normal"`` uses ``std``."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initialiser {name!r}; choose from {sorted(INITIALIZERS)}")
    f = INITIALIZERS[name]
    if name == "normal":
        return lambda shape, rng=None, dtype=np.float64: normal(shape, rng, dtype, std=std)
    return lambda shape, rng=None, dtype=np.float64: f(shape, rng, dtype)
