"""Run registry cases through the public API. The CLI and the pytest suite both call ``run_case``."""
import numpy as np

from .api import check_layer, check_loss
from .optim_check import OptimInfo, check_trajectory
from .registry import cases, normal, select
from .report import Report


def run_case(case):
    entry, sample, dtype = case.entry, case.sample, np.dtype(case.dtype)
    rng = np.random.default_rng(case.seed)
    shape = sample.shape(rng) if callable(sample.shape) else tuple(sample.shape)
    inputs = sample.inputs or entry.inputs
    fd = sample.fd and dtype == np.float64
    common = dict(seed=case.seed, component=entry.name, sample=sample.name, tolerances=entry.tolerances,
                  finite_differences=fd)
    if entry.check is not None:
        return entry.check(case, shape, rng, **common)
    if entry.kind == "loss":
        x, y = inputs(rng, shape, dtype)
        return check_loss(lambda a, b: entry.make(a, b, **sample.kwargs),
                          lambda a, b: entry.torch(a, b, **sample.kwargs), x, y, **common)
    layer = entry.make(shape, rng, dtype, **sample.kwargs)
    inputs = inputs or normal
    x = inputs(rng, shape, dtype)
    extra = [inputs(rng, shape, dtype) * (1 + k) for k in range(entry.extra_batches)]
    return check_layer(layer, x=x, extra_batches=extra, eval_mode=entry.eval_mode, share=entry.share, **common)


def run(only=None, dtypes=("float64", "float32"), seed=0, entries=None):
    entries = select(only) if entries is None else entries
    report = Report()
    for case in cases(entries, dtypes, seed):
        report.extend(run_case(case))
    for entry in entries:
        if isinstance(entry, OptimInfo):
            for dtype in dtypes:
                report.extend(check_trajectory(entry, dtype, seed))
    return report
