"""Lockstep training: a NumPy model and its torch mirror trained side by side on the same batches
(dropout masks shared, optimizer and schedule mirrored), the drift between them recorded per step.

``Lockstep`` is a ``numpy_impl.train.Trainer`` callback; ``trainer_with_mirror`` is the one place a
trainer and its mirror are wired together (``lockstep``, ``parity train`` and the experiments use it)."""
import math
import time

import numpy as np
import torch

from numpy_impl.data import num_batches
from numpy_impl.train import Trainer
from torch_ref import mirror
from torch_ref.mapping import to_numpy_dict
from torch_ref.models import forward_layers, l2_penalty, model_loss
from torch_ref.optim import mirror_optimizer, mirror_scheduler


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
        self.m.module.train()                       # training steps, as the trainer's, whatever mode the model was in
        self.modules = list(self.m.module)
        tparams = dict(self.m.module.named_parameters())
        self.topt = mirror_optimizer(optimizer, {k: tparams[p.torch_name] for k, p in self.m.params.items()})
        self.tsched = None if scheduler is None else mirror_scheduler(scheduler, self.topt)
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
        out = forward_layers(self.model, self.modules, torch.tensor(xb), retain=False)[-1]
        lt = model_loss(self.model, out, yb) + l2_penalty(self.model, self.m.module)
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

    def summary(self, limit=None):
        """The whole run: largest drift and where, the first step over ``limit`` (None: not
        gated), and the largest relative loss difference."""
        worst = self.worst() or {"param_drift": 0.0}
        over = next((s for s in self.steps if s["param_drift"] > limit), None) if limit is not None else None
        return {"max_drift": worst["param_drift"], "max_drift_in": worst.get("drift_in"), "drift_limit": limit,
                "first_over_limit": {k: over[k] for k in ("step", "drift_in", "param_drift")} if over else None,
                "max_loss_diff": max((abs(s["loss_numpy"] - s["loss_torch"]) / max(abs(s["loss_torch"]), 1e-300)
                                      for s in self.steps), default=0.0)}

    def epoch_text(self, record):
        acc = record.get("torch_val_acc")
        return f"(torch{'' if acc is None else f' val acc {acc:.4f},'} drift {record['max_drift']:.1e})"

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


def trainer_with_mirror(model, optimizer, scheduler=None, *, lockstep=True, eval_sets=None, **trainer_kw):
    """A ``Trainer`` for ``model`` and, with ``lockstep``, a ``Lockstep`` callback beside it (built
    now, from the model's current weights). Returns ``(trainer, mirror or None)``."""
    mirror_cb = Lockstep(model, optimizer, scheduler, eval_sets=eval_sets) if lockstep else None
    callbacks = list(trainer_kw.pop("callbacks", ())) + ([mirror_cb] if mirror_cb else [])
    return Trainer(model, optimizer, scheduler, callbacks=callbacks, **trainer_kw), mirror_cb


def lockstep(model, X, y, make_optimizer, steps=100, batch_size=64, seed=0, schedule=None):
    """Train ``model`` and its torch mirror side by side for ``steps`` updates (the ``Trainer`` with
    a ``Lockstep`` callback). Returns one dict per step with both losses and the parameter drift.
    It trains ``model`` in place (that is its purpose): the history is a function of the model's
    state when called and of the arguments; the torch mirror is built afresh each call."""
    opt = make_optimizer(model.named_parameters())
    sched = schedule(opt) if schedule else None
    trainer, mirror_cb = trainer_with_mirror(model, opt, sched, batch_size=batch_size, seed=seed,
                                             schedule_every="step", train_acc_samples=0, progress=False, log=None)
    trainer.fit(X, y, epochs=math.ceil(steps / num_batches(len(X), batch_size)), max_steps=steps)
    return mirror_cb.steps
