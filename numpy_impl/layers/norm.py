"""BatchNorm1d / BatchNorm2d and LayerNorm.

BatchNorm1d: x (N, D); BatchNorm2d: x (N, C, H, W), statistics per channel over (N, H, W).
LayerNorm: statistics over the trailing ``normalized_shape`` dims of each sample.

``convention="torch"`` (default) is ``nn.BatchNorm*d``: ``momentum`` (0.1) is the weight of the
new batch statistic, running_var stores the UNBIASED batch variance (x M/(M-1), M values per
channel), and running stats start at mean 0, var 1. ``convention="classic"`` is the cs231n form:
``momentum`` (0.9) is the weight of the OLD value, running_var stores the biased variance and both
start at 0. Normalisation always uses the biased batch variance, as in both.

``momentum=None`` is torch's cumulative moving average in either convention: the n-th training
batch is given the weight 1/n (so the running statistics are the plain average of every batch's),
counted in the buffer ``num_batches_tracked`` as torch counts it.
"""
import numpy as np

from .. import parallel
from ..checks import check_count, check_dim, check_flag, check_ndim, check_number, float_dtype
from ..rows import rowdot, rowsum, unbuffered
from .base import Layer


def _ordered_sum(arrays, empty):
    """The sum of per-block partial results, always added in block order; ``empty`` when no block."""
    total = None
    for a in arrays:
        total = a.copy() if total is None else np.add(total, a, out=total)
    return empty if total is None else total


class _ByConvention:
    """BatchNorm's default momentum: torch's 0.1 or the classic 0.9, as the convention says."""

    def __repr__(self):
        return "0.1 (torch) or 0.9 (classic)"


BY_CONVENTION = _ByConvention()


