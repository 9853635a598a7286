from .optimizers import OPTIMIZERS, SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from .schedulers import SCHEDULERS, CosineAnnealingLR, ExponentialLR, LinearWarmup, Scheduler, StepLR

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "OPTIMIZERS", "Scheduler", "StepLR",
           "ExponentialLR", "CosineAnnealingLR", "LinearWarmup", "SCHEDULERS"]
