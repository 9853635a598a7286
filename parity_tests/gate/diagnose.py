"""``diagnose``: run one batch through a NumPy model and its torch mirror and compare every
layer's output, input gradient and parameter gradients in execution order, naming the first layer
where the two part ways. Also the ``parity diagnose`` command."""
import numpy as np
import torch

from numpy_impl.losses import LOSSES
from numpy_impl.models import MODELS
from torch_ref import mirror
from torch_ref.mapping import to_numpy_dict
from torch_ref.models import forward_layers, model_loss

from ..options import (ARCHITECTURE_KEYS, UsageError, add_data_options, add_model_options, check_architecture,
                       count, distinct_files, input_file, load_data, output_path)
from .compare import compare
from .isolation import preserved
from .report import Report
from .tolerance import Tolerance, tolerance_for


class ProducedTolerance(Tolerance):
    """The policy's numbers, with the magnitude term taken from the values that PRODUCED the compared
    quantity when those are larger. Why: a bias feeding BatchNorm has a gradient that is exactly 0 in
    exact arithmetic; NumPy may return 0.0 and torch 5.6e-17, the rounding of sums of O(1) upstream
    gradients. Measured against its own (tiny) magnitude that reads as a relative difference of 1;
    measured against the upstream gradient that made it, it is rounding, and agreement."""

    def __init__(self, base, magnitude):
        super().__init__(base.rtol, base.scale, base.floor)
        object.__setattr__(self, "magnitude", float(magnitude))

    def allowed(self, expected):
        mag = max(float(np.max(np.abs(expected))) if expected.size else 0.0, self.magnitude)
        return self.rtol * np.abs(expected) + self.scale * mag + self.floor


def _tolerance(dtype, stage, produced=0.0):
    base = tolerance_for(dtype, stage)
    return ProducedTolerance(base, produced) if produced else base


def _mag(*arrays):
    return float(np.prod([np.max(np.abs(np.asarray(a, dtype=np.float64)), initial=0.0) for a in arrays]))


def diagnose(model, X, y, seed=0):
    """Compare every layer's output, input gradient and parameter gradients, in execution order.
    Returns ``(rows, first_failure)``; each row is a ``CheckResult`` whose ``component`` is
    ``"<index> <layer>"``. A pure function of its arguments: the model's parameters, buffers
    (running statistics), mode and dropout generators are restored afterwards."""
    with preserved(model, None, seed):
        return _diagnose(model, X, y, seed)


def _diagnose(model, X, y, seed):
    dtype = np.asarray(X).dtype
    name = getattr(model, "loss_name", "softmax")
    if name not in LOSSES:
        raise ValueError(f"diagnose: the model's loss_name must be one of {sorted(LOSSES)}, got {name!r}")
    m = mirror(model, dtype)
    m.module.train()                                # as the NumPy layers run below, whatever mode the model was in
    modules = list(m.module)
    meta = dict(dtype=dtype.name, sample="diagnose", seed=seed)
    rows = []

    def add(i, stage, a, e, produced=0.0):
        name = f"{i} {model.layers[i].describe()}" if i >= 0 else "model"
        rows.append(compare(a, e, _tolerance(dtype, stage, produced), component=name, check=stage,
                            shape=tuple(np.shape(a)), **meta))

    np_outs, x = [], X
    for layer in model.layers:
        x = layer.forward(x, training=True)
        np_outs.append(x)
    xt = torch.tensor(X, requires_grad=True)
    t_outs = forward_layers(model, modules, xt)
    for i, (a, e) in enumerate(zip(np_outs, t_outs)):
        add(i, "forward", a, e.detach().numpy())
    loss, dscores = LOSSES[getattr(model, "loss_name", "softmax")](np_outs[-1], y)
    lt = model_loss(model, t_outs[-1], y)
    add(-1, "loss", np.asarray(loss), lt.detach().numpy())
    lt.backward()
    d = dscores
    for i in reversed(range(len(model.layers))):
        layer = model.layers[i]
        d = layer.backward(d)
        expected = t_outs[i - 1].grad if i > 0 else xt.grad
        add(i, "grad_input", d, expected.numpy())
        prefix = f"{i}."
        tgrads = to_numpy_dict(m.module, {k: p for k, p in m.params.items() if k.startswith(prefix)}, grads=True)
        upstream = t_outs[i].grad.numpy()
        layer_in = X if i == 0 else np_outs[i - 1]
        for k, g in layer.named_grads().items():
            add(i, f"grad_param:{k}", g, tgrads[prefix + k], _mag(upstream, layer_in) * len(X))
    first = next((r for r in rows if not r.passed), None)
    return rows, first


