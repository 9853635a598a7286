"""The classic experiments, shrunk (``scale``) and on synthetic images: each writes its PNG and
JSON, and the effects they exist to show are asserted where they do not depend on the data."""
import json

import pytest

from parity_tests.cli import main
from parity_tests.lab.experiments import EXPERIMENTS

from ..fakedata import learnable_mnist, synthetic_images

DATA = synthetic_images()


def png(path):
    return path.read_bytes()[:4] == b"\x89PNG"


def test_optimizers_with_lockstep(tmp_path):
    s = EXPERIMENTS["optimizers"](DATA, str(tmp_path), scale=0.02, lockstep=True, log=None)
    assert set(s["runs"]) == {"SGD (lr 0.01)", "Momentum (lr 0.01, 0.9)", "AdaGrad (lr 0.01)", "Adam (lr 0.001)"}
    assert all(r["max_drift"] < 1e-12 for r in s["runs"].values())
    assert png(tmp_path / "optimizers.png") and json.loads((tmp_path / "optimizers.json").read_text())["steps"] == 40


def test_init_histograms_show_vanishing_activations(tmp_path):
    s = EXPERIMENTS["init"](DATA, str(tmp_path), scale=0.01, log=None)
    small = s["runs"]["std 0.01"]["activation_std_per_layer"]
    he = s["runs"]["He"]["activation_std_per_layer"]
    assert len(small) == len(he) == 5
    assert small[-1] < 1e-3 * small[0]                 # std 0.01 shrinks every layer by ~0.07
    assert 0.1 < he[-1] / he[0] < 10                    # He keeps the scale
    assert png(tmp_path / "init_histograms.png") and png(tmp_path / "init_loss.png")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")     # w = 1 without BatchNorm overflows, and stops
def test_batchnorm_panels(tmp_path):
    s = EXPERIMENTS["batchnorm"](DATA, str(tmp_path), scale=0.8, log=None)
    assert [r["weight_scale"] for r in s["runs"]] == pytest.approx([1.0, 1e-2])
    tiny = s["runs"][1]          # w = 0.01: without BatchNorm the signal vanishes, with it the net learns
    assert tiny["BatchNorm"]["final_train_acc"] > tiny["no BatchNorm"]["final_train_acc"]
    assert png(tmp_path / "batchnorm.png")


def test_overfit_variants(tmp_path):
    s = EXPERIMENTS["overfit"](DATA, str(tmp_path), scale=0.1, log=None)
    assert set(s["runs"]) == {"plain", "weight decay 0.1", "dropout 0.2"}
    assert all(0 <= r["train_acc"] <= 1 and 0 <= r["test_acc"] <= 1 for r in s["runs"].values())
    assert png(tmp_path / "overfit.png")


def test_ensemble_averages_members(tmp_path):
    s = EXPERIMENTS["ensemble"](DATA, str(tmp_path), scale=0.2, log=None, members=3)
    accs = [m["test_acc"] for m in s["members"]]
    assert len(accs) == 3 and s["ensemble_by_size"][0] == accs[0]
    assert s["ensemble_test_acc"] >= min(accs)
    assert png(tmp_path / "ensemble.png")


def test_weight_pictures(tmp_path):
    s = EXPERIMENTS["weights"](DATA, str(tmp_path), scale=0.3, log=None)
    assert s["softmax_test_acc"] > 0.5
    assert png(tmp_path / "softmax_templates.png") and png(tmp_path / "two_layer_weights.png")


def test_experiment_command_on_mnist_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "cache"))
    root = learnable_mnist(str(tmp_path / "mnist"))
    assert main(["experiment", "weights", "--data", "mnist", "--root", root, "--scale", "0.3",
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "== weights" in out and "softmax_templates.png" in out
    assert png(tmp_path / "out" / "two_layer_weights.png")
