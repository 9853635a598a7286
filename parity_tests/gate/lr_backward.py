"""``parity scan`` on layers that update their own weights, or leave their gradients where no book's
adapter reads them, checked as objects: ``forward(input)`` and a backward returning the input gradient,
``names = (forward, backward, mode)``:

* "lr": ``backward(output_gradient, learning_rate)`` (The Independent Code's "Neural Network from
  Scratch": ``Dense(input_size, output_size)`` on columns, ``Activation(activation, activation_prime)``,
  ``Convolutional(input_shape, kernel_size, depth)``; Omar Aflak's ``FCLayer`` on rows with
  ``forward_propagation``/``backward_propagation``; Victor Zhou's ``backprop(d_L_d_out, learn_rate)``);
* "input": ``backward(input, grad_output)`` (the YSDA / HSE practicals), the rate in the constructor
  or none (the gradients left in ``gradW``, ``gradb``);
* "attr": ``backward(grad)``, the rate in the constructor;
* "dict": ``backward(grad)``, ``self.params``/``self.grads`` dicts (joelnet; numpy-ml's
  ``parameters``/``gradients``);
* "grads": ``backward(grad)`` leaving ``dW``, ``gradW``, ``dLdW``... in a class whose name no book's adapter
  takes (CMU 11-785's MyTorch: ``Linear``, ``Conv2d_stride1``, ``MaxPool2d``...);
* "local": ``backward()`` returning the elementwise dA/dZ (11-785's first handout's activations);
* "local_x": ``__call__(x)`` and ``gradient(x)`` returning dA/dZ at x (ML-From-Scratch's activations);
* "opt": ``forward_pass(X, training=True)`` and ``backward_pass(accum_grad)`` stepping each weight with
  the optimizer ``initialize(optimizer)`` gave it, ``W = self.W_opt.update(W, grad_w)`` (ML-From-Scratch's
  ``Dense``, ``Conv2D``, ``BatchNormalization``...): built with the input shape ``set_input_shape`` takes and
  given plain SGD at ``LR``, so the gradients are read from the update as in "lr".

A weight is a float array the layer holds (attributes, ``self.params`` as a dict or list, or made at
its first forward; the attributes of the layers it holds too, by path: ``layers[0].W``) that its forward
reads; weights made all zeros or ones are checked at random values. Its gradient is read from its update at learning rate
``LR`` (``(before - after) / LR``) or from where the backward left it. Checked in float64 (float32
weights, or a float32 output for float64 input, which fails ``compute`` unless ``compute=float32`` is
declared: at float32's tolerance, without finite differences), one input at a time as these tutorials
train (a vector for a softmax; a dense layer also on a batch when it takes one):

* ``forward`` against torch where torch knows the layer (``_reference``: a dense layer by its 2-D
  weight, then the activation its output shows; tanh, sigmoid, relu, softmax by name; a convolution
  by name and layout; a reshape);
* the input gradient and each weight's gradient against torch's gradient of
  ``sum(output_gradient * forward(x))`` AND against finite differences of its own forward;
* the input and the output gradient unchanged.
"""
import ast
import functools
import inspect
import re
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

from numpy_impl.gradcheck import numerical_gradient

from . import activation_reference as AR, dropout_object as DROPOUT, norm_object as NORM
from .api import _Checks
from .compare import add_note as _note, constant_ratio
from .report import Report
from .samples import seed_for
from .tolerance import POLICY, Tolerance

# what a learning rate is called ("alpha" and "rate" are a LeakyReLU's slope and a dropout's rate too)
LR_NAMES = {"learning_rate", "lr", "learn_rate", "learningrate", "eta", "step_size", "lrate", "l_rate",
            "learing_rate", "learning_rate_"}
INPUT_NAMES = {"input", "inputs", "x", "a_prev", "inp", "input_data", "layer_input", "a", "prev_a", "x_in"}
FORWARDS = ("forward", "forward_propagation", "forward_prop", "forward_pass")
BACKWARDS = ("backward", "backward_propagation", "backward_prop", "backprop", "backward_pass", "derivative")
LR = 0.5                       # not 1: an update that drops the rate, or applies it twice, shows
FORWARD_SEED = 1234            # the global RNG is seeded before each forward: a dropout mask is the same each time
USER = (Exception, SystemExit, GeneratorExit)   # what the user's code may raise (sys.exit, os._exit too)
D, H = 4, 3                    # a dense layer's sizes (different, so the weight's layout shows)
N = 5                          # a batch, for the layers that take one
SIZES = {"input_size": D, "n_inputs": D, "n_input": D, "in_features": D, "input_dim": D, "input_len": D,
         "in_size": D, "inputs": D, "n_in": D, "fan_in": D, "num_inputs": D, "input_neurons": D, "nin": D,
         "input_nodes": D, "in_dim": D, "input_units": D,
         "output_size": H, "n_outputs": H, "n_output": H, "out_features": H, "output_dim": H, "nodes": H,
         "out_size": H, "outputs": H, "n_out": H, "fan_out": H, "num_outputs": H, "output_neurons": H, "nout": H,
         "output_nodes": H, "out_dim": H, "neurons": H, "units": H, "n_neurons": H, "output_units": H,
         "num_features": D, "n_features": D, "features": D, "in_feature": D, "out_feature": H,
         "input_features": D, "output_features": H, "d_model": D, "normalized_shape": D, "embed_dim": D,
         "emb_dim": D, "model_dim": D, "feature_dim": D, "n_embd": D, "n_units": H, "num_units": H,
         "num_in": D, "num_input": D, "dim_in": D, "size_in": D, "in_units": D, "n_inp": D,
         "num_out": H, "num_output": H, "dim_out": H, "size_out": H, "out_units": H, "num_neurons": H}
IMAGE = (4, 7, 6)              # an input_shape: (C, H, W) or (H, W, C), both leave a 3x3 kernel room
POOLED = (3, 8, 6)             # a pooling's (C, H, W) where 2x2 windows at stride 1 or 2 fit exactly
OTHER = {"input_shape": IMAGE, "kernel_size": 3, "filter_size": 3, "depth": 5, "num_filters": 5,
         "n_filters": 5, "filters": 5, "out_channels": 5, "kernel_shape": (3, 3), "filter_shape": (3, 3),
         "layer_depth": 5,
         "pool_size": 2, "in_channels": 3, "in_channel": 3, "input_channels": 3, "n_channels": 3, "channels": 3,
         "out_channel": 5, "output_channels": 5, "out_ch": 5, "kernel_width": 3, "kernel": 2, "stride": 2, "upsampling_factor": 2,
         "downsampling_factor": 2, "factor": 2, "scale_factor": 2, "alpha": 0.5, "negative_slope": 0.1}
# a derivative's name from its function's: tanh -> tanh_prime, tanh_derivative, d_tanh...
DERIVATIVE = re.compile(r"^(?:(?P<a>\w+?)_(?:prime|derivative|deriv|grad|gradient|der|backward|diff)"
                        r"|(?:d_?|derivative_(?:of_)?|deriv_)(?P<b>\w+))$")


