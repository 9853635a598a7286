"""A character-level LSTM language model trained with truncated backpropagation through time.

ids (N, T) -> Embedding (V, D) -> LSTM (D, H) -> TemporalAffine (H, V) -> scores (N, T, V); the
loss is ``temporal_softmax_loss`` against the next characters (summed over steps, divided by N).
``loss(ids, targets, state)`` returns ``(loss, grads, new_state)``: the final (h, c) of this chunk
is the initial state of the next, carried forward as plain values (no gradient flows across the
chunk boundary: that is the truncation).

Parameters (flat names): embed.W (V, D); lstm.Wx (D, 4H), lstm.Wh (H, 4H), lstm.b (4H,) (gate
order i, f, g, o; see ``layers.recurrent``); head.W (H, V), head.b (V,).
"""
import numpy as np

from ..checks import check_count
from ..rng import as_rng
from ..layers.recurrent import LSTM, Embedding, TemporalAffine
from ..losses_extra import temporal_softmax_loss


class CharLSTM:
    def __init__(self, vocab_size, embed_dim=16, hidden_size=32, rng=None, dtype=np.float64):
        rng = as_rng(rng)
        self.vocab_size, self.hidden_size = int(vocab_size), int(hidden_size)
        self.embed = Embedding(vocab_size, embed_dim, rng=rng, dtype=dtype)
        self.lstm = LSTM(embed_dim, hidden_size, rng=rng, dtype=dtype)
        self.lstm.params["b"][self.hidden_size:2 * self.hidden_size] = 1.0     # forget-gate bias 1
        self.head = TemporalAffine(hidden_size, vocab_size, rng=rng, dtype=dtype)
        self.parts = {"embed": self.embed, "lstm": self.lstm, "head": self.head}

    def named_parameters(self):
        return {f"{p}.{k}": v for p, layer in self.parts.items() for k, v in layer.params.items()}

    def named_grads(self):
        return {f"{p}.{k}": v for p, layer in self.parts.items() for k, v in layer.grads.items()}

    def named_buffers(self):
        return {}

    def zero_state(self, n):
        dtype = self.lstm.params["Wx"].dtype
        return np.zeros((n, self.hidden_size), dtype=dtype), np.zeros((n, self.hidden_size), dtype=dtype)

    def scores(self, ids, state=None):
        h0, c0 = state if state is not None else self.zero_state(np.asarray(ids).shape[0])
        return self.head.forward(self.lstm.forward(self.embed.forward(ids), h0=h0, c0=c0))

    def loss(self, ids, targets, state=None):
        scores = self.scores(ids, state)
        loss, dscores = temporal_softmax_loss(scores, targets)
        self.embed.backward(self.lstm.backward(self.head.backward(dscores)))
        return loss, self.named_grads(), (self.lstm.h_n.copy(), self.lstm.c_n.copy())

    def sample(self, start_id, length, rng=None, state=None):
        """Draw ``length`` characters after ``start_id``, each from the softmax of the scores."""
        length = check_count("CharLSTM.sample", "length", length, 0)
        rng = as_rng(rng)
        ids, out = np.array([[start_id]]), []
        for _ in range(length):
            s = self.scores(ids, state)[0, -1]
            state = (self.lstm.h_n, self.lstm.c_n)
            p = np.exp(s - s.max())
            ids = np.array([[rng.choice(self.vocab_size, p=p / p.sum())]])
            out.append(int(ids[0, 0]))
        return out
