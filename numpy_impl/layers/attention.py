"""Attention: scaled dot-product attention, multi-head attention, a transformer encoder layer and
the sinusoidal positional encoding (all batch first).

``scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False, scale=None)``:
q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev), ``softmax(q k^T * scale + mask) v``
with scale 1/sqrt(E), as ``F.scaled_dot_product_attention``. ``attn_mask`` broadcasts to
(..., L, S): boolean True = may attend (torch's SDPA convention), or float, added to the scores.
``is_causal``: query i sees keys j <= i (the top-left aligned lower triangle). A query row with
every key masked gets zero output and zero gradients (torch's CPU behaviour; NaN would be the
naive result).

``MultiheadAttention(E, num_heads)``: ``nn.MultiheadAttention(batch_first=True)`` with
need_weights=False. query (N, L, E), key/value (N, S, E) (default: self-attention, key = value =
query). Parameters W_in (E, 3E) = ``in_proj_weight.T`` (columns q | k | v), b_in (3E,) =
``in_proj_bias``, W_out (E, E) = ``out_proj.weight.T``, b_out = ``out_proj.bias``. Masks follow
nn.MultiheadAttention, the OPPOSITE boolean convention to SDPA: ``key_padding_mask`` (N, S) and
``attn_mask`` (L, S) or (N*heads, L, S) with True = may NOT attend; float masks are added.
``backward`` returns dquery, or (dquery, dkey, dvalue) when key/value were given.

``TransformerEncoderLayer``: ``nn.TransformerEncoderLayer(batch_first=True, dropout=0.0)``,
post-norm (``norm_first=False``: x = norm1(x + sa(x)); x = norm2(x + ff(x))) or pre-norm
(x = x + sa(norm1(x)); x = x + ff(norm2(x))), ff = linear2(act(linear1(x))), act relu or gelu.
Parameters are named as torch's (``self_attn.W_in``, ``linear1.W``, ``norm1.gamma``...).

``PositionalEncoding(d_model)``: x (N, T, D) -> x + PE[:T], PE[t, 2i] = sin(t / 10000^(2i/D)),
PE[t, 2i+1] = cos(t / 10000^(2i/D)) (Vaswani et al.; odd D ends with a sine column).
"""
import numpy as np

from ..checks import as_float_array, check_count, check_dim, check_flag, check_ndim, check_number, float_dtype
from ..rng import as_rng
from .activations import ReLU
from .activations_extra import GELU
from .base import Layer
from .linear import Linear
from .norm import LayerNorm


def _additive_mask(mask, dtype, allowed_is_true, component, what):
    """A boolean mask (True = allowed, or True = masked) or a float mask -> additive 0 / -inf floats."""
    mask = np.asarray(mask)
    if mask.dtype == bool:
        allowed = mask if allowed_is_true else ~mask
        return np.where(allowed, 0.0, -np.inf).astype(dtype)
    if mask.dtype not in (np.float32, np.float64):     # torch too takes bool or float masks only
        meaning = "True = attend" if allowed_is_true else "True = masked out"
        hint = " (0/1 integers? pass mask.astype(bool))" if np.issubdtype(mask.dtype, np.integer) else ""
        raise TypeError(f"{component}: {what} must be boolean ({meaning}) or float32/float64 (added to the "
                        f"scores), got dtype {mask.dtype}{hint}")
    return mask.astype(dtype, copy=False)


def _check_scale(name, scale):
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating))
                              or not np.isfinite(scale)):
        raise ValueError(f"{name}: scale must be a finite number or None, got {scale!r}")
    return scale


