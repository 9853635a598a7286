"""Adapters: hand-written NumPy code in the three common styles, wrapped into the duck type that
``check_layer`` takes, with its torch counterpart and parameter mapping chosen from the kind.

* function pairs with config dicts (cs231n): ``out, cache = affine_forward(x, w, b)``,
  ``dx, dw, db = affine_backward(dout, cache)``; ``batchnorm_forward(x, gamma, beta, bn_param)``...
* classes with parameter and gradient attributes ("Deep Learning from Scratch"): ``Affine(W, b)``
  with ``dW``/``db``, ``forward(x, train_flg=True)``, ``backward(dout)``; loss layers
  ``forward(x, t)`` / ``backward(dout=1)``; and "Neural Networks from Scratch"'s ``Layer_Dense``
  (``weights``/``dweights``, ``biases`` (1, M)) whose ``forward``/``backward`` leave their results in
  ``self.output``/``self.dinputs``
* this project's own duck type (``named_parameters``/``named_grads``/``forward(x, training)``), used as is

``check_component(...)`` checks any of them; on a failure it retries under each convention that
could explain it and adds a hint naming the one that does (``conventions.py``).
"""
import inspect

import numpy as np
import torch
from torch import nn

from torch_ref.losses import svm_loss as torch_svm_loss
from torch_ref.mapping import Param, as_param

from . import activation_reference as AR, conventions as conv
from . import dropout_object as DROPOUT, recurrent_reference as recurrent
from .api import check_layer, check_loss
from .compare import cast_back
from .lr_backward import DINPUTS, _generators, _through_call
from .report import Report

PARAM_ROLES = {"w": "weight", "W": "weight", "weight": "weight", "weights": "weight", "b": "bias", "bias": "bias",
               "biases": "bias", "gamma": "gamma", "beta": "beta"}
BUFFER_NAMES = ("running_mean", "running_var")
BN_KINDS = ("batchnorm", "spatial_batchnorm", "affine_bn_relu")     # running statistics in a bn_param
LOSS_KINDS = ("softmax_loss", "svm_loss", "sigmoid_loss", "time_softmax_loss")
# "Neural Networks from Scratch"'s Layer_Dense built with these adds l1 * sign(p) + 2 * l2 * p to the
# gradient of its weights (``weight_``) and biases (``bias_``) in backward; the loss holds the penalty
REGULARIZERS = ("weight_regularizer_l1", "weight_regularizer_l2", "bias_regularizer_l1", "bias_regularizer_l2")


class MappingError(KeyError):
    def __str__(self):
        return self.args[0]


def kind_of(name):
    """The component kind a user's name stands for (``conv_forward_naive`` -> conv), or None."""
    n = name.lower().replace("_forward", "").replace("_backward", "")
    if n == "activation_linear":                    # "Neural Networks from Scratch": the identity
        return "identity"
    for prefix in ("layer_", "activation_"):        # its Layer_Dense, Activation_ReLU...
        n = n[len(prefix):] if n.startswith(prefix) else n
    for suffix in ("_naive", "_fast", "_alt", "_vectorized", "_reshape", "_im2col", "_strides"):
        n = n.replace(suffix, "")
    table = {"affine": "affine", "linear": "affine", "relu": "relu", "leaky_relu": "leaky_relu",
             "leakyrelu": "leaky_relu", "sigmoid": "sigmoid", "tanh": "tanh", "batchnorm": "batchnorm",
             "batchnormalization": "batchnorm", "spatial_batchnorm": "spatial_batchnorm",
             "layernorm": "layernorm", "spatial_groupnorm": "groupnorm", "groupnorm": "groupnorm",
             "dropout": "dropout", "conv": "conv", "convolution": "conv", "max_pool": "max_pool",
             "pooling": "max_pool", "maxpool": "max_pool", "avg_pool": "avg_pool", "svm_loss": "svm_loss",
             "softmax_loss": "softmax_loss", "softmaxwithloss": "softmax_loss", "affine_relu": "affine_relu",
             "affine_bn_relu": "affine_bn_relu", "affine_batchnorm_relu": "affine_bn_relu",
             "conv_relu": "conv_relu", "conv_relu_pool": "conv_relu_pool", "rnn_step": "rnn_step", "rnn": "rnn",
             "lstm_step": "lstm_step", "lstm": "lstm", "word_embedding": "word_embedding",
             "temporal_affine": "temporal_affine", "softmax": "softmax", "dense": "affine"}
    squeezed = n.replace("_", "")                   # elu, gelu, swish, hard_tanh, relu6...: torch's activations
    return table.get(n) or (AR.NAMES[squeezed] if AR.NAMES.get(squeezed) not in (None, "prelu") else None)


