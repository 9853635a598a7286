"""Behaviour the gate's torch comparisons do not reach, each pinned because a seeded bug got past
them (the fifth mutant sweep): optimizer state snapshots, plain SGD's weight decay, BatchNorm with
momentum 0, the init's mean, the search's draws and errors, the gradient-check helpers, the dataset
label check, the development subset, the Trainer's accuracy sample, divergence rule and checkpoint
cadence."""
import numpy as np
import pytest
import torch

import numpy_impl as ni
import numpy_impl.optim as no
from numpy_impl import gradcheck, init, search
from numpy_impl.models import FullyConnectedNet
from numpy_impl.train import Trainer


def test_plain_sgd_applies_weight_decay_as_torch():
    rng = np.random.default_rng(0)
    w, g = rng.standard_normal(5), rng.standard_normal(5)
    opt = no.SGD({"w": w.copy()}, lr=0.1, weight_decay=0.3)
    p = opt.param_groups[0]["params"]["w"]
    t = torch.tensor(w.copy(), requires_grad=True)
    topt = torch.optim.SGD([t], lr=0.1, weight_decay=0.3)
    for _ in range(3):
        opt.step({"w": g.copy()})
        t.grad = torch.tensor(g.copy())
        topt.step()
    np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-12)


def test_state_dict_is_a_snapshot_and_load_state_dict_a_copy():
    opt = no.Adam({"w": np.ones(3)}, lr=0.1)
    opt.step({"w": np.ones(3)})
    saved = opt.state_dict()
    m = saved["state"]["w"]["exp_avg"].copy()
    opt.step({"w": np.ones(3)})
    np.testing.assert_array_equal(saved["state"]["w"]["exp_avg"], m)      # not the live state
    other = no.Adam({"w": np.ones(3)}, lr=0.1)
    other.load_state_dict(saved)
    other.step({"w": np.ones(3)})
    np.testing.assert_array_equal(saved["state"]["w"]["exp_avg"], m)      # loading copied it


def test_batchnorm_momentum_zero_freezes_the_running_statistics_as_torch():
    x = np.random.default_rng(1).standard_normal((8, 3))
    bn = ni.BatchNorm1d(3, momentum=0.0)
    bn.forward(x, training=True)
    ref = torch.nn.BatchNorm1d(3, momentum=0.0).double()
    ref(torch.tensor(x))
    for k, v in bn.named_buffers().items():
        want = ref.running_mean if "mean" in k else ref.running_var
        np.testing.assert_allclose(v, want.numpy(), err_msg=k)


def test_init_normal_takes_its_mean():
    w = init.normal((200, 200), rng=0, std=0.01, mean=3.0)
    assert abs(w.mean() - 3.0) < 1e-3


def test_search_draws_integer_ranges_to_both_ends_and_lets_a_users_error_through():
    drawn = [c["h"] for c in search.random_configs({"h": (1, 3)}, 300, seed=0)]
    assert set(drawn) == {1, 2, 3}                  # rounded: int() would almost never give 3

    def broken(config, seed):
        raise TypeError("a bug in the user's train_fn")
    with pytest.raises(TypeError, match="a bug in the user's train_fn"):
        search.search(broken, [{"a": 1}], log=None)


def test_rel_error_is_the_worst_element():
    a = np.zeros(1000)
    b = a.copy()
    b[0] = 1.0
    assert gradcheck.rel_error(a + 1.0, b + 1.0) >= 0.3


def test_layer_gradients_are_those_of_training_mode():
    """A BatchNorm's training-mode gradient, not its eval one (which would use the running statistics)."""
    x = np.random.default_rng(2).standard_normal((6, 3))
    bn = ni.BatchNorm1d(3)
    dout = np.random.default_rng(3).standard_normal((6, 3))
    num = gradcheck.layer_gradients(bn, x, dout)["input"]
    t = torch.tensor(x, requires_grad=True)
    (torch.nn.functional.batch_norm(t, None, None, training=True, eps=bn.eps) * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(num, t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_a_label_equal_to_the_number_of_classes_is_refused():
    from datasets import loaders
    with pytest.raises(loaders.DatasetError, match=r"labels must lie in \[0, 10\), found 10"):
        loaders._labels("mnist", np.array([0, 10]), "test file")


def test_the_development_subset_has_no_repeats():
    from datasets.preprocess import subset
    X, y = np.arange(50)[:, None], np.arange(50)
    Xs, ys = subset(X, y, 40, seed=0)
    assert len(set(ys.tolist())) == 40


def _trainer(**kw):
    model = FullyConnectedNet(4, [3], 3, seed=0)
    return Trainer(model, no.SGD(model.named_parameters(), lr=0.1), batch_size=10, progress=False, log=None, **kw)


def test_the_training_accuracy_sample_is_seeded_and_drawn_from_all_the_data():
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((100, 4)), np.repeat([0, 1, 2, 0], 25)   # sorted: the first 20 are all class 0
    a, b = _trainer(train_acc_samples=20), _trainer(train_acc_samples=20)
    seen = []
    a.evaluate = lambda Xs, ys: seen.append(ys.copy()) or 0.5
    a.fit(X, y, 1)
    b.fit(X, y, 1)
    assert a._acc_idx.tolist() == b._acc_idx.tolist()
    assert len(seen[0]) == 20 and set(seen[0].tolist()) != {0}     # not the first 20 samples (all class 0)


def test_divergence_is_measured_from_the_first_loss():
    """A loss that grows a little each step ends far above the first: a run that compares each loss
    with the one before would never stop it."""
    t = _trainer()
    t.history["loss"] = [1.0] + [1.0 * 1.5 ** i for i in range(1, 40)]
    assert t._loss_diverged(1.5 ** 40) is not None
    assert t._loss_diverged(2.0) is None


def test_checkpoints_are_written_every_n_updates_across_epochs(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((30, 4)), rng.integers(0, 3, 30)     # 3 batches an epoch
    t = _trainer()
    steps = []
    monkeypatch.setattr(t, "save", lambda path: steps.append(t.step))
    t.fit(X, y, 3, checkpoint=str(tmp_path / "ck.npz"), checkpoint_every=2)
    assert [s for s in steps if s % 3] == [2, 4, 8]         # every 2 updates (6 ends an epoch too)


def test_train_sgd_shuffles_each_epoch_anew():
    """Each epoch a new seeded order, as the classic train loop draws one per epoch: the batches of
    epoch 2 are not those of epoch 1."""
    from numpy_impl.models import LinearClassifier
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((12, 3)), rng.integers(0, 2, 12)
    model = LinearClassifier(3, 2, seed=0)
    seen = []
    loss = model.loss
    model.loss = lambda xb, yb: seen.append(tuple(yb.tolist()) + tuple(xb[:, 0].round(6))) or loss(xb, yb)
    model.train_sgd(X, y, lr=0.0, epochs=2, batch_size=4, seed=0)
    assert len(seen) == 6 and seen[:3] != seen[3:]
