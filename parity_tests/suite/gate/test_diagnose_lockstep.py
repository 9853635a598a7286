"""Model-level parity, diagnose on a broken layer, lockstep training, state_dict interop."""
import numpy as np
import pytest
import torch

import numpy_impl.optim as no
from numpy_impl.models import ConvNet, FullyConnectedNet, LinearClassifier, TwoLayerNet
from parity_tests.gate.diagnose import diagnose, format_diagnosis
from parity_tests.gate.lockstep import lockstep
from torch_ref import mirror
from torch_ref.interop import load_state_dict, save_state_dict, to_state_dict

from ..breakers import adam_off_by_0_1_percent

RNG = np.random.default_rng(0)
X_FLAT, Y = RNG.standard_normal((8, 12)), np.arange(8) % 4
X_IMG = RNG.standard_normal((3, 1, 8, 8))

MODELS = [
    ("softmax", lambda: LinearClassifier(12, 4, reg=0.1, weight_scale=0.1), X_FLAT, Y),
    ("svm bias trick", lambda: LinearClassifier(12, 4, loss="svm", bias_trick=True, weight_scale=0.1), X_FLAT, Y),
    ("two-layer", lambda: TwoLayerNet(12, 10, 4, weight_scale=0.1, reg=0.05), X_FLAT, Y),
    ("fc tanh xavier", lambda: FullyConnectedNet(12, [10, 8], 4, activation="tanh", init="xavier", reg=0.01),
     X_FLAT, Y),
    ("fc bn dropout", lambda: FullyConnectedNet(12, [10, 8], 4, batchnorm=True, dropout=0.25), X_FLAT, Y),
    ("conv net", lambda: ConvNet((1, 8, 8), (3, 4), 6, 3), X_IMG, np.array([0, 2, 1])),
]


@pytest.mark.parametrize("name, make, X, y", MODELS, ids=[m[0] for m in MODELS])
def test_model_loss_and_every_gradient(name, make, X, y):
    rows, first = diagnose(make(), X, y)
    assert first is None, format_diagnosis(rows, first)
    checks = {(r.component, r.check) for r in rows}
    model = make()
    for i, layer in enumerate(model.layers):
        for k in layer.named_parameters():
            assert (f"{i} {layer.describe()}", f"grad_param:{k}") in checks


def test_model_loss_includes_l2_like_torch():
    model = TwoLayerNet(12, 10, 4, weight_scale=0.1, reg=0.05)
    loss, grads = model.loss(X_FLAT, Y)
    m = mirror(model)
    out = m.module(torch.tensor(X_FLAT))
    params = dict(m.module.named_parameters())
    lt = torch.nn.functional.cross_entropy(out, torch.tensor(Y)) + 0.05 * (
        (params["0.weight"] ** 2).sum() + (params["2.weight"] ** 2).sum())
    lt.backward()
    assert loss == pytest.approx(lt.item(), rel=1e-12)
    np.testing.assert_allclose(grads["0.W"], params["0.weight"].grad.numpy().T, rtol=1e-10, atol=1e-14)


def test_diagnose_points_at_the_broken_layer():
    model = FullyConnectedNet(12, [10, 8], 4)
    broken = model.layers[2]                        # the second Linear
    orig = broken.backward

    def backward(dout):
        dx = orig(dout)
        broken.grads["W"] = broken.grads["W"] * 1.001
        return dx
    broken.backward = backward
    rows, first = diagnose(model, X_FLAT, Y)
    assert first is not None
    assert first.component == "2 Linear(10, 8)" and first.check == "grad_param:W"
    assert "first divergence: 2 Linear(10, 8) [grad_param:W]" in format_diagnosis(rows, first)


def test_diagnose_forward_bug_found_first():
    model = FullyConnectedNet(12, [10, 8], 4, activation="sigmoid")
    layer = model.layers[1]
    orig = layer._forward
    layer._forward = lambda x: orig(x) * 1.001
    _, first = diagnose(model, X_FLAT, Y)
    assert first.component == "1 Sigmoid" and first.check == "forward"


def test_lockstep_500_steps_adam_batchnorm_dropout_float64():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((64, 20)), rng.integers(0, 5, 64)
    model = FullyConnectedNet(20, [16, 12], 5, batchnorm=True, dropout=0.3, reg=1e-3, seed=0)
    hist = lockstep(model, X, y, lambda p: no.Adam(p, lr=1e-2), steps=500, batch_size=16)
    assert len(hist) == 500
    assert max(h["param_drift"] for h in hist) < 1e-8
    assert max(abs(h["loss_numpy"] - h["loss_torch"]) / abs(h["loss_torch"]) for h in hist) < 1e-8
    assert hist[-1]["loss_numpy"] < hist[0]["loss_numpy"]


def test_lockstep_float32_drift_is_reported():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((32, 10)).astype(np.float32), rng.integers(0, 3, 32)
    model = FullyConnectedNet(10, [8], 3, batchnorm=True, seed=0, dtype=np.float32)
    hist = lockstep(model, X, y, lambda p: no.SGD(p, lr=0.1, momentum=0.9), steps=50, batch_size=8,
                    schedule=lambda o: no.StepLR(o, 20, 0.5))
    drift = max(h["param_drift"] for h in hist)
    assert 0 <= drift < 1e-4


def test_state_dict_round_trip(tmp_path):
    model = FullyConnectedNet(12, [10], 4, batchnorm=True, seed=0)
    model.forward(X_FLAT, training=True)            # move the running stats
    sd = to_state_dict(model)
    assert set(sd) >= {"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "3.weight", "3.bias"}
    mirror(FullyConnectedNet(12, [10], 4, batchnorm=True, seed=5)).module.load_state_dict(sd)
    path = tmp_path / "model.pt"
    save_state_dict(model, path)
    other = FullyConnectedNet(12, [10], 4, batchnorm=True, seed=99)
    load_state_dict(other, str(path))
    for k, v in model.named_parameters().items():
        np.testing.assert_array_equal(other.named_parameters()[k], v)
    for k, v in model.named_buffers().items():
        np.testing.assert_array_equal(other.named_buffers()[k], v)


def test_linear_classifier_trains():
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((3, 5)) * 3
    y = rng.integers(0, 3, 300)
    X = centers[y] + rng.standard_normal((300, 5))
    clf = LinearClassifier(5, 3, weight_scale=1e-3)
    hist = clf.train_sgd(X, y, lr=0.1, epochs=20, batch_size=50)
    assert hist[-1] < hist[0] and clf.accuracy(X, y) > 0.9


def test_lockstep_drift_exposes_a_broken_update(monkeypatch):
    """The gate bites: a 0.1% error in NumPy's Adam step, from step 10 on, shows as drift > 1e-8."""
    adam_off_by_0_1_percent(monkeypatch, from_step=10)
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((32, 10)), rng.integers(0, 3, 32)
    model = FullyConnectedNet(10, [8], 3, seed=0)
    hist = lockstep(model, X, y, lambda p: no.Adam(p, lr=1e-2), steps=20, batch_size=8)
    assert max(h["param_drift"] for h in hist[:9]) < 1e-12
    assert hist[9]["param_drift"] > 1e-4
