"""Compare two arrays under a tolerance and describe the result the way a failure must read."""
from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class CheckResult:
    component: str
    check: str
    passed: bool
    dtype: str = ""
    sample: str = ""
    shape: tuple = ()
    seed: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    index: tuple = ()
    actual: float = float("nan")
    expected: float = float("nan")
    mismatches: int = 0
    total: int = 0
    tolerance: str = ""
    note: str = ""
    reference: str = "torch"        # what ``expected`` is: "torch", or "fd" (a finite difference)
    extra: dict = field(default_factory=dict)

    def message(self):
        head = (f"{self.component} [{self.check}] sample={self.sample!r} shape={self.shape} dtype={self.dtype} "
                f"seed={self.seed}: ") if self.sample or self.dtype or self.shape else \
            f"{self.component} [{self.check}]: "           # not about one sample (a timeout, a whole component)
        if self.note and (not self.total or self.note.startswith((NOTHING_COMPARED, NOT_WRITTEN))
                          or self.extra.get("statistic")):
            return head + self.note
        return head + (f"{self.mismatches}/{self.total} elements outside tolerance ({self.tolerance}); "
                       f"greatest abs diff {self.max_abs:.3e}, greatest rel diff {self.max_rel:.3e}; "
                       f"worst at index {self.index}: numpy={self.actual!r} {self.reference}={self.expected!r}"
                       + (f" ({self.note})" if self.note else ""))

    def as_dict(self):
        d = asdict(self)
        d["shape"] = list(self.shape)
        d["index"] = list(self.index)
        d["message"] = self.message() if not self.passed else ""
        return d


NOTHING_COMPARED = "non-finite on both sides: nothing was compared"
# an assignment template's stub: ``out = None`` ... ``pass`` ... ``return out, cache``
NOT_WRITTEN = "returned None: not written yet? (a template's `pass` left in)"


def is_none(value):
    """None, or only Nones (``dx, dw, db = None, None, None`` returned as an array)."""
    if value is None:
        return True
    arr = value if isinstance(value, np.ndarray) else None
    return arr is not None and arr.dtype == object and all(v is None for v in arr.flat)


def compare(actual, expected, tol, nonfinite=False, **meta):
    """``expected`` is the reference (torch, or the numerical gradient); the test is asymmetric.

    An element that is NaN on both sides, or the same infinity on both sides, agrees only when
    ``nonfinite`` (a sample that tests NaN/inf propagation); otherwise the comparison fails with
    ``NOTHING_COMPARED``: two NaNs prove nothing about the code that made them. An ``actual`` of
    None fails with ``NOT_WRITTEN``."""
    if is_none(actual):
        return CheckResult(passed=False, tolerance=str(tol), note=NOT_WRITTEN, **meta)
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    res = CheckResult(passed=False, tolerance=str(tol), **meta)
    if actual.shape != expected.shape:
        res.note = f"shape mismatch: numpy {actual.shape} vs reference {expected.shape}"
        return res
    if actual.dtype.kind not in "fiub":             # complex, object, strings: not real numbers
        res.note = not_real(actual)
        return res
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    res.total = int(a.size)
    if a.size == 0:
        res.passed = True
        return res
    both = (np.isnan(a) & np.isnan(e)) | (np.isinf(a) & (a == e))
    if both.any() and not nonfinite:
        res.note = f"{NOTHING_COMPARED} ({int(both.sum())}/{a.size} elements)"
        res.mismatches = int(both.sum())
        res.index = tuple(int(i) for i in np.unravel_index(int(np.argmax(both)), a.shape))
        res.actual = res.expected = float(a[res.index])
        res.max_abs = res.max_rel = float("inf")
        return res
    with np.errstate(invalid="ignore"):
        diff = np.where(both, 0.0, np.abs(a - e))
    diff = np.where(np.isnan(diff), np.inf, diff)
    finite_e = np.isfinite(e)
    allowed = np.where(finite_e, tol.allowed(np.where(finite_e, e, 0.0)), 0.0)   # an inf reference allows nothing
    mag = float(np.max(np.abs(e[np.isfinite(e)]))) if np.isfinite(e).any() else 0.0
    # relative to |expected|; elements below eps * magnitude are measured against that floor
    # a Python float: a float32 eps would make the sum float32, where the 1e-300 floor is 0 (0/0 = inf)
    eps = float(np.finfo(actual.dtype if actual.dtype.kind == "f" else np.float64).eps)
    with np.errstate(invalid="ignore"):
        rel = diff / np.maximum(np.abs(e), max(mag, float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0))) * eps + 1e-300)
    rel = np.where(np.isnan(rel), np.where(both, 0.0, np.inf), rel)
    bad = (diff > allowed) | (~finite_e & ~both)
    res.mismatches = int(bad.sum())
    res.passed = res.mismatches == 0
    res.max_abs = float(diff.max())
    res.max_rel = float(rel.max())
    worst = np.unravel_index(int(np.argmax(diff - allowed)), a.shape)
    res.index = tuple(int(i) for i in worst)
    res.actual = float(a[worst])
    res.expected = float(e[worst])
    return res


