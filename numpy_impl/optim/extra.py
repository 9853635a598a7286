"""More optimizers (Adadelta, Adamax, NAdam, RAdam), schedules (LambdaLR, OneCycleLR,
ReduceLROnPlateau) and gradient clipping, each with torch's defaults, formulas and state names.

State per parameter (compared with ``torch.optim`` entry by entry):
  Adadelta ``square_avg``, ``acc_delta``; Adamax ``exp_avg``, ``exp_inf``; NAdam ``exp_avg``,
  ``exp_avg_sq``, ``mu_product``; RAdam ``exp_avg``, ``exp_avg_sq``; all count ``step``.
NAdam's ``mu_product`` is a float32 0-d array whatever the parameters' dtype, multiplied in
float32, because torch keeps it as a float32 scalar tensor: its rounding reaches every update.

Clipping works on a dict of gradients in place, as torch's ``clip_grad_norm_`` /
``clip_grad_value_`` do on ``.grad``: ``clip_grad_norm_(grads, max_norm)`` returns the total norm
(the norm of the per-tensor norms) and scales every gradient by ``min(1, max_norm / (total +
1e-6))``.
"""
import functools
import math

import numpy as np

from ..checks import check_count, check_flag, check_number
from .optimizers import Optimizer, _decay
from .schedulers import Scheduler, check_optimizer


class Adadelta(Optimizer):
    defaults = dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0)

    def _update(self, p, g, state, group):
        if "square_avg" not in state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p)
            state["acc_delta"] = np.zeros_like(p)
        state["step"] += 1
        g = _decay(p, g, group["weight_decay"])
        rho, eps = group["rho"], group["eps"]
        sq, acc = state["square_avg"], state["acc_delta"]
        sq *= rho
        sq += (1 - rho) * g * g
        delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
        acc *= rho
        acc += (1 - rho) * delta * delta
        p -= group["lr"] * delta


class Adamax(Optimizer):
    defaults = dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)

    def _update(self, p, g, state, group):
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_inf"] = np.zeros_like(p)
        state["step"] += 1
        g = _decay(p, g, group["weight_decay"])
        (b1, b2), eps = group["betas"], group["eps"]
        m, u = state["exp_avg"], state["exp_inf"]
        m += (1 - b1) * (g - m)                              # torch's lerp
        u *= b2
        np.maximum(u, np.abs(g) + eps, out=u)
        clr = group["lr"] / (1 - b1 ** state["step"])
        p -= clr * (m / u)


def _adam_moments(p, g, state, group):
    """What NAdam and RAdam share with torch's: the step count, weight decay (decoupled: ``p *= 1 -
    lr*wd``; else L2 added to the gradient) and the two moments. Returns ``(g, m, v, step)``."""
    if "exp_avg" not in state:
        state["step"] = 0
        state["exp_avg"] = np.zeros_like(p)
        state["exp_avg_sq"] = np.zeros_like(p)
    state["step"] += 1
    lr, (b1, b2), wd = group["lr"], group["betas"], group["weight_decay"]
    if wd:
        if group["decoupled_weight_decay"]:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m += (1 - b1) * (g - m)
    v *= b2
    v += (1 - b2) * g * g
    return g, m, v, state["step"]


class NAdam(Optimizer):
    defaults = dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                    decoupled_weight_decay=False)

    def _update(self, p, g, state, group):
        state.setdefault("mu_product", np.array(1.0, dtype=np.float32))
        g, m, v, t = _adam_moments(p, g, state, group)
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        bc2 = 1 - b2 ** t
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * group["momentum_decay"]))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * group["momentum_decay"]))
        state["mu_product"] = np.array(state["mu_product"] * np.float32(mu), dtype=np.float32)
        mu_product = float(state["mu_product"])
        denom = np.sqrt(v / bc2) + eps
        p += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        p += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)


class RAdam(Optimizer):
    defaults = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False)

    def _update(self, p, g, state, group):
        g, m, v, t = _adam_moments(p, g, state, group)
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        m_hat = m / bc1
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * (b2 ** t) / bc2
        if rho_t > 5.0:                                   # variance tractable: rectified adaptive step
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bc2 ** 0.5 / (np.sqrt(v) + eps)
            p -= m_hat * lr * adaptive * rect
        else:                                             # early steps: plain momentum SGD
            p -= m_hat * lr


# ---------------------------------------------------------------- schedules
def _checked_factor(f):
    """``f`` whose result must be a finite number: a string or None is named, not a bare TypeError."""
    @functools.wraps(f)
    def factor(epoch):
        return check_number("LambdaLR", f"lr_lambda({epoch})", f(epoch))
    return factor


