"""Exit status of every subcommand: 0 passed, 1 parity failure, 2 usage or input error, 3 internal
error; each error is one line on stderr, the traceback only with --debug."""
import os

import numpy as np
import pytest

import numpy_impl.layers as L
from parity_tests import cli
from parity_tests.gate import bench, diagnose, mutants, runner, scan
from parity_tests.lab import char_lm, experiments, optim_paths, search, train

# the function each subcommand calls, by (module, attribute): raising there is an internal error
ENTRY_POINTS = {
    "check": (runner, "check_command"), "list": (runner, "list_command"), "bench": (bench, "main"),
    "diagnose": (diagnose, "run_command"), "mutants": (mutants, "mutants_command"), "train": (train, "run_command"),
    "search": (search, "run_command"), "experiment": (experiments, "run_command"), "optim-paths": (optim_paths, "main"),
    "scan": (scan, "scan_command"), "char-lm": (char_lm, "run_command"),
}
# arguments that reach the command (parsing succeeds)
VALID = {"check": ["--only", "Flatten"], "list": [], "bench": ["--quick"], "diagnose": ["mlp"],
         "mutants": ["--list"], "train": ["softmax"], "search": ["softmax"], "experiment": ["weights"],
         "optim-paths": [], "scan": [os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "cs231n")], "char-lm": ["--steps", "1"]}
# a usage or input error for each
USAGE = {"check": ["--only", "NoSuchLayer"], "list": ["--bogus"], "bench": ["--repeat", "x"],
         "diagnose": ["--factory", "no_such_file.py:make"], "mutants": ["--only", "no-such-mutant"],
         "train": ["softmax", "--data", "no-such-data"], "search": ["softmax", "--data", "no-such-data"],
         "experiment": ["no-such-experiment"], "optim-paths": ["--steps", "x"], "scan": ["no/such/folder"],
         "char-lm": ["--steps", "0"]}


def test_every_subcommand_is_covered():
    assert set(cli.build_parser()._subparsers._group_actions[0].choices) == set(ENTRY_POINTS) == set(USAGE)


@pytest.mark.parametrize("cmd", sorted(USAGE))
def test_usage_error_is_2_and_one_line(cmd, capsys):
    with pytest.raises(SystemExit) as e:     # argparse errors exit through SystemExit
        raise SystemExit(cli.main([cmd, *USAGE[cmd]]))
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("cmd", sorted(ENTRY_POINTS))
def test_internal_error_is_3_one_line_traceback_with_debug(cmd, monkeypatch, capsys):
    module, attr = ENTRY_POINTS[cmd]

    def boom(*a, **k):
        raise RuntimeError("deliberate")
    monkeypatch.setattr(module, attr, boom)
    assert cli.main([cmd, *VALID[cmd]]) == 3
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"parity {cmd}: internal error: RuntimeError: deliberate "
                                        "(run with --debug for the traceback)"]
    assert cli.main(["--debug", cmd, *VALID[cmd]]) == 3
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize("cmd", sorted(ENTRY_POINTS))
def test_ctrl_c_is_130_and_one_line(cmd, monkeypatch, capsys):
    module, attr = ENTRY_POINTS[cmd]

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(module, attr, interrupted)
    assert cli.main([cmd, *VALID[cmd]]) == 130
    assert capsys.readouterr().err.strip().splitlines() == [f"parity {cmd}: interrupted"]


def test_user_code_that_exits_is_a_failure_not_a_pass(tmp_path, capsys):
    """``sys.exit(0)`` inside a user's layer or constructor must not end the gate with status 0."""
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "layers.py").write_text(
        "import sys\ndef relu_forward(x):\n    sys.exit(0)\ndef relu_backward(dout, cache):\n    return dout\n"
        "class Affine:\n    def __init__(self, W, b):\n        raise SystemExit(0)\n"
        "    def forward(self, x):\n        pass\n    def backward(self, dout):\n        pass\n")
    assert cli.main(["scan", str(tmp_path / "hw"), "-q", "--dtype", "float64"]) == 1
    out = capsys.readouterr().out
    assert "raised SystemExit: 0 (at " in out and "building it raised SystemExit: 0" in out


