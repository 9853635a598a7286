"""Model-level tools: ``diagnose`` (the first layer where NumPy and torch part ways) and
``lockstep`` (the NumPy model and its torch mirror trained side by side on the same batches)."""
import numpy as np
import torch
import torch.nn.functional as F

import numpy_impl.layers as L
from datasets.preprocess import minibatches
from torch_ref import mirror
from torch_ref.mapping import to_numpy_dict
from torch_ref.optim import mirror_optimizer

from .compare import compare
from .tolerance import tolerance_for


def torch_loss(model, scores, y):
    yt = torch.as_tensor(y, dtype=torch.int64)
    if model.loss_name.startswith("svm"):
        return scores.shape[1] * F.multi_margin_loss(scores, yt)
    return F.cross_entropy(scores, yt)


def _torch_forward(model, modules, x):
    """Run the torch layers one by one, dropout with the mask the NumPy layer just drew."""
    outs = []
    for layer, module in zip(model.layers, modules):
        if isinstance(layer, L.Dropout) and module.training:
            mask = torch.as_tensor(layer.mask, dtype=x.dtype)
            x = x * (mask / (1 - layer.p)) if layer.p < 1 else x * 0
        else:
            x = module(x)
        x.retain_grad()
        outs.append(x)
    return outs


def _l2(model, tmodel, mapping):
    if not model.reg:
        return 0.0
    params = dict(tmodel.named_parameters())
    return model.reg * sum((params[mapping[k].torch_name] ** 2).sum() for k in model.weight_names())


def diagnose(model, X, y, seed=0):
    """Compare every layer's output, input gradient and parameter gradients, in execution order.
    Returns ``(rows, first_failure)``; each row is a ``CheckResult`` whose ``component`` is
    ``"<index> <layer>"``."""
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
    t_outs = _torch_forward(model, modules, xt)
    for i, (a, e) in enumerate(zip(np_outs, t_outs)):
        add(i, "forward", a, e.detach().numpy())
    from numpy_impl.losses import LOSSES
    loss, dscores = LOSSES[model.loss_name](np_outs[-1], y)
    lt = torch_loss(model, t_outs[-1], y)
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
    lines = [f"{'layer':<44} {'stage':<16} {'max abs':>9} {'max rel':>9}  verdict"]
    for r in rows:
        lines.append(f"{r.component:<44} {r.check:<16} {r.max_abs:>9.2e} {r.max_rel:>9.2e}  "
                     f"{'ok' if r.passed else 'DIVERGES'}")
    lines.append("all layers agree" if first is None else f"first divergence: {first.message()}")
    return "\n".join(lines)


def lockstep(model, X, y, make_optimizer, steps=100, batch_size=64, seed=0, schedule=None):
    """Train ``model`` and its torch mirror side by side: same start, same batches (the shared
    ``minibatches``), dropout masks shared. Returns the history: one dict per step with both
    losses and the largest parameter difference relative to the parameter's magnitude."""
    m = mirror(model, np.asarray(X).dtype)
    tparams = dict(m.module.named_parameters())
    opt = make_optimizer(model.named_parameters())
    topt = mirror_optimizer(opt, {k: tparams[p.torch_name] for k, p in m.params.items()})
    sched = schedule(opt) if schedule else None
    if sched:
        from torch_ref.optim import mirror_scheduler
        tsched = mirror_scheduler(sched, topt)
    modules = list(m.module)
    history, step, epoch = [], 0, 0
    while step < steps:
        for xb, yb in minibatches(X, y, batch_size, seed=seed + epoch):
            loss, grads = model.loss(xb, yb)
            topt.zero_grad()
            out = _torch_forward(model, modules, torch.tensor(xb))[-1]
            lt = torch_loss(model, out, yb) + _l2(model, m.module, m.params)
            lt.backward()
            opt.step(grads)
            topt.step()
            if sched:
                sched.step()
                tsched.step()
            step += 1
            tvals = to_numpy_dict(m.module, {**m.params, **m.buffers})
            nvals = {**model.named_parameters(), **model.named_buffers()}
            drift = max(float(np.max(np.abs(nvals[k] - tvals[k])) / (np.max(np.abs(tvals[k])) + 1e-300))
                        for k in tvals)
            history.append({"step": step, "loss_numpy": float(loss), "loss_torch": float(lt.item()),
                            "param_drift": drift})
            if step >= steps:
                break
        epoch += 1
    return history
