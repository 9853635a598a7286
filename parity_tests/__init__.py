"""PyTorch-backed parity checks for the NumPy library.

``parity_tests.gate`` is the gate: the registry, the check API, reports, lockstep and diagnose, the
bench. ``parity_tests.lab`` trains and experiments with it (presets, experiments, plots). The gate
never imports the lab.
"""
import os
import sys

# Idle worker threads of one library busy-wait on the cores the other library wants, in a process
# that interleaves the two:
# * OpenBLAS's threads spin ~0.1 s after each NumPy matmul and slow torch down 2-8x;
# * torch's OpenMP (libgomp) threads spin 300,000 rounds after each torch op and slow NumPy's
#   2-thread matmuls down up to 2x (Linear 784->256 forward+backward: 8.1-8.4 ms -> 4.1-4.5 ms with
#   10,000 rounds, torch's own time unchanged within noise: 4.9-5.5 ms either way).
# Both variables only work if set before the library is first imported. This is the one place they
# are set (the CLI, the bench and the test suite all import this package first); ``SPIN_SETTINGS``
# records whether they came in time.
SPIN_SETTINGS = {"OPENBLAS_THREAD_TIMEOUT": "4", "GOMP_SPINCOUNT": "10000"}
LOADED_BEFORE = sorted(m for m in ("numpy", "torch") if m in sys.modules)
for _name, _value in SPIN_SETTINGS.items():
    os.environ.setdefault(_name, _value)

from .gate.api import assert_layer_parity, assert_loss_parity, check_layer, check_loss  # noqa: E402
from .gate.adapters import assert_component_parity, check_component  # noqa: E402
from .gate.optimizer_check import assert_optimizer_parity, check_optimizer  # noqa: E402
from .gate.model_check import assert_model_parity, check_captioning, check_model  # noqa: E402
from .gate.registry import ENTRIES, OpInfo, OptimInfo, Sample  # noqa: E402
from .gate.report import ParityError, Report  # noqa: E402
from .gate.runner import run, run_case  # noqa: E402
from .gate.tolerance import POLICY, Tolerance  # noqa: E402

__all__ = ["check_layer", "check_loss", "assert_layer_parity", "assert_loss_parity", "Report", "ParityError",
           "check_component", "assert_component_parity", "check_optimizer", "assert_optimizer_parity",
           "check_model", "assert_model_parity", "check_captioning",
           "OpInfo", "OptimInfo", "Sample", "ENTRIES", "run", "run_case", "Tolerance", "POLICY"]
