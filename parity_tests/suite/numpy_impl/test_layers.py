"""Properties beyond torch parity: dtype kept, inputs untouched, stability, classic variants and the
exact relations docs/CONVENTIONS.md predicts between them and torch."""
import numpy as np
import pytest
import torch

import numpy_impl as ni
from numpy_impl import gradcheck, losses


def test_sigmoid_stable_no_warning():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = ni.Sigmoid().forward(np.array([[-1000.0, 1000.0, 0.0]]))
    np.testing.assert_array_equal(out, [[0.0, 1.0, 0.5]])


def test_softmax_no_epsilon_cap():
    """The classic log(p + 1e-7) caps the loss at 16.118; ours follows log-sum-exp to 1000."""
    x = np.array([[0.0, 1000.0]])
    loss, _ = losses.softmax_loss(x, np.array([0]))
    assert loss == pytest.approx(1000.0)


def test_vectorised_equals_naive():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((50, 10)), rng.integers(0, 10, 50)
    for fast, slow in [(losses.softmax_loss, losses.softmax_loss_naive), (losses.svm_loss, losses.svm_loss_naive)]:
        (l1, d1), (l2, d2) = fast(x, y), slow(x, y)
        assert l1 == pytest.approx(l2, rel=1e-12)
        np.testing.assert_allclose(d1, d2, atol=1e-15)


def test_l2_penalty_is_weight_decay_2reg():
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    pen, grads = losses.l2_penalty(params, 0.1)
    assert pen == pytest.approx(0.1 * np.sum(params["W"] ** 2))
    assert set(grads) == {"W"}
    w = torch.tensor(params["W"], requires_grad=True)
    opt = torch.optim.SGD([w], lr=1.0, weight_decay=2 * 0.1)
    w.grad = torch.zeros_like(w)
    opt.step()
    np.testing.assert_allclose(params["W"] - grads["W"], w.detach().numpy(), rtol=1e-15)


