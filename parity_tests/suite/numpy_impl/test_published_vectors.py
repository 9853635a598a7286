"""Published test vectors: the fixed inputs and expected outputs that the course notebooks and the
books print, a third oracle beside torch and finite differences that owes nothing to either.

* cs231n's assignment 2 and 3 notebooks (``FullyConnectedNets``, ``ConvolutionalNetworks``,
  ``RNN_Captioning``, ``LSTM_Captioning``): inputs from ``np.linspace``, outputs printed to 8
  decimals. Each is compared with half a unit in that last place (5e-9) to spare, no more: the
  rounding of the print is the only slack. cs231n's LSTM gates are in the order i, f, o, g; the
  library's are torch's i, f, g, o, so the published weights have their columns reordered first.
* cs231n's update rules (``sgd_momentum``, ``rmsprop``, ``adam``: next_w and the new state), the
  two-layer nets of assignments 1 and 2 (scores and loss, the penalty with and without its 1/2), and
  assignment 3's ``CaptioningRNN`` loss (vanilla and LSTM), built from the library's layers and
  checked against the gate's torch reference and the cs231n class in ``examples/cs231n``.
* "Neural Networks from Scratch" chapters 5 and 9: the categorical cross-entropy of three softmax
  rows and the gradient of softmax and cross-entropy combined.
* d2l's ``cross_entropy`` (chapter 4.4, printed to 4 decimals) and its convolution and pooling
  chapters (``corr2d``, ``corr2d_multi_in``, ``corr2d_multi_in_out``, ``pool2d``, the edge
  detector): small integers, compared exactly.
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


# ---------------------------------------------------------------- cs231n assignment 2: update rules
# FullyConnectedNets' optimizer cells: w, dw and the state from np.linspace, one step, the new w and
# the new state printed. The state is given to both sides in their own form.
_W, _DW = _linspace(-0.4, 0.6, (4, 5)), _linspace(-0.6, 0.4, (4, 5))


def _torch_step(cls, state, **hyper):
    """One step of ``torch.optim.cls`` from cs231n's w and dw with ``state`` loaded: (new w, its state)."""
    p = torch.tensor(_W, requires_grad=True)
    opt = cls([p], **hyper)
    opt.state[p] = {k: (torch.tensor(float(v)) if np.ndim(v) == 0 else torch.tensor(v)) for k, v in state.items()}
    p.grad = torch.tensor(_DW)
    opt.step()
    return p.detach().numpy(), {k: v.numpy() for k, v in opt.state[p].items()}


def _numpy_step(opt_cls, state, **hyper):
    w = _W.copy()
    opt = opt_cls({"w": w}, **hyper)
    opt.state["w"].update({k: (np.array(v) if np.ndim(v) else v) for k, v in state.items()})
    dw = _DW.copy()
    opt.step({"w": dw})
    np.testing.assert_array_equal(dw, _DW, err_msg="the step changed the gradient")
    return w, opt.state["w"]


