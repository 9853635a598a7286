"""``parity train`` (lockstep, checkpoint, resume), ``parity diagnose`` on a deliberately broken
layer, ``parity search`` and the search helpers, on small MNIST-format files."""
import json
import textwrap

import numpy as np
import pytest

from numpy_impl.search import grid, random_configs, search
from parity_tests.cli import main

from ..breakers import adam_off_by_0_1_percent
from ..fakedata import learnable_mnist


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PARITY_DATA_ROOT", raising=False)


@pytest.fixture
def mnist(tmp_path):
    return ["--data", "mnist", "--root", learnable_mnist(str(tmp_path / "mnist"))]


def test_train_lockstep_writes_history_and_curves(tmp_path, mnist, capsys):
    out = tmp_path / "run"
    rc = main(["train", "mlp", *mnist, "--epochs", "2", "--hidden", "32,16", "--lr", "0.01", "--lockstep", "--no-progress",
               "--out", str(out), "--save-state-dict", str(tmp_path / "w.pt")])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "test accuracy (torch mirror)" in text and "ratio NumPy/torch" in text and "within 1e-08" in text
    h = json.loads((out / "history.json").read_text())
    steps = h["history"]["lockstep"]
    assert len(steps) == len(h["history"]["loss"]) == 2 * 3       # 360 train samples, batch 128
    assert h["max_drift"] < 1e-12 and h["test_acc"] == h["torch_test_acc"] > 0.5
    assert all(e["torch_val_acc"] == e["val_acc"] for e in h["history"]["epochs"])
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    import torch
    assert "0.weight" in torch.load(tmp_path / "w.pt", weights_only=True)


def test_train_resume_matches_an_uninterrupted_run(tmp_path, mnist, capsys):
    common = ["train", "mlp", *mnist, "--hidden", "32", "--dropout", "0.3", "--batchnorm", "--no-progress",
              "--batch-size", "50"]
    assert main(common + ["--epochs", "3", "--out", str(tmp_path / "full")]) == 0
    assert main(common + ["--epochs", "3", "--checkpoint", str(tmp_path / "c.npz"), "--max-steps", "13"]) == 0
    assert main(common + ["--epochs", "3", "--resume", str(tmp_path / "c.npz"), "--out", str(tmp_path / "resumed")]) == 0
    assert "resumed from" in capsys.readouterr().out
    full = json.loads((tmp_path / "full" / "history.json").read_text())
    resumed = json.loads((tmp_path / "resumed" / "history.json").read_text())
    assert resumed["history"]["loss"] == full["history"]["loss"]
    assert resumed["test_acc"] == full["test_acc"]