def test_a_lone_file_that_does_not_import_fails_the_scan(tmp_path, capsys):
    (tmp_path / "layers.py").write_text("def relu_forward(x:\n")
    assert cli.main(["scan", str(tmp_path / "layers.py")]) == 1
    assert "could not import: SyntaxError" in capsys.readouterr().out
    assert cli.main(["scan", str(tmp_path / "layers.py"), "--allow-import-errors"]) == 2


def test_check_0_and_1(monkeypatch, capsys):
    assert cli.main(["check", "--only", "Flatten", "-q"]) == 0
    orig = L.Flatten.backward
    monkeypatch.setattr(L.Flatten, "backward", lambda self, d: orig(self, d) * 1.001)
    assert cli.main(["check", "--only", "Flatten", "-q"]) == 1
    assert "Flatten [grad_input]" in capsys.readouterr().out


def test_list_0(capsys):
    assert cli.main(["list"]) == 0 and "Trainer shuffling" in capsys.readouterr().out


def test_diagnose_0_and_1(monkeypatch):
    assert cli.main(["diagnose", "mlp", "--hidden", "6", "--batch", "4"]) == 0
    orig = L.Linear.backward
    monkeypatch.setattr(L.Linear, "backward", lambda self, d: orig(self, d) * 1.001)
    assert cli.main(["diagnose", "mlp", "--hidden", "6", "--batch", "4"]) == 1


def test_mutants_0_and_1(monkeypatch, capsys):
    assert cli.main(["mutants", "--list", "--only", "Adam"]) == 0

    def fake(chosen, **kw):
        return [{"name": m.name, "only": m.only, "check": m.check, "invisible": m.invisible, "killed": i > 0,
                 "by": [], "failures": [], "status": 0, "seconds": 0.0} for i, m in enumerate(chosen)]
    monkeypatch.setattr(mutants, "run_mutants", fake)
    assert cli.main(["mutants", "--only", "Adam without bias", "-q"]) == 1
    assert "SURVIVED Adam without bias correction" in capsys.readouterr().out
    monkeypatch.setattr(mutants, "run_mutants", lambda chosen, **kw: [
        {**r, "killed": True} for r in fake(chosen)])
    assert cli.main(["mutants", "--only", "Adam without bias", "-q"]) == 0


def test_optim_paths_0(tmp_path):
    assert cli.main(["optim-paths", "--out", str(tmp_path / "p.png"), "--steps", "5"]) == 0


def test_optim_paths_1_when_the_paths_part(monkeypatch, tmp_path):
    """NumPy's Adam off by 0.1%: the paths no longer coincide."""
    from parity_tests.suite.breakers import adam_off_by_0_1_percent
    adam_off_by_0_1_percent(monkeypatch, from_step=1)
    assert cli.main(["optim-paths", "--out", str(tmp_path / "p.png"), "--steps", "5"]) == 1


def test_bench_0(monkeypatch):
    monkeypatch.setattr(bench, "main", lambda **kw: 0)     # timing itself: make bench
    assert cli.main(["bench", "--quick"]) == 0


def test_nonfinite_input_row_fails_check_command(monkeypatch):
    """A sample that draws NaN without declaring it fails the gate (exit 1), naming the input."""
    from parity_tests.gate.registry import BY_NAME, Sample
    entry = BY_NAME["Tanh"]
    nan = Sample("NaN", (2, 3), inputs=lambda rng, shape, dtype: np.full(shape, np.nan, dtype=dtype))
    monkeypatch.setattr(entry, "samples", [nan])
    assert cli.main(["check", "--only", "Tanh", "-q"]) == 1
