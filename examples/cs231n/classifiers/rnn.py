"""cs231n assignment 3: the image-captioning network. Image features (N, D) give the first hidden
state through an affine projection; the caption's words, embedded, run through a vanilla RNN or
an LSTM; an affine layer at every step scores the vocabulary; the loss is the softmax over the
next word, masked where the caption is padding (<NULL>)."""
import numpy as np

from ..layers import affine_backward, affine_forward
from ..rnn_layers import (lstm_backward, lstm_forward, rnn_backward, rnn_forward, temporal_affine_backward,
                          temporal_affine_forward, temporal_softmax_loss, word_embedding_backward,
                          word_embedding_forward)


class CaptioningRNN:
    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128, hidden_dim=128, cell_type="rnn",
                 dtype=np.float32):
        if cell_type not in {"rnn", "lstm"}:
            raise ValueError(f'Invalid cell_type "{cell_type}"')
        self.cell_type, self.dtype = cell_type, dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self.params = {}
        vocab_size = len(word_to_idx)
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        self.params["W_embed"] = np.random.randn(vocab_size, wordvec_dim) / 100
        self.params["W_proj"] = np.random.randn(input_dim, hidden_dim) / np.sqrt(input_dim)
        self.params["b_proj"] = np.zeros(hidden_dim)
        dim_mul = {"lstm": 4, "rnn": 1}[cell_type]
        self.params["Wx"] = np.random.randn(wordvec_dim, dim_mul * hidden_dim) / np.sqrt(wordvec_dim)
        self.params["Wh"] = np.random.randn(hidden_dim, dim_mul * hidden_dim) / np.sqrt(hidden_dim)
        self.params["b"] = np.zeros(dim_mul * hidden_dim)
        self.params["W_vocab"] = np.random.randn(hidden_dim, vocab_size) / np.sqrt(hidden_dim)
        self.params["b_vocab"] = np.zeros(vocab_size)
        for k, v in self.params.items():
            self.params[k] = v.astype(self.dtype)

    def loss(self, features, captions):
        """features: (N, D), captions: (N, T) integer word ids, <START> first -> (loss, grads)."""
        captions_in, captions_out = captions[:, :-1], captions[:, 1:]
        mask = captions_out != self._null
        p = self.params
        h0, cache_proj = affine_forward(features, p["W_proj"], p["b_proj"])
        x, cache_embed = word_embedding_forward(captions_in, p["W_embed"])
        forward, backward = (rnn_forward, rnn_backward) if self.cell_type == "rnn" else (lstm_forward, lstm_backward)
        h, cache_rnn = forward(x, h0, p["Wx"], p["Wh"], p["b"])
        scores, cache_scores = temporal_affine_forward(h, p["W_vocab"], p["b_vocab"])
        loss, dscores = temporal_softmax_loss(scores, captions_out, mask)

        grads = {}
        dh, grads["W_vocab"], grads["b_vocab"] = temporal_affine_backward(dscores, cache_scores)
        dx, dh0, grads["Wx"], grads["Wh"], grads["b"] = backward(dh, cache_rnn)
        grads["W_embed"] = word_embedding_backward(dx, cache_embed)
        _, grads["W_proj"], grads["b_proj"] = affine_backward(dh0, cache_proj)
        return loss, grads

    def sample(self, features, max_length=30):
        """Greedy captions (N, max_length) for image features (N, D)."""
        N = features.shape[0]
        captions = self._null * np.ones((N, max_length), dtype=np.int32)
        p = self.params
        h = features @ p["W_proj"] + p["b_proj"]
        c = np.zeros_like(h)
        word = np.full(N, self._start)
        for t in range(max_length):
            a = p["W_embed"][word] @ p["Wx"] + h @ p["Wh"] + p["b"]
            if self.cell_type == "rnn":
                h = np.tanh(a)
            else:
                H = h.shape[1]
                i, f, o = (1 / (1 + np.exp(-a[:, k * H:(k + 1) * H])) for k in range(3))
                c = f * c + i * np.tanh(a[:, 3 * H:])
                h = o * np.tanh(c)
            word = np.argmax(h @ p["W_vocab"] + p["b_vocab"], axis=1)
            captions[:, t] = word
        return captions
