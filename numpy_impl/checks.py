"""Input validation shared by every NumPy component.

Every error names the component and states the expected and the actual shape or dtype, so a
user never sees a bare broadcasting error from deep inside a layer.
"""
import numpy as np


FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_array(component, x, what="input"):
    """Return ``x`` as an ndarray after checking it is a float32 or float64 array, without copying.
    Other floating types (float16, longdouble) are refused too: NumPy has no BLAS for them, and the
    torch mirrors and the tolerance policy cover float32 and float64 only."""
    if isinstance(x, np.ma.MaskedArray):          # np.asarray would use the masked values as numbers
        raise TypeError(f"{component}: got a masked array as {what}; pass x.filled(value) or "
                        f"x.compressed() as a plain ndarray")
    if type(x) is not np.ndarray:                  # lists, and subclasses such as np.matrix (whose * is a matmul)
        x = np.asarray(x)
    if x.dtype not in FLOAT_DTYPES:
        floating = np.issubdtype(x.dtype, np.floating)
        cast = " (cast it with .astype(np.float32) or .astype(np.float64))" if floating else ""
        raise TypeError(f"{component}: expected a floating-point {what} (float32 or float64), "
                        f"got dtype {x.dtype}{cast}")
    return x


def float_dtype(component, dtype):
    """``dtype`` as a NumPy float32 or float64 dtype; anything else (an integer type would give
    all-zero weights, float16 has no BLAS) is refused naming ``component``."""
    try:
        d = np.dtype(dtype)
    except TypeError:
        d = None
    # ``None not in FLOAT_DTYPES`` is False (np.dtype("float64") == None), so test for None first
    if d is None or d not in FLOAT_DTYPES:
        hint = " (a torch dtype? pass np.float32 or 'float32')" if str(dtype).startswith("torch.") else ""
        raise TypeError(f"{component}: dtype must be float32 or float64, got "
                        f"{d.name if d is not None else repr(dtype)}{hint}")
    return d


def check_flag(component, name, value):
    """A yes/no setting as a bool: True, False (or NumPy's, or 0 and 1). A string is refused: "False"
    is truthy, and would switch the setting on."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and value in (0, 1)):
        return bool(value)
    raise TypeError(f"{component}: {name} must be True or False, got {value!r}")


def weight_init(component, init, weight_scale):
    """The weight initialiser a layer takes: None (normal with std ``weight_scale``, a finite number
    >= 0), a function ``init(shape, rng, dtype)``, or a name of ``numpy_impl.init.INITIALIZERS``
    (``"he"``, ``"xavier"``...; ``"normal"`` uses ``weight_scale``). Returns the function or None."""
    if init is None:
        check_number(component, "weight_scale", weight_scale, 0)
        return None
    if isinstance(init, str):
        from . import init as initializers
        if init not in initializers.INITIALIZERS:
            raise ValueError(f"{component}: unknown init {init!r}; choose from {sorted(initializers.INITIALIZERS)} "
                             "or pass a function init(shape, rng, dtype)")
        return initializers.by_name(init, std=check_number(component, "weight_scale", weight_scale, 0))
    if not callable(init):
        raise TypeError(f"{component}: init must be None, a name or a function init(shape, rng, dtype), got {init!r}")

    def checked(shape, rng=None, dtype=np.float64):
        """The user's init, its result checked: the shape asked for, finite real numbers."""
        W = init(shape, rng=rng, dtype=dtype)
        a = np.asarray(W)
        if a.shape != tuple(shape):
            flipped = " (the transpose: torch's (out, in) layout?)" if a.shape == tuple(shape)[::-1] else ""
            raise ValueError(f"{component}: init returned shape {a.shape}, expected {tuple(shape)}{flipped}")
        if a.dtype.kind not in "fiu" or (a.dtype.kind == "f" and not np.isfinite(a).all()):
            raise ValueError(f"{component}: init returned {a.dtype} values"
                             + (" with NaN or inf" if a.dtype.kind == "f" else "") + "; expected finite real numbers")
        return W
    return checked