class _Adapter:
    """What ``check_layer`` needs: named_parameters/grads/buffers, train, describe, forward, backward."""
    training = True

    def __init__(self, name, kind, copy_dout=False, keep_dtype=False):
        self.name, self.kind, self.copy_dout, self.keep_dtype = name, kind, copy_dout, keep_dtype
        self._replay, self._state, self._dtype = False, None, None
        if kind == "dropout":
            self.mask = None

    def describe(self):
        return self.name

    def train(self, mode=True):
        self.training = mode
        return self

    def _as_input_dtype(self, arr):
        """``dtype=promotes``: code that computes in float64 (``np.zeros(shape)`` without a dtype) has
        its outputs and gradients cast back to the input's dtype, so only the numbers are judged."""
        if not self.keep_dtype or arr is None or self._dtype is None:
            return arr
        return cast_back(arr, self._dtype)

    def forward(self, x, training=True):
        self._dtype = np.asarray(x).dtype
        if self._dtype.kind in "iub":               # integer ids (a word embedding): its weights' dtype
            self._dtype = next((np.asarray(v).dtype for v in self.named_parameters().values()
                                if np.asarray(v).dtype.kind == "f"), self._dtype)
        out = self._forward_masked(x, training)
        self.float32_seen = getattr(self, "float32_seen", False) or has_float32(out, *self._kept())
        return self._as_input_dtype(out)

    def _kept(self):
        """What the code keeps after a forward (a function pair's cache), for ``compute=float32``."""
        return [getattr(self, "cache", None)]

    def _rng_state(self):
        """np.random's state and that of the generators the user's object keeps (``self.rng =
        np.random.default_rng(seed)``), to draw the same mask again."""
        gens = _generators(self.obj) if getattr(self, "obj", None) is not None else []
        return np.random.get_state(), [(g, g.get_state() if isinstance(g, np.random.RandomState)
                                        else g.bit_generator.state) for g in gens]

    @staticmethod
    def _set_rng_state(state):
        np.random.set_state(state[0])
        for g, st in state[1]:
            if isinstance(g, np.random.RandomState):
                g.set_state(st)
            else:
                g.bit_generator.state = st

    def _forward_masked(self, x, training):
        if self.kind == "dropout" and training:
            if self._replay:                        # finite differences: the same mask again
                self._set_rng_state(self._state)
                self._replay = False
            else:
                self._state = self._rng_state()
            out = self._forward(x, training)
            self.mask = out != 0
            return out
        return self._forward(x, training)

    def backward(self, dout):
        return self._as_input_dtype(self._backward(np.array(dout, copy=True) if self.copy_dout else dout))

    def named_grads(self):
        return {k: self._as_input_dtype(v) for k, v in self._grads().items()}

    def penalty(self):
        """``fn() -> float``, the L1/L2 penalty whose gradient the layer's backward adds to its
        parameters' (its regularizers, ``REGULARIZERS``), or None without one: finite differences
        take the gradient of sum(forward(x) * dout) + penalty."""
        coef = {k: float(getattr(self, "hyper", {}).get(k) or 0.0) for k in REGULARIZERS}
        if not any(coef.values()):
            return None
        roles = getattr(self, "roles", PARAM_ROLES)

        def fn():
            total = 0.0
            for k, v in self.named_parameters().items():
                l1, l2 = (coef.get(f"{roles.get(k)}_regularizer_{n}", 0.0) for n in ("l1", "l2"))
                total += l1 * np.abs(v).sum() + l2 * np.square(v).sum()
            return total
        return fn

    def peek(self, x):
        """The keep-mask the user's dropout will draw for ``x``: its output on ones of that shape (so an
        input that is 0 after a ReLU cannot pass for a dropped unit); np.random is restored after."""
        state = self._rng_state()
        try:
            return self._forward(np.ones_like(x), True) != 0
        finally:
            self._set_rng_state(state)

    def set_mask(self, mask):
        self._replay = True


class FunctionPair(_Adapter):
    """``out, cache = forward(x, *args)`` and ``dx[, dparams...] = backward(dout, cache)``. ``args``
    maps each argument name of ``forward`` after ``x`` to its value: arrays are parameters (their
    gradients come back from backward in the same order), a dict is the config (its ``mode`` is set
    to 'train'/'test'; its running_mean/running_var are buffers), anything else a hyperparameter."""

    def __init__(self, forward, backward, args, name=None, kind=None, copy_dout=False, keep_dtype=False):
        super().__init__(name or forward.__name__, kind or kind_of(forward.__name__), copy_dout, keep_dtype)
        self.fwd, self.bwd, self.args = forward, backward, dict(args)
        self.params = {k: v for k, v in self.args.items() if isinstance(v, np.ndarray)}
        self.config = next((v for v in self.args.values() if isinstance(v, dict)), None)
        if self.kind in BN_KINDS and self.config is not None and self.params:
            first = self.params.get("gamma", next(iter(self.params.values())))   # cs231n's default: stats start at 0
            for k in BUFFER_NAMES:
                self.config.setdefault(k, np.zeros(first.size, dtype=first.dtype))
        self.hyper = {**{k: v for k, v in self.args.items() if not isinstance(v, (np.ndarray, dict))},
                      **(self.config or {})}
        self.grads = {}

    def named_parameters(self):
        return self.params

    def _grads(self):
        return self.grads

    def named_buffers(self):
        return {k: self.config[k] for k in BUFFER_NAMES if self.config is not None and k in self.config}

    def _forward(self, x, training):
        if self.config is not None and ("mode" in self.config or self.kind in ("batchnorm", "spatial_batchnorm", "affine_bn_relu",
                                                                                "dropout")):
            self.config["mode"] = "train" if training else "test"
        res = self.fwd(x, *self.args.values())
        if not isinstance(res, (tuple, list)) or len(res) < 2:
            raise TypeError(f"{self.fwd.__name__} returned {type(res).__name__}; expected a tuple (out, cache)")
        *outs, self.cache = res
        if len(outs) == 1:
            self.widths = ()
            return outs[0]
        self.widths = [np.shape(o)[-1] for o in outs]
        return np.concatenate(outs, axis=-1)    # an LSTM step's next_h and next_c, side by side

    def _backward(self, dout):
        if len(getattr(self, "widths", ())) > 1:    # and their upstream gradients split again
            res = self.bwd(*np.split(dout, np.cumsum(self.widths)[:-1], axis=-1), self.cache)
        else:
            res = self.bwd(dout, self.cache)
        res = tuple(res) if isinstance(res, list) else res
        if self.kind == "word_embedding":           # integer ids: backward returns dW alone
            names = list(self.params)
            self.grads = dict(zip(names, res if isinstance(res, tuple) else (res,)))
            return None
        if not isinstance(res, tuple):
            return res
        dx, *rest = res
        names = list(self.params)
        if len(rest) != len(names):
            raise ValueError(f"{self.bwd.__name__} returned {1 + len(rest)} values; expected dx and the "
                             f"gradients of {names}")
        self.grads = dict(zip(names, rest))
        return dx


