"""The public API: check a NumPy layer or loss against torch.

From your own pytest test::

    from parity_tests import assert_layer_parity
    assert_layer_parity(MyLinear(4, 3), torch.nn.Linear(4, 3), {"W": "weight.T", "b": "bias"}, x)

Every check is a pure function of its arguments: call it again on the same objects and the report
is the same, number for number. What it does to your objects:

* the NumPy parameters are copied into the torch module (through the mapping) before anything
  runs, so both start from the same weights; they stay there, in the module's own dtype;
* the module's dtype, train/eval mode, ``requires_grad``, ``.grad`` and buffers are restored
  afterwards (``.grad`` is cleared before the check, so gradients never accumulate);
* the NumPy layer's parameters, buffers (running statistics), mode, random generators and pending
  dropout mask are restored; its ``grads`` and cache hold the check's last backward;
* torch's global random state is untouched (the check forks it and seeds it from ``seed``).

Inputs holding NaN or inf are refused unless ``allow_nonfinite=True`` (a check of NaN/inf
propagation); even then an element that is non-finite on both sides is agreement only there.
The registry runs exactly these functions.
"""
import ast
import functools
import os
import traceback

import numpy as np
import torch

from numpy_impl.gradcheck import numerical_gradient
import torch_ref
from torch_ref.layers import mirror
from torch_ref.mapping import copy_to_torch, normalise, to_numpy_dict, torch_dtype

from .compare import NOT_WRITTEN, at_kink, compare, failed, is_none
from .definitions import not_run
from .isolation import preserved
from .report import Report
from .tolerance import Tolerance, tolerance_for


# crashes of code written for an older NumPy, with what to write instead
KNOWN_CRASHES = {
    "only 0-dimensional arrays can be converted to Python scalars":
        "recent NumPy refuses float() or int() of a one-element array with ndim > 0 (deprecated since 1.25; "
        "the Deep Learning Specialization's float(b) of a (1, 1, 1) b): write b.item(), which works in every version",
    "name 'xrange' is not defined": "Python 2 code (the original network.py, cs231n before 2017): write range",
}


NAN_LOSS = ("NaN where torch's loss is finite: a 0 * log(0) (a one-hot matrix times the log of probabilities "
            "that underflow to 0: take the label's column instead) or exp without the row's max subtracted")


def known_crash(exc):
    """``'; hint: ...'`` for a crash ``KNOWN_CRASHES`` explains, else ''."""
    text = str(exc)
    return next((f"; hint: {hint}" for key, hint in KNOWN_CRASHES.items() if key in text), "")


def _equal(a, b):
    """``np.array_equal`` with NaN equal to NaN, for arrays of any dtype (objects: compared as they are)."""
    try:
        return np.array_equal(a, b, equal_nan=True)
    except TypeError:                               # an object or text array has no NaN to match
        return np.array_equal(a, b)


