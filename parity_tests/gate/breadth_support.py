"""Support for the breadth entries (``entries_breadth``): input generators, test scaffolding
layers with their torch mirrors, and the checks for inputs that are not one float array."""
import numpy as np
import torch
from torch import nn

from numpy_impl.layers import Layer
from torch_ref.layers import FACTORIES
from torch_ref.mapping import Param


# ---------------------------------------------------------------- input generators
def wide(rng, shape, dtype):
    """Normal values times 4: crosses thresholds and saturates."""
    return (4 * rng.standard_normal(shape)).astype(dtype)


def at(*values, scale=4.0):
    """Normal values times ``scale`` with a third of them exactly one of ``values`` (an activation's
    kinks and bounds: Hardtanh's -1 and 1, Hardswish's -3 and 3): the branch torch takes there is tested."""
    def gen(rng, shape, dtype):
        x = scale * rng.standard_normal(shape)
        hit = rng.random(shape) < 1 / 3
        x[hit] = rng.choice(np.array(values, dtype=np.float64), int(hit.sum()))
        return x.astype(dtype)
    return gen


def scaled(scale):
    def gen(rng, shape, dtype):
        return (scale * rng.standard_normal(shape)).astype(dtype)
    return gen


def _log_softmax(s, axis=1):
    s = s - s.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def class_scores(scale=1.0, ignore=False, padded=False, every=False):
    """Scores (N, C, d...) and ids (N, d...); ``ignore``: about a quarter of the ids are -100 (``padded``:
    their rows of scores all -inf, a fully masked position); ``every``: all ids -100 (torch's mean is
    0/0, NaN, its gradient 0)."""
    def gen(rng, shape, dtype):
        x = scale * rng.standard_normal(shape)
        y = rng.integers(0, shape[1], (shape[0],) + tuple(shape[2:]))
        if ignore:
            y[rng.random(y.shape) < 0.25] = -100
            y.flat[0] = 0                     # never all ignored (torch's mean would be 0/0)
            y.flat[-1] = -100
            if padded:
                np.moveaxis(x, 1, -1)[y == -100] = -np.inf
        if every:
            y[...] = -100
        return x.astype(dtype), y
    return gen


def log_probs(ignore=False, padded=False, every=False):
    inner = class_scores(ignore=ignore, every=every)

    def gen(rng, shape, dtype):
        x, y = inner(rng, shape, dtype)
        logp = _log_softmax(x.astype(np.float64))
        if padded:
            np.moveaxis(logp, 1, -1)[y == -100] = -np.inf
        return logp.astype(dtype), y
    return gen


def probs(soft=False, saturated=False):
    """Probabilities in [0.02, 0.98] (``saturated``: some exactly 0 and 1) and targets (binary or soft)."""
    def gen(rng, shape, dtype):
        p = 0.02 + 0.96 / (1 + np.exp(-2 * rng.standard_normal(shape)))
        if saturated:
            flat = p.reshape(-1)
            flat[: min(4, flat.size)] = [0.0, 1.0, 0.0, 1.0][: min(4, flat.size)]
        y = rng.random(shape) if soft else (rng.random(shape) < 0.5).astype(np.float64)
        if saturated:
            y.reshape(-1)[: min(4, y.size)] = [0.0, 1.0, 1.0, 0.0][: min(4, y.size)]
        return p.astype(dtype), y.astype(dtype)
    return gen


def logits(soft=False, extreme=False):
    def gen(rng, shape, dtype):
        x = 3 * rng.standard_normal(shape)
        if extreme:
            x.reshape(-1)[: min(4, x.size)] = [1000.0, -1000.0, 50.0, -50.0][: min(4, x.size)]
        y = rng.random(shape) if soft else (rng.random(shape) < 0.5).astype(np.float64)
        return x.astype(dtype), y.astype(dtype)
    return gen


