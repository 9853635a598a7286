"""The training loop: epochs of seeded minibatches, any optimizer and schedule, accuracy per epoch,
a progress bar, a clear stop on a non-finite loss, and checkpoints that resume bit for bit.

    trainer = Trainer(model, Adam(model.named_parameters(), lr=1e-3), batch_size=64, seed=0)
    history = trainer.fit(X_train, y_train, epochs=10, X_val=X_val, y_val=y_val,
                          checkpoint="run.npz")
    # later, in a fresh process, with the model and optimizer built the same way:
    trainer.resume("run.npz"); trainer.fit(X_train, y_train, epochs=10, X_val=X_val, y_val=y_val)

Epoch ``e`` shuffles with ``numpy.random.default_rng([seed, e])``, so the order of any epoch is
known without replaying the earlier ones; a checkpoint records the epoch and the batch within it,
the model, the optimizer and schedule state and the dropout generators, which is everything a step
depends on. The model's ``loss(X, y)`` returns ``(loss, grads)`` (see ``numpy_impl.models``).

``callbacks`` are objects with optional methods ``on_step(trainer, X_batch, y_batch, loss)``
(after the update), ``on_epoch(trainer, record)`` (after the epoch's evaluation, adding to the
epoch's record) and ``epoch_text(record)`` (a few words for the epoch line).
"""
import math
import numbers
import sys
import time

import numpy as np

from .checkpoint import load_checkpoint, save_checkpoint
from .checks import check_labels
from .data import minibatches, num_batches


def progress_bar(total, done, desc, stream=None):
    """A tqdm bar over the batches of one epoch on ``stream`` (default stderr); tqdm shows nothing
    when the stream is not a terminal."""
    from tqdm import tqdm
    return tqdm(total=total, initial=done, desc=desc, unit="batch", leave=False, file=stream or sys.stderr,
                disable=None, dynamic_ncols=True)


DIVERGENCE_FACTOR = 1e3     # a loss above 1e3 x max(1, the run's first loss) is divergence
PARAM_GROWTH = 1e6          # so is a parameter norm above 1e6 x max(1, its norm at the start)


