"""MNIST, Fashion-MNIST and CIFAR-10 through torchvision's loaders, as NumPy arrays."""
from .loaders import (CLASS_NAMES, DatasetError, DatasetNotFound, load, load_cifar10, load_fashion_mnist,
                      load_mnist, load_raw)
from .preprocess import (add_bias_column, channel_stats, flatten, mean_image, minibatches, prepare,
                         save_sample_grid, subset, to_float, train_val_split)

__all__ = ["load", "load_raw", "load_mnist", "load_fashion_mnist", "load_cifar10", "CLASS_NAMES", "DatasetError",
           "DatasetNotFound", "prepare", "train_val_split", "subset", "to_float", "mean_image", "channel_stats",
           "flatten", "add_bias_column", "minibatches", "save_sample_grid"]
