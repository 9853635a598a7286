"""The public adapters and the optimizer check, used the way the README shows."""
import os
import sys

import numpy as np
import pytest
import torch

import numpy_impl.optim as no
from numpy_impl.layers import Linear
from parity_tests.gate.adapters import check_component
from parity_tests.gate.optimizer_check import assert_optimizer_parity, check_optimizer
from parity_tests.gate.report import ParityError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture(scope="module")
def ex():
    """The example user code, imported as the user would (then taken out of sys.modules again)."""
    saved = list(sys.path)
    sys.path[:0] = [os.path.join(ROOT, "examples"), os.path.join(ROOT, "examples", "textbook")]
    import cs231n.layers as cl
    import cs231n.optim as co
    import common.layers as tl
    import common.optimizer as to
    sys.path[:] = saved
    for name in [m for m in sys.modules if m.split(".")[0] in ("cs231n", "common")]:
        del sys.modules[name]
    return cl, co, tl, to


def failed(report):
    return {r.check for r in report.failures}


def test_function_pair_textbook_object_and_project_layer(ex):
    cl, _, tl, _ = ex
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3, 5)), rng.standard_normal((15, 7)), rng.standard_normal(7)
    assert check_component((cl.affine_forward, cl.affine_backward), x, w, b).passed
    assert check_component(tl.Affine(w.copy(), b.copy()), x).passed
    assert check_component(Linear(15, 7, rng=0), x.reshape(4, 15)).passed
    r = check_component(cl.softmax_loss, rng.standard_normal((6, 4)), y=rng.integers(0, 4, 6))
    assert r.passed and {x.check for x in r.results} >= {"loss", "grad_input", "fd:input"}


def test_a_wrong_gradient_is_named(ex):
    _, _, tl, _ = ex

    class Transposed(tl.Affine):
        def backward(self, dout):
            dx = super().backward(dout)
            self.dW = self.dW * 1.001
            return dx
    rng = np.random.default_rng(1)
    layer = Transposed(rng.standard_normal((5, 3)), np.zeros(3))
    r = check_component(layer, rng.standard_normal((4, 5)), name="Affine")
    assert failed(r) == {"grad_param:W", "fd:W"}, r


def test_unmapped_parameter_names_both_sides():
    def affine_forward(x, filt, b):
        return x @ filt + b, (x, filt)

    def affine_backward(dout, cache):
        return dout @ cache[1].T, cache[0].T @ dout, dout.sum(0)
    rng = np.random.default_rng(2)
    r = check_component((affine_forward, affine_backward), rng.standard_normal((3, 4)), rng.standard_normal((4, 2)),
                        np.zeros(2))
    msg = r.failures[0].message()
    assert "'filt' is unmapped" in msg and "['b', 'filt']" in msg and "['linear.weight', 'linear.bias']" in msg, msg
    # the override: name it yourself
    assert check_component((affine_forward, affine_backward), rng.standard_normal((3, 4)), rng.standard_normal((4, 2)),
                           np.zeros(2), kind="affine", params={"filt": "linear.weight.T", "b": "linear.bias"}).passed


def test_undeclared_convention_gets_a_hint_and_passes_once_declared(ex):
    cl, _, _, _ = ex
    rng = np.random.default_rng(3)
    x, g, b = rng.standard_normal((8, 5)), rng.standard_normal(5), rng.standard_normal(5)
    bn = {"mode": "train", "momentum": 0.9, "running_mean": np.zeros(5), "running_var": np.ones(5)}
    r = check_component((cl.batchnorm_forward, cl.batchnorm_backward), x, g, b, bn)
    assert "running:running_var" in failed(r)
    assert "declare running_var=biased if intended" in str(r)
    assert check_component((cl.batchnorm_forward, cl.batchnorm_backward), x, g, b, bn,
                           conventions={"running_var": "biased"}).passed


