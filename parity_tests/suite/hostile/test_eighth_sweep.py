"""The eighth hostile-input sweep: files a command would overwrite with its own other outputs, a
diagnosis of an eval-mode model, ignored targets that poisoned a loss, data of the wrong kind taken
silently, a schedule that ran out part way, and bare errors. Each is now refused in one line before
any work, or agrees with torch."""
import json
import os
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import datasets as D
import numpy_impl as ni
import numpy_impl.optim as no
from numpy_impl import gradcheck, init, losses_extra as L, search
from numpy_impl.models import FullyConnectedNet, Model
from numpy_impl.models.char_lstm import CharLSTM
from numpy_impl.train import Trainer
from parity_tests.cli import main
from parity_tests.gate.diagnose import diagnose
from parity_tests.gate.lockstep import lockstep

from ..fakedata import learnable_mnist, make_cifar, write_idx


@pytest.fixture(scope="module")
def mnist(tmp_path_factory):
    return learnable_mnist(str(tmp_path_factory.mktemp("mnist")), 60, 20)


def _train(mnist, *extra):
    return main(["train", "softmax", "--data", "mnist", "--root", mnist, "--epochs", "1", "--no-progress", *extra])


# ------------------------------------------------------------------ outputs naming one file
def test_train_refuses_outputs_that_name_one_file(mnist, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _train(mnist, "--checkpoint", "run.npz") == 0
    before = open("run.npz", "rb").read()
    assert _train(mnist, "--resume", "run.npz", "--save-state-dict", "run.npz") == 2
    assert "--resume and --save-state-dict name the same file 'run.npz'" in capsys.readouterr().err
    assert open("run.npz", "rb").read() == before                  # the checkpoint is still there
    assert _train(mnist, "--checkpoint", "c.npz", "--save-state-dict", "./c.npz") == 2
    assert "--checkpoint and --save-state-dict name the same file" in capsys.readouterr().err
    assert _train(mnist, "--checkpoint", "out/history.json", "--out", "out") == 2
    assert "--checkpoint and --out's history.json name the same file" in capsys.readouterr().err
    assert not os.path.exists("c.npz") and not os.path.exists("out/history.json")
    assert _train(mnist, "--checkpoint", "run.npz", "--resume", "./run.npz") == 0     # one file, meant


def test_reports_never_replace_their_input_or_each_other(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from numpy_impl.models import build_model
    from torch_ref.interop import save_state_dict
    save_state_dict(build_model("mlp", (1, 28, 28), hidden=[8]), "w.pt")
    before = open("w.pt", "rb").read()
    assert main(["diagnose", "mlp", "--hidden", "8", "--weights", "w.pt", "--json", "w.pt"]) == 2
    assert "--weights and --json name the same file 'w.pt'" in capsys.readouterr().err
    assert open("w.pt", "rb").read() == before
    assert main(["check", "--only", "Softsign", "-q", "--json", "r.out", "--junit", "r.out"]) == 2
    assert "--json and --junit name the same file" in capsys.readouterr().err
    assert main(["check", "--only", "Softsign", "-q", "--json", "/dev/null", "--junit", "/dev/null"]) == 0


@pytest.mark.parametrize("command, blocked", [
    (["train", "softmax", "--epochs", "1", "--no-progress"], "history.json"),
    (["train", "softmax", "--epochs", "1", "--no-progress"], "curves.png"),
    (["search", "softmax", "--epochs", "1", "--trials", "1"], "search.json"),
])
def test_the_files_a_command_writes_into_out_are_checked_before_any_work(mnist, tmp_path, capsys, command,
                                                                         blocked):
    out = tmp_path / "o"
    (out / blocked).mkdir(parents=True)
    assert main([*command, "--data", "mnist", "--root", mnist, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"its {blocked}" in err and "is a folder" in err
    assert sorted(os.listdir(out)) == [blocked]                    # nothing was trained or written


@pytest.mark.parametrize("option, said", [("--checkpoint", "--checkpoint: expected a path, got ''"),
                                          ("--resume", "--resume '': no such file"),
                                          ("--save-state-dict", "--save-state-dict: expected a path, got ''")])
def test_an_empty_path_is_refused_not_taken_for_none(mnist, capsys, option, said):
    """An unset shell variable ($CKPT) must not silently turn checkpointing off."""
    assert _train(mnist, option, "") == 2
    assert said in capsys.readouterr().err


def test_mutants_refuses_an_empty_pattern(capsys):
    assert main(["mutants", "--list", "--only", ""]) == 2
    assert "--only: expected comma-separated mutant name patterns" in capsys.readouterr().err


# ------------------------------------------------------------------ diagnose and lockstep
def test_an_eval_mode_model_is_diagnosed_and_trained_in_lockstep_as_in_training_mode():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 6)), rng.integers(0, 3, 8)
    m = FullyConnectedNet(6, [5], 3, batchnorm=True, dropout=0.3, seed=0)
    m.eval()
    rows, first = diagnose(m, X, y)
    assert first is None, first
    steps = lockstep(m, X, y, lambda p: no.SGD(p, lr=0.1), steps=3, batch_size=8)
    assert len(steps) == 3 and max(s["param_drift"] for s in steps) < 1e-12, steps


def test_a_loss_name_set_after_construction_is_named():
    m = Model(ni.Linear(4, 3))
    m.loss_name = "mse"
    with pytest.raises(ValueError, match=r"Model.loss \(loss_name\): loss must be one of .*got 'mse'"):
        m.loss(np.ones((2, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match="diagnose: the model's loss_name must be one of"):
        diagnose(m, np.ones((2, 4)), np.array([0, 1]))


# ------------------------------------------------------------------ losses: ignored targets
def test_an_ignored_row_of_minus_inf_scores_is_left_out_as_torch_leaves_it_out():
    x = np.array([[-np.inf, -np.inf, -np.inf], [0.0, 1.0, 2.0]])
    y = np.array([-100, 1])
    for kw in ({}, {"label_smoothing": 0.1}):
        loss, dx = L.cross_entropy_loss(x, y, **kw)
        want = F.cross_entropy(torch.tensor(x), torch.tensor(y), **kw).item()
        assert loss == pytest.approx(want, rel=1e-12) and np.all(np.isfinite(dx)) and not dx[0].any()
    logp = np.array([[-np.inf] * 3, [-1.0, -2.0, -0.5]])
    assert L.nll_loss(logp, y)[0] == pytest.approx(F.nll_loss(torch.tensor(logp), torch.tensor(y)).item())


@pytest.mark.parametrize("fn", [L.cross_entropy_loss, L.nll_loss])
def test_every_target_ignored_gives_torchs_nan_loss_and_a_zero_gradient(fn):
    loss, dx = fn(np.random.default_rng(0).standard_normal((2, 3)), np.array([-100, -100]))
    assert np.isnan(loss) and np.array_equal(dx, np.zeros((2, 3)))


# ------------------------------------------------------------------ data of the wrong kind
@pytest.mark.parametrize("change, match", [
    (lambda e: e.update(data=e["data"].astype(np.float64) / 255), "'data' must be uint8 pixel values"),
    (lambda e: e.update(labels=[1.7] * len(e["labels"])), "'labels' must be integer class ids, got dtype float64"),
])
def test_cifar_batches_of_another_dtype_are_refused(tmp_path, change, match):
    make_cifar(str(tmp_path))
    path = tmp_path / "cifar-10-batches-py" / "data_batch_1"
    entry = pickle.loads(path.read_bytes())
    change(entry)
    path.write_bytes(pickle.dumps(entry))
    with pytest.raises(D.DatasetError, match=match):
        D.load_raw("cifar10", root=str(tmp_path), verify_checksums=False, use_cache=False)


@pytest.mark.parametrize("X, match", [
    (np.full((1, 2), 0.5), "got dtype float64: already floats\\? pass scale=False"),
    (np.array([True]), "got dtype bool"),
    (np.array([300]), r"pixel values must lie in \[0, 255\], got values from 300 to 300"),
])
def test_to_float_scales_pixel_values_only(X, match):
    with pytest.raises((TypeError, ValueError), match=match):
        D.to_float(X)
    assert D.to_float(np.array([[0, 255]], np.uint8)).tolist() == [[0.0, 1.0]]
    assert D.to_float(np.array([0.5]), scale=False).tolist() == [0.5]


def test_an_idx_file_of_zero_samples_is_named(tmp_path):
    folder = str(tmp_path)
    for prefix, n in (("train", 4), ("t10k", 0)):
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), np.zeros((n, 28, 28)))
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), np.zeros(n))
    with pytest.raises(D.DatasetError, match=r"t10k-images-idx3-ubyte(\.gz)?: holds 0 samples"):
        D.load_raw("mnist", root=folder, use_cache=False)