def _positional(fn):
    """``(names, required names)`` of ``fn``'s positional arguments (self included), or None."""
    try:
        ps = [p for p in inspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY,
                                                                                 p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return None
    return [p.name for p in ps], [p.name for p in ps if p.default is p.empty]


def _required(fn):
    found = _positional(fn)
    return found and found[1]


def _gradient_name(name):
    """Whether an argument's name says it is the output gradient (output_gradient, grad_output, dout,
    d_L_d_out, delta, output_error...), not a target ``y``."""
    n = name.lower()
    if n in ("data", "dim", "dims", "den", "deg", "dir", "doc", "dtype", "device"):
        return False
    if n in ("g", "gy", "gout", "g_out", "d"):     # backward(self, g), backward(self, d)
        return True
    return any(w in n for w in ("grad", "delta", "err", "upstream")) or \
        bool(re.fullmatch(r"d_?[a-z]{1,3}\d*|d_?(out|output|values|l_d_out|loss)\w*|dl(oss)?_?d_?[a-z]\w*", n))


def _ctor_lr(cls):
    found = _positional(cls.__init__)
    return next((n for n in (found[0] if found else []) if n.lower() in LR_NAMES), None)


def methods(cls, known=False):
    """``(forward name, backward name, mode)`` for a layer of these styles, else None: mode "lr" for
    ``backward(output_gradient, learning_rate)``, "input" for ``backward(input, grad_output)``, "attr"
    for ``backward(grad)`` with the rate given to the constructor, "dict" for ``backward(grad)`` with
    ``self.params`` and ``self.grads`` as dicts (joelnet), and, for a class whose name no other style
    knows (``known``: the books' Affine, Relu... have adapters of their own), "grads" for
    ``backward(grad)`` leaving its gradients in attributes (``dW``, ``gradW``). The forward takes the
    input alone."""
    if issubclass(cls, (torch.nn.Module, torch.autograd.Function)):
        return None                                 # torch's own: forward(ctx, x), backward(ctx, g)
    fwd = next((m for m in FORWARDS if callable(getattr(cls, m, None))), None)
    own = {k for c in cls.__mro__[:-1] for k in vars(c)}
    calls = [m for m in ("__call__", "function", "fn") if m in own]
    if fwd is None and calls:
        # an activation as ML-From-Scratch writes one: __call__(x) (or its first version's function(x)) and
        # gradient(x), the derivative at x
        for name in calls:
            if any(isinstance(vars(c).get(name), staticmethod) for c in cls.__mro__[:-1]):
                continue                            # static function(y_true, y_pred): a loss class's (exclusiveAI's)
            call = _positional(getattr(cls, name))
            for m in ("gradient", "grad", "derivative", "deriv", "prime"):
                found = _positional(getattr(cls, m)) if callable(getattr(cls, m, None)) else None
                if call and len(call[1]) == 2 and found and len(found[1]) == 2:
                    return name, m, "local_x"
        return None
    fargs = _positional(getattr(cls, fwd)) if fwd else None
    if fargs and len(fargs[1]) == 3 and fargs[1][2].lower() in NORM.TRAIN_FLAGS:
        fargs = (fargs[0], fargs[1][:2])            # forward_pass(self, X, training): the flag given (training)
    if not fargs or len(fargs[1]) != 2:
        return None
    for m in BACKWARDS:
        if m == "derivative" and any(callable(getattr(cls, b, None)) for b in BACKWARDS if b != m):
            continue                                # 11-785's older derivative(): only where no backward is
        found = _positional(getattr(cls, m, None)) if callable(getattr(cls, m, None)) else None
        if found and found[0] == ["self"] and not _varargs(getattr(cls, m)):
            return fwd, m, "local"                  # backward() returning dA/dZ (11-785's first activations)
        if not found or len(found[0]) < 2:
            continue
        names, required = found[0][1:], found[1][1:]
        if len(names) == 1 and len(required) == 1 and names[0] in ("X", "x", "Z", "z", "input", "inputs") \
                and not params_kept(cls):
            return fwd, m, "local_x"                # backward(X) returning dA/dZ at X (numpyneuron's activations)
        if len(names) >= 2 and names[1].lower() in LR_NAMES and len(required) <= 2:
            return fwd, m, "lr"
        if len(required) == 2 and names[0].lower() in INPUT_NAMES and _gradient_name(names[1]):
            return fwd, m, "input"
        if len(required) == 1 and _gradient_name(names[0]) and _keeps_dicts(cls):
            return fwd, m, "dict"
        if len(required) == 1 and _gradient_name(names[0]) and _ctor_lr(cls):
            return fwd, m, "attr"
        if len(required) == 1 and _gradient_name(names[0]) and m == "backward_pass" and fwd == "forward_pass":
            return fwd, m, "opt"                    # ML-From-Scratch: the weights stepped by initialize()'s optimizer
        if len(required) == 1 and _gradient_name(names[0]) and not known and not m.endswith("_pass"):
            return fwd, m, "grads"                  # backward(grad) leaving dW, gradW... (a step() applies them)
    return None


# ----------------------------------------------------------------- DeZero's define-by-run Function
BY_RUN = ("_parity_forward", "_parity_backward", "grads")


def by_run(cls):
    """Whether ``cls`` is a define-by-run ``Function`` of "Deep Learning from Scratch 3" (DeZero): its
    ``__call__`` (a base's) runs ``self.forward`` on the arrays of the ``Variable`` objects it is given and
    keeps ``self.inputs``/``self.outputs`` (``self.input``/``self.output`` in the book's first steps), which
    its ``backward(gy)`` reads; its module has the ``Variable`` class it wraps arrays in."""
    if issubclass(cls, (torch.nn.Module, torch.autograd.Function)) or not callable(getattr(cls, "backward", None)):
        return False
    call = next((vars(c)["__call__"] for c in cls.__mro__[:-1] if "__call__" in vars(c)), None)
    try:
        src = inspect.getsource(call) if inspect.isfunction(call) else ""
    except (OSError, TypeError):
        return False
    return bool(re.search(r"self\.forward\(", src) and re.search(r"self\.inputs?\s*=", src)
                and re.search(r"self\.outputs?\s*=", src) and re.search(r"\.data\b", src)
                and _variable_class(cls) is not None)


def _variable_class(cls):
    """The ``Variable`` class its ``__call__``'s module wraps arrays in, or None."""
    call = next((vars(c)["__call__"] for c in cls.__mro__[:-1] if "__call__" in vars(c)), None)
    found = getattr(call, "__globals__", {}).get("Variable")
    return found if inspect.isclass(found) else None


def _data(v):
    """An array from what a DeZero function returns: a ``Variable``'s ``.data``, as it is otherwise."""
    if isinstance(v, np.ndarray) or not hasattr(v, "data"):
        return v
    return v.data


def _unready(variable):
    """Why DeZero's ``Variable`` cannot be driven where its operators are missing: its module's
    ``setup_variable()``, which ``import dezero`` runs, did not run (the package's ``__init__`` failed to
    import), or None."""
    mod = sys.modules.get(getattr(variable, "__module__", ""))
    if callable(getattr(variable, "__mul__", None)) or not callable(getattr(mod, "setup_variable", None)):
        return None
    return (f"DeZero's Variable ({variable.__module__}) has no operators here: setup_variable(), which `import "
            "dezero` runs, did not run (its package failed to import: see the import errors), and its "
            "functions compute with Variables; not driven")


def by_run_skip(fn):
    """Why a function beside DeZero's ``Function`` classes (``sigmoid(x)`` returning ``Sigmoid()(x)``) is
    not checked (a loss of two Variables; functions computing with Variables that have no operators), else
    None: then it is, its Variable's ``.data`` read (``plain_results``)."""
    space = getattr(fn, "__globals__", {})
    found = next((v for v in list(space.values()) if inspect.isclass(v) and by_run(v)), None)
    if found is None:
        return None
    if len(_required(fn) or ()) >= 2:
        return (f"a loss function beside DeZero's Function classes ({fn.__name__}({', '.join(_required(fn))}) "
                "returns a Variable): DeZero divides a loss's sum by len(x), the first axis, a reduction parity "
                "scan does not check loss functions under; the Function classes it calls are checked where they "
                "are written")
    why = _unready(_variable_class(found))
    if why is None:
        return None
    try:                                            # said only where it needs them: relu(x) runs without
        fn(*[np.full((4, 3), 0.5) for _ in _required(fn) or ()])
    except TypeError as e:
        return why if why and "'Variable'" in str(e) else None
    except USER:                                    # noqa: BLE001 -- its own check says what it raises
        return None
    return None


def _needs_operators(driven, make, why):
    """``why`` where the DeZero Function ``make()`` builds raises a TypeError of Variables on every input
    tried (its backward computes with Variables, which have no operators here), else None."""
    for shape in ((3, 4), (2, 3, 8, 7)):
        try:
            obj = _build(make, 0)
            out = obj._parity_forward(np.random.default_rng(0).standard_normal(shape))
            obj._parity_backward(np.ones_like(np.asarray(out, dtype=np.float64)))
            return None
        except TypeError as e:
            if "'Variable'" not in str(e):
                return None
        except USER:                                # noqa: BLE001 -- not this shape, or its own error: checked
            continue
    return why


def plain_results(fn):
    """``fn``, or where its module holds a DeZero ``Function`` (its wrappers, ``def sigmoid(x): return
    Sigmoid()(x)``, return a ``Variable``) ``fn`` returning the array of the ``Variable`` it returns."""
    space = getattr(fn, "__globals__", {})
    if not any(inspect.isclass(v) and by_run(v) for v in list(space.values())):
        return fn

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        out = fn(*args, **kwargs)
        return tuple(_data(v) for v in out) if isinstance(out, tuple) else _data(out)
    return plain


def by_run_targets(name, cls, modules=()):
    """``([(label, kind, make, names)], skipped reason or None)`` for a DeZero ``Function``: driven as DeZero
    drives it, ``y = f(Variable(x))`` (``.data`` read from the Variable it returns, which is kept: its
    ``outputs`` may be weak references), then ``f.backward(gy)``, ``gy`` a ``Variable`` of its module's own
    class where that class has operators (the book's later steps, whose backward computes with Variables),
    else the array; the gradient is the ``.data`` of what it returns. A function of several inputs is given
    them as the rows of one array, its gradients stacked likewise."""
    if is_base(cls, ("forward", "backward")) or abstract(cls, ("forward", "backward"), modules):
        return [], None                             # DeZero's Function itself
    variable = _variable_class(cls)
    unready = _unready(variable)
    args = _required(cls.forward)
    n = len(args) - 1 if args else 0
    if n < 1 or _varargs(cls.forward):
        return [], (f"a define-by-run Function whose forward takes ({', '.join((args or ['self'])[1:])}"
                    f"{'*' if args is None or _varargs(cls.forward) else ''}): parity scan drives those of "
                    "arrays, forward(x) or forward(x0, x1, ...)")

    def forward(self, x):
        xs = [x] if n == 1 else list(x) if isinstance(x, np.ndarray) and x.ndim > 1 and len(x) == n else None
        if xs is None:
            raise ValueError(f"{name} takes {n} inputs, given as the rows of one array: not {np.shape(x)}")
        self._parity_y = cls.__call__(self, *(variable(np.asarray(xi)) for xi in xs))
        y = self._parity_y
        return _data(y[0] if isinstance(y, (tuple, list)) and len(y) == 1 else y)

    def backward(self, g):
        overloads = any(callable(getattr(variable, m, None)) for m in ("__mul__", "__rmul__"))
        y = self._parity_y
        gy = type(y)(g) if overloads and not isinstance(y, (tuple, list, np.ndarray)) else g
        if unready and gy is g:                     # DeZero's own core would give it a Variable, never this array
            gy = np.array(g, copy=True)
        gx = cls.backward(self, gy)
        if isinstance(gx, (tuple, list)) and len(gx) == 1:
            gx = gx[0]
        if n > 1 and isinstance(gx, (tuple, list)) and len(gx) == n:
            parts = [np.asarray(_data(v), dtype=np.float64) for v in gx]
            return np.stack(parts) if all(p.shape == parts[0].shape for p in parts) else tuple(parts)
        return _data(gx)
    driven = type(name, (cls,), {"_parity_forward": forward, "_parity_backward": backward,
                                 "__module__": cls.__module__, "__qualname__": cls.__qualname__})
    found, why = targets(name, driven, BY_RUN, [])
    if found and unready and _needs_operators(driven, found[0][2], unready):
        return [], f"a define-by-run Function (DeZero's): {unready}"
    if found and n > 1:
        try:                                        # its inputs of one shape (Add, Mul), else not so (MatMul)
            obj = _build(found[0][2], 0)
            out = obj._parity_forward(np.random.default_rng(0).standard_normal((n, 3, 4)))
            obj._parity_backward(np.ones_like(np.asarray(out, dtype=np.float64)))
        except USER as e:                           # noqa: BLE001 -- it takes inputs of other shapes
            return [], (f"a define-by-run Function of {n} inputs ({', '.join(args[1:])}) that does not take {n} "
                        f"arrays of one shape ({type(e).__name__}: {e}): parity scan checks those that do")
    for _, kind, make in found:
        make.positive = kind == "layer"             # no torch reference: its own finite differences, off 0 (Log, Div)
    return [(label, kind, make, BY_RUN) for label, kind, make in found], why


def namespace(cls):
    """``(forward name, backward name)`` of a class used as a namespace of functions, its methods called on
    the class with the array as their one argument (neowise's ``Tanh.forward(x)``, ``Tanh.backward(x)``
    returning dA/dZ at x, written ``def forward(self)``), else None: no constructor of its own, and a
    forward and a backward of one positional parameter each, not static methods."""
    if "__init__" in {k for c in cls.__mro__[:-1] for k in vars(c)}:
        return None
    found = []
    for group in (FORWARDS, BACKWARDS):
        m = next((m for m in group if m in vars(cls) and inspect.isfunction(vars(cls)[m])), None)
        args = _positional(vars(cls)[m]) if m else None
        if not args or len(args[0]) != 1 or _varargs(vars(cls)[m]):
            return None
        found.append(m)
    return tuple(found)


class Namespace:
    """A namespace class driven as a layer of the "local_x" form: ``forward(x)`` is ``cls.forward(x)``,
    ``gradient(x)`` is ``cls.backward(x)``, dA/dZ at x."""

    def __init__(self, cls, names):
        self.cls, self.names = cls, names

    def forward(self, x):
        return getattr(self.cls, self.names[0])(x)

    def gradient(self, x):
        return getattr(self.cls, self.names[1])(x)


def namespace_target(name, cls, names):
    """``([(label, kind, make, names)], skipped reason or None)`` for a namespace class: checked as its
    functions where its forward of an array is an array of that shape."""
    try:
        out = getattr(cls, names[0])(np.linspace(-1.0, 1.0, 6).reshape(2, 3))
        works = isinstance(out, np.ndarray) and out.shape == (2, 3)
    except USER:                                    # noqa: BLE001 -- not a function of an array
        works = False
    if not works:
        return [], (f"a class whose {names[0]}() and {names[1]}() take one argument and no instance of it is made: "
                    f"{name}.{names[0]}(x) on an array does not return one of its shape, so it is not checked")

    def make():
        return Namespace(cls, names)
    make.sized = make.batched = False
    return [(name, _kind(name, layer=True), make, ("forward", "gradient", "local_x"))], None


def params_kept(cls):
    """Whether ``cls``'s constructor takes arguments (a layer with weights), by its signature."""
    try:
        return len(inspect.signature(cls.__init__).parameters) > 1 and cls.__init__ is not object.__init__
    except (TypeError, ValueError):
        return False


def _varargs(fn):
    try:
        return any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True


def _keeps_dicts(cls):
    """Whether ``cls`` (or a base) keeps ``self.params = {}`` and ``self.grads = {}`` (or fills them by key)."""
    found = set()
    for c in cls.__mro__:
        try:
            src = inspect.getsource(c)
        except (OSError, TypeError):
            continue
        for what in ("params", "grads"):
            if re.search(r"self\." + what + r"\s*(:[^=\n]*)?=\s*(\{|dict\()", src) or \
                    re.search(r"self\." + what + r"\[\s*['\"]", src):
                found.add(what)
    return found == {"params", "grads"}


def _not_written(fn):
    """Whether ``fn``'s body is only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``
    (a base class's)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    if not tree.body or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False                                # forward = lambda self, x: ...: written
    body = tree.body[0].body
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Raise) and "NotImplemented" in ast.dump(stmt):      # or the handout's NotImplemented
            continue
        return False
    return True


def _raises(fn):
    """Whether ``fn``'s body raises NotImplementedError (a base class's method)."""
    try:
        return "NotImplementedError" in inspect.getsource(fn)
    except (OSError, TypeError):
        return False


def is_base(cls, names):
    """A base class (``Layer``): its forward and backward are not written, or only hand over to methods
    that are not (the HSE modules' ``forward`` returning ``self.updateOutput(input)``, a ``pass``)."""
    return all(_not_written(getattr(cls, n)) or _delegates_to_stub(cls, n) for n in names[:2]) or \
        any(_not_written(getattr(cls, n)) and _raises(getattr(cls, n)) for n in names[:2])


def abstract(cls, names, modules):
    """Whether ``cls`` is a base class its subclasses complete: its forward or backward calls a method of
    ``self`` that it lacks and a subclass in ``modules`` defines (ML-From-Scratch's ``PoolingLayer``, whose
    ``forward_pass`` calls the ``_pool_forward`` of ``MaxPooling2D`` and ``AveragePooling2D``)."""
    lacking = set()
    for n in names[:2]:
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(cls, n))))
        except (OSError, TypeError, SyntaxError):
            continue
        lacking |= {c.func.attr for c in ast.walk(tree) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                    and isinstance(c.func.value, ast.Name) and c.func.value.id == "self"
                    and not hasattr(cls, c.func.attr)}
    try:                                            # a callable it is given in __init__ (self.act = act) is its own
        lacking -= set(re.findall(r"self\.(\w+)\s*=", inspect.getsource(cls)))
    except (OSError, TypeError):
        pass
    return bool(lacking) and any(inspect.isclass(c) and c is not cls and cls in c.__mro__ and
                                 any(hasattr(c, m) for m in lacking) for m_ in modules for c in vars(m_).values())