class _Checks:
    """Collects results for one (component, sample, dtype) run."""

    def __init__(self, tolerances, nonfinite=False, **meta):
        self.meta, self.tolerances, self.nonfinite, self.results = meta, _overrides(tolerances), nonfinite, []

    def add(self, check, actual, expected):
        tol = tolerance_for(self.meta["dtype"], check, self.tolerances)
        if expected is None:
            self.fail(check, "torch has no gradient for it (is it used in forward? requires_grad?)")
            return
        self.results.append(compare(actual, expected, tol, nonfinite=self.nonfinite, check=check,
                                    reference="fd" if check.startswith("fd:") else "torch", **self.meta))

    def fail(self, check, note):
        self.results.append(failed(note, check=check, **self.meta))

    def kink(self, x, got, want, dout):
        """The last result (an input gradient) told when it fails only where ``x`` is exactly 0."""
        at_kink(self.results[-1], x, got, want, dout, tolerance_for(self.meta["dtype"], "grad_input", self.tolerances))

    def dtype(self, check, arr, want):
        if is_none(arr):                            # already failed as not written
            return
        if np.asarray(arr).dtype != want:
            self.fail(check, f"dtype changed: input {want}, got {np.asarray(arr).dtype}")

    def unchanged(self, what, before, after):
        if not _equal(before, after):
            self.fail("no_mutation", f"{what} was modified in place")

    def owned(self, what, arr, held):
        """``arr`` (an input gradient) as torch's ``x.grad``: writable, and sharing memory with none of
        ``held`` (name -> an array the caller keeps), so scaling it in place changes nothing else."""
        if not isinstance(arr, np.ndarray):
            return
        if not arr.flags.writeable:
            self.fail("no_mutation", f"{what} is read-only (a broadcast view?); torch's x.grad is a tensor of its own")
            return
        for name, other in held.items():
            if isinstance(other, np.ndarray) and np.shares_memory(arr, other):
                self.fail("no_mutation", f"{what} shares memory with {name}: scaling it in place changes "
                                         f"{name} too (torch's x.grad is a tensor of its own)")
                return

    def finite(self, what, arr, allowed):
        """False (with an ``input`` failure) when ``arr`` holds NaN/inf and that is not allowed."""
        arr = np.asarray(arr)
        if allowed or arr.dtype.kind not in "fc" or np.isfinite(arr).all():
            return True
        self.fail("input", f"{what} holds {int(np.isnan(arr).sum())} NaN and {int(np.isinf(arr).sum())} inf "
                           "values: nothing meaningful can be compared; pass allow_nonfinite=True to check "
                           "NaN/inf propagation on purpose")
        return False

    def crashed(self, exc):
        said = f": {exc}" if str(exc) else " (with no message)"      # a bare ``assert``
        self.fail("error", f"raised {type(exc).__name__}{said}{where(exc)}{known_crash(exc)}")
        if isinstance(exc, AssertionError) and len(self.results) == 1 and where(exc):
            # the user's own assert, before anything ran: the component refuses this input
            # (cs231n's max_pool_forward_reshape takes square windows that tile the input only)
            self.results[-1].extra["refused"] = True

    def report(self):
        return Report(self.results)


def _overrides(tolerances):
    """``tolerances``: None, a number (rtol = scale = it, for every torch comparison), a
    ``Tolerance`` (the same, in full) or a dict of overrides (see ``tolerance.tolerance_for``)."""
    if tolerances is None or isinstance(tolerances, dict):
        return tolerances
    if isinstance(tolerances, Tolerance):
        tol = tolerances
    elif isinstance(tolerances, (int, float)) and not isinstance(tolerances, bool) and tolerances >= 0:
        tol = Tolerance(rtol=float(tolerances), scale=float(tolerances), floor=1e-30)
    else:
        raise TypeError(f"tolerances: expected a number >= 0, a Tolerance or a dict, got {tolerances!r}")
    return {"float64": tol, "float32": tol}


_OURS = tuple(os.path.dirname(os.path.abspath(f)) + os.sep
              for f in (__file__, torch.__file__, np.__file__, torch_ref.__file__))