def diagnose_layers(layers, loss, X, y, conventions=None, seed=0):
    """``diagnose`` for a model made of the user's own layers, in any style: ``layers`` is a list
    (or a dict, as "Deep Learning from Scratch" keeps them) of class-style objects, project layers or
    ``((forward, backward), args)`` pairs; ``loss`` is a loss function ``(loss, dx) = fn(scores, y)``
    or a loss layer (``forward(x, t)``/``backward()``). Each layer gets its torch counterpart by kind
    (``adapters.reference``). Returns ``(rows, first_failure)`` like ``diagnose``."""
    from torch_ref.layers import mirror as mirror_layer

    from . import conventions as conv
    from .adapters import _Adapter, adapt, kind_of, loss_function, reference, torch_loss
    cv = conv.parse(conventions or {})
    items = list(layers.items()) if isinstance(layers, dict) else list(enumerate(layers))
    adapted, modules, maps = [], [], []
    for key, layer in items:
        if isinstance(layer, tuple) and len(layer) == 2 and isinstance(layer[0], tuple):
            a = adapt(layer[0], layer[1], conventions=cv)
        else:
            a = adapt(layer, name=str(key) if isinstance(key, str) else None, conventions=cv)
        if isinstance(a, _Adapter):
            module, params, _ = reference(a, cv)
            from torch_ref.mapping import copy_to_torch
            module.to(torch.float64 if np.asarray(X).dtype == np.float64 else torch.float32)
            copy_to_torch(a.named_parameters(), module, params)
            if a.named_buffers():
                copy_to_torch(a.named_buffers(), module, {k: k for k in a.named_buffers()})
        else:
            m = mirror_layer(a, np.asarray(X).dtype)
            module, params = m.module, m.params
        adapted.append(a)
        modules.append(module.train())
        maps.append(params)
    dtype = np.asarray(X).dtype
    meta = dict(dtype=dtype.name, sample="diagnose", seed=seed)
    rows = []

    def add(i, stage, a, e, produced=0.0):
        name = f"{i} {adapted[i].describe()}" if i >= 0 else "loss"
        rows.append(compare(a, e, _tolerance(dtype, stage, produced), component=name, check=stage,
                            shape=tuple(np.shape(a)), **meta))

    np_ins, t_outs, x, xt = [], [], np.asarray(X), torch.tensor(np.asarray(X), requires_grad=True)
    t = xt
    for i, (a, module) in enumerate(zip(adapted, modules)):
        t = module(t)                       # first: a dropout's mask is read from the user's draw
        t.retain_grad()
        t_outs.append(t)
        np_ins.append(x)
        x = a.forward(x, training=True)
        add(i, "forward", x, t.detach().numpy())
    name = getattr(loss, "__name__", type(loss).__name__)
    fn = loss_function(loss)
    value, d = fn(x, y)
    yt = torch.as_tensor(np.asarray(y))
    lt = torch_loss(kind_of(name) or "softmax_loss", cv)(t, yt)
    add(-1, "loss", np.asarray(value), lt.detach().numpy())
    lt.backward()
    for i in reversed(range(len(adapted))):
        upstream = t_outs[i].grad.numpy()
        d = adapted[i].backward(d)
        expected = t_outs[i - 1].grad if i > 0 else xt.grad
        add(i, "grad_input", d, expected.numpy())
        tgrads = to_numpy_dict(modules[i], maps[i], grads=True)
        for k, g in adapted[i].named_grads().items():
            if k in tgrads:
                add(i, f"grad_param:{k}", g, tgrads[k], _mag(upstream, np_ins[i]) * len(X))
    first = next((r for r in rows if not r.passed), None)
    return rows, first


def format_diagnosis(rows, first):
    w = max([len("layer")] + [len(r.component) for r in rows])
    lines = [f"{'layer':<{w}} {'stage':<16} {'max abs':>9} {'max rel':>9}  verdict"]
    for r in rows:
        lines.append(f"{r.component:<{w}} {r.check:<16} {r.max_abs:>9.2e} {r.max_rel:>9.2e}  "
                     f"{'ok' if r.passed else 'DIVERGES'}")
    lines.append("all layers agree" if first is None else f"first divergence: {first.message()}")
    return "\n".join(lines)


