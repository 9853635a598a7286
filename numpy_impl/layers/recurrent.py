"""Sequence layers: Embedding, TemporalAffine, and the recurrent RNN, LSTM and GRU (batch first).

Embedding: ids (any shape, integers in [0, V)) -> out ids.shape + (D,); W (V, D) is torch's
``weight``. ``padding_idx``: that row starts at zero and its gradient is always zero (torch).
``backward`` returns None: integer ids have no gradient.

TemporalAffine: x (N, T, D) -> x @ W + b (N, T, M); W (D, M) (torch ``nn.Linear`` weight = W.T).

RNN / LSTM / GRU: ``forward(x, h0=None)`` (LSTM ``forward(x, h0=None, c0=None)``), x (N, T, D),
initial state h0 (N, H) (LSTM also c0 (N, H); zeros when not given; pass them by keyword) ->
out (N, T, H), every hidden state. The final states stay in ``h_n`` (and ``c_n``).
``backward(dout)`` takes the gradient of the whole output sequence, returns dx (N, T, D), fills
``grads`` and sets ``dh0`` (and ``dc0``): gradients through time for every parameter and the
initial state.

Layouts (the classic stacked form, gates side by side in the columns):
  Wx (D, G*H), Wh (H, G*H), b (G*H,) with G = 1 (RNN), 4 (LSTM), 3 (GRU).
  torch: weight_ih_l0 = Wx.T (G*H, D), weight_hh_l0 = Wh.T (G*H, H), bias_ih_l0 = b.
  Gate order is torch's: LSTM i, f, g, o (cs231n's classic LSTM is i, f, o, g: a different
  column order); GRU r, z, n.
  Biases: the classic layout has one bias b, which is torch's bias_ih_l0, and torch's
  bias_hh_l0 is held at zero. ``hidden_bias=True`` adds ``bh`` (G*H,) = bias_hh_l0. For RNN and
  LSTM the two biases only add; for GRU they differ, since torch's candidate gate is
  ``n = tanh(x W_in + b_in + r * (h W_hn + b_hn))``: b_hn sits inside the reset gate.
"""
import numpy as np

from ..checks import check_count, check_dim, check_flag, check_ndim, check_number, check_shape, float_dtype
from ..rng import as_rng
from .base import Layer


def _sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


class Embedding(Layer):
    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, rng=None, dtype=np.float64):
        super().__init__()
        dtype = float_dtype(type(self).__name__, dtype)
        self.num_embeddings = check_count("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_count("Embedding", "embedding_dim", embedding_dim)
        self.padding_idx = None
        if padding_idx is not None:
            if isinstance(padding_idx, (bool, np.bool_)) or not isinstance(padding_idx, (int, np.integer)):
                raise ValueError(f"Embedding: padding_idx must be None or an integer in [-{num_embeddings}, "
                                 f"{num_embeddings - 1}], got {padding_idx!r}")
            padding_idx = int(padding_idx)
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"{self.describe()}: padding_idx must lie in [-{self.num_embeddings}, "
                                 f"{self.num_embeddings}), got {padding_idx}")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        W = as_rng(rng).standard_normal((self.num_embeddings, self.embedding_dim))
        if padding_idx is not None:
            W[padding_idx] = 0
        self.params["W"] = W.astype(dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])

    def describe(self):
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}{pad})"

    def forward(self, ids, training=None):
        ids = np.asarray(ids)
        if not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"{self.describe()}: expected integer ids, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_embeddings):
            bad = ids[(ids < 0) | (ids >= self.num_embeddings)].flat[0]
            raise ValueError(f"{self.describe()}: ids must lie in [0, {self.num_embeddings}), got {int(bad)} "
                             f"(ids of shape {tuple(ids.shape)})")
        out = self.params["W"][ids]
        self._cache = ids.copy()
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        ids = self._cache
        dW = np.zeros_like(self.params["W"])
        np.add.at(dW, ids.reshape(-1), dout.reshape(-1, self.embedding_dim))
        if self.padding_idx is not None:
            dW[self.padding_idx] = 0
        self._set_grad("W", dW)
        return None