def where(exc):
    """`` (at FILE:LINE in FUNCTION)`` for the innermost frame of ``exc`` outside the gate, torch and
    NumPy: the line of the user's code that raised; for a name the file meant to import inside a
    ``try`` that caught the ImportError, where it was to come from (``missing_import``)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(_OURS)]
    if not frames:
        return ""
    f = frames[-1]
    missing, script = missing_import(exc), not_run(exc, f.filename)
    if script:
        return f" (at {f.filename}:{f.lineno} in {f.name}); {script}"
    return f" (at {f.filename}:{f.lineno} in {f.name})" + (
        f"; '{exc.name}' was to come from {missing[0]}, {UNBUILT} at {os.path.basename(f.filename)}:{missing[1]}"
        f" (a compiled extension that is not built? cs231n's: python setup.py build_ext --inplace)"
        if missing else "")


UNBUILT = "whose import failed and was caught"


def missing_import(exc):
    """``(module, line)`` when ``exc`` is a NameError for a name that the file raising it imports
    inside a ``try`` whose ``except`` catches the ImportError (cs231n's fast_layers.py and its Cython
    im2col: the import fails quietly and the first call dies), else None."""
    name = getattr(exc, "name", None)
    tb = traceback.extract_tb(exc.__traceback__)
    if not isinstance(exc, NameError) or not name or not tb:
        return None
    for node in ast.walk(_parsed(tb[-1].filename)):
        if isinstance(node, ast.Try) and any(_catches_import_error(h.type) for h in node.handlers):
            for stmt in (s for b in node.body for s in ast.walk(b)):
                if isinstance(stmt, ast.ImportFrom) and any((a.asname or a.name) == name for a in stmt.names):
                    return "." * stmt.level + (stmt.module or ""), stmt.lineno
                if isinstance(stmt, ast.Import):
                    for a in stmt.names:
                        if (a.asname or a.name.split(".")[0]) == name:
                            return a.name, stmt.lineno
    return None


def _catches_import_error(t):
    if t is None:
        return True
    if isinstance(t, ast.Tuple):
        return any(_catches_import_error(e) for e in t.elts)
    return isinstance(t, ast.Name) and t.id in ("ImportError", "ModuleNotFoundError", "Exception", "BaseException")


def _parsed(path):
    try:
        st = os.stat(path)
    except OSError:
        return ast.Module(body=[], type_ignores=[])
    return _parsed_version(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=64)
def _parsed_version(path, mtime, size):     # keyed on the file's version: an edited file is read again
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return ast.parse(f.read())
    except (OSError, SyntaxError, ValueError):
        return ast.Module(body=[], type_ignores=[])


def _to_torch(arr, requires_grad=False):
    return torch.tensor(np.ascontiguousarray(arr), requires_grad=requires_grad)


def _names(module):
    return sorted([k for k, _ in module.named_parameters()] + [k for k, _ in module.named_buffers()])


def _check_mapping(c, layer, module, params, buffers):
    """Every NumPy parameter must be named in the mapping (else torch keeps its own random value and
    every check fails for an unclear reason); every name must exist on both sides. True when fine."""
    np_params, np_buffers = dict(layer.named_parameters()), dict(layer.named_buffers())
    torch_names = set(_names(module))
    sides = f"NumPy has {sorted(np_params) + sorted(np_buffers)}, torch has {_names(module)}"
    ok = True
    missing = [k for k in np_params if k not in params]
    if missing:
        c.fail("mapping", f"NumPy parameter(s) {missing} not in the mapping: they would not be copied into "
                          f"torch; map each to its torch name ({sides})")
        ok = False
    for kind, mapping, arrays in (("parameter", params, np_params), ("buffer", buffers, np_buffers)):
        for name, p in mapping.items():
            if name not in arrays:
                c.fail("mapping", f"the {kind} mapping names NumPy '{name}', which the layer does not have ({sides})")
                ok = False
            elif p.torch_name not in torch_names:
                c.fail("mapping", f"the {kind} mapping names torch '{p.torch_name}', which the module does not have "
                                  f"({sides})")
                ok = False
    return ok


def _none_buffers(c, layer, buffers):
    """Buffers that are ``None`` (not created until the first forward) are named and left out."""
    none = [k for k, v in layer.named_buffers().items() if v is None]
    for k in none:
        c.fail(f"running:{k}", f"buffer '{k}' is None before the first forward: create it in __init__ "
                               "(torch's running_mean starts at 0, running_var at 1) so it can be copied and compared")
    return {k: v for k, v in buffers.items() if k not in none}


def _extra(extra_batches, x, seed):
    """``extra_batches``: a list of arrays, or a count (that many standard-normal batches like ``x``)."""
    if isinstance(extra_batches, (int, np.integer)) and not isinstance(extra_batches, bool):
        rng = np.random.default_rng([seed, 2])
        return [rng.standard_normal(x.shape).astype(x.dtype) for _ in range(int(extra_batches))]
    return [np.asarray(b) for b in (extra_batches or ())]


def check_layer(layer, module=None, params=None, x=None, *, buffers=None, dout=None, seed=0, component=None,
                sample="", tolerances=None, finite_differences=None, extra_batches=(), eval_mode=False,
                share=None, allow_nonfinite=False, eval_backward=True, own_gradient=False):
    """Compare a NumPy layer with a torch module on input ``x``.

    Checks: ``forward``; ``grad_input`` and every ``grad_param:<name>`` under the upstream gradient
    ``dout`` (default: standard normal drawn from ``seed``); ``running:<buffer>`` after the
    ``extra_batches`` (a list of batches, or a count of standard-normal batches shaped like ``x``)
    and the main batch; ``eval_forward``/``eval_grad_input`` if ``eval_mode`` (``eval_backward=False``:
    the forward only, for code whose backward exists for training only); ``fd:input`` /
    ``fd:<param>`` against finite differences (default: when ``x`` is float64); plus output/grad
    dtypes and that neither ``x`` nor ``dout`` was modified; with ``own_gradient`` (the registry's
    layers), also that the input gradient is writable and shares memory with neither, as torch's
    ``x.grad`` (a hand-written Flatten returning ``dout.reshape(...)`` is not failed for it by default).

    ``module=None`` builds the torch mirror (``torch_ref.mirror``); otherwise ``params`` (and
    ``buffers``) map NumPy names to torch names (``{"W": "weight.T"}``); every NumPy parameter must
    be mapped. ``share(layer, out_t)`` is called after each torch forward to carry randomness (a
    dropout mask) over to the NumPy layer. ``tolerances``: a number (rtol and scale), a
    ``Tolerance`` or a dict of overrides. NaN/inf in ``x`` or ``dout`` fail the check unless
    ``allow_nonfinite``. ``x`` of integer ids (an embedding) has no input gradient to check; the
    dtype checked is then that of the layer's first float parameter. What the check changes on
    ``layer`` and ``module``: the module docstring.
    Returns a ``Report``.
    """
    x = np.asarray(x)
    _named_arrays(layer)
    dtype = _working_dtype(layer, x)
    meta = dict(component=component or layer.describe(), dtype=dtype.name, sample=sample,
                shape=tuple(x.shape), seed=seed)
    c = _Checks(tolerances, nonfinite=allow_nonfinite, **meta)
    if not (c.finite("the input x", x, allow_nonfinite)
            and (dout is None or c.finite("the upstream gradient dout", dout, allow_nonfinite))):
        return c.report()
    with preserved(layer, module, seed):
        try:
            _run_layer(c, layer, module, params, buffers, x, dout, seed, finite_differences, extra_batches,
                       eval_mode, share, eval_backward, own_gradient)
        except (Exception, SystemExit) as exc:  # a crash is a failure of that component, reported like any other
            c.crashed(exc)
    return c.report()


def _named_arrays(layer):
    """The layer's ``named_parameters()`` and ``named_buffers()`` (where it has them) must each return a
    dict name -> array: a list (the second book keeps ``self.params`` as one) is refused by name."""
    from collections.abc import Mapping
    for method in ("named_parameters", "named_buffers"):
        fn = getattr(layer, method, None)
        if fn is None and method == "named_buffers":
            continue
        got = fn() if callable(fn) else fn
        if not isinstance(got, Mapping):
            raise TypeError(f"check_layer: {type(layer).__name__}.{method}() must return a dict name -> array "
                            f"(what the mapping names), got {type(got).__name__}")


def _working_dtype(layer, x):
    """``x``'s dtype, or for integer ids (an embedding) the dtype of the layer's first float parameter."""
    if x.dtype.kind not in "iu":
        return x.dtype
    return next((np.asarray(v).dtype for v in layer.named_parameters().values()
                 if np.asarray(v).dtype.kind == "f"), np.dtype(np.float64))


def _run_layer(c, layer, module, params, buffers, x, dout, seed, finite_differences, extra_batches, eval_mode,
               share, eval_backward=True, own_gradient=False):
    dtype, ids = _working_dtype(layer, x), x.dtype.kind in "iu"
    extra = _extra(extra_batches, x, seed)
    if hasattr(layer, "train"):
        layer.train()
    if module is None:
        m = mirror(layer, dtype)
        module, params, buffers = m.module, m.params, m.buffers
    else:
        params, buffers = normalise(params), normalise(buffers)
        if not _check_mapping(c, layer, module, params, buffers):
            return
        buffers = _none_buffers(c, layer, buffers)
        module.to(torch_dtype(dtype))
        copy_to_torch(layer.named_parameters(), module, params)
        copy_to_torch(layer.named_buffers(), module, buffers)
    module.train()
    for xb in extra:
        out_b = module(_to_torch(xb))
        if share:
            share(layer, out_b)
        layer.forward(xb, training=True)
    xt = _to_torch(x, requires_grad=not ids)
    out_t = module(xt)
    if share:
        share(layer, out_t)
    x_before = x.copy()
    out = layer.forward(x, training=True)
    c.add("forward", out, out_t.detach().numpy())
    c.dtype("forward", out, dtype)
    # a stream of its own: drawn from ``seed`` alone it would repeat x (and g ~ x hides norm-layer bugs)
    # torch's shape: a stub's None (its backward may be written), or an output of the wrong shape (the
    # forward check says so; torch cannot take an upstream gradient of another shape)
    shape = tuple(out_t.shape)
    g = np.random.default_rng([seed, 1]).standard_normal(shape).astype(dtype) if dout is None else dout
    g_before = g.copy()
    dx = layer.backward(g)
    out_t.backward(_to_torch(g))
    if not ids:                                     # integer ids have no gradient
        c.add("grad_input", dx, xt.grad.numpy())
        c.kink(x, dx, xt.grad.numpy(), g)
        c.dtype("grad_input", dx, dtype)
    np_grads = {k: (None if v is None else np.array(v, copy=True)) for k, v in layer.named_grads().items()}
    torch_grads = to_numpy_dict(module, params, grads=True)
    for name in params:
        if np_grads.get(name) is None:
            c.fail(f"grad_param:{name}", NOT_WRITTEN if name in np_grads else
                   f"backward left no gradient for '{name}' in named_grads() (it has {sorted(np_grads)})")
            continue
        c.add(f"grad_param:{name}", np_grads[name], torch_grads[name])
        c.dtype(f"grad_param:{name}", np_grads[name], np.asarray(layer.named_parameters()[name]).dtype)
    c.unchanged("the input x", x_before, x)
    c.unchanged("the upstream gradient", g_before, g)
    if own_gradient and not ids:
        c.owned("the input gradient", dx, {"the upstream gradient": g, "the input x": x})
    if buffers:
        torch_buffers = to_numpy_dict(module, buffers)
        for name, value in layer.named_buffers().items():
            if name in torch_buffers:
                c.add(f"running:{name}", value, torch_buffers[name])
    if eval_mode:
        module.eval()
        xe = _to_torch(x, requires_grad=not ids)
        out_te = module(xe)
        out_e = layer.forward(x, training=False)
        c.add("eval_forward", out_e, out_te.detach().numpy())
        if eval_backward and not ids:
            out_te.backward(_to_torch(g))
            c.add("eval_grad_input", layer.backward(g), xe.grad.numpy())
        module.train()
    if (finite_differences if finite_differences is not None else dtype == np.float64) and not is_none(out) \
            and np.shape(out) == shape:             # an output of the wrong shape: the forward check said so
        _finite_differences(c, layer, x, g, dx, np_grads)
    if getattr(layer, "kind", None) != "dropout" and not is_none(out):
        _repeat(c, layer, x, g, dx, np_grads, (lambda: share(layer, out_t)) if share else None, out)


def _repeat(c, layer, x, g, dx, np_grads, reshare, out=None):
    """A second training forward and backward on the same layer, same x and dout (and the same mask),
    must give the same gradients: a backward that adds to what the last one left (``dW +=``) or state
    kept from call to call shows here, on the layer, not later in a training run. The first call's
    output must come through the second untouched: a layer that returns a scratch buffer of its own
    would overwrite what the caller holds (the previous layer's activations, a saved prediction)."""
    if hasattr(layer, "train"):
        layer.train()
    if reshare:
        reshare()
    kept = out.copy() if isinstance(out, np.ndarray) else None
    layer.forward(x * x.dtype.type(0.5) if kept is not None and x.dtype.kind == "f" else x, training=True)
    if kept is not None and not _equal(out, kept):
        c.fail("repeat:output kept", "the next forward overwrote the output the caller holds from this one: "
                                     "the layer returns an array it reuses (a scratch buffer); return a new one")
    if reshare:
        reshare()
    layer.forward(x, training=True)
    dx2 = layer.backward(g.copy())
    pairs = [("grad_input", dx2, dx)] if dx is not None and x.dtype.kind not in "iu" else []
    second = layer.named_grads()
    pairs += [(f"grad_param:{k}", second.get(k), v) for k, v in np_grads.items() if v is not None]
    for check, again, first in pairs:
        if is_none(again) or np.shape(again) != np.shape(first):
            continue                                # the first call's checks already say what is wrong
        r = compare(again, first, tolerance_for(c.meta["dtype"], check, c.tolerances), nonfinite=True,
                    check=f"repeat:{check}", reference="the first call", **c.meta)
        if not r.passed:
            r.note = ("a second forward and backward with the same input gives another gradient: backward "
                      "adds to the last one's (dW +=) or the layer keeps state between calls")
        c.results.append(r)


def _finite_differences(c, layer, x, g, dx, np_grads):
    """Analytic NumPy gradients against central differences of sum(forward(x) * g)."""
    mask = getattr(layer, "mask", None)           # dropout: hold the mask fixed

    def f():
        if mask is not None:
            layer.set_mask(mask)
        return layer.forward(xc, training=True)

    xc = np.array(x, dtype=np.float64) if x.dtype.kind not in "iu" else x
    if xc is not x:                                 # integer ids: no input gradient
        c.add("fd:input", dx, numerical_gradient(f, xc, g))
    penalty = layer.penalty() if callable(getattr(layer, "penalty", None)) else None   # a regularized layer's
    for name, p in layer.named_parameters().items():
        if np_grads.get(name) is not None and np.asarray(p).dtype == np.float64:   # float32 weights: too noisy
            num = numerical_gradient(f, p, g)
            c.add(f"fd:{name}", np_grads[name], num + numerical_gradient(penalty, p) if penalty else num)


def check_loss(loss_fn, torch_fn, x, y, *, seed=0, component=None, sample="", tolerances=None,
               finite_differences=None, allow_nonfinite=False, x_name="the scores x"):
    """Compare ``loss, dx = loss_fn(x, y)`` with ``torch_fn(x_t, y_t)`` and its autograd gradient.

    Checks ``loss``, ``grad_input``, dtypes, no mutation, and ``fd:input`` (float64). NaN/inf in
    ``x`` or a float ``y`` fail the check unless ``allow_nonfinite``. Neither ``x`` nor ``y`` is
    changed; torch's global random state is untouched. ``x_name`` is what messages call ``x`` (a
    linear classifier's loss is checked as a function of its weights W)."""
    x = np.asarray(x)
    dtype = x.dtype
    c = _Checks(tolerances, nonfinite=allow_nonfinite, component=component or getattr(loss_fn, "__name__", "loss"),
                dtype=dtype.name, sample=sample, shape=tuple(x.shape), seed=seed)
    if not (c.finite(x_name, x, allow_nonfinite) and c.finite("the targets y", y, allow_nonfinite)):
        return c.report()
    with preserved(seed=seed):
        _run_loss(c, loss_fn, torch_fn, x, y, finite_differences, x_name)
    return c.report()


def _run_loss(c, loss_fn, torch_fn, x, y, finite_differences, x_name):
    dtype = x.dtype
    try:
        x_before, y_before = x.copy(), np.array(y, copy=True)
        res = loss_fn(x, y)
        # a loss that returns its value alone ("Deep Learning from Scratch"'s functions.softmax_loss(X, t)):
        # the value is checked, and its result says there was no gradient to check
        loss_only = not isinstance(res, (tuple, list)) and np.ndim(res) == 0 and not is_none(res)
        loss, dx = (res, None) if loss_only else res
        xt = _to_torch(x, requires_grad=True)
        lt = torch_fn(xt, torch.from_numpy(np.asarray(y).astype(np.int64) if np.asarray(y).dtype.kind in "iu"
                                           else np.asarray(y)))
        lt.backward()
        c.add("loss", loss if is_none(loss) else np.asarray(loss), lt.detach().numpy())
        if not is_none(loss) and np.isnan(np.asarray(loss, dtype=np.float64)).any() and np.isfinite(lt.item()):
            c.results[-1].note = NAN_LOSS
        c.dtype("loss", loss, dtype)
        if loss_only:
            c.results[-1].extra["loss_only"] = True
        else:
            c.add("grad_input", dx, xt.grad.numpy())
            c.dtype("grad_input", dx, dtype)
        c.unchanged(x_name, x_before, x)
        c.unchanged("the labels y", y_before, y)
        if (finite_differences if finite_differences is not None else dtype == np.float64) and not (
                loss_only or is_none(loss) or is_none(dx)):
            xc = np.array(x, dtype=np.float64)
            c.add("fd:input", dx, numerical_gradient(lambda: loss_fn(xc, y)[0], xc))
    except (Exception, SystemExit) as exc:
        c.crashed(exc)


def assert_layer_parity(layer, module=None, params=None, x=None, **kwargs):
    """``check_layer`` that raises ``ParityError`` listing every failed check."""
    return check_layer(layer, module, params, x, **kwargs).raise_if_failed()


def assert_loss_parity(loss_fn, torch_fn, x, y, **kwargs):
    """``check_loss`` that raises ``ParityError`` listing every failed check."""
    return check_loss(loss_fn, torch_fn, x, y, **kwargs).raise_if_failed()