class ObjectLayer(_Adapter):
    """An object with parameter attributes (W, b, gamma, beta; "Neural Networks from Scratch"'s
    weights, biases), gradients ``d<name>``, buffers running_mean/running_var, ``forward(x[, train_flg])``
    and ``backward(dout)``, returning their results or, when they return None, leaving them in
    ``self.output`` and ``self.dinputs``. Hyperparameters are its int and float attributes (stride,
    pad, momentum...) and ``hyper``; a BatchNorm without an ``eps`` attribute is taken to use the
    book's hard-coded 10e-7."""

    def __init__(self, obj, name=None, kind=None, copy_dout=False, hyper=None, keep_dtype=False):
        if not (callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))):
            what = getattr(obj, "__name__", type(obj).__name__)
            raise TypeError(f"check_component: {what} has no forward() and backward(); pass a layer object, a "
                            f"(forward, backward) pair of functions, or a loss function with y= (a loss is "
                            f"'(loss, dx) = f(x, y)'); a forward-only function has no gradient to check")
        found = kind or kind_of(name or "") or next((kind_of(c.__name__) for c in type(obj).__mro__
                                                      if kind_of(c.__name__)), None)
        super().__init__(name or type(obj).__name__, found, copy_dout, keep_dtype)
        self.obj = obj
        self.hyper = {**{k: v for k, v in vars(obj).items() if isinstance(v, (int, float))}, **(hyper or {})}
        if self.kind in ("batchnorm", "spatial_batchnorm"):
            self.hyper.setdefault("eps", 1e-6)     # "Deep Learning from Scratch" hard-codes 10e-7
            gamma = getattr(obj, "gamma", None)
            for k in BUFFER_NAMES:                  # the book creates them as zeros at the first forward:
                if hasattr(obj, k) and getattr(obj, k) is None and isinstance(gamma, np.ndarray):
                    setattr(obj, k, np.zeros(gamma.size, dtype=gamma.dtype))    # the same, now, so torch copies them
        # forward(x, train_flg) or forward(x): a forward without a mode has no eval mode to check
        self.takes_mode = len(inspect.signature(obj.forward).parameters) > 1

    def named_parameters(self):
        return {k: v for k, v in vars(self.obj).items() if k in PARAM_ROLES and isinstance(v, np.ndarray)}

    def _kept(self):
        return list(getattr(self.obj, "__dict__", {}).values())      # a mask, an output kept as an attribute

    def _grads(self):
        return {k: getattr(self.obj, "d" + k, None) for k in self.named_parameters()}

    def named_buffers(self):
        return {k: getattr(self.obj, k) for k in BUFFER_NAMES if isinstance(getattr(self.obj, k, None), np.ndarray)}

    def _forward(self, x, training):
        # called as its users call it where its __call__ does more than its forward (PyEZNet's local gradient)
        fwd = self.obj if _through_call(type(self.obj), "forward") else self.obj.forward
        out = fwd(x, training) if self.takes_mode else fwd(x)
        return self.obj.output if out is None and hasattr(self.obj, "output") else out

    def _backward(self, dout):
        dx = self.obj.backward(dout)
        left = next((a for a in DINPUTS if hasattr(self.obj, a)), None)    # self.dinputs (or mapicx's dinput)
        return getattr(self.obj, left) if dx is None and left else dx


# "Deep Learning from Scratch 2": class name -> kind (its RNN and LSTM are one step; TimeRNN the sequence)
LIST_KINDS = {"MatMul": "matmul", "Affine": "affine", "Softmax": "softmax", "Sigmoid": "sigmoid", "Relu": "relu",
              "Dropout": "dropout", "TimeDropout": "dropout", "Embedding": "word_embedding",
              "TimeEmbedding": "word_embedding", "TimeAffine": "temporal_affine", "RNN": "rnn_step",
              "LSTM": "lstm_step", "TimeRNN": "rnn", "TimeLSTM": "lstm", "SoftmaxWithLoss": "softmax_loss",
              "SigmoidWithLoss": "sigmoid_loss", "TimeSoftmaxWithLoss": "time_softmax_loss"}


def holds_lists(obj):
    """Whether ``obj`` keeps its parameters as "Deep Learning from Scratch 2" does: ``self.params`` and
    ``self.grads``, lists of arrays of the same shapes."""
    return _lists_problem(obj) is None


def _lists_problem(obj):
    """Why ``obj``'s ``params``/``grads`` are not the book's lists of arrays of the same shapes, or None."""
    params, grads = getattr(obj, "params", None), getattr(obj, "grads", None)
    if not isinstance(params, list) or not isinstance(grads, list):
        return f"params is {type(params).__name__} and grads {type(grads).__name__}, not lists"
    if len(params) != len(grads):
        return f"params holds {len(params)} arrays and grads {len(grads)}"
    for i, (a, g) in enumerate(zip(params, grads)):
        if not isinstance(a, np.ndarray) or not isinstance(g, np.ndarray):
            return f"params[{i}] is {type(a).__name__} and grads[{i}] {type(g).__name__}, not arrays"
        if a.shape != g.shape:
            return f"params[{i}] has shape {a.shape} and grads[{i}] {g.shape}"
    return None


def keeps_lists_partly(obj):
    """An object with ``params`` and ``grads`` that are not the book's lists: what is wrong, or None."""
    if getattr(obj, "params", None) is None or getattr(obj, "grads", None) is None or hasattr(obj, "named_parameters"):
        return None
    return _lists_problem(obj)


# the names a kind's arrays take when its constructor's arguments are not them (Affine(input_size, output_size))
LIST_NAMES = {"affine": ("W", "b"), "matmul": ("W",), "word_embedding": ("W",), "temporal_affine": ("W", "b"),
              "rnn_step": ("Wx", "Wh", "b"), "lstm_step": ("Wx", "Wh", "b"), "rnn": ("Wx", "Wh", "b"),
              "lstm": ("Wx", "Wh", "b")}
RECURRENT_NAMES = {"Wx", "Wh", "Wxh", "Whh"}