def _script_part(exc):
    """For a NameError of a name only a file's script part sets: how to fix it, else ''."""
    import traceback
    from .definitions import not_run
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        text = not_run(exc, frame.filename)
        if text:
            return f" ({text})"
    return ""


FACTORY_SECONDS = 120           # loading the file and calling the factory: a loop that never ends stops here


def from_factory(spec, seconds=FACTORY_SECONDS):
    """``path/to/file.py:function`` or ``package.module:function``; the function returns a model or
    ``(model, X, y)``. Loading the file and calling the function get ``seconds`` in all."""
    from .scan import TookTooLong, _deadline
    try:
        with _deadline(seconds, f"--factory {spec}"):
            return _from_factory(spec)
    except TookTooLong:
        raise UsageError(f"--factory: {spec} did not load and return within {seconds:g} s: a loop that never "
                         "ends?") from None


def _from_factory(spec):
    import importlib
    import importlib.util
    import os
    where, _, name = spec.rpartition(":")
    if not where or not name:
        raise UsageError(f"--factory wants FILE.py:FUNCTION or module:FUNCTION, got {spec!r}")
    if where.endswith(".py"):
        if not os.path.isfile(where):
            raise UsageError(f"--factory: no file {where!r}")
    from .definitions import PLANS, _key, _Loader, definitions_only
    # a file runs its definitions only (as parity scan imports it): a training script's loop, downloads
    # and saves at the top level do not run; so do the .py files beside it that it imports
    folder = os.path.dirname(os.path.abspath(where)) if where.endswith(".py") else None
    beside = [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(".py")] if folder else []
    with definitions_only(beside):
        try:
            if where.endswith(".py"):
                module_spec = importlib.util.spec_from_file_location("parity_factory", where,
                                                                     loader=_Loader("parity_factory", where))
                module = importlib.util.module_from_spec(module_spec)
                module_spec.loader.exec_module(module)
            else:
                module = importlib.import_module(where)
        except ImportError as e:
            raise UsageError(f"--factory: cannot import {where!r}: {e}") from None
        except (Exception, SystemExit) as e:  # noqa: BLE001 -- the user's file: a syntax error or anything it raises
            raise UsageError(f"--factory: loading {where!r} failed: {type(e).__name__}: {e}"
                             + _script_part(e)) from None
        if not callable(getattr(module, name, None)):
            plan = PLANS.get(_key(where)) if folder else None
            raise UsageError(f"--factory: {where!r} has no function {name!r}"
                             + (" (its script part, which is not run, may set it)" if plan and plan.start else ""))
        try:
            out = getattr(module, name)()
        except (Exception, SystemExit) as e:  # noqa: BLE001 -- the user's function raised
            raise UsageError(f"--factory: {spec}() raised {type(e).__name__}: {e}" + _script_part(e)) from None
        plan = PLANS.get(_key(where)) if folder else None
        if plan is not None and plan.dropped:
            import sys
            print(f"parity diagnose: note: {os.path.basename(where)}: {plan.summary()}", file=sys.stderr)
    if isinstance(out, tuple) and len(out) == 4:          # (layers, loss, X, y): a model of the user's layers
        model, X, y = (out[0], out[1]), out[2], out[3]
    else:
        model, X, y = out if isinstance(out, tuple) and len(out) == 3 else (out, None, None)
    want = ("a NumPy model (numpy_impl.models, or your own with layers and last_layer), (model, X, y) or "
            "(layers, loss, X, y)")
    if (isinstance(out, tuple) and len(out) not in (3, 4)) or \
            (not isinstance(model, tuple) and getattr(model, "layers", None) is None):
        raise UsageError(f"--factory: {spec}() returned {type(out).__name__}" +
                         (f" of {len(out)}" if isinstance(out, tuple) else "") + f"; expected {want}")
    if X is not None:
        X, y = np.asarray(X), np.asarray(y)
        if not np.issubdtype(X.dtype, np.floating) or X.ndim < 2 or y.ndim != 1 or len(X) != len(y) or not len(X):
            raise UsageError(f"--factory: {spec}() returned X of shape {X.shape} ({X.dtype}) and y of shape "
                             f"{y.shape}; expected float X (N, ...) and integer labels y (N,), N >= 1")
        if not np.isfinite(X).all():                # bad input, not a layer's divergence
            where = tuple(int(i) for i in np.argwhere(~np.isfinite(X))[0])
            raise UsageError(f"--factory: {spec}() returned X holding {X[where]} at {where}; diagnose needs "
                             f"finite inputs")
    return model, X, y