def _delegates_to_stub(cls, name):
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(cls, name))))
    except (OSError, TypeError, SyntaxError):
        return False
    calls = [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "self"]
    return bool(calls) and all(callable(getattr(cls, m, None)) and _not_written(getattr(cls, m)) for m in calls)


# layers whose input is not one float array: a sequence in and (y, h) out, integer ids
NOT_ARRAYS = re.compile(r"(rnn|lstm|gru|recurrent|embedding|embed)", re.I)


MODEL_METHODS = ("compile", "fit", "train_on_batch", "add")       # a model's (Keras-like), not a layer's
TEXT = re.compile(r"(^|_)(?i:text)(_|$)|(^|[a-z])Text([A-Z]|$)|(?i:vectori[sz]|tokeni[sz]|stringlookup|hashing)")


def unlike(name, names, cls=None):
    """Why a class of these styles is not checked (it takes a sequence or integer ids, text, or it is a
    whole model), or None."""
    if cls is not None and sum(callable(getattr(cls, m, None)) for m in MODEL_METHODS) >= 2:
        return (f"a model ({', '.join(m + '()' for m in MODEL_METHODS if callable(getattr(cls, m, None)))}): its "
                "layers are checked where they are defined")
    if TEXT.search(name):
        return f"a text preprocessing layer ({names[0]} takes strings): parity scan checks layers of float arrays"
    if NOT_ARRAYS.search(name):
        return (f"a recurrent layer or an embedding ({names[0]} takes a sequence or integer ids): parity scan "
                "checks the layers of this style that take one float array; cs231n's rnn, lstm and word_embedding "
                "pairs and the second book's RNN, LSTM and Embedding are checked in their own styles")
    return None


def subclassed(cls, modules):
    """Whether a class of ``modules`` derives from ``cls`` (The Independent Code's ``Tanh(Activation)``)."""
    def key(c):
        try:
            return c.__qualname__, inspect.getsourcefile(c)
        except TypeError:
            return c.__qualname__, None
    # by name and file: the scan may import a file twice (as itself and through ``from activation import ...``)
    mine = key(cls)
    return any(inspect.isclass(c) and key(c) != mine and any(key(b) == mine for b in c.__mro__[1:])
               for m in modules for c in vars(m).values())


def function_pairs(namespaces):
    """``[(f, f_prime)]``: the functions with a derivative beside them (``tanh``/``tanh_prime``,
    ``sigmoid``/``sigmoid_derivative``, ``relu``/``d_relu``) in any of ``namespaces``."""
    funcs = {}
    for ns in namespaces:
        for name, obj in ns.items():
            if inspect.isfunction(obj) and name not in funcs and _required(obj) is not None \
                    and len(_required(obj)) == 1:
                funcs[name] = obj
    pairs = []
    for name, obj in sorted(funcs.items()):
        m = DERIVATIVE.match(name)
        base = m and (m.group("a") or m.group("b"))
        if base and base in funcs and funcs[base] is not obj:
            pairs.append((funcs[base], obj))
    return pairs


def targets(name, cls, names, pairs):
    """``([(label, kind, make)], skipped reason or None)`` for a layer class: ``make()`` builds it."""
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        params = []
    fixed, callables, missing, named = {}, [], [], []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        key = p.name.lower()
        if key in ("stride", "strides") and _ones(p.default):
            continue                                # its default, and once more at 2 (below)
        if key in SIZES:
            fixed[p.name] = SIZES[key]
        elif key in ("dim", "size", "n", "c", "num_channels", "channels", "d", "width") and \
                _kind(name, layer=True) in ("layernorm", "batchnorm"):
            fixed[p.name] = D                       # LayerNorm(dim), BatchNorm(channels): the features normalised
        elif key in DROPOUT.BUILD and _kind(name, layer=True) == "dropout":
            fixed[p.name] = DROPOUT.BUILD[key]      # Dropout(rate), Dropout(keep_prob=...)
        elif key in OTHER and not (p.default is not p.empty and _kind(name, layer=True) == "batchnorm"):
            fixed[p.name] = OTHER[key]              # (a BatchNorm's alpha is its momentum: its own default)
        elif key in LR_NAMES:
            fixed[p.name] = LR                      # the rate its backward will update with
        elif p.default is p.empty and (key.endswith("init_fn") or key in (
                "weight_init", "bias_init", "initializer", "weight_initializer", "bias_initializer", "init_fn")):
            fixed[p.name] = _random_bias if "bias" in key else _random_init    # 11-785's Linear(..., weight_init_fn)
        elif key == "output_shape" and "input_shape" in [q.name for q in params]:
            fixed[p.name] = (int(np.prod(IMAGE)), 1)
        elif p.default is not p.empty:
            continue
        elif key in NAMED and re.search("activation", name, re.I):
            named.append(p.name)                    # ML-From-Scratch's Activation(name): built with each name
        elif "activation" in key or "prime" in key or "deriv" in key or key in ("f", "df", "fn", "func", "function"):
            callables.append(p.name)
        else:
            missing.append(p.name)
    opt = names[2] == "opt"

    def build(kwargs, kind, shape=None):
        obj = _construct(cls, kwargs)
        return _initialize(obj, kind, shape) if opt else obj
    if named and not missing and not callables:
        found = []
        for a in NAMED_KINDS:
            kwargs = {**fixed, named[0]: a}
            if _builds(cls, kwargs):
                def make(kwargs=kwargs, kind=_kind(a)):
                    return build(kwargs, kind)
                make.sized, make.batched = False, opt
                found.append((f"{name}({a!r})", _kind(a), make))
        return found, None if found else (f"a layer built as {name}({', '.join(p.name for p in params)}): none of "
                                          f"{', '.join(map(repr, NAMED_KINDS))} builds it")
    if missing:
        return [], (f"a layer built as {name}({', '.join(p.name for p in params)}): "
                    f"parity scan has no value for {', '.join(repr(m) for m in missing)}")
    if not callables:
        found = []
        # as built by default, and once more with a padding of 1 where it takes one (its default 0
        # would leave the padding's code unrun)
        padded = [p.name for p in params if p.name.lower() in ("padding", "pad") and p.default in (0, None)]
        # ML-From-Scratch's padding='same' (or 'valid'): the other one too
        worded = [(p.name, _same_case({"same": "valid", "valid": "same"}[p.default.lower()], p.default)) for p in params
                  if p.name.lower() in ("padding", "pad") and isinstance(p.default, str)
                  and p.default.lower() in ("same", "valid")
                  and _kind(name, layer=True) == "conv"]      # (torch pools with no padding='same')
        # a stride of default 1 (or (1, 1), tinynn's) once more at 2 (or (2, 2))
        strided = [(p.name, 2 if p.default == 1 else (2, 2)) for p in params
                   if p.name.lower() in ("stride", "strides") and _ones(p.default)]
        # a dense layer applying an activation it is given (numpy-ml's FullyConnected(n_out, act_fn=None),
        # a Keras-like Dense(units, activation=None)): also built with each, where its constructor takes it
        acts = [(p.name, a) for p in params if p.name.lower() in ACTIVATION_ARGS and (
            p.default is None or str(p.default).lower() in ("linear", "identity", "affine", "none", ""))
            for a in ("relu", "sigmoid", "tanh") if _builds(cls, {**fixed, p.name: a})][:3]
        for label, kwargs in [(name, fixed)] + [(f"{name}({k}=1)", {**fixed, k: 1}) for k in padded[:1]] + \
                [(f"{name}({k}={w!r})", {**fixed, k: w}) for k, w in worded[:1]] + \
                [(f"{name}({k}={v})", {**fixed, k: v}) for k, v in strided[:1]] + \
                [(f"{name}({k}={a!r})", {**fixed, k: a}) for k, a in acts]:
            def maker(kwargs, ready=False):
                shape = _input_shape(cls, kwargs, _kind(name, layer=True), names) if opt else None

                def make(kwargs=kwargs, shape=shape):
                    made = build(kwargs, _kind(name, layer=True), shape)
                    return _made_ready(made) if ready else made
                make.sized = any(k.lower() in SIZES for k in kwargs)  # built for input size D: try D-wide inputs
                make.batched = opt                  # its input_shape leaves the batch out
                make.kwargs = kwargs                # what it was built with (a dropout's rate)
                return make
            make = maker(kwargs)
            windows, two_step = _windows_given(kwargs), not opt and _two_step(cls)
            refused = _refuses(make, _kind(name, layer=True), names) if windows or two_step else None
            if refused is not None:
                # the integers the scan guessed (kernel=2, stride=2) where tuples are wanted (tinynn's
                # pool_size=(2, 2), Conv2D(kernel=(3, 3, 3, 5), stride=(1, 1))): built with those instead; a
                # layer its model makes ready (build(input_size), init_weights()): made so
                forms = [kwargs] + (_as_tuples(kwargs, re.search("conv", name, re.I)) if windows else [])
                make = next((m for ready in ((False, True) if two_step else (False,)) for form in forms
                             if (form is not kwargs or ready)
                             and _refuses(m := maker(form, ready), _kind(name, layer=True), names) is None), None)
                if make is None and not found and windows and _int_refused(refused):
                    given = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
                    return [], (f"a layer built as {name}({given}) by parity scan's guess raised "
                                f"{type(refused).__name__}: {refused}, and built with (h, w) pairs it did not run "
                                "either: its arguments are not ones parity scan can guess")
                make = make or maker(kwargs)        # a failure of its own: said when it is checked
            found.append((label, _kind(name, layer=True), make))
        supplied = [p.name for p in params if p.default is None and SUPPLIED.search(p.name)]
        if supplied and "NoneType" in str(refused := _refuses(found[0][2], _kind(name, layer=True), names)):
            # sinnn's Dense(neurons, weights_initialiser=None, optimiser=None): its Model.add() hands them over
            return [], (f"a layer built as {name}({', '.join(p.name for p in params)}) that needs the "
                        f"{' and '.join(supplied)} object{'s' * (len(supplied) > 1)} its model supplies: with "
                        f"None it raised {type(refused).__name__}: {refused}")
        if (empty := _empty_container(found[0][2])):
            return [], (f"a container built empty ({empty} = []; Sequential().add(...) fills it): nothing to check "
                        "in it; its layers are checked where they are defined")
        if (given := _given_container(cls, found[0][2], names)):
            return [], (f"a container of layers (self.{given}); its layers are checked where they are written")
        return found, None
    if len(callables) != 2:
        return [], (f"a layer built from functions ({', '.join(callables)}): parity scan builds one from a "
                    "function and its derivative only")
    if not pairs:
        return [], (f"a layer built from a function and its derivative ({', '.join(callables)}), but no pair "
                    "such as tanh / tanh_prime was found beside it to build it with")
    found = []
    for f, fp in pairs:
        def make(f=f, fp=fp):
            return _construct(cls, {**fixed, **dict(zip(callables, (f, fp)))})
        found.append((f"{name}({f.__name__}, {fp.__name__})", _kind(f.__name__), make))
    return found, None


# constructor arguments, None by default, that name an object a model hands its layers
SUPPLIED = re.compile(r"(?i:optimi[sz]er|initiali[sz]er|init_?fn|regulari[sz]er)")


def _ones(default):
    """A stride's default of 1: ``1`` or ``(1, 1)``."""
    return default == 1 or (isinstance(default, (tuple, list)) and len(default) == 2 and all(v == 1 for v in default))


def _same_case(word, like):
    return word.upper() if like.isupper() else word


# the arguments the scan guesses as one integer that a package may want as (h, w) (tinynn's)
WINDOW_ARGS = ("kernel", "kernel_size", "filter_size", "pool_size", "stride", "strides", "pool", "window",
               "window_size")


def _windows_given(kwargs):
    return any(k.lower() in WINDOW_ARGS and type(v) is int for k, v in kwargs.items())


def _as_tuples(kwargs, conv):
    """The other forms of ``kwargs`` to try: each guessed window integer as a pair (h, w), and for a
    convolution (``conv``: a transposed one too) its kernel also as (kh, kw, in_channels, out_channels),
    tinynn's layout."""
    pairs = {k: (v, v) if k.lower() in WINDOW_ARGS and type(v) is int else v for k, v in kwargs.items()}
    forms = [pairs]
    kernel = next((k for k in pairs if k.lower() in ("kernel", "kernel_size", "filter_size")), None)
    if conv and kernel:
        forms.append({**pairs, kernel: (3, 3, OTHER["in_channels"], OTHER["out_channels"])})
    return forms


