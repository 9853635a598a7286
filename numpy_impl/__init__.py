"""A from-scratch deep-learning library in NumPy (numpy only: no torch import here)."""
from . import gradcheck, losses
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layers

__all__ = list(_layers) + ["losses", "gradcheck"]