class ListLayer(ObjectLayer):
    """A layer of "Deep Learning from Scratch 2": parameters in ``self.params`` (a list in its
    constructor's argument order: ``Affine(W, b)``, ``RNN(Wx, Wh, b)``), gradients written into
    ``self.grads`` in place by backward (a gradient array replaced instead is an error: the book's
    model and optimizer hold the original); ``forward(x)``, its Dropout ``forward(x, train_flg)``, its
    TimeDropout a ``train_flg`` attribute. A recurrent step takes its states as more forward inputs
    (``RNN.forward(x, h_prev)``, ``LSTM.forward(x, h_prev, c_prev)``: ``states``, in order) and returns
    their gradients after dx; a Time layer (``TimeRNN``, ``TimeLSTM``, built with ``stateful=True``) is
    given its first hidden state by ``set_state(h)`` and leaves its gradient in ``dh``. States are
    checked like parameters."""

    def __init__(self, obj, states=(), name=None, kind=None, **kw):
        super().__init__(obj, name=name, kind=kind or LIST_KINDS.get(type(obj).__name__), **kw)
        try:
            sig = [p for p in inspect.signature(type(obj).__init__).parameters.values()][1:]
        except (TypeError, ValueError):
            sig = []
        names = [p.name for p in sig if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        n = len(obj.params)
        names = names[:n] if len(names) >= n else []
        if not all(k in PARAM_ROLES or k in RECURRENT_NAMES for k in names):
            names = list(LIST_NAMES.get(self.kind, ())) if len(LIST_NAMES.get(self.kind, ())) == n else []
        self.names = names or [f"params[{i}]" for i in range(n)]
        fwd = [p.name for p in inspect.signature(obj.forward).parameters.values()][1:]
        self.step_states = self.kind in ("rnn_step", "lstm_step")
        state_names = fwd if self.step_states else ["h0"] * (self.kind in ("rnn", "lstm"))
        states = list(states)
        if states and len(states) != len(state_names):
            raise TypeError(f"{self.name}: takes {len(state_names)} state{'s' * (len(state_names) != 1)} after x "
                            f"({', '.join(state_names) or 'none'}), got {len(states)}"
                            + (" (a Time layer's c0 is not checked: set_state(h) only)" if self.kind == "lstm" else ""))
        if states and not self.step_states and getattr(obj, "stateful", True) is False:
            raise TypeError(f"{self.name}: built with stateful=False, it starts from zeros and ignores set_state(h0); "
                            f"build it with stateful=True to check it from h0")
        self.states = {k: np.asarray(v) for k, v in zip(state_names, states)}
        hidden = np.shape(obj.params[1])[0] if self.states and len(obj.params) > 1 else None
        for k, v in self.states.items():
            if v.ndim != 2 or v.shape[1] != hidden:
                raise TypeError(f"{self.name}: state {k} has shape {v.shape}; expected (N, H) with H = {hidden} "
                                f"(Wh's rows)")
        self.takes_mode = bool(fwd) and not self.step_states or "train_flg" in vars(obj)
        self.state_grads, self.widths = {}, ()
        self._grad_arrays = list(obj.grads)

    def named_parameters(self):
        return {**self.states, **dict(zip(self.names, self.obj.params))}

    def _grads(self):
        return {**self.state_grads, **{k: np.array(g, copy=True) for k, g in zip(self.names, self.obj.grads)}}

    def _check_states(self, x):
        hidden = np.shape(self.obj.params[1])[0] if len(self.obj.params) > 1 else None
        for k, v in self.states.items():
            want = (np.shape(x)[0], hidden)
            if hidden is not None and v.shape != want:
                raise ValueError(f"{self.name}: state {k} has shape {v.shape}; expected (N, H) = {want}")

    def _forward(self, x, training):
        obj = self.obj
        self._check_states(x)
        if "train_flg" in vars(obj) and len(inspect.signature(obj.forward).parameters) == 1:
            obj.train_flg = training                # TimeDropout
            out = obj.forward(x)
        elif self.step_states:
            out = obj.forward(x, *(v.copy() for v in self.states.values()))
        elif self.states:                           # TimeRNN / TimeLSTM: the first state, then the sequence
            obj.set_state(self.states["h0"].copy())
            out = obj.forward(x)
        else:
            out = obj.forward(x, training) if self.takes_mode else obj.forward(x)
        if isinstance(out, (tuple, list)):          # an LSTM step's h_next and c_next, side by side
            self.widths = [np.shape(o)[-1] for o in out]
            return np.concatenate(out, axis=-1)
        return out

    def _backward(self, dout):
        obj = self.obj
        parts = np.split(dout, np.cumsum(self.widths)[:-1], axis=-1) if len(self.widths) > 1 else [dout]
        res = obj.backward(*parts)
        for i, (was, now) in enumerate(zip(self._grad_arrays, obj.grads)):
            if now is not was:
                raise ValueError(f"backward replaced self.grads[{i}] with a new array instead of writing into it "
                                 f"(self.grads[{i}][...] = ...): the book's model and optimizer hold the original "
                                 f"array and would never see this gradient")
        if self.step_states:
            if not isinstance(res, (tuple, list)) or len(res) != 1 + len(self.states):
                raise ValueError(f"{self.name}.backward returned {type(res).__name__}; expected dx and the gradients "
                                 f"of {', '.join(self.states)}")
            dx, *rest = res
            self.state_grads = dict(zip(self.states, rest))
            return dx
        if self.states:
            self.state_grads = {"h0": getattr(obj, "dh", None)}
        return res


# ----------------------------------------------------------------- torch references
class Flatten2d(nn.Module):
    """cs231n's affine: x (N, d1, ..., dk) is reshaped to (N, D) first; then torch's Linear.
    ``penalty``: the regularizers' coefficients (``REGULARIZERS``, in order), whose gradient the
    backward adds to the weight's and the bias's."""

    def __init__(self, d_in, d_out, penalty=(0.0, 0.0, 0.0, 0.0)):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)
        self.penalty = tuple(penalty)

    def forward(self, x):
        out = self.linear(x.reshape(x.shape[0], -1))
        return out + _Penalty.apply(self.linear.weight, self.linear.bias, *self.penalty) if any(self.penalty) else out


class _Penalty(torch.autograd.Function):
    """Adds 0 to the output; its backward gives w and b the gradient of l1 * sum|p| + l2 * sum p**2,
    whatever the upstream gradient: what a regularized layer's backward adds."""

    @staticmethod
    def forward(ctx, w, b, l1w, l2w, l1b, l2b):
        ctx.save_for_backward(w, b)
        ctx.coef = (l1w, l2w, l1b, l2b)
        return w.new_zeros(())

    @staticmethod
    def backward(ctx, grad):
        (w, b), (l1w, l2w, l1b, l2b) = ctx.saved_tensors, ctx.coef
        return l1w * torch.sign(w) + 2 * l2w * w, l1b * torch.sign(b) + 2 * l2b * b, None, None, None, None


class Reshaped(Param):
    """A NumPy array that holds torch's tensor in another shape (groupnorm gamma (1, C, 1, 1) vs (C,))."""

    def __init__(self, torch_name, numpy_shape, torch_shape):
        super().__init__(torch_name)
        object.__setattr__(self, "shapes", (tuple(numpy_shape), tuple(torch_shape)))

    def to_torch(self, array):
        return np.ascontiguousarray(np.reshape(array, self.shapes[1]))

    def to_numpy(self, array):
        return np.ascontiguousarray(np.reshape(array, self.shapes[0]))


