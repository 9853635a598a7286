"""Hostile values for the options added with the definitions-only scan, the forward-only functions, the
regularizers and the decaying learning rate: one clear line, never a traceback or a wrong result."""
import os
import sys

import numpy as np
import pytest
import torch

from parity_tests import check_component, check_optimizer
from parity_tests.cli import main
from parity_tests.gate.scan import scan

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
D2L = os.path.join(ROOT, "examples", "d2l")


@pytest.mark.parametrize("value", ["-1", "abc", "inf", "nan", "1e308", ""])
def test_scan_timeout_refuses_what_is_no_time_limit(value, capsys):
    with pytest.raises(SystemExit) as e:          # argparse's usage error
        main(["scan", D2L, "-q", "--timeout", value])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and "Traceback" not in err, err


@pytest.mark.parametrize("value", [-1, "5", float("nan"), True, 1e9])
def test_scan_api_timeout_refused(value):
    with pytest.raises(ValueError, match="timeout must be a number of seconds"):
        scan([D2L], timeout=value)


@pytest.fixture(scope="module")
def nnfs():
    sys.path.insert(0, os.path.join(ROOT, "examples", "nnfs"))
    try:
        import nnfs_model
        return nnfs_model
    finally:
        sys.path.pop(0)
        sys.modules.pop("nnfs_model", None)


@pytest.mark.parametrize("value", ["a", -1.0, float("nan"), float("inf"), None, True])
def test_regularizer_hyperparameters_refused(nnfs, value):
    x = np.random.default_rng(0).standard_normal((5, 4))
    with pytest.raises(ValueError, match=r"weight_regularizer_l2.*finite number >= 0"):
        check_component(nnfs.Layer_Dense(4, 3), x, hyper={"weight_regularizer_l2": value})


def test_lr_factor_refused_or_reported(nnfs):
    sgd = nnfs.Optimizer_SGD(learning_rate=0.1, decay=0.5)
    with pytest.raises(TypeError, match="lr_factor= takes a function of the step index"):
        check_optimizer(sgd, torch.optim.SGD, {"lr": 0.1}, lr_factor=3)
    for bad in (lambda i: float("nan"), lambda i: -1.0):
        report = check_optimizer(nnfs.Optimizer_SGD(learning_rate=0.1, decay=0.5), torch.optim.SGD, {"lr": 0.1},
                                 lr_factor=bad)
        assert not report.passed and "expected a finite number >= 0" in report.failures[0].message()


def test_conventions_given_as_one_string_or_a_wrong_type():
    """``conventions="velocity=torch"`` is the command line's NAME=VALUE; a number is refused in one line."""
    from parity_tests.gate.conventions import ConventionError, parse
    assert parse("velocity=torch") == {"velocity": "torch"}
    assert parse("dtype=promotes,reg=half") == {"dtype": "promotes", "reg": "half"}
    with pytest.raises(ConventionError, match="a dict such as"):
        parse(3)
    with pytest.raises(ConventionError, match="allowed values"):
        parse({"velocity": "bogus"})


def test_diagnose_factory_names_the_script_part_only_when_there_is_one(tmp_path, capsys):
    (tmp_path / "plain.py").write_text("def make():\n    return 3\n")
    (tmp_path / "script.py").write_text("def f():\n    pass\nfor i in range(2):\n    pass\nother = f\n")
    assert main(["diagnose", "--factory", f"{tmp_path / 'plain.py'}:other"]) == 2
    assert capsys.readouterr().err.strip().endswith("has no function 'other'")
    assert main(["diagnose", "--factory", f"{tmp_path / 'script.py'}:other"]) == 2
    assert "(its script part, which is not run, may set it)" in capsys.readouterr().err
