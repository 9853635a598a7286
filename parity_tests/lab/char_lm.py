"""A character-level LSTM language model trained in NumPy with its torch mirror in lockstep:
truncated BPTT over parallel streams of text, the same chunks on both sides, the hidden state
carried from chunk to chunk, gradients clipped by norm, Adam; the drift (largest
|NumPy - torch| / max|torch| over every parameter) recorded after every step.

Text: Debian's word list (``apt-get install wamerican``: /usr/share/dict/words), lower-cased,
one word a line; without it, generated pseudo-words (syllables drawn from a fixed seed).
"""
import os

import numpy as np
import torch

import numpy_impl.optim as no
from numpy_impl.models.char_lstm import CharLSTM
from torch_ref.char_lstm import MAPPING, mirror_char_lstm
from torch_ref.mapping import to_numpy_dict

WORDS = "/usr/share/dict/words"


def corpus(n_chars=20000, seed=0, path=WORDS):
    """(text, source): words from ``path`` if it exists (every 7th word from a seeded offset,
    ASCII letters only), else generated pseudo-words."""
    rng = np.random.default_rng(seed)
    if path and os.path.exists(path):
        words = [w.strip().lower() for w in open(path, encoding="utf-8", errors="ignore")]
        words = [w for w in words if w.isascii() and w.isalpha()]
        start = int(rng.integers(0, 7))
        text = "\n".join(words[start::7])
        source = path
    else:
        syll = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "qu", "ex", "an", "or", "st", "th", "ing"]
        text = "\n".join("".join(rng.choice(syll, int(rng.integers(1, 5)))) for _ in range(n_chars // 4))
        source = "generated"
    return text[:n_chars], source


def encode(text):
    chars = sorted(set(text))
    index = {ch: i for i, ch in enumerate(chars)}
    return np.array([index[ch] for ch in text], dtype=np.int64), chars


def chunks(ids, batch, steps, seq_len):
    """Truncated BPTT batches: ``batch`` parallel streams, consecutive chunks of ``seq_len`` (inputs,
    next-character targets, reset) -- reset is True when the streams wrap around to their start."""
    per = (len(ids) - 1) // batch
    streams = ids[: per * batch + 1]
    x = np.stack([streams[i * per:(i + 1) * per] for i in range(batch)])
    y = np.stack([streams[i * per + 1:(i + 1) * per + 1] for i in range(batch)])
    n_chunks = per // seq_len
    for s in range(steps):
        k = s % n_chunks
        yield x[:, k * seq_len:(k + 1) * seq_len], y[:, k * seq_len:(k + 1) * seq_len], k == 0


def lockstep_char_lm(steps=300, batch=8, seq_len=16, embed_dim=16, hidden_size=32, lr=5e-3, clip=5.0, seed=0,
                     dtype=np.float64, text=None):
    """Train both for ``steps`` chunks; returns (history, info). Each history record: step, NumPy
    and torch loss, total gradient norm (both), and the parameter drift with its worst parameter.
    torch runs on one thread here (its threads only contend on these tiny matrices)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _lockstep(steps, batch, seq_len, embed_dim, hidden_size, lr, clip, seed, dtype, text)
    finally:
        torch.set_num_threads(threads)


def _lockstep(steps, batch, seq_len, embed_dim, hidden_size, lr, clip, seed, dtype, text):
    text, source = corpus(seed=seed) if text is None else (text, "given")
    ids, chars = encode(text)
    model = CharLSTM(len(chars), embed_dim, hidden_size, rng=np.random.default_rng(seed), dtype=dtype)
    module = mirror_char_lstm(model)
    params = model.named_parameters()
    opt = no.Adam(params, lr=lr)
    tparams = dict(module.named_parameters())
    tlist = [tparams[p.torch_name] for p in MAPPING.values()]      # not bias_hh_l0: held at zero
    topt = torch.optim.Adam(tlist, lr=lr)
    history = []
    state = tstate = None
    for step, (xb, yb, reset) in enumerate(chunks(ids, batch, steps, seq_len), start=1):
        if reset or state is None:
            state = model.zero_state(batch)
            tstate = tuple(torch.tensor(s) for s in state)
        loss, grads, state = model.loss(xb, yb, state)
        norm = no.clip_grad_norm_(grads, clip)
        opt.step(grads)
        topt.zero_grad()
        tloss, tstate = module.loss(torch.from_numpy(xb), torch.from_numpy(yb), tstate)
        tloss.backward()
        tnorm = torch.nn.utils.clip_grad_norm_(tlist, clip)
        topt.step()
        ref = to_numpy_dict(module, MAPPING)
        drifts = {k: float(np.max(np.abs(params[k] - ref[k])) / max(float(np.max(np.abs(ref[k]))), 1e-300))
                  for k in ref}
        worst = max(drifts, key=drifts.get)
        history.append({"step": step, "loss": float(loss), "torch_loss": tloss.item(), "grad_norm": float(norm),
                        "torch_grad_norm": float(tnorm), "drift": drifts[worst], "worst": worst})
    return history, {"source": source, "vocab": len(chars), "chars": len(ids)}


DRIFT_LIMIT = 1e-8


def run_command(args):
    from ..options import output_files_in, output_path
    from .plots import curves
    from .presets import write_json
    out = output_path(args.out, "--out", folder=True)
    if out:
        output_files_in(out, ("history.json", "curves.png"))
    history, info = lockstep_char_lm(steps=args.steps, seed=args.seed, dtype=np.dtype(args.dtype).type)
    worst = max(history, key=lambda h: h["drift"])
    loss_diff = max(abs(h["loss"] - h["torch_loss"]) / max(abs(h["torch_loss"]), 1e-300) for h in history)
    first, last = history[0]["loss"], float(np.mean([h["loss"] for h in history[-10:]]))
    print(f"char LSTM on {info['source']} ({info['chars']} characters, vocabulary {info['vocab']}), "
          f"{args.steps} steps of truncated BPTT, {args.dtype}")
    print(f"loss per chunk {first:.2f} -> {last:.2f} (mean of the last 10); largest drift {worst['drift']:.2e} "
          f"(in '{worst['worst']}', step {worst['step']}), largest relative loss difference {loss_diff:.1e}")
    gated = args.dtype == "float64"         # float32 drift is reported, not gated
    over = next((h for h in history if h["drift"] > DRIFT_LIMIT), None) if gated else None
    if out:
        write_json(os.path.join(out, "history.json"), {"info": info, "steps": args.steps, "dtype": args.dtype,
                                                       "max_drift": worst["drift"], "history": history})
        curves({"loss": [h["loss"] for h in history], "loss torch": [h["torch_loss"] for h in history]},
               os.path.join(out, "curves.png"), xlabel="step (chunk)", ylabel="loss per chunk",
               title="Character LSTM, truncated BPTT, NumPy and torch in lockstep (dashed)")
        print(f"wrote {out}/history.json and curves.png")
    if over:
        print(f"DRIFT EXCEEDS {DRIFT_LIMIT:.0e}: first at step {over['step']}, in '{over['worst']}' "
              f"({over['drift']:.2e})")
    return 1 if over else 0


def add_command(sub):
    from ..options import count
    c = sub.add_parser("char-lm", help="a character-level LSTM trained in lockstep with its torch mirror",
                       description="Truncated BPTT over Debian's word list (or generated text), Adam and gradient "
                                   "clipping on both sides; exit 1 when the float64 drift passes 1e-8.")
    c.add_argument("--steps", type=count(1), default=300, help="chunks to train on (default 300)")
    c.add_argument("--seed", type=count(0), default=0)
    c.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    c.add_argument("--out", help="folder for history.json and curves.png")
    c.set_defaults(func=run_command)