def _hyper(layer, *names, default=None):
    for n in names:
        if n in layer.hyper:
            return layer.hyper[n]
    return default


def _dropout_p(layer):
    """A dropout's p: the book's ``p`` or ``dropout_ratio``, else an attribute named as a drop probability
    (aeronet's ``probability``, ``rate``...) or as the keep probability (``keep_prob``: 1 - it), else 0.5."""
    p = _hyper(layer, "p", "dropout_ratio")
    found = DROPOUT.drop_of(layer.hyper) if p is None else None
    return float(p) if p is not None else found[0] if found else 0.5


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


TORCH_NAMES = {"affine": ["linear.weight", "linear.bias"], "conv": ["weight", "bias"]}


def _unmapped(layer, name, p, torch_names):
    return MappingError(f"{layer.name}: NumPy parameter '{name}' is unmapped; NumPy has {sorted(p)}, torch has "
                        f"{torch_names}; pass params={{'{name}': TORCH_NAME}}")


def _first(layer, p, role):
    """The array playing ``role`` (weight, gamma) by its conventional name or the user's mapping."""
    for k, v in p.items():
        if getattr(layer, "roles", PARAM_ROLES).get(k) == role:
            return v
    odd = next((k for k in p if k not in PARAM_ROLES), role)
    raise _unmapped(layer, odd, p, TORCH_NAMES.get(layer.kind, ["weight", "bias"]))


def _roles(kind, overrides):
    """Roles by NumPy name: the conventional names, then those the user mapped to a torch weight or bias."""
    roles = dict(PARAM_ROLES)
    norm = kind in ("batchnorm", "spatial_batchnorm", "layernorm", "groupnorm")
    for name, target in (overrides or {}).items():
        t = target if isinstance(target, str) else getattr(target, "torch_name", "")
        if "weight" in t:
            roles[name] = "gamma" if norm else "weight"
        elif "bias" in t:
            roles[name] = "beta" if norm else "bias"
    return roles


def _in_module(target, module):
    """A user's torch name as the reference module holds it: ``"weight.T"`` for an affine layer is
    the wrapped ``linear.weight`` (one module name ending in ``.weight``); other names stay as given."""
    p = as_param(target)
    names = [n for n, _ in module.named_parameters()] + [n for n, _ in module.named_buffers()]
    ends = [n for n in names if n.endswith("." + p.torch_name)]
    return Param(ends[0], p.transpose) if p.torch_name not in names and len(ends) == 1 else target


def reference(layer, conventions=None, overrides=None):
    """``(module, params, buffers)``: the torch counterpart of the adapted ``layer`` and the mappings
    from its NumPy names to torch names. Raises ``MappingError`` naming an unmapped parameter."""
    cv = conventions or {}
    kind, p = layer.kind, layer.named_parameters()
    layer.roles = _roles(kind, overrides)
    buffers = {}
    if kind == "affine":
        w = _first(layer, p, "weight")
        module = Flatten2d(*w.shape, penalty=[float(_hyper(layer, k, default=0.0) or 0.0) for k in REGULARIZERS])
        targets = {"weight": Param("linear.weight", True), "bias": "linear.bias"}
    elif kind == "matmul":                        # "Deep Learning from Scratch 2"'s MatMul: x @ W, no bias
        w = _first(layer, p, "weight")
        module, targets = nn.Linear(*w.shape, bias=False), {"weight": Param("weight", True)}
    elif kind == "affine_relu":                   # cs231n's layer_utils sandwiches
        w = _first(layer, p, "weight")
        module = nn.Sequential(Flatten2d(*w.shape), nn.ReLU())
        targets = {"weight": Param("0.linear.weight", True), "bias": "0.linear.bias"}
    elif kind == "affine_bn_relu":                # the sandwich a FullyConnectedNet with batchnorm is built from
        w, gamma = _first(layer, p, "weight"), _first(layer, p, "gamma")
        norm = conv.BatchNorm(gamma.size, _hyper(layer, "eps", default=1e-5), 1 - _hyper(layer, "momentum", default=0.9),
                              biased=cv.get("running_var") == "biased")
        module = nn.Sequential(Flatten2d(*w.shape), norm, nn.ReLU())
        targets = {"weight": Param("0.linear.weight", True), "bias": "0.linear.bias", "gamma": "1.weight",
                   "beta": "1.bias"}
        buffers = {k: Param(f"1.{k}") for k in layer.named_buffers()}
    elif kind in ("conv_relu", "conv_relu_pool"):
        w = _first(layer, p, "weight")
        parts = [nn.Conv2d(w.shape[1], w.shape[0], w.shape[2:], stride=_hyper(layer, "stride", default=1),
                           padding=_hyper(layer, "pad", default=0)), nn.ReLU()]
        if kind == "conv_relu_pool":
            pool = next((v for k, v in getattr(layer, "args", {}).items() if isinstance(v, dict) and "pool" in k), {})
            size = (pool.get("pool_height", pool.get("pool_h")), pool.get("pool_width", pool.get("pool_w")))
            parts.append(nn.MaxPool2d(size, stride=pool.get("stride", 1)))
        module, targets = nn.Sequential(*parts), {"weight": "0.weight", "bias": "0.bias"}
    elif kind in ("relu", "sigmoid", "tanh"):
        module, targets = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[kind](), {}
    elif kind == "softmax":                     # over the last axis, as every classifier's scores
        module, targets = nn.Softmax(dim=-1), {}
    elif kind == "identity":
        module, targets = nn.Identity(), {}
    elif kind == "leaky_relu":
        module, targets = nn.LeakyReLU(_hyper(layer, "alpha", "negative_slope", "slope", default=0.01)), {}
    elif kind in AR.KINDS:                          # elu, gelu, silu, softplus, hardtanh, mish...
        module, targets = AR.Activation(kind, layer.hyper, kind == "gelu" and _tanh_gelu(layer)), {}
    elif kind in ("batchnorm", "spatial_batchnorm"):
        gamma = _first(layer, p, "gamma")
        # both classic styles: momentum is the weight of the OLD value (torch's is 1 - that)
        m = _hyper(layer, "momentum", default=0.9)
        module = conv.BatchNorm(gamma.size, _hyper(layer, "eps", default=1e-5), 1 - m,
                                biased=cv.get("running_var") == "biased")
        targets = {"gamma": "weight", "beta": "bias"}
        buffers = {k: Param(k) for k in layer.named_buffers()}
    elif kind == "layernorm":
        gamma = _first(layer, p, "gamma")
        module = nn.LayerNorm(gamma.shape, eps=_hyper(layer, "eps", default=1e-5))
        targets = {"gamma": "weight", "beta": "bias"}
    elif kind == "groupnorm":
        gamma = _first(layer, p, "gamma")
        c = gamma.size
        module = nn.GroupNorm(_hyper(layer, "G", "groups"), c, eps=_hyper(layer, "eps", default=1e-5))
        targets = {"gamma": Reshaped("weight", gamma.shape, (c,)), "beta": Reshaped("bias", gamma.shape, (c,))}
    elif kind == "dropout":
        p_ = _dropout_p(layer)
        keep = p_ if cv.get("dropout_p") == "keep" else 1 - p_
        module, targets = conv.SameMaskDropout(keep, layer.peek, classic=cv.get("dropout") == "classic"), {}
    elif kind == "conv":
        w = _first(layer, p, "weight")
        module = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2:], stride=_hyper(layer, "stride", default=1),
                           padding=_hyper(layer, "pad", default=0))
        targets = {"weight": "weight", "bias": "bias"}
    elif kind in recurrent.ARGUMENTS:           # cs231n's assignment 3: the arrays after x, in order
        want = recurrent.ARGUMENTS[kind]
        if len(p) != len(want):
            raise MappingError(f"{layer.name}: expected the arrays ({', '.join(want)}) after x, got ({', '.join(p)})")
        order = "ifgo" if cv.get("lstm_gates") == "ifgo" else "fgio" if isinstance(layer, ListLayer) else "ifog"
        module = recurrent.Reference(kind, list(p.values()), order=order)
        targets, layer.roles = {k: k for k in want}, dict(zip(p, want))
    elif kind in ("max_pool", "avg_pool"):
        size = (_hyper(layer, "pool_height", "pool_h"), _hyper(layer, "pool_width", "pool_w"))
        stride, pad = _hyper(layer, "stride", default=1), _hyper(layer, "pad", default=0)
        if kind == "max_pool" and cv.get("pool_ties") in ("all", "split"):
            module = conv.TiedMaxPool(size, stride, pad, split=cv["pool_ties"] == "split")
        else:
            module = (nn.MaxPool2d if kind == "max_pool" else nn.AvgPool2d)(size, stride=stride, padding=pad)
        targets = {}
    else:
        raise MappingError(f"{layer.name}: no torch counterpart for kind {kind!r}; pass kind= (one of "
                           f"{', '.join(sorted(set(LIST_KINDS.values()) - set(LOSS_KINDS)))}...) or module= and params=")
    params = {}
    for name in p:
        role = layer.roles.get(name)
        if overrides and name in overrides:
            params[name] = _in_module(overrides[name], module)
            continue
        if role not in targets:
            raise _unmapped(layer, name, p, [n for n, _ in module.named_parameters()])
        params[name] = _reshaped(targets[role], p[name], module)
    return module, params, buffers


