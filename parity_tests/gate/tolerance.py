"""The one tolerance policy, dtype-aware.

An element passes when ``|actual - expected| <= rtol * |expected| + scale * max|expected| + floor``.

* The ``scale`` term (docs/CONVENTIONS.md, "Tolerances"): correct float32 results can differ elementwise by
  1e-3 relative on small elements of a reduction (a 64x1024 @ 1024x64 matmul) while the error
  relative to the result's magnitude stays near 3e-7, so float32's absolute allowance grows with
  max|expected|.
* float64 is tight: 1e-10 of the magnitude. Every float64 parity check in the registry passes with
  errors below 1e-13 of the magnitude; the margin absorbs reductions in a different order.
* float32: 1e-5 relative + 1e-5 of the magnitude. A 0.1% error (1e-3) in one gradient is 100
  times above that, so the mutation tests still bite.
* ``floor`` is only there so an all-zero reference is not divided by zero: 1e-30. A larger absolute
  floor (1e-13 once) hid a 0.1% error in Adam's second moment for 1e-6 gradients (values ~1e-12);
  the magnitude term already absorbs rounding.
* Finite differences (float64 only, h = 1e-5) carry truncation and rounding error of about 1e-9
  to 1e-8 relative: 1e-6 relative + 1e-7 of the magnitude.

A registry entry may override any of these for one check, with a written reason.
"""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    scale: float
    floor: float

    def allowed(self, expected):
        mag = float(np.max(np.abs(expected))) if expected.size else 0.0
        return self.rtol * np.abs(expected) + self.scale * mag + self.floor

    def __str__(self):
        return f"rtol={self.rtol:g} scale={self.scale:g} floor={self.floor:g}"


POLICY = {
    "float64": Tolerance(rtol=1e-10, scale=1e-10, floor=1e-30),
    "float32": Tolerance(rtol=1e-5, scale=1e-5, floor=1e-30),
}
FINITE_DIFFERENCE = Tolerance(rtol=1e-6, scale=1e-7, floor=1e-10)


def tolerance_for(dtype, check="", overrides=None):
    """The tolerance for ``check`` in ``dtype``; ``overrides`` maps ``check``, ``dtype`` or
    ``(check, dtype)`` to a ``Tolerance`` (most specific wins)."""
    dtype = np.dtype(dtype).name
    base = FINITE_DIFFERENCE if check.startswith("fd:") else POLICY[dtype]
    overrides = overrides or {}
    stage = check.split(":")[0]
    for key in ((check, dtype), (stage, dtype), check, stage, dtype):
        if key in overrides:
            return overrides[key]
    return base
