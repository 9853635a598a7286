"""The pytest suite generated from the registry: one test per (component, sample, dtype), running
exactly what ``parity check`` runs, so the CLI and the tests cannot disagree."""
import pytest

from parity_tests.gate.registry import ENTRIES, OPTIM_ENTRIES, cases
from parity_tests.gate.runner import run_case

CASES = list(cases())
OP_ENTRIES = [e for e in ENTRIES if e.kind in ("layer", "loss")]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_parity(case):
    report = run_case(case)
    assert report.results, f"{case.id}: no check ran"
    report.raise_if_failed()


@pytest.mark.parametrize("entry", OP_ENTRIES, ids=[e.name for e in OP_ENTRIES])
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
        differenced, names = set(), set()
        for case in cases([entry], ("float64",)):
            rng = np.random.default_rng(case.seed)
            shape = case.sample.shape(rng) if callable(case.sample.shape) else case.sample.shape
            layer = entry.make(shape, rng, np.float64, **case.sample.kwargs)
            checks = {r.check for r in run_case(case).results}
            names |= set(layer.named_parameters())
            for name in layer.named_parameters():
                assert f"grad_param:{name}" in checks, (case.id, name)
                if case.sample.fd:          # a sample too large to difference (LayerNorm's row blocks) says so
                    assert f"fd:{name}" in checks, (case.id, name)
                    differenced.add(name)
        assert names <= differenced, (entry.name, names - differenced)    # each differenced on some sample


@pytest.mark.parametrize("entry", OPTIM_ENTRIES, ids=[e.name for e in OPTIM_ENTRIES])
def test_optimizer_trajectory_compares_every_parameter_and_the_lr(entry):
    checks = {r.check for case in entry.cases(("float64",)) for r in case.run().results}
    assert {"param:w1", "param:b1", "param:w2", "lr"} <= checks


def test_every_entry_offers_the_same_interface():
    for entry in ENTRIES:
        assert entry.cases(("float64",)) and set(entry.docs_row()) >= {"component", "kind", "what", "count", "doc"}


def _as_user_subclass(layer):
    """The same object, now an instance of a user's subclass with another name (e.g. ``MyBatchNorm1d``)."""
    cls = type(layer)
    layer.__class__ = type(f"My{cls.__name__}", (cls,), {})
    return layer


LAYER_ENTRIES = [e for e in ENTRIES if e.kind == "layer"]


@pytest.mark.parametrize("entry", LAYER_ENTRIES, ids=[e.name for e in LAYER_ENTRIES])
def test_a_subclass_of_every_library_layer_mirrors_as_its_base(entry):
    """Dispatch is on types, never on class names: a user's subclass passes the same checks."""
    import dataclasses
    sub = dataclasses.replace(entry, make=lambda *a, **k: _as_user_subclass(entry.make(*a, **k)))
    for case in sub.cases(("float64", "float32")):
        report = case.run()
        assert report.results and report.passed, report


def test_subclass_check_bites():
    """A subclass whose backward is 0.1% off still fails: the subclass really is what runs."""
    import dataclasses

    import numpy_impl.layers as L

    class MyBatchNorm1d(L.BatchNorm1d):
        def backward(self, dout):
            return super().backward(dout) * 1.001

    def make(shape, rng, dtype, **kw):
        layer = ENTRY.make(shape, rng, dtype, **kw)
        layer.__class__ = MyBatchNorm1d
        return layer

    ENTRY = next(e for e in ENTRIES if e.name == "BatchNorm1d")
    report = dataclasses.replace(ENTRY, make=make).cases(("float64",))[0].run()
    assert {r.check for r in report.failures} >= {"grad_input", "fd:input"}