class _BatchNorm(Layer):
    spec = ""
    ndims = ()
    block_bytes = 1 << 20

    def __init__(self, num_features, eps=1e-5, momentum=BY_CONVENTION, affine=True, convention="torch",
                 dtype=np.float64, *, track_running_stats=True):
        super().__init__()
        if track_running_stats is not True:
            raise NotImplementedError(f"{type(self).__name__}: track_running_stats={track_running_stats!r} is not "
                                      "implemented here (only True, torch's default: running statistics kept and "
                                      "used in eval mode)")
        dtype = float_dtype(type(self).__name__, dtype)
        if convention not in ("torch", "classic"):
            raise ValueError(f"{type(self).__name__}: convention must be 'torch' or 'classic', got {convention!r}")
        name = type(self).__name__
        self.num_features = check_count(name, "num_features", num_features)
        self.eps, self.convention = check_number(name, "eps", eps, 0, low_open=True), convention
        if momentum is BY_CONVENTION:
            momentum = 0.1 if convention == "torch" else 0.9
        self.momentum = None if momentum is None else check_number(name, "momentum", momentum, 0, 1)
        self.affine = check_flag(name, "affine", affine)
        c = self.num_features
        if self.affine:
            self.params["gamma"] = np.ones(c, dtype=dtype)
            self.params["beta"] = np.zeros(c, dtype=dtype)
            self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        start_var = np.ones if convention == "torch" else np.zeros
        self.buffers["running_mean"] = np.zeros(c, dtype=dtype)
        self.buffers["running_var"] = start_var(c, dtype=dtype)
        if self.momentum is None:                   # the cumulative average needs the count
            self.buffers["num_batches_tracked"] = np.zeros((), dtype=np.int64)

    def describe(self):
        return f"{type(self).__name__}({self.num_features}{self._settings()})"

    def _settings(self):
        """The settings that differ from the defaults, as torch's repr writes them (a checkpoint of a
        model with another eps or momentum is refused by them)."""
        default = 0.1 if self.convention == "torch" else 0.9
        said = [f"eps={self.eps:g}" if self.eps != 1e-5 else "", "momentum=None" if self.momentum is None else
                f"momentum={self.momentum:g}" if self.momentum != default else "", "affine=False" if not self.affine else "",
                "convention='classic'" if self.convention != "torch" else ""]
        return "".join(", " + s for s in said if s)

    # The statistics are per channel over (N, H, W). x is viewed as (N, C, H*W) so every reduction
    # runs over contiguous rows; the centred input ``xc`` is kept (xhat = xc * invstd is never
    # stored). The passes run on blocks of samples spread over threads (numpy_impl.parallel); a
    # block only computes per-(sample, channel) rows, summed over samples afterwards, so the bits
    # depend neither on the blocks nor on the threads.
    def _view(self, a):
        return a.reshape(a.shape[0], a.shape[1], a.shape[2] * a.shape[3]) if a.ndim == 4 else a

    def _bc(self, v, a):
        return v[:, None] if a.ndim == 3 else v

    def _run(self, fn, a):
        parallel.over_rows(fn, a, self.block_bytes)

    def _totals(self, a, b=None):
        """(C,): per channel the sum of a over (N, H, W); with ``b``, also the sum of a * b:
        ``(sums, dots)``. 4-D input is summed per (sample, channel) row, both sums in the same pass
        over each block, then over the samples; 2-D input per column, the products summed without
        an array of them."""
        if a.ndim == 2:
            return a.sum(axis=0) if b is None else (a.sum(axis=0), np.einsum("nc,nc->c", a, b))
        sums = np.empty(a.shape[:2], dtype=a.dtype)
        dots = np.empty(a.shape[:2], dtype=a.dtype) if b is not None else None

        def block(s):
            sums[s] = a[s].sum(axis=2)
            if dots is not None:
                dots[s] = rowdot(a[s], b[s])

        self._run(block, a)
        return sums.sum(axis=0) if b is None else (sums.sum(axis=0), dots.sum(axis=0))

    def forward(self, x, training=None):
        x = self._input(x)
        check_ndim(self.describe(), x, self.ndims, self.spec)
        check_dim(self.describe(), x, 1, self.num_features, self.spec)
        x3 = self._view(x)
        trained = self._mode(training)
        m = x.size // self.num_features
        xc = self._scratch("xc", x3.shape, x.dtype)
        if trained:
            if m < 2:
                raise ValueError(f"{self.describe()}: training needs more than 1 value per channel, "
                                 f"got input of shape {tuple(x.shape)}")
            mean = self._totals(x3) / x.dtype.type(m)
        else:
            mean, var = (self._running(k).astype(x.dtype, copy=False) for k in ("running_mean", "running_var"))
        sq = np.empty(x3.shape[:2], dtype=x.dtype) if trained and x3.ndim == 3 else None

        def centre(b):
            with unbuffered(x3, mean):
                np.subtract(x3[b], self._bc(mean, x3), out=xc[b])
            if sq is not None:
                sq[b] = rowdot(xc[b], xc[b])

        self._run(centre, x3)
        if trained:
            var = (sq.sum(axis=0) if sq is not None else np.einsum("nc,nc->c", xc, xc)) / x.dtype.type(m)
            self._update_running(mean, var, m)
        invstd = 1 / np.sqrt(var + x.dtype.type(self.eps))
        scale = self._bc(invstd * self.params["gamma"].astype(x.dtype, copy=False) if self.affine else invstd, x3)
        beta = self._bc(self.params["beta"].astype(x.dtype, copy=False), x3) if self.affine else None
        out = np.empty_like(x3)

        def normalise(b):
            with unbuffered(x3, scale, *([] if beta is None else [beta])):
                np.multiply(xc[b], scale, out=out[b])
                if beta is not None:
                    out[b] += beta

        self._run(normalise, x3)
        self._cache = (xc, invstd, scale, m, trained)
        self._out_shape, self._out_dtype = x.shape, x.dtype
        return out.reshape(x.shape)

    def _running(self, key):
        """A running statistic as eval mode reads it: ``(num_features,)`` floats (torch: "running_mean
        should contain 3 elements not 4"), whatever was assigned to ``buffers``."""
        v = self.buffers.get(key)
        if not isinstance(v, np.ndarray) or v.dtype.kind != "f" or v.shape != (self.num_features,):
            what = (f"shape {v.shape} dtype {v.dtype}" if isinstance(v, np.ndarray) else
                    f"a {type(v).__name__}" if v is not None else "nothing")
            raise ValueError(f"{self.describe()}: buffers[{key!r}] must be a float array of shape "
                             f"({self.num_features},), got {what}")
        return v

    def _update_running(self, mean, var, m):
        rm, rv = self._running("running_mean"), self._running("running_var")
        mom = self.momentum
        if mom is None:                             # the cumulative average: weight 1/n to the n-th batch
            self.buffers["num_batches_tracked"] += 1
            mom = 1.0 / int(self.buffers["num_batches_tracked"])
            if self.convention == "classic":
                mom = 1 - mom
        if self.convention == "torch":
            rm[...] = (1 - mom) * rm + mom * mean
            rv[...] = (1 - mom) * rv + mom * var * (m / (m - 1))
        else:
            rm[...] = mom * rm + (1 - mom) * mean
            rv[...] = mom * rv + (1 - mom) * var

    def backward(self, dout):
        dout = self._dout(dout)
        xc, invstd, scale, m, trained = self._cache
        d3 = self._view(dout)
        dsum, ddot = self._totals(d3, xc)          # sum(dout), sum(dout * xc)
        if self.affine:
            self._set_grad("gamma", ddot * invstd)
            self._set_grad("beta", dsum)
        dx = np.empty_like(d3)
        if not trained:
            def block(b):
                with unbuffered(d3, scale):
                    np.multiply(d3[b], scale, out=dx[b])

            self._run(block, d3)
            return dx.reshape(dout.shape)
        # scale * (dout - mean(dout) - xhat * mean(dout * xhat)), xhat = xc * invstd: four passes
        # written into dx, no temporary
        n = dout.dtype.type(m)
        k = self._bc(invstd * invstd * ddot / n, d3)
        c = self._bc(dsum / n, d3)

        def block(b):
            o = dx[b]
            with unbuffered(d3, xc, k, c, scale):
                np.multiply(xc[b], k, out=o)
                np.subtract(d3[b], o, out=o)
                o -= c
                o *= scale

        self._run(block, d3)
        return dx.reshape(dout.shape)


