"""torch mirrors of ``numpy_impl.layers.attention``."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..mapping import Param

MHA_MAP = {"W_in": Param("in_proj_weight", True), "b_in": Param("in_proj_bias"),
           "W_out": Param("out_proj.weight", True), "b_out": Param("out_proj.bias")}


class SDPA(nn.Module):
    def __init__(self, is_causal=False, scale=None):
        super().__init__()
        self.is_causal, self.scale = is_causal, scale

    def forward(self, q, k=None, v=None, attn_mask=None):
        k = q if k is None else k
        v = k if v is None else v
        return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=self.is_causal, scale=self.scale)


class MHAOutput(nn.MultiheadAttention):
    """Self-attention by default; returns the output only (need_weights=False)."""

    def forward(self, query, key=None, value=None, key_padding_mask=None, attn_mask=None):
        key = query if key is None else key
        value = key if value is None else value
        return super().forward(query, key, value, key_padding_mask=key_padding_mask, need_weights=False,
                               attn_mask=attn_mask)[0]


class SinusoidalPE(nn.Module):
    """The PyTorch tutorial's positional encoding (exp/log form of 10000^(-2i/d)), batch first."""

    def __init__(self, d_model, max_len):
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term[: d_model // 2])
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x):
        return x + self.pe[: x.shape[1]].to(x.dtype)


def sdpa(layer):
    return SDPA(layer.is_causal, layer.scale), {}


def multihead_attention(layer):
    return MHAOutput(layer.embed_dim, layer.num_heads, bias=layer.bias, batch_first=True), dict(MHA_MAP)


def transformer_encoder_layer(layer):
    module = nn.TransformerEncoderLayer(layer.d_model, layer.nhead, layer.dim_feedforward, dropout=0.0,
                                        activation=layer.activation, layer_norm_eps=layer.layer_norm_eps,
                                        batch_first=True, norm_first=layer.norm_first)
    params = {f"self_attn.{k}": Param(f"self_attn.{p.torch_name}", p.transpose) for k, p in MHA_MAP.items()}
    for lin in ("linear1", "linear2"):
        params[f"{lin}.W"], params[f"{lin}.b"] = Param(f"{lin}.weight", True), Param(f"{lin}.bias")
    for norm in ("norm1", "norm2"):
        params[f"{norm}.gamma"], params[f"{norm}.beta"] = Param(f"{norm}.weight"), Param(f"{norm}.bias")
    return module, params


def positional_encoding(layer):
    return SinusoidalPE(layer.d_model, layer.max_len), {}
