"""The samples ``parity scan`` runs per component kind: odd and non-square shapes, stride and padding
variants (pad 0 included), ties after ReLU, train and eval mode. Each sample gives the input and the
values a user's code is built from, under the names the classic styles use."""
import zlib

import numpy as np


def seed_for(base, *parts):
    """A stable seed per (base seed, names...): the same sample draws the same data in the CLI and in
    pytest, whatever else is checked (the registry's cases, scan's samples, the forward-only ones)."""
    return (base * 1_000_003 + zlib.crc32("/".join(parts).encode())) % 2**31

# kind -> [(sample name, input shape, {value name: shape or scalar}, flags)]
SPECS = {
    "affine": [("x (4,3,5) -> 7", (4, 3, 5), {"W": (15, 7), "b": (7,)}, {}),
               ("x (5,6) -> 3", (5, 6), {"W": (6, 3), "b": (3,)}, {}),
               # for a layer that takes them ("Neural Networks from Scratch"'s Layer_Dense): four
               # different coefficients, so that one used for another is seen
               ("x (5,6) -> 3 with L1 and L2 regularizers", (5, 6),
                {"W": (6, 3), "b": (3,), "weight_regularizer_l1": 0.01, "weight_regularizer_l2": 0.02,
                 "bias_regularizer_l1": 0.03, "bias_regularizer_l2": 0.04}, {"takes": "weight_regularizer_l1"})],
    "relu": [("random (5,7)", (5, 7), {}, {}), ("exact zeros", (4, 6), {}, {"zeros": True, "fd": False})],
    "leaky_relu": [("random (5,7)", (5, 7), {"alpha": 0.1}, {"away": True})],
    "sigmoid": [("random (5,7)", (5, 7), {}, {}),
                # exp(x) / (1 + exp(x)) is inf / inf = nan past 709; 1 / (1 + exp(-x)) stays right both ways
                ("|x| near 800, both signs (4,5)", (4, 5), {}, {"huge": True, "fd": False})],
    "tanh": [("random (5,7)", (5, 7), {}, {})],
    # torch's other activations, as function pairs (elu_forward/elu_backward): a hyperparameter away from
    # torch's default where it has one, inputs wide enough to cross every branch, none on a kink
    "elu": [("random (5,7) alpha 0.7", (5, 7), {"alpha": 0.7}, {"away": True}),
            ("wide (4,6) alpha 1", (4, 6), {"alpha": 1.0}, {"away": True, "spread": 6.0})],
    "celu": [("random (5,7) alpha 0.7", (5, 7), {"alpha": 0.7}, {"away": True})],
    "selu": [("random (5,7)", (5, 7), {}, {"away": True})],
    "gelu": [("random (5,7)", (5, 7), {}, {}), ("wide (4,6)", (4, 6), {}, {"spread": 5.0})],
    "silu": [("random (5,7)", (5, 7), {}, {}), ("wide (4,6)", (4, 6), {}, {"spread": 8.0})],
    "softplus": [("random (5,7)", (5, 7), {}, {}), ("wide (4,6)", (4, 6), {}, {"spread": 12.0})],
    "mish": [("random (5,7)", (5, 7), {}, {}), ("wide (4,6)", (4, 6), {}, {"spread": 8.0})],
    "softsign": [("random (5,7)", (5, 7), {}, {}), ("wide (4,6)", (4, 6), {}, {"spread": 8.0})],
    "logsigmoid": [("random (5,7)", (5, 7), {}, {}), ("wide (4,6)", (4, 6), {}, {"spread": 8.0})],
    "hardtanh": [("random (5,7), both clips", (5, 7), {"min_val": -1.0, "max_val": 1.0}, {"spread": 2.0})],
    "relu6": [("random (5,7), both clips", (5, 7), {}, {"away": True, "spread": 4.0})],
    "hardswish": [("random (5,7), every branch", (5, 7), {}, {"away": True, "spread": 3.0})],
    "hardsigmoid": [("random (5,7), every branch", (5, 7), {}, {"away": True, "spread": 3.0})],
    "identity": [("random (5,7)", (5, 7), {}, {})],
    "softmax": [("random (5,7)", (5, 7), {}, {}),
                ("large logits 800 + 30 * randn (4,5)", (4, 5), {}, {"large": True, "fd": False})],
    "batchnorm": [("N=8 D=5", (8, 5), {"gamma": (5,), "beta": (5,)}, {}),
                  ("N=3 D=7", (3, 7), {"gamma": (7,), "beta": (7,)}, {}),
                  # the book's BatchNormalization after a conv: (N, C, H, W) normalised as (N, C*H*W)
                  ("(6,2,3,3) as (6,18): the book's conv path", (6, 2, 3, 3), {"gamma": (18,), "beta": (18,)},
                   {"style": "textbook"})],
    # cs231n's layer_utils sandwich a FullyConnectedNet with batchnorm is built from
    "affine_bn_relu": [("x (6,5) -> 4", (6, 5), {"W": (5, 4), "b": (4,), "gamma": (4,), "beta": (4,)}, {}),
                       ("x (3,2,4) -> 3", (3, 2, 4), {"W": (8, 3), "b": (3,), "gamma": (3,), "beta": (3,)}, {})],
    "spatial_batchnorm": [("(3,4,5,2)", (3, 4, 5, 2), {"gamma": (4,), "beta": (4,)}, {}),
                          ("(2,3,3,5)", (2, 3, 3, 5), {"gamma": (3,), "beta": (3,)}, {})],
    "layernorm": [("(6,5)", (6, 5), {"gamma": (5,), "beta": (5,)}, {}),
                  ("(3,8)", (3, 8), {"gamma": (8,), "beta": (8,)}, {})],
    "groupnorm": [("(2,6,3,4) G=3", (2, 6, 3, 4), {"gamma": (1, 6, 1, 1), "beta": (1, 6, 1, 1), "G": 3}, {}),
                  ("(3,4,2,5) G=2", (3, 4, 2, 5), {"gamma": (1, 4, 1, 1), "beta": (1, 4, 1, 1), "G": 2}, {})],
    "dropout": [("(6,7) p=0.3", (6, 7), {"p": 0.3}, {"away": True}),
                ("(4,3,5) p=0.3", (4, 3, 5), {"p": 0.3}, {"away": True})],
    "conv": [("stride 1 pad 0 (2,3,5,4) * (4,3,3,2)", (2, 3, 5, 4),
              {"W": (4, 3, 3, 2), "b": (4,), "stride": 1, "pad": 0}, {}),
             ("stride 2 pad 1 (2,3,7,6) * (3,3,3,2)", (2, 3, 7, 6),
              {"W": (3, 3, 3, 2), "b": (3,), "stride": 2, "pad": 1}, {}),
             ("stride 1 pad 2 (1,2,4,5) * (2,2,3,3)", (1, 2, 4, 5),
              {"W": (2, 2, 3, 3), "b": (2,), "stride": 1, "pad": 2}, {})],
    # cs231n's layer_utils.py: the sandwich layers
    "affine_relu": [("x (4,3,5) -> 7", (4, 3, 5), {"W": (15, 7), "b": (7,)}, {}),
                    ("x (5,6) -> 3", (5, 6), {"W": (6, 3), "b": (3,)}, {}),
               # for a layer that takes them ("Neural Networks from Scratch"'s Layer_Dense): four
               # different coefficients, so that one used for another is seen
               ("x (5,6) -> 3 with L1 and L2 regularizers", (5, 6),
                {"W": (6, 3), "b": (3,), "weight_regularizer_l1": 0.01, "weight_regularizer_l2": 0.02,
                 "bias_regularizer_l1": 0.03, "bias_regularizer_l2": 0.04}, {"takes": "weight_regularizer_l1"})],
    "conv_relu": [("stride 1 pad 1 (2,3,5,4) * (4,3,3,3)", (2, 3, 5, 4),
                   {"W": (4, 3, 3, 3), "b": (4,), "stride": 1, "pad": 1}, {}),
                  ("stride 2 pad 0 (2,2,7,6) * (3,2,3,2)", (2, 2, 7, 6),
                   {"W": (3, 2, 3, 2), "b": (3,), "stride": 2, "pad": 0}, {})],
    "conv_relu_pool": [("conv 3x3 pad 1, pool 2x2 stride 2 (2,3,6,4) * (4,3,3,3)", (2, 3, 6, 4),
                        {"W": (4, 3, 3, 3), "b": (4,), "stride": 1, "pad": 1, "pool_h": 2, "pool_w": 2,
                         "pool_stride": 2}, {"fd": False})],
    "max_pool": [("2x2 stride 2 (2,3,6,4)", (2, 3, 6, 4), {"pool_h": 2, "pool_w": 2, "stride": 2}, {"fd": False}),
                 ("3x2 stride 1 (2,2,5,7)", (2, 2, 5, 7), {"pool_h": 3, "pool_w": 2, "stride": 1}, {"fd": False}),
                 ("ties after ReLU", (2, 2, 4, 6), {"pool_h": 2, "pool_w": 2, "stride": 2},
                  {"ties": True, "fd": False})],
    "softmax_loss": [("labels (6,4)", (6, 4), {}, {}), ("one-hot (5,3)", (5, 3), {}, {"one_hot": True}),
                     # exp overflows past 709 (88 in float32): only a max-shifted softmax stays finite
                     ("large logits 800 + 30 * randn (4,5)", (4, 5), {}, {"large": True, "fd": False})],
    "svm_loss": [("labels (7,5)", (7, 5), {}, {})],
    # "Deep Learning from Scratch 2": MatMul (x @ W, no bias), SigmoidWithLoss (scores (N,), labels 0/1
    # as integers, as its negative sampling passes them), TimeSoftmaxWithLoss (label -1 ignored)
    "matmul": [("x (5,6) @ W (6,3)", (5, 6), {"W": (6, 3)}, {}), ("x (1,7) @ W (7,4)", (1, 7), {"W": (7, 4)}, {})],
    "sigmoid_loss": [("scores (8,), labels 0/1", (8,), {}, {"binary_ids": True}),
                     ("large scores 40 * randn (6,)", (6,), {}, {"binary_ids": True, "spread": 40.0, "fd": False})],
    "time_softmax_loss": [("N=3 T=4 V=5, some labels -1 (ignored)", (3, 4, 5), {}, {"ignore": 0.3}),
                          ("N=2 T=3 V=6", (2, 3, 6), {}, {}),
                          ("large logits 800 + 30 * randn (2,2,4)", (2, 2, 4), {}, {"large": True, "fd": False})],
    # "Neural Networks from Scratch"'s losses of predictions: probabilities (a softmax's or a
    # sigmoid's) or values
    "categorical_crossentropy": [("probabilities, labels (6,4)", (6, 4), {}, {"probs": True}),
                                 ("probabilities, one-hot (5,3)", (5, 3), {}, {"probs": True, "one_hot": True})],
    "binary_crossentropy": [("probabilities (6,3), targets 0/1", (6, 3), {}, {"sigmoid": True, "binary": True})],
    "mse": [("(6,3)", (6, 3), {}, {"regression": True})],
    "mae": [("(6,3)", (6, 3), {}, {"regression": True})],
    # a linear classifier's loss f(W, X, y, reg): the input is W (D, C), the data X (N, D)
    "linear_svm": [("W (5,4) X (6,5) reg 0", (5, 4), {"X": (6, 5), "reg": 0.0}, {}),
                   ("W (7,3) X (9,7) reg 0.3", (7, 3), {"X": (9, 7), "reg": 0.3}, {})],
    "linear_softmax": [("W (5,4) X (6,5) reg 0", (5, 4), {"X": (6, 5), "reg": 0.0}, {}),
                       ("W (7,3) X (9,7) reg 0.3", (7, 3), {"X": (9, 7), "reg": 0.3}, {}),
                       ("large scores ~1000 (4,5)", (4, 5), {"X": (6, 4), "reg": 0.0}, {"large": True, "fd": False})],
    # cs231n's assignment 3 (rnn_layers.py): x (N, D) for a step, (N, T, D) for a sequence; weights
    # scaled by 1/sqrt(fan-in) so that tanh and the gates are not saturated (a saturated gate hides a
    # wrong derivative); T = 1 too (a loop that skips the first or last step)
    "rnn_step": [("N=3 D=5 H=4", (3, 5), {"prev_h": (3, 4), "Wx": (5, 4), "Wh": (4, 4), "b": (4,)}, {"fan_in": True})],
    "rnn": [("N=3 T=4 D=5 H=6", (3, 4, 5), {"h0": (3, 6), "Wx": (5, 6), "Wh": (6, 6), "b": (6,)}, {"fan_in": True}),
            ("N=2 T=1 D=3 H=4", (2, 1, 3), {"h0": (2, 4), "Wx": (3, 4), "Wh": (4, 4), "b": (4,)}, {"fan_in": True})],
    "lstm_step": [("N=3 D=5 H=4", (3, 5), {"prev_h": (3, 4), "prev_c": (3, 4), "Wx": (5, 16), "Wh": (4, 16),
                                           "b": (16,)}, {"fan_in": True})],
    "lstm": [("N=3 T=4 D=5 H=4", (3, 4, 5), {"h0": (3, 4), "Wx": (5, 16), "Wh": (4, 16), "b": (16,)},
              {"fan_in": True}),
             ("N=2 T=1 D=3 H=3", (2, 1, 3), {"h0": (2, 3), "Wx": (3, 12), "Wh": (3, 12), "b": (12,)}, {"fan_in": True})],
    "temporal_affine": [("N=3 T=4 D=5 M=6", (3, 4, 5), {"W": (5, 6), "b": (6,)}, {}),
                        ("N=2 T=1 D=3 M=2", (2, 1, 3), {"W": (3, 2), "b": (2,)}, {})],
    # ids in [0, 7): repeated ids must add up their gradients (dW[x] += dout does not)
    "word_embedding": [("ids (3,4) V=7 D=5, repeated", (3, 4), {"W": (7, 5)}, {"ids": 7}),
                       ("ids (2,6) V=3 D=2, every id repeated", (2, 6), {"W": (3, 2)}, {"ids": 3})],
    # scores (N, T, V), labels (N, T), a mask with some positions off (padding)
    "temporal_softmax_loss": [("N=3 T=4 V=5, mask with padding", (3, 4, 5), {}, {"mask": 0.3}),
                              ("N=2 T=3 V=6, mask all on", (2, 3, 6), {}, {"mask": 0.0})],
}
CONFIG_KEYS = {"bn_param": ("mode", "eps", "momentum", "running_mean", "running_var"), "ln_param": ("eps",),
               "gn_param": ("eps",), "conv_param": ("stride", "pad"), "dropout_param": ("p", "mode", "seed"),
               "pool_param": ("pool_height", "pool_width", "stride"), "lrelu_param": ("alpha",)}