def check_int(component, name, value, least, allow_none=False):
    """``value`` must be an integer >= ``least`` (or None when ``allow_none``)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ValueError(f"{component}: {name} must be an integer >= {least}"
                         f"{' or None' if allow_none else ''}, got {value!r}")
    return int(value)


def _has_batchnorm1d(model):
    """Whether a layer of ``model`` (or of its children) is a BatchNorm1d, which Model.loss trains: one sample
    gives it one value per feature (a BatchNorm2d still has H*W of them)."""
    todo, seen = [model], set()
    while todo:
        layer = todo.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if type(layer).__name__ == "BatchNorm1d":      # Model.loss trains it, even after eval()
            return True
        children = getattr(layer, "children", None)
        todo.extend(children() if callable(children) else ())
    return False


def _forward_takes_training(model):
    """Whether ``model.forward(X, training=False)`` can be called (a library model; a user's model needs
    only ``loss``)."""
    import inspect
    try:
        return "training" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def _steps_on_metric(scheduler):
    """Whether ``scheduler.step`` needs an argument (ReduceLROnPlateau's metric)."""
    import inspect
    try:
        params = inspect.signature(scheduler.step).parameters.values()
    except (TypeError, ValueError, AttributeError):
        return False
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def _check_position(path, t):
    """A saved trainer position whose every field is of its kind (a hand-edited or damaged header is
    refused before anything is restored)."""
    def bad(what):
        raise ValueError(f"Trainer.resume({path!r}): truncated or corrupted trainer position ({what}); "
                         f"nothing was loaded")
    if not isinstance(t, dict):
        bad(f"a {type(t).__name__}, expected a dict")
    for key in ("epoch", "batch", "step", "batch_size", "seed"):
        if not isinstance(t.get(key), int) or isinstance(t.get(key), bool) or t[key] < 0:
            bad(f"{key}={t.get(key)!r}, expected an integer >= 0")
    if "schedule_every" not in t:
        bad("no schedule_every")
    h = t.get("history")
    if not isinstance(h, dict) or not isinstance(h.get("loss"), list) or not isinstance(h.get("epochs"), list):
        bad(f"history={h!r:.60}, expected a dict with 'loss' and 'epochs' lists")


class Trainer:
    def __init__(self, model, optimizer, scheduler=None, batch_size=64, seed=0, schedule_every="epoch",
                 train_acc_samples=1000, callbacks=(), progress=True, log=print):
        if schedule_every not in ("epoch", "step"):
            raise ValueError(f"Trainer: schedule_every must be 'epoch' or 'step', got {schedule_every!r}")
        check_int("Trainer", "batch_size", batch_size, 1)
        check_int("Trainer", "seed", seed, 0)
        check_int("Trainer", "train_acc_samples (0: none)", train_acc_samples, 0)
        for name, obj, method in (("model", model, "loss"), ("optimizer", optimizer, "step"),
                                  ("scheduler", scheduler, "step")):
            if obj is not None and not callable(getattr(obj, method, None)):
                raise TypeError(f"Trainer: {name} must have a {method}() method, got {type(obj).__name__}")
        if optimizer is None:
            raise TypeError("Trainer: optimizer must have a step() method, got None")
        if model is None:
            raise TypeError("Trainer: model must have a loss() method, got None")
        self.on_metric = _steps_on_metric(scheduler)
        if self.on_metric and schedule_every != "epoch":
            raise ValueError(f"Trainer: {type(scheduler).__name__} steps on a metric, once an epoch; "
                             f"schedule_every='step' is for schedules that step on nothing")
        if scheduler is not None and getattr(scheduler, "optimizer", optimizer) is not optimizer:
            raise ValueError(f"Trainer: the {type(scheduler).__name__} schedules another optimizer than the one "
                             "given; build it over this trainer's optimizer")
        named = model.named_parameters() if callable(getattr(model, "named_parameters", None)) else {}
        foreign = [k for g in getattr(optimizer, "param_groups", ()) if isinstance(g, dict)
                   for k, p in g.get("params", {}).items() if k in named and p is not named[k]]
        if foreign:                                 # it would step those arrays, never the model's
            raise ValueError(f"Trainer: the optimizer's parameters {foreign[:4]} are not this model's arrays (an "
                             "optimizer built over another model, or over copies?); build it over "
                             "model.named_parameters()")
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.batch_size, self.seed, self.schedule_every = int(batch_size), int(seed), schedule_every
        self.train_acc_samples = train_acc_samples
        if callbacks is None:
            callbacks = ()
        if not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"Trainer: callbacks must be a list of objects with on_step/on_epoch, got "
                            f"{type(callbacks).__name__}")
        hooks = ("on_step", "on_epoch", "epoch_text")
        for i, cb in enumerate(callbacks):
            if not any(callable(getattr(cb, h, None)) for h in hooks):
                raise TypeError(f"Trainer: callback {i} ({type(cb).__name__}) has none of the methods "
                                f"{', '.join(hooks)}, so it would never be called (a plain function? wrap it in "
                                f"an object with on_step(trainer, X_batch, y_batch, loss))")
        self.callbacks = list(callbacks)
        if log is not None and log is not False and not callable(log):
            raise TypeError(f"Trainer: log must be a function of a line of text (print), or None for quiet, got "
                            f"{type(log).__name__}")
        if not (progress is None or isinstance(progress, (bool, np.bool_))
                or (isinstance(progress, numbers.Integral) and progress in (0, 1))
                or callable(getattr(progress, "write", None))):
            raise TypeError(f"Trainer: progress must be True, False or a file to draw the bar on (sys.stderr), "
                            f"got {progress!r:.40}")
        if not callable(getattr(progress, "write", None)):
            progress = bool(progress)               # 1, np.True_: the bar on the terminal, as True
        self.progress, self.log = progress, log or (lambda *a, **k: None)
        self.epoch = 0          # completed epochs
        self.batch = 0          # batches done in the current epoch
        self.step = 0           # updates done in all
        self.history = {"loss": [], "epochs": [], "stopped": None}
        self.stopped = None
        self.config = None      # JSON-able settings of the run, saved in every checkpoint
        self._acc_idx, self._acc_key = None, None

    # ------------------------------------------------------------------ checkpoints
    def state(self):
        return {"epoch": self.epoch, "batch": self.batch, "step": self.step, "history": self.history,
                "batch_size": self.batch_size, "seed": self.seed, "schedule_every": self.schedule_every}

    def save(self, path):
        """Write a checkpoint now (atomically: the previous file survives an interrupted save)."""
        extra = {"trainer": self.state()}
        if self.config is not None:
            extra["config"] = self.config
        return save_checkpoint(path, self.model, self.optimizer, self.scheduler, extra=extra)

    def resume(self, path):
        """Restore model, optimizer, schedule, dropout generators and position from ``path``."""
        path = str(path)

        def check(extra):                           # before load_checkpoint changes anything
            if "trainer" not in extra:
                raise ValueError(f"Trainer.resume({path!r}): the checkpoint holds no trainer position "
                                 f"(saved by save_checkpoint, not by a Trainer)")
            _check_position(path, extra["trainer"])
            for key in ("batch_size", "seed", "schedule_every"):
                if extra["trainer"][key] != getattr(self, key):
                    raise ValueError(f"Trainer.resume({path!r}): the checkpoint was made with "
                                     f"{key}={extra['trainer'][key]!r}, this trainer has {getattr(self, key)!r}; "
                                     f"an exact resume needs the same")

        t = load_checkpoint(path, self.model, self.optimizer, self.scheduler, check_extra=check)["trainer"]
        self.epoch, self.batch, self.step, self.history = t["epoch"], t["batch"], t["step"], t["history"]
        self.stopped = self.history.get("stopped")
        return self

    # ------------------------------------------------------------------ evaluation
    def _train_accuracy(self, X, y):
        """Accuracy on ``train_acc_samples`` training samples (drawn once, seeded); None when 0."""
        n = self.train_acc_samples
        if not n:
            return None
        if n >= len(X):
            return self.evaluate(X, y)
        if self._acc_idx is None or self._acc_key != (n, len(X)):     # drawn again for other data
            self._acc_idx = np.random.default_rng([self.seed, 1 << 20]).choice(len(X), n, replace=False)
            self._acc_key = (n, len(X))
        return self.evaluate(X[self._acc_idx], y[self._acc_idx])

    def evaluate(self, X, y):
        return self.model.accuracy(X, y)

    # ------------------------------------------------------------------ the loop
    def _param_norm(self):
        return math.sqrt(sum(float(np.vdot(p, p)) for p in self.model.named_parameters().values()))

    def _loss_diverged(self, loss):
        """Why ``loss`` means divergence (non-finite, or far above the run's first loss), or None."""
        if not math.isfinite(loss):
            return f"the loss became {loss}"
        first = self.history["loss"][0] if self.history["loss"] else None
        if first is not None and loss > DIVERGENCE_FACTOR * max(1.0, abs(first)):
            return (f"the loss became {loss:.6g}, more than {DIVERGENCE_FACTOR:g} x max(1, the first loss "
                    f"{first:.6g}): diverging")
        return None

    def _params_diverged(self):
        norm = self._param_norm()
        start = self.history.setdefault("start_param_norm", norm)
        if not math.isfinite(norm) or norm > PARAM_GROWTH * max(1.0, start):
            return (f"the parameter norm became {norm:.6g}, more than {PARAM_GROWTH:g} x max(1, its start "
                    f"{start:.6g}): diverging")
        return None

    def _stop_on(self, why, after_update=False):
        last = next((v for v in reversed(self.history["loss"]) if math.isfinite(v)), None)
        lrs = ", ".join(f"{g['lr']:.3g}" for g in self.optimizer.param_groups)
        step = self.step if after_update else self.step + 1
        batch = self.batch if after_update else self.batch + 1
        when = ("after that update" if after_update
                else f"before that update, so the model holds the weights of step {self.step}")
        self.stopped = (f"Trainer: {why} at epoch {self.epoch + 1}, batch {batch} "
                        f"(step {step}, lr {lrs}); training stopped {when}. Last finite loss: "
                        f"{'none' if last is None else f'{last:.6g}'}. Try a lower learning rate or a "
                        f"smaller weight scale, or check the inputs for NaN or inf.")
        self.history["stopped"] = self.stopped
        self.log(self.stopped)

    def _fits(self, what, X):
        """The scores of X's first two samples, in eval mode; a wrong feature size or dtype is named."""
        try:
            return self.model.forward(X[:2], training=False)
        except (TypeError, ValueError) as e:
            raise type(e)(f"Trainer.fit: {what} of shape {X.shape} does not fit the model (its first two "
                          f"samples: {e})") from None

    def _check_schedule_length(self, per_epoch, epochs, max_steps):
        """A schedule of a fixed length (OneCycleLR's ``total_steps``) must last the run: refused before the
        first update, not when it runs out part way (torch raises there too, with the model changed)."""
        length = getattr(self.scheduler, "total_steps", None)
        if not isinstance(length, (int, np.integer)):
            return
        if self.schedule_every == "step":
            planned = (epochs - self.epoch) * per_epoch - self.batch
            if max_steps is not None:
                planned = min(planned, max(max_steps - self.step, 0))
            unit = f"{epochs} epoch(s) of {per_epoch} batches, schedule_every='step'"
        else:
            planned, unit = epochs - self.epoch, f"{epochs} epoch(s), schedule_every='epoch'"
        done = int(getattr(self.scheduler, "last_epoch", 0))
        if done + planned > length:
            raise ValueError(f"Trainer.fit: {type(self.scheduler).__name__} has total_steps={length}, but this run "
                             f"steps it {done + planned} times in all ({unit}); build it with total_steps="
                             f"{done + planned}, or epochs={epochs} and steps_per_epoch="
                             f"{per_epoch if self.schedule_every == 'step' else 1}")

    def fit(self, X, y, epochs, X_val=None, y_val=None, checkpoint=None, checkpoint_every=None, max_steps=None):
        """Train until ``epochs`` epochs are complete in all (a resumed trainer continues its count).
        Returns the history: ``loss`` per step and one record per epoch (mean loss, train and
        validation accuracy, lr, seconds). ``checkpoint`` is written after every epoch and every
        ``checkpoint_every`` steps; ``max_steps`` stops early (after that many updates in all, writing
        the checkpoint there too)."""
        X, y = np.asarray(X), np.asarray(y)
        check_int("Trainer.fit", "epochs", epochs, 1)
        check_int("Trainer.fit", "checkpoint_every", checkpoint_every, 1, allow_none=True)
        check_int("Trainer.fit", "max_steps", max_steps, 1, allow_none=True)
        if X.ndim == 0 or y.ndim != 1 or len(X) != len(y) or len(X) == 0:
            raise ValueError(f"Trainer.fit: expected X of shape (N, ...) and y of shape (N,) with N >= 1, got "
                             f"shapes {X.shape} and {y.shape}")
        if _forward_takes_training(self.model):
            # two samples through the model in eval mode (no statistics move, no mask is drawn): a float,
            # negative or too large label anywhere in y is refused now, not after some updates
            scores = self._fits("X", X)
            if np.ndim(scores) == 2:
                check_labels("Trainer.fit (y)", y, len(X), scores.shape[1])
        if (X_val is None) != (y_val is None) or (X_val is not None and len(X_val) != len(y_val)):
            raise ValueError("Trainer.fit: X_val and y_val must be given together, with as many samples each")
        if y_val is not None:                       # before training, not at the first epoch's end
            y_val = np.asarray(y_val)
            if y_val.ndim != 1 or not np.issubdtype(y_val.dtype, np.integer):
                raise ValueError(f"Trainer.fit: expected y_val of integer labels, shape ({len(X_val)},), got "
                                 f"shape {y_val.shape} dtype {y_val.dtype}")
            # two validation samples through the model in eval mode (no statistics move, no mask is
            # drawn): a wrong feature size, dtype or label is refused now, not after an epoch of training
            X_val = np.asarray(X_val)
            scores = self._fits("X_val", X_val)
            check_labels("Trainer.fit (y_val)", y_val, len(X_val), scores.shape[1])
        if len(X) % self.batch_size == 1 and _has_batchnorm1d(self.model):
            raise ValueError(f"Trainer.fit: {len(X)} samples in batches of {self.batch_size} leave a last batch of 1, "
                             "and BatchNorm1d needs 2 or more in training (as torch); choose another batch size "
                             "or drop a sample")
        if self.on_metric and getattr(self.scheduler, "mode", "min") == "max" and X_val is None \
                and not self.train_acc_samples:
            raise ValueError(f"Trainer.fit: {type(self.scheduler).__name__}(mode='max') steps on the validation "
                             "accuracy (or the training accuracy without X_val); give X_val and y_val, or "
                             "train_acc_samples > 0")
        if self.stopped:
            self.log(f"Trainer.fit: not training, this run was stopped: {self.stopped}")
            return self.history
        total = num_batches(len(X), self.batch_size)
        self._check_schedule_length(total, epochs, max_steps)
        if self.step == 0:
            self.history["start_param_norm"] = self._param_norm()
        bar = None
        try:
            while self.epoch < epochs:
                t0, seconds = time.perf_counter(), 0.0
                losses_before = len(self.history["loss"]) - self.batch   # a resumed epoch counts its start
                if self.progress:
                    bar = progress_bar(total, self.batch, f"epoch {self.epoch + 1}/{epochs}",
                                       None if self.progress is True else self.progress)
                for xb, yb in minibatches(X, y, self.batch_size, seed=[self.seed, self.epoch], start=self.batch):
                    if max_steps is not None and self.step >= max_steps:
                        if checkpoint:
                            self.save(checkpoint)
                        return self.history
                    s0 = time.perf_counter()
                    loss, grads = self.model.loss(xb, yb)
                    why = self._loss_diverged(loss)
                    if why:
                        self._stop_on(why)
                        return self.history
                    self.optimizer.step(grads)
                    if self.scheduler is not None and self.schedule_every == "step":
                        self.scheduler.step()
                    seconds += time.perf_counter() - s0
                    self.batch += 1
                    self.step += 1
                    self.history["loss"].append(float(loss))
                    for cb in self.callbacks:
                        if hasattr(cb, "on_step"):
                            cb.on_step(self, xb, yb, loss)
                    why = self._params_diverged()
                    if why:
                        self._stop_on(why, after_update=True)
                        return self.history
                    if bar is not None:
                        bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
                        bar.update()
                    if checkpoint and checkpoint_every and self.step % checkpoint_every == 0:
                        self.save(checkpoint)
                if bar is not None:
                    bar.close()
                    bar = None
                self._end_epoch(X, y, X_val, y_val, losses_before, seconds, time.perf_counter() - t0)
                if checkpoint:
                    self.save(checkpoint)
        except KeyboardInterrupt:
            if bar is not None:
                bar.close()
                bar = None
            where = f"; resume from {checkpoint}" if checkpoint else ""
            self.log(f"Trainer: interrupted at epoch {self.epoch + 1}, step {self.step}{where}")
            raise
        finally:
            if bar is not None:
                bar.close()
        return self.history

    def _end_epoch(self, X, y, X_val, y_val, losses_before, seconds, wall):
        if self.scheduler is not None and self.schedule_every == "epoch" and not self.on_metric:
            self.scheduler.step()
        losses = self.history["loss"][losses_before:]
        record = {"epoch": self.epoch + 1, "step": self.step,
                  "loss": float(np.mean(losses)) if losses else float("nan"),
                  "train_acc": self._train_accuracy(X, y),
                  "val_acc": self.evaluate(X_val, y_val) if X_val is not None and len(X_val) else None,
                  "lr": [g["lr"] for g in self.optimizer.param_groups],
                  "seconds": seconds, "wall_seconds": wall}
        if self.on_metric:                          # ReduceLROnPlateau: 'min' on the epoch's mean loss,
            mode = getattr(self.scheduler, "mode", "min")       # 'max' on the validation (else training) accuracy
            metric = record["loss"] if mode == "min" else \
                record["val_acc"] if record["val_acc"] is not None else record["train_acc"]
            self.scheduler.step(metric)
            record["lr"] = [g["lr"] for g in self.optimizer.param_groups]
        self.epoch += 1
        self.batch = 0
        for cb in self.callbacks:
            if hasattr(cb, "on_epoch"):
                cb.on_epoch(self, record)
        self.history["epochs"].append(record)
        val = "" if record["val_acc"] is None else f"  val acc {record['val_acc']:.4f}"
        train = "" if record["train_acc"] is None else f"  train acc {record['train_acc']:.4f}"
        extra = "".join(f"  {cb.epoch_text(record)}" for cb in self.callbacks if hasattr(cb, "epoch_text"))
        self.log(f"epoch {record['epoch']}: loss {record['loss']:.4f}{train}{val}{extra}  ({seconds:.1f} s)")
        return record