def check_mask(component, mask, what="mask"):
    """A keep-mask as a bool array: booleans, or numbers that are all 0 or 1. A 0.5 or a NaN would
    otherwise count as True (or weight a term by 0.5, or make the loss NaN) without a word."""
    mask = np.asarray(mask)
    if mask.dtype != bool:
        if mask.dtype.kind not in "iuf":
            raise TypeError(f"{component}: {what} must hold True/False (or 1/0), got dtype {mask.dtype}")
        bad = (mask != 0) & (mask != 1)             # NaN is bad too
        if bad.any():
            raise ValueError(f"{component}: {what} must hold True/False (or 1/0), got {mask[bad].flat[0].item()!r}")
    return mask.astype(bool, copy=False)


def check_ndim(component, x, ndims, spec, what="input"):
    """Raise unless ``x.ndim`` is in ``ndims``; ``spec`` is a readable shape such as ``(N, D)``."""
    if x.ndim not in ndims:
        raise ValueError(f"{component}: expected {what} of shape {spec} ({'/'.join(map(str, ndims))}-D), "
                         f"got shape {tuple(x.shape)} ({x.ndim}-D)")


def check_dim(component, x, axis, size, spec, what="input"):
    """Raise unless ``x.shape[axis] == size``."""
    if x.shape[axis] != size:
        raise ValueError(f"{component}: expected {what} of shape {spec} with size {size} on axis {axis}, "
                         f"got shape {tuple(x.shape)}")


def check_shape(component, arr, shape, what):
    """Raise unless ``arr`` is a float array of exactly ``shape`` (e.g. an upstream gradient)."""
    arr = as_float_array(component, arr, what)
    if arr.shape != tuple(shape):
        raise ValueError(f"{component}: expected {what} of shape {tuple(shape)}, "
                         f"got shape {tuple(arr.shape)}")
    return arr


def check_labels(component, y, n, num_classes):
    """Labels must be a 1-D integer array of length N with values in [0, C)."""
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{component}: expected labels of shape ({n},), got shape {tuple(y.shape)}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{component}: expected integer labels, got dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= num_classes):
        bad = int(y[(y < 0) | (y >= num_classes)][0])
        raise ValueError(f"{component}: labels must lie in [0, {num_classes}), got {bad}")
    return y


def backward_before_forward(component):
    return RuntimeError(f"{component}: backward called before forward (no cached input)")


def check_count(component, name, value, least=1):
    """An integer >= ``least`` (sizes, channels, steps), as a plain int; anything else is named."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{component}: {name} must be an integer >= {least}, got {value!r}")
    return int(value)


def check_pair(component, name, value, least=1):
    """An integer >= ``least`` or a pair of them (kernel size, stride, padding, dilation)."""
    pair = (value, value) if np.isscalar(value) else tuple(value) if isinstance(value, (tuple, list)) else None
    if pair is None or len(pair) != 2:
        raise ValueError(f"{component}: {name} must be an integer >= {least} or a pair of them, got {value!r}")
    return tuple(check_count(component, name, v, least) for v in pair)


def in_range(value, low=None, high=None, low_open=False, high_open=False):
    """``(ok, allowed)``: whether the finite real ``value`` lies within [low, high] (an open end with
    ``*_open``), and the range in words ("> 0 and <= 1"), for an error message."""
    ok = np.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
    hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
    return bool(ok), " and ".join(v for v in (lo, hi) if v) or "finite"


def is_real(value):
    """A real number (int or float, NumPy's too), not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def is_finite_real(value):
    return is_real(value) and bool(np.isfinite(value))


def check_number(component, name, value, low=None, high=None, low_open=False, high_open=False):
    """A finite real number within [low, high] (an open end with ``*_open``), as a float."""
    ok, allowed = in_range(value if is_real(value) else np.nan, low, high, low_open, high_open)
    if not ok:
        what = "a finite number" if allowed == "finite" else f"a finite number {allowed}"
        raise ValueError(f"{component}: {name} must be {what}, got {value!r}")
    return float(value)
