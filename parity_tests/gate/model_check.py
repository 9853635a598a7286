"""A whole network of your own (cs231n's ``TwoLayerNet``/``FullyConnectedNet``, the book's
``TwoLayerNet``/``MultiLayerNet``) against torch: the scores, the loss with its L2 penalty, and the
gradient of every parameter, by autograd and by finite differences (float64).

The network is read from its ``params``: ``W1, b1, ..., WL, bL`` with ``W_i`` (d_in, d_out) is
affine - activation - ... - affine (cs231n's ``ThreeLayerConvNet``: W1 (F, C, HH, WW) a 'same' conv,
ReLU and 2x2 max pooling first), then softmax cross-entropy plus ``reg * sum(W_i**2)`` over the weights
(``0.5 * reg`` under the ``reg=half`` convention: cs231n's networks, the book's ``weight_decay_lambda``).
Two call styles: cs231n's ``loss(X)`` -> scores and ``loss(X, y)`` -> ``(loss, grads)`` (``reg``
passed to ``loss`` when it takes one), and the book's ``predict(x)``, ``loss(x, t)`` and
``gradient(x, t)`` -> grads."""
import inspect
import re

import numpy as np
import torch

from numpy_impl.gradcheck import numerical_gradient

from .api import _Checks, where
from .compare import NOT_WRITTEN, compare, is_none
from .diagnose import ProducedTolerance
from .tolerance import tolerance_for
from .conventions import parse, softmax_loss as torch_softmax_loss
from .isolation import preserved


def architecture(params, norm=None):
    """``[(W name, b name), ...]`` in layer order for a plain affine-activation network, or cs231n's
    three-layer conv net (W1 (F, C, HH, WW): conv 'same' - ReLU - 2x2 max pool - affine - ReLU -
    affine); raise ``ValueError`` saying what is not one (normalisation parameters, a missing bias,
    shapes that do not chain)."""
    numbers = sorted(int(m.group(1)) for k in params if (m := re.fullmatch(r"W(\d+)", k)))
    names = [(f"W{i}", f"b{i}") for i in numbers]
    norms = {f"{g}{i}" for i in numbers[:-1] for g in ("gamma", "beta")} if norm else set()
    other = sorted(set(params) - {n for pair in names for n in pair} - norms)
    if not numbers or numbers != list(range(1, len(numbers) + 1)) or other or not norms <= set(params):
        raise ValueError(f"its params {sorted(params)} are not W1, b1, ..., WL, bL"
                         + (f" with gamma1, beta1, ... for its {norm}" if norm else
                            " alone (normalisation layers are checked with normalization='batchnorm' or "
                            "'layernorm' passed to the constructor)"))
    for g in sorted(norms):
        i = int(re.sub(r"\D", "", g))
        if np.shape(params[g]) != (np.shape(params[f"W{i}"])[-1],):
            raise ValueError(f"its {g} has shape {np.shape(params[g])}; W{i} is {np.shape(params[f'W{i}'])}")
    conv = np.ndim(params["W1"]) == 4
    if conv and len(names) != 3:
        raise ValueError(f"a conv net is checked as cs231n's ThreeLayerConvNet (W1 conv, W2 and W3 affine); "
                         f"it has {len(names)} weights")
    for i, ((w, b), nxt) in enumerate(zip(names, names[1:] + [None])):
        W, B = np.asarray(params[w]), np.asarray(params[b])
        width = W.shape[0] if conv and i == 0 else W.shape[-1]
        chains = nxt is None or (conv and i == 0) or np.shape(params[nxt[0]])[0] == width
        if W.ndim != (4 if conv and i == 0 else 2) or B.shape != (width,) or not chains:
            raise ValueError(f"its params do not chain as {'conv and ' if conv else ''}affine layers: "
                             f"{w} {W.shape}, {b} {B.shape}")
    return names


ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