def test_a_root_full_of_other_files_is_not_walked(tmp_path, monkeypatch):
    """Only the dataset's own files are fingerprinted: a root of thousands of unrelated files (or /)
    costs nothing more."""
    for i in range(50):
        (tmp_path / f"other{i}").mkdir()
    walked = []
    monkeypatch.setattr(os, "walk", lambda *a, **k: walked.append(a) or iter(()))
    with pytest.raises(D.DatasetNotFound):
        D.load_raw("mnist", root=str(tmp_path))
    assert walked == []


# ------------------------------------------------------------------ training
def test_a_one_cycle_schedule_shorter_than_the_run_is_refused_before_the_first_update():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 4)), np.arange(20) % 2
    m = FullyConnectedNet(4, [3], 2)
    start = {k: v.copy() for k, v in m.named_parameters().items()}
    o = no.SGD(m.named_parameters(), lr=0.1, momentum=0.9)
    t = Trainer(m, o, no.OneCycleLR(o, 0.1, total_steps=3), batch_size=5, schedule_every="step", progress=False,
                log=None)
    with pytest.raises(ValueError, match=r"OneCycleLR has total_steps=3, but this run steps it 4 times .*"
                                         r"total_steps=4"):
        t.fit(X, y, 1)
    assert all(np.array_equal(start[k], v) for k, v in m.named_parameters().items())
    o = no.SGD(m.named_parameters(), lr=0.1, momentum=0.9)
    Trainer(m, o, no.OneCycleLR(o, 0.1, total_steps=4), batch_size=5, schedule_every="step", progress=False,
            log=None).fit(X, y, 1)                                   # exactly long enough