def regression(spread=1.0, ties=False):
    """x and target; ``spread`` widens the differences (crosses Huber's delta); ``ties`` makes a
    third of the targets equal to x (the kink of |d|)."""
    def gen(rng, shape, dtype):
        y = rng.standard_normal(shape)
        x = y + spread * rng.standard_normal(shape)
        if ties:
            eq = rng.random(shape) < 1 / 3
            x[eq] = y[eq]
        return x.astype(dtype), y.astype(dtype)
    return gen


def kl_inputs(zeros=False, log_target=False):
    """log q (log-softmax over axis 1) and p (softmax; ``zeros``: some exactly 0, renormalised)."""
    def gen(rng, shape, dtype):
        logq = _log_softmax(rng.standard_normal(shape))
        p = np.exp(_log_softmax(rng.standard_normal(shape)))
        if zeros:
            p[rng.random(shape) < 0.3] = 0
            p.reshape(shape[0], -1)[:, 0] += 0.1
            p = p / p.sum(axis=1, keepdims=True)
        target = np.log(p) if log_target else p
        return logq.astype(dtype), target.astype(dtype)
    return gen


def sequence_scores(rng, shape, dtype):
    """Scores (N, T, V) and ids (N, T)."""
    return rng.standard_normal(shape).astype(dtype), rng.integers(0, shape[2], shape[:2])


def lengths_mask(lengths, t):
    return np.arange(t)[None, :] < np.asarray(lengths)[:, None]


# ---------------------------------------------------------------- factories (shape, rng, dtype, **kw) -> layer
def _randomise(layer, rng, scale=1.0, offset=0.0):
    for p in layer.params.values():
        p[...] = offset + scale * rng.standard_normal(p.shape)
    return layer


def prelu(shape, rng, dtype, per_channel=False):
    import numpy_impl as ni
    return _randomise(ni.PReLU(shape[1] if per_channel else 1, dtype=dtype), rng, 0.3, 0.25)


def group_norm(shape, rng, dtype, groups=2, affine=True):
    import numpy_impl as ni
    return _randomise(ni.GroupNorm(groups, shape[1], affine=affine, dtype=dtype), rng, 0.5, 1.0)


def instance_norm(shape, rng, dtype, affine=False):
    import numpy_impl as ni
    return _randomise(ni.InstanceNorm2d(shape[1], affine=affine, dtype=dtype), rng, 0.5, 1.0)


def conv1d(shape, rng, dtype, out=3, k=3, stride=1, pad=0, dil=1, bias=True):
    import numpy_impl as ni
    layer = ni.Conv1d(shape[1], out, k, stride=stride, padding=pad, dilation=dil, bias=bias,
                      weight_scale=1 / np.sqrt(shape[1] * k), rng=rng, dtype=dtype)
    if bias:
        layer.params["b"][...] = rng.standard_normal(out)
    return layer


def conv_transpose2d(shape, rng, dtype, out=3, k=3, stride=1, pad=0, op=0, dil=1, bias=True):
    import numpy_impl as ni
    layer = ni.ConvTranspose2d(shape[1], out, k, stride=stride, padding=pad, output_padding=op, dilation=dil,
                               bias=bias, weight_scale=1 / np.sqrt(shape[1] * 3), rng=rng, dtype=dtype)
    if bias:
        layer.params["b"][...] = rng.standard_normal(out)
    return layer


# ---------------------------------------------------------------- scaffolding: extra inputs as parameters
class Probe(Layer):
    """Test scaffolding around a NumPy layer ``core``: extra inputs (an initial state h0, attention
    keys and values, a memory) are held as parameters, so ``check_layer`` compares their gradients
    with torch's (``grad_param:h0``) and checks them by finite differences (``fd:h0``).

    ``call(core, x, extras) -> out`` runs the NumPy forward; ``split(core, backward_result) ->
    (dx, {name: grad})`` takes apart what ``core.backward`` returned; ``torch_call(module, x,
    extras)`` runs the torch mirror of ``core`` the same way (``extras`` are torch Parameters)."""

    def __init__(self, core, extras, call, split, torch_call, name=None):
        super().__init__()
        self.core, self.extras, self.call, self.split, self.torch_call = core, list(extras), call, split, torch_call
        self.name = name
        self.params = {**core.named_parameters(), **extras}
        self._extra_grads = {}

    def describe(self):
        return self.name or f"Probe({self.core.describe()})"

    def children(self):
        return [self.core]

    def named_grads(self):
        return {**self.core.named_grads(), **self._extra_grads}

    def forward(self, x, training=None):
        out = self.call(self.core, x, {k: self.params[k] for k in self.extras})
        self._out_shape = out.shape
        return out

    def backward(self, dout):
        dx, self._extra_grads = self.split(self.core, self.core.backward(dout))
        return dx


