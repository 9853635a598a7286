"""Learning-rate schedules acting on an optimizer's groups the way torch's schedulers do.

Construct after the optimizer (this applies the epoch-0 value, as torch does), call ``step()``
once per epoch (or per iteration) after ``optimizer.step``. The recursive forms are torch's, so
the learning rates agree to the last bit, not only to rounding.
"""
import copy
import inspect
import math

from ..checks import check_count, check_number, is_finite_real


def check_optimizer(component, optimizer):
    """Raise unless ``optimizer`` looks like one (has ``param_groups``)."""
    if not isinstance(getattr(optimizer, "param_groups", None), list):
        raise TypeError(f"{component}: expected an optimizer (with param_groups), got {type(optimizer).__name__}")


class Scheduler:
    def __init__(self, optimizer):
        check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = -1
        self._step_count = 0
        self.step()

    def step(self):
        self._step_count += 1
        self.last_epoch += 1
        for g, lr in zip(self.optimizer.param_groups, self.get_lr()):
            g["lr"] = lr

    def get_last_lr(self):
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def check_state_dict(self, sd):
        """Raise, changing nothing, unless ``sd`` is a ``state_dict()`` of this kind of schedule over as
        many parameter groups (another schedule's would be taken in without a word, as torch does)."""
        name, own = f"{type(self).__name__}.load_state_dict", self.state_dict()
        if not isinstance(sd, dict):
            raise TypeError(f"{name}: expected a dict, as state_dict() returns, got {type(sd).__name__}")
        if set(sd) != set(own):
            raise ValueError(f"{name}: expected the keys {sorted(own)} of this schedule's state_dict(), got "
                             f"{sorted(map(str, sd))} (another schedule's?)")
        groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "min_lrs", "max_lrs", "max_momentums", "base_momentums"):
            if key in sd and (not isinstance(sd[key], (list, tuple)) or len(sd[key]) != groups):
                raise ValueError(f"{name}: {key} must hold one value per parameter group ({groups}), got {sd[key]!r}")
            if key in sd and not all(is_finite_real(v) and v >= 0 for v in sd[key]):
                raise ValueError(f"{name}: {key} must hold finite numbers >= 0, got {sd[key]!r}")
        for key in ("last_epoch", "_step_count"):
            if key in sd and not (isinstance(sd[key], int) and not isinstance(sd[key], bool) and sd[key] >= -1):
                raise ValueError(f"{name}: {key} must be an integer >= -1, got {sd[key]!r}")
        self._check_settings(name, sd)

    def _check_settings(self, name, sd):
        """The saved settings through this schedule's own constructor checks, on a stand-in of the
        optimizer (nothing real changes): a step_size of 0 or a mode of 'maximum' is refused when
        loading, not at the next step(). Settings saved under another name are left to the checks above."""
        params = [p for p in list(inspect.signature(type(self).__init__).parameters.values())[2:]
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        kwargs = {p.name: sd[p.name] for p in params if p.name in sd}
        kwargs.update({p.name: sd[p.name + "s"] for p in params         # max_lr kept per group as max_lrs
                       if p.name not in sd and p.default is p.empty and p.name + "s" in sd})
        if any(p.name not in kwargs and p.default is p.empty for p in params):
            return
        stand_in = copy.copy(self.optimizer)
        stand_in.param_groups = [dict(g) for g in self.optimizer.param_groups]
        try:
            type(self)(stand_in, **kwargs)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}: a saved setting is refused ({e})") from None

    def load_state_dict(self, sd):
        self.check_state_dict(sd)
        self.__dict__.update(sd)

    def _lrs(self):
        return [g["lr"] for g in self.optimizer.param_groups]


class StepLR(Scheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = check_count("StepLR", "step_size", step_size)
        self.gamma = check_number("StepLR", "gamma", gamma, 0, low_open=True)
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class ExponentialLR(Scheduler):
    """The classic per-epoch decay ``lr *= gamma``."""

    def __init__(self, optimizer, gamma):
        self.gamma = check_number("ExponentialLR", "gamma", gamma, 0, low_open=True)
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class CosineAnnealingLR(Scheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = check_count("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = check_number("CosineAnnealingLR", "eta_min", eta_min, 0)
        super().__init__(optimizer)

    def get_lr(self):
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return self._lrs()
        if (e - 1 - T) % (2 * T) == 0:
            return [lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2 for lr, base in zip(self._lrs(), self.base_lrs)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (lr - lo) + lo
                for lr in self._lrs()]


class LinearWarmup(Scheduler):
    """torch's ``LinearLR``: the factor goes linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` steps, then stays (a linear warm-up with the defaults)."""

    def __init__(self, optimizer, start_factor=1 / 3, end_factor=1.0, total_iters=5):
        self.start_factor = check_number("LinearWarmup", "start_factor", start_factor, 0, 1, low_open=True)
        self.end_factor = check_number("LinearWarmup", "end_factor", end_factor, 0, 1)
        self.total_iters = check_count("LinearWarmup", "total_iters", total_iters)
        super().__init__(optimizer)

    def get_lr(self):
        e, s, f, n = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if e == 0:
            return [lr * s for lr in self._lrs()]
        if e > n:
            return self._lrs()
        return [lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))) for lr in self._lrs()]


SCHEDULERS = {"step": StepLR, "exponential": ExponentialLR, "cosine": CosineAnnealingLR, "warmup": LinearWarmup}