def _refuses(make, kind, names):
    """What building ``make`` and running it forward and backward on every input tried raised, or None
    when it runs on one."""
    try:
        obj = _build(make, 0)
        _pick(make, names, _inputs(kind, obj, _params(obj), make.sized, make.batched), 0, np.random.default_rng(0))
    except USER as e:                               # noqa: BLE001 -- the user's code refusing what it was given
        return e
    return None


READY = ("init_weights", "initialize_weights", "init_params", "initialize_parameters")
# what a two-step layer's init method is given where it requires them (mpneuralnetwork's init_weights(method, no_bias))
READY_ARGS = {"method": "xavier", "initialization": "xavier", "init": "xavier", "no_bias": False, "use_bias": True,
              "bias": True}


def _two_step(cls):
    """Whether its model makes it ready in two steps: ``build(input_size)`` or an ``init_weights`` method."""
    return any(callable(getattr(cls, m, None)) for m in ("build",) + READY)


def _made_ready(obj):
    """A layer made ready as its model makes it (mpneuralnetwork's Dense: ``build(input_size)`` where it has no
    input size yet, then ``init_weights(method, no_bias)``; its BatchNormalization: ``build(input_size)``)."""
    build = getattr(obj, "build", None)
    if callable(build) and not inspect.isclass(build) and getattr(obj, "input_size", None) is None \
            and getattr(obj, "input_shape", None) is None and len(_required(build) or [None, None]) == 1:
        # Keras's input_shape has the batch first (kerasN's), and a convolution's is (N, H, W, C)
        for size in (D, (D,), (None, D), (N, D), (None, 8, 7, OTHER["in_channels"])):
            try:
                build(size)
                break
            except USER:                            # noqa: BLE001 -- not this form: the next
                continue
    for m in READY:
        fn = getattr(obj, m, None)
        needs = _required(fn) if callable(fn) and not inspect.isclass(fn) else None
        if needs is not None and all(n.lower() in READY_ARGS for n in needs):
            fn(*(READY_ARGS[n.lower()] for n in needs))
            break
    return obj


def _int_refused(e):
    """Whether ``e`` is an integer refused where a sequence was wanted ("cannot unpack non-iterable int
    object", "'int' object is not subscriptable")."""
    return isinstance(e, TypeError) and bool(re.search(r"\bint\b", str(e)))


ACTIVATION_ARGS = ("act_fn", "activation", "act", "activation_fn", "nonlinearity", "act_func", "activation_function")
# an Activation(name) layer's argument, and the names it is built with (those without a hyperparameter of
# their own: an ELU's alpha kept inside the function object it builds would go unread)
NAMED = ("name", "activation_name", "act_name", "function_name")
NAMED_KINDS = ("relu", "sigmoid", "tanh", "softmax")


class RateSGD:
    """The optimizer ``initialize(optimizer)`` is given (ML-From-Scratch's layers copy it once per weight):
    plain SGD at ``LR``, ``update(w, grad) -> w - LR * grad``, so that a weight's gradient is read from
    its update as for the layers that update their own weights."""
    learning_rate = LR

    def update(self, w, grad, *rest, **kwargs):
        return w - LR * np.asarray(grad)


def _initialize(obj, kind, shape=None):
    """An ML-From-Scratch layer made ready as its network makes it: ``set_input_shape`` where it was not
    given one (``shape``; else a row of D features, a pooling's image (C, H, W)), then
    ``initialize(optimizer)``; made trainable (its network's ``set_trainable`` may have frozen it)."""
    if getattr(obj, "input_shape", None) is None and callable(getattr(obj, "set_input_shape", None)):
        obj.set_input_shape(shape or (POOLED if kind in ("max_pool", "avg_pool", "conv") else (D,)))
    if getattr(obj, "trainable", None) is False:
        obj.trainable = True
    if callable(getattr(obj, "initialize", None)):
        obj.initialize(RateSGD())
        return obj
    # or made in two steps, Keras-like: build() (or build(input_shape)) and set_optimizer(optimizer)
    build, shape = getattr(obj, "build", None), getattr(obj, "input_shape", None)
    if callable(build) and not inspect.isclass(build):
        needs = _required(build)
        if needs is not None and len(needs) == 0:
            build()
        elif needs is not None and len(needs) == 1 and shape is not None:
            build(shape)
    if callable(getattr(obj, "set_optimizer", None)):
        obj.set_optimizer(RateSGD())
    return obj


SHAPES = [(D,), (D, 5, 3)]       # what set_input_shape is given: rows of D features, else (C, H, W) images


def _input_shape(cls, kwargs, kind, names):
    """The input shape an ML-From-Scratch layer built from ``kwargs`` runs on: (D,) rows, else (D, 5, 3)
    images (a spatial BatchNormalization over (N, C, H, W)); None where it is given one or runs on neither."""
    if kind in ("max_pool", "avg_pool", "conv"):
        return None
    for shape in SHAPES:
        try:
            obj = _initialize(_construct(cls, kwargs), kind, shape)
            x = np.random.default_rng(0).standard_normal(((N,) if len(shape) == 1 else (2,)) + tuple(
                getattr(obj, "input_shape", None) or shape))
            out = getattr(obj, names[0])(x, **NORM.flag(getattr(obj, names[0])))
            getattr(obj, names[1])(np.ones_like(np.asarray(out, dtype=np.float64)))
            return shape
        except USER:                                # noqa: BLE001 -- not this shape: the next
            continue
    return None


def _builds(cls, kwargs):
    try:
        _construct(cls, kwargs)
        return True
    except USER:                                    # noqa: BLE001 -- it takes no such value: not built so
        return False


CONTAINERS = ("layers", "_layers", "modules", "_modules", "children", "blocks", "sequence", "network")


def _empty_container(make):
    """The name of the empty list of layers a container is built with (a Keras-like ``Sequential()``), or
    None: built so, its forward is the identity and nothing of it can be checked."""
    try:
        obj = _build(make, 0)
    except USER:                                    # noqa: BLE001 -- said when it is checked
        return None
    held = _attributes(obj)
    return next((k for k in CONTAINERS if isinstance(held.get(k), (list, tuple)) and not held[k]
                 and not _params(obj)), None)


def _given_container(cls, make, names):
    """The name of the attribute a container is given its layers in (deepscratch's ``Sequential(layers=None)``,
    its forward looping over ``self.layers``), left None by default, or None."""
    try:
        obj = _build(make, 0)
        src = inspect.getsource(getattr(cls, names[0]))
    except (USER, OSError, TypeError):              # noqa: BLE001 -- said when it is checked
        return None
    held = _attributes(obj)
    return next((k for k in CONTAINERS if k in held and held[k] is None and not _params(obj)
                 and re.search(r"\bin\s+(reversed\()?self\." + k + r"\b", src)), None)


def _random_init(*shape):
    """An init function given where a constructor takes one: ``weight_init_fn(d0, d1)``, standard normal
    from the global generator (seeded at the build)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return np.random.standard_normal(shape)


def _random_bias(*shape):
    """A bias init function: a row (1, d) for ``bias_init_fn(d)``, as 11-785's tests give it."""
    return _random_init((1,) + shape if len(shape) == 1 and isinstance(shape[0], (int, np.integer)) else shape)


def _construct(cls, kwargs):
    """``cls(**kwargs)``; an ``input_shape`` of three numbers it cannot take is given as two, (H, W), and
    then as the numbers of units, ``input_shape`` D and ``output_shape`` H (aeronet's ``Dense(input_shape,
    output_shape)`` of two integers)."""
    try:
        return _connected(cls(**kwargs))
    except USER as e:
        if "input_shape" not in kwargs:
            raise
        first = e
    units = {"input_shape": D, **({"output_shape": H} if "output_shape" in kwargs else {})}
    for other in ({"input_shape": IMAGE[1:]}, units):
        try:
            return _connected(cls(**{**kwargs, **other}))
        except USER:
            continue
    raise first from None


def _connected(obj):
    """A layer that makes its weights in ``connect_to(prev_layer=None)`` as its first layer (NumpyDL's
    ``Linear(n_out, n_in)``, whose model calls it), made so; as it was where that raises."""
    connect = getattr(obj, "connect_to", None)
    if callable(connect) and not inspect.isclass(obj):
        before = SimpleNamespace(out_shape=(None, D), output_shape=(None, D))   # a layer of D features before it
        for args in ((), (before,)):
            try:
                connect(*args)
                break
            except USER:                            # noqa: BLE001 -- not so: the next, else as built
                continue
    return obj


KINDS = {"tanh": "tanh", "sigmoid": "sigmoid", "logistic": "sigmoid", "relu": "relu", "softmax": "softmax",
         "reshape": "reshape", "flatten": "reshape", "linear": "identity", "identity": "identity", **AR.NAMES}
SLOPES = AR.SLOPES


def _activation(kind, xt, hyper, want):
    """torch's ``kind`` of ``xt``; GELU exact or by tanh, whichever the layer's output ``want`` is."""
    return AR.torch_activation(kind, xt, hyper, kind == "gelu" and AR.gelu_is_tanh(want, xt, _close))


def _scalars(obj):
    """Its number-valued attributes (an ELU's alpha, a Swish's beta), a private one under its public name
    too where that is not taken (tinynn's ``self._slope``, ``self._alpha``): the value it computes with."""
    found = {k: v for k, v in _attributes(obj).items() if isinstance(v, (int, float, np.integer, np.floating))
             and not isinstance(v, (bool, np.bool_))}
    return {**{k.lstrip("_"): v for k, v in found.items() if k.startswith("_") and k.lstrip("_")}, **found}


def _kind(name, layer=False):
    """The kind a class (``layer``) or an activation function's name says."""
    n = re.sub(r"(layer|activation|module|_)", "", name.lower())
    if re.match(r"(dense|fc|fullyconnected|linear|affine|fullconnected)", n) and (layer or n != "linear"):
        return "dense"
    if n in KINDS:
        return KINDS[n]
    if re.fullmatch(r"(spatial)?batchnorm\w*|bn\d*(1d|2d)?", n):
        return "batchnorm"
    if re.fullmatch(r"(inverted)?dropout\w*", n):
        return "dropout"
    if re.fullmatch(r"layernorm\w*|ln\d*", name.lower().replace("_", "")):     # before "layer" is taken off
        return "layernorm"
    if re.fullmatch(r"conv\w*", n) and not re.search(r"transpose|deconv|upconv", n):
        return "conv"                               # (a transposed one: torch's conv2d is not its reference)
    if re.fullmatch(r"(max)pool\w*", n):
        return "max_pool"
    if re.fullmatch(r"(mean|avg|average)pool\w*", n):
        return "avg_pool"
    return "layer"


# ----------------------------------------------------------------- checking
COMPUTES_FLOAT32 = ("computes in float32: its output is float32 for float64 input, so it is judged at float32's "
                    "tolerance and without finite differences (declare compute=float32 if intended)")
ONE_NONZERO = "cross-entropy's output gradient (one nonzero entry, -1/p at the label)"
BATCH = f"a batch of {N}"


def check(label, kind, make, names, seed=0, cv=None):
    """One ``Report`` for the layer ``make()`` builds (``names``: forward, backward, mode; ``cv``: the
    conventions declared, of which a BatchNorm's running_var is read)."""
    samples = [("random", 1.0)]
    try:
        if kind in ("sigmoid", "tanh", "softmax") and not _params(_build(make, seed)):
            samples.append(("|x| near 800", 800.0))    # where exp overflows, for the activation itself
        elif kind in AR.KINDS and not _params(_build(make, seed)):
            wide = Wide(AR.WIDE.get(kind, 4.0))     # a ReLU6's clip at 6, a Softplus past its threshold
            samples.append((f"wide, {wide:g} * randn", wide))
    except USER:                                    # noqa: BLE001 -- the constructor fails: _sample says so
        pass
    try:
        batch = _batch_shape(make, names, seed)
    except USER:                                    # noqa: BLE001 -- the user's code refusing batches
        batch = None
    if batch:
        samples.append((f"{BATCH} {batch}", 1.0))
    runs = [_sample(label, kind, make, names, seed, sample, size, False, batch, cv) for sample, size in samples]
    if not runs[0][0].passed and getattr(runs[0][1], "distribution", False):
        # Victor Zhou's Softmax: "we know only 1 element of d_L_d_out will be nonzero", and its backward
        # returns at that element: right under cross-entropy, which is where it is used, and said so
        sparse = [_sample(label, kind, make, names, seed, f"{sample}, {ONE_NONZERO}", size, True, batch, cv)
                  for sample, size in samples]
        if all(r.passed for r, _ in sparse):
            for r, _ in sparse:
                for result in r.results:
                    result.extra["one_nonzero"] = True
            runs = sparse
    report = Report()
    for r, _ in runs:
        report.extend(r)
    return report


