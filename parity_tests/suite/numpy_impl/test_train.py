"""The trainer: it learns, stops clearly on a non-finite loss, checkpoints atomically and resumes
bit for bit; lockstep through the trainer keeps the torch mirror on the same path."""
import io
import os

import numpy as np
import pytest

import numpy_impl.checkpoint as ckpt
import numpy_impl.optim as no
from numpy_impl.models import FullyConnectedNet, LinearClassifier
from numpy_impl.train import Trainer
from parity_tests.gate.lockstep import Lockstep


def blobs(n=240, d=10, k=3, seed=0):
    centers = np.random.default_rng(99).standard_normal((k, d)) * 3
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    return centers[y] + rng.standard_normal((n, d)), y


X, Y = blobs()
XV, YV = blobs(90, seed=1)


def make(seed=0):
    model = FullyConnectedNet(10, [16, 12], 3, batchnorm=True, dropout=0.2, reg=1e-3, seed=seed)
    opt = no.Adam(model.named_parameters(), lr=1e-2)
    sched = no.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def quiet(model, opt, sched=None, **kw):
    return Trainer(model, opt, sched, batch_size=32, seed=7, progress=False, log=None, **kw)


def test_fit_learns_and_records_each_epoch():
    model, opt, sched = make()
    hist = quiet(model, opt, sched).fit(X, Y, epochs=4, X_val=XV, y_val=YV)
    assert len(hist["loss"]) == 4 * 8 and len(hist["epochs"]) == 4
    assert hist["epochs"][-1]["val_acc"] > 0.9 and hist["epochs"][-1]["train_acc"] > 0.9
    assert hist["epochs"][-1]["loss"] < hist["epochs"][0]["loss"]
    assert [e["lr"][0] for e in hist["epochs"]] == pytest.approx([1e-2, 5e-3, 5e-3, 2.5e-3])
    assert hist["stopped"] is None


def test_same_seed_same_run_other_seed_other_order():
    runs = []
    for seed in (7, 7, 8):
        model, opt, sched = make()
        Trainer(model, opt, sched, batch_size=32, seed=seed, progress=False, log=None).fit(X, Y, epochs=2)
        runs.append(model.named_parameters()["0.W"].copy())
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])


def state(model, opt):
    out = {f"p:{k}": v.copy() for k, v in model.named_parameters().items()}
    out.update({f"b:{k}": v.copy() for k, v in model.named_buffers().items()})
    for name, st in opt.state.items():
        out.update({f"s:{name}.{k}": np.array(v) for k, v in st.items()})
    return out


@pytest.mark.parametrize("stop_at", [5, 8, 19])   # mid-epoch, epoch boundary, late mid-epoch
def test_stop_and_resume_is_bit_identical(tmp_path, stop_at):
    model, opt, sched = make()
    full = quiet(model, opt, sched)
    full.fit(X, Y, epochs=4, X_val=XV, y_val=YV)
    expected, expected_loss = state(model, opt), list(full.history["loss"])

    model, opt, sched = make()
    first = quiet(model, opt, sched)
    first.fit(X, Y, epochs=4, X_val=XV, y_val=YV, max_steps=stop_at)
    first.save(tmp_path / "run.npz")

    model, opt, sched = make(seed=123)          # another start: everything must come from the file
    model.forward(X[:5], training=True)          # and a used dropout generator
    second = quiet(model, opt, sched).resume(tmp_path / "run.npz")
    assert second.step == stop_at
    second.fit(X, Y, epochs=4, X_val=XV, y_val=YV)
    got = state(model, opt)
    assert got.keys() == expected.keys()
    for k in expected:
        assert np.array_equal(got[k], expected[k]), k
    assert second.history["loss"] == expected_loss
    assert [e["val_acc"] for e in second.history["epochs"]] == [e["val_acc"] for e in full.history["epochs"]]
    assert opt.param_groups[0]["lr"] == full.optimizer.param_groups[0]["lr"]


def test_checkpoint_every_and_each_epoch(tmp_path):
    model, opt, sched = make()
    path = tmp_path / "sub" / "run.npz"
    quiet(model, opt, sched).fit(X, Y, epochs=2, checkpoint=path, checkpoint_every=3)
    model2, opt2, sched2 = make(seed=5)
    t = quiet(model2, opt2, sched2).resume(path)
    assert (t.epoch, t.batch, t.step) == (2, 0, 16)
    assert os.listdir(tmp_path / "sub") == ["run.npz"]
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask       # not mkstemp's 0600