class BatchNorm1d(_BatchNorm):
    spec, ndims = "(N, D)", (2,)

    def describe(self):
        return f"BatchNorm1d({self.num_features}{self._settings()})"


class BatchNorm2d(_BatchNorm):
    spec, ndims = "(N, C, H, W)", (4,)


class LayerNorm(Layer):
    """Normalises each sample over its trailing ``normalized_shape`` dims (``nn.LayerNorm``)."""
    block_bytes = 1 << 20

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, dtype=np.float64, *, bias=True):
        super().__init__()
        dtype = float_dtype(type(self).__name__, dtype)
        shape = (normalized_shape,) if np.isscalar(normalized_shape) else tuple(normalized_shape)
        self.normalized_shape = tuple(check_count("LayerNorm", "normalized_shape", v) for v in shape)
        if not self.normalized_shape:
            raise ValueError("LayerNorm: normalized_shape must hold at least one size, got ()")
        self.eps = check_number("LayerNorm", "eps", eps, 0, low_open=True)
        self.affine = check_flag(type(self).__name__, "elementwise_affine", elementwise_affine)
        self.bias = check_flag(type(self).__name__, "bias", bias) and self.affine     # torch: no bias without affine
        if self.affine:
            self.params["gamma"] = np.ones(self.normalized_shape, dtype=dtype)
            if self.bias:
                self.params["beta"] = np.zeros(self.normalized_shape, dtype=dtype)
            self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        said = (f", eps={self.eps:g}" if self.eps != 1e-5 else "") + (", elementwise_affine=False" if not self.affine
                                                                      else "" if self.bias else ", bias=False")
        return f"LayerNorm({self.normalized_shape}{said})"

    def forward(self, x, training=None):
        x = self._input(x)
        k = len(self.normalized_shape)
        if x.ndim <= k or tuple(x.shape[-k:]) != self.normalized_shape:
            raise ValueError(f"{self.describe()}: expected input of shape (N, ..., "
                             f"{', '.join(map(str, self.normalized_shape))}), got shape {tuple(x.shape)}")
        d = int(np.prod(self.normalized_shape))
        x2 = x.reshape(-1, d)                       # one row per normalised group, contiguous
        n, eps = x.dtype.type(d), x.dtype.type(self.eps)
        if self.affine:
            gamma = self.params["gamma"].astype(x.dtype, copy=False).reshape(-1)
            beta = self.params["beta"].astype(x.dtype, copy=False).reshape(-1) if self.bias else None
        xhat, out = self._scratch("xhat", x2.shape, x.dtype), np.empty_like(x2)
        invstd = np.empty(len(x2), dtype=x.dtype)

        def block(b):
            xh, inv = xhat[b], invstd[b]
            np.subtract(x2[b], (rowsum(x2[b]) / n)[:, None], out=xh)
            np.divide(1, np.sqrt(rowdot(xh, xh) / n + eps), out=inv)
            xh *= inv[:, None]
            if self.affine:
                np.multiply(xh, gamma, out=out[b])
                if beta is not None:
                    out[b] += beta
            else:
                out[b] = xh

        parallel.over_rows(block, x2, self.block_bytes)
        self._cache = (xhat, invstd)
        self._out_shape, self._out_dtype = x.shape, x.dtype
        return out.reshape(x.shape)

    def backward(self, dout):
        dout = self._dout(dout)
        xhat, invstd = self._cache
        d2 = dout.reshape(xhat.shape)
        n = dout.dtype.type(xhat.shape[1])
        gamma = self.params["gamma"].astype(dout.dtype, copy=False).reshape(-1) if self.affine else None
        # (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) * invstd per row, dxhat = dout * gamma;
        # each block also returns its share of the parameter gradients, summed in block order
        dx = np.empty_like(d2)

        def block(b):
            xh, o, db = xhat[b], dx[b], d2[b]
            dxh = db * gamma if self.affine else db
            np.multiply(xh, (rowdot(dxh, xh) / n)[:, None], out=o)
            np.subtract(dxh, o, out=o)
            o -= ((rowdot(db, gamma) if self.affine else rowsum(db)) / n)[:, None]
            o *= invstd[b, None]
            return (np.einsum("md,md->d", db, xh), db.sum(axis=0)) if self.affine else None

        parts = parallel.over_rows(block, d2, self.block_bytes)
        if self.affine:                             # an empty batch has no block: zero gradients
            zero = np.zeros(d2.shape[1], dtype=d2.dtype)
            self._set_grad("gamma", _ordered_sum((p[0] for p in parts), zero).reshape(self.normalized_shape))
            if self.bias:
                self._set_grad("beta", _ordered_sum((p[1] for p in parts), zero).reshape(self.normalized_shape))
        return dx.reshape(dout.shape)