def _check_dtypes(model, X):
    """A project model's parameters and the batch in one dtype: the mirror is built in X's, so a
    float32 model fed float64 would show its own rounding as a divergence."""
    params = model.named_parameters() if callable(getattr(model, "named_parameters", None)) else {}
    dtypes = {p.dtype for p in params.values()}
    if dtypes and X.dtype not in dtypes:
        raise UsageError(f"--factory: the model's parameters are {'/'.join(sorted(d.name for d in dtypes))} but X is "
                         f"{X.dtype}: return X.astype(np.{next(iter(dtypes)).name}) (or a model of X's dtype)")


def user_model(model):
    """``(layers, loss)`` when ``model`` is made of the user's own layers, else None (a project model).
    Accepted: a ``(layers, loss)`` pair, or an object with ``layers`` (a list or dict) and a loss
    layer in ``last_layer``/``lastLayer``/``loss_layer`` ("Deep Learning from Scratch" networks)."""
    if isinstance(model, tuple) and len(model) == 2:
        return model
    layers = getattr(model, "layers", None)
    if layers is None:
        return None
    try:
        from torch_ref import mirror as _m
        _m(model)
        return None                         # the project's own model: its mirror
    except TypeError as e:
        no_mirror = str(e)
    loss = next((getattr(model, n) for n in ("last_layer", "lastLayer", "loss_layer") if hasattr(model, n)), None)
    if loss is None and callable(getattr(model, "loss", None)):     # a project model holding a layer of your own
        raise UsageError(f"{type(model).__name__}: {no_mirror.split(':')[0]}, a layer of your own inside it: return "
                         "(layers, loss_layer, X, y) from the factory to diagnose your layers one by one")
    if loss is None:
        raise UsageError(f"{type(model).__name__}: a model of your own layers needs its loss layer as last_layer "
                         "or lastLayer, or return (layers, loss, X, y) from the factory")
    return layers, loss


