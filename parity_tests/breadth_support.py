"""Support for the breadth entries (``entries_breadth``): input generators, test scaffolding
layers with their torch mirrors, and the checks for inputs that are not one float array."""
import numpy as np


# ---------------------------------------------------------------- input generators
def wide(rng, shape, dtype):
    """Normal values times 4: crosses thresholds and saturates."""
    return (4 * rng.standard_normal(shape)).astype(dtype)


def scaled(scale):
    def gen(rng, shape, dtype):
        return (scale * rng.standard_normal(shape)).astype(dtype)
    return gen


def _log_softmax(s, axis=1):
    s = s - s.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def class_scores(scale=1.0, ignore=False):
    """Scores (N, C, d...) and ids (N, d...); ``ignore``: about a quarter of the ids are -100."""
    def gen(rng, shape, dtype):
        x = scale * rng.standard_normal(shape)
        y = rng.integers(0, shape[1], (shape[0],) + tuple(shape[2:]))
        if ignore:
            y[rng.random(y.shape) < 0.25] = -100
            y.flat[0] = 0                     # never all ignored (torch's mean would be 0/0)
        return x.astype(dtype), y
    return gen


def log_probs(ignore=False):
    inner = class_scores(ignore=ignore)

    def gen(rng, shape, dtype):
        x, y = inner(rng, shape, dtype)
        return _log_softmax(x.astype(np.float64)).astype(dtype), y
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