def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False, scale=None):
    """Returns ``(out, cache)``; ``cache`` is what ``scaled_dot_product_attention_backward`` needs.
    ``attn_mask``: boolean (True = attend) or additive float, broadcasting to (..., L, S)."""
    name = "scaled_dot_product_attention"
    q, k, v = (as_float_array(name, a, w) for a, w in ((q, "query"), (k, "key"), (v, "value")))
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"{name}: expected query (..., L, E), key (..., S, E), value (..., S, Ev) of one rank, "
                         f"got shapes {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if k.shape[-1] != q.shape[-1] or v.shape[-2] != k.shape[-2]:
        raise ValueError(f"{name}: expected key (..., S, {q.shape[-1]}) and value (..., S, Ev) with the same S, "
                         f"got key {tuple(k.shape)} and value {tuple(v.shape)}")
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{name}: the batch dims (...) of query, key and value must match or broadcast, got "
                         f"shapes {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}") from None
    if is_causal and attn_mask is not None:
        raise ValueError(f"{name}: give attn_mask or is_causal, not both (as torch)")
    _check_scale(name, scale)
    L, S = q.shape[-2], k.shape[-2]
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = (q @ np.swapaxes(k, -1, -2)) * q.dtype.type(scale)
    if is_causal:
        scores = scores + np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf).astype(q.dtype)
    elif attn_mask is not None:
        m = _additive_mask(attn_mask, q.dtype, True, name, "attn_mask")
        try:
            np.broadcast_shapes(m.shape, scores.shape)
        except ValueError:
            raise ValueError(f"{name}: attn_mask of shape {tuple(m.shape)} does not broadcast to the scores' "
                             f"shape {tuple(scores.shape)} (..., L, S)") from None
        scores = scores + m
    if S == 0:                                            # no keys at all: zeros, as torch
        p = np.zeros(scores.shape, dtype=q.dtype)
        return p @ v, (q, k, v, p, scale)
    row_max = scores.max(axis=-1, keepdims=True)
    dead = row_max == -np.inf                             # every key masked: output 0, as torch; NaN stays NaN
    e = np.exp(scores - np.where(dead, 0, row_max))
    p = e / np.where(dead, 1, e.sum(axis=-1, keepdims=True))
    p = np.where(dead, 0, p).astype(q.dtype, copy=False)
    out = p @ v
    return out, (q, k, v, p, scale)


def scaled_dot_product_attention_backward(dout, cache):
    """(dq, dk, dv) of ``scaled_dot_product_attention`` under the upstream gradient ``dout``."""
    q, k, v, p, scale = cache
    dv = np.swapaxes(p, -1, -2) @ dout
    dp = dout @ np.swapaxes(v, -1, -2)
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
    s = dout.dtype.type(scale)
    dq = (ds @ k) * s
    dk = (np.swapaxes(ds, -1, -2) @ q) * s
    return dq, dk, dv


class ScaledDotProductAttention(Layer):
    """The function as a layer: ``forward(q, training=None, k=None, v=None, attn_mask=None)`` (k = v
    = q when omitted; pass k and v by keyword), ``backward(dout)`` -> (dq, dk, dv), or dq + dk + dv
    for self-attention."""

    def __init__(self, is_causal=False, scale=None):
        super().__init__()
        self.is_causal = check_flag("ScaledDotProductAttention", "is_causal", is_causal)
        self.scale = _check_scale("ScaledDotProductAttention", scale)

    def describe(self):
        return f"ScaledDotProductAttention(is_causal={self.is_causal})"

    def forward(self, q, training=None, k=None, v=None, attn_mask=None):
        self._mode(training, " (pass k and v by keyword: forward(q, k=k, v=v))")
        self_attention = k is None and v is None
        k = q if k is None else k
        v = k if v is None else v
        out, cache = scaled_dot_product_attention(q, k, v, attn_mask, self.is_causal, self.scale)
        self._cache = (cache, self_attention)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        cache, self_attention = self._cache
        dq, dk, dv = scaled_dot_product_attention_backward(dout, cache)
        return dq + dk + dv if self_attention else (dq, dk, dv)