def test_dropout_drawing_np_random_in_forward_train_and_eval(ex):
    _, _, tl, _ = ex
    rng = np.random.default_rng(4)
    x = np.sign(rng.standard_normal((6, 7))) * (0.5 + rng.random((6, 7)))
    r = check_component(tl.Dropout(0.3), x, conventions={"dropout": "classic"})
    assert r.passed and {"forward", "grad_input", "eval_forward", "fd:input"} <= {c.check for c in r.results}, r

    class ScaledAtTest(tl.Dropout):
        def forward(self, x, train_flg=True):
            return super().forward(x, train_flg) if train_flg else x

    class NoMaskBackward(tl.Dropout):
        def backward(self, dout):
            return dout
    assert failed(check_component(ScaledAtTest(0.3), x, conventions={"dropout": "classic"})) == {"eval_forward"}
    assert "grad_input" in failed(check_component(NoMaskBackward(0.3), x, conventions={"dropout": "classic"}))


def test_optimizer_styles_in_one_call(ex):
    _, co, _, to = ex
    assert_optimizer_parity(co.adam, torch.optim.Adam, {"lr": 1e-3}, config={"learning_rate": 1e-3})
    r = check_optimizer(to.Momentum(lr=0.01, momentum=0.9), torch.optim.SGD, {"lr": 0.01, "momentum": 0.9},
                        dtype="float32")
    assert r.passed and "state:w1.v" in {x.check for x in r.results}, r
    assert check_optimizer(to.RMSprop(lr=0.01, decay_rate=0.9), torch.optim.RMSprop,
                           {"lr": 0.01, "alpha": 0.9, "eps": 1e-7}).passed
    r = check_optimizer(lambda p: no.Adam(p, lr=1e-2), torch.optim.Adam, {"lr": 1e-2}, steps=10)
    assert r.passed and "state:w1.exp_avg_sq" in {x.check for x in r.results}, r
    # a supplied gradient sequence
    grads = [{"w": np.full((2, 2), float(k))} for k in range(1, 4)]
    assert check_optimizer(co.sgd, torch.optim.SGD, {"lr": 0.1}, config={"learning_rate": 0.1},
                           params={"w": np.ones((2, 2))}, grads=grads, steps=3).passed


def test_optimizer_failure_names_first_step_and_state(ex):
    _, co, _, to = ex

    def velocity_sign(w, dw, config):                       # right parameters, velocity stored negated
        v = config.get("velocity", np.zeros_like(w))
        v = 0.9 * v + 0.1 * dw
        config["velocity"] = v
        return w - v, config
    r = check_optimizer(velocity_sign, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9})
    assert failed(r) == {"state:w1.velocity", "state:b1.velocity", "state:w2.velocity"}, r
    assert "first diverged at step 1" in r.failures[0].message()
    # the parameters are right: the message says so, and that the state is the expected one's opposite
    opposite = "exact opposite at every step"
    assert all("the parameters match torch's at every step" in f.note and opposite in f.note for f in r.failures)
    assert all("declare velocity=negated if intended" in f.note for f in r.failures)

    def velocity_doubled(w, dw, config):                    # right parameters, a state that is not -velocity
        v = 0.9 * config.get("velocity", np.zeros_like(w)) / 2 - 0.1 * dw
        config["velocity"] = 2 * v
        return w + v, config
    r = check_optimizer(velocity_doubled, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9})
    assert failed(r) == {"state:w1.velocity", "state:b1.velocity", "state:w2.velocity"}, r
    assert all("the parameters match" in f.note and opposite not in f.note for f in r.failures)

    def both_wrong(w, dw, config):                          # parameters wrong too: no such note
        v = 0.9 * config.get("velocity", np.zeros_like(w)) + 0.1 * dw
        config["velocity"] = v
        return w + v, config
    r = check_optimizer(both_wrong, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9})
    assert "param:w1" in failed(r) and not any("parameters match" in f.note for f in r.failures)
    with pytest.raises(ParityError, match=r"Adam \[param:w1\].*first diverged at step 1.*declare adam_eps=folded"):
        assert_optimizer_parity(to.Adam(lr=1e-3), torch.optim.Adam, {"lr": 1e-3, "eps": 1e-7}, name="Adam")
    assert check_optimizer(to.Adam(lr=1e-3), torch.optim.Adam, {"lr": 1e-3, "eps": 1e-7},
                           conventions={"adam_eps": "folded"}).passed


