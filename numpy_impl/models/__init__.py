from .nets import MODELS, ConvNet, FullyConnectedNet, LinearClassifier, Model, TwoLayerNet

__all__ = ["Model", "FullyConnectedNet", "TwoLayerNet", "ConvNet", "LinearClassifier", "MODELS"]
