"""torch mirror of ``numpy_impl.models.char_lstm.CharLSTM`` (nn.Embedding, nn.LSTM, nn.Linear)."""
import torch
import torch.nn.functional as F
from torch import nn

from .mapping import Param, copy_to_torch, torch_dtype

MAPPING = {"embed.W": Param("embed.weight"), "lstm.Wx": Param("lstm.weight_ih_l0", True),
           "lstm.Wh": Param("lstm.weight_hh_l0", True), "lstm.b": Param("lstm.bias_ih_l0"),
           "head.W": Param("head.weight", True), "head.b": Param("head.bias")}


class TorchCharLSTM(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids, state):
        out, (h, c) = self.lstm(self.embed(ids), (state[0][None], state[1][None]))
        return self.head(out), (h[0].detach(), c[0].detach())

    def loss(self, ids, targets, state):
        scores, new_state = self(ids, state)
        n, t, v = scores.shape
        return F.cross_entropy(scores.reshape(n * t, v), targets.reshape(n * t), reduction="sum") / n, new_state


def mirror_char_lstm(model):
    """The torch model with the NumPy weights copied in (bias_hh_l0 zero: NumPy has one bias)."""
    W = model.named_parameters()
    module = TorchCharLSTM(model.vocab_size, W["embed.W"].shape[1], model.hidden_size).to(torch_dtype(W["lstm.Wx"].dtype))
    with torch.no_grad():
        module.lstm.bias_hh_l0.zero_()
    copy_to_torch(W, module, MAPPING)
    return module
