"""Checkpoints: a model's parameters and buffers, the optimizer and schedule state, the random
generators of its layers (dropout) and any JSON-able extra (the trainer's position and history),
in one ``.npz`` file, written atomically.

``save_checkpoint(path, model, optimizer, scheduler, extra)`` then, in a fresh process,
``extra = load_checkpoint(path, model, optimizer, scheduler)`` restores everything in place; a
resumed run continues bit for bit where the saved one was. The file is written to a temporary
name beside ``path`` and renamed, so an interrupted save leaves the previous checkpoint intact.
Loading never unpickles: arrays and a JSON header only.
"""
import json
import os
import zipfile

import numpy as np

from .atomic import atomic_write
from .layers.container import _describe, _walk

FORMAT = "numpy-impl-checkpoint/1"


def _buffers(model):
    """The model's buffers (running statistics); none where a model of your own has no named_buffers()."""
    named = getattr(model, "named_buffers", None)
    return named() if callable(named) else {}


def layer_generators(model):
    """The ``numpy.random.Generator`` of every layer that draws (dropout), in execution order."""
    return [layer.rng for layer in _walk(model) if isinstance(getattr(layer, "rng", None), np.random.Generator)]


def _split_state(state):
    """Optimizer state -> (arrays by 'param/key', JSON-able scalars)."""
    arrays, scalars = {}, {}
    for name, entries in state.items():
        scalars[name] = {}
        for key, value in entries.items():
            if isinstance(value, np.ndarray):
                arrays[f"optim/{name}/{key}"] = value
            else:
                scalars[name][key] = value.item() if isinstance(value, np.generic) else value
    return arrays, scalars


