"""Optimizers over named parameters, updated in place.

``opt = Adam(model.named_parameters(), lr=1e-3)`` then ``opt.step(model.named_grads())``.
Parameter groups are a list of dicts: ``[{"params": {...weights...}, "weight_decay": 5e-4},
{"params": {...biases...}, "weight_decay": 0}]``; a group's keys override the defaults.
State per parameter uses torch's names (``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ``sum``,
``square_avg``...), so it can be compared with ``torch.optim`` state entry by entry.

torch's update rules are the defaults. The classic forms are named variants:
``SGD(variant="classic")`` is ``v = m*v - lr*g; p += v`` (equal to torch only at constant lr) and
``Adam(variant="classic")`` is ``lr_t = lr*sqrt(1-b2^t)/(1-b1^t); p -= lr_t*m/(sqrt(v)+eps)`` (eps
added before the bias correction; not reproducible by any torch eps).
"""
import copy
import math

import numpy as np

from ..checks import check_flag, check_number, is_finite_real

# what the schedules keep in a parameter group beside the optimizer's own hyperparameters
SCHEDULER_KEYS = {"initial_lr", "max_lr", "min_lr", "base_momentum", "max_momentum"}
NON_NEGATIVE = ("lr", "momentum", "dampening", "weight_decay", "eps", "lr_decay", "initial_accumulator_value", "alpha",
                "momentum_decay")