class Wide(float):
    """A sample's input ``z * scale`` (every branch of a clipped activation crossed), where a plain number
    past 1 is ``sign(z) * (size + 30 |z|)`` (saturation)."""


class Refused(ValueError):
    """What the scan says of the layer itself (no input shape gives it a non-empty output)."""


def _sample(label, kind, make, names, seed, sample, size, sparse, batch, cv=None):
    """``(report, checks)`` of one sample; ``batch``, the batch's shape, is used by the batch sample only."""
    s = seed_for(seed, label, sample)
    c = _Checks(None, component=label, dtype="float64", sample=sample, shape=(), seed=s)
    try:
        _check_one(c, kind, make, names, np.random.default_rng(s), s, size, sparse,
                   batch if sample.startswith(BATCH) else None, cv)
    except Refused as e:
        c.fail("error", str(e))
    except USER as e:                               # noqa: BLE001 -- the user's code (sys.exit too)
        c.crashed(e)
    return c.report(), c


def _build(make, seed):
    state = np.random.get_state()
    try:
        np.random.seed(seed % 2**32)
        return make()
    finally:
        np.random.set_state(state)


PARAM_DICTS, GRAD_DICTS = ("params", "parameters"), ("grads", "gradients")


def _held(obj):
    """Its ``self.params`` (or numpy-ml's ``self.parameters``) when a dict or a list of arrays, else None."""
    for name in PARAM_DICTS:
        held = getattr(obj, name, None)
        if isinstance(held, dict) or (isinstance(held, list) and held and
                                      all(isinstance(p, np.ndarray) for p in held)):
            return held
    return None


def _store(obj):
    """Where its arrays are: a dict (joelnet's ``params``), a list of arrays, or its attributes."""
    held = _held(obj)
    return "attrs" if held is None else "dict" if isinstance(held, dict) else "list"


def _params(obj):
    """The float arrays it holds: ``self.params``'s, or its attributes (``__slots__`` too) and, by path
    (``layers[0].W``, ``conv1d_stride1.W``), those of the layers it holds (a network, a wrapper)."""
    if _store(obj) == "dict":
        held = _held(obj)
    elif _store(obj) == "list":
        held = dict(enumerate(_held(obj)))
    else:
        return _arrays(obj)
    return {k: v for k, v in held.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"}


def _attributes(obj):
    try:
        return dict(vars(obj))
    except TypeError:                               # __slots__
        return {k: getattr(obj, k, None) for c in type(obj).__mro__ for k in getattr(c, "__slots__", ())
                if isinstance(k, str)}


def _user_object(v):
    """A layer object of the user's (not NumPy's, torch's, a module, a class or a function)."""
    module = getattr(type(v), "__module__", "") or ""
    return hasattr(v, "__dict__") and module.split(".")[0] not in ("builtins", "numpy", "torch", "scipy") \
        and not (inspect.ismodule(v) or inspect.isclass(v) or inspect.isroutine(v))


def _arrays(obj, prefix="", depth=2, seen=None):
    """``{path: array}``: the float arrays among its attributes, and (``depth`` levels down) those of the
    user's objects it holds, alone or in lists (``layers[0].W``)."""
    seen = seen if seen is not None else {id(obj)}
    found = {}
    for k, v in _attributes(obj).items():
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            found[prefix + k] = v
        elif depth and _user_object(v) and id(v) not in seen:
            seen.add(id(v))
            found.update(_arrays(v, f"{prefix}{k}.", depth - 1, seen))
        elif depth and isinstance(v, (list, tuple)) and 0 < len(v) <= 64:
            for i, item in enumerate(v):
                if _user_object(item) and id(item) not in seen:
                    seen.add(id(item))
                    found.update(_arrays(item, f"{prefix}{k}[{i}].", depth - 1, seen))
    return found


PATH = re.compile(r"([A-Za-z_]\w*)((?:\[\d+\])*)")


def _owner(obj, path):
    """``(the object holding the array at path, its attribute name)``."""
    parts = path.split(".")
    for part in parts[:-1]:
        name, index = PATH.fullmatch(part).groups()
        obj = getattr(obj, name)
        for i in re.findall(r"\d+", index):
            obj = obj[int(i)]
    return obj, parts[-1]


def _set(obj, k, v):
    if _store(obj) in ("dict", "list"):
        _held(obj)[k] = v
    else:
        setattr(*_owner(obj, k), v)


def _label(obj, k):
    return f"params[{k!r}]" if _store(obj) in ("dict", "list") else k


def _run(obj, names, x, g=None):
    """Its forward of ``x`` (the global RNG seeded first: a dropout draws the same mask each time) and,
    given ``g``, ``(out, backward's result)``."""
    def seed():
        np.random.seed(FORWARD_SEED)
        found = _generators(obj)
        for gen in found:                           # its own generators too (a dropout's default_rng())
            if isinstance(gen, np.random.RandomState):
                gen.seed(FORWARD_SEED)
            else:
                gen.bit_generator.state = type(gen.bit_generator)(FORWARD_SEED).state
        return {id(gen) for gen in found}
    held = seed()
    fwd = getattr(obj, names[0])
    fn = obj if _through_call(type(obj), names[0]) else fwd
    x0 = np.array(x, copy=True) if isinstance(x, np.ndarray) else x
    with _seeded_default_rng():
        out = _kept(obj, "output", lambda: fn(x, **NORM.flag(fwd)))   # a mode argument (eval=False, training=True)
    if seed() - held and isinstance(x, np.ndarray):
        # a generator it made at this forward from the OS's entropy (neuralnetlib's Dropout._get_rng()):
        # seeded now, and the forward run again with it, so that every run draws the same mask
        x[...] = x0
        with _seeded_default_rng():
            out = _kept(obj, "output", lambda: fn(x, **NORM.flag(fwd)))
    if g is None:
        return out
    return out, _backward(obj, names, x, g)


class _seeded_default_rng:
    """While a forward runs, ``np.random.default_rng()`` called without a seed (netweaver's LayerDropout draws
    its mask from a fresh one at each forward) gives a generator seeded with ``FORWARD_SEED``: every run of
    the forward draws the same mask, so finite differences of it measure its gradient."""

    def __enter__(self):
        self.real = real = np.random.default_rng

        def default_rng(seed=None, *args, **kwargs):
            return real(FORWARD_SEED if seed is None else seed, *args, **kwargs)
        np.random.default_rng = default_rng
        return self

    def __exit__(self, *exc):
        np.random.default_rng = self.real
        return False


def _through_call(cls, fwd):
    """Whether its ``__call__`` (its class's or a base's) runs ``fwd`` and more besides (PyEZNet's
    ``Diff_Func``: ``forward``, then ``self.grad = self.calc_Grad(x)``, which its backward reads): then the
    object is called, as its users call it, not its forward."""
    call = next((vars(c)["__call__"] for c in cls.__mro__[:-1] if "__call__" in vars(c)), None)
    if not inspect.isfunction(call):
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(call)))
    except (OSError, TypeError, SyntaxError):
        return False
    calls = [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "self"]
    return fwd in calls and any(c != fwd for c in calls)


def _generators(obj, depth=2, seen=None):
    """The NumPy generators (``Generator``, ``RandomState``) among its attributes and its layers'."""
    seen = seen if seen is not None else {id(obj)}
    found = []
    for v in _attributes(obj).values():
        if isinstance(v, (np.random.Generator, np.random.RandomState)):
            found.append(v)
        elif depth and _user_object(v) and id(v) not in seen:
            seen.add(id(v))
            found += _generators(v, depth - 1, seen)
        elif depth and isinstance(v, (list, tuple)) and 0 < len(v) <= 64:
            for item in v:
                if _user_object(item) and id(item) not in seen:
                    seen.add(id(item))
                    found += _generators(item, depth - 1, seen)
    return found


def _backward(obj, names, x, g):
    fn, mode = getattr(obj, names[1]), names[2]
    if mode in ("local", "local_x"):                # dA/dZ, elementwise: the chain rule is the caller's
        local = fn() if mode == "local" else fn(np.array(x, copy=True))
        try:                                        # an array of the output's shape, or a number (Identity's 1.0)
            ok = not isinstance(local, (bool, str, bytes)) and np.asarray(local).dtype.kind in "fiub" and \
                np.broadcast_shapes(np.shape(local), np.shape(g)) == np.shape(g)
        except (ValueError, TypeError):
            ok = False
        return g * local if ok else local
    return _kept(obj, DINPUTS, lambda: fn(g, LR) if mode == "lr" else fn(x, g) if mode == "input" else fn(g))


# where a backward that returns nothing leaves the input gradient: "Neural Networks from Scratch"'s
# dinputs, and the singular some of its readers write (mapicx's layer.dinput)
DINPUTS = ("dinputs", "dinput")


def _kept(obj, attr, call):
    """``call()``'s result, or, where it returns None, the array it left in ``obj.<attr>`` at this call:
    "Neural Networks from Scratch"'s style (``self.output``, ``self.dinputs``) in a class of any name
    (an ``Activation_ELU`` of your own). ``attr`` may be several names (``DINPUTS``): the first one this
    call wrote. What an earlier call left there is not taken."""
    names = (attr,) if isinstance(attr, str) else tuple(attr)
    before = {}
    for a in names:
        b = getattr(obj, a, None)
        before[a] = (b, b.copy()) if isinstance(b, np.ndarray) else (None, None)
    result = call()
    if result is not None:
        return result
    for a in names:
        after = getattr(obj, a, None)
        if isinstance(after, np.ndarray) and (after is not before[a][0] or not np.array_equal(
                after, before[a][1], equal_nan=after.dtype.kind in "fc")):
            return after
    return result


def _dense(params):
    """``(weight name, bias name or None, orientation)`` for a layer holding a 2-D weight of the sizes
    it was built with ("DH": ``x @ W``; "HD": ``W @ x`` on columns or ``x @ W.T`` on rows, as torch's
    Linear), else None."""
    for k, w in params.items():
        if w.ndim == 2 and w.shape in ((H, D), (D, H)) and "." not in str(k):   # its own, not a layer's it holds
            bias = next((b for b, v in params.items() if b != k and v.size == H), None)
            return k, bias, "HD" if w.shape == (H, D) else "DH"
    return None


def _inputs(kind, obj, params, sized, batched=False):
    """The input shapes to try, in order: what the layer's weights say, its ``input_shape``, a vector for
    a softmax, D-wide rows for a layer built for input size D, else an image, a matrix, a column, a row."""
    dense = _dense(params)
    if dense:
        return [(1, D)] if dense[2] == "DH" else [(D, 1), (1, D)]
    shape = getattr(obj, "input_shape", None)
    if isinstance(shape, (tuple, list)) and shape and all(isinstance(n, (int, np.integer)) for n in shape):
        shape = tuple(int(n) for n in shape)
        batch = ((N,) if len(shape) == 1 else (2,)) + shape
        return [batch] if batched else [shape, batch]      # (a layer built for (D,) may take batches only)
    first = []
    for w in params.values():               # (F, C, k, k) kernels on a batch of images; (F, C, k) on sequences
        if w.ndim == 4:                             # (F, C, k, k) on (N, C, H, W); (k, k, C, F) on (N, H, W, C)
            first += [(2, w.shape[1], 8, 7), (w.shape[1], 8, 7), (2, 8, 7, w.shape[2])]
        elif w.ndim == 3 and len(params) == 1 and w.shape[1] == w.shape[2]:
            first += [(8, 7), (2, w.shape[1], 9)]           # Victor Zhou's filters (F, k, k) on a 2-D image first
        elif w.ndim == 3:
            first += [(2, w.shape[1], 9), (8, 7)]
        elif w.ndim == 2 and "." in str(next(k for k, v in params.items() if v is w)):
            first += [(N, w.shape[1]), (N, w.shape[0])]     # a network's first layer (11-785's MLP0: W (out, in))
        else:
            continue
        break
    if kind == "softmax":                                   # a batch of rows, a column, a row
        return first + [(3, 5), (5, 1), (1, 5)]
    if kind == "batchnorm":                                 # rows, images (N, C, H, W) or (N, H, W, C), columns
        return first + [(N, D), (2, D, 5, 3), (2, 5, 3, D), (D, N)]
    if sized or params:                                     # a BatchNorm's gamma (1, D), a lazy Dense(units)
        return first + [(N, D), (1, D), (D, 1), (D, N)]
    if kind in ("max_pool", "avg_pool"):                    # (H, W, C) (Victor Zhou's), (N, C, H, W), (H, W)
        return first + [IMAGE, (2, 3, 8, 7), (8, 7)]
    # last, images channels last with the 3 channels a convolution is built for (tinynn's (N, H, W, C))
    return first + [IMAGE, (3, 4), (5, 1), (1, 5), (2, 3, 8, 7), (2, 8, 7, OTHER["in_channels"])]


