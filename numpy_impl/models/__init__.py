from .nets import (MODELS, ConvNet, FullyConnectedNet, LinearClassifier, Model, TwoLayerNet, architecture,
                   build_model)

__all__ = ["Model", "FullyConnectedNet", "TwoLayerNet", "ConvNet", "LinearClassifier", "MODELS", "architecture",
           "build_model"]