def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model, opt, sched = make()
    trainer = quiet(model, opt, sched)
    trainer.fit(X, Y, epochs=1)
    path = tmp_path / "run.npz"
    trainer.save(path)
    before = path.read_bytes()
    trainer.fit(X, Y, epochs=2)

    def crash(f, **arrays):
        f.write(b"half a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(ckpt.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        trainer.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["run.npz"]
    model2, opt2, sched2 = make(seed=1)
    assert quiet(model2, opt2, sched2).resume(path).step == 8


def test_resume_refuses_a_mismatch(tmp_path):
    model, opt, sched = make()
    trainer = quiet(model, opt, sched)
    trainer.fit(X, Y, epochs=1)
    trainer.save(tmp_path / "run.npz")
    other = FullyConnectedNet(10, [16, 8], 3, batchnorm=True, dropout=0.2)
    w = other.named_parameters()["0.W"].copy()
    oopt = no.Adam(other.named_parameters())
    with pytest.raises(ValueError, match="'4.W' shape/dtype.*file has.*16, 12"):
        quiet(other, oopt, no.StepLR(oopt, 2)).resume(tmp_path / "run.npz")
    assert np.array_equal(other.named_parameters()["0.W"], w)      # untouched
    model2, opt2, sched2 = make()
    with pytest.raises(ValueError, match="batch_size=32.*has 16"):
        Trainer(model2, opt2, sched2, batch_size=16, seed=7, progress=False).resume(tmp_path / "run.npz")
    model3, _, _ = make()
    with pytest.raises(ValueError, match="optimizers do not match.*Adam.*SGD"):
        quiet(model3, no.SGD(model3.named_parameters(), lr=0.1)).resume(tmp_path / "run.npz")


def test_nan_loss_stops_with_a_clear_message():
    Xn = X.copy()
    Xn[100, 3] = np.nan
    model = LinearClassifier(10, 3, seed=0)
    opt = no.SGD(model.named_parameters(), lr=0.1)
    logs = []
    trainer = Trainer(model, opt, batch_size=32, seed=7, progress=False, log=logs.append)
    hist = trainer.fit(Xn, Y, epochs=3)
    assert hist["stopped"] and trainer.stopped == hist["stopped"] and logs[-1] == hist["stopped"]
    assert "loss became nan at epoch 1" in hist["stopped"] and "lower learning rate" in hist["stopped"]
    assert "check the inputs for NaN" in hist["stopped"]
    assert all(np.isfinite(p).all() for p in model.named_parameters().values())   # the bad update was not applied
    assert len(hist["loss"]) == trainer.step and trainer.step < 8


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergent_learning_rate_stops():
    model = FullyConnectedNet(10, [16], 3, init="normal", weight_scale=1.0, seed=0)
    opt = no.SGD(model.named_parameters(), lr=1e12)
    hist = Trainer(model, opt, batch_size=32, progress=False, log=None).fit(X * 1e3, Y, epochs=20)
    assert hist["stopped"] and "lr 1e+12" in hist["stopped"]


def test_progress_bar_on_a_terminal_only():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    model, opt, sched = make()
    Trainer(model, opt, sched, batch_size=32, progress=out, log=None).fit(X, Y, 1)
    assert "epoch 1/1" in out.getvalue() and "/8 [" in out.getvalue()
    pipe = io.StringIO()
    model, opt, sched = make()
    Trainer(model, opt, sched, batch_size=32, progress=pipe, log=None).fit(X, Y, 1)
    assert pipe.getvalue() == ""


def test_epoch_lines_are_logged():
    logs = []
    model, opt, sched = make()
    Trainer(model, opt, sched, batch_size=32, progress=False, log=logs.append).fit(X, Y, 2, XV, YV)
    assert len(logs) == 2 and logs[1].startswith("epoch 2: loss ") and "val acc" in logs[1]


def test_lockstep_through_the_trainer_with_schedule_and_eval():
    model, opt, sched = make()
    mirror = Lockstep(model, opt, sched, eval_sets={"val": (XV, YV)})
    trainer = Trainer(model, opt, sched, batch_size=32, seed=7, progress=False, log=None, callbacks=[mirror])
    hist = trainer.fit(X, Y, epochs=3, X_val=XV, y_val=YV)
    assert len(mirror.steps) == 24
    first = next((s for s in mirror.steps if not s["param_drift"] < 1e-10), None)
    assert first is None, f"drift {first['param_drift']:.2e} in {first['drift_in']!r} first at step {first['step']}"
    for e in hist["epochs"]:
        assert e["torch_val_acc"] == e["val_acc"] and e["max_drift"] < 1e-10 and e["torch_seconds"] > 0
        assert e["torch_loss"] == pytest.approx(e["loss"], rel=1e-10)


def test_ctrl_c_then_resume_from_the_last_checkpoint(tmp_path):
    model, opt, sched = make()
    full = quiet(model, opt, sched)
    full.fit(X, Y, epochs=3)
    expected = state(model, opt)

    class CtrlC:
        def on_step(self, trainer, xb, yb, loss):
            if trainer.step == 11:
                raise KeyboardInterrupt

    logs = []
    model, opt, sched = make()
    trainer = Trainer(model, opt, sched, batch_size=32, seed=7, progress=False, log=logs.append, callbacks=[CtrlC()])
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(X, Y, epochs=3, checkpoint=tmp_path / "run.npz", checkpoint_every=4)
    assert "interrupted at epoch 2, step 11; resume from" in logs[-1]
    model, opt, sched = make(seed=9)
    resumed = quiet(model, opt, sched).resume(tmp_path / "run.npz")
    assert resumed.step == 8
    resumed.fit(X, Y, epochs=3)
    got = state(model, opt)
    assert all(np.array_equal(got[k], expected[k]) for k in expected)
    assert resumed.history["loss"] == full.history["loss"]
