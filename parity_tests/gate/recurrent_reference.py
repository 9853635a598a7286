"""torch references, in cs231n's layout, for the recurrent functions of its assignment 3
(``rnn_layers.py``) and the recurrent layers of "Deep Learning from Scratch 2" (``time_layers.py``),
which ``parity scan`` checks: autograd does the backward passes.

Layout: ``Wx (D, H)``, ``Wh (H, H)``, ``b (H,)``, batch first; an LSTM's ``Wx (D, 4H)`` holds the
gates in cs231n's order i, f, o, g (``order="ifog"``; the book's is f, g, i, o; torch's ``nn.LSTM``
is i, f, g, o: the convention ``lstm_gates=ifgo``). The initial states are
parameters here (their gradients are compared like any weight's); an LSTM step returns
``next_h`` and ``next_c`` side by side on the last axis, as the adapter joins the user's two outputs.
"""
import torch
from torch import nn

# kind -> the canonical names of the arrays after x, in cs231n's argument order
ARGUMENTS = {"rnn_step": ("prev_h", "Wx", "Wh", "b"), "rnn": ("h0", "Wx", "Wh", "b"),
             "lstm_step": ("prev_h", "prev_c", "Wx", "Wh", "b"), "lstm": ("h0", "Wx", "Wh", "b"),
             "temporal_affine": ("w", "b"), "word_embedding": ("W",)}


def _rnn_step(x, h, Wx, Wh, b):
    return torch.tanh(x @ Wx + h @ Wh + b)


def _lstm_step(x, h, c, Wx, Wh, b, order="ifog"):
    gates = dict(zip(order, (x @ Wx + h @ Wh + b).chunk(4, dim=-1)))
    i, f, o, g = (gates[k] for k in "ifog")
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


class Reference(nn.Module):
    """``kind``'s function of ``x`` with the arrays after it as parameters (shapes from ``arrays``)."""

    def __init__(self, kind, arrays, order="ifog"):
        super().__init__()
        self.kind, self.order = kind, order
        for name, a in zip(ARGUMENTS[kind], arrays):
            self.register_parameter(name, nn.Parameter(torch.zeros(a.shape, dtype=torch.float64)))

    def forward(self, x):
        k, p = self.kind, dict(self.named_parameters())
        if k == "rnn_step":
            return _rnn_step(x, p["prev_h"], p["Wx"], p["Wh"], p["b"])
        if k == "lstm_step":
            return torch.cat(_lstm_step(x, p["prev_h"], p["prev_c"], p["Wx"], p["Wh"], p["b"], self.order), dim=-1)
        if k == "temporal_affine":
            return x @ p["w"] + p["b"]
        if k == "word_embedding":
            return p["W"][x.long()]
        h, c, out = p["h0"], torch.zeros_like(p["h0"]), []
        for t in range(x.shape[1]):
            if k == "rnn":
                h = _rnn_step(x[:, t], h, p["Wx"], p["Wh"], p["b"])
            else:
                h, c = _lstm_step(x[:, t], h, c, p["Wx"], p["Wh"], p["b"], self.order)
            out.append(h)
        return torch.stack(out, dim=1)


def temporal_softmax_loss(mask):
    """cs231n's loss of scores (N, T, V) and labels (N, T): the cross-entropy of the positions where
    ``mask`` is true, summed over time and averaged over the N sequences."""
    m = torch.from_numpy(mask.astype(bool))

    def fn(x, y):
        logp = torch.log_softmax(x, dim=-1).gather(-1, y.long().unsqueeze(-1)).squeeze(-1)
        return -(logp * m.to(logp.dtype)).sum() / x.shape[0]
    return fn