class MultiheadAttention(Layer):
    def __init__(self, embed_dim, num_heads, bias=True, rng=None, dtype=np.float64):
        super().__init__()
        dtype = float_dtype(type(self).__name__, dtype)
        self.embed_dim = check_count("MultiheadAttention", "embed_dim", embed_dim)
        self.num_heads = check_count("MultiheadAttention", "num_heads", num_heads)
        self.bias = check_flag("MultiheadAttention", "bias", bias)
        if self.num_heads < 1 or self.embed_dim % self.num_heads:
            raise ValueError(f"{self.describe()}: embed_dim must be divisible by num_heads, got {self.embed_dim} "
                             f"and {self.num_heads}")
        E = self.embed_dim
        rng = as_rng(rng)
        self.params["W_in"] = (rng.standard_normal((E, 3 * E)) / np.sqrt(E)).astype(dtype)
        if bias:
            self.params["b_in"] = np.zeros(3 * E, dtype=dtype)
        self.params["W_out"] = (rng.standard_normal((E, E)) / np.sqrt(E)).astype(dtype)
        if bias:
            self.params["b_out"] = np.zeros(E, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        return f"MultiheadAttention({self.embed_dim}, num_heads={self.num_heads})"

    def _heads(self, x):                                   # (N, T, E) -> (N, h, T, d)
        n, t, _ = x.shape
        return x.reshape(n, t, self.num_heads, x.shape[2] // self.num_heads).transpose(0, 2, 1, 3)

    def _merge(self, x):                                   # (N, h, T, d) -> (N, T, E)
        n, _, t, _ = x.shape
        return x.transpose(0, 2, 1, 3).reshape(n, t, self.embed_dim)

    def _check(self, x, what):
        x = as_float_array(self.describe(), x, what)
        spec = f"(N, T, {self.embed_dim})"
        check_ndim(self.describe(), x, (3,), spec, what)
        check_dim(self.describe(), x, 2, self.embed_dim, spec, what)
        return x

    def _mask(self, n, L, S, dtype, key_padding_mask, attn_mask):
        total = None
        if attn_mask is not None:
            m = _additive_mask(attn_mask, dtype, False, self.describe(), "attn_mask")
            if m.shape == (L, S):
                total = m[None, None]
            elif m.shape == (n * self.num_heads, L, S):
                total = m.reshape(n, self.num_heads, L, S)
            else:
                raise ValueError(f"{self.describe()}: expected attn_mask of shape {(L, S)} or "
                                 f"{(n * self.num_heads, L, S)}, got shape {tuple(m.shape)}")
        if key_padding_mask is not None:
            m = _additive_mask(key_padding_mask, dtype, False, self.describe(), "key_padding_mask")
            if m.shape != (n, S):
                raise ValueError(f"{self.describe()}: expected key_padding_mask of shape {(n, S)}, "
                                 f"got shape {tuple(m.shape)}")
            m = m[:, None, None, :]
            total = m if total is None else total + m
        return total

    def forward(self, query, training=None, key=None, value=None, key_padding_mask=None, attn_mask=None):
        self._mode(training, " (pass key and value by keyword: forward(query, key=key, value=value))")
        self_attention = key is None and value is None
        if key is None and value is not None:
            raise ValueError(f"{self.describe()}: value given without key; pass both (key=..., value=...), or "
                             f"neither for self-attention")
        query = self._check(query, "query")
        key = query if key is None else self._check(key, "key")
        value = key if value is None else self._check(value, "value")
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ValueError(f"{self.describe()}: expected key and value of shape (N, S, E) with the query's N, got "
                             f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}")
        E, dt = self.embed_dim, query.dtype
        W = self.params["W_in"].astype(dt, copy=False)
        b = self.params["b_in"].astype(dt, copy=False) if self.bias else np.zeros(3 * E, dtype=dt)
        q = query @ W[:, :E] + b[:E]
        k = key @ W[:, E:2 * E] + b[E:2 * E]
        v = value @ W[:, 2 * E:] + b[2 * E:]
        n, L, S = query.shape[0], query.shape[1], key.shape[1]
        mask = self._mask(n, L, S, dt, key_padding_mask, attn_mask)
        heads, sdpa = scaled_dot_product_attention(self._heads(q), self._heads(k), self._heads(v), mask)
        concat = self._merge(heads)
        out = concat @ self.params["W_out"].astype(dt, copy=False)
        if self.bias:
            out = out + self.params["b_out"].astype(dt, copy=False)
        self._cache = (query, key, value, sdpa, concat, self_attention)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        query, key, value, sdpa, concat, self_attention = self._cache
        E, dt = self.embed_dim, dout.dtype
        self._set_grad("W_out", concat.reshape(-1, E).T @ dout.reshape(-1, E))
        if self.bias:
            self._set_grad("b_out", dout.sum(axis=(0, 1)))
        dconcat = dout @ self.params["W_out"].astype(dt, copy=False).T
        dqh, dkh, dvh = scaled_dot_product_attention_backward(self._heads(dconcat), sdpa)
        dq, dk, dv = self._merge(dqh), self._merge(dkh), self._merge(dvh)
        dW = np.concatenate([query.reshape(-1, E).T @ dq.reshape(-1, E), key.reshape(-1, E).T @ dk.reshape(-1, E),
                             value.reshape(-1, E).T @ dv.reshape(-1, E)], axis=1)
        self._set_grad("W_in", dW)
        if self.bias:
            self._set_grad("b_in", np.concatenate([dq.sum(axis=(0, 1)), dk.sum(axis=(0, 1)), dv.sum(axis=(0, 1))]))
        W = self.params["W_in"].astype(dt, copy=False)
        dquery, dkey, dvalue = dq @ W[:, :E].T, dk @ W[:, E:2 * E].T, dv @ W[:, 2 * E:].T
        return dquery + dkey + dvalue if self_attention else (dquery, dkey, dvalue)


class TransformerEncoderLayer(Layer):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.0, activation="relu", layer_norm_eps=1e-5,
                 norm_first=False, rng=None, dtype=np.float64):
        super().__init__()
        dtype = float_dtype(type(self).__name__, dtype)
        if dropout != 0.0:
            raise ValueError(f"TransformerEncoderLayer: only dropout=0.0 is implemented, got {dropout}")
        if activation not in ("relu", "gelu"):
            raise ValueError(f"TransformerEncoderLayer: activation must be 'relu' or 'gelu', got {activation!r}")
        rng = as_rng(rng)
        name = "TransformerEncoderLayer"
        self.d_model, self.nhead = check_count(name, "d_model", d_model), check_count(name, "nhead", nhead)
        self.dim_feedforward = check_count(name, "dim_feedforward", dim_feedforward)
        if self.d_model % self.nhead:
            raise ValueError(f"{name}: d_model ({self.d_model}) must be divisible by nhead ({self.nhead})")
        self.layer_norm_eps = check_number(name, "layer_norm_eps", layer_norm_eps, 0, low_open=True)
        self.activation, self.norm_first = activation, check_flag(name, "norm_first", norm_first)
        self.self_attn = MultiheadAttention(d_model, nhead, rng=rng, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, weight_scale=1 / np.sqrt(d_model), rng=rng, dtype=dtype)
        self.linear2 = Linear(dim_feedforward, d_model, weight_scale=1 / np.sqrt(dim_feedforward), rng=rng, dtype=dtype)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype)
        self.act = ReLU() if activation == "relu" else GELU()
        self.params = {f"{name}.{k}": v for name, child in self._named_children() for k, v in child.params.items()}

    def _named_children(self):
        return [("self_attn", self.self_attn), ("linear1", self.linear1), ("linear2", self.linear2),
                ("norm1", self.norm1), ("norm2", self.norm2)]

    def children(self):
        return [child for _, child in self._named_children()] + [self.act]

    def named_grads(self):
        return {f"{name}.{k}": v for name, child in self._named_children() for k, v in child.grads.items()}

    def zero_grad(self):
        for child in self.children():
            child.zero_grad()

    def describe(self):
        return (f"TransformerEncoderLayer({self.d_model}, nhead={self.nhead}, dim_feedforward={self.dim_feedforward}, "
                f"activation={self.activation!r}, norm_first={self.norm_first})")

    def _ff(self, x):
        n, t, d = x.shape
        return self.linear2.forward(self.act.forward(self.linear1.forward(x.reshape(n * t, d)))).reshape(n, t, d)

    def _ff_backward(self, d):
        n, t, e = d.shape
        return self.linear1.backward(self.act.backward(self.linear2.backward(d.reshape(n * t, e)))).reshape(n, t, e)

    def forward(self, src, training=None, src_mask=None, src_key_padding_mask=None):
        self._mode(training, " (pass the masks by keyword: forward(src, src_mask=m))")
        x = self._input(src)
        spec = f"(N, T, {self.d_model})"
        check_ndim(self.describe(), x, (3,), spec)
        check_dim(self.describe(), x, 2, self.d_model, spec)
        masks = dict(attn_mask=src_mask, key_padding_mask=src_key_padding_mask)
        if self.norm_first:
            x = x + self.self_attn.forward(self.norm1.forward(x), **masks)
            out = x + self._ff(self.norm2.forward(x))
        else:
            x = self.norm1.forward(x + self.self_attn.forward(x, **masks))
            out = self.norm2.forward(x + self._ff(x))
        self._cache = True
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        if self.norm_first:
            d1 = dout + self.norm2.backward(self._ff_backward(dout))
            return d1 + self.norm1.backward(self.self_attn.backward(d1))
        d2 = self.norm2.backward(dout)
        d1 = self.norm1.backward(d2 + self._ff_backward(d2))
        return d1 + self.self_attn.backward(d1)


