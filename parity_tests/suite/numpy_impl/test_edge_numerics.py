"""Numeric edge cases where a hand-written version easily parts from torch: a NaN score in the SVM
loss, a max-pool window of nothing but -inf next to the padding."""
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