def _batch_shape(make, names, seed):
    """A batch for a dense layer that trains on one: (N, D) rows or (D, N) columns, when its forward and
    backward run on it, its output is (N, H) or (H, N), and its weights keep their shapes (Omar Aflak's
    FCLayer and The Independent Code's Dense do not: their bias takes the whole output gradient, one
    sample at a time as their training loops give them)."""
    params = _params(_build(make, seed))
    dense = _dense(params)
    if not dense:
        return None
    for shape, want in ([((N, D), (N, H))] if dense[2] == "DH" else [((D, N), (H, N)), ((N, D), (N, H))]):
        obj = _build(make, seed)
        try:
            x = np.ones(shape)
            out = np.asarray(_run(obj, names, x))
            _run(obj, names, x, np.ones_like(out))
        except USER:                                # noqa: BLE001 -- not this layout
            continue
        if out.shape == want and all(np.shape(_params(obj).get(k)) == v.shape for k, v in params.items()):
            return shape
    return None


def _pick(make, names, shapes, seed, rng):
    """The first input shape its forward and backward both take with a non-empty output. Where none is,
    what it raised on the first shape its forward took (its backward failing there: numpy-ml's
    ``Pool2D(pad=1)``), else on the first shape tried, the shape kept as ``tried_shape``."""
    first = forwarded = None
    for shape in shapes:
        x = rng.standard_normal(shape)
        ran = False
        try:
            out = np.asarray(_run(_build(make, seed), names, x.copy()))
            if out.size == 0:
                raise Refused(f"its forward of every input tried is empty: {out.shape} for {shape}")
            if out.ndim > x.ndim and out.shape[-x.ndim:] == x.shape:     # broadcast up (a mask (N, C, 1, 1))
                raise Refused(f"its forward made {out.shape} of {shape}: not the input it is written for")
            ran = True
            _run(_build(make, seed), names, x.copy(), np.ones_like(out))
        except USER as e:                           # noqa: BLE001 -- the user's code refusing this layout
            try:
                e.tried_shape = shape
            except (AttributeError, TypeError):         # an exception of the user's refusing attributes
                pass
            first = first or e
            forwarded = forwarded or (e if ran else None)
            continue
        return shape
    raise forwarded or first


def _reads(obj, names, x, k, v, out, rng, built=()):
    """Whether its forward reads the array ``k`` (a weight), not only keeps it (a momentum buffer): a
    random change of it (not a uniform one, which a bias before a softmax would not show) moves the output."""
    try:
        given = v + rng.standard_normal(v.shape)
        _set(obj, k, given)
        moved = np.asarray(_run(obj, names, x.copy()))
        now = _params(obj).get(k)
        if k not in built and (not isinstance(now, np.ndarray) or not _same(now, given)):
            return False                            # what its forward overwrites (a kept input, a mask, its output)
        return moved.shape != out.shape or not np.array_equal(moved, out, equal_nan=True)
    except USER:
        return True
    finally:
        _set(obj, k, v.copy())


def _weights(probe, names, x, arrays, built, out, rng):
    """The arrays its forward reads, found on ``probe``. Arrays made constant (all zeros: 11-785's Linear)
    are set to values in [0.5, 1.5] there first: a layer of zero weights after another hides that the
    other's weights are read (MLP4's five Linear layers and ReLUs)."""
    flat = [k for k in arrays if k in built and arrays[k].size > 1 and np.ptp(arrays[k]) == 0]
    if flat:
        for k in flat:
            _set(probe, k, rng.uniform(0.5, 1.5, arrays[k].shape).astype(arrays[k].dtype))
        try:
            out = np.asarray(_run(probe, names, x.copy()))
        except USER:                                # noqa: BLE001 -- it cannot run so: probe as it was built
            for k in flat:
                _set(probe, k, arrays[k].copy())
    now = _params(probe)
    return {k: v for k, v in arrays.items() if _reads(probe, names, x, k, now.get(k, v), out, rng, built)}


def _check_one(c, kind, make, names, rng, seed, size, sparse=False, batch=None, cv=None):
    obj = _build(make, seed)
    shapes = [batch] if batch else _inputs(kind, obj, _params(obj), getattr(make, "sized", False),
                                           getattr(make, "batched", False))
    c.meta["shape"] = shapes[0]                     # the input tried, should the first one fail
    try:
        shape = batch or _pick(make, names, shapes, seed, rng)
    except USER as e:
        c.meta["shape"] = getattr(e, "tried_shape", shapes[0])
        raise
    c.meta["shape"] = shape
    z = rng.standard_normal(shape)
    x = z if size == 1.0 else size * z if isinstance(size, Wide) else np.sign(z) * (size + 30.0 * np.abs(z))
    if getattr(make, "positive", False):
        x = 0.5 + np.abs(x)                         # a DeZero Function checked by finite differences alone
    obj = _build(make, seed)
    built = set(_params(obj))                       # before any forward: no cached input or output among them
    x_in = x.copy()
    out = _run(obj, names, x_in)                    # weights made at the first forward (Dense(units)) exist now
    if not isinstance(out, np.ndarray):
        c.fail("forward", f"{names[0]} returned {type(out).__name__}, not an array")
        return
    out = np.array(out, copy=True)
    arrays = {k: v.copy() for k, v in _params(obj).items()}
    # a weight is what its forward reads, found on a copy (its forward may keep what it saw: numpy-ml's X list)
    pristine = _copy(obj) or _again(make, names, seed, x)      # as before the backward, sub-layers' weights too
    probe = _copy(obj) or _again(make, names, seed, x)
    found = _weights(probe, names, x, arrays, built, out, rng)
    known = getattr(make, "known", ())             # found before its weights were spread (a dead ReLU hides some now)
    weights = {k: v for k, v in arrays.items() if k in found or k in known}
    flat = [k for k in weights if k in built and weights[k].size > 1 and np.ptp(weights[k]) == 0]
    single = [k for k in weights if k in built and weights[k].dtype == np.float32]
    if (flat or single) and not getattr(make, "spread", False):
        # weights made all zeros or all ones (11-785's Linear, a BatchNorm's gamma): checked at random values
        # instead, where a ReLU after them is off its kink and a forgotten gamma shows; weights made float32
        # (the handout's dtype="f") as float64, so that finite differences check them too, unless the layer
        # computes in float32 whatever its weights are (then at float32's tolerance, as they were)
        made = _spread(make, weights, flat, single, seed, upcast=True)
        made.fallback = _spread(make, weights, flat, single, seed, upcast=False) if single else None
        made.known = set(weights)
        if made.fallback is None:
            return _check_one(c, kind, made, names, rng, seed, size, sparse, batch, cv)
        made.fallback.known = set(weights)
        # as float64 first; where that fails and the float32 weights pass (a layer casting its input to
        # float32 too), it is a float32 layer: judged as one
        runs = []
        for attempt in (made, made.fallback):
            c2 = _Checks(None, **dict(c.meta))
            _check_one(c2, kind, attempt, names, np.random.default_rng(seed), seed, size, sparse, batch, cv)
            runs.append(c2)
            if all(r.passed for r in c2.results):
                break
        pick = runs[1] if len(runs) == 2 and all(r.passed for r in runs[1].results) else runs[0]
        c.meta.update(pick.meta)
        c.results.extend(pick.results)
        c.distribution = getattr(pick, "distribution", False)
        return None
    if getattr(make, "fallback", None) is not None and out.dtype == np.float32:
        return _check_one(c, kind, make.fallback, names, rng, seed, size, sparse, batch, cv)
    computes32 = False
    if any(v.dtype == np.float32 for v in weights.values()):
        c.meta["dtype"] = "float32"                 # its weights are float32: float32's tolerance, no finite differences
    elif (out.dtype == np.float32 or (cv or {}).get("compute") == "float32" and _names_float32(obj, names)) \
            and x.dtype == np.float64:
        # it computes in float32 whatever it is given (mpneuralnetwork's DTYPE, tinynn's np.empty): judged at
        # float32's tolerance, without finite differences (of a float32 function they measure its rounding,
        # 1%); said as what it is, a convention to declare. A float64 output computed from float32 values
        # (mpneuralnetwork's Swish: x / (1 + np.exp(-x, dtype=DTYPE))) is so under compute=float32 only
        computes32 = True
        c.tolerances = {**(getattr(c, "tolerances", None) or {}), "float64": POLICY["float32"]}
        if (cv or {}).get("compute") != "float32":
            c.fail("compute", COMPUTES_FLOAT32)
    c.distribution = bool(out.size > 1 and np.all(out > 0) and abs(out.sum() - 1.0) < 1e-9)
    g = rng.standard_normal(out.shape)
    if sparse:                                      # d(-log p[label]) / dp
        g = np.zeros(out.shape)
        label = np.unravel_index(int(rng.integers(out.size)), out.shape)
        g[label] = -1.0 / out[label]
    if size != 1.0 and g.size:
        # on inputs near 800 an activation saturates: torch's gradient is 0 there (exp(-800) underflows), and
        # one clipping its input at +-50 (a common guard against overflow) leaves 2e-22. Compared with a floor
        # of 1e-10 of the output gradient's magnitude: what an error below it moves is below float64's rounding
        # of any step taken with it. (The sample is there for overflow: a NaN or an inf still fails.)
        # In float32 (its weights, or its arithmetic) the floor is float32's epsilon of it, for the same reason.
        single = computes32 or c.meta["dtype"] == "float32"
        base = POLICY["float32" if single else c.meta["dtype"]]
        share = np.finfo(np.float32).eps if single else 1e-10
        floor = Tolerance(base.rtol, base.scale, share * float(np.abs(g).max()))
        c.tolerances = {**(getattr(c, "tolerances", None) or {}), "grad_input": floor}
    g_in = g.copy()
    attrs_before = _float_attrs(obj)
    dx = _backward(obj, names, x_in, g_in)
    if dx is NotImplemented:                        # the older 11-785 handout's `return NotImplemented`: none
        dx = None
    c.unchanged("its input", x, x_in)               # by forward, or by backward through what it kept
    c.unchanged("the output gradient", g, g_in)
    if isinstance(dx, (tuple, list)) and len(dx) == len(x) and all(np.shape(d) == x.shape[1:] for d in dx):
        dx = np.stack([np.asarray(d, dtype=np.float64) for d in dx])    # a forward taking a list of inputs (numpy-ml's
        #                                                                 Add, Multiply): one gradient per input
    if isinstance(dx, (tuple, list)):
        c.fail("grad_input", f"{names[1]} returned a {type(dx).__name__} of {len(dx)}; expected the input "
                             "gradient, one array")
        return
    after = {k: np.array(_params(obj).get(k), dtype=np.float64, copy=True) for k in arrays}
    grads, source = _gradients(obj, names, weights, arrays, after, attrs_before)
    said = None
    elsewhere = {k: a for k in weights if source == "attrs" and (a := _filled_elsewhere(obj, k, attrs_before))}
    if elsewhere:
        # nerva's SReLUActivation: x beside a Dx that its SReLULayer fills (self.act.Dx[:] = ...), never this class
        weights = {k: v for k, v in weights.items() if k not in elsewhere}
        said = "; ".join(f"{k} not checked: no method of it writes {a} (the layer holding it fills it?)"
                           for k, a in elsewhere.items())
    if dx is None and not weights:
        c.fail("grad_input", f"{names[1]} returned None: no input gradient")
        return
    # torch's layer of every array it holds, those its forward reads first (a bias its forward forgets
    # still belongs to the dense layer; a momentum buffer the size of the bias is not the bias)
    grads_at = {c for k in weights for c in _grad_names(k)}      # dLdW made with W: not a weight of torch's layer
    held = {**weights, **{k: v for k, v in arrays.items() if k not in weights and k in built
                          and str(k).lower() not in grads_at}}
    scalars, slope = _scalars(obj), None
    if kind == "leaky_relu" and not any(k in scalars for k in AR.SLOPES) and (slope := AR.slope_of(x, out)):
        scalars = {**scalars, "negative_slope": slope}     # a slope no attribute holds (a literal 0.1): its output's
    ref, then, told, eps = _reference(kind, held, x, g, out.shape, out, scalars), None, None, None
    if kind in ("batchnorm", "layernorm") and (found := NORM.reference(kind, weights, x, g, out, _scalars(obj))):
        ref, told, eps = found
    if ref is not None and _dense(held) and not _close(out, ref[0]):
        # Dense(..., activation="relu"): the dense layer and the activation it applies after it
        then = next((a for a in ("relu", "sigmoid", "tanh", "softmax") if a != kind
                     and _close(out, _reference(a, held, x, g, out.shape, out)[0])), None)
        # a layer its name does not call dense, holding a weight of those sizes, is one only if it computes one
        ref = _reference(then, held, x, g, out.shape, out) if then else None if kind == "layer" else ref
    if ref is not None and kind == "conv" and not _close(out, ref[0]):
        # a convolution applying an activation it is given (numpy-ml's Conv2D(act_fn='relu'))
        then = next((a for a in ("relu", "sigmoid", "tanh") if (r := _reference(
            kind, held, x, g, out.shape, out, act=a)) is not None and _close(out, r[0])), None)
        ref = _reference(kind, held, x, g, out.shape, out, act=then) if then else ref
        then = f"a convolution, then {then}" if then else None
    if ref is not None:
        c.add("forward", out, ref[0])
        if slope:
            told = f"torch (leaky_relu of slope {slope:g}, read from its output: no attribute of it holds the slope)"
            c.results[-1].extra["slope"] = slope
        if not c.results[-1].passed and kind in OVERFLOW and not np.isfinite(out).all() and np.isfinite(ref[0]).all():
            _note(c.results[-1], OVERFLOW[kind])
        if not c.results[-1].passed and (other := AR.other_definition(kind, x, out)):
            _note(c.results[-1], other)
        if then or told:
            c.results[-1].reference = told or (f"torch ({then})" if then.startswith("a conv") else
                                               f"torch (a dense layer, then {then})")
        if len(ref) > 3 and not c.results[-1].passed:
            _note(c.results[-1], ref[3])            # a BatchNorm's eps outside the square root...
        if dx is not None:
            c.add("grad_input", dx, ref[1])
            c.kink(x, dx, ref[1], g)
            c.results[-1].reference = told if slope else c.results[-1].reference
        for k in weights:
            if k in ref[2]:
                c.add(f"grad_param:{_label(obj, k)}", grads[k], ref[2][k])
                _explain_scale(c.results[-1], grads[k], ref[2][k], source)
    # the third oracle: finite differences of its own forward, the arrays as they were (float64 only:
    # in float32 they would measure rounding)
    obj = pristine
    fd = c.meta["dtype"] == "float64" and not computes32
    again = fd and _repeatable(obj, names, x)
    if fd and not again:                            # a mask from a generator it makes unseeded (not default_rng())
        said = (said + "; " if said else "") + ("finite differences not taken: two forwards of one input differ "
                                                "(a random draw parity scan cannot seed)")
    if dx is not None and again:
        c.add("fd:grad_input", dx, _fd(lambda xx: _run(obj, names, xx), x, g))
    for k, v in weights.items() if again else ():
        def f(p, k=k):
            _set(obj, k, p)
            return _run(obj, names, x.copy())
        c.add(f"fd:{_label(obj, k)}", grads[k], _fd(f, v, g))
        _set(obj, k, v.copy())
    for r in c.results:
        k = next((k for k in weights if r.check.endswith(":" + _label(obj, k))), None)
        if k is not None and source == "update" and not r.passed and _same(arrays[k], after[k]):
            _note(r, f"its backward left {k} unchanged")
        if k is not None and not r.passed and source.startswith("none"):
            _note(r, source[len("none: "):])
    kept = [k for k in arrays if k not in weights and k in built and not _same(arrays[k], after[k])]
    if kept and source == "update" and any(r.check.startswith(("grad_param", "fd:")) and r.check != "fd:grad_input"
                                           and not r.passed for r in c.results):
        for r in c.results:
            if not r.passed and r.check != "fd:grad_input":
                _note(r, (
                    f"its backward also changes {', '.join(kept)}, which its forward does not read: an optimizer "
                    f"inside the layer (momentum, Adam)? The gradient is read from the weights' update as plain "
                    f"SGD's, (before - after) / learning_rate"))
                break
    _explain_stale(c, obj, names, x, g, dx, weights, after)
    if kind == "softmax" and dx is not None and np.shape(dx) == g.shape and np.allclose(dx, g * out * (1 - out)):
        for r in c.results:
            if r.check in ("grad_input", "fd:grad_input") and not r.passed:
                _note(r, "its gradient is g * p * (1 - p), the Jacobian's diagonal alone: each output depends on "
                         "every input of its row, so the input gradient is p * (g - sum(g * p)) over the row")
    if dx is not None and np.shape(dx) == g.shape and np.array_equal(dx, g) and kind != "identity":
        for r in c.results:
            if r.check in ("grad_input", "fd:grad_input") and not r.passed:
                _note(r, (
                    "its backward returns the output gradient unchanged: a layer whose gradient the loss computes "
                    "with it (softmax with cross-entropy's p - y)? As a layer of its own, its forward has this "
                    "gradient"))
    if dx is None and names[2] == "opt":            # its network passes on what it returns: every layer must
        c.fail("grad_input", f"{names[1]} returned None: its network passes on what it returns "
                             f"(loss_grad = layer.{names[1]}(loss_grad)), the input gradient")
    elif dx is None:                                # Victor Zhou's Conv3x3, a first layer: said beside the verdict
        for r in c.results:
            r.extra["no_input_grad"] = True
    if kind == "dropout" and fd and size == 1.0 and not sparse and batch is None:
        DROPOUT.check(c, make, names, x, out, _scalars(obj), cv or {})
    if kind == "batchnorm" and eps is not None and size == 1.0 and not sparse and batch is None:
        NORM.check_state(c, make, names, shape, weights, _scalars(obj), eps, cv, np.random.default_rng(seed + 1))
    for r in c.results[:1] if said else ():
        r.extra["says"] = said
    if not any(r.check.startswith(("forward", "grad", "fd:")) for r in c.results):
        c.fail("checks", "nothing could be compared: torch has no reference for this layer, and its float32 "
                         "arithmetic rules out finite differences; not a pass")


