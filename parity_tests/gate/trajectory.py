"""Trajectory parity for optimizers and schedules: same start, same gradient sequence, parameters
AND optimizer state compared after every step; a failure names the first step that diverged."""
import numpy as np
import torch

import numpy_impl.optim as no
from torch_ref.optim import clip_torch, mirror_optimizer, mirror_scheduler

from .api import where
from .compare import NOT_WRITTEN, Refused, compare, failed
from .report import Report
from .tolerance import tolerance_for

# shapes and gradient scales: ordinary, tiny (1e-6: where eps placement matters) and large
PARAMS = {"w1": ((4, 3), 1.0), "b1": ((3,), 1e-6), "w2": ((2, 2, 3, 3), 1e3)}


def gradient(rng, shape, scale, step):
    """Gradients that change with the step, in sign and size."""
    return scale * (1 + 0.5 * np.sin(0.3 * step)) * rng.standard_normal(shape)


def groups_of(params, split):
    if not split:
        return params
    weights = {k: v for k, v in params.items() if not k.startswith("b")}
    biases = {k: v for k, v in params.items() if k.startswith("b")}
    return [{"params": weights, **split[0]}, {"params": biases, **split[1]}]


def check_trajectory(info, dtype="float64", seed=0):
    """Run the optimizer of ``info`` (an ``OptimInfo``) and its torch mirror from the same start on
    the same gradients for ``info.steps`` steps; one result per compared quantity (its worst step,
    or the first step it diverged)."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(shape).astype(dtype) for k, (shape, _) in PARAMS.items()}
    tensors = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    meta = dict(component=info.name, dtype=dtype.name, sample=f"{info.steps} steps", seed=seed)
    try:
        opt = info.make(groups_of(params, info.groups))
        topt = mirror_optimizer(opt, tensors)         # before the schedulers touch lr
        sched = info.schedule(opt) if info.schedule else None
        tsched = mirror_scheduler(sched, topt) if sched else None
    except (Exception, SystemExit) as exc:
        return Report([failed(f"raised {type(exc).__name__}: {exc}", check="error", **meta)])

    def advance(step):
        grads = {k: gradient(rng, shape, scale, step).astype(dtype) for k, (shape, scale) in PARAMS.items()}
        for k, t in tensors.items():
            t.grad = torch.tensor(grads[k])
        pairs = []
        if info.clip:                     # both sides clip the same unclipped gradients
            kind, kw = info.clip
            total, ttotal = no.CLIPPERS[kind](grads, **kw), clip_torch(kind, list(tensors.values()), **kw)
            if total is not None:
                pairs.append(("clip:total_norm", np.asarray(total), ttotal.detach().numpy()))
            pairs += [(f"clip:grad:{k}", grads[k].copy(), tensors[k].grad.numpy()) for k in grads]
        given = {k: g.copy() for k, g in grads.items()}
        opt.step(grads)
        topt.step()
        changed = [k for k in grads if not np.array_equal(grads[k], given[k], equal_nan=True)]
        if changed:                       # weight decay added into the caller's array, a clip of it...
            pairs.append(("no_mutation:grads", f"step() changed the gradient array(s) it was given: {changed}", None))
        for g in grads.values():          # the caller reuses its gradient arrays (zero_grad, the next
            g.fill(np.nan)                # backward): an optimizer that kept a reference sees NaN
        if sched:
            args = (info.metric(step),) if info.metric else ()
            sched.step(*args)
            tsched.step(*args)
        pairs += [(f"param:{k}", params[k], tensors[k].detach().numpy()) for k in params]
        for k, t in tensors.items():
            tstate = topt.state[t]
            for key, value in opt.state[k].items():
                if isinstance(value, np.ndarray):
                    ref = tstate.get(key)
                    if ref is None and opt.variant != "torch":
                        continue              # a classic variant's own state (velocity): params judge it
                    if ref is None:
                        raise KeyError(f"torch has no state '{key}' for parameter '{k}' "
                                       f"(it has {sorted(tstate)})")
                    pairs.append((f"state:{k}.{key}", value, ref.numpy()))
                    if value.dtype != ref.numpy().dtype:     # np.zeros(p.shape) for float32 parameters
                        pairs.append((f"state dtype:{k}.{key}", f"state '{key}' of '{k}' is {value.dtype}, torch's "
                                      f"is {ref.numpy().dtype} for {dtype} parameters (np.zeros_like(p) keeps the "
                                      "dtype)", None))
        lrs = [g["lr"] for g in opt.param_groups]
        pairs.append(("lr", np.array(lrs), np.array([g["lr"] for g in topt.param_groups])))
        return pairs

    return track(info.steps, advance, dtype, meta, info.tolerances)


def track(steps, advance, dtype, meta, tolerances=None):
    """Call ``advance(step)`` for steps 1..``steps``; it returns ``(check, numpy, torch)`` triples.
    One result per check: the first step it diverged at, else its worst step. An exception is an
    ``error`` result naming the step."""
    worst, first_bad = {}, {}
    step = 0
    try:
        for step in range(1, steps + 1):
            for check, a, e in advance(step):
                if e is None:             # a finding, not a comparison: ``a`` says what is wrong
                    r = failed(a, check=check, **meta)
                else:
                    r = compare(a, e, tolerance_for(dtype, check, tolerances), check=check,
                                shape=tuple(np.shape(a)), **meta)
                if not r.passed and check not in first_bad:
                    r.note = f"{r.note} (at step {step})" if r.note == NOT_WRITTEN or e is None else \
                        f"first diverged at step {step}"
                    first_bad[check] = r
                if check not in worst or r.max_abs > worst[check].max_abs:
                    worst[check] = r
    except Refused as exc:
        return Report([failed(f"at step {step}: {exc}", check="error", **meta)])
    except (Exception, SystemExit) as exc:
        return Report([failed(f"raised {type(exc).__name__} at step {step}: {exc}{where(exc)}", check="error", **meta)])
    return Report([first_bad.get(k, r) for k, r in worst.items()])