def test_max_pool_ties_split_to_all_is_a_convention(ex):
    cl, _, _, _ = ex

    def max_pool_backward_naive(dout, cache):                # the common `window == max` backward
        x, pp = cache
        ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                win = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
                mask = win == win.max(axis=(2, 3), keepdims=True)
                dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += mask * dout[:, :, i, j][:, :, None, None]
        return dx
    x = np.maximum(0, np.round(np.random.default_rng(5).standard_normal((2, 2, 4, 6))))   # ties after ReLU
    pp = {"pool_height": 2, "pool_width": 2, "stride": 2}
    split, first = (cl.max_pool_forward_naive, max_pool_backward_naive), (cl.max_pool_forward_naive,
                                                                        cl.max_pool_backward_naive)
    r = check_component(split, x, pp, finite_differences=False)
    assert failed(r) == {"grad_input"} and "declare pool_ties=all" in str(r)
    assert check_component(split, x, pp, finite_differences=False, conventions={"pool_ties": "all"}).passed
    assert check_component(first, x, pp, finite_differences=False).passed
    assert not check_component(first, x, pp, finite_differences=False, conventions={"pool_ties": "all"}).passed


def test_svm_averaged_over_classes_is_a_convention(ex):
    cl, _, _, _ = ex

    def svm_mean(x, y):
        loss, dx = cl.svm_loss(x, y)
        return loss / x.shape[1], dx / x.shape[1]
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((7, 5)), rng.integers(0, 5, 7)
    r = check_component(svm_mean, x, y=y, kind="svm_loss")
    assert failed(r) == {"loss", "grad_input"} and "declare svm_scale=mean" in str(r), r
    assert check_component(svm_mean, x, y=y, kind="svm_loss", conventions={"svm_scale": "mean"}).passed
    assert not check_component(cl.svm_loss, x, y=y, conventions={"svm_scale": "mean"}).passed


def test_a_forward_only_function_is_refused_with_what_to_pass():
    def relu_forward(x):
        return np.maximum(0, x), x
    with pytest.raises(TypeError, match=r"relu_forward has no forward\(\) and backward\(\); pass a layer object, "
                                        r"a \(forward, backward\) pair"):
        check_component(relu_forward, np.ones((2, 3)))


def test_the_books_lazily_created_running_stats_are_compared(ex):
    """The book creates running_mean/var as zeros in the first forward: they are compared (as zeros
    from the start) and a wrong update is caught at its running row."""
    tl = ex[2]
    x = np.random.default_rng(0).standard_normal((8, 5))
    r = check_component(tl.BatchNormalization(np.ones(5), np.zeros(5)), x, conventions={"running_var": "biased"})
    assert r.passed and {"running:running_mean", "running:running_var"} <= {x.check for x in r.results}

    class Lazy(tl.BatchNormalization):              # the running mean updated with the wrong weight
        def forward(self, x, train_flg=True):
            before = None if self.running_mean is None else self.running_mean.copy()
            out = super().forward(x, train_flg)
            if train_flg and before is not None:
                self.running_mean = before + 0.2 * (self.running_mean - before)
            return out
    r = check_component(Lazy(np.ones(5), np.zeros(5)), x, conventions={"running_var": "biased"})
    assert "running:running_mean" in {f.check for f in r.failures}


def test_params_name_torch_tensors_as_the_user_knows_them():
    """``weight.T``/``bias`` for an affine pair, without the reference's internal wrapper name."""
    rng = np.random.default_rng(0)

    def affine2_forward(x, W1, b1):
        return x @ W1 + b1, (x, W1)

    def affine2_backward(dout, cache):
        x, W1 = cache
        return dout @ W1.T, x.T @ dout, dout.sum(0)
    for mapping in ({"W1": "weight.T", "b1": "bias"}, {"W1": "linear.weight.T", "b1": "linear.bias"}):
        assert check_component((affine2_forward, affine2_backward), rng.standard_normal((4, 5)),
                               rng.standard_normal((5, 3)), np.zeros(3), kind="affine", params=mapping).passed
