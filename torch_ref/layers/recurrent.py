"""torch mirrors of ``numpy_impl.layers.recurrent``.

The recurrent modules return the output sequence only (the NumPy layers return every hidden
state; the final states are ``out[:, -1]`` and ``c_n``). Wx (D, G*H) is ``weight_ih_l0.T``, Wh
``weight_hh_l0.T``, b ``bias_ih_l0``; without a NumPy ``bh``, ``bias_hh_l0`` is zeroed here and
stays zero (it is not a NumPy parameter, so it is never copied and never compared).
"""
import torch
from torch import nn

from ..mapping import Param


class RNNOutput(nn.RNN):
    def forward(self, x, hx=None):
        return super().forward(x, hx)[0]


class LSTMOutput(nn.LSTM):
    def forward(self, x, hx=None):
        return super().forward(x, hx)[0]


class GRUOutput(nn.GRU):
    def forward(self, x, hx=None):
        return super().forward(x, hx)[0]


_MAP = {"Wx": Param("weight_ih_l0", True), "Wh": Param("weight_hh_l0", True), "b": Param("bias_ih_l0"),
        "bh": Param("bias_hh_l0")}


def _recurrent(cls, layer, **kw):
    module = cls(layer.input_size, layer.hidden_size, batch_first=True, bias=layer.bias, **kw)
    if layer.bias and "bh" not in layer.params:
        with torch.no_grad():
            module.bias_hh_l0.zero_()
    return module, dict(_MAP)


def rnn(layer):
    return _recurrent(RNNOutput, layer, nonlinearity=layer.nonlinearity)


def lstm(layer):
    return _recurrent(LSTMOutput, layer)


def gru(layer):
    return _recurrent(GRUOutput, layer)


def embedding(layer):
    return nn.Embedding(layer.num_embeddings, layer.embedding_dim, padding_idx=layer.padding_idx), {"W": Param("weight")}


def temporal_affine(layer):
    module = nn.Linear(layer.in_features, layer.out_features, bias="b" in layer.params)
    return module, {"W": Param("weight", True), "b": Param("bias")}