class TorchProbe(nn.Module):
    def __init__(self, core, extras, torch_call):
        super().__init__()
        self.core, self.torch_call, self.names = core, torch_call, list(extras)
        for k, v in extras.items():
            self.register_parameter(k, nn.Parameter(torch.tensor(np.ascontiguousarray(v))))

    def forward(self, x):
        return self.torch_call(self.core, x, {k: getattr(self, k) for k in self.names})


def _probe_factory(layer):
    from torch_ref.layers import build
    m = build(layer.core)
    module = TorchProbe(m.module, {k: layer.params[k] for k in layer.extras}, layer.torch_call)
    params = {k: Param("core." + p.torch_name, p.transpose) for k, p in m.params.items()}
    params.update({k: Param(k) for k in layer.extras})
    return module, params


FACTORIES[Probe] = _probe_factory


# ---------------------------------------------------------------- sequences
def recurrent(cls_name, hidden=4, h0=False, c0=False, bias_scale=0.5, **kw):
    """Factory for RNN / LSTM / GRU: random biases; ``h0`` / ``c0``: initial states given and held
    as Probe parameters (their gradients checked through time)."""
    def make(shape, rng, dtype, **sample_kw):
        import numpy_impl as ni
        opts = {**kw, **sample_kw}
        want_h0, want_c0 = opts.pop("h0", h0), opts.pop("c0", c0)
        core = getattr(ni, cls_name)(shape[2], opts.pop("hidden", hidden), rng=rng, dtype=dtype, **opts)
        for name in ("b", "bh"):
            if name in core.params:
                core.params[name][...] = bias_scale * rng.standard_normal(core.params[name].shape)
        if not (want_h0 or want_c0):
            return core
        n, H = shape[0], core.hidden_size
        extras = {"h0": rng.standard_normal((n, H)).astype(dtype)}
        if want_c0:
            extras["c0"] = rng.standard_normal((n, H)).astype(dtype)
        if cls_name == "LSTM":
            def call(c, x, e):
                return c.forward(x, h0=e["h0"], c0=e.get("c0"))

            def split(c, dx):
                return dx, {"h0": c.dh0, **({"c0": c.dc0} if want_c0 else {})}

            def torch_call(m, x, e):
                cc = e["c0"] if "c0" in e else torch.zeros_like(e["h0"])
                return m(x, (e["h0"].unsqueeze(0), cc.unsqueeze(0)))
        else:
            def call(c, x, e):
                return c.forward(x, h0=e["h0"])

            def split(c, dx):
                return dx, {"h0": c.dh0}

            def torch_call(m, x, e):
                return m(x, e["h0"].unsqueeze(0))
        return Probe(core, extras, call, split, torch_call, name=f"{core.describe()} with initial state")
    return make