class Refused(Exception):
    """What the user's code returned is not what the check can take: its message is the finding,
    reported as it is (not as an exception the user's code raised)."""


def constant_ratio(actual, expected, rtol=1e-6):
    """``c`` when ``actual`` is ``c * expected`` for one constant ``c != 0`` (a missing 1/N, a sum where the
    mean is meant, a learning rate of its own), else None."""
    try:
        got, want = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if got.shape != want.shape or not np.all(np.isfinite(want)) or not np.any(want):
        return None
    ratio = float(np.sum(got * want) / np.sum(want * want))
    ok = ratio and np.allclose(got, ratio * want, rtol=rtol, atol=1e-9 * np.abs(want).max())
    return ratio if ok else None


def add_note(result, text):
    """``text`` added to a result's note."""
    result.note = (result.note + "; " if result.note else "") + text


def not_real(arr):
    """What an output that is not an array of real numbers is: complex (its largest imaginary part),
    objects, text."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "c":
        imag = float(np.max(np.abs(arr.imag), initial=0.0))
        return f"returned {arr.dtype} values (imaginary part up to {imag:.3g}): a result must be real numbers"
    return f"returned an array of dtype {arr.dtype}: a result must be an array of real numbers"


def cast_back(arr, dtype):
    """``dtype=promotes``: a result of real numbers (float64 for float32 input, or integers: a derivative
    ``np.where(x > 0, 1, 0)``) cast back to the input's ``dtype`` (only the numbers judged); anything
    else (complex, objects) kept as it is, for the comparison to refuse."""
    a = np.asarray(arr)
    return a.astype(dtype, copy=False) if a.dtype.kind in "fiub" else a


def at_kink(result, x, got, want, dout, tol):
    """A failed input gradient whose every mismatch lies where the input ``x`` is exactly 0 (a ReLU's
    kink, where the derivative is a choice) is told so, with the two choices: torch's and the code's
    (``x >= 0`` takes 1 where torch takes 0)."""
    try:
        x, got, want, dout = (np.asarray(a, dtype=np.float64) for a in (x, got, want, dout))
    except (TypeError, ValueError):
        return
    if result.passed or not (x.shape == got.shape == want.shape == dout.shape):
        return
    kink = x == 0
    if not kink.any() or not compare(got[~kink], want[~kink], tol, component="", check="").passed:
        return
    bad = kink & ~np.isclose(got, want, rtol=1e-6, atol=1e-12)
    if not bad.any() or (dout[bad] == 0).any():
        return
    mine, theirs = np.unique(got[bad] / dout[bad]) + 0.0, np.unique(want[bad] / dout[bad]) + 0.0     # no -0
    said = (f"a derivative of {mine[0]:g} there, torch's {theirs[0]:g}" if mine.size == theirs.size == 1
            else "a derivative there other than torch's")
    add_note(result, f"every mismatch is where the input is exactly 0 ({int(bad.sum())} elements), a kink: "
                     f"{said}. Either is a subgradient; torch's is compared (its positive branch is x > 0, not x >= 0)")


# dropout's share of units kept, on 50,000 ones: 0.02 is 10 standard deviations or more
SHARE_SHAPE, SHARE_SLACK = (200, 250), 0.02


def kept_share(out, keep, what, **meta):
    """The ``keep_share`` result of a dropout's training output ``out`` on ones of ``SHARE_SHAPE``: the
    share of elements it kept, within ``SHARE_SLACK`` of ``keep`` (``what``: how keep was read)."""
    kept = float(np.mean(np.asarray(out) != 0))
    ok = abs(kept - keep) <= SHARE_SLACK
    return CheckResult(passed=ok, max_abs=abs(kept - keep), max_rel=abs(kept - keep) / max(keep, 1e-12), total=1,
                       mismatches=int(not ok), tolerance=f"within {SHARE_SLACK:g}",
                       note="" if ok else f"kept {kept:.1%} of {np.size(out):,} elements in training; expected "
                                          f"{keep:.0%} ({what})", extra={"statistic": True}, **meta)


def failed(note, **meta):
    """A check that failed before any comparison (an exception, a mutated input, a wrong dtype)."""
    return CheckResult(passed=False, note=note, **meta)