def _repeatable(obj, names, x):
    """Whether two forwards of ``x`` give the same output (to 1e-12): finite differences of it mean
    something."""
    try:
        a = np.asarray(_run(obj, names, x.copy()), dtype=np.float64)
        b = np.asarray(_run(obj, names, x.copy()), dtype=np.float64)
    except (USER, TypeError, ValueError):           # noqa: BLE001 -- its finite differences say what it raises
        return True
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True)


def _names_float32(obj, names):
    """Whether its forward or backward, or a function it holds (mpneuralnetwork's ``Activation(f, f_prime)``
    lambdas), names float32: ``np.float32``, ``"float32"``, or a global bound to float32 (mpneuralnetwork's
    ``DTYPE = np.float32``)."""
    fns = [getattr(obj, n, None) for n in names[:2]] + [v for v in _attributes(obj).values() if inspect.isfunction(v)]
    for fn in fns:
        fn = getattr(fn, "__func__", fn)
        code, space = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
        codes = [code] if code is not None else []
        while codes:                                # its nested functions and lambdas too
            code = codes.pop()
            codes += [c for c in code.co_consts if inspect.iscode(c)]
            if "float32" in code.co_names or {"float32", "f4"} & {c for c in code.co_consts if isinstance(c, str)} \
                    or any(_is_float32(space.get(n)) for n in code.co_names):
                return True
    return False


def _is_float32(v):
    """Whether ``v`` is float32 as a dtype: ``np.float32``, ``np.dtype('float32')``, ``"float32"``."""
    if not isinstance(v, (type, np.dtype, str)):
        return False
    try:
        return np.dtype(v) == np.float32
    except (TypeError, ValueError):
        return False


def _spread(make, weights, flat, single, seed, upcast):
    """``make`` with the weights ``flat`` set to random values and, with ``upcast``, those ``single``
    (float32) as float64."""
    rng = np.random.default_rng(seed)
    values = {}
    for k in list(dict.fromkeys(flat + single)):
        v = rng.standard_normal(weights[k].shape) if k in flat else weights[k]
        values[k] = np.array(v, dtype=np.float64 if upcast and k in single else weights[k].dtype)

    def spread():
        made = make()
        for k, v in values.items():
            _set(made, k, v.copy())
        return made
    spread.spread, spread.sized, spread.fallback = True, getattr(make, "sized", False), None
    spread.batched = getattr(make, "batched", False)
    return spread


OVERFLOW = {"softmax": "exp overflows for inputs this large: subtract each row's max before exp (the same "
                       "probabilities, exp(x - max) / sum(exp(x - max)))",
            "sigmoid": "exp overflows for inputs this large: 0.5 * (1 + tanh(x / 2)) is the same function without it",
            "tanh": "exp overflows for inputs this large: np.tanh does not"}


def _again(make, names, seed, x):
    """The layer built and run forward once more (seeded both times: the same state), for a layer that
    cannot be deep-copied (it holds a module, a lock, a file)."""
    obj = _build(make, seed)
    _run(obj, names, x.copy())
    return obj


def _copy(obj):
    """A deep copy of the layer as it is, or None when it cannot be copied (it holds a file, a generator)."""
    import copy
    try:
        return copy.deepcopy(obj)
    except Exception:                               # noqa: BLE001 -- whatever the user's object holds
        return None


def _same(a, b):
    return np.shape(a) == np.shape(b) and np.array_equal(a, b)


def _float_attrs(obj):
    """Copies of the float arrays among its attributes, its layers' (by path) and in its gradient dicts."""
    held = _attributes(obj)
    found = dict(_arrays(obj))
    for name in GRAD_DICTS:
        if isinstance(held.get(name), dict):
            found.update({f"{name}[{k!r}]": v for k, v in held[name].items()
                          if isinstance(v, np.ndarray) and v.dtype.kind == "f"})
    return {k: np.array(v, copy=True) for k, v in found.items()}


def _filled_elsewhere(obj, k, attrs_before):
    """The attribute named as the gradient of the weight ``k`` (``Dx`` beside ``x``) where its backward left
    it as it was and no method of its class but the constructor assigns it, else None."""
    attrs = _float_attrs(obj)
    by_name = {a.lower(): a for a in attrs}
    hit = next((by_name[c] for c in _grad_names(k) if c in by_name), None)
    if hit is None or "." in hit or "[" in hit or not _same(attrs[hit], attrs_before.get(hit)):
        return None
    write = re.compile(r"self\." + re.escape(hit) + r"\s*(\[[^\]]*\])?\s*[-+*/@]?=(?!=)")
    for c in type(obj).__mro__[:-1]:
        for name, fn in vars(c).items():
            fn = getattr(fn, "__func__", fn)
            if name == "__init__" or not inspect.isfunction(fn):
                continue
            try:
                if write.search(inspect.getsource(fn)):
                    return None
            except (OSError, TypeError):
                return None
    return hit


def _grad_names(k):
    """Where a backward may leave the gradient of the weight at path ``k``, lower case: ``dW``,
    ``grad_W``, ``W_grad``, ``dLdW``... beside it (``layers[0].dLdW`` for ``layers[0].W``)."""
    prefix, _, name = str(k).rpartition(".")
    prefix = prefix + "." if prefix else ""
    if name in ("data", "value", "val") and prefix:  # a Parameter object: weight.data beside weight.grad
        return [(prefix + c).lower() for c in ("grad", "gradient", "grad_data")]
    return [(prefix + c).lower() for c in (
        "d" + name, "d_" + name, "grad" + name, "grad_" + name, name + "_grad", name + "grad", name + "_gradient",
        "gradient_" + name, "dl_d" + name, "dld" + name, "dloss_d" + name, "dl_d_" + name)]


def _gradients(obj, names, weights, before, after, attrs_before):
    """``({weight: its gradient}, source)``: read from the update at learning rate ``LR`` ("update"),
    from ``self.grads``/``self.gradients`` by key ("dict"), or from the attributes its backward left
    (``dW``, ``gradW``, ``weights_gradient``: "attrs"); "none: why" when there is none to read."""
    changed = any(not _same(before[k], after[k]) for k in weights)
    if changed or (names[2] in ("lr", "attr", "opt") and not weights):
        return {k: (before[k] - after[k]) / LR if after[k].shape == before[k].shape else after[k]
                for k in weights}, "update"
    for name in GRAD_DICTS:
        held = getattr(obj, name, None)
        if isinstance(held, (dict, list)) and held:
            pick = held if isinstance(held, dict) else dict(enumerate(held))
            if all(k in pick for k in weights):
                return {k: pick[k] for k in weights}, "dict"
            if (keyed := _dict_keys(obj, weights, pick)):
                return {k: pick[keyed[k]] for k in weights}, "dict"
    attrs = _float_attrs(obj)
    found = {}
    by_name = {a.lower(): a for a in attrs}
    for k in weights:
        hit = next((by_name[c] for c in _grad_names(k) if c in by_name), None)
        if hit is None:                             # the one array of its shape beside it that backward made or changed
            beside = str(k).rpartition(".")[0]
            new = [a for a, v in attrs.items() if v.shape == weights[k].shape and a not in before
                   and a.rpartition(".")[0] == beside and not _same(v, attrs_before.get(a))]
            hit = new[0] if len(new) == 1 else None
        found[k] = attrs[hit] if hit is not None else None
        if found[k] is not None and found[k].shape != weights[k].shape and found[k].size == weights[k].size and \
                found[k].squeeze().shape == weights[k].squeeze().shape:
            found[k] = found[k].reshape(weights[k].shape)   # db (1, d) kept for a bias (d,): the same numbers
    if weights and all(v is None for v in found.values()):
        return found, ("none: its backward neither updated it nor left its gradient (as d<name>, grad_<name>, "
                       "<name>_grad, or in self.grads)")
    return found, "attrs"


