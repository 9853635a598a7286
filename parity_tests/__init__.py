"""PyTorch-backed parity checks for the NumPy library: the registry, the harness and the gate."""
from .api import assert_layer_parity, assert_loss_parity, check_layer, check_loss
from .registry import ENTRIES, OpInfo, Sample
from .report import ParityError, Report
from .runner import run, run_case
from .tolerance import POLICY, Tolerance

__all__ = ["check_layer", "check_loss", "assert_layer_parity", "assert_loss_parity", "Report", "ParityError",
           "OpInfo", "Sample", "ENTRIES", "run", "run_case", "Tolerance", "POLICY"]
