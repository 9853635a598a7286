"""torch counterparts of the NumPy layers: ``mirror(layer)`` builds the module with the NumPy
parameters (and buffers) copied in and returns ``Mirror(module, params, buffers)``, the mappings
from NumPy names to torch names. Each file here mirrors the NumPy file of the same name."""
from dataclasses import dataclass, field

import torch
from torch import nn

import numpy_impl.layers as L

from ..mapping import Param, copy_to_torch, torch_dtype
from . import activations, conv, dropout, linear, norm, pool
from . import activations_extra, attention, conv_extra, norm_extra, pool_extra, recurrent

FACTORIES = {
    L.Linear: linear.linear, L.Flatten: linear.flatten,
    L.ReLU: activations.relu, L.LeakyReLU: activations.leaky_relu,
    L.Sigmoid: activations.sigmoid, L.Tanh: activations.tanh,
    L.Conv2d: conv.conv2d, L.Conv2dNaive: conv.conv2d,
    L.MaxPool2d: pool.max_pool2d, L.AvgPool2d: pool.avg_pool2d,
    L.BatchNorm1d: norm.batch_norm, L.BatchNorm2d: norm.batch_norm, L.LayerNorm: norm.layer_norm,
    L.Dropout: dropout.dropout,
}
FACTORIES.update({
    L.GELU: activations_extra.gelu, L.ELU: activations_extra.elu, L.SELU: activations_extra.selu,
    L.SiLU: activations_extra.silu, L.Softplus: activations_extra.softplus,
    L.Softmax: activations_extra.softmax, L.LogSoftmax: activations_extra.log_softmax,
    L.Mish: activations_extra.mish, L.Softsign: activations_extra.softsign, L.Hardtanh: activations_extra.hardtanh,
    L.ReLU6: activations_extra.relu6, L.Hardswish: activations_extra.hardswish,
    L.Hardsigmoid: activations_extra.hardsigmoid, L.PReLU: activations_extra.prelu,
    L.GroupNorm: norm_extra.group_norm, L.InstanceNorm2d: norm_extra.instance_norm2d,
    L.Conv1d: conv_extra.conv1d, L.ConvTranspose2d: conv_extra.conv_transpose2d,
    L.AdaptiveAvgPool2d: pool_extra.adaptive_avg_pool2d, L.GlobalAvgPool2d: pool_extra.global_avg_pool2d,
    L.Upsample: pool_extra.upsample,
    L.Embedding: recurrent.embedding, L.TemporalAffine: recurrent.temporal_affine,
    L.RNN: recurrent.rnn, L.LSTM: recurrent.lstm, L.GRU: recurrent.gru,
    L.ScaledDotProductAttention: attention.sdpa, L.MultiheadAttention: attention.multihead_attention,
    L.TransformerEncoderLayer: attention.transformer_encoder_layer, L.PositionalEncoding: attention.positional_encoding,
})


@dataclass
class Mirror:
    module: nn.Module
    params: dict = field(default_factory=dict)
    buffers: dict = field(default_factory=dict)


def build(layer):
    """The torch module for ``layer`` and the name mappings (``Mirror``), weights not yet copied."""
    if isinstance(layer, L.Sequential):          # models are Sequential too
        modules, params, buffers = [], {}, {}
        for i, child in enumerate(layer.layers):
            m = build(child)
            modules.append(m.module)
            params.update({f"{i}.{k}": Param(f"{i}.{p.torch_name}", p.transpose) for k, p in m.params.items()})
            buffers.update({f"{i}.{k}": Param(f"{i}.{p.torch_name}", p.transpose) for k, p in m.buffers.items()})
        return Mirror(nn.Sequential(*modules), params, buffers)
    # a user's subclass (say a hand-written Linear with its own backward) mirrors as its base class
    factory = next((FACTORIES[c] for c in type(layer).__mro__ if c in FACTORIES), None)
    if factory is None:
        raise TypeError(f"no torch mirror for {type(layer).__name__}: add a factory to torch_ref.layers.FACTORIES")
    module, params = factory(layer)
    params = {k: v for k, v in params.items() if k in layer.params}
    buffers = {k: Param(k) for k in layer.buffers}
    return Mirror(module, params, buffers)


def mirror(layer, dtype=None):
    """torch module equal to the NumPy ``layer``, parameters and buffers copied in, same mode."""
    m = build(layer)
    arrays = list(layer.named_parameters().values()) + list(layer.named_buffers().values())
    dtype = dtype or (arrays[0].dtype if arrays else "float64")
    m.module.to(torch_dtype(dtype))
    copy_to_torch(layer.named_parameters(), m.module, m.params)
    copy_to_torch(layer.named_buffers(), m.module, m.buffers)
    m.module.train(layer.training)
    return m


__all__ = ["mirror", "build", "Mirror", "FACTORIES", "Param", "torch"]