def _tanh_gelu(layer):
    """Whether the user's GELU is the tanh approximation: its output on a probe from -4 to 4 told
    apart (1e-3 from the exact one's at most, far more than any rounding)."""
    probe = np.linspace(-4.0, 4.0, 24).reshape(4, 6)
    try:
        out = np.asarray(layer.forward(probe.copy()), dtype=np.float64)
    except Exception:                               # noqa: BLE001 -- the user's forward: the check will say
        return False
    return AR.gelu_is_tanh(out, torch.from_numpy(probe), lambda a, b: np.shape(a) == np.shape(b) and
                           np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _reshaped(target, array, module):
    """A bias kept as a row, (1, M) against torch's (M,) ("Neural Networks from Scratch"), is the
    same numbers in another shape: mapped through ``Reshaped``; any other shape is left to fail."""
    t = as_param(target)
    tensor = dict(module.named_parameters()).get(t.torch_name)
    shape = np.shape(array)
    if t.transpose or tensor is None or tuple(tensor.shape) == shape or \
            tuple(d for d in shape if d != 1) != tuple(d for d in tensor.shape if d != 1):
        return target
    return Reshaped(t.torch_name, shape, tuple(tensor.shape))


# ----------------------------------------------------------------- one call per component, any style
def adapt(component, args=None, name=None, kind=None, conventions=None, hyper=None):
    """The adapter for ``component``: a ``(forward, backward)`` pair (with ``args``: the values after
    ``x``, as a dict by argument name or a list in order), an object of the class style (``hyper``:
    hyperparameters its attributes do not show), or an object that already has the project's duck
    type (returned as is)."""
    copy_dout = (conventions or {}).get("inplace_dout") == "allowed"
    keep = casts_back(conventions)
    if isinstance(component, tuple):
        fwd, bwd = component
        names = list(inspect.signature(fwd).parameters)[1:]
        args = args if isinstance(args, dict) else dict(zip(names, args or ()))
        return FunctionPair(fwd, bwd, args, name=name, kind=kind, copy_dout=copy_dout, keep_dtype=keep)
    if hasattr(component, "named_parameters"):
        return component
    if holds_lists(component):
        states = list(args.values()) if isinstance(args, dict) else list(args or ())
        return ListLayer(component, states, name=name, kind=kind, copy_dout=copy_dout, keep_dtype=keep, hyper=hyper)
    problem = keeps_lists_partly(component)
    if problem:
        raise TypeError(f"{name or type(component).__name__}: it keeps params and grads, but not as \"Deep Learning "
                        f"from Scratch 2\" does (lists of arrays, grads[i] the shape of params[i]): {problem}")
    return ObjectLayer(component, name=name, kind=kind, copy_dout=copy_dout, keep_dtype=keep, hyper=hyper)


def check_component(component, x, *args, y=None, kind=None, name=None, conventions=None, module=None, params=None,
                    buffers=None, eval_mode=None, hints=True, make=None, arguments=None, hyper=None, **kwargs):
    """Check user code of any style against torch; returns a ``Report``.

    ``check_component((affine_forward, affine_backward), x, w, b)``,
    ``check_component(Affine(W, b), x)``, ``check_component(softmax_loss, x, y=y)``,
    ``check_component(SoftmaxWithLoss(), x, y=t)``, ``check_component((batchnorm_forward,
    batchnorm_backward), x, gamma, beta, bn_param, conventions={"running_var": "biased"})``.
    ``arguments={"w": w, "b": b}`` gives a function pair's arguments by name instead of ``*args``.
    ``module``/``params``/``buffers`` override the torch reference and the mapping; ``hyper`` gives a
    class-style layer hyperparameters its attributes do not show (``{"p": 0.3}`` for a dropout that
    keeps its keep probability in ``rate``). A failure that a
    single undeclared convention explains gets the hint (``make()``, returning a fresh component, lets
    the retry start from the same state; by default the arrays are copied before the first run)."""
    cv = conv.parse(conventions or {})
    if hyper is not None and not isinstance(hyper, dict):
        raise TypeError(f"check_component: hyper= takes a dict of hyperparameters such as {{'p': 0.3}}, "
                        f"got {type(hyper).__name__}")
    for k in REGULARIZERS:
        v = (hyper or {}).get(k, 0.0)
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not 0 <= v < np.inf:
            raise ValueError(f"check_component: hyper={{'{k}': ...}} must be a finite number >= 0 (the "
                             f"penalty's coefficient), got {v!r}")
    fresh = make or _snapshot(component, arguments if arguments is not None else args)
    report = _check_once(fresh(), x, y, kind, name, cv, module, params, buffers, eval_mode, kwargs, hyper)
    if report.passed or not hints or module is not None:
        return report
    found = explain(lambda c: _check_once(fresh(), x, y, kind, name, c, None, params, buffers, eval_mode, kwargs,
                                          hyper),
                    report, _kind(component, kind, name), cv)
    if found:
        for r in report.failures:
            r.note = (r.note + "; " if r.note else "") + "hint: " + conv.hint(*found)
    return report


def explain(run, report, kind, declared):
    """The single convention ``(name, value)`` under which ``run(conventions)`` passes, or None."""
    for name, value in conv.candidates(kind, declared):
        if run({**declared, name: value}).passed:
            return name, value
    return None


def _kind(component, kind, name):
    if kind:
        return kind
    if isinstance(component, tuple):
        return kind_of(component[0].__name__)
    if inspect.isfunction(component):
        return kind_of(component.__name__)
    if holds_lists(component) and not name:
        return LIST_KINDS.get(type(component).__name__)
    return kind_of(name or type(component).__name__)


def _snapshot(component, args):
    import copy
    state = copy.deepcopy((component, args))
    return lambda: copy.deepcopy(state)


def has_float32(*things):
    """Whether a float32 array is among ``things`` (or inside a tuple, list or dict among them): code
    under ``compute=float32`` must show one, its output or an array it keeps (a mask, a cache)."""
    for t in things:
        items = t.values() if isinstance(t, dict) else t if isinstance(t, (tuple, list)) else (t,)
        if any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in items):
            return True
    return False


