"""Behaviour the gate's torch comparisons do not reach, each pinned because a seeded bug got past
them (the sixth mutant sweep): the loop SVM at an exact margin tie, schedules chained on one
optimizer, nesterov's refusal of dampening, drop_last and num_batches, the model builder's
settings and the bias trick, the search's draws and failed trials, the validation split and the
development subset, the Trainer's per-step schedule, max-mode plateau metric and recorded lr, its
divergence limits, max_steps checkpoint and stopped runs, and grad_check_sparse's seed."""
import numpy as np
import pytest
import torch

import numpy_impl.optim as no
from numpy_impl.losses import svm_loss_naive
from numpy_impl.models import FullyConnectedNet
from numpy_impl.optim.extra import LambdaLR
from numpy_impl.optim.schedulers import ExponentialLR, LinearWarmup
from numpy_impl.train import Trainer


def test_svm_loss_naive_gives_no_gradient_at_an_exact_margin_tie_as_torch():
    """x_j - x_y + delta == 0 exactly: the hinge is not active (torch's multi_margin_loss, and the
    vectorised svm_loss, count only margins > 0)."""
    x, y = np.array([[0.0, -1.0, 0.5], [2.0, 1.0, 3.0], [1.0, 0.0, 0.0]]), np.array([0, 1, 1])
    loss, dx = svm_loss_naive(x, y)
    t = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.multi_margin_loss(t, torch.tensor(y), reduction="sum") * x.shape[1] / x.shape[0]
    ref.backward()
    np.testing.assert_allclose(loss, ref.item(), rtol=1e-12)
    np.testing.assert_allclose(dx, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_a_second_schedule_on_one_optimizer_keeps_the_first_initial_lr_as_torch():
    """torch sets ``initial_lr`` only where a group has none: a LambdaLR built after a warm-up
    scales the optimizer's own lr, not the warmed-down one."""
    opt = no.SGD({"w": np.zeros(2)}, lr=0.1)
    a, b = LinearWarmup(opt, start_factor=0.5, total_iters=4), LambdaLR(opt, lambda e: 0.9 ** e)
    p = torch.zeros(2, requires_grad=True)
    topt = torch.optim.SGD([p], lr=0.1)
    ta = torch.optim.lr_scheduler.LinearLR(topt, start_factor=0.5, total_iters=4)
    tb = torch.optim.lr_scheduler.LambdaLR(topt, lambda e: 0.9 ** e)
    lrs, want = [opt.param_groups[0]["lr"]], [topt.param_groups[0]["lr"]]
    for _ in range(5):
        a.step()
        b.step()
        topt.step()
        ta.step()
        tb.step()
        lrs.append(opt.param_groups[0]["lr"])
        want.append(topt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, want, rtol=1e-12)


def _data(n=30, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.integers(0, 3, n)


def test_a_per_step_schedule_steps_after_each_update():
    """schedule_every='step' is torch's loop: ``optimizer.step(); scheduler.step()``, so the first
    update uses the initial lr. The same updates by hand must give the same weights."""
    from numpy_impl.data import minibatches
    X, y = _data()
    model = FullyConnectedNet(4, [5], 3, seed=0)
    opt = no.SGD(model.named_parameters(), lr=0.1)
    Trainer(model, opt, ExponentialLR(opt, 0.5), batch_size=10, seed=0, schedule_every="step",
            progress=False, log=None, train_acc_samples=0).fit(X, y, 2)
    ref = FullyConnectedNet(4, [5], 3, seed=0)
    ropt = no.SGD(ref.named_parameters(), lr=0.1)
    sched = ExponentialLR(ropt, 0.5)
    for epoch in range(2):
        for xb, yb in minibatches(X, y, 10, seed=[0, epoch]):
            ropt.step(ref.loss(xb, yb)[1])
            sched.step()
    for k, v in ref.named_parameters().items():
        np.testing.assert_array_equal(model.named_parameters()[k], v, err_msg=k)


def test_the_development_subset_is_drawn_from_the_training_split(tmp_path, monkeypatch):
    import datasets as D
    from ..fakedata import make_mnist
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PARITY_DATA_ROOT", raising=False)
    make_mnist(tmp_path / "m", n_train=40)
    d = D.prepare("mnist", str(tmp_path / "m"), num_val=10, dev=8)
    train = {r.tobytes() for r in d["X_train"]}
    val = {r.tobytes() for r in d["X_val"]}
    dev = [r.tobytes() for r in d["X_dev"]]
    assert all(r in train for r in dev) and not any(r in val for r in dev)


def test_sgd_refuses_nesterov_with_dampening_as_torch():
    import pytest
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError):
        torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, dampening=0.1)
    with pytest.raises(ValueError, match="dampening"):
        no.SGD({"w": np.zeros(2)}, lr=0.1, momentum=0.9, nesterov=True, dampening=0.1)