class Optimizer:
    defaults = {}
    variants = ("torch",)

    def __init__(self, params, variant="torch", **hyper):
        name = type(self).__name__
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            raise TypeError(f"{name}: unknown hyperparameter(s) {sorted(unknown)}; known: {sorted(self.defaults)}")
        if variant not in self.variants:
            raise ValueError(f"{name}: variant must be one of {self.variants}, got {variant!r}")
        self.variant = variant
        base = {**self.defaults, **hyper}
        if isinstance(params, (np.ndarray, str, bytes)) or not (isinstance(params, dict) or
                                                                hasattr(params, "__iter__")):
            raise TypeError(f"{name}: params must be a dict of name -> array (model.named_parameters()) or a list "
                            f"of parameter groups, got {type(params).__name__}")
        groups = [{"params": params}] if isinstance(params, dict) else list(params)
        if any(isinstance(g, np.ndarray) for g in groups):
            raise TypeError(f"{name}: params must be a dict of name -> array, not a list of arrays as torch takes: "
                            "the state and the gradients are matched by name (model.named_parameters())")
        if not groups or all(isinstance(g, dict) and isinstance(g.get("params"), dict) and not g["params"]
                             for g in groups):       # one empty group beside others is fine (torch too)
            raise ValueError(f"{name}: got an empty parameter list (as torch refuses)")
        self.param_groups, seen, arrays = [], set(), {}
        for g in groups:
            if not isinstance(g, dict) or not isinstance(g.get("params"), dict):
                raise TypeError(f"{name}: each parameter group needs 'params' as a dict of name -> array")
            extra = set(g) - set(self.defaults) - {"params"}
            if extra:
                raise TypeError(f"{name}: unknown hyperparameter(s) {sorted(extra)} in a parameter group")
            dup = seen & set(g["params"])
            if dup:
                raise ValueError(f"{name}: parameter(s) {sorted(dup)} appear in more than one group")
            seen |= set(g["params"])
            for k, p in g["params"].items():
                if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                    raise TypeError(f"{name}: parameter '{k}' must be a floating-point ndarray")
                if id(p) in arrays:             # a layer used twice: each step would update the array twice
                    raise ValueError(f"{name}: parameters '{arrays[id(p)]}' and '{k}' are the same array (a layer "
                                     "used twice?); each would update it once per step: list each array once")
                arrays[id(p)] = k
            group = {**base, **g}
            self._validate(group)
            self.param_groups.append(group)
        self.state = {k: {} for g in self.param_groups for k in g["params"]}

    def _validate(self, group):
        """torch's ranges: lr, momentum, weight_decay, eps... >= 0; each beta in [0, 1)."""
        name = type(self).__name__
        for key, default in self.defaults.items():  # yes/no settings: the string "False" would switch one on
            if isinstance(default, bool) and key in group:
                group[key] = check_flag(name, key, group[key])
        for key in NON_NEGATIVE:                    # as Python floats: a NumPy float64 lr would turn
            if key in group:                        # float32 parameters' state into float64 (NEP 50)
                group[key] = check_number(name, key, group[key], 0)
        if "betas" in group:
            betas = group["betas"]
            if not isinstance(betas, (tuple, list)) or len(betas) != 2:
                raise ValueError(f"{name}: betas must be a pair (beta1, beta2), each in [0, 1), got {betas!r}")
            group["betas"] = tuple(check_number(name, f"betas[{i}]", b, 0, 1, high_open=True)
                                   for i, b in enumerate(betas))
        if "rho" in group:                          # Adadelta, as torch: rho in [0, 1]
            group["rho"] = check_number(name, "rho", group["rho"], 0, 1)
        if "dampening" in group and group["dampening"] > 1:
            raise ValueError(f"{name}: dampening must lie in [0, 1], got {group['dampening']!r}")

    def step(self, grads):
        """Update every parameter that has an entry in ``grads`` (missing ones are skipped, as torch
        skips a parameter whose grad is None; names of parameters this optimizer does not hold are
        ignored, so a model's full gradients may drive an optimizer over some of its parameters).
        Every gradient is checked before any parameter changes: a bad one never leaves half a step."""
        name_ = type(self).__name__
        if not hasattr(grads, "get") or not hasattr(grads, "keys"):
            raise TypeError(f"{name_}.step: grads must be a dict of name -> array, got {type(grads).__name__}")
        todo = []
        for group in self.param_groups:
            self._validate(group)                   # a schedule may have set lr to a NumPy float (or worse)
            for name, p in group["params"].items():
                g = grads.get(name)
                if g is None:
                    continue
                if isinstance(g, np.floating):     # np.sum(...) for a 0-d parameter
                    g = np.asarray(g)
                if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
                    raise TypeError(f"{name_}: gradient for '{name}' must be a floating-point ndarray, got "
                                    f"{type(g).__name__ if not isinstance(g, np.ndarray) else g.dtype}")
                if g.shape != p.shape:
                    raise ValueError(f"{name_}: gradient for '{name}' has shape {g.shape}, "
                                     f"parameter has {p.shape}")
                if not p.flags.writeable:
                    raise ValueError(f"{name_}: parameter '{name}' is read-only; the step updates it in place")
                todo.append((p, g, name, group))
        known = [n for group in self.param_groups for n in group["params"]]
        if grads and not set(grads) & set(known):
            raise ValueError(f"{name_}.step: no gradient names a parameter of this optimizer: got "
                             f"{sorted(grads)[:8]}, its parameters are {known[:8]}")
        for p, g, name, group in todo:
            self._update(p, g.astype(p.dtype, copy=False), self.state[name], group)

    def zero_grad(self, grads):
        if not hasattr(grads, "values"):
            raise TypeError(f"{type(self).__name__}.zero_grad: grads must be a dict of name -> array, got "
                            f"{type(grads).__name__}")
        for name, g in grads.items():
            if not isinstance(g, np.ndarray) or not g.flags.writeable:
                raise TypeError(f"{type(self).__name__}.zero_grad: grads['{name}'] must be a writable array "
                                f"(zeroed in place), got "
                                f"{'a read-only array' if isinstance(g, np.ndarray) else type(g).__name__}")
        for g in grads.values():
            g[...] = 0

    def state_dict(self):
        """A deep copy of the state and hyperparameters (parameters are referred to by name)."""
        return {"state": copy.deepcopy(self.state), "variant": self.variant,
                "param_groups": [{**{k: v for k, v in g.items() if k != "params"}, "params": list(g["params"])}
                                 for g in self.param_groups]}

    def check_state_dict(self, sd):
        """Raise, changing nothing, unless ``sd`` is a state dict this optimizer can load: its
        parameter names, every state array of its parameter's shape and dtype, hyperparameters in
        range, a known variant. Returns the groups' hyperparameters as they will be set."""
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(sd, dict) or not isinstance(sd.get("param_groups"), (list, tuple)) or \
                not isinstance(sd.get("state"), dict):
            raise TypeError(f"{name}: expected a dict with 'state' (a dict) and 'param_groups' (a list), as "
                            f"state_dict() returns, got {type(sd).__name__}"
                            + (f" with keys {sorted(sd)}" if isinstance(sd, dict) else ""))
        names = [n for g in self.param_groups for n in g["params"]]
        saved = [n for g in sd["param_groups"] if isinstance(g, dict) for n in g.get("params", ())]
        if names != saved or len(sd["param_groups"]) != len(self.param_groups):
            raise ValueError(f"{name}: saved parameters {saved} do not match {names}")
        params = {k: p for g in self.param_groups for k, p in g["params"].items()}
        for k, st in sd["state"].items():
            if k not in params or not isinstance(st, dict):
                raise ValueError(f"{name}: state for {k!r}, which is not a parameter of this optimizer ({names})")
        variant = sd.get("variant", self.variant)
        if variant not in self.variants:
            raise ValueError(f"{name}: variant must be one of {self.variants}, got {sd.get('variant')!r}")
        hypers = []
        for group, saved_group in zip(self.param_groups, sd["param_groups"]):
            hyper = {k: v for k, v in saved_group.items() if k != "params"}
            unknown = set(hyper) - set(self.defaults) - SCHEDULER_KEYS
            if unknown:
                raise ValueError(f"{name}: unknown hyperparameter(s) {sorted(unknown)} in a saved group")
            merged = {**group, **hyper}
            self._validate(merged)                  # lr="fast", a beta of 2: refused here, not at step()
            hypers.append({k: merged[k] for k in hyper})
            for k in group["params"]:
                if sd["state"].get(k):
                    self._check_state(name, k, sd["state"][k], params[k], merged, variant)
        return hypers

    def _step_on_copy(self, p, group, variant, state):
        """One step of this rule on a copy of ``p`` (zero gradient) from a copy of ``state`` under
        ``group``'s settings and ``variant``; returns the state it leaves. Nothing real changes."""
        scratch, kept = copy.deepcopy(state), self.variant
        self.variant = variant
        try:
            with np.errstate(all="ignore"):
                self._update(p.copy(), np.zeros_like(p), scratch, group)
        finally:
            self.variant = kept
        return scratch

    def _check_state(self, name, k, st, p, group, variant):
        """A saved state entry the next step can run from: the entries one step from scratch makes
        (under these settings) of their kind (arrays of the parameter's shape and dtype, counts as
        integers >= 0, numbers finite), others only as arrays of the parameter's shape and dtype (a
        momentum buffer kept after momentum was set to 0, as torch keeps it), and a step from it on a
        copy that runs."""
        layout = self._step_on_copy(p, group, variant, {})
        for key, v in st.items():
            want = layout.get(key, p)
            if isinstance(want, np.ndarray):
                ok = isinstance(v, np.ndarray) and v.shape == want.shape and v.dtype == want.dtype
                expected = f"an array {want.dtype} {want.shape}"
            elif isinstance(want, (int, np.integer)) and not isinstance(want, bool):
                ok = isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and v >= 0
                expected = "an integer >= 0"
            elif isinstance(want, (float, np.floating)):
                ok = is_finite_real(v)
                expected = "a finite number"
            else:
                continue
            if not ok:
                got = f"{v.dtype} {v.shape}" if isinstance(v, np.ndarray) else repr(v)[:40]
                unknown = "" if key in layout else f" (not an entry {type(self).__name__} keeps: {sorted(layout)})"
                raise ValueError(f"{name}: state {key!r} of {k!r} is {got}, expected {expected}{unknown}")
        try:
            self._step_on_copy(p, group, variant, st)
        except Exception as e:  # noqa: BLE001 -- whatever the saved state makes the rule raise: refused here
            missing = sorted(set(layout) - set(st))
            why = f"it lacks {missing}" if missing else f"{type(e).__name__}: {e}"
            raise ValueError(f"{name}: the state of {k!r} (keys {sorted(st)}) cannot drive a step of this optimizer "
                             f"with these settings, which keeps {sorted(layout)}: {why}") from None

    def load_state_dict(self, sd):
        """Load a ``state_dict()``: everything is checked first (``check_state_dict``), so a bad one
        changes nothing."""
        hypers = self.check_state_dict(sd)
        for group, hyper in zip(self.param_groups, hypers):
            group.update(hyper)
        saved = sd["state"]
        self.state = {k: copy.deepcopy(saved.get(k, {})) for g in self.param_groups for k in g["params"]}
        self.variant = sd.get("variant", self.variant)


