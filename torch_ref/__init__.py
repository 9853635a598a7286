"""torch equivalents of every NumPy component, built from the NumPy weights (see ``mirror``)."""
from .layers import FACTORIES, Mirror, mirror
from .mapping import Param, copy_to_numpy, copy_to_torch, to_numpy_dict, torch_dtype

__all__ = ["mirror", "Mirror", "FACTORIES", "Param", "copy_to_torch", "copy_to_numpy",
           "to_numpy_dict", "torch_dtype"]