def test_cs231n_sgd_momentum():
    """cs231n's ``v = mu*v - lr*dw; w += v`` is ``SGD(variant="classic")``; torch keeps -v/lr."""
    from numpy_impl.optim import SGD
    v = _linspace(0.6, 0.9, (4, 5))
    want_w = [[0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
              [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
              [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
              [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]]
    want_v = [[0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
              [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
              [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
              [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]]
    w, state = _numpy_step(SGD, {"velocity": v}, lr=1e-3, momentum=0.9, variant="classic")
    np.testing.assert_allclose(w, want_w, rtol=0, atol=PRINTED, err_msg="numpy_impl SGD next_w")
    np.testing.assert_allclose(state["velocity"], want_v, rtol=0, atol=PRINTED, err_msg="numpy_impl SGD velocity")
    w, state = _torch_step(torch.optim.SGD, {"momentum_buffer": -v / 1e-3}, lr=1e-3, momentum=0.9)
    np.testing.assert_allclose(w, want_w, rtol=0, atol=PRINTED, err_msg="torch SGD next_w")
    np.testing.assert_allclose(-1e-3 * state["momentum_buffer"], want_v, rtol=0, atol=PRINTED,
                               err_msg="torch SGD velocity")


def test_cs231n_rmsprop():
    from numpy_impl.optim import RMSprop
    cache = _linspace(0.6, 0.9, (4, 5))
    want_w = [[-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
              [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
              [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
              [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]]
    want_cache = [[0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
                  [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
                  [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
                  [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]]
    for side, (w, state) in (("numpy_impl", _numpy_step(RMSprop, {"square_avg": cache, "step": 0}, lr=1e-2)),
                             ("torch", _torch_step(torch.optim.RMSprop, {"square_avg": cache, "step": 0}, lr=1e-2))):
        np.testing.assert_allclose(w, want_w, rtol=0, atol=PRINTED, err_msg=f"{side} RMSprop next_w")
        np.testing.assert_allclose(state["square_avg"], want_cache, rtol=0, atol=PRINTED, err_msg=f"{side} RMSprop cache")


def test_cs231n_adam():
    """cs231n's config ``t=5`` is five steps taken: this is the sixth, bias corrections included."""
    from numpy_impl.optim import Adam
    state = {"exp_avg": _linspace(0.6, 0.9, (4, 5)), "exp_avg_sq": _linspace(0.7, 0.5, (4, 5)), "step": 5}
    want_w = [[-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
              [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
              [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
              [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]]
    want_v = [[0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
              [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
              [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
              [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]]
    want_m = [[0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
              [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
              [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
              [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]]
    for side, (w, s) in (("numpy_impl", _numpy_step(Adam, state, lr=1e-2)),
                         ("torch", _torch_step(torch.optim.Adam, state, lr=1e-2))):
        np.testing.assert_allclose(w, want_w, rtol=0, atol=PRINTED, err_msg=f"{side} Adam next_w")
        np.testing.assert_allclose(s["exp_avg"], want_m, rtol=0, atol=PRINTED, err_msg=f"{side} Adam m")
        np.testing.assert_allclose(s["exp_avg_sq"], want_v, rtol=0, atol=PRINTED, err_msg=f"{side} Adam v")
        assert int(s["step"]) == 6, (side, s["step"])


def test_the_published_update_rules_can_fail():
    """torch's momentum form given cs231n's velocity as it is, or Adam one step behind, misses."""
    from numpy_impl.optim import SGD, Adam
    w, _ = _numpy_step(SGD, {"momentum_buffer": _linspace(0.6, 0.9, (4, 5))}, lr=1e-3, momentum=0.9)
    assert abs(w[0, 0] - 0.1406) > 0.1
    w, _ = _numpy_step(Adam, {"exp_avg": _linspace(0.6, 0.9, (4, 5)), "exp_avg_sq": _linspace(0.7, 0.5, (4, 5)),
                              "step": 4}, lr=1e-2)
    assert abs(w[0, 0] + 0.40094747) > 1e-5


# ---------------------------------------------------------------- cs231n: the two-layer nets
def _two_layer(W1, b1, W2, b2, reg=0.0):
    from numpy_impl.models.nets import TwoLayerNet
    model = TwoLayerNet(W1.shape[0], W1.shape[1], W2.shape[1], reg=reg)
    return _set(model.layers[0], W=W1, b=b1), _set(model.layers[2], W=W2, b=b2), model


def _torch_two_layer(model, X, y):
    """torch's scores and loss of the mirror: cross-entropy plus reg * sum(W**2) over the weights."""
    module = mirror(model).module
    scores = module(torch.tensor(X))
    penalty = sum((p * p).sum() for n, p in module.named_parameters() if n.endswith("weight"))
    loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y)) + model.reg * penalty
    return scores.detach().numpy(), loss.item()


def test_cs231n_fully_connected_nets_two_layer_net():
    """FullyConnectedNets' "Test training loss": its ``reg = 1.0`` is ``0.5 * reg * sum(W**2)``, the
    library's ``reg = 0.5`` (the library's penalty has no 1/2)."""
    N, D, H, C = 3, 5, 50, 7
    *_, model = _two_layer(_linspace(-0.7, 0.3, (D, H)), np.linspace(-0.1, 0.9, num=H),
                           _linspace(-0.3, 0.4, (H, C)), np.linspace(-0.9, 0.1, num=C))
    X, y = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T, np.asarray([0, 5, 1])
    want = [[11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
            [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
            [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319]]
    for reg, want_loss in ((0.0, 3.4702243556), (0.5, 26.5948426952)):     # printed to 10 decimals
        model.reg = reg
        np.testing.assert_allclose(model.forward(X, training=False), want, rtol=0, atol=PRINTED,
                                   err_msg="numpy_impl scores")
        assert abs(model.loss(X, y)[0] - want_loss) < 5.000001e-11, ("numpy_impl loss", reg)
        scores, loss = _torch_two_layer(model, X, y)
        np.testing.assert_allclose(scores, want, rtol=0, atol=PRINTED, err_msg="torch scores")
        assert abs(loss - want_loss) < 5.000001e-11, ("torch loss", reg)


def test_cs231n_assignment1_toy_two_layer_net():
    """Assignment 1's ``two_layer_net`` notebook: the toy model and data from NumPy's legacy seeded
    stream (``np.random.seed(0)`` then ``seed(1)``: the sequence NumPy guarantees to keep), loss with
    ``reg = 0.05`` printed to 11 decimals."""
    legacy = np.random.RandomState(0)
    W1, W2 = 1e-1 * legacy.randn(4, 10), 1e-1 * legacy.randn(10, 3)
    X, y = 10 * np.random.RandomState(1).randn(5, 4), np.array([0, 1, 2, 2, 1])
    *_, model = _two_layer(W1, np.zeros(10), W2, np.zeros(3), reg=0.05)
    want = [[-0.81233741, -1.27654624, -0.70335995], [-0.17129677, -1.18803311, -0.47310444],
            [-0.51590475, -1.01354314, -0.8504215], [-0.15419291, -0.48629638, -0.52901952],
            [-0.00618733, -0.12435261, -0.15226949]]
    np.testing.assert_allclose(model.forward(X, training=False), want, rtol=0, atol=PRINTED, err_msg="numpy_impl")
    assert abs(model.loss(X, y)[0] - 1.30378789133) < 5.000001e-12
    scores, loss = _torch_two_layer(model, X, y)
    np.testing.assert_allclose(scores, want, rtol=0, atol=PRINTED, err_msg="torch")
    assert abs(loss - 1.30378789133) < 5.000001e-12


# ---------------------------------------------------------------- cs231n assignment 3: CaptioningRNN
# RNN_Captioning's and LSTM_Captioning's loss: every parameter np.linspace(-1.4, 1.3), the features
# and captions fixed, the loss printed to 11 decimals. Three ways: the library's layers assembled
# into the network, the gate's torch reference for `parity scan`, and cs231n's own class as written
# in examples/cs231n.
CAPTIONING = {"rnn": ((-1.5, 0.3), 9.83235591003), "lstm": ((-0.5, 1.7), 9.82445935443)}


def _captioning_setup(cell):
    N, D, W, H, V, T = 10, 20, 30, 40, 3, 13
    g = 4 if cell == "lstm" else 1
    shapes = {"W_embed": (V, W), "W_proj": (D, H), "b_proj": (H,), "Wx": (W, g * H), "Wh": (H, g * H),
              "b": (g * H,), "W_vocab": (H, V), "b_vocab": (V,)}
    params = {k: np.linspace(-1.4, 1.3, num=int(np.prod(s))).reshape(s) for k, s in shapes.items()}
    (lo, hi), want = CAPTIONING[cell]
    return params, np.linspace(lo, hi, num=N * D).reshape(N, D), (np.arange(N * T) % V).reshape(N, T), want


@pytest.mark.parametrize("cell", sorted(CAPTIONING))
def test_cs231n_captioning_loss_from_the_library_layers(cell):
    from numpy_impl.losses_extra import temporal_softmax_loss
    P, features, captions, want = _captioning_setup(cell)
    D, H = P["W_proj"].shape
    V, W = P["W_embed"].shape
    reorder = _ifog_to_ifgo if cell == "lstm" else (lambda a: a)
    proj = _set(ni.Linear(D, H), W=P["W_proj"], b=P["b_proj"])
    embed = _set(ni.Embedding(V, W), W=P["W_embed"])
    rnn = _set((ni.LSTM if cell == "lstm" else ni.RNN)(W, H), **{k: reorder(P[k]) for k in ("Wx", "Wh", "b")})
    vocab = _set(ni.TemporalAffine(H, V), W=P["W_vocab"], b=P["b_vocab"])
    cin, cout = captions[:, :-1], captions[:, 1:]
    h0 = proj.forward(features)
    hs = rnn.forward(embed.forward(cin), h0=h0) if cell == "rnn" else \
        rnn.forward(embed.forward(cin), h0=h0, c0=np.zeros_like(h0))
    loss, _ = temporal_softmax_loss(vocab.forward(hs), cout, mask=cout != 0)
    assert abs(loss - want) < 5.000001e-12, (cell, loss, want)


@pytest.mark.parametrize("cell", sorted(CAPTIONING))
def test_cs231n_captioning_loss_of_the_scan_reference_and_the_example(cell):
    from examples.cs231n.classifiers.rnn import CaptioningRNN
    from parity_tests.gate.model_check import _captioning_loss
    P, features, captions, want = _captioning_setup(cell)
    loss, _ = _captioning_loss(P, features, captions, 0)
    assert abs(loss.item() - want) < 5.000001e-12, ("torch reference", cell, loss.item())
    model = CaptioningRNN({"<NULL>": 0, "cat": 2, "dog": 3}, input_dim=20, wordvec_dim=30, hidden_dim=40,
                          cell_type=cell, dtype=np.float64)
    model.params = {k: v.copy() for k, v in P.items()}
    assert abs(model.loss(features, captions)[0] - want) < 5.000001e-12, ("examples/cs231n", cell)


# ---------------------------------------------------------------- "Neural Networks from Scratch", chapters 5 and 9
NNFS_SOFTMAX = np.array([[0.7, 0.1, 0.2], [0.1, 0.5, 0.4], [0.02, 0.9, 0.08]])


def test_nnfs_categorical_cross_entropy_and_its_combined_gradient():
    """Chapter 5's mean loss of the three rows, class targets [0, 1, 1], and chapter 9's gradient of
    softmax and cross-entropy combined, both from those softmax outputs: scores ``log(p)`` have
    softmax ``p`` exactly, so the library's loss on scores is the book's loss on probabilities."""
    from numpy_impl.losses import softmax_loss
    y = np.array([0, 1, 1])
    want_grad = [[-0.1, 0.03333333, 0.06666667], [0.03333333, -0.16666667, 0.13333333],
                 [0.00666667, -0.03333333, 0.02666667]]
    loss, dx = softmax_loss(np.log(NNFS_SOFTMAX), y)
    assert abs(loss - 0.38506088005216804) < 1e-15
    np.testing.assert_allclose(dx, want_grad, rtol=0, atol=PRINTED, err_msg="numpy_impl")
    x = torch.tensor(np.log(NNFS_SOFTMAX), requires_grad=True)
    ref = torch.nn.functional.cross_entropy(x, torch.tensor(y))
    ref.backward()
    assert abs(ref.item() - 0.38506088005216804) < 1e-15
    np.testing.assert_allclose(x.grad.numpy(), want_grad, rtol=0, atol=PRINTED, err_msg="torch")


# ---------------------------------------------------------------- d2l, chapter 4.4
def test_d2l_cross_entropy():
    """``cross_entropy(y_hat, y)`` of the two rows, printed to 4 decimals: [2.3026, 0.6931]."""
    from numpy_impl.losses_extra import nll_loss
    y_hat, y = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), np.array([0, 2])
    got = [nll_loss(np.log(y_hat[i:i + 1]), y[i:i + 1])[0] for i in range(2)]     # no reduction="none": one row each
    np.testing.assert_allclose(got, [2.3026, 0.6931], rtol=0, atol=5.000001e-5)
    ref = torch.nn.functional.nll_loss(torch.tensor(np.log(y_hat)), torch.tensor(y), reduction="none")
    np.testing.assert_allclose(ref.numpy(), [2.3026, 0.6931], rtol=0, atol=5.000001e-5)