class TemporalAffine(Layer):
    def __init__(self, in_features, out_features, bias=True, weight_scale=None, rng=None, dtype=np.float64):
        super().__init__()
        dtype = float_dtype(type(self).__name__, dtype)
        self.in_features = check_count(type(self).__name__, "in_features", in_features)
        self.out_features = check_count(type(self).__name__, "out_features", out_features)
        scale = 1 / np.sqrt(self.in_features) if weight_scale is None else \
            check_number(type(self).__name__, "weight_scale", weight_scale, 0)
        self.params["W"] = (scale * as_rng(rng).standard_normal((self.in_features, self.out_features))).astype(dtype)
        if check_flag(type(self).__name__, "bias", bias):
            self.params["b"] = np.zeros(self.out_features, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        return f"TemporalAffine({self.in_features}, {self.out_features})"

    def forward(self, x, training=None):
        x = self._input(x)
        spec = f"(N, T, {self.in_features})"
        check_ndim(self.describe(), x, (3,), spec)
        check_dim(self.describe(), x, 2, self.in_features, spec)
        out = x @ self.params["W"].astype(x.dtype, copy=False)
        if "b" in self.params:
            out = out + self.params["b"].astype(x.dtype, copy=False)
        self._cache = x
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        x = self._cache
        self._set_grad("W", x.reshape(-1, self.in_features).T @ dout.reshape(-1, self.out_features))
        if "b" in self.params:
            self._set_grad("b", dout.sum(axis=(0, 1)))
        return dout @ self.params["W"].astype(dout.dtype, copy=False).T


class _Recurrent(Layer):
    gates = 1
    has_cell = False

    def __init__(self, input_size, hidden_size, bias=True, hidden_bias=False, weight_scale=None, rng=None,
                 dtype=np.float64):
        super().__init__()
        dtype = float_dtype(type(self).__name__, dtype)
        self.input_size = check_count(type(self).__name__, "input_size", input_size)
        self.hidden_size = check_count(type(self).__name__, "hidden_size", hidden_size)
        self.bias = check_flag(type(self).__name__, "bias", bias)
        hidden_bias = check_flag(type(self).__name__, "hidden_bias", hidden_bias)
        if weight_scale is not None:
            check_number(type(self).__name__, "weight_scale", weight_scale, 0)
        if hidden_bias and not bias:
            raise ValueError(f"{self.describe()}: hidden_bias needs bias=True")
        rng = as_rng(rng)
        h, g = self.hidden_size, self.gates * self.hidden_size
        scale = 1 / np.sqrt(h) if weight_scale is None else weight_scale
        self.params["Wx"] = (scale * rng.standard_normal((self.input_size, g))).astype(dtype)
        self.params["Wh"] = (scale * rng.standard_normal((h, g))).astype(dtype)
        if bias:
            self.params["b"] = np.zeros(g, dtype=dtype)
        if hidden_bias:
            self.params["bh"] = np.zeros(g, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.h_n = self.c_n = self.dh0 = self.dc0 = None

    def describe(self):
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def _p(self, name, dtype):
        return self.params[name].astype(dtype, copy=False) if name in self.params else None

    def _state(self, s, n, dtype, what):
        if s is None:
            return np.zeros((n, self.hidden_size), dtype=dtype)
        if np.shape(s) == (1, n, self.hidden_size):     # torch's (num_layers, N, H) layout: say how to pass it
            raise ValueError(f"{self.describe()}: expected initial state {what} of shape {(n, self.hidden_size)}, got "
                             f"torch's layout {np.shape(s)}: pass {what}[0]")
        s = check_shape(self.describe(), s, (n, self.hidden_size), f"initial state {what}")
        return s.astype(dtype, copy=False)

    def _begin(self, x, h0, c0=None):
        x = self._input(x)
        spec = f"(N, T, {self.input_size})"
        check_ndim(self.describe(), x, (3,), spec)
        check_dim(self.describe(), x, 2, self.input_size, spec)
        n, t, _ = x.shape
        if t == 0:
            raise ValueError(f"{self.describe()}: expected at least one time step, got shape {tuple(x.shape)}")
        Wx = self._p("Wx", x.dtype)
        xw = (x.reshape(n * t, x.shape[2]) @ Wx).reshape(n, t, Wx.shape[1])      # not -1: N may be 0
        if self.bias:
            xw = xw + self._p("b", x.dtype)
        return x, xw, self._state(h0, n, x.dtype, "h0"), (self._state(c0, n, x.dtype, "c0") if self.has_cell else None)

    def _param_grads(self, x, h_prev, dgx, dgh):
        """Wx, b from the input-side pre-activation gradients (N, T, G*H); Wh, bh from the hidden side."""
        g = self.gates * self.hidden_size
        self._set_grad("Wx", x.reshape(-1, self.input_size).T @ dgx.reshape(-1, g))
        self._set_grad("Wh", h_prev.reshape(-1, self.hidden_size).T @ dgh.reshape(-1, g))
        if self.bias:
            self._set_grad("b", dgx.sum(axis=(0, 1)))
        if "bh" in self.params:
            self._set_grad("bh", dgh.sum(axis=(0, 1)))
        return dgx @ self._p("Wx", dgx.dtype).T

    @staticmethod
    def _previous(h0, hs):
        return np.concatenate([h0[:, None], hs[:, :-1]], axis=1)


class RNN(_Recurrent):
    """Elman RNN: ``h_t = act(x_t Wx + b + h_{t-1} Wh [+ bh])``, act tanh (default) or relu."""

    def __init__(self, input_size, hidden_size, nonlinearity="tanh", **kw):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, **kw)

    def describe(self):
        return f"RNN({self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r})"

    def forward(self, x, training=None, h0=None):
        self._mode(training, " (pass h0 by keyword: forward(x, h0=h0))")
        x, xw, h, _ = self._begin(x, h0)
        h0 = h
        n, t, _ = x.shape
        Wh, bh = self._p("Wh", x.dtype), self._p("bh", x.dtype)
        hs = np.empty((n, t, self.hidden_size), dtype=x.dtype)
        for s in range(t):
            a = xw[:, s] + h @ Wh
            if bh is not None:
                a = a + bh
            h = np.tanh(a) if self.nonlinearity == "tanh" else np.maximum(a, 0)
            hs[:, s] = h
        self.h_n = h
        self._cache = (x, h0, hs)
        self._out_shape, self._out_dtype = hs.shape, hs.dtype
        return hs

    def backward(self, dout):
        dout = self._dout(dout)
        x, h0, hs = self._cache
        Wh_T = self._p("Wh", dout.dtype).T
        da = np.empty_like(hs)
        dh = np.zeros_like(h0)
        for s in reversed(range(hs.shape[1])):
            dh = dh + dout[:, s]
            h = hs[:, s]
            da[:, s] = dh * (1 - h * h) if self.nonlinearity == "tanh" else dh * (h > 0)
            dh = da[:, s] @ Wh_T
        self.dh0 = dh
        return self._param_grads(x, self._previous(h0, hs), da, da)


class LSTM(_Recurrent):
    """LSTM with torch's gate order i, f, g, o: ``a = x_t Wx + b + h Wh [+ bh]``;
    ``c = f * c + i * g``; ``h = o * tanh(c)``."""

    gates = 4
    has_cell = True

    def forward(self, x, training=None, h0=None, c0=None):
        self._mode(training, " (pass h0 and c0 by keyword: forward(x, h0=h0, c0=c0))")
        x, xw, h, c = self._begin(x, h0, c0)
        h0, c0 = h, c
        n, t, _ = x.shape
        H = self.hidden_size
        Wh, bh = self._p("Wh", x.dtype), self._p("bh", x.dtype)
        hs = np.empty((n, t, H), dtype=x.dtype)
        cs = np.empty((n, t, H), dtype=x.dtype)
        acts = np.empty((n, t, 4 * H), dtype=x.dtype)
        for s in range(t):
            a = xw[:, s] + h @ Wh
            if bh is not None:
                a = a + bh
            i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
            g = np.tanh(a[:, 2 * H:3 * H])
            c = f * c + i * g
            h = o * np.tanh(c)
            acts[:, s, :H], acts[:, s, H:2 * H], acts[:, s, 2 * H:3 * H], acts[:, s, 3 * H:] = i, f, g, o
            hs[:, s], cs[:, s] = h, c
        self.h_n, self.c_n = h, c
        self._cache = (x, h0, c0, hs, cs, acts)
        self._out_shape, self._out_dtype = hs.shape, hs.dtype
        return hs

    def backward(self, dout):
        dout = self._dout(dout)
        x, h0, c0, hs, cs, acts = self._cache
        H = self.hidden_size
        Wh_T = self._p("Wh", dout.dtype).T
        da = np.empty_like(acts)
        dh, dc = np.zeros_like(h0), np.zeros_like(c0)
        for s in reversed(range(hs.shape[1])):
            dh = dh + dout[:, s]
            i, f, g, o = acts[:, s, :H], acts[:, s, H:2 * H], acts[:, s, 2 * H:3 * H], acts[:, s, 3 * H:]
            tc = np.tanh(cs[:, s])
            c_prev = cs[:, s - 1] if s > 0 else c0
            dc = dc + dh * o * (1 - tc * tc)
            da[:, s, :H] = dc * g * i * (1 - i)
            da[:, s, H:2 * H] = dc * c_prev * f * (1 - f)
            da[:, s, 2 * H:3 * H] = dc * i * (1 - g * g)
            da[:, s, 3 * H:] = dh * tc * o * (1 - o)
            dc = dc * f
            dh = da[:, s] @ Wh_T
        self.dh0, self.dc0 = dh, dc
        return self._param_grads(x, self._previous(h0, hs), da, da)


class GRU(_Recurrent):
    """GRU as torch (gate order r, z, n): ``r = s(x Wx_r + b_r + h Wh_r [+ bh_r])``, z likewise,
    ``n = tanh(x Wx_n + b_n + r * (h Wh_n [+ bh_n]))``, ``h = (1 - z) * n + z * h``."""

    gates = 3

    def forward(self, x, training=None, h0=None):
        self._mode(training, " (pass h0 by keyword: forward(x, h0=h0))")
        x, xw, h, _ = self._begin(x, h0)
        h0 = h
        n, t, _ = x.shape
        H = self.hidden_size
        Wh, bh = self._p("Wh", x.dtype), self._p("bh", x.dtype)
        hs = np.empty((n, t, H), dtype=x.dtype)
        acts = np.empty((n, t, 3 * H), dtype=x.dtype)          # r, z, n
        ghn = np.empty((n, t, H), dtype=x.dtype)               # h Wh_n (+ bh_n), inside the reset gate
        for s in range(t):
            gh = h @ Wh
            if bh is not None:
                gh = gh + bh
            r = _sigmoid(xw[:, s, :H] + gh[:, :H])
            z = _sigmoid(xw[:, s, H:2 * H] + gh[:, H:2 * H])
            cand = np.tanh(xw[:, s, 2 * H:] + r * gh[:, 2 * H:])
            h = (1 - z) * cand + z * h
            acts[:, s, :H], acts[:, s, H:2 * H], acts[:, s, 2 * H:] = r, z, cand
            ghn[:, s], hs[:, s] = gh[:, 2 * H:], h
        self.h_n = h
        self._cache = (x, h0, hs, acts, ghn)
        self._out_shape, self._out_dtype = hs.shape, hs.dtype
        return hs

    def backward(self, dout):
        dout = self._dout(dout)
        x, h0, hs, acts, ghn = self._cache
        H = self.hidden_size
        Wh_T = self._p("Wh", dout.dtype).T
        dgx, dgh = np.empty_like(acts), np.empty_like(acts)
        dh = np.zeros_like(h0)
        for s in reversed(range(hs.shape[1])):
            dh = dh + dout[:, s]
            r, z, cand = acts[:, s, :H], acts[:, s, H:2 * H], acts[:, s, 2 * H:]
            h_prev = hs[:, s - 1] if s > 0 else h0
            da_n = dh * (1 - z) * (1 - cand * cand)
            da_r = da_n * ghn[:, s] * r * (1 - r)
            da_z = dh * (h_prev - cand) * z * (1 - z)
            dgx[:, s, :H], dgx[:, s, H:2 * H], dgx[:, s, 2 * H:] = da_r, da_z, da_n
            dgh[:, s, :H], dgh[:, s, H:2 * H], dgh[:, s, 2 * H:] = da_r, da_z, da_n * r
            dh = dh * z + dgh[:, s] @ Wh_T
        self.dh0 = dh
        return self._param_grads(x, self._previous(h0, hs), dgx, dgh)