ALIASES = {"w": "W", "pool_height": "pool_h", "pool_width": "pool_w", "dropout_ratio": "p", "groups": "G",
           "num_groups": "G", "h_prev": "prev_h", "c_prev": "prev_c", "Wxh": "Wx", "Whh": "Wh", "h_0": "h0"}


def values_for(kind, shape, spec, flags, rng, dtype):
    """``(x, values)``: the input and every named value (arrays in ``dtype``) of one sample."""
    x = rng.standard_normal(shape)
    if flags.get("away"):
        x = np.sign(x) * (0.5 + np.abs(x))
    if flags.get("zeros"):
        x[rng.random(shape) < 0.3] = 0.0
    if flags.get("ties"):
        x = np.maximum(0.0, np.round(x))
    if flags.get("huge"):
        x = np.sign(x) * (800.0 + 30.0 * np.abs(x))
    if flags.get("spread"):
        x = flags["spread"] * x
    if flags.get("large"):                          # a linear classifier's W: with X > 0.5, scores ~1000 + 30 * randn
        x = 200.0 + 10.0 * x if kind.startswith("linear") else 800.0 + 30.0 * x
    if kind in ("batchnorm", "spatial_batchnorm"):
        x = 2.0 * x + 1.0
    if flags.get("probs"):
        x = np.exp(x - x.max(axis=1, keepdims=True))
        x /= x.sum(axis=1, keepdims=True)
    if flags.get("sigmoid"):
        x = 1.0 / (1.0 + np.exp(-x))
    if flags.get("ids"):
        x = rng.integers(0, flags["ids"], shape)
    values = {}
    for name, v in spec.items():
        drawn = isinstance(v, tuple)
        scale = 0.5 if name == "b" else 1 / np.sqrt(v[0]) if flags.get("fan_in") and name.startswith("W") else 1.0
        values[name] = (rng.standard_normal(v) * scale).astype(dtype) if drawn else v
    if flags.get("large") and "X" in values:
        values["X"] = np.abs(values["X"]) + values["X"].dtype.type(0.5)
    if kind in ("batchnorm", "spatial_batchnorm", "affine_bn_relu"):
        c = spec["gamma"][0]
        values.update(running_mean=rng.standard_normal(c).astype(dtype),
                      running_var=(0.5 + rng.random(c)).astype(dtype), momentum=0.9, eps=1e-5)
    if kind in ("layernorm", "groupnorm"):
        values["eps"] = 1e-5
    if kind == "dropout":
        values["seed"] = int(rng.integers(2**31))
    if kind in ("rnn", "lstm"):                     # "Deep Learning from Scratch 2"'s TimeRNN: set_state(h0) holds
        values["stateful"] = True
    if flags.get("mask") is not None:
        values["mask"] = rng.random(shape[:-1]) >= flags["mask"]
    return (x if flags.get("ids") else x.astype(dtype)), values


