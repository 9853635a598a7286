"""The mutant table (parity_tests/gate/mutants.py): well formed, and a fixed subset run here (one
mutant per kind of entry); the whole table runs through 'make mutants' / 'parity mutants'."""
import collections
import os

import pytest

from parity_tests.gate.mutants import MUTANTS, QUICK, ROOT, Mutant, by_name, run_mutants, summary
from parity_tests.gate.registry import select


def test_table_is_large_and_well_formed():
    assert len(MUTANTS) >= 60
    assert not [n for n, c in collections.Counter(m.name for m in MUTANTS).items() if c > 1]
    for m in MUTANTS:
        with open(os.path.join(ROOT, m.file), encoding="utf-8") as f:
            text = f.read()
        assert text.count(m.find) == 1, f"{m.name}: find must occur exactly once in {m.file}"
        assert m.find != m.replace, m.name
        start = text.rfind("\n", 0, text.index(m.find)) + 1
        assert "#" not in text[start:text.index(m.find)], f"{m.name}: find sits in a comment, so it changes nothing"
        assert select(m.only), f"{m.name}: --only {m.only!r} selects nothing"
        assert m.check and (m.invisible == "" or len(m.invisible) > 20), m.name


def test_every_library_file_with_logic_has_mutants():
    files = {m.file for m in MUTANTS}
    for f in ("layers/linear.py", "layers/activations.py", "layers/conv.py", "layers/pool.py", "layers/norm.py",
              "layers/dropout.py", "losses.py", "optim/optimizers.py", "optim/schedulers.py", "init.py", "train.py",
              "checkpoint.py", "data.py"):
        assert "numpy_impl/" + f in files, f
    assert "datasets/preprocess.py" in files


def test_the_dict_form_of_another_branch_is_accepted():
    d = {"name": "x", "file": "numpy_impl/losses.py", "find": "a", "replace": "b", "component": "mse_loss",
         "check": "mse_loss [loss]"}
    m = Mutant(**d)
    assert m.only == "mse_loss" and m.killed_by([("mse_loss", "loss"), ("mse_loss", "grad_input")]) == [
        ("mse_loss", "loss")]
    assert Mutant("y", "f", "a", "b", "Adam", "Adam [param:*]").killed_by([("Adam", "param:w1")])
    with pytest.raises(ValueError, match="give 'only'"):
        Mutant("z", "f", "a", "b")


def test_a_find_that_does_not_occur_once_is_refused(tmp_path):
    (tmp_path / "numpy_impl").mkdir()
    (tmp_path / "numpy_impl" / "f.py").write_text("x = 1\nx = 1\n")
    with pytest.raises(ValueError, match="occurs 2 times"):
        Mutant("twice", "numpy_impl/f.py", "x = 1", "x = 2", "Linear").apply(str(tmp_path))


def test_quick_subset_is_killed_by_the_declared_check_and_a_harmless_change_survives():
    """Each quick mutant fails its declared check; a change that alters nothing is not 'killed' (so
    the runner itself can fail)."""
    harmless = Mutant("comment only", "numpy_impl/losses.py", '"""Losses on class scores',
                      '"""Losses  on class scores', "mse_loss", "mse_loss [*]")
    *results, control = run_mutants(by_name(QUICK) + [harmless], jobs=2)
    lines, survivors = summary(results)
    assert survivors == 0, "\n".join(lines)
    assert all(r["killed"] and r["by"] for r in results)
    assert not control["killed"] and control["status"] == 0 and control["failures"] == []
    lines, survivors = summary([control])
    assert survivors == 1 and "SURVIVED comment only" in lines[1]


def test_mutants_refuses_bad_options_before_running(tmp_path, capsys):
    from parity_tests.cli import main
    assert main(["mutants", "--json", str(tmp_path)]) == 2
    assert "is a folder, expected a file name" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["mutants", "--jobs", "0"])
    assert e.value.code == 2