def run_command(args):
    from numpy_impl.models import build_model
    dtype = args.dtype or "float64"
    output_path(args.json, "--json")
    input_file(args.weights, "--weights")
    factory_file = (args.factory or "").rpartition(":")[0]
    distinct_files(("--weights", args.weights), ("--json", args.json),
                   ("--factory", factory_file if factory_file.endswith(".py") else None))
    if args.factory and args.model:
        raise UsageError(f"name a MODEL ({args.model!r}) or give --factory, not both")
    from .conventions import ConventionError, parse
    try:
        declared = parse(args.convention or [])
    except ConventionError as e:
        raise UsageError(f"--convention: {e}") from None
    if declared and not args.factory:
        raise UsageError("--convention: only for a --factory model made of your own layers")
    if args.factory:
        given = [k for k in ARCHITECTURE_KEYS + ("reg", "root", "subset", "val", "weights")
                 if getattr(args, k, None) is not None] + (["data"] if args.data != "random" else [])
        if given:
            raise UsageError(f"--{given[0].replace('_', '-')} applies to a built-in MODEL; with --factory the "
                             f"factory builds the model (and may return its X, y)")
        model, X, y = from_factory(args.factory)
        if user_model(model) is None and not callable(getattr(model, "loss", None)):
            raise UsageError(f"--factory: {args.factory}() returned a {type(model).__name__}, which has no loss to "
                             "diagnose: return a numpy_impl.models model (FullyConnectedNet, ConvNet, ... or a "
                             "Model(*layers)), or (layers, loss_layer, X, y)")
        if X is None and user_model(model) is not None:
            raise UsageError("--factory: a model of your own layers needs its batch: return (model, X, y) or "
                             "(layers, loss, X, y)")
        if X is None:
            shape = args.input_shape or (784,)
            rng = np.random.default_rng(args.seed)
            X = rng.standard_normal((args.batch, *shape)).astype(dtype)
            try:
                scores = model.forward(X, training=False)
            except (ValueError, TypeError) as e:
                given = "--input-shape " + ",".join(map(str, shape))
                said = given if args.input_shape is not None else f"no --input-shape (so the default {given.split()[1]})"
                raise UsageError(f"{said}: the model refuses a batch of that sample shape: {e}; pass --input-shape "
                                 "with the shape of one sample, e.g. 1,28,28 for a conv net") from None
            y = rng.integers(0, scores.shape[1], args.batch)
    else:
        if not args.model:
            raise UsageError("name a MODEL or give --factory FILE.py:FUNCTION")
        check_architecture(args.model, args)
        seed = args.seed or 0
        if args.data == "random":
            given = [o for o, v in (("--root", args.root), ("--subset", args.subset), ("--val", args.val),
                                    ("--no-verify-checksums", args.verify_checksums is False)) if v]
            if given:
                raise UsageError(f"{', '.join(given)} apply to a dataset (--data mnist, fashion-mnist or cifar10); "
                                 f"the default --data random draws a batch of standard-normal samples")
            shape = (1, 28, 28) if args.model == "conv" else (784,)
            rng = np.random.default_rng(seed)
            X = rng.standard_normal((args.batch, *shape)).astype(dtype)
            y = rng.integers(0, 10, args.batch)
            classes = 10
        else:
            data = load_data(args.model, args.data, args.root, dtype, args.subset, args.val, seed,
                             verify_checksums=args.verify_checksums is not False)
            if args.batch > len(data["X_train"]):
                raise UsageError(f"--batch {args.batch}: the training split holds only {len(data['X_train'])} samples")
            X, y, classes = data["X_train"][:args.batch], data["y_train"][:args.batch], len(data["classes"])
        model = build_model(args.model, X.shape[1:], classes, reg=args.reg or 0.0, seed=seed, dtype=dtype,
                            **{k: getattr(args, k) for k in ARCHITECTURE_KEYS})
        if args.weights:
            from torch_ref.interop import load_state_dict
            try:
                load_state_dict(model, args.weights)
            except (Exception, SystemExit) as e:  # noqa: BLE001 -- the user's file: not a state_dict, other shapes
                first = " ".join(str(e).split())[:300]
                raise UsageError(f"--weights {args.weights!r}: not a state_dict of this model ({type(e).__name__}: "
                                 f"{first})") from None
    user = user_model(model)
    if user is None and args.factory:
        _check_dtypes(model, np.asarray(X))
    if user is not None:
        layers, loss = user
        rows, first = diagnose_layers(layers, loss, X, y, conventions=declared, seed=args.seed or 0)
    else:
        _probe(model, X, y)
        rows, first = diagnose(model, X, y, seed=args.seed or 0)
    print(format_diagnosis(rows, first))
    if args.json:
        Report(rows).to_json(args.json)
        print(f"wrote {args.json}")
    return 0 if first is None else 1


def _probe(model, X, y):
    """A batch the model refuses (labels out of range, one sample into BatchNorm) is an input error
    (exit 2), found on a copy so that the diagnosis itself starts from the model as given."""
    import copy
    try:
        copy.deepcopy(model).loss(X, y)
    except (ValueError, TypeError) as e:
        raise UsageError(f"the model refuses this batch: {e}") from None


def _shape(text):
    from ..options import csv
    return tuple(csv(int)(text))


def add_command(sub):
    d = sub.add_parser("diagnose", help="the first layer where NumPy and torch part ways, on one batch",
                       description="Run one batch through a NumPy model and its torch mirror; compare every "
                                   "layer's output, input gradient and parameter gradients in execution order.")
    d.add_argument("model", nargs="?", choices=MODELS)
    add_data_options(d, default="random")
    add_model_options(d)
    d.add_argument("--factory", help="FILE.py:FUNCTION or module:FUNCTION returning a model or (model, X, y)")
    d.add_argument("--input-shape", default=None, type=_shape,
                   help="with --factory and no data: sample shape, e.g. 1,28,28 (default 784)")
    d.add_argument("--batch", type=count(1), default=32, help="samples in the batch (>= 1)")
    d.add_argument("--weights", help="a state_dict (.pt) to load into the model first")
    d.add_argument("--json", metavar="FILE", help="write every comparison as JSON")
    d.add_argument("--convention", action="append", metavar="NAME=VALUE",
                   help="a model of your own layers: declare a convention (see 'parity scan --help')")
    d.set_defaults(func=run_command)
