"""NumPy layers, one interface (see ``base.Layer``)."""
from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .activations_extra import (ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, LogSoftmax, Mish, PReLU, ReLU6, SiLU,
                               Softmax, Softplus, Softsign)
from .attention import (MultiheadAttention, PositionalEncoding, ScaledDotProductAttention,
                        TransformerEncoderLayer)
from .base import Layer
from .container import Sequential
from .conv import Conv2d, Conv2dNaive
from .conv_extra import Conv1d, ConvTranspose2d
from .dropout import Dropout
from .linear import Flatten, Linear
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .norm_extra import GroupNorm, InstanceNorm2d
from .pool import AvgPool2d, MaxPool2d
from .pool_extra import AdaptiveAvgPool2d, GlobalAvgPool2d, Upsample
from .recurrent import GRU, LSTM, RNN, Embedding, TemporalAffine

__all__ = ["Layer", "Linear", "Flatten", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Sequential",
           "Conv2d", "Conv2dNaive", "MaxPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d",
           "LayerNorm", "Dropout"]
__all__ += ["GELU", "ELU", "SELU", "SiLU", "Softplus", "Softmax", "LogSoftmax", "GroupNorm", "InstanceNorm2d",
            "Conv1d", "ConvTranspose2d", "AdaptiveAvgPool2d", "GlobalAvgPool2d", "Upsample", "Embedding",
            "TemporalAffine", "RNN", "LSTM", "GRU", "ScaledDotProductAttention", "MultiheadAttention",
            "TransformerEncoderLayer", "PositionalEncoding", "Mish", "Softsign", "Hardtanh", "ReLU6", "Hardswish",
            "Hardsigmoid", "PReLU"]