def check_embedding(case, shape, rng, *, seed, component, sample, tolerances, finite_differences,
                    allow_nonfinite=False):
    """Embedding: integer ids in, so no input gradient; forward, grad_param:W (padding row zero),
    fd:W, dtypes, and that neither the ids nor the upstream gradient were modified."""
    from numpy_impl.gradcheck import numerical_gradient
    from torch_ref.layers import mirror
    from torch_ref.mapping import to_numpy_dict

    from .api import _Checks

    entry, dtype = case.entry, np.dtype(case.dtype)
    kw = dict(case.sample.kwargs)
    id_dtype = kw.get("id_dtype") or np.int64
    c = _Checks(tolerances, nonfinite=allow_nonfinite, component=component, dtype=dtype.name, sample=sample,
                shape=tuple(shape), seed=seed)
    try:
        layer = entry.make(shape, rng, dtype, **kw)
        ids = rng.integers(0, layer.num_embeddings, shape).astype(id_dtype)
        if layer.padding_idx is not None:
            ids.reshape(-1)[::3] = layer.padding_idx
        m = mirror(layer, dtype)
        ids_before = ids.copy()
        out = layer.forward(ids)
        out_t = m.module(torch.from_numpy(ids.astype(np.int64)))
        c.add("forward", out, out_t.detach().numpy())
        c.dtype("forward", out, dtype)
        g = np.random.default_rng([seed, 1]).standard_normal(out.shape).astype(dtype)
        g_before = g.copy()
        if layer.backward(g) is not None:
            c.fail("grad_input", "backward must return None: integer ids have no gradient")
        out_t.backward(torch.from_numpy(g))
        grads = {k: v.copy() for k, v in layer.named_grads().items()}
        tgrads = to_numpy_dict(m.module, m.params, grads=True)
        for name in m.params:
            c.add(f"grad_param:{name}", grads[name], tgrads[name])
            c.dtype(f"grad_param:{name}", grads[name], dtype)
        c.unchanged("the ids", ids_before, ids)
        c.unchanged("the upstream gradient", g_before, g)
        if finite_differences:
            for name, p in layer.named_parameters().items():
                num = numerical_gradient(lambda: layer.forward(ids), p, g)
                if layer.padding_idx is not None:
                    num[layer.padding_idx] = 0        # the padding row is frozen by definition (torch)
                c.add(f"fd:{name}", grads[name], num)
    except Exception as exc:
        c.fail("error", f"raised {type(exc).__name__}: {exc}")
    return c.report()


def embedding(shape, rng, dtype, num=7, dim=3, padding_idx=None, id_dtype=None):
    """(``id_dtype`` is read by ``check_embedding``: the dtype of the ids it draws.)"""
    import numpy_impl as ni
    return ni.Embedding(num, dim, padding_idx=padding_idx, rng=rng, dtype=dtype)


def temporal_affine(shape, rng, dtype, out=5, bias=True):
    import numpy_impl as ni
    layer = ni.TemporalAffine(shape[2], out, bias=bias, rng=rng, dtype=dtype)
    if bias:
        layer.params["b"][...] = rng.standard_normal(out)
    return layer


# ---------------------------------------------------------------- attention
def _padding(lengths, s):
    """(N, S) boolean, True where the key is padding (nn.MultiheadAttention's convention)."""
    return np.arange(s)[None, :] >= np.asarray(lengths)[:, None]


def _torch_mask(mask, dtype):
    if mask is None:
        return None
    mask = np.asarray(mask)
    return torch.from_numpy(mask if mask.dtype == bool else mask.astype(dtype))


def sdpa(shape, rng, dtype, S=None, Ev=None, causal=False, mask=None, scale=None):
    """q of ``shape`` (..., L, E) is the input; k (..., S, E) and v (..., S, Ev) are Probe parameters.
    mask: None, 'bool' (random, every row keeps a key), 'dead row' (query row 1 sees nothing),
    'padding' (keys past each sample's length, broadcast over heads and queries) or 'float'."""
    import numpy_impl as ni
    core = ni.ScaledDotProductAttention(is_causal=causal, scale=scale)
    if S is None and not mask:                    # self-attention: k = v = q, no probe
        return core
    lead, L, E = tuple(shape[:-2]), shape[-2], shape[-1]
    S = L if S is None else S
    extras = {"k": rng.standard_normal(lead + (S, E)).astype(dtype),
              "v": rng.standard_normal(lead + (S, Ev or E)).astype(dtype)}
    m = None
    if mask in ("bool", "dead row"):
        m = rng.random((L, S)) < 0.6
        m[np.arange(L), rng.integers(0, S, L)] = True
        if mask == "dead row":
            m[1] = False
    elif mask == "padding":
        lengths = rng.integers(1, S + 1, shape[0])
        m = ~_padding(lengths, S)[:, None, None, :]
    elif mask == "float":
        m = rng.standard_normal((L, S))
    np_dtype = np.dtype(dtype)
    return Probe(core, extras,
                 lambda c, x, e: c.forward(x, k=e["k"], v=e["v"], attn_mask=m),
                 lambda c, r: (r[0], {"k": r[1], "v": r[2]}),
                 lambda mod, x, e: mod(x, e["k"], e["v"], attn_mask=_torch_mask(m, np_dtype)),
                 name=f"{core.describe()} with k, v")


