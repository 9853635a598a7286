"""Datasets that lie: labels fewer than images, a readable cache made from something else, a cache
that cannot be written, a cache path that is a file."""
import glob
import os

import numpy as np
import pytest

import datasets as D
from datasets import loaders

from ..fakedata import make_mnist, write_idx


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PARITY_DATA_ROOT", raising=False)


def test_fewer_labels_than_images_is_named(tmp_path):
    root = tmp_path / "mine"
    make_mnist(root, n_train=40)
    write_idx(os.path.join(root, "train-labels-idx1-ubyte.gz"), np.arange(23) % 10)
    with pytest.raises(D.DatasetError, match="train split has 40 images but 23 labels"):
        D.load_mnist(str(root))


def test_a_wrong_but_readable_cache_is_rebuilt(tmp_path):
    root = tmp_path / "mine"
    arrays = make_mnist(root)
    D.load_mnist(str(root))
    (cache,) = glob.glob(str(tmp_path / "cache" / "arrays" / "*.npz"))
    with np.load(cache) as z:
        kept = {k: z[k] for k in z.files}
    kept["y_train"] = np.zeros_like(kept["y_train"])            # same shape and dtype, other content
    np.savez(cache, **kept)
    data = D.load_mnist(str(root))
    np.testing.assert_array_equal(data["y_train"], arrays["train-labels-idx1-ubyte"])
    assert "cached" not in data["source"]
    np.savez(cache, X_train=np.zeros((3, 28, 28), np.uint8), y_train=np.zeros(3, np.int64),   # no header
             X_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.int64))
    np.testing.assert_array_equal(D.load_mnist(str(root))["y_train"], arrays["train-labels-idx1-ubyte"])


def test_an_unwritable_cache_falls_back_to_memory(tmp_path, monkeypatch):
    root = tmp_path / "mine"
    arrays = make_mnist(root)

    def full_disk(dest, write):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(loaders, "atomic_write", full_disk)
    with pytest.warns(RuntimeWarning, match="No space left on device"):
        data = D.load_mnist(str(root))
    np.testing.assert_array_equal(data["X_train"][:, 0], arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(data["y_test"], arrays["t10k-labels-idx1-ubyte"])


def test_cache_path_that_is_a_file(tmp_path, monkeypatch):
    make_mnist(tmp_path / "mine")
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "afile"))
    with pytest.raises(D.DatasetError, match=r"\$PARITY_CACHE=.*afile.* is a file, expected a folder"):
        D.load_mnist(str(tmp_path / "mine"))


def test_cifar_advice_names_the_cli_option(tmp_path):
    from ..fakedata import make_cifar
    make_cifar(tmp_path / "c")
    with pytest.raises(D.DatasetError, match="--no-verify-checksums"):
        D.load_cifar10(str(tmp_path / "c"))
    assert D.load_cifar10(str(tmp_path / "c"), verify_checksums=False)["X_train"].shape == (20, 3, 32, 32)
