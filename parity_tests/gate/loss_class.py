"""``parity scan`` on loss classes: ``forward(prediction, target)`` returning the loss, and either
``backward()`` returning its gradient in the prediction from what the forward kept (CMU 11-785's
MyTorch ``MSELoss`` and ``CrossEntropyLoss``) or ``backward(prediction, target)`` /
``grad(prediction, target)`` (joelnet's ``MSE.loss``/``MSE.grad``; numpy-ml's static ``loss(y, y_pred)``
and ``grad(y, y_pred)``), or ``grad(y, y_pred, z, act_fn)``, the gradient in the pre-activation z of
the output layer (numpy-ml's ``SquaredError``: given z = y_pred and the identity as ``act_fn``).

The kind comes from the class's name (mean squared error, cross-entropy, binary cross-entropy). What
the class takes is found by trying, in float64: cross-entropy on logits or on probabilities, with
one-hot targets (N, C) or integer labels (N,); binary cross-entropy on probabilities or on logits.
The reading whose loss is torch's (or a constant times it) is checked:

* ``forward``: the loss against torch's mean (a sum, or half of one, is told as the factor);
* ``grad_input``: the gradient against torch's gradient of its mean, AND against finite differences
  of the class's own forward;
* the prediction and the target unchanged.

Conventions it reads: ``mse_scale=half``; ``loss_reduction=sum`` (the loss summed over the batch, as
torch's ``reduction="sum"``, its gradient that of the sum: numpy-ml's); ``xent_grad=logits`` (a
cross-entropy of probabilities whose gradient is in the logits behind them, ``p - y``: numpy-ml's
``CrossEntropy.grad``, "the gradient with respect to the input to the softmax").
"""
import inspect
import re

import numpy as np
import torch
import torch.nn.functional as F

from numpy_impl.gradcheck import numerical_gradient

from .api import _Checks
from .compare import add_note, constant_ratio
from .forward_only import ALIASES
from .lr_backward import DINPUTS, _kept
from .samples import seed_for

FORWARDS = ("forward", "loss", "__call__", "compute", "calculate", "compute_loss",      # nano-keras's compute_loss
            "function")                     # exclusiveAI's static function(y_true, y_pred), derivative(...)
BACKWARDS = ("backward", "grad", "gradient", "derivative", "prime", "backward_pass", "compute_derivative")
USER = (Exception, SystemExit, GeneratorExit)
N, C = 5, 4
KINDS = [("binary_cross_entropy", r"bce|binary|logloss|logistic|sigmoid"),     # tinynn's SigmoidCrossEntropy
         ("cross_entropy", r"crossentropy|xent|celoss|^ce$|^cce$|softmaxloss|nll|categorical"),
         ("mse", r"mse|meansquare|squarederror|squaredloss|squareloss|l2loss|quadratic"),
         ("mae", r"^mae$|meanabsolute|absoluteerror|l1loss")]
WHAT = {"mse": "mean squared error", "cross_entropy": "cross-entropy", "binary_cross_entropy": "binary cross-entropy",
        "mae": "mean absolute error"}


def _method(cls, name):
    """``cls``'s own method ``name`` (or a base's), not ``object``'s."""
    for c in cls.__mro__[:-1]:
        if callable(vars(c).get(name)):
            return vars(c)[name]
    return None


