"""Published test vectors: the fixed inputs and expected outputs that the course notebooks and the
books print, a third oracle beside torch and finite differences that owes nothing to either.

* cs231n's assignment 2 and 3 notebooks (``FullyConnectedNets``, ``ConvolutionalNetworks``,
  ``RNN_Captioning``, ``LSTM_Captioning``): inputs from ``np.linspace``, outputs printed to 8
  decimals. Each is compared with half a unit in that last place (5e-9) to spare, no more: the
  rounding of the print is the only slack. cs231n's LSTM gates are in the order i, f, o, g; the
  library's are torch's i, f, g, o, so the published weights have their columns reordered first.
* d2l's convolution and pooling chapters (``corr2d``, ``corr2d_multi_in``, ``corr2d_multi_in_out``,
  ``pool2d``, the edge detector): small integers, compared exactly.
* "Deep Learning from Scratch" chapter 3: ``softmax([0.3, 2.9, 4.0])``.

Each vector is run through the NumPy layer and through its torch mirror (``torch_ref.mirror``),
so a published value that one side reproduces and the other does not points at that side.
"""
import numpy as np
import pytest
import torch

import numpy_impl as ni
from torch_ref.layers import mirror

PRINTED = 5.000001e-9          # half a unit in the 8th decimal the notebooks print


def _torch_out(layer, x, *state):
    module = mirror(layer).module
    with torch.no_grad():
        return module(torch.tensor(x), *state).numpy()


def _both(layer, x, want, atol=PRINTED):
    np.testing.assert_allclose(layer.forward(x), want, rtol=0, atol=atol, err_msg=f"numpy_impl {type(layer).__name__}")
    np.testing.assert_allclose(_torch_out(layer, x), want, rtol=0, atol=atol, err_msg=f"torch {type(layer).__name__}")


def _set(layer, **params):
    for k, v in params.items():
        assert layer.params[k].shape == v.shape, (k, layer.params[k].shape, v.shape)
        layer.params[k][...] = v
    return layer


def _ifog_to_ifgo(a):
    """cs231n's LSTM columns (i, f, o, g) in torch's order (i, f, g, o)."""
    i, f, o, g = np.split(a, 4, axis=-1)
    return np.concatenate([i, f, g, o], axis=-1)


def _linspace(lo, hi, shape):
    return np.linspace(lo, hi, num=int(np.prod(shape))).reshape(shape)


# ---------------------------------------------------------------- cs231n assignment 2
def test_cs231n_affine_forward():
    x = _linspace(-0.1, 0.5, (2, 4, 5, 6))
    w, b = _linspace(-0.2, 0.3, (120, 3)), np.linspace(-0.3, 0.1, num=3)
    want = [[1.49834967, 1.70660132, 1.91485297],
            [3.25553199, 3.5141327, 3.77273342]]
    _both(_set(ni.Linear(120, 3), W=w, b=b), x.reshape(2, -1), want)


def test_cs231n_relu_forward():
    want = [[0., 0., 0., 0.],
            [0., 0., 0.04545455, 0.13636364],
            [0.22727273, 0.31818182, 0.40909091, 0.5]]
    _both(ni.ReLU(), _linspace(-0.5, 0.5, (3, 4)), want)