def _randomise_biases(layer, rng, gamma_names=()):
    for name, p in layer.named_parameters().items():
        last = name.split(".")[-1]
        if last in ("b", "b_in", "b_out", "beta"):
            p[...] = 0.5 * rng.standard_normal(p.shape)
        elif last == "gamma":
            p[...] = 1 + 0.3 * rng.standard_normal(p.shape)
    return layer


def mha(shape, rng, dtype, heads=2, bias=True, lengths=None, attn=None, memory=None):
    """Self-attention on x (N, L, E), or cross-attention on a ``memory`` of S steps (a Probe
    parameter); ``lengths`` -> key_padding_mask; attn 'causal' (bool (L, S), True = masked) or
    'float' ((N*heads, L, S) additive)."""
    import numpy_impl as ni
    n, L, E = shape
    core = _randomise_biases(ni.MultiheadAttention(E, heads, bias=bias, rng=rng, dtype=dtype), rng)
    S = L if memory is None else memory
    kpm = None if lengths is None else _padding(lengths, S)
    am = None
    if attn == "causal":
        am = ~np.tril(np.ones((L, S), dtype=bool))
    elif attn == "float":
        am = rng.standard_normal((n * heads, L, S))
    np_dtype = np.dtype(dtype)
    masks = dict(key_padding_mask=kpm, attn_mask=am)

    def tmasks():
        return dict(key_padding_mask=_torch_mask(kpm, np_dtype), attn_mask=_torch_mask(am, np_dtype))
    if memory is None:
        if kpm is None and am is None:
            return core
        return Probe(core, {}, lambda c, x, e: c.forward(x, **masks), lambda c, r: (r, {}),
                     lambda mod, x, e: mod(x, **tmasks()), name=f"{core.describe()} masked")
    extras = {"memory": rng.standard_normal((n, S, E)).astype(dtype)}
    return Probe(core, extras,
                 lambda c, x, e: c.forward(x, key=e["memory"], value=e["memory"], **masks),
                 lambda c, r: (r[0], {"memory": r[1] + r[2]}),
                 lambda mod, x, e: mod(x, e["memory"], e["memory"], **tmasks()),
                 name=f"{core.describe()} cross-attention")


def encoder_layer(shape, rng, dtype, nhead=2, ff=8, activation="relu", norm_first=False, lengths=None,
                  causal=False, layer_norm_eps=1e-5):
    import numpy_impl as ni
    n, t, d = shape
    core = _randomise_biases(ni.TransformerEncoderLayer(d, nhead, dim_feedforward=ff, activation=activation,
                                                        norm_first=norm_first, layer_norm_eps=layer_norm_eps,
                                                        rng=rng, dtype=dtype), rng)
    kpm = None if lengths is None else _padding(lengths, t)
    am = ~np.tril(np.ones((t, t), dtype=bool)) if causal else None
    if kpm is None and am is None:
        return core
    return Probe(core, {}, lambda c, x, e: c.forward(x, src_mask=am, src_key_padding_mask=kpm),
                 lambda c, r: (r, {}),
                 lambda mod, x, e: mod(x, src_mask=_torch_mask(am, None), src_key_padding_mask=_torch_mask(kpm, None)),
                 name=f"{core.describe()} masked")


def positional_encoding(shape, rng, dtype, max_len=50):
    import numpy_impl as ni
    return ni.PositionalEncoding(shape[2], max_len=max_len)
