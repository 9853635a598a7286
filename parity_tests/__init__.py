"""PyTorch-backed parity checks for the NumPy library.

``parity_tests.gate`` is the gate: the registry, the check API, reports, lockstep and diagnose, the
bench. ``parity_tests.lab`` trains and experiments with it (presets, experiments, plots). The gate
never imports the lab.
"""
import os

# OpenBLAS worker threads busy-wait ~0.1 s after each call and slow torch down 2-8x in a process that
# interleaves the two; the variable only works if set before NumPy is first imported. This is the
# one place it is set (the CLI, the bench and the test suite all import this package first).
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from .gate.api import assert_layer_parity, assert_loss_parity, check_layer, check_loss  # noqa: E402
from .gate.adapters import assert_component_parity, check_component  # noqa: E402
from .gate.optimizer_check import assert_optimizer_parity, check_optimizer  # noqa: E402
from .gate.registry import ENTRIES, OpInfo, OptimInfo, Sample  # noqa: E402
from .gate.report import ParityError, Report  # noqa: E402
from .gate.runner import run, run_case  # noqa: E402
from .gate.tolerance import POLICY, Tolerance  # noqa: E402

__all__ = ["check_layer", "check_loss", "assert_layer_parity", "assert_loss_parity", "Report", "ParityError",
           "check_component", "assert_component_parity", "check_optimizer", "assert_optimizer_parity",
           "OpInfo", "OptimInfo", "Sample", "ENTRIES", "run", "run_case", "Tolerance", "POLICY"]
