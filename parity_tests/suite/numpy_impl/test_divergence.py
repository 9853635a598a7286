"""A run that diverges while staying finite stops like a NaN run: a loss far above the first one, or a
parameter norm far above its start."""
import numpy as np
import pytest

import numpy_impl.optim as no
from numpy_impl import train as T
from numpy_impl.models import LinearClassifier
from numpy_impl.train import Trainer

rng = np.random.default_rng(0)
X = rng.standard_normal((256, 10))
Y = rng.integers(0, 3, 256)


def run(lr, **kw):
    model = LinearClassifier(10, 3, seed=0)
    trainer = Trainer(model, no.SGD(model.named_parameters(), lr=lr), batch_size=32, seed=0, progress=False, log=None,
                      **kw)
    return trainer, trainer.fit(X, Y, epochs=3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_huge_finite_loss_stops_before_the_update():
    trainer, hist = run(1e30)
    assert hist["stopped"] and "diverging" in hist["stopped"] and "lower learning rate" in hist["stopped"]
    assert all(np.isfinite(v) and v <= T.DIVERGENCE_FACTOR * max(1, hist["loss"][0]) for v in hist["loss"])
    assert trainer.step < 4


def test_loss_bound_alone(monkeypatch):
    monkeypatch.setattr(T, "PARAM_GROWTH", np.inf)            # only the loss rule
    trainer, hist = run(1e6)
    assert "the loss became" in hist["stopped"] and "more than 1000 x" in hist["stopped"]


def test_parameter_growth_alone(monkeypatch):
    monkeypatch.setattr(T, "DIVERGENCE_FACTOR", np.inf)       # only the parameter rule
    trainer, hist = run(1e30)
    assert "the parameter norm became" in hist["stopped"] and "after that update" in hist["stopped"]


def test_a_healthy_run_is_not_stopped():
    trainer, hist = run(0.1)
    assert hist["stopped"] is None and len(hist["epochs"]) == 3


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_non_finite_first_loss_stops_before_any_update(bad, monkeypatch):
    """A loss of +inf, -inf or NaN at the first step: the run stops there and the parameters are the
    ones it started from (a check for NaN alone lets +inf through and the update makes them inf)."""
    model = LinearClassifier(10, 3, seed=0)
    start = {k: v.copy() for k, v in model.named_parameters().items()}
    real = model.loss

    def loss(*args, **kwargs):
        value, grads = real(*args, **kwargs)
        return bad, grads
    monkeypatch.setattr(model, "loss", loss)
    trainer = Trainer(model, no.SGD(model.named_parameters(), lr=0.1), batch_size=32, seed=0, progress=False,
                      log=None)
    hist = trainer.fit(X, Y, epochs=1)
    assert hist["stopped"] and f"the loss became {bad}" in hist["stopped"], hist["stopped"]
    assert all(np.array_equal(start[k], v) for k, v in model.named_parameters().items())