# what a gradient dict's keys call a weight and a bias (miniMLP's grads = {'dW': dgamma, 'db': dbeta})
ROLE = {"w": ("w", "weight", "weights", "kernel", "gamma", "scale"), "b": ("b", "bias", "biases", "beta", "shift")}


def _dict_keys(obj, weights, pick):
    """``{weight: its key in the gradient dict pick}`` where each weight, under its name or another name of
    the same array (miniMLP's BatchNormalization: ``self.weights, self.biases = self.gamma, self.beta``),
    has one key ``d<name>`` (or ``dW``/``db`` by its role) holding an array of its shape, else None."""
    held = _attributes(obj)
    found = {}
    for k in weights:
        names = {str(k)} | {a for a, v in held.items() if isinstance(held.get(k), np.ndarray) and v is held.get(k)}
        want = {n.lower() for n in names} | {"d" + n.lower() for n in names} | {"grad_" + n.lower() for n in names}
        want |= {"d" + r for r, group in ROLE.items() if {n.lower() for n in names} & set(group)}
        hits = [key for key in pick if isinstance(key, str) and key.lower() in want
                and np.shape(pick[key]) == np.shape(weights[k])]
        if len(hits) != 1:
            return None
        found[k] = hits[0]
    return found if len(set(found.values())) == len(found) else None


def _close(got, want):
    got, want = np.asarray(got), np.asarray(want)
    return got.shape == want.shape and np.allclose(got, want, rtol=1e-9, atol=1e-12 * (np.abs(want).max() + 1e-300))


def _explain_scale(result, got, want, source):
    """An update (a gradient) that is a constant times torch's (a learning rate of its own, a missing 1/N)."""
    ratio = None if result.passed else constant_ratio(got, want)
    if ratio is not None and abs(ratio - 1) > 1e-6:     # not "1 times": a small error of another kind
        _note(result, f"its update at learning_rate={LR} is {ratio:.6g} times what that rate gives ({LR} times the "
                      "gradient): is the learning rate used once, as given, and the gradient scaled right?"
              if source == "update" else f"it is {ratio:.6g} times torch's")


def _explain_stale(c, obj, names, x, g, dx, weights, after):
    """An input gradient that is wrong for the weights before the update but right for those after
    it: the backward updated them first."""
    bad = [r for r in c.results if r.check in ("grad_input", "fd:grad_input") and not r.passed]
    if not bad or dx is None or all(_same(weights[k], after[k]) for k in weights):
        return
    for k in weights:
        _set(obj, k, after[k].copy())
    try:
        stale = _fd(lambda xx: _run(obj, names, xx), x, g)
    finally:
        for k, v in weights.items():
            _set(obj, k, v.copy())
    if np.shape(dx) == stale.shape and np.allclose(dx, stale, rtol=1e-5, atol=1e-7):
        for r in bad:
            _note(r, (
                "it is the input gradient of the weights after the update: the backward updates the weights "
                "before it uses them (compute the input gradient first)"))


def _fd(f, p, g):
    """d sum(g * f(p)) / dp by central differences (``numpy_impl.gradcheck``'s): ``f`` takes a copy of p."""
    p = np.array(p, dtype=np.float64, copy=True)
    return numerical_gradient(lambda: np.asarray(f(p.copy()), dtype=np.float64), p, np.asarray(g, dtype=np.float64))


def _reference(kind, params, x, g, out_shape, want=None, hyper=None, act=None):
    """``(out, dx, {param: grad})`` from torch, or None where torch has no name for the layer. A
    batched convolution or a pooling takes the stride and padding that give ``out_shape`` (and, of
    those, the output ``want``); ``act``: a convolution followed by that activation."""
    if kind in ("conv", "max_pool", "avg_pool") and x.ndim in (3, 4):
        first = None                                # none gives its output: the first of its output's shape
        for stride, padding, size, last in _windows(kind, params, x):
            ref = _reference_with(kind, params, x, g, out_shape, stride, padding, size, act=act, last=last)
            if ref is not None and (want is None or _close(want, ref[0])):
                return ref
            first = first or ref
        if first is not None or kind != "conv" or x.ndim == 4 or any(v.ndim == 3 for v in params.values()):
            return first
    return _reference_with(kind, params, x, g, out_shape, want=want, hyper=hyper)


def _windows(kind, params, x):
    """``(stride, padding, window, channels last)`` to try: stride 1 to 3, padding 0 to 2, the window 2 or 3
    for a pooling, of images (N, C, H, W) or, for a pooling, (N, H, W, C) (tinynn's)."""
    sizes = (2, 3, 1, 4) if kind != "conv" else (None,)
    layouts = (False, True) if kind != "conv" and x.ndim == 4 else (False,)
    return [(s, p, k, last) for last in layouts for k in sizes for s in (1, 2, 3) for p in (0, 1, 2)
            if k is None or p <= k // 2]


def _reference_with(kind, params, x, g, out_shape, stride=1, padding=0, size=None, want=None, hyper=None, act=None,
                    last=False):
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    pt = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for k, v in params.items()}
    dense = _dense(params)
    if dense:
        w, b, orientation = dense
        bias = pt[b] if b is not None else None
        if orientation == "DH":   # rows; a Softmax(input_len, nodes) flattening its input first (Victor Zhou's)
            out = xt.reshape(-1, D) @ pt[w] + (bias.reshape(-1) if b is not None else 0.0)
        elif x.ndim == 2 and x.shape[0] == D:       # columns, W @ x (The Independent Code)
            out = pt[w] @ xt + (bias.reshape(H, 1) if b is not None else 0.0)
        else:                                       # rows with torch's layout, x @ W.T
            out = xt @ pt[w].T + (bias.reshape(-1) if b is not None else 0.0)
        if kind == "softmax":                       # each sample's: a row's (a column's, on columns)
            columns = orientation == "HD" and x.ndim == 2 and x.shape[0] == D
            out = torch.softmax(out, 0 if columns else out.dim() - 1)
        elif kind in ("tanh", "sigmoid", "relu"):
            out = getattr(torch, kind)(out)
    elif kind in ("tanh", "sigmoid", "relu") and not params:
        out = getattr(torch, kind)(xt)
    elif kind == "identity" and not params:
        out = xt * 1.0
    elif kind in AR.KINDS and not params:
        out = _activation(kind, xt, hyper or {}, want)
    elif kind == "softmax" and not params and x.ndim == 2 and min(x.shape) > 1 and want is not None \
            and (np.allclose(want.sum(axis=1), 1) or np.allclose(want.sum(axis=0), 1)):
        out = torch.softmax(xt, 1 if np.allclose(want.sum(axis=1), 1) else 0)    # each row's, or each column's
    elif kind == "softmax" and not params:
        out = torch.softmax(xt.reshape(-1), 0).reshape(xt.shape)
    elif kind == "reshape" and not params:
        out = xt.reshape(out_shape)
    elif kind in ("max_pool", "avg_pool") and not params and size:
        pool = F.max_pool2d if kind == "max_pool" else F.avg_pool2d
        try:
            out = pool(xt.permute(0, 3, 1, 2), size, stride, padding).permute(0, 2, 3, 1) if last else \
                pool(xt, size, stride, padding)
        except RuntimeError:                        # a window larger than the image read this way
            return None
    elif kind == "conv" and (kernels := _channels_last(params, x, out_shape)):
        # numpy-ml's Conv2D: x (N, H, W, C), W (kh, kw, C, F), b (1, 1, 1, F), out (N, H', W', F)
        k, b = kernels
        out = F.conv2d(xt.permute(0, 3, 1, 2), pt[k].permute(3, 2, 0, 1), pt[b].reshape(-1) if b is not None else None,
                       stride, padding).permute(0, 2, 3, 1)
    elif kind == "conv" and (kernels := _conv_params(params, x)) and kernels[2] == "batched":
        k, b, _ = kernels
        conv = F.conv2d if x.ndim == 4 else F.conv1d
        out = conv(xt, pt[k], pt[b].reshape(-1) if b is not None else None, stride, padding)
    elif kind == "conv" and (kernels := _conv_params(params, x)):
        k, b, flat = kernels
        if flat:          # Victor Zhou's Conv3x3: filters (F, k, k) on (h, w), out (h', w', F), no bias
            out = F.conv2d(xt[None, None], pt[k][:, None])[0].permute(1, 2, 0)
        else:             # kernels (F, C, k, k), biases (F, h', w') (The Independent Code) or (F,) or (F, 1)
            out = F.conv2d(xt[None], pt[k])[0]
            if b is not None:
                out = out + (pt[b] if pt[b].dim() == 3 else pt[b].reshape(-1, 1, 1))
    elif kind == "prelu" and len(params) == 1:      # a learnt slope: torch's PReLU, its slope broadcast as the
        (k, a), = pt.items()                        # code's own (one number, or one per channel)
        try:
            out = torch.where(xt > 0, xt, a * xt)
        except RuntimeError:
            return None
        if a.numel() > 1 and (want is None or not _close(want, out.detach().numpy())):
            return None                             # slopes along another axis than the last: finite differences only
    else:
        return None
    if act is not None and kind == "conv":          # Conv2D(act_fn='relu'): the activation after it
        out = getattr(torch, act)(out)
    if tuple(out.shape) != tuple(out_shape):
        if kind == "conv" or out.numel() != int(np.prod(out_shape)):
            return None   # not the layout torch was asked for (channels last: (H, W, C) kernels (k, k, C, F))
        out = out.reshape(out_shape)    # a dense layer's (H,) for (1, H), or its (1, H) for (H,)
    (out * torch.from_numpy(g.reshape(out.shape))).sum().backward()
    return out.detach().numpy(), xt.grad.numpy(), {k: t.grad.numpy() for k, t in pt.items() if t.grad is not None}


def _channels_last(params, x, out_shape):
    """``(kernel name, bias name or None)`` for kernels (kh, kw, C, F) on images (N, H, W, C) whose output is
    (N, H', W', F) (numpy-ml's layout), else None."""
    if x.ndim != 4 or len(out_shape) != 4:
        return None
    for k, w in params.items():
        if w.ndim == 4 and w.shape[2] == x.shape[3] and out_shape[3] == w.shape[3] and out_shape[0] == x.shape[0] \
                and w.shape[0] <= x.shape[1] + 4 and w.shape[1] <= x.shape[2] + 4:
            bias = next((b for b, v in params.items() if b != k and v.size == w.shape[3] and v.shape[-1] == w.shape[3]),
                        None)
            return k, bias
    return None


def _conv_params(params, x):
    """``(kernel name, bias name or None, flat)`` for the convolutions torch is asked to redo."""
    for k, w in params.items():
        if w.ndim == x.ndim and w.ndim in (3, 4) and w.shape[1] == x.shape[1] and w.shape[2] <= x.shape[2] + 4:
            bias = next((b for b, v in params.items() if b != k and v.shape in ((w.shape[0],), (w.shape[0], 1),
                                                                                 (1, w.shape[0]))), None)
            return k, bias, "batched"               # (F, C, k[, k]) kernels on (N, C, W) or (N, C, H, W)
        if w.ndim == 4 and x.ndim == 3 and w.shape[1] == x.shape[0] and w.shape[2] <= x.shape[1] \
                and w.shape[3] <= x.shape[2]:
            oh, ow = x.shape[1] - w.shape[2] + 1, x.shape[2] - w.shape[3] + 1
            bias = next((b for b, v in params.items() if b != k and v.shape in ((w.shape[0], oh, ow), (w.shape[0],),
                                                                                (w.shape[0], 1))), None)
            return k, bias, False
        if w.ndim == 3 and x.ndim == 2 and len(params) == 1:
            return k, None, True
    return None