def test_drop_last_keeps_every_full_batch_as_torch():
    """10 samples in batches of 5 (or 4): torch's DataLoader(drop_last=True) gives 2 batches each."""
    from numpy_impl.data import minibatches, num_batches
    X, y = np.arange(10)[:, None].astype(float), np.arange(10)
    for bs in (5, 4, 10, 3):
        ds = torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y))
        for drop in (False, True):
            want = len(torch.utils.data.DataLoader(ds, batch_size=bs, drop_last=drop))
            got = [len(b) for _, b in minibatches(X, y, bs, seed=0, drop_last=drop)]
            assert len(got) == want == num_batches(10, bs, drop_last=drop), (bs, drop)
            assert all(n == bs for n in got[:-1]) and (not drop or got[-1] == bs)


def test_build_model_honours_every_setting():
    from numpy_impl.models.nets import build_model
    m = build_model("mlp", (6,), num_classes=3, hidden=[40], activation="tanh", dropout=0.25, batchnorm=True,
                    init="normal", weight_scale=5.0)
    assert [type(l).__name__ for l in m.layers] == ["Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear"]
    assert abs(m.layers[0].params["W"].std() - 5.0) < 1.0               # init="normal" with that scale, not He
    assert [type(l).__name__ for l in build_model("mlp", (6,), hidden=[5], batchnorm=False).layers] == \
        ["Linear", "ReLU", "Dropout", "Linear"]
    two = build_model("two-layer", (6,), num_classes=3, hidden=[40], weight_scale=0.5)
    assert abs(two.layers[0].params["W"].std() - 0.5) < 0.1
    conv = build_model("conv", (1, 8, 8), num_classes=3, channels=[4], hidden=[7])
    assert [l.params["W"].shape[0] for l in conv.layers if type(l).__name__ == "Conv2d"] == [4]


def test_the_bias_trick_classifier_has_no_separate_bias():
    from numpy_impl.models import LinearClassifier
    """The data carries the column of ones: a separate bias would be a second, unregularised one."""
    assert list(LinearClassifier(5, 3, bias_trick=True).named_parameters()) == ["0.W"]
    assert list(LinearClassifier(5, 3).named_parameters()) == ["0.W", "0.b"]


def test_a_range_with_a_float_end_is_drawn_as_floats_and_every_choice_is_drawn():
    from numpy_impl import search
    cs = search.random_configs({"lr": (0.001, 1), "h": [16, 32, 64]}, 200, seed=0)
    assert all(isinstance(c["lr"], float) and 0.001 <= c["lr"] <= 1 for c in cs)
    assert len({c["lr"] for c in cs}) == 200
    assert {c["h"] for c in cs} == {16, 32, 64}


def test_search_ranks_failed_trials_last_with_both_accuracies_zero_and_its_draws_are_seeded():
    from numpy_impl import search
    accs = {0: 0.5, 1: float("inf"), 2: 0.7}

    def train(config, seed):
        if config["i"] == 3:
            raise FloatingPointError("overflow")
        return {"val_acc": accs[config["i"]], "train_acc": 0.9}
    res = search.search(train, [{"i": i} for i in range(4)], log=None)
    assert [r["trial"] for r in res] == [2, 0, 1, 3] and res[2]["val_acc"] == 0.0 and "inf" in res[2]["failed"]
    assert res[3]["val_acc"] == res[3]["train_acc"] == 0.0 and "overflow" in res[3]["failed"]
    space = {"lr": (1e-4, 1e-1), "h": [1, 2, 3]}
    assert search.random_configs(space, 5, seed=4) == search.random_configs(space, 5, seed=4)
    assert search.random_configs(space, 5, seed=4) != search.random_configs(space, 5, seed=5)


def _mnist(tmp_path, monkeypatch, n_train=40):
    from ..fakedata import make_mnist
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PARITY_DATA_ROOT", raising=False)
    make_mnist(tmp_path / "m", n_train=n_train)
    return str(tmp_path / "m")