class LambdaLR(Scheduler):
    """``lr = initial_lr * lr_lambda(epoch)`` (one function, or one per group)."""

    def __init__(self, optimizer, lr_lambda):
        check_optimizer("LambdaLR", optimizer)
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        if not all(callable(f) for f in self.lr_lambdas):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch (or one per group), got "
                            f"{next(f for f in self.lr_lambdas if not callable(f))!r}")
        self.lr_lambdas = [_checked_factor(f) for f in self.lr_lambdas]
        super().__init__(optimizer)

    def get_lr(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}


class OneCycleLR(Scheduler):
    """torch's 1cycle policy, stepped once per batch: lr rises from ``max_lr / div_factor`` to
    ``max_lr`` over ``pct_start`` of ``total_steps``, then anneals to ``initial_lr /
    final_div_factor`` (``three_phase``: back to the initial lr first). With ``cycle_momentum`` the
    momentum (SGD) or beta1 (Adam family) moves the opposite way between ``max_momentum`` and
    ``base_momentum``. Stepping past ``total_steps`` raises, as torch."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        check_optimizer("OneCycleLR", optimizer)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            epochs, steps_per_epoch = (check_count("OneCycleLR", "epochs", epochs),
                                       check_count("OneCycleLR", "steps_per_epoch", steps_per_epoch))
            total_steps = epochs * steps_per_epoch
        total_steps = check_count("OneCycleLR", "total_steps", total_steps)
        pct_start = check_number("OneCycleLR", "pct_start", pct_start, 0, 1)
        div_factor = check_number("OneCycleLR", "div_factor", div_factor, 0, low_open=True)
        final_div_factor = check_number("OneCycleLR", "final_div_factor", final_div_factor, 0, low_open=True)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.total_steps, self.pct_start, self.anneal_strategy = int(total_steps), float(pct_start), anneal_strategy
        self.cycle_momentum = check_flag("OneCycleLR", "cycle_momentum", cycle_momentum)
        self.three_phase = check_flag("OneCycleLR", "three_phase", three_phase)
        self.div_factor, self.final_div_factor = float(div_factor), float(final_div_factor)
        n = self.total_steps
        if self.three_phase:
            self.phases = [(float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (float(2 * pct_start * n) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                           (n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self.phases = [(float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                           (n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        ends = [0.0] + [float(p[0]) for p in self.phases]
        if any(b == a for a, b in zip(ends, ends[1:])):     # torch divides by the phase's length: ZeroDivisionError
            raise ValueError(f"OneCycleLR: pct_start={pct_start:g} of total_steps={n} leaves a phase of 0 steps "
                             f"(phases end at steps {ends[1:]}); choose another pct_start or more total_steps")
        groups = optimizer.param_groups
        self.max_lrs = self._per_group("max_lr", max_lr, len(groups))
        if self.cycle_momentum:                     # every check before the groups are written
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"OneCycleLR: cycle_momentum needs an optimizer with momentum or betas, "
                                 f"got {type(optimizer).__name__}")
            self.use_beta1 = "betas" in optimizer.defaults
            self.max_momentums = self._per_group("max_momentum", max_momentum, len(groups))
            self.base_momentums = self._per_group("base_momentum", base_momentum, len(groups))
        for g, m in zip(groups, self.max_lrs):
            g["initial_lr"] = m / self.div_factor
            g["max_lr"] = m
            g["min_lr"] = g["initial_lr"] / self.final_div_factor
        if self.cycle_momentum:
            for g, hi, lo in zip(groups, self.max_momentums, self.base_momentums):
                self._set_momentum(g, hi)
                g["max_momentum"], g["base_momentum"] = hi, lo
        super().__init__(optimizer)

    @staticmethod
    def _per_group(name, value, n):
        if isinstance(value, (list, tuple)):
            if len(value) != n:
                raise ValueError(f"OneCycleLR: expected {n} values of {name} (one per group), got {len(value)}")
            return [check_number("OneCycleLR", name, v, 0) for v in value]
        return [check_number("OneCycleLR", name, value, 0)] * n

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times; total_steps is {self.total_steps}")
        lrs = []
        for g in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_a, lr_b, mom_a, mom_b) in enumerate(self.phases):
                if step <= end or i == len(self.phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(g[lr_a], g[lr_b], pct))
                    if self.cycle_momentum:
                        self._set_momentum(g, self._anneal(g[mom_a], g[mom_b], pct))
                    break
                start = end
        return lrs


class ReduceLROnPlateau(Scheduler):
    """Multiply the lr by ``factor`` when the metric passed to ``step(metric)`` has not improved
    for more than ``patience`` steps (torch's rules: 'rel' / 'abs' threshold, cooldown, min_lr, and
    no change smaller than ``eps``). It shares ``Scheduler``'s state and lr accessors but steps on
    a metric, so it applies nothing at construction."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8):
        check_optimizer("ReduceLROnPlateau", optimizer)
        factor = check_number("ReduceLROnPlateau", "factor", factor, 0, 1, high_open=True)
        patience = check_count("ReduceLROnPlateau", "patience", patience, 0)
        cooldown = check_count("ReduceLROnPlateau", "cooldown", cooldown, 0)
        threshold = check_number("ReduceLROnPlateau", "threshold", threshold, 0)
        eps = check_number("ReduceLROnPlateau", "eps", eps, 0)
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: expected {n} min_lrs (one per group), got {len(min_lr)}")
            self.min_lrs = [check_number("ReduceLROnPlateau", "min_lr", v, 0) for v in min_lr]
        else:
            self.min_lrs = [check_number("ReduceLROnPlateau", "min_lr", min_lr, 0)] * n
        self.mode, self.factor, self.patience = mode, float(factor), int(patience)
        self.threshold, self.threshold_mode = float(threshold), threshold_mode
        self.cooldown, self.eps = int(cooldown), float(eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = 0
        self.last_epoch = 0

    def _is_better(self, a, best):
        if self.mode == "min":
            return a < best * (1.0 - self.threshold) if self.threshold_mode == "rel" else a < best - self.threshold
        return a > best * (self.threshold + 1.0) if self.threshold_mode == "rel" else a > best + self.threshold

    def step(self, metric):
        if isinstance(metric, np.ndarray) and metric.size == 1:
            metric = metric.item()
        if isinstance(metric, (bool, np.bool_)) or not isinstance(metric, (int, float, np.integer, np.floating)):
            raise TypeError(f"ReduceLROnPlateau.step: metric must be a number (the validation loss or accuracy), "
                            f"got {metric!r}")
        current = float(metric)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g, lo in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(g["lr"] * self.factor, lo)
                if g["lr"] - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0


# ---------------------------------------------------------------- gradient clipping
def _scalar(v):
    """A 0-d array as its number (torch takes tensors of one value); anything else as given."""
    return v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v


def _is_inf(v):
    v = _scalar(v)
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and v == math.inf


def _clippable(component, grads):
    """Every gradient a writable floating-point array: they are scaled in place."""
    for k, g in grads.items():
        if g is None:
            continue
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            raise TypeError(f"{component}: gradient {k!r} must be a floating-point ndarray (it is scaled in place), "
                            f"got {g.dtype if isinstance(g, np.ndarray) else type(g).__name__}")
        if not g.flags.writeable:
            raise ValueError(f"{component}: gradient {k!r} is read-only; it is scaled in place")


def clip_grad_norm_(grads, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale every gradient in ``grads`` (name -> array, in place) by ``min(1, max_norm / (total +
    1e-6))``, where total is the ``norm_type`` norm of all of them together (``inf``: the largest
    |g|). Returns the total norm (as an array scalar of the gradients' dtype), as torch."""
    if not hasattr(grads, "values"):
        raise TypeError(f"clip_grad_norm_: grads must be a dict of name -> array, got {type(grads).__name__}")
    arrays = [g for g in grads.values() if g is not None]
    _clippable("clip_grad_norm_", grads)
    if not arrays:
        return np.float64(0.0)
    dtype = arrays[0].dtype
    if isinstance(norm_type, str) and norm_type.lower() == "inf":    # torch takes 'inf' too
        norm_type = math.inf
    norm_type = float(norm_type if _is_inf(norm_type) else
                      check_number("clip_grad_norm_", "norm_type", _scalar(norm_type), 0, low_open=True))
    if not _is_inf(max_norm):                       # inf: measure the norm without clipping
        max_norm = check_number("clip_grad_norm_", "max_norm", _scalar(max_norm), 0)
    if norm_type == math.inf:
        norms = np.array([np.max(np.abs(g)) if g.size else 0 for g in arrays], dtype=dtype)
        total = norms.max()
    else:
        norms = np.array([np.sum(np.abs(g) ** norm_type) ** (1.0 / norm_type) for g in arrays], dtype=dtype)
        total = np.sum(norms ** norm_type) ** (1.0 / norm_type)
    total = dtype.type(total)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"non-finite ({total}), so it cannot be clipped")
    coef = min(dtype.type(max_norm) / (total + dtype.type(1e-6)), dtype.type(1.0))
    for g in arrays:
        g *= coef
    return total


def clip_grad_value_(grads, clip_value):
    """Clamp every gradient in ``grads`` (in place) to [-clip_value, clip_value]. Returns None."""
    if not hasattr(grads, "values"):
        raise TypeError(f"clip_grad_value_: grads must be a dict of name -> array, got {type(grads).__name__}")
    v = check_number("clip_grad_value_", "clip_value", _scalar(clip_value), 0)
    _clippable("clip_grad_value_", grads)
    for g in grads.values():
        if g is not None:
            np.clip(g, -v, v, out=g)


CLIPPERS = {"norm": clip_grad_norm_, "value": clip_grad_value_}