def save_checkpoint(path, model, optimizer=None, scheduler=None, extra=None):
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ValueError(f"save_checkpoint: path must be a file name, got {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"save_checkpoint({os.fspath(path)!r}): is a folder, expected a file name")
    for name, obj, method in (("model", model, "named_parameters"), ("optimizer", optimizer, "state_dict"),
                              ("scheduler", scheduler, "state_dict")):
        if (obj is not None or name == "model") and not callable(getattr(obj, method, None)):
            raise TypeError(f"save_checkpoint: {name} must have a {method}() method, got {type(obj).__name__}")
    arrays = {f"param/{k}": v for k, v in model.named_parameters().items()}
    arrays.update({f"buffer/{k}": v for k, v in _buffers(model).items()})
    meta = {"format": FORMAT, "model": _describe(model), "extra": extra or {},
            "generators": [g.bit_generator.state for g in layer_generators(model)]}
    if optimizer is not None:
        sd = optimizer.state_dict()
        opt_arrays, meta["optim_scalars"] = _split_state(sd["state"])
        arrays.update(opt_arrays)
        meta["optimizer"] = {"class": type(optimizer).__name__, "variant": sd["variant"],
                             "param_groups": sd["param_groups"]}
    if scheduler is not None:
        meta["scheduler"] = {"class": type(scheduler).__name__, "state": scheduler.state_dict()}
    try:
        text = json.dumps(meta)
    except (TypeError, ValueError) as e:            # before the file is touched: the old one stays
        raise TypeError(f"save_checkpoint: extra must hold JSON values only (dicts, lists, strings, numbers, "
                        f"booleans, None): {e}") from None
    arrays["meta"] = np.array(text)
    atomic_write(path, lambda f: np.savez(f, **arrays))
    return path


def _mismatch(path, what, saved, expected):
    raise ValueError(f"load_checkpoint({path!r}): {what} do not match: the file has {saved}, "
                     f"the object has {expected}")


def read_checkpoint(path):
    """``(arrays, meta)`` of a checkpoint file, without touching any model. Every way the file can
    be wrong (missing, a folder, truncated, not a ``.npz``, a ``.npz`` of something else, a torch
    ``.pt``) is a ``ValueError`` naming the file and what is wrong."""
    path = os.fspath(path)
    where = f"load_checkpoint({path!r})"
    if not os.path.exists(path):
        raise ValueError(f"{where}: no such file")
    if os.path.isdir(path):
        raise ValueError(f"{where}: is a folder, expected a checkpoint file")
    try:
        f = np.load(path, allow_pickle=False)
        if not hasattr(f, "files"):
            raise ValueError(f"{where}: a single .npy array, not a checkpoint (.npz)")
        with f:
            if "meta" not in f.files:
                raise ValueError(f"{where}: a .npz without a checkpoint header: not a checkpoint of this library")
            data = {k: f[k] for k in f.files}
        meta = json.loads(str(data.pop("meta")))
    except ValueError as e:
        if str(e).startswith(where):
            raise
        raise ValueError(f"{where}: not a checkpoint of this library ({type(e).__name__}: {str(e)[:120]}); a torch "
                         f".pt is loaded by torch_ref.interop.load_state_dict") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"{where}: truncated or corrupted ({type(e).__name__}: {str(e)[:120]})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ValueError(f"{where}: not a checkpoint of this library (format {got!r})")
    missing = [k for k in ("model", "extra", "generators") if k not in meta]
    if missing:
        raise ValueError(f"{where}: truncated or corrupted header (no {', '.join(map(repr, missing))})")
    damaged = _damaged_header(meta)
    if damaged:
        raise ValueError(f"{where}: truncated or corrupted header ({damaged}); nothing was loaded")
    return data, meta


def _damaged_header(meta):
    """What is of the wrong kind in a checkpoint header (hand-edited or damaged), or ''."""
    kinds = [("extra", dict), ("generators", list)]
    if "optimizer" in meta:
        kinds += [("optimizer", dict), ("optim_scalars", dict)]
    if "scheduler" in meta:
        kinds += [("scheduler", dict)]
    for key, kind in kinds:
        if not isinstance(meta.get(key), kind):
            return f"{key} is {type(meta.get(key)).__name__ if key in meta else 'missing'}, expected a {kind.__name__}"
    if not all(isinstance(g, dict) for g in meta["generators"]):
        return "a generator state is not a dict"
    if "optimizer" in meta:
        opt = meta["optimizer"]
        groups = opt.get("param_groups")
        if not isinstance(opt.get("class"), str) or "variant" not in opt:
            return "the optimizer's class or variant is missing"
        if not isinstance(groups, list) or not all(isinstance(g, dict) and isinstance(g.get("params"), list)
                                                   for g in groups):
            return "the optimizer's param_groups are not a list of dicts with their params"
        if not all(isinstance(v, dict) for v in meta["optim_scalars"].values()):
            return "an optimizer state entry is not a dict"
    if "scheduler" in meta and not (isinstance(meta["scheduler"].get("class"), str)
                                    and isinstance(meta["scheduler"].get("state"), dict)):
        return "the schedule's class or state is missing"
    return ""


def load_checkpoint(path, model, optimizer=None, scheduler=None, check_extra=None):
    """Restore a ``save_checkpoint`` file in place; returns its ``extra``. Every name and shape is
    checked before anything is changed, so a mismatched file leaves the model, optimizer and
    schedule untouched; ``check_extra(extra)``, if given, runs among those checks (it raises to
    refuse the file)."""
    path = os.fspath(path)
    if check_extra is not None and not callable(check_extra):
        raise TypeError(f"load_checkpoint: check_extra must be a function of the file's extra dict, got "
                        f"{type(check_extra).__name__}")
    for what, obj, method in (("model", model, "named_parameters"), ("optimizer", optimizer, "load_state_dict"),
                              ("scheduler", scheduler, "load_state_dict")):
        if (obj is not None or what == "model") and not callable(getattr(obj, method, None)):
            raise TypeError(f"load_checkpoint: {what} must have a {method}() method, got {type(obj).__name__}")
    data, meta = read_checkpoint(path)
    targets = [("param/", model.named_parameters()), ("buffer/", _buffers(model))]
    for prefix, named in targets:
        saved = {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}
        if set(saved) != set(named):
            _mismatch(path, prefix.rstrip("/") + " names", sorted(saved), sorted(named))
        for k, v in saved.items():
            if v.shape != named[k].shape or v.dtype != named[k].dtype:
                _mismatch(path, f"'{k}' shape/dtype", (v.shape, v.dtype.name), (named[k].shape, named[k].dtype.name))
    gens = layer_generators(model)
    if len(gens) != len(meta["generators"]):
        _mismatch(path, "numbers of layer random generators", len(meta["generators"]), len(gens))
    if meta.get("model") != _describe(model):           # same shapes, other settings (dropout p, eps...)
        _mismatch(path, "models", meta.get("model"), _describe(model))
    if optimizer is not None:
        if "optimizer" not in meta:
            raise ValueError(f"load_checkpoint({path!r}): the file holds no optimizer state")
        if meta["optimizer"]["class"] != type(optimizer).__name__:
            _mismatch(path, "optimizers", meta["optimizer"]["class"], type(optimizer).__name__)
        saved_names = [n for g in meta["optimizer"]["param_groups"] for n in g["params"]]
        names = [n for g in optimizer.param_groups for n in g["params"]]
        if saved_names != names:
            _mismatch(path, "optimizer parameter names", saved_names, names)
    saved_sched = meta.get("scheduler", {}).get("class")
    if (optimizer is not None or scheduler is not None) and saved_sched != (None if scheduler is None else type(scheduler).__name__):
        _mismatch(path, "schedules", saved_sched or "none", "none" if scheduler is None else type(scheduler).__name__)
    if check_extra is not None:
        check_extra(meta["extra"])
    # what the writes below need, checked now: nothing is changed unless all of it can be
    read_only = [k for _, named in targets for k, p in named.items() if not p.flags.writeable]
    if read_only:
        raise ValueError(f"load_checkpoint({path!r}): the model's {read_only} are read-only; nothing was loaded")
    for g, state in zip(gens, meta["generators"]):
        try:
            type(g.bit_generator)().state = state
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f"load_checkpoint({path!r}): a layer's random generator state in the file is "
                             f"damaged ({type(e).__name__}: {e}); nothing was loaded") from None
    sd = None
    if optimizer is not None:
        state = {name: dict(scalars) for name, scalars in meta["optim_scalars"].items()}
        for k, v in data.items():
            if k.startswith("optim/"):
                name, key = k[len("optim/"):].rsplit("/", 1)       # a parameter's name may hold "/"
                state.setdefault(name, {})[key] = v
        groups = [{k: tuple(v) if isinstance(v, list) and k != "params" else v for k, v in g.items()}
                  for g in meta["optimizer"]["param_groups"]]
        sd = {"state": state, "variant": meta["optimizer"]["variant"], "param_groups": groups}
        try:
            optimizer.check_state_dict(sd)
        except (TypeError, ValueError) as e:
            raise ValueError(f"load_checkpoint({path!r}): {e}; nothing was loaded") from None
    if scheduler is not None and callable(getattr(scheduler, "check_state_dict", None)):
        try:
            scheduler.check_state_dict(meta["scheduler"]["state"])
        except (TypeError, ValueError) as e:
            raise ValueError(f"load_checkpoint({path!r}): {e}; nothing was loaded") from None

    for prefix, named in targets:
        for k, p in named.items():
            p[...] = data[prefix + k]
    for g, state in zip(gens, meta["generators"]):
        g.bit_generator.state = state
    if sd is not None:
        optimizer.load_state_dict(sd)
    if scheduler is not None:
        scheduler.load_state_dict(meta["scheduler"]["state"])
    return meta["extra"]
