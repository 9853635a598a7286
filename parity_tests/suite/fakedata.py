"""Small datasets for the tests: files in the exact on-disk formats torchvision reads (MNIST IDX
gzip, CIFAR-10 pickle batches), and learnable synthetic images in memory."""
import gzip
import os
import pickle
import struct

import numpy as np

import datasets as D


def write_idx(path, array, compress=True):
    array = np.asarray(array, dtype=np.uint8)
    head = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = head + array.tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(data)


def make_mnist(folder, n_train=20, n_test=10, compress=True, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
              "train-labels-idx1-ubyte": np.arange(n_train) % 10,
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
              "t10k-labels-idx1-ubyte": (np.arange(n_test) * 3) % 10}
    for name, a in arrays.items():
        write_idx(os.path.join(folder, name + (".gz" if compress else "")), a, compress)
    return arrays


def make_cifar(root, n_per_batch=4, seed=0):
    rng = np.random.default_rng(seed)
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder)
    batches = {}
    for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]:
        data = rng.integers(0, 256, (n_per_batch, 3072)).astype(np.uint8)
        labels = list(rng.integers(0, 10, n_per_batch).tolist())
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump({"data": data, "labels": labels, "batch_label": name}, f)
        batches[name] = (data, labels)
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump({"label_names": D.CLASS_NAMES["cifar10"]}, f)
    return batches


def learnable_mnist(folder, n_train=400, n_test=200, seed=0):
    """MNIST-format files whose images are a class template plus noise (so training learns)."""
    rng = np.random.default_rng(seed)
    templates = rng.integers(0, 256, (10, 28, 28))
    os.makedirs(folder, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        y = rng.integers(0, 10, n)
        X = np.clip(0.6 * templates[y] + rng.integers(0, 100, (n, 28, 28)), 0, 255)
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), X)
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), y)
    return folder


def synthetic_images(n_train=600, n_test=300, classes=4, shape=(8, 8), seed=0):
    """The ``training.load_data`` dict for flat models: class templates plus noise, mean-subtracted."""
    rng = np.random.default_rng(seed)
    d = int(np.prod(shape))
    templates = rng.standard_normal((classes, d))
    out = {"classes": [f"class {i}" for i in range(classes)], "image_shape": shape, "source": "synthetic"}
    for split, n in (("train", n_train), ("val", n_test // 2), ("test", n_test)):
        y = np.arange(n) % classes
        out[f"X_{split}"] = templates[y] + 1.5 * rng.standard_normal((n, d))
        out[f"y_{split}"] = y
    return out
