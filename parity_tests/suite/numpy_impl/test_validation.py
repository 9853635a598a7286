"""Bad input gets a clear error naming the component, the expected and the actual shape or dtype."""
import numpy as np
import pytest

import numpy_impl as ni
from numpy_impl import losses

X = np.zeros((2, 3))


@pytest.mark.parametrize("layer, x, words", [
    (ni.Linear(4, 3), np.zeros((2, 5)), ["Linear(4, 3)", "(N, 4)", "(2, 5)"]),
    (ni.Linear(4, 3), np.zeros(4), ["Linear(4, 3)", "(N, 4)", "(4,)", "1-D"]),
    (ni.Conv2d(3, 4, 3), np.zeros((2, 2, 5, 5)), ["Conv2d(3, 4", "(N, 3, H, W)", "(2, 2, 5, 5)"]),
    (ni.Conv2d(3, 4, 3), np.zeros((2, 3, 5)), ["Conv2d(3, 4", "(2, 3, 5)", "3-D"]),
    (ni.Conv2d(1, 1, 5), np.zeros((1, 1, 3, 3)), ["smaller than", "(1, 1, 3, 3)"]),
    (ni.MaxPool2d(2), np.zeros((2, 8)), ["MaxPool2d", "(N, C, H, W)", "(2, 8)"]),
    (ni.BatchNorm1d(4), np.zeros((5, 3)), ["BatchNorm1d(4)", "(N, D)", "(5, 3)"]),
    (ni.BatchNorm2d(4), np.zeros((5, 4)), ["BatchNorm2d(4)", "(N, C, H, W)", "(5, 4)"]),
    (ni.BatchNorm1d(3), np.zeros((1, 3)), ["more than 1 value per channel", "(1, 3)"]),
    (ni.LayerNorm(5), np.zeros((2, 4)), ["LayerNorm((5,))", "(2, 4)"]),
])
def test_shape_errors(layer, x, words):
    with pytest.raises(ValueError) as err:
        layer.forward(x, training=True)
    for w in words:
        assert w in str(err.value), (w, str(err.value))


@pytest.mark.parametrize("layer", [ni.Linear(3, 2), ni.ReLU(), ni.Sigmoid(), ni.Dropout(0.5), ni.Flatten()])
def test_integer_input_rejected(layer):
    with pytest.raises(TypeError, match=r"floating-point input.*int64"):
        layer.forward(np.zeros((2, 3), dtype=np.int64))


def test_upstream_gradient_shape():
    layer = ni.Linear(3, 2)
    layer.forward(X)
    with pytest.raises(ValueError, match=r"Linear\(3, 2\): expected upstream gradient of shape \(2, 2\), got shape \(2, 3\)"):
        layer.backward(np.zeros((2, 3)))


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="Tanh: backward called before forward"):
        ni.Tanh().backward(X)


@pytest.mark.parametrize("fn", [losses.softmax_loss, losses.softmax_loss_naive, losses.svm_loss, losses.svm_loss_naive])
def test_label_errors(fn):
    s = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\), got 4"):
        fn(s, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"expected labels of shape \(3,\), got shape \(2,\)"):
        fn(s, np.array([0, 1]))
    with pytest.raises(TypeError, match="expected integer labels, got dtype float64"):
        fn(s, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"expected scores of shape \(N, C\)"):
        fn(np.zeros(4), np.array([0]))
    with pytest.raises(TypeError, match="floating-point scores"):
        fn(np.zeros((3, 4), dtype=np.int32), np.array([0, 1, 2]))


def test_mse_shape_error():
    with pytest.raises(ValueError, match=r"mse_loss: expected target of shape \(2, 3\), got shape \(3, 2\)"):
        losses.mse_loss(X, np.zeros((3, 2)))


def test_dropout_bad_p_and_mask():
    with pytest.raises(ValueError, match=r"Dropout: p must lie in \[0, 1\], got 1.5"):
        ni.Dropout(1.5)
    d = ni.Dropout(0.5)
    d.set_mask(np.ones((3, 3), bool))
    with pytest.raises(ValueError, match=r"expected mask of shape \(2, 3\), got shape \(3, 3\)"):
        d.forward(X, training=True)


def test_pool_padding_too_large():
    with pytest.raises(ValueError, match="padding must be at most half the kernel size"):
        ni.MaxPool2d(2, padding=2)
