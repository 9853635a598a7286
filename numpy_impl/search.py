"""Hyperparameter search, the classic way: a grid, or random values drawn log-uniformly.

    space = {"lr": (1e-4, 1e-1), "reg": (1e-6, 1e-1), "hidden": [64, 128, 256]}
    configs = random_configs(space, trials=20, seed=0)        # or grid({"lr": [...], ...})
    results = search(train_fn, configs, seed=0)                # best validation accuracy first

A range ``(low, high)`` of two positive numbers is drawn log-uniformly (integers when both ends are
integers); a list is a set of choices. ``train_fn(config, seed)`` trains one model and returns a dict
with at least ``val_acc`` (``train_acc`` and anything else are kept). Trial ``i`` gets the seed
``[seed, i]``: a trial rerun alone gives the same result.
"""
import itertools
import math
import time

import numpy as np

from .checks import is_finite_real
from .rng import as_rng


MAX_TRIALS = 1_000_000        # each trial trains a model: more is a slip of the keyboard, not a search


def grid(space):
    """Every combination of the listed values, in order. ``space``: name -> list of values."""
    if not isinstance(space, dict) or not space:
        raise ValueError(f"grid: space must be a non-empty dict of name -> list of values, got {space!r}")
    for name, values in space.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"grid: '{name}' needs a non-empty list of values, got {values!r}")
    names = list(space)
    return [dict(zip(names, combo)) for combo in itertools.product(*(space[n] for n in names))]


def _draw(name, spec, rng):
    if isinstance(spec, list):
        if not spec:
            raise ValueError(f"random_configs: '{name}' needs at least one choice, got []")
        return spec[rng.integers(len(spec))]
    if isinstance(spec, tuple) and len(spec) == 2:
        low, high = spec
        if not all(is_finite_real(v) for v in spec) or not (low > 0 and high >= low):
            raise ValueError(f"random_configs: '{name}' range must be 0 < low <= high, got {spec}")
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
        if isinstance(low, (int, np.integer)) and isinstance(high, (int, np.integer)):
            return int(min(high, max(low, round(value))))
        return float(value)
    raise ValueError(f"random_configs: '{name}' must be a (low, high) range or a list of choices, got {spec!r}")


def random_configs(space, trials, seed=0):
    """``trials`` configurations, each value drawn independently (log-uniform for ranges)."""
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or not 1 <= trials <= MAX_TRIALS:
        raise ValueError(f"random_configs: trials must be an integer in [1, {MAX_TRIALS:,}] (each is a training "
                         f"run), got {trials!r}")
    if not isinstance(space, dict) or not space:
        raise ValueError(f"random_configs: space must be a non-empty dict of name -> range or list, got {space!r}")
    rng = as_rng(seed, "random_configs")
    return [{name: _draw(name, spec, rng) for name, spec in space.items()} for _ in range(trials)]


def search(train_fn, configs, seed=0, log=print):
    """Run every configuration; returns the results sorted by validation accuracy, best first.
    Each result: ``{"trial", "seed", "config", "val_acc", ..., "seconds"}``. A trial whose
    training stopped (a non-finite loss) or raised is kept with ``val_acc`` 0 and its reason."""
    log = log or (lambda *a: None)
    for what, f in (("train_fn", train_fn), ("log", log)):
        if not callable(f):
            raise TypeError(f"search: {what} must be a function, got {type(f).__name__}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"search: seed must be an integer >= 0 (trial i gets [seed, i]), got {seed!r}")
    if isinstance(configs, (dict, str, bytes)) or not hasattr(configs, "__iter__"):
        raise TypeError(f"search: configs must be a list of dicts (grid(...) or random_configs(...)), got "
                        f"{type(configs).__name__}")
    configs = list(configs)                         # a generator too: its length is known before the first trial
    bad = [c for c in configs if not isinstance(c, dict)]
    if bad:
        raise TypeError(f"search: each configuration must be a dict of name -> value, got {bad[0]!r}")
    results = []
    for i, config in enumerate(configs):
        t0 = time.perf_counter()
        trial_seed = [seed, i]
        try:
            out = train_fn(dict(config), trial_seed)
        except (FloatingPointError, ValueError, ArithmeticError) as e:
            out = {"val_acc": 0.0, "train_acc": 0.0, "failed": f"{type(e).__name__}: {e}"}
        if not isinstance(out, dict) or "val_acc" not in out:
            raise TypeError(f"search: train_fn must return a dict with 'val_acc', got "
                            f"{type(out).__name__ if not isinstance(out, dict) else 'a dict of ' + str(sorted(out))}")
        out = dict(out)
        for key in ("val_acc", "train_acc"):        # train_acc is optional; either, given, is a number
            if key not in out or (key == "train_acc" and out[key] is None):
                continue
            value = out[key]
            if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
                value = value.item()                # np.array(0.8), np.float64 from a mean
            if isinstance(value, (str, bytes, bool)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"search: train_fn's {key!r} must be a number, got {value!r}")
            out[key] = float(value)
        acc = out["val_acc"]
        if not math.isfinite(acc):                  # would sort anywhere: a failed trial, ranked last
            out.update(val_acc=0.0, failed=out.get("failed") or f"val_acc was {acc}")
        out.update(trial=i, seed=trial_seed, config=dict(config), seconds=time.perf_counter() - t0)
        results.append(out)
        log(f"trial {i + 1}/{len(configs)} {format_config(config)}: val acc {out['val_acc']:.4f}"
            + (f"  ({out['failed']})" if out.get("failed") else ""))
    return sorted(results, key=lambda r: (-r["val_acc"], r["trial"]))


def format_config(config):
    return " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in config.items())


def results_table(results):
    names = list(dict.fromkeys(n for r in results for n in r["config"]))    # every configuration's keys
    head = "rank  " + "".join(f"{n:>10}" for n in names) + "  train acc  val acc   seconds"
    lines = [head]
    for rank, r in enumerate(results, 1):
        vals = "".join(f"{r['config'][n]:>10.3g}" if isinstance(r["config"].get(n), float) else
                       f"{str(r['config'].get(n, '-')):>10}" for n in names)      # a list of sizes too; '-' absent
        train = r.get("train_acc")
        train = float("nan") if train is None else train
        lines.append(f"{rank:>4}  {vals}  {train:>9.4f}  {r['val_acc']:>7.4f}"
                     f"  {r['seconds']:>8.1f}" + ("  " + r["failed"] if r.get("failed") else ""))
    return "\n".join(lines)
