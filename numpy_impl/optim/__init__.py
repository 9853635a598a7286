from .optimizers import OPTIMIZERS, SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from .schedulers import SCHEDULERS, CosineAnnealingLR, ExponentialLR, LinearWarmup, Scheduler, StepLR

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "OPTIMIZERS", "Scheduler", "StepLR",
           "ExponentialLR", "CosineAnnealingLR", "LinearWarmup", "SCHEDULERS"]
from .extra import (CLIPPERS, Adadelta, Adamax, LambdaLR, NAdam, OneCycleLR, RAdam,  # noqa: E402
                    ReduceLROnPlateau, clip_grad_norm_, clip_grad_value_)

OPTIMIZERS.update({"adadelta": Adadelta, "adamax": Adamax, "nadam": NAdam, "radam": RAdam})
__all__ += ["Adadelta", "Adamax", "NAdam", "RAdam", "LambdaLR", "OneCycleLR", "ReduceLROnPlateau",
            "clip_grad_norm_", "clip_grad_value_", "CLIPPERS"]
