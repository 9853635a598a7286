"""torch counterparts of ``numpy_impl.optim``: the same optimizer and schedule over torch tensors."""
import torch

import numpy_impl.optim as no

_OPT = {no.SGD: torch.optim.SGD, no.Adagrad: torch.optim.Adagrad, no.RMSprop: torch.optim.RMSprop,
        no.Adam: torch.optim.Adam, no.AdamW: torch.optim.AdamW}
_OPT.update({no.Adadelta: torch.optim.Adadelta, no.Adamax: torch.optim.Adamax, no.NAdam: torch.optim.NAdam,
             no.RAdam: torch.optim.RAdam})


def mirror_optimizer(opt, tensors):
    """torch optimizer with ``opt``'s groups and hyperparameters over ``tensors`` (name -> tensor).
    Classic variants map to the torch rule they are compared with."""
    cls = _OPT.get(type(opt))
    if cls is None:
        raise TypeError(f"no torch mirror for the optimizer {type(opt).__name__}: only numpy_impl.optim's are mirrored "
                        "(check your own with parity_tests.gate.optimizer_check.check_optimizer)")
    keys = set(cls([torch.zeros(1, requires_grad=True)]).defaults)
    groups = []
    for g in opt.param_groups:
        hyper = {k: v for k, v in g.items() if k in keys and k != "initial_lr"}
        groups.append({"params": [tensors[n] for n in g["params"]], **hyper})
    if cls is torch.optim.Adagrad:
        # torch fills the accumulator from the constructor argument, never from a group's value
        values = {g["initial_accumulator_value"] for g in opt.param_groups}
        if len(values) > 1:
            raise ValueError("torch's Adagrad takes one initial_accumulator_value for all groups, got "
                             f"{sorted(values)}")
        return cls(groups, initial_accumulator_value=values.pop())
    return cls(groups)


def mirror_scheduler(sched, torch_opt):
    S = torch.optim.lr_scheduler
    if isinstance(sched, no.StepLR):
        return S.StepLR(torch_opt, sched.step_size, sched.gamma)
    if isinstance(sched, no.ExponentialLR):
        return S.ExponentialLR(torch_opt, sched.gamma)
    if isinstance(sched, no.CosineAnnealingLR):
        return S.CosineAnnealingLR(torch_opt, sched.T_max, sched.eta_min)
    if isinstance(sched, no.LinearWarmup):
        return S.LinearLR(torch_opt, sched.start_factor, sched.end_factor, sched.total_iters)
    if isinstance(sched, no.LambdaLR):
        return S.LambdaLR(torch_opt, list(sched.lr_lambdas))
    if isinstance(sched, no.OneCycleLR):
        return S.OneCycleLR(torch_opt, max_lr=sched.max_lrs, total_steps=sched.total_steps, pct_start=sched.pct_start,
                            anneal_strategy=sched.anneal_strategy, cycle_momentum=sched.cycle_momentum,
                            base_momentum=getattr(sched, "base_momentums", 0.85),
                            max_momentum=getattr(sched, "max_momentums", 0.95), div_factor=sched.div_factor,
                            final_div_factor=sched.final_div_factor, three_phase=sched.three_phase)
    if isinstance(sched, no.ReduceLROnPlateau):
        return S.ReduceLROnPlateau(torch_opt, mode=sched.mode, factor=sched.factor, patience=sched.patience,
                                   threshold=sched.threshold, threshold_mode=sched.threshold_mode,
                                   cooldown=sched.cooldown, min_lr=list(sched.min_lrs), eps=sched.eps)
    raise TypeError(f"no torch scheduler for {type(sched).__name__}")


def clip_torch(kind, tensors, **kw):
    """torch's clipping of the ``.grad`` of ``tensors``: kind 'norm' (returns the total norm) or 'value'."""
    if kind == "norm":
        return torch.nn.utils.clip_grad_norm_(tensors, **kw)
    if kind == "value":
        return torch.nn.utils.clip_grad_value_(tensors, **kw)
    raise ValueError(f"clip_torch: kind must be 'norm' or 'value', got {kind!r}")
