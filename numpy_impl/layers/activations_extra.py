"""More activations, as layers: GELU (exact and tanh), ELU, SELU, SiLU, Softplus, and Softmax /
LogSoftmax over any axis.

x: any shape -> out: the same shape (Softmax / LogSoftmax: ``dim`` must be an axis of x). Each
follows torch's formula and torch's choice at the branch points:

* ELU / SELU: the gradient at exactly 0 takes the negative branch (``alpha``, ``scale * alpha``).
* Softplus: ``x`` where ``beta * x > threshold``, else ``log1p(exp(beta * x)) / beta`` (beta 1,
  threshold 20 by default); the gradient switches on the same test.
* GELU: ``approximate="none"`` is ``x * Phi(x)`` (erf from ``numpy_impl._special``),
  ``"tanh"`` is ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
"""
import numpy as np

from ..checks import check_number
from ..special import erf
from .activations import _Elementwise

_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
_KAPPA = 0.044715


def _sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)


class GELU(_Elementwise):
    """Gaussian error linear unit, ``nn.GELU(approximate=...)``."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def describe(self):
        return f"GELU(approximate={self.approximate!r})"

    def _forward(self, x):
        if self.approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x)).astype(x.dtype, copy=False)
            self._cache = (x, t)
            return (0.5 * x * (1 + t)).astype(x.dtype, copy=False)
        cdf = (0.5 * (1 + erf(x.astype(np.float64) / np.sqrt(2.0))))
        self._cache = (x, cdf)
        return (x * cdf).astype(x.dtype, copy=False)

    def _backward(self, dout):
        x, aux = self._cache
        if self.approximate == "tanh":
            t = aux
            inner_grad = _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x)
            local = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_grad
        else:
            pdf = _INV_SQRT_2PI * np.exp(-0.5 * x.astype(np.float64) ** 2)
            local = aux + x * pdf
        return (dout * local).astype(dout.dtype, copy=False)


class ELU(_Elementwise):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise (``nn.ELU``, alpha 1)."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = check_number("ELU", "alpha", alpha)

    def describe(self):
        return f"ELU(alpha={self.alpha})"

    _scale = 1.0

    def _forward(self, x):
        pos = x > 0
        neg = np.expm1(np.where(pos, 0, x)) * x.dtype.type(self.alpha)
        self._cache = (pos, x)
        return (x.dtype.type(self._scale) * np.where(pos, x, neg)).astype(x.dtype, copy=False)

    def _backward(self, dout):
        pos, x = self._cache
        a, s = dout.dtype.type(self.alpha), dout.dtype.type(self._scale)
        local = np.where(pos, s, s * a * np.exp(np.where(pos, 0, x)))
        return (dout * local).astype(dout.dtype, copy=False)


class SELU(ELU):
    """``scale * ELU(x, alpha)`` with torch's constants (``nn.SELU``)."""

    def __init__(self):
        super().__init__(alpha=1.6732632423543772848170429916717)
        self._scale = 1.0507009873554804934193349852946

    def describe(self):
        return "SELU"


class SiLU(_Elementwise):
    """``x * sigmoid(x)`` (swish), ``nn.SiLU``."""

    def _forward(self, x):
        s = _sigmoid(x)
        self._cache = (x, s)
        return x * s

    def _backward(self, dout):
        x, s = self._cache
        return dout * (s * (1 + x * (1 - s)))


class Softplus(_Elementwise):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta * x > threshold`` (``nn.Softplus``)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = check_number("Softplus", "beta", beta), check_number("Softplus", "threshold", threshold)
        if self.beta == 0:
            raise ValueError("Softplus: beta must be a nonzero number, got 0")

    def describe(self):
        return f"Softplus(beta={self.beta}, threshold={self.threshold})"

    def _forward(self, x):
        bx = x * x.dtype.type(self.beta)
        linear = bx > self.threshold
        safe = np.where(linear, 0, bx)
        soft = (np.maximum(safe, 0) + np.log1p(np.exp(-np.abs(safe)))) / x.dtype.type(self.beta)
        self._cache = (linear, safe)
        return np.where(linear, x, soft).astype(x.dtype, copy=False)

    def _backward(self, dout):
        linear, safe = self._cache
        return np.where(linear, dout, dout * _sigmoid(safe)).astype(dout.dtype, copy=False)


class _SoftmaxBase(_Elementwise):
    def __init__(self, dim=-1):
        super().__init__()
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: dim must be an integer, got {dim!r}")
        self.dim = int(dim)

    def describe(self):
        return f"{type(self).__name__}(dim={self.dim})"

    def _axis(self, x):
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{self.describe()}: dim {self.dim} is not an axis of the input: expected an "
                             f"input with at least {self.dim + 1 if self.dim >= 0 else -self.dim} dims, "
                             f"got shape {tuple(x.shape)} ({x.ndim}-D)")
        return self.dim % x.ndim

    def _log_softmax(self, x):
        ax = self._axis(x)
        shifted = x - x.max(axis=ax, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True)), ax


class Softmax(_SoftmaxBase):
    """``exp(x) / sum(exp(x))`` along ``dim`` (``nn.Softmax(dim)``), shifted by the max."""

    def _forward(self, x):
        logp, ax = self._log_softmax(x)
        out = np.exp(logp)
        self._cache = (out, ax)
        return out

    def _backward(self, dout):
        y, ax = self._cache
        return y * (dout - (dout * y).sum(axis=ax, keepdims=True))


class LogSoftmax(_SoftmaxBase):
    """``x - logsumexp(x)`` along ``dim`` (``nn.LogSoftmax(dim)``)."""

    def _forward(self, x):
        out, ax = self._log_softmax(x)
        self._cache = (out, ax)
        return out

    def _backward(self, dout):
        y, ax = self._cache
        return dout - np.exp(y) * dout.sum(axis=ax, keepdims=True)