COMPUTE_NOT_FLOAT32 = ("compute=float32 does not apply: for float64 input, neither its output nor an array it "
                       "keeps is float32, so float32's tolerance would only hide an error")


def casts_back(conventions):
    """Whether outputs and gradients are cast back to the input's dtype before they are judged:
    ``dtype=promotes`` (float64 for float32 input) and ``compute=float32`` (float32 for float64 input)."""
    cv = conventions or {}
    return cv.get("dtype") == "promotes" or cv.get("compute") == "float32"


def _check_once(fresh, x, y, kind, name, cv, module, params, buffers, eval_mode, kwargs, hyper=None):
    component, args = fresh
    k = _kind(component, kind, name)
    if "compute" in cv and not {"*", k} & set(conv.CONVENTIONS["compute"][1]):
        cv = {n: v for n, v in cv.items() if n != "compute"}   # declared for a whole scan: not this kind's
    if k in LOSS_KINDS or y is not None:
        fn = loss_function(component, keep_dtype=casts_back(cv))
        label = name or getattr(component, "__name__", type(component).__name__)
        if "softmax_eps" in cv:     # the value is -log(p_y + eps) but the gradient exact: the value's finite
            kwargs = {**kwargs, "finite_differences": False}    # differences are not that gradient; torch's is
        kwargs = _float32_compute(cv, np.asarray(x).dtype, kwargs)
        report = check_loss(fn, module or torch_loss(k, cv, y), x, y, component=label, **kwargs)
        return _not_float32(report, cv, np.asarray(x).dtype, getattr(fn, "float32_seen", False), label, kwargs, x)
    layer = adapt(component, args, name=name, kind=kind, conventions=cv, hyper=hyper)
    if isinstance(layer, ListLayer):
        layer._check_states(x)                      # a state of another batch size: said before torch runs
    if not isinstance(layer, _Adapter):             # the project's duck type: its torch mirror, as check_layer does
        return check_layer(layer, module, params, x, buffers=buffers, eval_mode=bool(eval_mode), **kwargs)
    if module is None:
        try:
            module, auto_params, auto_buffers = reference(layer, cv, params)
        except (MappingError, TypeError) as e:
            from .compare import failed
            return Report([failed(str(e), check="error", component=layer.name,
                                  dtype=np.asarray(x).dtype.name, sample=kwargs.get("sample", ""),
                                  shape=tuple(np.shape(x)), seed=kwargs.get("seed", 0))])
        params = {**params, **auto_params} if params else auto_params     # the user's names as the module has them
        buffers = auto_buffers if buffers is None else buffers
    run_dtype = np.asarray(x).dtype
    if run_dtype.kind != "f":                       # integer ids: the weights' dtype
        run_dtype = next((np.asarray(v).dtype for v in layer.named_parameters().values()
                          if np.asarray(v).dtype.kind == "f"), run_dtype)
    kwargs = _float32_compute(cv, run_dtype, kwargs)
    if eval_mode is None:
        # a class whose forward takes no mode ("Neural Networks from Scratch" chapters 15-18: forward(inputs))
        # has no eval mode to check
        eval_mode = layer.kind in BN_KINDS + ("dropout",) and getattr(layer, "takes_mode", True)
    # a backward after an eval forward: cs231n's dropout defines one; batchnorm caches and classes do not
    kwargs.setdefault("eval_backward", layer.kind == "dropout" and isinstance(layer, FunctionPair))
    if layer.kind == "dropout":
        kwargs.setdefault("finite_differences", False if np.asarray(x).dtype != np.float64 else None)
    report = check_layer(layer, module, params, x, buffers=buffers, eval_mode=eval_mode, **kwargs)
    if layer.kind == "dropout":
        report.extend(_keep_share(layer, cv, np.asarray(x).dtype, kwargs))
    return _not_float32(report, cv, run_dtype, getattr(layer, "float32_seen", False), layer.name, kwargs, x)


