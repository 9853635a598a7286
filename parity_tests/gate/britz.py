"""Denny Britz's "Implementing a Neural Network from Scratch in Python" (WildML, 2015): a tanh hidden
layer and a softmax output over module globals, ``calculate_loss(model)`` on ``X``, ``y`` and
``reg_lambda``, and ``build_model(nn_hdim, num_passes=20000, print_loss=False)`` training the dict
``{'W1', 'b1', 'W2', 'b2'}`` by full-batch gradient descent at rate ``epsilon``.

The module's ``X``, ``y`` and ``num_examples`` are set to a problem of its own for the check (30 points
of ``nn_input_dim`` features, ``nn_output_dim`` classes; its ``epsilon`` and ``reg_lambda`` kept), and
put back after:

* ``calculate_loss``: against torch's ``(sum of the cross-entropies + reg_lambda/2 * (|W1|^2 + |W2|^2)) / N``
  for random weights;
* ``build_model``: the model after two passes against torch's gradient-descent step from the model after
  one (the function reseeds and starts over each call, so the second pass is one step from the first's
  result), the step that of ``sum of the cross-entropies + reg_lambda/2 * (|W1|^2 + |W2|^2)``, the
  tutorial's (N times what ``calculate_loss`` reports).
"""
import inspect

import numpy as np
import torch
import torch.nn.functional as F

from .api import _Checks
from .samples import seed_for

N, H = 30, 3
USER = (Exception, SystemExit, GeneratorExit)


def _takes(fn, first):
    try:
        ps = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(ps) and ps[0] == first


def recognise(name, namespace):
    """Whether ``name`` is the tutorial's ``build_model`` or ``calculate_loss`` beside the other."""
    build, loss = namespace.get("build_model"), namespace.get("calculate_loss")
    return name in ("build_model", "calculate_loss") and inspect.isfunction(build) and inspect.isfunction(loss) \
        and _takes(build, "nn_hdim") and _takes(loss, "model")


def _number(ns, name, default):
    v = ns.get(name)
    return float(v) if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool) else default


def _objective(model, x, y, reg):
    """torch's sum of the cross-entropies plus reg/2 * (|W1|^2 + |W2|^2), and the weights as tensors."""
    t = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for k, v in model.items()}
    z2 = torch.tanh(torch.from_numpy(x) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    return F.cross_entropy(z2, torch.from_numpy(y), reduction="sum") + reg / 2 * (
        (t["W1"] ** 2).sum() + (t["W2"] ** 2).sum()), t


def check(label, namespace, seed=0):
    s = seed_for(seed, label, "problem")
    rng = np.random.default_rng(s)
    d, c = int(_number(namespace, "nn_input_dim", 2)), int(_number(namespace, "nn_output_dim", 2))
    x, y = rng.standard_normal((N, d)), rng.integers(0, c, N)
    y[:c] = np.arange(c)                            # every class present
    eps, reg = _number(namespace, "epsilon", 0.01), _number(namespace, "reg_lambda", 0.01)
    meta = dict(component=label, dtype="float64", sample=f"{N} points, {d} features, {c} classes, {H} hidden",
                shape=(N, d), seed=s)
    c_ = _Checks(None, **meta)
    names = ("X", "y", "num_examples", "epsilon", "reg_lambda", "nn_input_dim", "nn_output_dim")
    state = np.random.get_state()                   # build_model seeds NumPy's generator: put back after
    fn_globals = namespace[label].__globals__      # the module's own (``namespace`` may be a copy)
    saved = {k: fn_globals[k] for k in names if k in fn_globals}
    fn_globals.update(X=x, y=y, num_examples=N, epsilon=eps, reg_lambda=reg, nn_input_dim=d, nn_output_dim=c)
    try:
        if label == "calculate_loss":
            model = {"W1": rng.standard_normal((d, H)), "b1": rng.standard_normal((1, H)),
                     "W2": rng.standard_normal((H, c)), "b2": rng.standard_normal((1, c))}
            got = fn_globals["calculate_loss"]({k: v.copy() for k, v in model.items()})
            want = _objective(model, x, y, reg)[0].item() / N
            c_.add("loss", np.asarray(got, dtype=np.float64), np.asarray(want))
            c_.results[-1].reference = ("torch ((sum of the cross-entropies + reg_lambda/2 * (|W1|^2 + |W2|^2)) / N, "
                                        f"reg_lambda={reg:g})")
        else:
            build = fn_globals["build_model"]
            quiet = {"print_loss": False} if "print_loss" in inspect.signature(build).parameters else {}
            one, two = (build(H, num_passes=n, **quiet) for n in (1, 2))
            keys = ("W1", "b1", "W2", "b2")
            wrong = [m for m in (one, two) if not isinstance(m, dict) or not all(k in m for k in keys)]
            if wrong:
                bad = wrong[0]
                c_.fail("step:model", f"build_model returned {type(bad).__name__}"
                        + (f" with keys {sorted(map(str, bad))}" if isinstance(bad, dict) else "")
                        + ": expected the model dict {'W1', 'b1', 'W2', 'b2'}")
                return c_.report()
            one = {k: np.array(one[k], dtype=np.float64) for k in keys}
            j, t = _objective(one, x, y, reg)
            j.backward()
            for k in ("W1", "b1", "W2", "b2"):
                got = np.asarray(two[k], dtype=np.float64).reshape(one[k].shape)
                c_.add(f"step:{k}", got, one[k] - eps * t[k].grad.numpy())
                c_.results[-1].reference = (f"torch (a gradient-descent step at epsilon={eps:g} from the model after one "
                                            "pass, of the sum of the cross-entropies + reg_lambda/2 * (|W1|^2 + |W2|^2))")
                if not c_.results[-1].passed and np.allclose(got, one[k] - eps * t[k].grad.numpy() / N, rtol=1e-9,
                                                             atol=1e-12):
                    c_.results[-1].note += ("; it is the step of the mean, what calculate_loss reports (1/N of the "
                                            "tutorial's, whose step is of the sum): the same direction, a rate N times "
                                            "smaller")
    except USER as e:                               # noqa: BLE001 -- the user's code
        c_.crashed(e)
    finally:
        np.random.set_state(state)
        for k in names:
            fn_globals.pop(k, None)
        fn_globals.update(saved)
    return c_.report()
