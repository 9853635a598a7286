"""A dropout layer checked as an object (``lr_backward.py``'s styles: a blog's or a Keras-like
``Dropout(rate)``, ``Dropout(p=0.5)``, ``Dropout(keep_prob=0.8)``): its drop probability read from its
attribute (``p``, ``rate``, ``dropout_ratio``...; ``keep_prob``... as one minus it), then

* ``forward``: the training output against torch's inverted dropout with the mask it drew (read from
  its output: a unit is kept where the output is not 0), ``x * mask / (1 - p)``; classic dropout
  (``x * mask``) under ``dropout=classic``;
* ``keep_share``: the share of 50,000 ones it keeps, within 0.02 of 1 - p;
* ``eval_forward``: where it has an eval mode, the output is x (classic: ``x * (1 - p)``).

Its backward is checked by ``lr_backward.py`` against finite differences of its own forward with the
same mask."""
import numpy as np

from .compare import SHARE_SHAPE, add_note, kept_share

DROP = ("p", "rate", "dropout_rate", "drop_rate", "dropout_ratio", "drop_prob", "dropout", "drop_probability",
        "p_drop", "prob", "dropout_prob", "probability")
KEEP = ("keep_prob", "keep_rate", "keep", "keep_probability", "p_keep", "retain_prob", "keep_ratio")
# constructor arguments, by name, and the value the scan builds the layer with
BUILD = {**dict.fromkeys(DROP, 0.4), **dict.fromkeys(KEEP, 0.6)}


def drop_of(hyper, cv=None):
    """``(p, how it was read)`` from its attributes (``dropout_p=keep``: ``p``, ``rate``... read as the keep
    probability, as cs231n's older ``dropout_param['p']``), or None."""
    keep = (cv or {}).get("dropout_p") == "keep"
    for k in DROP:
        v = hyper.get(k, hyper.get("_" + k))
        if v is not None and 0 <= float(v) < 1 and not keep:
            return float(v), f"{k}={float(v):g}, the drop probability"
        if v is not None and 0 < float(v) <= 1 and keep:
            return 1.0 - float(v), f"{k}={float(v):g} read as the keep probability (dropout_p=keep)"
    for k in KEEP:
        v = hyper.get(k, hyper.get("_" + k))
        if v is not None and 0 < float(v) <= 1:
            return 1.0 - float(v), f"{k}={float(v):g}, the keep probability"
    return None


def check(c, make, names, x, out, hyper, cv):
    """The training forward, the share kept and the eval forward (see the module's docstring)."""
    from . import lr_backward as lrb                # its object helpers (it imports this module)
    from .norm_object import run_eval, to_eval
    # the value it was built with where its constructor took one by a dropout's name: what it keeps may be
    # the other probability under the same name (ronet's self.dropout_rate = 1 - dropout_rate)
    found = drop_of(getattr(make, "kwargs", {}), cv) or drop_of(hyper, cv)
    if found is None or not isinstance(out, np.ndarray) or out.shape != x.shape:
        return
    p, how = found
    classic = cv.get("dropout") == "classic"
    mask = out != 0
    want = x * mask if classic else x * mask / (1.0 - p)
    c.add("forward", out, want)
    r = c.results[-1]
    r.reference = "torch (dropout with the mask it drew" + (", classic: unscaled)" if classic else ")")
    if not r.passed:
        for other, why in ((x * mask, "its kept units are not divided by 1 - p (classic dropout, which scales "
                                      "in eval instead: declare dropout=classic if intended)"),
                           (x * mask / max(p, 1e-12), "its kept units are divided by p, the drop probability: "
                                                      "divide by 1 - p, the keep probability"),
                           (x * mask * (1.0 - p), "its kept units are multiplied by 1 - p: divide by it")):
            if np.allclose(out, other, rtol=1e-9, atol=1e-12):
                add_note(r, why)
                break
    obj = lrb._build(make, 0)
    ones = np.ones(SHARE_SHAPE)
    big = np.asarray(lrb._run(obj, names, ones))
    if big.shape == SHARE_SHAPE:
        c.results.append(kept_share(big, 1 - p, how, **{**c.meta, "check": "keep_share", "shape": SHARE_SHAPE}))
    mode = to_eval(obj, getattr(obj, names[0]))
    if mode is None:
        if classic:
            c.fail("eval_forward", "classic dropout multiplies by 1 - p in eval, but it has no eval mode (no "
                                   "training argument, eval() or training attribute): its output is never scaled")
        return
    kw, way = mode
    ran, got = run_eval(c, obj, names, x, kw, way)
    if not ran:
        return
    c.add("eval_forward", got, x * (1.0 - p) if classic else x)
    c.results[-1].reference = f"torch (dropout in eval: {'x * (1 - p)' if classic else 'x'}; eval by {way})"