@pytest.mark.parametrize("cls", [ni.Conv2d, ni.Conv2dNaive])
def test_cs231n_conv_forward(cls):
    x = _linspace(-0.1, 0.5, (2, 3, 4, 4))
    w, b = _linspace(-0.2, 0.3, (3, 3, 4, 4)), np.linspace(-0.1, 0.2, num=3)
    want = [[[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
             [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
             [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
            [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
             [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
             [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]]
    _both(_set(cls(3, 3, 4, stride=2, padding=1), W=w, b=b), x, want)


def test_cs231n_max_pool_forward():
    want = [[[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
             [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
             [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
            [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
             [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
             [[0.32631579, 0.34105263], [0.38526316, 0.4]]]]
    _both(ni.MaxPool2d(2, stride=2), _linspace(-0.3, 0.4, (2, 3, 4, 4)), want)


# ---------------------------------------------------------------- cs231n assignment 3
def _recurrent(layer, x, h0, c0=None):
    """(numpy output, torch output, numpy final cell, torch final cell) for one sequence."""
    out = layer.forward(x, h0=h0) if c0 is None else layer.forward(x, h0=h0, c0=c0)
    module = mirror(layer).module
    state = torch.tensor(h0)[None] if c0 is None else (torch.tensor(h0)[None], torch.tensor(c0)[None])
    with torch.no_grad():
        ref, last = type(module).__mro__[1].forward(module, torch.tensor(x), state)
    return out, ref.numpy(), getattr(layer, "c_n", None), (last[1][0].numpy() if c0 is not None else None)


def test_cs231n_rnn_step_forward():
    N, D, H = 3, 10, 4
    x, prev_h = _linspace(-0.4, 0.7, (N, D)), _linspace(-0.2, 0.5, (N, H))
    layer = _set(ni.RNN(D, H), Wx=_linspace(-0.1, 0.9, (D, H)), Wh=_linspace(-0.3, 0.7, (H, H)),
                 b=np.linspace(-0.2, 0.4, num=H))
    want = [[-0.58172089, -0.50182032, -0.41232771, -0.31410098],
            [0.66854692, 0.79562378, 0.87755553, 0.92795967],
            [0.97934501, 0.99144213, 0.99646691, 0.99854353]]
    out, ref, _, _ = _recurrent(layer, x[:, None], prev_h)         # one step: a sequence of length 1
    np.testing.assert_allclose(out[:, 0], want, rtol=0, atol=PRINTED, err_msg="numpy_impl RNN")
    np.testing.assert_allclose(ref[:, 0], want, rtol=0, atol=PRINTED, err_msg="torch RNN")


def test_cs231n_rnn_forward():
    N, T, D, H = 2, 3, 4, 5
    x, h0 = _linspace(-0.1, 0.3, (N, T, D)), _linspace(-0.3, 0.1, (N, H))
    layer = _set(ni.RNN(D, H), Wx=_linspace(-0.2, 0.4, (D, H)), Wh=_linspace(-0.4, 0.1, (H, H)),
                 b=np.linspace(-0.7, 0.1, num=H))
    want = [[[-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
             [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
             [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525]],
            [[-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
             [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
             [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043]]]
    out, ref, _, _ = _recurrent(layer, x, h0)
    np.testing.assert_allclose(out, want, rtol=0, atol=PRINTED, err_msg="numpy_impl RNN")
    np.testing.assert_allclose(ref, want, rtol=0, atol=PRINTED, err_msg="torch RNN")


def test_cs231n_word_embedding_forward():
    ids = np.asarray([[0, 3, 1, 2], [2, 1, 0, 3]])
    layer = _set(ni.Embedding(5, 3), W=_linspace(0, 1, (5, 3)))
    rows = {0: [0., 0.07142857, 0.14285714], 1: [0.21428571, 0.28571429, 0.35714286],
            2: [0.42857143, 0.5, 0.57142857], 3: [0.64285714, 0.71428571, 0.78571429]}
    want = [[rows[i] for i in row] for row in ids]
    np.testing.assert_allclose(layer.forward(ids), want, rtol=0, atol=PRINTED, err_msg="numpy_impl Embedding")
    with torch.no_grad():
        np.testing.assert_allclose(mirror(layer).module(torch.tensor(ids)).numpy(), want, rtol=0, atol=PRINTED,
                                   err_msg="torch Embedding")


def test_cs231n_lstm_step_forward():
    """The published next_c is checked too: the final cell state of a length-1 sequence."""
    N, D, H = 3, 4, 5
    x, prev_h, prev_c = _linspace(-0.4, 1.2, (N, D)), _linspace(-0.3, 0.7, (N, H)), _linspace(-0.4, 0.9, (N, H))
    layer = _set(ni.LSTM(D, H), Wx=_ifog_to_ifgo(_linspace(-2.1, 1.3, (D, 4 * H))),
                 Wh=_ifog_to_ifgo(_linspace(-0.7, 2.2, (H, 4 * H))), b=_ifog_to_ifgo(np.linspace(0.3, 0.7, num=4 * H)))
    want_h = [[0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
              [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
              [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]]
    want_c = [[0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
              [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
              [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]]
    out, ref, c, ref_c = _recurrent(layer, x[:, None], prev_h, prev_c)
    for side, got in (("numpy_impl", out[:, 0]), ("torch", ref[:, 0])):
        np.testing.assert_allclose(got, want_h, rtol=0, atol=PRINTED, err_msg=f"{side} LSTM next_h")
    for side, got in (("numpy_impl", c), ("torch", ref_c)):
        np.testing.assert_allclose(got, want_c, rtol=0, atol=PRINTED, err_msg=f"{side} LSTM next_c")


def test_cs231n_lstm_forward():
    N, D, H, T = 2, 5, 4, 3
    x, h0 = _linspace(-0.4, 0.6, (N, T, D)), _linspace(-0.4, 0.8, (N, H))
    layer = _set(ni.LSTM(D, H), Wx=_ifog_to_ifgo(_linspace(-0.2, 0.9, (D, 4 * H))),
                 Wh=_ifog_to_ifgo(_linspace(-0.3, 0.6, (H, 4 * H))), b=_ifog_to_ifgo(np.linspace(0.2, 0.7, num=4 * H)))
    want = [[[0.01764008, 0.01823233, 0.01882671, 0.0194232],
             [0.11287491, 0.12146228, 0.13018446, 0.13902939],
             [0.31358768, 0.33338627, 0.35304453, 0.37250975]],
            [[0.45767879, 0.4761092, 0.4936887, 0.51041945],
             [0.6704845, 0.69350089, 0.71486014, 0.7346449],
             [0.81733511, 0.83677871, 0.85403753, 0.86935314]]]
    out, ref, _, _ = _recurrent(layer, x, h0, np.zeros((N, H)))    # cs231n's lstm_forward starts c at 0
    np.testing.assert_allclose(out, want, rtol=0, atol=PRINTED, err_msg="numpy_impl LSTM")
    np.testing.assert_allclose(ref, want, rtol=0, atol=PRINTED, err_msg="torch LSTM")


def test_gate_order_matters_for_the_published_lstm():
    """The vectors above can fail: cs231n's weights read in torch's order give other numbers."""
    N, D, H = 3, 4, 5
    x, prev_h, prev_c = _linspace(-0.4, 1.2, (N, D)), _linspace(-0.3, 0.7, (N, H)), _linspace(-0.4, 0.9, (N, H))
    layer = _set(ni.LSTM(D, H), Wx=_linspace(-2.1, 1.3, (D, 4 * H)), Wh=_linspace(-0.7, 2.2, (H, 4 * H)),
                 b=np.linspace(0.3, 0.7, num=4 * H))
    out = layer.forward(x[:, None], h0=prev_h, c0=prev_c)[:, 0]
    assert np.abs(out - 0.24635157).max() > 1e-3


# ---------------------------------------------------------------- d2l, chapters 7.2, 7.4 and 7.5
def _conv(kernels, bias=None):
    """A Conv2d holding d2l's kernels K (C_out, C_in, kh, kw), stride 1, no padding, bias 0."""
    k = np.asarray(kernels, dtype=np.float64)
    return _set(ni.Conv2d(k.shape[1], k.shape[0], k.shape[2:]), W=k, b=np.zeros(k.shape[0]))


def test_d2l_corr2d():
    X = np.arange(9.0).reshape(1, 1, 3, 3)
    _both(_conv([[[[0, 1], [2, 3]]]]), X, [[[[19, 25], [37, 43]]]], atol=0)


def test_d2l_corr2d_multi_in_and_out():
    X = np.array([[[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]], dtype=np.float64)[None]
    K = np.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]])
    _both(_conv(K[None]), X, [[[[56, 72], [104, 120]]]], atol=0)
    _both(_conv(np.stack([K, K + 1, K + 2])), X,
          [[[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]], atol=0)


def test_d2l_edge_detector():
    X = np.ones((6, 8))
    X[:, 2:6] = 0
    want = np.zeros((6, 7))
    want[:, 1], want[:, 5] = 1, -1
    _both(_conv([[[[1, -1]]]]), X[None, None], want[None, None], atol=0)


@pytest.mark.parametrize("cls,want", [(ni.MaxPool2d, [[4, 5], [7, 8]]), (ni.AvgPool2d, [[2, 3], [5, 6]])])
def test_d2l_pool2d(cls, want):
    _both(cls(2, stride=1), np.arange(9.0).reshape(1, 1, 3, 3), [[want]], atol=0)


# ---------------------------------------------------------------- "Deep Learning from Scratch", chapter 3
def test_dlfs_softmax():
    _both(ni.Softmax(), np.array([[0.3, 2.9, 4.0]]), [[0.01821127, 0.24519181, 0.73659691]])