class TorchNet(torch.nn.Module):
    """affine - activation - ... - affine from ``[(W (d_in, d_out), b (d_out,)), ...]`` (torch weight =
    W.T); ``activation`` one of ``ACTIVATIONS``. A first W of 4 dims (F, C, HH, WW) is cs231n's
    conv layer (stride 1, padding (HH - 1) // 2), followed by ReLU and 2x2 max pooling."""

    def __init__(self, arrays, activation="relu", norm=None, norm_params=(), pad=None, eps=1e-5):
        super().__init__()
        self.act, self.norm, self.eps = ACTIVATIONS[activation], norm, eps
        self.norm_params = torch.nn.ParameterList(torch.nn.Parameter(torch.tensor(np.array(v, dtype=np.float64)))
                                                  for v in norm_params)          # gamma1, beta1, gamma2, ...
        self.layers = torch.nn.ModuleList()
        for W, b in arrays:
            W = np.array(W, dtype=np.float64)
            if W.ndim == 4:
                same = ((W.shape[2] - 1) // 2, (W.shape[3] - 1) // 2)
                layer = torch.nn.Conv2d(W.shape[1], W.shape[0], W.shape[2:], padding=same if pad is None else pad,
                                        dtype=torch.float64)
            else:
                layer, W = torch.nn.Linear(W.shape[0], W.shape[1], dtype=torch.float64), W.T
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
                layer.bias.copy_(torch.from_numpy(np.array(b, dtype=np.float64)))
            self.layers.append(layer)

    def forward(self, x):
        F = torch.nn.functional
        self.pre_norm = []
        for i, layer in enumerate(self.layers):
            if isinstance(layer, torch.nn.Conv2d):
                x = F.max_pool2d(torch.relu(layer(x)), 2, 2).flatten(1)
                continue
            x = layer(x)
            if i < len(self.layers) - 1:
                if self.norm:                       # training mode: the batch's own statistics
                    if x.requires_grad:
                        x.retain_grad()             # what the bias's gradient is summed from
                    self.pre_norm.append(x)
                    g, b = self.norm_params[2 * i], self.norm_params[2 * i + 1]
                    x = (F.batch_norm(x, None, None, g, b, True, 0.0, self.eps) if self.norm == "batchnorm"
                         else F.layer_norm(x, (x.shape[1],), g, b, self.eps))
                x = self.act(x)
        return x


def conv_padding(params, in_shape):
    """The padding of a conv net's first layer (stride 1, then 2x2 pooling) that makes its output
    the size W2 takes: 'same' ((HH - 1) // 2, cs231n) first, then 0 (the book's default) and up."""
    F, _, hh, ww = np.shape(params["W1"])
    h, w = in_shape[-2:]
    for p in [(hh - 1) // 2] + list(range(hh)):
        if F * ((h + 2 * p - hh + 1) // 2) * ((w + 2 * p - ww + 1) // 2) == np.shape(params["W2"])[0]:
            return p
    raise ValueError(f"no padding of its {hh}x{ww} conv on {h}x{w} input, then 2x2 pooling, gives the "
                     f"{np.shape(params['W2'])[0]} inputs W2 takes")


def _call(c, check, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (Exception, SystemExit) as e:   # noqa: BLE001 -- the user's code
        c.fail(check, f"{getattr(fn, '__name__', 'it')}() raised {type(e).__name__}: {e}{where(e)}")
        return None


def _book_labels(model, X, y, classes):
    """The labels as the book's network takes them: indices, or one-hot rows when its ``gradient()``
    works on those only (chapter 4's TwoLayerNet: ``dy = (y - t) / batch_num``)."""
    for t in (y, np.eye(classes, dtype=X.dtype)[y]):
        try:
            model.gradient(X, t)
            return t
        except (Exception, SystemExit):     # noqa: BLE001 -- the user's code; the real call reports it
            continue
    return y


def _loss_and_grads(c, model, signature, *args, **kwargs):
    """cs231n's ``model.loss(...)`` -> ``(loss, grads)``; ``(None, None)`` with a failure saying why
    when it raised or returned something else."""
    out = _call(c, "loss", model.loss, *args, **kwargs)
    ok = isinstance(out, tuple) and len(out) == 2
    if out is not None and not ok:
        c.fail("loss", f"loss({signature}) returned {type(out).__name__}; expected (loss, grads)")
    return out if ok else (None, None)


def _forward(model, book):
    """The network's forward (``predict``, or cs231n's ``loss`` without labels), or None when it has none."""
    if book:
        return model.predict if callable(getattr(model, "predict", None)) else None
    ps = list(inspect.signature(model.loss).parameters.values())[1:2]
    return model.loss if not ps or ps[0].default is not ps[0].empty else None


def _activation(model, book, X, params, names, pad=None):
    """``(activation, output)``: the activation whose torch scores are nearest the network's own
    forward, and whether that forward returns the ``scores`` or softmax ``probs`` (the book's chapter
    4 network: sigmoid, and ``predict`` ends in softmax); ReLU and scores when it cannot be called."""
    forward = _forward(model, book)
    try:
        with torch.no_grad():
            out = np.asarray(forward(X), dtype=np.float64)
            xt = torch.from_numpy(np.asarray(X, dtype=np.float64))
            diffs = {}
            for a in ACTIVATIONS:
                scores = TorchNet([(params[w], params[b]) for w, b in names], a, pad=pad)(xt)
                for kind, ref in (("scores", scores), ("probs", torch.softmax(scores, 1))):
                    diffs[a, kind] = float(np.max(np.abs(ref.numpy() - out), initial=0.0))
    except (Exception, SystemExit):    # noqa: BLE001 -- reported by the checks themselves
        return "relu", "scores"
    return min(diffs, key=lambda k: (not np.isfinite(diffs[k]), diffs[k], k != ("relu", "scores")))


def check_model(model, X, y, reg=0.0, conventions=None, seed=0, component=None, sample="", activation=None,
                norm=None, norm_eps=None):
    """Report of one network on ``X`` (N, D) float64 and labels ``y`` (N,): ``forward`` (scores),
    ``loss``, ``grad_param:<name>``, ``fd:<name>`` and ``no_mutation``. ``reg`` goes to ``loss`` when
    its signature takes one; a network that holds its own reg was built with it. ``activation``
    (relu, sigmoid, tanh) is found from the network's forward when not given, and so is whether that
    forward returns scores or softmax probabilities; the sample names any but relu and scores.
    ``norm`` ("batchnorm" or "layernorm"): cs231n's FullyConnectedNet built with that normalization
    (the book's MultiLayerNetExtend with use_batchnorm), gamma_i and beta_i after each hidden affine;
    its loss and gradients are checked in training mode (the batch's statistics; the book's
    ``loss(x, t, train_flg=True)``), its scores (test mode, running statistics) are not. ``norm_eps``:
    the eps inside the root, by default cs231n's 1e-5, or the book's 10e-7 for a network with
    ``gradient``."""
    cv = parse(conventions or {})
    if norm not in (None, "batchnorm", "layernorm"):
        raise ValueError(f"check_model: norm must be None, 'batchnorm' or 'layernorm', got {norm!r}")
    if activation is not None and activation not in ACTIVATIONS:
        raise ValueError(f"check_model: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    name = component or type(model).__name__
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim not in (2, 4) or X.dtype.kind != "f":
        raise ValueError(f"check_model: expected X of shape (N, D) (or (N, C, H, W) for a conv net) and a float "
                         f"dtype, got shape {X.shape} {X.dtype}")
    if y.shape != (len(X),) or y.dtype.kind not in "iu":
        raise ValueError(f"check_model: expected integer labels y of shape ({len(X)},), got shape {y.shape} {y.dtype}")
    c = _Checks(None, component=name, dtype=np.asarray(X).dtype.name, sample=sample, shape=tuple(np.shape(X)), seed=seed)
    params = getattr(model, "params", None)
    if not isinstance(params, dict):
        c.fail("error", "it has no params dict (cs231n and the book keep every weight in self.params)")
        return c.report()
    try:
        names = architecture(params, norm)
        pad = conv_padding(params, X.shape) if np.ndim(params["W1"]) == 4 else None
    except ValueError as e:
        c.fail("error", str(e))
        return c.report()
    book = callable(getattr(model, "gradient", None))
    takes_reg = "reg" in inspect.signature(model.loss).parameters
    extra = {"reg": reg} if takes_reg else {}
    if book and norm and "train_flg" in inspect.signature(model.loss).parameters:
        extra = {"train_flg": True}                 # the book's loss is in test mode unless told
    eps = norm_eps if norm_eps is not None else 10e-7 if book else 1e-5
    before = {k: np.array(v, copy=True) for k, v in params.items()}
    X_before, y_before = X.copy(), y.copy()
    found, output = ("relu", "scores") if norm else _activation(model, book, X, params, names, pad)
    activation = activation or found
    if activation != "relu" or output != "scores":
        c.meta["sample"] = f"{sample} ({activation}{', softmax output' if output == 'probs' else ''})".strip()
    with preserved(seed=seed):
        hidden = [i + 1 for i in range(len(names) - 1)] if norm else []
        net = TorchNet([(params[w], params[b]) for w, b in names], activation, norm,
                       [params[f"{g}{i}"] for i in hidden for g in ("gamma", "beta")], pad, eps)
        xt, yt = torch.from_numpy(np.asarray(X, dtype=np.float64)), torch.from_numpy(y.astype(np.int64))
        scores_t = net(xt)
        data = torch_softmax_loss(cv.get("softmax_eps"))(scores_t, yt)
        scale = 0.5 if cv.get("reg") == "half" else 1.0
        loss_t = data + scale * reg * sum((lin.weight ** 2).sum() for lin in net.layers)
        loss_t.backward()
        forward = None if norm else _forward(model, book)
        scores = None if forward is None else _call(c, "forward", forward, X)
        if scores is not None:
            c.add("forward", scores, (torch.softmax(scores_t, 1) if output == "probs" else scores_t).detach().numpy())
        t = _book_labels(model, X, y, scores_t.shape[1]) if book else y
        if book:
            loss = _call(c, "loss", model.loss, X, t, **extra)
            grads = _call(c, "grad_param", model.gradient, X, t)
        else:
            loss, grads = _loss_and_grads(c, model, "X, y", X, y, **extra)
        if loss is not None:
            c.add("loss", np.asarray(loss, dtype=np.float64), loss_t.detach().numpy())
        if grads is not None:
            for (w, b), lin in zip(names, net.layers):
                g = lin.weight.grad.numpy()
                for k, ref in ((w, g.T if g.ndim == 2 else g), (b, lin.bias.grad.numpy())):
                    if k not in grads:
                        c.fail(f"grad_param:{k}", f"the gradients hold no {k!r} (they hold {sorted(grads)})")
                    elif norm == "batchnorm" and k == b and lin is not net.layers[-1]:
                        # exactly 0 in exact arithmetic: rounding is measured against the gradient it is
                        # summed from (diagnose.ProducedTolerance), not against its own ~1e-17
                        z = net.pre_norm[list(net.layers).index(lin)].grad.abs().sum(0).max().item()
                        tol = ProducedTolerance(tolerance_for(c.meta["dtype"], "grad_param"), z)
                        c.results.append(compare(grads[k], ref, tol, check=f"grad_param:{k}", **c.meta))
                    else:
                        c.add(f"grad_param:{k}", grads[k], ref)
            for j, i in enumerate(hidden):
                for t, g in enumerate(("gamma", "beta")):
                    k = f"{g}{i}"
                    if k not in grads:
                        c.fail(f"grad_param:{k}", f"the gradients hold no {k!r} (they hold {sorted(grads)})")
                    else:
                        c.add(f"grad_param:{k}", grads[k], net.norm_params[2 * j + t].grad.numpy())
        for k in params:
            c.unchanged(f"the parameter {k}", before[k], params[k])
        c.unchanged("the data X", X_before, X)
        c.unchanged("the labels y", y_before, y)
        if grads is not None and X.dtype == np.float64 and "softmax_eps" not in cv:
            def value():
                return model.loss(X, t, **extra) if book else model.loss(X, y, **extra)[0]
            rng = np.random.default_rng(seed)
            for k in params:
                if k in grads:
                    p = params[k]
                    try:
                        _fd(c, k, value, p, np.asarray(grads[k]), rng)
                    except (Exception, SystemExit) as e:   # noqa: BLE001
                        c.fail(f"fd:{k}", f"raised {type(e).__name__}: {e}{where(e)}")
                    p[...] = before[k]
    return c.report()


FD_ELEMENTS = 24        # per parameter, as cs231n's grad_check_sparse: a conv net's every weight is ~1,000 losses


def _fd(c, name, value, p, grad, rng, h=1e-5):
    """``fd:<name>``: central differences of ``value()`` at every element of ``p``, or at
    ``FD_ELEMENTS`` of them drawn by ``rng`` (the sample says which), against ``grad`` there."""
    if grad.shape != p.shape:
        c.fail(f"fd:{name}", f"its gradient has shape {grad.shape}; the parameter is {p.shape}")
        return
    if p.size <= FD_ELEMENTS:
        c.add(f"fd:{name}", grad, numerical_gradient(value, p, h=h))
        return
    picked = np.sort(rng.choice(p.size, FD_ELEMENTS, replace=False))
    num = np.empty(FD_ELEMENTS)
    for j, i in enumerate(picked):
        old = p.flat[i]
        try:
            p.flat[i] = old + h
            plus = float(value())
            p.flat[i] = old - h
            minus = float(value())
        finally:
            p.flat[i] = old
        num[j] = (plus - minus) / (2 * h)
    c.add(f"fd:{name}", grad.ravel()[picked], num)
    r = c.results[-1]
    if len(r.index) == 1:                   # a position among the picked elements: the parameter's own index
        r.index = tuple(int(i) for i in np.unravel_index(int(picked[r.index[0]]), p.shape))
    r.note = (r.note + "; " if r.note else "") + \
        f"{FD_ELEMENTS} of {p.size} elements of {name} {p.shape}, at flat indices {picked.tolist()}"


CAPTION_PARAMS = ("W_proj", "b_proj", "W_embed", "Wx", "Wh", "b", "W_vocab", "b_vocab")


def _captioning_loss(params, features, captions, null):
    """torch's loss of cs231n's CaptioningRNN (an LSTM when Wx is (W, 4H)), on float64 leaves."""
    from . import recurrent_reference as R
    P = {k: torch.tensor(np.array(params[k], dtype=np.float64), requires_grad=True) for k in CAPTION_PARAMS}
    cin, cout = captions[:, :-1], captions[:, 1:]
    lstm = P["Wx"].shape[1] == 4 * P["W_proj"].shape[1]
    h = torch.from_numpy(np.asarray(features, dtype=np.float64)) @ P["W_proj"] + P["b_proj"]
    x, c, hs = P["W_embed"][torch.from_numpy(cin.astype(np.int64))], torch.zeros_like(h), []
    for t in range(x.shape[1]):
        if lstm:
            h, c = R._lstm_step(x[:, t], h, c, P["Wx"], P["Wh"], P["b"])
        else:
            h = R._rnn_step(x[:, t], h, P["Wx"], P["Wh"], P["b"])
        hs.append(h)
    scores = torch.stack(hs, dim=1) @ P["W_vocab"] + P["b_vocab"]
    loss = R.temporal_softmax_loss(cout != null)(scores, torch.from_numpy(cout.astype(np.int64)))
    loss.backward()
    return loss, P


SAMPLE_LENGTH, SAMPLE_ROWS = 10, 32      # greedy words are discrete: many rows and steps, so a small error shows


def _word(model, attr, token):
    value = getattr(model, attr, None)
    if value is None and isinstance(getattr(model, "word_to_idx", None), dict):
        value = model.word_to_idx.get(token)
    return value


def _check_sample(c, model, params, features, null, seed):
    """``sample(features, max_length)``: greedy captions. Each step's word is checked against torch's
    argmax of the scores given the words the user's code chose before it (so a near-tie, decided
    either way, does not throw the rest off); after a row's first <END> nothing is compared (the
    notebook's code goes on, others stop and pad with <NULL>)."""
    start, end = _word(model, "_start", "<START>"), _word(model, "_end", "<END>")
    if start is None:
        c.fail("sample", "it has no _start (nor word_to_idx['<START>']): the first word fed is unknown")
        return
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((SAMPLE_ROWS, features.shape[1])).astype(features.dtype)
    # weights of their own, scaled so that each step's argmax turns on the state carried into it (the
    # loss check's small ones let every row settle on one word, whatever the hidden or cell state)
    saved = {k: np.array(params[k], copy=True) for k in CAPTION_PARAMS}
    for k in CAPTION_PARAMS:
        a = params[k]
        params[k][...] = rng.standard_normal(a.shape) * (0.5 if k.startswith("b") else (3.0 if k == "W_vocab" else 1.0)
                                                         / np.sqrt(max(a.shape[0], 1)))
    try:
        _sample_against_torch(c, model, params, features, null, start, end)
    finally:
        for k, v in saved.items():
            params[k][...] = v


def _sample_against_torch(c, model, params, features, null, start, end):
    try:
        words = model.sample(features.copy(), max_length=SAMPLE_LENGTH)
    except (Exception, SystemExit) as e:        # noqa: BLE001 -- the user's code
        c.fail("sample", f"sample(features, max_length={SAMPLE_LENGTH}) raised {type(e).__name__}: {e}{where(e)}")
        return
    if is_none(words):
        c.fail("sample", NOT_WRITTEN)
        return
    words = np.asarray(words)
    n = len(features)
    if words.shape != (n, SAMPLE_LENGTH) or words.dtype.kind not in "iu":
        c.fail("sample", f"sample(features, max_length={SAMPLE_LENGTH}) returned {words.dtype} {words.shape}; "
                         f"expected integer word ids of shape {(n, SAMPLE_LENGTH)}")
        return
    from . import recurrent_reference as R
    P = {k: torch.tensor(np.array(params[k], dtype=np.float64)) for k in CAPTION_PARAMS}
    lstm = P["Wx"].shape[1] == 4 * P["W_proj"].shape[1]
    with torch.no_grad():
        h = torch.from_numpy(np.asarray(features, dtype=np.float64)) @ P["W_proj"] + P["b_proj"]
        cell, fed, expected = torch.zeros_like(h), torch.full((n,), int(start), dtype=torch.int64), []
        for t in range(SAMPLE_LENGTH):
            x = P["W_embed"][fed]
            if lstm:
                h, cell = R._lstm_step(x, h, cell, P["Wx"], P["Wh"], P["b"])
            else:
                h = R._rnn_step(x, h, P["Wx"], P["Wh"], P["b"])
            scores = h @ P["W_vocab"] + P["b_vocab"]
            best = scores.argmax(1)
            chosen = torch.from_numpy(np.clip(words[:, t], 0, scores.shape[1] - 1).astype(np.int64))
            # the user's word where it is a tie to rounding, torch's otherwise
            valid = torch.from_numpy((words[:, t] >= 0) & (words[:, t] < scores.shape[1]))
            tie = valid & ((scores.max(1).values - scores.gather(1, chosen[:, None])[:, 0])
                           <= 1e-9 * scores.abs().max(1).values.clamp_min(1.0))
            expected.append(torch.where(tie, chosen, best))
            fed = chosen
    expected = torch.stack(expected, 1).numpy()
    done = np.zeros(n, dtype=bool)
    for t in range(SAMPLE_LENGTH):                 # after a row's first <END>: not compared
        expected[done, t] = words[done, t]
        if end is not None:
            done |= words[:, t] == end
    c.add("sample", words.astype(np.float64), expected.astype(np.float64))
    c.results[-1].note = (c.results[-1].note + "; " if c.results[-1].note else "") + \
        f"greedy word ids, max_length={SAMPLE_LENGTH}, {null} is <NULL>"


def check_captioning(model, features, captions, seed=0, component=None, sample=""):
    """cs231n assignment 3's ``CaptioningRNN`` (vanilla RNN or LSTM, told apart by Wx's width) against
    torch: ``loss(features, captions)`` -> ``(loss, grads)``, the loss and the gradient of each of
    its params (W_proj, b_proj, W_embed, Wx, Wh, b, W_vocab, b_vocab), the gradients against finite
    differences of its own loss, and no mutation. ``features`` (N, D) float64, ``captions`` (N, T)
    integer ids starting with <START>, padded with the model's ``_null``."""
    name = component or type(model).__name__
    features, captions = np.asarray(features), np.asarray(captions)
    c = _Checks(None, component=name, dtype=features.dtype.name, sample=sample, shape=tuple(features.shape),
                seed=seed)
    params = getattr(model, "params", None)
    missing = [k for k in CAPTION_PARAMS if not isinstance(params, dict) or k not in params]
    null = getattr(model, "_null", None)
    if null is None and isinstance(getattr(model, "word_to_idx", None), dict):
        null = model.word_to_idx.get("<NULL>")
    if missing or null is None:
        c.fail("error", f"not cs231n's CaptioningRNN: it has no {missing or '_null (nor word_to_idx[<NULL>])'} "
                        f"(its params: {sorted(params) if isinstance(params, dict) else None})")
        return c.report()
    before = {k: np.array(v, copy=True) for k, v in params.items()}
    f_before, c_before = features.copy(), captions.copy()
    with preserved(seed=seed):
        try:
            loss_t, P = _captioning_loss(params, features, captions, null)
        except (RuntimeError, ValueError, IndexError) as e:
            c.fail("error", f"its params do not fit cs231n's CaptioningRNN: {e}")
            return c.report()
        loss, grads = _loss_and_grads(c, model, "features, captions", features, captions)
        if loss is not None:
            c.add("loss", np.asarray(loss, dtype=np.float64), loss_t.detach().numpy())
        for k in CAPTION_PARAMS if grads is not None else ():
            if k not in grads:
                c.fail(f"grad_param:{k}", f"the gradients hold no {k!r} (they hold {sorted(grads)})")
            else:
                c.add(f"grad_param:{k}", grads[k], P[k].grad.numpy())
        for k in params:
            c.unchanged(f"the parameter {k}", before[k], params[k])
        c.unchanged("the features", f_before, features)
        c.unchanged("the captions", c_before, captions)
        if callable(getattr(model, "sample", None)):
            _check_sample(c, model, params, features, null, seed)
            for k in params:
                c.unchanged(f"the parameter {k} (by sample)", before[k], params[k])
        if grads is not None and features.dtype == np.float64:
            rng = np.random.default_rng(seed)
            for k in CAPTION_PARAMS:
                if k in grads:
                    try:
                        _fd(c, k, lambda: model.loss(features, captions)[0], params[k], np.asarray(grads[k]), rng)
                    except (Exception, SystemExit) as e:   # noqa: BLE001 -- the user's code
                        c.fail(f"fd:{k}", f"raised {type(e).__name__}: {e}{where(e)}")
                    params[k][...] = before[k]
    return c.report()


def assert_model_parity(model, X, y, **kwargs):
    """``check_model`` that raises ``ParityError`` listing every failed check."""
    return check_model(model, X, y, **kwargs).raise_if_failed()