def test_the_validation_split_is_the_last_samples_unless_seeded(tmp_path, monkeypatch):
    """The classic split holds out the last num_val training samples; a split_seed draws them."""
    import datasets as D
    from datasets.preprocess import train_val_split
    root = _mnist(tmp_path, monkeypatch)
    labels = np.arange(40) % 10                     # make_mnist's training labels, in file order
    d = D.prepare("mnist", root, num_val=10)
    np.testing.assert_array_equal(d["y_val"], labels[30:])
    np.testing.assert_array_equal(d["y_train"], labels[:30])
    X, y = np.arange(40)[:, None], np.arange(40)
    _, ytr, _, yva = train_val_split(X, y, 10, seed=3)
    assert sorted(np.concatenate([ytr, yva]).tolist()) == list(range(40)) and yva.tolist() != list(range(30, 40))
    s = D.prepare("mnist", root, num_val=10, split_seed=3)
    order = np.random.default_rng(3).permutation(40)
    np.testing.assert_array_equal(s["y_val"], labels[order[30:]])


def test_the_development_subset_is_the_same_on_every_call(tmp_path, monkeypatch):
    import datasets as D
    root = _mnist(tmp_path, monkeypatch)
    a, b = D.prepare("mnist", root, num_val=10, dev=8), D.prepare("mnist", root, num_val=10, dev=8)
    np.testing.assert_array_equal(a["X_dev"], b["X_dev"])


class _Plateau:
    """A schedule stepping on a metric that records what it is given."""
    mode = "max"

    def __init__(self, opt):
        self.opt, self.metrics = opt, []

    def step(self, metric):
        self.metrics.append(metric)
        for g in self.opt.param_groups:
            g["lr"] *= 0.5


def test_a_max_mode_plateau_steps_on_the_validation_accuracy_and_the_record_shows_its_new_lr():
    X, y = _data()
    model = FullyConnectedNet(4, [5], 3, seed=0)
    opt = no.SGD(model.named_parameters(), lr=0.1)
    sched = _Plateau(opt)
    seen = []

    class Cb:
        def on_epoch(self, trainer, record):
            seen.append((list(record["lr"]), [g["lr"] for g in opt.param_groups]))
            record["mine"] = len(seen)
    t = Trainer(model, opt, sched, batch_size=10, progress=False, log=None, callbacks=[Cb()])
    t.evaluate = lambda Xs, ys: 0.25 if len(Xs) == 7 else 0.75          # validation: 7 samples
    h = t.fit(X, y, 2, X_val=X[:7], y_val=y[:7])
    assert sched.metrics == [0.25, 0.25]
    assert all(a == b for a, b in seen) and seen[-1][0] == [0.025]
    assert [r["mine"] for r in h["epochs"]] == [1, 2]                    # on_epoch adds to the record kept


def test_divergence_is_judged_against_at_least_one():
    """A first loss (or parameter norm) below 1 does not make the limit tiny: 1e3 x max(1, first)."""
    model = FullyConnectedNet(4, [5], 3, seed=0)
    t = Trainer(model, no.SGD(model.named_parameters(), lr=0.1), progress=False, log=None)
    t.history["loss"] = [0.01]
    assert t._loss_diverged(20.0) is None
    t.history["start_param_norm"] = 1e-4
    for p in t.model.named_parameters().values():
        p[...] = 100.0
    assert t._params_diverged() is None


def test_the_start_norm_is_measured_once_and_a_max_steps_stop_writes_the_checkpoint(tmp_path):
    X, y = _data()
    model = FullyConnectedNet(4, [5], 3, seed=0)
    t = Trainer(model, no.SGD(model.named_parameters(), lr=0.1), batch_size=10, progress=False, log=None)
    t.fit(X, y, 1)
    start = t.history["start_param_norm"]
    t.fit(X, y, 2, checkpoint=str(tmp_path / "ck.npz"), max_steps=4)
    assert t.history["start_param_norm"] == start and t.step == 4
    m2 = FullyConnectedNet(4, [5], 3, seed=1)
    t2 = Trainer(m2, no.SGD(m2.named_parameters(), lr=0.1), batch_size=10, progress=False, log=None)
    t2.resume(str(tmp_path / "ck.npz"))
    assert (t2.step, t2.epoch, t2.batch) == (4, 1, 1)


def test_a_stopped_run_does_not_train_on_nor_after_a_resume(tmp_path):
    X, y = _data()
    model = FullyConnectedNet(4, [5], 3, seed=0)
    t = Trainer(model, no.SGD(model.named_parameters(), lr=0.1), batch_size=10, progress=False, log=None)
    t._stop_on("the loss became nan")
    t.save(str(tmp_path / "ck.npz"))
    before = {k: v.copy() for k, v in model.named_parameters().items()}
    t.fit(X, y, 1)
    assert t.step == 0 and all(np.array_equal(before[k], v) for k, v in model.named_parameters().items())
    t2 = Trainer(model, no.SGD(model.named_parameters(), lr=0.1), batch_size=10, progress=False, log=None)
    t2.resume(str(tmp_path / "ck.npz"))
    t2.fit(X, y, 1)
    assert t2.stopped and t2.step == 0



