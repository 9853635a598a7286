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

from ..options import ARCHITECTURE_KEYS, UsageError, add_data_options, add_model_options, load_data
from .compare import compare
from .isolation import preserved
from .report import Report
from .tolerance import tolerance_for


def diagnose(model, X, y, seed=0):
    """Compare every layer's output, input gradient and parameter gradients, in execution order.
    Returns ``(rows, first_failure)``; each row is a ``CheckResult`` whose ``component`` is
    ``"<index> <layer>"``. A pure function of its arguments: the model's parameters, buffers
    (running statistics), mode and dropout generators are restored afterwards."""
    with preserved(model, None, seed):
        return _diagnose(model, X, y, seed)


def _diagnose(model, X, y, seed):
    dtype = np.asarray(X).dtype
    m = mirror(model, dtype)
    modules = list(m.module)
    meta = dict(dtype=dtype.name, sample="diagnose", seed=seed)
    rows = []

    def add(i, stage, a, e):
        name = f"{i} {model.layers[i].describe()}" if i >= 0 else "model"
        rows.append(compare(a, e, tolerance_for(dtype, stage), component=name, check=stage,
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
        for k, g in layer.named_grads().items():
            add(i, f"grad_param:{k}", g, tgrads[prefix + k])
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


def from_factory(spec):
    """``path/to/file.py:function`` or ``package.module:function``; the function returns a model or
    ``(model, X, y)``."""
    import importlib
    import importlib.util
    import os
    where, _, name = spec.rpartition(":")
    if not where or not name:
        raise UsageError(f"--factory wants FILE.py:FUNCTION or module:FUNCTION, got {spec!r}")
    if where.endswith(".py"):
        if not os.path.exists(where):
            raise UsageError(f"--factory: no file {where!r}")
        module_spec = importlib.util.spec_from_file_location("parity_factory", where)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as e:
            raise UsageError(f"--factory: cannot import {where!r}: {e}") from None
    if not callable(getattr(module, name, None)):
        raise UsageError(f"--factory: {where!r} has no function {name!r}")
    out = getattr(module, name)()
    return out if isinstance(out, tuple) else (out, None, None)


def run_command(args):
    from numpy_impl.models import build_model
    dtype = args.dtype or "float64"
    if args.factory:
        model, X, y = from_factory(args.factory)
        if X is None:
            shape = tuple(int(v) for v in args.input_shape.split(","))
            rng = np.random.default_rng(args.seed)
            X = rng.standard_normal((args.batch, *shape)).astype(dtype)
            scores = model.forward(X, training=False)
            y = rng.integers(0, scores.shape[1], args.batch)
    else:
        if not args.model:
            raise UsageError("name a MODEL or give --factory FILE.py:FUNCTION")
        seed = args.seed or 0
        if args.data == "random":
            shape = (1, 28, 28) if args.model == "conv" else (784,)
            rng = np.random.default_rng(seed)
            X = rng.standard_normal((args.batch, *shape)).astype(dtype)
            y = rng.integers(0, 10, args.batch)
            classes = 10
        else:
            data = load_data(args.model, args.data, args.root, dtype, args.subset, args.val, seed)
            X, y, classes = data["X_train"][:args.batch], data["y_train"][:args.batch], len(data["classes"])
        model = build_model(args.model, X.shape[1:], classes, reg=args.reg or 0.0, seed=seed, dtype=dtype,
                            **{k: getattr(args, k) for k in ARCHITECTURE_KEYS})
        if args.weights:
            from torch_ref.interop import load_state_dict
            load_state_dict(model, args.weights)
    rows, first = diagnose(model, X, y, seed=args.seed or 0)
    print(format_diagnosis(rows, first))
    if args.json:
        Report(rows).to_json(args.json)
        print(f"wrote {args.json}")
    return 0 if first is None else 1


def add_command(sub):
    d = sub.add_parser("diagnose", help="the first layer where NumPy and torch part ways, on one batch",
                       description="Run one batch through a NumPy model and its torch mirror; compare every "
                                   "layer's output, input gradient and parameter gradients in execution order.")
    d.add_argument("model", nargs="?", choices=MODELS)
    add_data_options(d, default="random")
    add_model_options(d)
    d.add_argument("--factory", help="FILE.py:FUNCTION or module:FUNCTION returning a model or (model, X, y)")
    d.add_argument("--input-shape", default="784", help="with --factory and no data: sample shape, e.g. 1,28,28")
    d.add_argument("--batch", type=int, default=32)
    d.add_argument("--weights", help="a state_dict (.pt) to load into the model first")
    d.add_argument("--json", metavar="FILE", help="write every comparison as JSON")
    d.set_defaults(func=run_command)
