"""Numeric edge cases where a hand-written version easily parts from torch: a NaN score in the SVM
loss, a max-pool window of nothing but -inf next to the padding, softmax rows beyond exp's range."""
import warnings

import numpy as np
import pytest
import torch

import numpy_impl as ni
from numpy_impl import losses


@pytest.mark.parametrize("fn", [losses.svm_loss, losses.svm_loss_naive])
def test_svm_nan_score_matches_torch(fn):
    x = np.array([[1.0, np.nan, 0.5, 2.0], [0.1, 0.2, 0.3, 0.4], [np.nan, 1.0, 0.5, 0.0]])
    y = np.array([0, 2, 0])
    loss, dx = fn(x, y)
    xt = torch.tensor(x, requires_grad=True)
    lt = x.shape[1] * torch.nn.functional.multi_margin_loss(xt, torch.tensor(y))
    lt.backward()
    assert loss == pytest.approx(lt.item(), rel=1e-12) and np.isfinite(loss)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kernel, stride, padding", [(3, 2, 1), (2, 2, 1), ((3, 2), (1, 2), (1, 1))])
@pytest.mark.parametrize("fill", ["all -inf", "mostly -inf"])
def test_maxpool_minus_inf_routes_like_torch(kernel, stride, padding, fill):
    rng = np.random.default_rng(0)
    x = np.full((2, 3, 5, 6), -np.inf)
    if fill == "mostly -inf":
        x = np.where(rng.random(x.shape) < 0.7, -np.inf, rng.standard_normal(x.shape))
    pool = ni.MaxPool2d(kernel, stride=stride, padding=padding)
    out = pool.forward(x)
    g = rng.random(out.shape)
    dx = pool.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    ot = torch.nn.functional.max_pool2d(xt, kernel, stride, padding)
    ot.backward(torch.tensor(g))
    assert np.array_equal(out, ot.detach().numpy())
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert dx.sum() == pytest.approx(g.sum())          # nothing lost into the padding


def _mixed_scores(dtype, n=12, c=7):
    """Rows softmax_loss takes as they are next to rows it must shift first: logits of +-1e4, rows
    near exp's limit, a row with -inf entries, plain rows."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, c))
    x[0] += 1e4
    x[1] -= 1e4
    x[2] *= 1e4
    x[3] += 40 if dtype == np.float32 else 350
    x[4, :3] = -np.inf
    x[5] -= 80 if dtype == np.float32 else 700
    return x.astype(dtype), rng.integers(0, c, n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_past_exp_range_match_torch_without_warnings(dtype):
    x, y = _mixed_scores(dtype)
    y[4] = 5                                        # a finite label logit in the -inf row
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no overflow, underflow or divide warning
        loss, dx = losses.softmax_loss(x, y)
    xt = torch.tensor(x, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(xt, torch.tensor(y))
    lt.backward()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert loss.dtype == dtype and loss == pytest.approx(lt.item(), rel=tol)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=tol, atol=tol / len(x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_row_result_does_not_depend_on_the_other_rows(dtype):
    """A row that takes exp as it is gives the same bits beside rows that need the max shift, and
    the other way round: the choice is made per row, never per block."""
    x, y = _mixed_scores(dtype)
    _, dx = losses.softmax_loss(x, y)
    plain = np.random.default_rng(4).standard_normal(x.shape).astype(dtype)
    for i in range(len(x)):
        other = plain.copy()                        # every other row one exp takes as it is
        other[i] = x[i]
        _, dx_i = losses.softmax_loss(other, y)
        assert np.array_equal(dx_i[i], dx[i]), i