def test_lockstep_cannot_resume_and_missing_data_is_clear(tmp_path, mnist, capsys):
    main(["train", "softmax", *mnist, "--epochs", "1", "--no-progress", "--checkpoint", str(tmp_path / "c.npz")])
    assert main(["train", "softmax", *mnist, "--epochs", "2", "--lockstep", "--resume", str(tmp_path / "c.npz")]) == 2
    assert "cannot resume" in capsys.readouterr().err
    assert main(["train", "softmax", "--data", "mnist", "--root", str(tmp_path / "nothing")]) == 2
    assert "mnist" in capsys.readouterr().err.lower()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_train_nan_stop_exits_1(tmp_path, mnist, capsys):
    rc = main(["train", "two-layer", *mnist, "--epochs", "3", "--lr", "1e30", "--optimizer", "sgd",
               "--weight-scale", "10", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 1 and "diverging" in out and "training stopped" in out


BROKEN = textwrap.dedent('''
    import numpy as np
    from numpy_impl.layers import Linear
    from numpy_impl.models import FullyConnectedNet

    class BrokenLinear(Linear):
        """dW off by 0.1%: the kind of slip a hand-written backward pass hides."""
        def backward(self, dout):
            dx = super().backward(dout)
            self._set_grad("W", self.grads["W"] * 1.001)
            return dx

    def make():
        model = FullyConnectedNet(12, [10, 8], 4, seed=0)
        good = model.layers[2]
        broken = BrokenLinear(10, 8)
        broken.params["W"][...] = good.params["W"]
        broken.params["b"][...] = good.params["b"]
        model.layers[2] = broken
        rng = np.random.default_rng(0)
        return model, rng.standard_normal((16, 12)), rng.integers(0, 4, 16)
''')


def test_diagnose_names_the_broken_layer(tmp_path, capsys):
    f = tmp_path / "mymodel.py"
    f.write_text(BROKEN)
    rc = main(["diagnose", "--factory", f"{f}:make", "--json", str(tmp_path / "d.json")])
    out = capsys.readouterr().out
    assert rc == 1, out
    assert "first divergence: 2 Linear(10, 8) [grad_param:W]" in out
    rows = json.loads((tmp_path / "d.json").read_text())["results"]
    assert [r["check"] for r in rows if not r["passed"]] == ["grad_param:W"]


def test_diagnose_healthy_models(capsys):
    assert main(["diagnose", "mlp", "--hidden", "20,10", "--batchnorm", "--dropout", "0.2"]) == 0
    assert main(["diagnose", "conv", "--channels", "2,3", "--hidden", "8", "--batch", "4"]) == 0
    out = capsys.readouterr().out
    assert out.count("all layers agree") == 2 and "0 Conv2d" in out


def test_diagnose_usage_errors(tmp_path, capsys):
    assert main(["diagnose"]) == 2
    assert "name a MODEL" in capsys.readouterr().err
    assert main(["diagnose", "--factory", str(tmp_path / "none.py") + ":make"]) == 2
    assert "no file" in capsys.readouterr().err
    (tmp_path / "m.py").write_text("x = 1\n")
    assert main(["diagnose", "--factory", str(tmp_path / "m.py") + ":make"]) == 2
    assert "has no function 'make'" in capsys.readouterr().err
    assert main(["diagnose", "--factory", "no_such_module_xyz:make"]) == 2


def test_search_random_and_grid(tmp_path, mnist, capsys):
    out = tmp_path / "s"
    assert main(["search", "two-layer", *mnist, "--epochs", "1", "--trials", "3", "--hidden-sizes", "16,32",
                 "--out", str(out)]) == 0
    res = json.loads((out / "search.json").read_text())["results"]
    assert len(res) == 3 and [r["val_acc"] for r in res] == sorted((r["val_acc"] for r in res), reverse=True)
    assert all(1e-4 <= r["config"]["lr"] <= 1e-2 and r["config"]["hidden"] in (16, 32) for r in res)
    assert (out / "search.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["search", "softmax", *mnist, "--epochs", "1", "--mode", "grid", "--lr-range", "1e-3,1e-2",
                 "--reg-range", "1e-4:1e-2", "--points", "3", "--out", str(out)]) == 0
    res = json.loads((out / "search.json").read_text())["results"]
    got = sorted((r["config"]["lr"], round(float(np.log10(r["config"]["reg"])), 9)) for r in res)
    assert got == sorted((lr, reg) for lr in (1e-3, 1e-2) for reg in (-4.0, -3.0, -2.0))
    assert "rank" in capsys.readouterr().out


def test_search_helpers():
    assert grid({"a": [1, 2], "b": ["x"]}) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    cfgs = random_configs({"lr": (1e-5, 1e-1), "h": (16, 512), "act": ["relu", "tanh"]}, 400, seed=3)
    assert cfgs == random_configs({"lr": (1e-5, 1e-1), "h": (16, 512), "act": ["relu", "tanh"]}, 400, seed=3)
    lrs = np.log10([c["lr"] for c in cfgs])
    assert lrs.min() >= -5 and lrs.max() <= -1 and abs(np.mean(lrs) + 3) < 0.2      # log-uniform: mean of logs
    assert all(isinstance(c["h"], int) and 16 <= c["h"] <= 512 for c in cfgs)
    assert {c["act"] for c in cfgs} == {"relu", "tanh"}
    with pytest.raises(ValueError, match="'lr' range must be 0 < low"):
        random_configs({"lr": (0, 1)}, 1)
    with pytest.raises(ValueError, match="'a' needs a non-empty list"):
        grid({"a": []})
    seeds = []
    res = search(lambda c, s: seeds.append(s) or {"val_acc": c["x"]}, grid({"x": [0.2, 0.9, 0.5]}), seed=4, log=None)
    assert [r["val_acc"] for r in res] == [0.9, 0.5, 0.2] and seeds == [[4, 0], [4, 1], [4, 2]]


def test_train_lockstep_gate_names_a_broken_running_statistic(mnist, monkeypatch, capsys):
    """The float64 gate bites: running_var updated with the biased variance (the classic slip) makes
    'parity train --lockstep' exit 1, naming the buffer and the first step over the limit."""
    from numpy_impl.layers import norm

    def biased(self, mean, var, m):
        rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
        rm += self.momentum * (mean.astype(rm.dtype) - rm)
        rv += self.momentum * (var.astype(rv.dtype) - rv)            # missing m / (m - 1)
    monkeypatch.setattr(norm._BatchNorm, "_update_running", biased)
    rc = main(["train", "mlp", *mnist, "--epochs", "1", "--hidden", "16", "--dropout", "0", "--no-progress",
               "--lockstep"])
    out = capsys.readouterr().out
    assert rc == 1, out
    assert "DRIFT EXCEEDS 1e-08: first at step 1, in '1.running_var'" in out


def test_train_lockstep_gate_catches_a_0_1_percent_optimizer_error(mnist, monkeypatch, capsys):
    adam_off_by_0_1_percent(monkeypatch, from_step=2)
    rc = main(["train", "two-layer", *mnist, "--epochs", "1", "--hidden", "16", "--no-progress", "--lockstep"])
    out = capsys.readouterr().out
    assert rc == 1 and "DRIFT EXCEEDS 1e-08: first at step 2" in out, out
