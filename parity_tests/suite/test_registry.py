"""The pytest suite generated from the registry: one test per (component, sample, dtype), running
exactly what ``parity check`` runs, so the CLI and the tests cannot disagree."""
import pytest

from parity_tests.optim_check import OPTIM_ENTRIES, check_trajectory
from parity_tests.registry import ENTRIES, cases
from parity_tests.runner import run_case

CASES = list(cases())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_parity(case):
    report = run_case(case)
    assert report.results, f"{case.id}: no check ran"
    report.raise_if_failed()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_every_entry_checks_gradients(entry):
    """Every entry's float64 run includes a torch gradient check and a finite-difference check."""
    checks = set()
    for case in cases([entry], ("float64",)):
        checks |= {r.check for r in run_case(case).results}
    if entry.integer_input:             # ids (Embedding): no input gradient; the weights' are checked
        assert any(c.startswith("grad_param:") for c in checks) and any(c.startswith("fd:") for c in checks)
    else:
        assert "grad_input" in checks
        assert "fd:input" in checks
    assert ("forward" in checks) or ("loss" in checks)


def test_param_gradients_are_checked_for_every_parameter():
    import numpy as np
    for entry in ENTRIES:
        if entry.kind != "layer":
            continue
        for case in cases([entry], ("float64",)):
            rng = np.random.default_rng(case.seed)
            shape = case.sample.shape(rng) if callable(case.sample.shape) else case.sample.shape
            layer = entry.make(shape, rng, np.float64, **case.sample.kwargs)
            checks = {r.check for r in run_case(case).results}
            for name in layer.named_parameters():
                assert f"grad_param:{name}" in checks and f"fd:{name}" in checks, (case.id, name)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("entry", OPTIM_ENTRIES, ids=[e.name for e in OPTIM_ENTRIES])
def test_optimizer_trajectory(entry, dtype):
    report = check_trajectory(entry, dtype)
    checks = {r.check for r in report.results}
    assert {"param:w1", "param:b1", "param:w2", "lr"} <= checks
    report.raise_if_failed()