def labels_for(kind, shape, flags, rng, dtype):
    """Labels for scores of ``shape`` (N, C) (for a linear classifier: (len(X), W.shape[1]))."""
    if kind == "temporal_softmax_loss":
        return rng.integers(0, shape[-1], shape[:-1])
    if kind == "time_softmax_loss":
        y = rng.integers(0, shape[-1], shape[:-1])
        y[rng.random(y.shape) < flags.get("ignore", 0.0)] = -1
        y.flat[0] = max(y.flat[0], 0)               # one position counted at least
        return y
    if flags.get("binary_ids"):
        return rng.integers(0, 2, shape)
    if flags.get("binary"):
        return rng.integers(0, 2, shape).astype(dtype)
    if flags.get("regression"):
        return rng.standard_normal(shape).astype(dtype)
    y = rng.integers(0, shape[1], shape[0])
    if flags.get("one_hot"):
        return np.eye(shape[1], dtype=dtype)[y]
    return y


def lookup(values, name):
    name = ALIASES.get(name, name)
    return values[name] if name in values else KeyError


def nnfs_argument(values, name):
    """A constructor argument of "Neural Networks from Scratch": layer sizes from the sample's W,
    dropout's ``rate`` (the fraction dropped) from its p."""
    if name in ("n_inputs", "n_neurons") and "W" in values:
        return values["W"].shape[name == "n_neurons"]
    return lookup(values, "p" if name == "rate" else name)


def config_for(param_name, values):
    """A cs231n config dict (``bn_param``, ``conv_param``...) from the sample's values."""
    cfg = {}
    for key in CONFIG_KEYS.get(param_name, ()):
        if key == "mode":
            cfg[key] = "train"
            continue
        v = lookup(values, key)
        if param_name == "pool_param" and key == "stride" and "pool_stride" in values:
            v = values["pool_stride"]               # conv_relu_pool: the conv's stride is another
        if v is not KeyError:
            cfg[key] = v.copy() if isinstance(v, np.ndarray) else v
    return cfg