@pytest.mark.parametrize("layer, shape", [
    (ni.Linear(4, 3, dtype=np.float32), (2, 4)), (ni.Sigmoid(), (2, 3)), (ni.Tanh(), (2, 3)),
    (ni.Conv2d(2, 3, 3, padding=1, dtype=np.float32), (2, 2, 5, 5)), (ni.MaxPool2d(2), (1, 2, 4, 4)),
    (ni.AvgPool2d(2), (1, 2, 4, 4)), (ni.BatchNorm2d(2, dtype=np.float32), (3, 2, 2, 2)),
    (ni.LayerNorm(3, dtype=np.float32), (2, 3)), (ni.Dropout(0.3, rng=0), (4, 4)),
])
def test_float32_in_float32_out_and_inputs_untouched(layer, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x0 = x.copy()
    out = layer.forward(x, training=True)
    g = np.ones_like(out)
    dx = layer.backward(g)
    assert out.dtype == np.float32 and dx.dtype == np.float32
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(g, 1)


def test_batchnorm_classic_running_var_differs_by_exactly_n_over_n_minus_1():
    """Same start, same batch: torch adds m * var * M/(M-1), the classic form m * var. The
    difference after one step is exactly 0.1 * var_biased * (M/(M-1) - 1)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 2, 2))
    t = ni.BatchNorm2d(3)
    c = ni.BatchNorm2d(3, convention="classic", momentum=0.9)
    c.buffers["running_var"][...] = 1.0                     # the same starting point as torch
    t.forward(x), c.forward(x)
    m = 8 * 2 * 2
    var = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(t.buffers["running_var"] - c.buffers["running_var"], 0.1 * var * (m / (m - 1) - 1),
                               rtol=1e-12)
    np.testing.assert_allclose(t.buffers["running_mean"], c.buffers["running_mean"], rtol=1e-15)
    # and torch itself agrees with the torch convention
    tb = torch.nn.BatchNorm2d(3, affine=False).double()
    tb(torch.tensor(x))
    np.testing.assert_allclose(t.buffers["running_var"], tb.running_var.numpy(), rtol=1e-14)


def test_batchnorm_classic_starts_at_zero():
    c = ni.BatchNorm1d(3, convention="classic")
    assert c.momentum == 0.9
    np.testing.assert_array_equal(c.buffers["running_var"], 0)



@pytest.mark.parametrize("convention", ["torch", "classic"])
def test_batchnorm_momentum_none_is_the_plain_average_of_every_batch(convention):
    """torch's ``momentum=None``: the n-th batch weighs 1/n, so after n batches the running mean is
    the mean of the n batch means, whatever the start; the count is a buffer (checkpointed, copied
    to and from torch's ``num_batches_tracked``)."""
    from torch_ref.interop import load_state_dict, to_state_dict
    rng = np.random.default_rng(3)
    bn = ni.BatchNorm1d(4, momentum=None, convention=convention)
    tb = torch.nn.BatchNorm1d(4, momentum=None).double()
    batches = [rng.standard_normal((6, 4)) * (k + 1) + k for k in range(5)]
    for b in batches:
        bn.forward(b, training=True)
        tb(torch.tensor(b))
    np.testing.assert_allclose(bn.buffers["running_mean"], np.mean([b.mean(axis=0) for b in batches], axis=0),
                               rtol=1e-13)
    var = np.mean([b.var(axis=0, ddof=1 if convention == "torch" else 0) for b in batches], axis=0)
    np.testing.assert_allclose(bn.buffers["running_var"], var, rtol=1e-13)
    assert int(bn.buffers["num_batches_tracked"]) == 5 == int(tb.num_batches_tracked)
    assert "momentum=None" in bn.describe()
    if convention == "torch":
        np.testing.assert_allclose(bn.buffers["running_var"], tb.running_var.numpy(), rtol=1e-13)
        other = ni.BatchNorm1d(4, momentum=None)
        load_state_dict(other, to_state_dict(bn))
        assert int(other.buffers["num_batches_tracked"]) == 5
        np.testing.assert_array_equal(other.buffers["running_mean"], bn.buffers["running_mean"])
    bn.forward(batches[0], training=False)                  # eval counts nothing
    assert int(bn.buffers["num_batches_tracked"]) == 5


def test_batchnorm_default_momentum_names_both_conventions():
    import inspect
    default = inspect.signature(ni.BatchNorm2d).parameters["momentum"].default
    assert repr(default) == "0.1 (torch) or 0.9 (classic)"
    assert ni.BatchNorm2d(2).momentum == 0.1 and ni.BatchNorm2d(2, convention="classic").momentum == 0.9
    assert "num_batches_tracked" not in ni.BatchNorm2d(2).buffers      # checkpoints of such models unchanged

def test_dropout_keep_rate():
    """Keep rate over 10^6 elements within 5 standard deviations of 1 - p."""
    for p in (0.1, 0.5, 0.8):
        d = ni.Dropout(p, rng=np.random.default_rng(1))
        out = d.forward(np.ones((1000, 1000)), training=True)
        kept = d.mask.mean()
        assert abs(kept - (1 - p)) < 5 * np.sqrt(p * (1 - p) / 1e6), (p, kept)
        np.testing.assert_allclose(out[d.mask], 1 / (1 - p))
        assert out.mean() == pytest.approx(1.0, abs=0.01)


def test_dropout_torch_keep_rate_matches():
    torch.manual_seed(0)
    out = torch.nn.Dropout(0.3)(torch.ones(1000, 1000, dtype=torch.float64))
    assert abs((out != 0).double().mean().item() - 0.7) < 5 * np.sqrt(0.21 / 1e6)


def test_dropout_classic_relation():
    """Classic dropout = inverted dropout * (1 - p), in training and in eval."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 7))
    mask = rng.random(x.shape) > 0.4
    inv, classic = ni.Dropout(0.4), ni.Dropout(0.4, inverted=False)
    inv.set_mask(mask), classic.set_mask(mask)
    np.testing.assert_allclose(classic.forward(x, True), inv.forward(x, True) * 0.6, rtol=1e-15)
    np.testing.assert_allclose(classic.forward(x, False), inv.forward(x, False) * 0.6, rtol=1e-15)
    np.testing.assert_allclose(classic.backward(np.ones_like(x)), 0.6 * np.ones_like(x))


def test_dropout_reproducible_from_seed():
    a = ni.Dropout(0.5, rng=7).forward(np.ones((5, 5)), True)
    b = ni.Dropout(0.5, rng=7).forward(np.ones((5, 5)), True)
    np.testing.assert_array_equal(a, b)


def test_gradcheck_sparse_and_rel_error():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    _, dx = losses.softmax_loss(x, y)
    rows = gradcheck.grad_check_sparse(lambda: losses.softmax_loss(x, y)[0], x, dx, num_checks=8)
    assert len(rows) == 8 and max(r[3] for r in rows) < 1e-7
    assert gradcheck.rel_error(dx, dx * 1.001) > 1e-4


def test_gradcheck_catches_a_wrong_layer():
    class Broken(ni.Tanh):
        def _backward(self, dout):
            return dout * (1 - self._cache)          # forgot the square
    errs = gradcheck.check_layer(Broken(), np.random.default_rng(0).standard_normal((3, 4)))
    assert errs["input"] > 1e-2
    assert gradcheck.check_layer(ni.Tanh(), np.random.default_rng(0).standard_normal((3, 4)))["input"] < 1e-8


def test_gradcheck_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck.numerical_gradient(lambda: 0.0, np.zeros(3, np.float32))


def test_sequential_names_and_mode():
    net = ni.Sequential(ni.Linear(3, 4), ni.ReLU(), ni.BatchNorm1d(4), ni.Dropout(0.5))
    assert set(net.named_parameters()) == {"0.W", "0.b", "2.gamma", "2.beta"}
    assert set(net.named_buffers()) == {"2.running_mean", "2.running_var"}
    net.eval()
    assert not net[3].training and not net[2].training
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_array_equal(net.forward(x), net.forward(x))


def test_mirror_round_trip_exact():
    from torch_ref import copy_to_numpy, mirror
    net = ni.Sequential(ni.Linear(3, 4, rng=0), ni.BatchNorm1d(4), ni.Linear(4, 2, rng=1))
    before = {k: v.copy() for k, v in net.named_parameters().items()}
    m = mirror(net)
    for v in net.named_parameters().values():
        v[...] = 0
    copy_to_numpy(m.module, net.named_parameters(), m.params)
    for k, v in net.named_parameters().items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0)])
def test_maxpool_cache_blocks_change_nothing(kernel, stride, padding):
    """MaxPool2d works on blocks of samples; one sample per block must give the very same bits as one
    block for all, ties (zeros after ReLU) included, and match torch."""
    rng = np.random.default_rng(3)
    x = np.maximum(rng.standard_normal((5, 3, 9, 8)), 0)
    x[1, 1] = 0.0                                           # an all-tied channel
    g = rng.standard_normal(ni.MaxPool2d(kernel, stride, padding).forward(x).shape)
    results = []
    for block_bytes in (1 << 30, 1):
        layer = ni.MaxPool2d(kernel, stride, padding)
        layer.block_bytes = block_bytes
        results.append((layer.forward(x), layer.backward(g)))
    assert np.array_equal(results[0][0], results[1][0]) and np.array_equal(results[0][1], results[1][1])
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, kernel, stride, padding).backward(torch.tensor(g))
    # overlapping windows sum their shares in another order than torch: equal to rounding
    np.testing.assert_allclose(results[1][1], xt.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 1, 1)])
def test_maxpool_nan_routes_like_torch(kernel, stride, padding):
    """A NaN wins its window in both; torch sends the window's gradient to its last NaN."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 2, 6, 6))
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = x[1, 1, 2, 3] = np.nan
    layer = ni.MaxPool2d(kernel, stride, padding)
    out = layer.forward(x)
    g = rng.standard_normal(out.shape)
    dx = layer.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    ot = torch.nn.functional.max_pool2d(xt, kernel, stride, padding)
    ot.backward(torch.tensor(g))
    np.testing.assert_array_equal(np.isnan(out), torch.isnan(ot).numpy())
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("make, shape", [
    (lambda: ni.BatchNorm2d(3), (5, 3, 4, 6)),
    (lambda: ni.BatchNorm1d(7), (9, 7)),
    (lambda: ni.LayerNorm((4, 6)), (5, 3, 4, 6)),
])
@pytest.mark.parametrize("training", [True, False])
def test_norm_cache_blocks_change_nothing(make, shape, training):
    """The norm layers work on cache-sized blocks of rows: one row per block gives the same bits as one
    block for all, and the inputs and upstream gradient are left untouched."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape) * 3 + 1
    g = rng.standard_normal(shape)
    x0, g0 = x.copy(), g.copy()
    results = []
    for block_bytes in (1 << 30, 1):
        layer = make()
        layer.block_bytes = block_bytes
        out = layer.forward(x, training=training)
        results.append((out, layer.backward(g), *layer.grads.values()))
    assert all(np.array_equal(a, b) for a, b in zip(*results))
    assert np.array_equal(x, x0) and np.array_equal(g, g0)


@pytest.mark.parametrize("kind, shape", [("softmax", (12,)), ("mlp", (12,)), ("conv", (1, 8, 8))])
def test_training_step_skips_only_the_unused_input_gradient(kind, shape):
    """``model.loss`` skips the first layer's input gradient; the parameter gradients are those of a
    full backward, and a later step does not change the gradients it returned."""
    from numpy_impl.models import build_model
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((6,) + shape), rng.integers(0, 10, 6)
    model = build_model(kind, shape, 10, reg=1e-3 if kind == "softmax" else 0.0, hidden=[8], channels=[2],
                        dropout=0.0)
    _, grads = model.loss(X, y)
    kept = {k: v.copy() for k, v in grads.items()}
    model.forward(X)
    from numpy_impl.losses import softmax_loss
    dx = model.backward(softmax_loss(model.forward(X), y)[1])
    assert dx.shape == X.shape
    for k, v in model.named_grads().items():
        extra = 2 * model.reg * model.named_parameters()[k] if k in model.weight_names() else 0
        np.testing.assert_allclose(kept[k], v + extra, rtol=1e-12, atol=1e-15)
    model.loss(X * 2, y)
    assert all(np.array_equal(kept[k], grads[k]) for k in kept)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_relu_nan_and_inf_like_torch(dtype):
    """A NaN input gives NaN and passes its gradient; a NaN or inf upstream gradient where x <= 0 gives 0
    (the fast multiply-by-mask backward falls back to ``where`` for these)."""
    x = np.array([np.nan, -0.0, 0.0, 1.0, -1.0, 2.0], dtype=dtype)
    g = np.array([1.0, np.nan, np.inf, 2.0, -np.inf, 3.0], dtype=dtype)
    layer = ni.ReLU()
    out, dx = layer.forward(x), layer.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    ot = torch.relu(xt)
    ot.backward(torch.tensor(g))
    np.testing.assert_array_equal(out, ot.detach().numpy())
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    assert out.dtype == dx.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_sums_and_dots_stay_in_the_input_dtype(dtype):
    """rows.rowsum/rowdot are the norm layers' and softmax loss's reductions: a float32 input summed
    in float64 would be cast back and pass every value check, but it is not torch's float32 sum."""
    from numpy_impl.rows import rowdot, rowsum
    a = np.arange(12, dtype=dtype).reshape(3, 4) / 7
    assert rowsum(a).dtype == dtype and rowdot(a, a).dtype == dtype
    np.testing.assert_allclose(rowsum(a), a.sum(axis=-1), rtol=1e-6)