def sinusoidal_encoding(length, d_model):
    """The (length, d_model) table PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(same), float64."""
    pos = np.arange(length, dtype=np.float64)[:, None]
    angle = pos / np.power(10000.0, np.arange(0, d_model, 2, dtype=np.float64) / d_model)
    pe = np.zeros((length, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, :d_model // 2])
    return pe


class PositionalEncoding(Layer):
    def __init__(self, d_model, max_len=5000):
        super().__init__()
        self.d_model = check_count("PositionalEncoding", "d_model", d_model)
        self.max_len = check_count("PositionalEncoding", "max_len", max_len)
        self.pe = sinusoidal_encoding(self.max_len, self.d_model)      # a constant, not a parameter

    def describe(self):
        return f"PositionalEncoding({self.d_model}, max_len={self.max_len})"

    def forward(self, x, training=None):
        x = self._input(x)
        spec = f"(N, T, {self.d_model}) with T <= {self.max_len}"
        check_ndim(self.describe(), x, (3,), spec)
        check_dim(self.describe(), x, 2, self.d_model, spec)
        if x.shape[1] > self.max_len:
            raise ValueError(f"{self.describe()}: expected input of shape {spec}, got shape {tuple(x.shape)}")
        out = x + self.pe[:x.shape[1]].astype(x.dtype)
        self._cache = True
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        return self._dout(dout).copy()