def _not_float32(report, cv, dtype, seen, name, kwargs, x):
    """Under ``compute=float32``, a float64 run whose code showed no float32 array fails: the convention
    is for code that computes in float32, not a looser tolerance for any code."""
    if cv.get("compute") != "float32" or dtype != np.float64 or seen:
        return report
    from .compare import failed
    report.extend(Report([failed(COMPUTE_NOT_FLOAT32, check="compute", component=name, dtype="float64",
                                 sample=kwargs.get("sample", ""), shape=tuple(np.shape(x)), seed=kwargs.get("seed", 0))]))
    return report


def _float32_compute(cv, dtype, kwargs):
    """Under ``compute=float32``, float64 samples are judged at float32's tolerance and without finite
    differences: code that computes in float32 whatever it is given is right only to float32's
    precision, and finite differences of float32 values (h = 1e-5) measure its rounding."""
    if cv.get("compute") != "float32" or dtype != np.float64:
        return kwargs
    from .tolerance import POLICY
    return {**kwargs, "finite_differences": False,
            "tolerances": {"float64": POLICY["float32"], **(kwargs.get("tolerances") or {})}}


def _keep_share(layer, cv, dtype, kwargs):
    """The share of elements a dropout keeps in training, on 50,000 ones, against the keep probability
    its p stands for (1 - p; p under ``dropout_p=keep``): the values compared elsewhere are read from
    its own output, so a mask that keeps the wrong share (p for 1 - p, or everything) shows here."""
    from .compare import SHARE_SHAPE, failed, kept_share
    p = _dropout_p(layer)
    keep = p if cv.get("dropout_p") == "keep" else 1 - p
    meta = dict(component=layer.name, check="keep_share", dtype=dtype.name, sample=kwargs.get("sample", ""),
                shape=SHARE_SHAPE, seed=kwargs.get("seed", 0))
    state = np.random.get_state()
    try:
        np.random.seed(meta["seed"] % 2**32)
        out = layer.forward(np.ones(SHARE_SHAPE, dtype=dtype), training=True)
    except (Exception, SystemExit) as e:        # noqa: BLE001 -- the user's code (its crash is reported already)
        return Report([failed(f"raised {type(e).__name__} on ones of shape {SHARE_SHAPE}: {e}", **meta)])
    finally:
        np.random.set_state(state)
    if out is None or np.shape(out) != SHARE_SHAPE:
        return Report([])                           # the forward check says what is wrong
    what = f"p = {p:g} read as the keep probability" if cv.get("dropout_p") == "keep" else \
        f"1 - p, p = {p:g} the drop probability"
    return Report([kept_share(out, keep, what, **meta)])


def loss_function(component, keep_dtype=False):
    """``(loss, dx) = fn(x, y)`` from a loss function or a loss layer (``forward(x, t)``, ``backward()``);
    ``keep_dtype`` (``dtype=promotes``) casts both back to the dtype of ``x``."""
    if inspect.isfunction(component):
        base = component
    else:
        def base(x, y):
            loss = component.forward(x, y)
            return loss, component.backward()
    if not keep_dtype:
        if not inspect.isfunction(component):
            base.__name__ = type(component).__name__
        return base

    def fn(x, y):
        res, dt = base(x, y), np.asarray(x).dtype
        fn.float32_seen = getattr(fn, "float32_seen", False) or has_float32(res)
        if not isinstance(res, (tuple, list)):      # the loss alone
            return res if res is None else cast_back(res, dt)
        loss, dx = res
        return (loss if loss is None else cast_back(loss, dt), dx if dx is None else cast_back(dx, dt))
    fn.__name__ = getattr(component, "__name__", type(component).__name__)
    return fn


def torch_loss(kind, cv, y=None):
    """torch's loss for ``kind`` (softmax cross-entropy unless ``svm_loss``); labels given one-hot are
    turned into indices for torch."""
    F = torch.nn.functional
    if kind in NNFS_LOSS_REFERENCES:
        return NNFS_LOSS_REFERENCES[kind]
    if kind == "sigmoid_loss":
        return conv.sigmoid_loss(cv.get("softmax_eps"))
    if kind == "time_softmax_loss":                 # "Deep Learning from Scratch 2": (N, T, V), label -1 ignored
        return lambda x, t: F.cross_entropy(x.reshape(-1, x.shape[-1]), t.reshape(-1).long(), ignore_index=-1)
    if kind == "svm_loss":
        base = F.multi_margin_loss if cv.get("svm_scale") == "mean" else torch_svm_loss
    else:
        base = conv.softmax_loss(cv.get("softmax_eps"))

    def fn(x, t):
        return base(x, t.argmax(1) if t.dim() == 2 else t.long())
    return fn


def _categorical_crossentropy(p, t):
    """The mean of -log p[label] over the samples, labels as indices or one-hot rows."""
    logp = torch.log(p)
    return -(t * logp).sum(1).mean() if t.dim() == 2 else torch.nn.functional.nll_loss(logp, t.long())


# losses of predictions, not of scores ("Neural Networks from Scratch"): the mean over every element
NNFS_LOSS_REFERENCES = {"categorical_crossentropy": _categorical_crossentropy,
                        "binary_crossentropy": torch.nn.functional.binary_cross_entropy,
                        "mse": torch.nn.functional.mse_loss, "mae": torch.nn.functional.l1_loss}


def assert_component_parity(component, x, *args, **kwargs):
    """``check_component`` that raises ``ParityError`` listing every failed check (and any hint)."""
    return check_component(component, x, *args, **kwargs).raise_if_failed()