def test_search_refuses_a_train_acc_that_is_not_a_number_and_tables_configurations_of_other_keys():
    with pytest.raises(TypeError, match="train_fn's 'train_acc' must be a number, got 'n/a'"):
        search.search(lambda c, s: {"val_acc": 0.5, "train_acc": "n/a"}, [{"lr": 0.1}], log=None)
    table = search.results_table(search.search(lambda c, s: {"val_acc": 0.5}, [{"lr": 0.1, "dropout": 0.5},
                                                                              {"lr": 0.01}], log=None))
    assert "dropout" in table.splitlines()[0] and table.splitlines()[2].split()[2] == "-"


# ------------------------------------------------------------------ bench files
def test_bench_markdown_names_what_an_older_or_edited_file_lacks(tmp_path, capsys):
    from parity_tests.gate.bench import header
    rows = [{"case": "softmax CE (128,10)", "dtype": "float64", "ratio": 0.9, "target": 1.0}]
    good = {"header": {**header(bandwidth=False), "date": "2026-11-23", "repeat": 1}, "rows": rows}
    old = json.loads(json.dumps(good))
    del old["header"]["numpy_blas"]
    null = json.loads(json.dumps(good))
    null["rows"][0]["ratio"] = None
    for name, data, match in (("old.json", old, "no field 'numpy_blas'"), ("null.json", null, "has ratio None")):
        (tmp_path / name).write_text(json.dumps(data))
        assert main(["bench", "--markdown", str(tmp_path / name)]) == 2
        assert match in capsys.readouterr().err
    (tmp_path / "good.json").write_text(json.dumps(good))
    assert main(["bench", "--markdown", str(tmp_path / "good.json")]) == 0


# ------------------------------------------------------------------ the library's arguments
def test_batchnorm_running_buffers_of_the_wrong_kind_are_named_in_eval():
    for key, value, match in (("running_mean", np.zeros(4), r"shape \(3,\), got shape \(4,\)"),
                              ("running_var", [1.0, 1.0, 1.0], r"shape \(3,\), got a list")):
        b = ni.BatchNorm1d(3).eval()
        b.buffers[key] = value
        with pytest.raises(ValueError, match=rf"BatchNorm1d\(3\): buffers\['{key}'\] must be a float array of {match}"):
            b.forward(np.ones((2, 3)))


def test_torch_arguments_are_taken_or_refused_by_name():
    layer = ni.LayerNorm(3, bias=False)
    assert list(layer.named_parameters()) == ["gamma"] and "bias=False" in layer.describe()
    assert init.gain("conv_transpose2d") == 1.0
    for make, match in ((lambda: ni.BatchNorm1d(3, track_running_stats=False), "track_running_stats=False is not"),
                        (lambda: ni.Conv2d(2, 2, 3, groups=2), "groups=2 is not implemented"),
                        (lambda: ni.Conv1d(2, 2, 3, padding_mode="reflect"), "padding_mode='reflect' is not"),
                        (lambda: ni.ConvTranspose2d(2, 2, 3, groups=2), "groups=2 is not implemented")):
        with pytest.raises(NotImplementedError, match=match):
            make()


def test_sample_grid_arguments_are_checked_before_drawing(tmp_path):
    X, y = np.zeros((4, 1, 28, 28), np.uint8), np.arange(4)
    for kw, match in (({"per_class": 0}, "per_class must be an integer >= 1"),
                      ({"classes": []}, "classes must be a non-empty list"),
                      ({"classes": ["a", "b"]}, r"labels must lie in \[0, 2\)")):
        args = {"classes": ["a", "b", "c", "d"], "per_class": 2, **kw}
        with pytest.raises(ValueError, match=match):
            D.save_sample_grid(X, y, args["classes"], str(tmp_path / "g.png"), per_class=args["per_class"])
    assert not (tmp_path / "g.png").exists()


def test_small_bare_errors_are_named():
    with pytest.raises(ValueError, match="CharLSTM.sample: length must be an integer >= 0, got 2.5"):
        CharLSTM(5, rng=0).sample(0, 2.5)
    with pytest.raises(TypeError, match=r"numerical_gradient: f\(\) must return a number or an array of numbers, "
                                        "got NoneType"):
        gradcheck.numerical_gradient(lambda: None, np.ones(2))