def _required(fn):
    static = isinstance(fn, staticmethod)
    try:
        ps = [p for p in inspect.signature(fn.__func__ if static else fn).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    except (TypeError, ValueError):
        return None
    return [p.name for p in ps][0 if static else 1:]     # without self


def methods(cls):
    """``(forward name, backward name, mode)`` for a loss class, else None: mode "kept" for ``backward()``
    (the forward keeps what it needs), "args" for ``backward(prediction, target)``. Its name says it is a
    loss (``MSELoss``, ``CrossEntropy``): a network's ``loss(x, t)`` and ``gradient(x, t)`` are not one."""
    if kind(cls.__name__) is None and "loss" not in cls.__name__.lower() or _method(cls, "predict"):
        return None
    fwd = next((m for m in FORWARDS if _method(cls, m) and _required(_method(cls, m)) is not None
                and len(_required(_method(cls, m))) == 2), None)
    if fwd is None:
        return None
    for m in BACKWARDS:
        req = _required(_method(cls, m)) if _method(cls, m) else None
        if req == []:
            return fwd, m, "kept"
        if req is not None and len(req) == 2:
            return fwd, m, "args"
        if req is not None and len(req) == 4 and req[2].lower() in ("z", "z_out", "pre_act", "zl") and \
                "act" in req[3].lower():
            return fwd, m, "act"                    # numpy-ml's grad(y, y_pred, z, act_fn)
    return None


class Identity:
    """The output layer's activation ``grad(y, y_pred, z, act_fn)`` is given: z = y_pred, dA/dZ = 1."""

    def __call__(self, z):
        return z

    fn = forward = f = __call__

    def grad(self, z):
        return np.ones_like(z)

    gradient = derivative = deriv = prime = grad


class Sigmoid(Identity):
    """... and once a sigmoid, y_pred = sigmoid(z): a gradient that takes dA/dZ at y_pred, not z, shows."""

    def __call__(self, z):
        return 1 / (1 + np.exp(-z))

    fn = forward = f = __call__

    def grad(self, z):
        return self(z) * (1 - self(z))

    gradient = derivative = deriv = prime = grad


# losses named beside a kind that are another loss (a focal binary cross-entropy, label smoothing): no kind
OTHER_LOSSES = r"focal|smooth|hinge|huber|dice|contrastive|triplet|kld|kldiv|kullback|wasserstein|weighted|margin|logarithmic|msle|percentage|mape|logcosh|poisson|cosine"


def kind(name):
    n = name.lower().replace("_", "")
    if re.search(OTHER_LOSSES, n):
        return None
    return next((k for k, pattern in KINDS if re.search(pattern, n)), None)


def unlike(name, cls):
    """Why a loss class is not checked, or None."""
    if kind(name) is None:
        return (f"a loss class (forward(prediction, target) and a backward) parity scan does not recognise by name "
                f"(it checks {', '.join(WHAT.values())}: MSELoss, CrossEntropyLoss, BCELoss...)")
    if _required(cls.__init__):
        return f"a loss class built as {name}({', '.join(_required(cls.__init__))}): parity scan builds it with no arguments"
    return None


def _one_hot(labels):
    return np.eye(C)[labels]


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# kind -> [(what the prediction is, prediction, [(target form, target)], torch loss of (prediction, reduction))]
def _readings(k, rng):
    labels = rng.integers(0, C, N)
    z = rng.standard_normal((N, C))
    if k in ("mse", "mae"):
        y = torch.from_numpy(rng.standard_normal((N, C)))
        loss = F.mse_loss if k == "mse" else F.l1_loss
        return [("predictions (5,4)", z, [("targets (5,4)", y.numpy())], lambda p, r: loss(p, y, reduction=r))]
    if k == "cross_entropy":
        targets = [("one-hot targets (5,4)", _one_hot(labels)), ("labels (5,)", labels)]
        lt = torch.from_numpy(labels)
        return [("logits (5,4)", z, targets, lambda p, r: F.cross_entropy(p, lt, reduction=r)),
                ("probabilities (5,4)", _softmax(z), targets, lambda p, r: F.nll_loss(torch.log(p), lt, reduction=r)),
                ("log-probabilities (5,4)", z - np.log(np.exp(z).sum(axis=1, keepdims=True)), targets,
                 lambda p, r: F.nll_loss(p, lt, reduction=r)),
                # ML-From-Scratch's CrossEntropy: -y log p - (1 - y) log(1 - p) of each element, one-hot y
                ("probabilities (5,4), each element's binary cross-entropy", _softmax(z), targets[:1],
                 lambda p, r: F.binary_cross_entropy(p, torch.from_numpy(_one_hot(labels)), reduction=r))]
    return _binary(rng, (6, 1))


def _binary(rng, shape):
    """A binary cross-entropy's readings on ``shape``: probabilities, and logits."""
    bits = (rng.random(shape) < 0.5).astype(np.float64)
    bt = torch.from_numpy(bits)
    u = rng.standard_normal(shape)
    size = ",".join(map(str, shape))
    return [(f"probabilities ({size})", 1 / (1 + np.exp(-u)), [(f"targets ({size}) of 0 and 1", bits)],
             lambda p, r: F.binary_cross_entropy(p, bt, reduction=r)),
            (f"logits ({size})", u, [(f"targets ({size}) of 0 and 1", bits)],
             lambda p, r: F.binary_cross_entropy_with_logits(p, bt, reduction=r))]


def _conventional(ref, k, cv):
    """torch's loss ``ref`` under the conventions declared: ``mse_scale=half``, ``loss_reduction``."""
    if k == "mse" and (cv or {}).get("mse_scale") == "half":
        ref = (lambda r: lambda t, reduction: 0.5 * r(t, reduction))(ref)
    reduction = (cv or {}).get("loss_reduction")
    if reduction == "sum":                          # torch's reduction="sum" where it would take the mean
        ref = (lambda r: lambda t, red: r(t, "sum" if red == "mean" else red))(ref)
    elif reduction == "batch":                      # the sum over each sample's elements, averaged over the batch
        ref = (lambda r: lambda t, red: r(t, "sum") / t.shape[0] if red == "mean" else r(t, red))(ref)
    return ref


TRUTH = ALIASES["y_true"] | {"y_onehot", "onehot", "one_hot", "y_true_onehot", "gt", "ground_truth", "y_actual"}
PREDICTION = ALIASES["y_pred"] | {"logits", "scores", "log_probs", "logprobs", "log_probas", "z", "x", "input",
                                  "inputs", "probabilities", "probas", "yhat", "y_prob", "proba", "y_predict"}


def _truth_first(fn):
    """Whether ``fn`` takes (target, prediction), by its argument names: ML-From-Scratch's
    ``loss(y, y_pred)``; 11-785's ``forward(A, Y)`` and most others take the prediction first."""
    try:                                            # a bound method: self is not among its parameters
        names = [p.name.lower() for p in inspect.signature(fn).parameters.values()
                 if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][:2]
    except (TypeError, ValueError):
        return False
    return len(names) == 2 and names[0] in TRUTH and names[1] in PREDICTION and names[0] not in PREDICTION


def _call(fn, p, t, act=False):
    rest = (p, Identity()) if act is True else act or ()    # grad(y, y_pred, z, act_fn): z = y_pred, the identity
    return fn(t, p, *rest) if _truth_first(fn) else fn(p, t, *rest)


def _forward(cls, names, p, t, k=None):
    obj = cls()
    value = _call(getattr(obj, names[0]), p, t)
    a = np.asarray(value) if not isinstance(value, (str, bytes)) and k in ("mse", "mae") else None
    if a is not None and a.ndim == 1 and p.ndim == 2 and p.shape[0] != p.shape[1] and a.size == p.shape[1] \
            and a.dtype.kind == "f":
        value = a.sum()                             # a loss per output, over the batch (numpy-nn's MSE): its total
    return obj, value


def _expected(value, p, ref):
    """``(reduction, torch's loss)`` for what the forward returned: one number (the mean), or a loss per
    element or per sample (unreduced: ML-From-Scratch's); None for another shape."""
    a = np.asarray(value, dtype=np.float64) if not isinstance(value, (str, bytes)) else np.zeros((0,))
    if a.size == 1:
        return "mean", ref(torch.from_numpy(p), "mean").detach().numpy()
    none = ref(torch.from_numpy(p), "none").detach().numpy()
    if a.size == none.size and a.squeeze().shape == none.squeeze().shape:
        return "none", none
    if none.ndim == 2 and a.size == p.shape[0] and a.squeeze().shape == (p.shape[0],):
        # one per sample, the mean over its outputs ("Neural Networks from Scratch"'s MSE, (N,) or (N, 1))
        return "sample", none.mean(axis=1)
    return None


def _reduced(ref, pt, reduction):
    """torch's loss of ``pt`` as the forward returned it (``reduction`` as ``_expected`` says)."""
    out = ref(pt, "none" if reduction == "sample" else reduction)
    return out.mean(dim=1) if reduction == "sample" else out


def _mean_of_losses(cls, reduction, g, mean, total):
    """Whether a loss returning one per sample or element is judged by the gradient of their mean (``mean``)
    rather than of their sum (``total``, ML-From-Scratch's unreduced losses): where its class has the
    ``calculate`` of "Neural Networks from Scratch"'s base (the mean of what ``forward`` returns), where it
    returns the mean over each sample's outputs (the book's MSE), and where its gradient is the mean's."""
    if callable(getattr(cls, "calculate", None)) or reduction == "sample":
        return True
    return np.allclose(g, mean, rtol=1e-6, atol=1e-12) and not np.allclose(g, total, rtol=1e-6, atol=1e-12)


def check(label, cls, names, k, seed=0, cv=None):
    """One ``Report``: the reading of ``cls`` torch agrees with (else the first one it runs), checked
    (``cv``: the conventions declared, of which ``mse_scale=half`` halves torch's squared error)."""
    s = seed_for(seed, label, "loss")
    found, scaled, first, errors = None, None, None, []
    for what, p, targets, ref in _readings(k, np.random.default_rng(s)):
        ref = _conventional(ref, k, cv)
        for form, t in targets:
            try:
                _, value = _forward(cls, names, p.copy(), t.copy(), k)
                got = _expected(value, p, ref)
            except USER as e:                       # noqa: BLE001 -- not this reading
                errors.append(e)
                continue
            reading = (what, p, form, t, ref)
            first = first or reading
            if got is None:
                continue
            v = np.asarray(value, dtype=np.float64).reshape(got[1].shape)
            if np.allclose(v, got[1], rtol=1e-9, atol=1e-12):
                found = reading
                break
            ratio = constant_ratio(v, got[1])
            if scaled is None and ratio is not None and _factor(ratio):
                scaled = reading                    # a sum, or half of one: checked, and told
        if found:
            break
    c = _Checks(None, component=label, dtype="float64", sample="", shape=(N, C), seed=s)
    reading = found or scaled or first
    if reading is None:
        c.meta["sample"] = "every reading"
        c.crashed(errors[0])
        return c.report()
    what, p, form, t, ref = reading
    c.meta.update(sample=f"{what}, {form}", shape=p.shape)
    logits = k == "cross_entropy" and what == "probabilities (5,4)" and (cv or {}).get("xent_grad") == "logits"
    _check(c, cls, names, k, p, t, ref, logits)
    report = c.report()
    if k == "binary_cross_entropy":
        report.extend(_several_outputs(label, cls, names, k, what, s, cv))
    return report


def _several_outputs(label, cls, names, k, what, seed, cv):
    """A binary cross-entropy's second sample, four outputs a sample ((6, 4), the same reading as the first:
    probabilities or logits), where a loss taking the mean over N*C elements and a gradient divided by N
    alone shows (on (6, 1) they agree). A loss that refuses this shape, or returns neither one number nor
    one per element of it (written for one output), is not checked on it."""
    wide = next(r for r in _binary(np.random.default_rng(seed + 1), (6, C)) if r[0].split(" ")[0] == what.split(" ")[0])
    what, p, [(form, t)], ref = wide
    ref = _conventional(ref, k, cv)
    try:
        if _expected(_forward(cls, names, p.copy(), t.copy(), k)[1], p, ref) is None:
            return []
    except USER:                                    # noqa: BLE001 -- written for one output
        return []
    c = _Checks(None, component=label, dtype="float64", sample=f"{what}, {form}", shape=p.shape, seed=seed + 1)
    _check(c, cls, names, k, p, t, ref)
    return c.report().results


def _factor(r):
    """A factor a loss is often written with: 1/2, N, C, N*C, their inverses."""
    return any(np.isclose(abs(r), f, rtol=1e-9) for f in (0.5, 2.0, N, C, N * C, 1 / N, 1 / C, 1 / (N * C),
                                                           N / 2, 0.5 / N, 6, 1 / 6, 3.0))


def _check(c, cls, names, k, p, t, ref, logits=False):
    """``logits``: its gradient is in the logits z behind the probabilities p it takes (softmax(z) = p,
    z = log p), compared with torch's and with finite differences in z."""
    p_in, t_in = p.copy(), t.copy()
    try:
        obj, value = _forward(cls, names, p_in, t_in, k)
        got = _expected(value, p, ref)
        if got is None:
            c.fail("forward", f"{names[0]} returned shape {np.shape(value)}: expected the loss (one number, or one "
                              f"per sample or element), for a prediction of shape {p.shape}")
            return
        reduction, want = got

        def torch_grad(total):                      # of the sum, or the mean, of what the forward returns
            pt = torch.from_numpy(np.log(p) if logits else p.copy()).requires_grad_(True)
            out = _reduced(ref, torch.softmax(pt, 1) if logits else pt, reduction)
            (out.sum() if total == "sum" else out.mean()).backward()
            return pt.grad.numpy()
        want_grad, total = torch_grad("sum"), "sum"
        c.add("forward", np.asarray(value, dtype=np.float64).reshape(want.shape), want)
        single = getattr(value, "dtype", None) == np.float32 and p.dtype == np.float64
        if single and not c.results[-1].passed:     # exclusiveAI's np.mean(..., dtype='float32')
            add_note(c.results[-1], FLOAT32)
        ratio = None if c.results[-1].passed else constant_ratio(np.asarray(value, dtype=np.float64).reshape(-1),
                                                                  want.reshape(-1))
        if ratio is not None and _factor(ratio):
            what = f"the mean over the {_over(k)}" if reduction == "mean" else "its loss of each " + (
                "sample" if k == "cross_entropy" else "element")
            why = ("a sum, or half of one, where the mean is meant?" if reduction == "mean" else
                   "half the square, 0.5 * (p - y)**2?" if k == "mse" and np.isclose(ratio, 0.5) else
                   "another constant in the formula?")
            add_note(c.results[-1], f"it is {ratio:.6g} times torch's, {what} (N={p.shape[0]}"
                                    f"{'' if k == 'binary_cross_entropy' else f', C={p.shape[1]}'}): {why}")
        fn = getattr(obj, names[1])
        # returned, or left in self.dinputs as "Neural Networks from Scratch"'s losses do (under any name)
        g = _kept(obj, DINPUTS, lambda: fn() if names[2] == "kept" else _call(fn, p_in, t_in, names[2] == "act"))
        c.unchanged("the prediction", p, p_in)
        c.unchanged("the target", t, t_in)
        if g is None or np.shape(g) != p.shape:
            c.fail("grad_input", f"{names[1]} returned {'None' if g is None else f'shape {np.shape(g)}'}: expected the "
                                 f"loss's gradient in the prediction, shape {p.shape}")
            return
        if reduction != "mean" and _mean_of_losses(cls, reduction, np.asarray(g, dtype=np.float64),
                                                   mean := torch_grad("mean"), want_grad):
            want_grad, total = mean, "mean"
        c.add("grad_input", np.asarray(g), want_grad)
        if logits:
            c.results[-1].reference = "torch (the gradient in the logits z, softmax(z) = the probabilities given)"
        elif total == "mean":
            c.results[-1].reference = ("torch (the gradient of the mean of the losses its forward returns, one per "
                                       + ("sample)" if reduction == "sample" or k == "cross_entropy" else "element)"))
        if names[2] == "act" and k == "mse":          # through a sigmoid output layer: z, y_pred = sigmoid(z)
            zt = torch.from_numpy(p.copy()).requires_grad_(True)
            _reduced(ref, torch.sigmoid(zt), reduction).sum().backward()
            c.add("grad_input:through_sigmoid", np.asarray(_call(fn, Sigmoid()(p), t.copy(), (p.copy(), Sigmoid())),
                                                           dtype=np.float64), zt.grad.numpy())
            c.results[-1].reference = "torch (the gradient in z of the loss of sigmoid(z), act_fn a sigmoid)"
        ratio = None if c.results[-1].passed else constant_ratio(np.asarray(g, dtype=np.float64), want_grad)
        if ratio is not None and _factor(ratio):
            add_note(c.results[-1], f"it is {ratio:.6g} times torch's gradient of the "
                                    + ("mean" if reduction == "mean" else f"{total} of the losses")
                                    + (f" (N={p.shape[0]}: the mean's 1/N missing?)" if np.isclose(ratio, p.shape[0])
                                       else f" (C={p.shape[1]}: divided by N alone, where the loss is the mean over "
                                            "N*C elements?)" if _over(k) == "elements" and np.isclose(ratio, p.shape[1])
                                       else ""))
        q = np.log(p) if logits else p.copy()       # numerical_gradient moves q in place

        def own():                                  # the sum (or the mean) of what its own forward returns
            x = np.exp(q) / np.exp(q).sum(axis=1, keepdims=True) if logits else q.copy()
            return np.array([(np.mean if total == "mean" else np.sum)(np.asarray(
                _call(getattr(cls(), names[0]), x, t.copy()), dtype=np.float64))])
        c.add("fd:grad_input", np.asarray(g), numerical_gradient(own, q, np.ones(1)))
        if single and not c.results[-1].passed:
            add_note(c.results[-1], FLOAT32 + " (finite differences of it measure its rounding)")
    except USER as e:                               # noqa: BLE001 -- the user's code
        c.crashed(e)


FLOAT32 = "its loss is float32 for a float64 prediction: computed in float32"


def _over(k):
    return {"mse": "elements", "mae": "elements", "cross_entropy": "samples", "binary_cross_entropy": "elements"}[k]
