"""Model-level tools: ``diagnose`` (the first layer where NumPy and torch part ways) and
``lockstep`` (the NumPy model and its torch mirror trained side by side on the same batches)."""
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

import numpy_impl.layers as L
from numpy_impl.data import num_batches
from numpy_impl.train import Trainer
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


def _torch_forward(model, modules, x, retain=True):
    """Run the torch layers one by one, dropout with the mask the NumPy layer just drew; every
    output keeps its gradient when ``retain``."""
    outs = []
    for layer, module in zip(model.layers, modules):
        if isinstance(layer, L.Dropout) and module.training:
            mask = torch.as_tensor(layer.mask, dtype=x.dtype)
            x = x * (mask / (1 - layer.p)) if layer.p < 1 else x * 0
        else:
            x = module(x)
        if retain:
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
    w = max([len("layer")] + [len(r.component) for r in rows])
    lines = [f"{'layer':<{w}} {'stage':<16} {'max abs':>9} {'max rel':>9}  verdict"]
    for r in rows:
        lines.append(f"{r.component:<{w}} {r.check:<16} {r.max_abs:>9.2e} {r.max_rel:>9.2e}  "
                     f"{'ok' if r.passed else 'DIVERGES'}")
    lines.append("all layers agree" if first is None else f"first divergence: {first.message()}")
    return "\n".join(lines)


class Lockstep:
    """A ``Trainer`` callback that trains the torch mirror side by side: built from the model's
    current weights, it takes the same batch after every NumPy step (dropout masks shared; the
    optimizer and schedule mirrored) and records, per step, both losses and the largest parameter
    or buffer difference relative to its magnitude (``steps``). Per epoch it adds the mirror's
    accuracies and its time (``torch_seconds``: forward, backward, step) to the trainer's record.
    Create it before training starts, with the optimizer (and schedule) the trainer uses."""

    def __init__(self, model, optimizer, scheduler=None, dtype=None, eval_sets=None):
        dtype = dtype or next(iter(model.named_parameters().values())).dtype
        self.model, self.m = model, mirror(model, dtype)
        self.modules = list(self.m.module)
        tparams = dict(self.m.module.named_parameters())
        self.topt = mirror_optimizer(optimizer, {k: tparams[p.torch_name] for k, p in self.m.params.items()})
        self.tsched = None
        if scheduler is not None:
            from torch_ref.optim import mirror_scheduler
            self.tsched = mirror_scheduler(scheduler, self.topt)
        self.eval_sets = eval_sets or {}
        self.steps, self.torch_seconds, self._epoch_start = [], 0.0, 0

    def drift(self):
        """``(largest relative difference, the parameter or buffer that has it)``."""
        tvals = to_numpy_dict(self.m.module, {**self.m.params, **self.m.buffers})
        nvals = {**self.model.named_parameters(), **self.model.named_buffers()}
        return max((float(np.max(np.abs(nvals[k] - tvals[k])) / (np.max(np.abs(tvals[k])) + 1e-300)), k)
                   for k in tvals)

    def worst(self, steps=None):
        """The step record with the largest drift (of ``steps``, default all), or None."""
        steps = self.steps if steps is None else steps
        return max(steps, key=lambda s: s["param_drift"]) if steps else None

    def on_step(self, trainer, xb, yb, loss):
        t0 = time.perf_counter()
        self.topt.zero_grad()
        out = _torch_forward(self.model, self.modules, torch.tensor(xb), retain=False)[-1]
        lt = torch_loss(self.model, out, yb) + _l2(self.model, self.m.module, self.m.params)
        lt.backward()
        self.topt.step()
        if self.tsched is not None and trainer.schedule_every == "step":
            self.tsched.step()
        self.torch_seconds += time.perf_counter() - t0
        drift, name = self.drift()
        self.steps.append({"step": trainer.step, "loss_numpy": float(loss), "loss_torch": float(lt.item()),
                           "param_drift": drift, "drift_in": name})

    def accuracy(self, X, y, batch_size=1000):
        self.m.module.eval()
        with torch.no_grad():
            pred = np.concatenate([self.m.module(torch.tensor(X[i:i + batch_size])).argmax(1).numpy()
                                   for i in range(0, len(X), batch_size)])
        self.m.module.train()
        return float(np.mean(pred == y))

    def on_epoch(self, trainer, record):
        if self.tsched is not None and trainer.schedule_every == "epoch":
            self.tsched.step()
        epoch, self._epoch_start = self.steps[self._epoch_start:], len(self.steps)
        record["torch_seconds"], self.torch_seconds = self.torch_seconds, 0.0
        record["torch_loss"] = float(np.mean([s["loss_torch"] for s in epoch])) if epoch else float("nan")
        worst = self.worst(epoch)
        record["max_drift"] = worst["param_drift"] if worst else 0.0
        for name, (X, y) in self.eval_sets.items():
            record[f"torch_{name}_acc"] = self.accuracy(X, y)


def lockstep(model, X, y, make_optimizer, steps=100, batch_size=64, seed=0, schedule=None):
    """Train ``model`` and its torch mirror side by side for ``steps`` updates (the ``Trainer`` with
    a ``Lockstep`` callback). Returns one dict per step with both losses and the parameter drift."""
    opt = make_optimizer(model.named_parameters())
    sched = schedule(opt) if schedule else None
    mirror_cb = Lockstep(model, opt, sched, np.asarray(X).dtype)
    trainer = Trainer(model, opt, sched, batch_size=batch_size, seed=seed, schedule_every="step",
                      train_acc_samples=0, callbacks=[mirror_cb], progress=False, log=None)
    trainer.fit(X, y, epochs=math.ceil(steps / num_batches(len(X), batch_size)), max_steps=steps)
    return mirror_cb.steps
