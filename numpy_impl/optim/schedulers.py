"""Learning-rate schedules acting on an optimizer's groups the way torch's schedulers do.

Construct after the optimizer (this applies the epoch-0 value, as torch does), call ``step()``
once per epoch (or per iteration) after ``optimizer.step``. The recursive forms are torch's, so
the learning rates agree to the last bit, not only to rounding.
"""
import math

from ..checks import check_count, check_number


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