def test_grad_check_sparse_checks_the_same_elements_for_a_seed():
    from numpy_impl import gradcheck
    x = np.random.default_rng(9).standard_normal((20, 20))
    f = lambda: float(np.sum(x ** 2))               # noqa: E731
    picks = [[r[0] for r in gradcheck.grad_check_sparse(f, x, 2 * x, num_checks=6, seed=s)] for s in (1, 1, 2)]
    assert picks[0] == picks[1] != picks[2]


def test_a_checkpoint_of_a_batchnorm_with_other_settings_is_refused(tmp_path):
    """A BatchNorm's eps and momentum are part of the model's description (torch's repr shows them), so
    loading a checkpoint saved with other settings is refused, not silently run with the wrong ones."""
    import numpy_impl as ni
    from numpy_impl.checkpoint import load_checkpoint, save_checkpoint
    path = str(tmp_path / "bn.ckpt")
    model = ni.Sequential(ni.Linear(4, 3), ni.BatchNorm1d(3, eps=1e-3))
    save_checkpoint(path, model)
    assert "eps=0.001" in model.describe()
    other = ni.Sequential(ni.Linear(4, 3), ni.BatchNorm1d(3))
    before = {k: v.copy() for k, v in other.named_parameters().items()}
    with pytest.raises(ValueError, match="eps=0.001"):
        load_checkpoint(path, other)
    assert all(np.array_equal(v, before[k]) for k, v in other.named_parameters().items())
    load_checkpoint(path, ni.Sequential(ni.Linear(4, 3), ni.BatchNorm1d(3, eps=1e-3)))


def test_radam_at_exactly_rho_5_takes_the_plain_momentum_step_as_torch():
    """torch rectifies only when rho_t > 5: with beta2 = 0.8397685748659791, rho_6 is exactly 5.0, so
    the sixth step is still the un-rectified momentum step."""
    b2 = 0.8397685748659791
    w0 = np.array([0.5, -1.0, 2.0])
    w = w0.copy()
    opt = no.RAdam({"w": w}, lr=0.1, betas=(0.9, b2))
    p = torch.tensor(w0, requires_grad=True)
    topt = torch.optim.RAdam([p], lr=0.1, betas=(0.9, b2))
    for step in range(6):
        g = np.array([0.3, -0.2, 0.1]) * (step + 1)
        opt.step({"w": g})
        p.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(w, p.detach().numpy(), rtol=1e-12)


def test_float64_gradients_step_float32_parameters_in_float32_as_torch():
    """A float64 gradient is cast to the parameter's float32 first (torch's grads have the
    parameter's dtype): the state stays float32 and the steps are exactly those on the cast gradient."""
    w0 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    g = np.array([0.1 + 1e-9, -0.3, 1 / 3])                       # not representable in float32
    for name, kw in (("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1))):
        w, cast = w0.copy(), w0.copy()
        opt, opt32 = getattr(no, name)({"w": w}, **kw), getattr(no, name)({"w": cast}, **kw)
        p = torch.tensor(w0, requires_grad=True)
        topt = getattr(torch.optim, name)([p], **kw)
        for _ in range(3):
            opt.step({"w": g})
            opt32.step({"w": g.astype(np.float32)})
            p.grad = torch.tensor(g, dtype=torch.float32)
            topt.step()
        assert w.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state["w"].values() if np.ndim(v))
        np.testing.assert_array_equal(w, cast)
        np.testing.assert_allclose(w, p.detach().numpy(), rtol=1e-6)


def test_l2_penalty_with_a_numpy_float64_reg_keeps_float32_gradients():
    from numpy_impl.losses import l2_penalty
    W = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    penalty, grads = l2_penalty({"W": W, "b": np.zeros(2, dtype=np.float32)}, np.float64(0.1))
    assert grads["W"].dtype == np.float32 and set(grads) == {"W"}
    np.testing.assert_allclose(grads["W"], 2 * np.float32(0.1) * W, rtol=1e-6)
    np.testing.assert_allclose(penalty, 0.1 * float(np.sum(W.astype(np.float64) ** 2)), rtol=1e-6)