def _decay(p, g, wd):
    return g + wd * p if wd else g


class SGD(Optimizer):
    defaults = dict(lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0)
    variants = ("torch", "classic")

    def _validate(self, group):
        super()._validate(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")

    def _update(self, p, g, state, group):
        g = _decay(p, g, group["weight_decay"])
        lr, m = group["lr"], group["momentum"]
        if m == 0:
            p -= lr * g
            return
        if self.variant == "classic":                        # v = m*v - lr*g ; p += v
            v = state.get("velocity")
            v = -lr * g if v is None else m * v - lr * g
            state["velocity"] = v
            p += v
            return
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = g.copy()
        else:
            buf *= m
            buf += g if group["dampening"] == 0 else (1 - group["dampening"]) * g   # 1 * g == g exactly
        state["momentum_buffer"] = buf
        d = g + m * buf if group["nesterov"] else buf
        p -= lr * d


class Adagrad(Optimizer):
    defaults = dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10)

    def _update(self, p, g, state, group):
        if "sum" not in state:
            state["sum"] = np.full_like(p, group["initial_accumulator_value"])
            state["step"] = 0
        state["step"] += 1
        g = _decay(p, g, group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += g * g
        p -= clr * (g / (np.sqrt(state["sum"]) + group["eps"]))


class RMSprop(Optimizer):
    defaults = dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False)

    def _update(self, p, g, state, group):
        if "square_avg" not in state:
            state["square_avg"] = np.zeros_like(p)
            state["step"] = 0
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1
        g = _decay(p, g, group["weight_decay"])
        a = group["alpha"]
        sq = state["square_avg"]
        sq *= a
        sq += (1 - a) * g * g
        if group["centered"]:
            ga = state["grad_avg"]
            ga += (1 - a) * (g - ga)
            avg = np.sqrt(sq - ga * ga) + group["eps"]
        else:
            avg = np.sqrt(sq) + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            p -= group["lr"] * buf
        else:
            p -= group["lr"] * (g / avg)


class Adam(Optimizer):
    defaults = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)
    variants = ("torch", "classic")
    decoupled = False

    def _update(self, p, g, state, group):
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if self.decoupled:
            p *= 1 - lr * wd
        else:
            g = _decay(p, g, wd)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        t = np.subtract(g, m, out=np.empty_like(p))          # one scratch array, the same roundings as
        t *= 1 - b1                                          # m += (1 - b1) * (g - m): torch's lerp
        m += t
        np.multiply(g, 1 - b2, out=t)                        # v = b2 * v + (1 - b2) * g * g
        t *= g
        v *= b2
        v += t
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        bc1, bc2 = 1 - b1 ** state["step"], 1 - b2 ** state["step"]
        np.sqrt(v, out=t)
        if self.variant == "classic":                        # eps before the bias correction
            t += eps                                         # p -= lr*sqrt(bc2)/bc1 * m / (sqrt(v) + eps)
            np.divide(lr * math.sqrt(bc2) / bc1 * m, t, out=t)
        else:                                                # p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
            t /= math.sqrt(bc2)
            t += eps
            np.divide(m, t, out=t)
            t *= lr / bc1
        p -= t


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr*wd`` before the Adam step."""
    defaults = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)
    decoupled = True


OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}
