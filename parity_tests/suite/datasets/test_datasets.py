"""Datasets, all offline: tiny files in the exact real formats (MNIST IDX gzip, CIFAR-10 pickle
batches) read by torchvision's real classes; the real Fashion-MNIST when Debian's package is there."""
import os
import time

import numpy as np
import pytest

import datasets as D
from datasets import loaders

from ..fakedata import make_cifar, make_mnist


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PARITY_DATA_ROOT", raising=False)


def snapshot(folder):
    return {os.path.join(d, f): (os.path.getsize(os.path.join(d, f)), os.path.getmtime(os.path.join(d, f)))
            for d, _, fs in os.walk(folder) for f in fs}


def test_mnist_from_a_folder_of_gz_files(tmp_path):
    root = tmp_path / "mine"
    arrays = make_mnist(root)
    before = snapshot(root)
    data = D.load_mnist(str(root))
    assert data["X_train"].shape == (20, 1, 28, 28) and data["X_train"].dtype == np.uint8
    np.testing.assert_array_equal(data["X_train"][:, 0], arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(data["y_test"], arrays["t10k-labels-idx1-ubyte"])
    assert data["y_train"].dtype == np.int64 and data["classes"] == [str(i) for i in range(10)]
    assert snapshot(root) == before                 # nothing written under the user's root
    flat = D.load_mnist(str(root), layout="flat")
    assert flat["X_train"].shape == (20, 784)


def test_torchvision_layout_and_env_var(tmp_path, monkeypatch):
    raw = tmp_path / "tv" / "FashionMNIST" / "raw"
    arrays = make_mnist(raw, compress=False)
    monkeypatch.setenv("PARITY_DATA_ROOT", str(tmp_path / "tv"))
    monkeypatch.setattr(loaders, "DEBIAN_FASHION", str(tmp_path / "nowhere"))
    data = D.load_fashion_mnist()
    np.testing.assert_array_equal(data["X_test"][:, 0], arrays["t10k-images-idx3-ubyte"])
    assert "PARITY_DATA_ROOT" in data["source"]
    assert data["classes"][0] == "T-shirt/top"


def test_cifar10_through_torchvision(tmp_path):
    batches = make_cifar(tmp_path)
    data = D.load_cifar10(str(tmp_path), verify_checksums=False)
    assert data["X_train"].shape == (20, 3, 32, 32) and data["X_test"].shape == (4, 3, 32, 32)
    first = batches["data_batch_1"][0][0].reshape(3, 32, 32)     # CIFAR rows are R plane, G, B
    np.testing.assert_array_equal(data["X_train"][0], first)
    assert data["y_train"][:4].tolist() == batches["data_batch_1"][1]
    assert D.load_cifar10(str(tmp_path), layout="nhwc", verify_checksums=False)["X_train"].shape == (20, 32, 32, 3)
    with pytest.raises(D.DatasetError, match="checksums"):
        D.load_cifar10(str(tmp_path), use_cache=False)


def test_truncated_gz_is_named(tmp_path):
    root = tmp_path / "bad"
    make_mnist(root)
    p = root / "train-images-idx3-ubyte.gz"
    p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(D.DatasetError, match="train-images-idx3-ubyte.gz: truncated or corrupted"):
        D.load_mnist(str(root))


def test_truncated_idx_is_named(tmp_path):
    raw = tmp_path / "tv" / "MNIST" / "raw"
    make_mnist(raw, compress=False)
    p = raw / "t10k-images-idx3-ubyte"
    p.write_bytes(p.read_bytes()[:-50])
    with pytest.raises(D.DatasetError, match=r"t10k-images-idx3-ubyte: truncated or corrupted: \d+ bytes"):
        D.load_mnist(str(tmp_path / "tv"))


def test_truncated_cifar_batch(tmp_path):
    make_cifar(tmp_path)
    p = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(D.DatasetError, match="truncated or corrupted"):
        D.load_cifar10(str(tmp_path), verify_checksums=False)


def test_each_bad_cifar_batch_is_named(tmp_path):
    import pickle
    make_cifar(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    p = folder / "data_batch_3"
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(D.DatasetError, match=r"cifar-10-batches-py/data_batch_3 is truncated or corrupted"):
        D.load_cifar10(str(tmp_path), verify_checksums=False)
    with open(p, "wb") as f:                        # a pickled list, not a batch: named, never an internal error
        pickle.dump([1, 2, 3], f)
    with pytest.raises(D.DatasetError, match=r"cifar-10-batches-py/data_batch_3 is truncated or corrupted"):
        D.load_cifar10(str(tmp_path), verify_checksums=False)


def test_labels_and_dimensions_are_checked_when_loading(tmp_path):
    from ..fakedata import write_idx
    root = tmp_path / "mine"
    make_mnist(root, compress=False)
    write_idx(root / "train-labels-idx1-ubyte", np.full(20, 200), compress=False)
    with pytest.raises(D.DatasetError, match=r"train-labels-idx1-ubyte: labels must lie in \[0, 10\), found 200"):
        D.load_mnist(str(root))
    write_idx(root / "train-labels-idx1-ubyte", np.zeros((20, 2)), compress=False)
    with pytest.raises(D.DatasetError, match=rf"{root / 'train-labels-idx1-ubyte'}: an IDX file of 2 dimensions"):
        D.load_mnist(str(root))                     # the user's file is named, not the staged copy


def test_a_bad_data_root_variable_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("PARITY_DATA_ROOT", str(tmp_path / "typo"))
    with pytest.raises(D.DatasetNotFound, match=r"\$PARITY_DATA_ROOT=.*typo' is not a folder"):
        D.load_fashion_mnist()


def test_a_dangling_link_beside_the_files_is_ignored(tmp_path):
    root = tmp_path / "mine"
    make_mnist(root)
    os.symlink(tmp_path / "nowhere", root / "README")
    assert len(D.load_mnist(str(root))["y_train"]) == 20


def test_not_found_says_what_was_tried(tmp_path, monkeypatch):
    monkeypatch.setattr(loaders, "_download", lambda name: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(D.DatasetNotFound) as err:
        D.load_mnist()
    msg = str(err.value)
    assert "PARITY_DATA_ROOT" in msg and "torchvision download" in msg and "offline" in msg
    assert "train-images-idx3-ubyte.gz" in msg and "mnist" in msg
    monkeypatch.setattr(loaders, "DEBIAN_FASHION", str(tmp_path / "none"))
    with pytest.raises(D.DatasetNotFound, match="apt-get install dataset-fashion-mnist"):
        D.load_fashion_mnist()


def test_wrong_root_and_unknown_name(tmp_path):
    with pytest.raises(D.DatasetNotFound, match="is not a folder"):
        D.load_mnist(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(D.DatasetNotFound, match="no mnist files there"):
        D.load_mnist(str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        D.load("imagenet")


def test_interrupted_cache_write_leaves_nothing_trusted(tmp_path, monkeypatch):
    root = tmp_path / "m"
    make_mnist(root)

    def dying_savez(f, **arrays):
        f.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt
    monkeypatch.setattr(loaders.np, "savez", dying_savez)
    with pytest.raises(KeyboardInterrupt):
        D.load_mnist(str(root))
    monkeypatch.undo()
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "arrays"
    assert not cache.exists() or not any(p.suffix == ".npz" for p in cache.iterdir())
    assert D.load_mnist(str(root))["X_train"].shape == (20, 1, 28, 28)


def test_damaged_cache_is_rebuilt(tmp_path):
    root = tmp_path / "m"
    arrays = make_mnist(root)
    D.load_mnist(str(root))
    (npz,) = (tmp_path / "cache" / "arrays").iterdir()
    npz.write_bytes(b"garbage")
    data = D.load_mnist(str(root))
    np.testing.assert_array_equal(data["X_train"][:, 0], arrays["train-images-idx3-ubyte"])


def test_preprocessing(tmp_path):
    root = tmp_path / "m"
    make_mnist(root, n_train=40)
    d = D.prepare("mnist", str(root), num_val=10, subtract_mean=True, flat=True, bias_trick=True, dev=5)
    assert d["X_train"].shape == (30, 785) and d["X_val"].shape == (10, 785) and d["X_test"].shape == (10, 785)
    np.testing.assert_allclose(d["X_train"][:, :-1].mean(axis=0), 0, atol=1e-12)   # train mean removed
    assert np.all(d["X_train"][:, -1] == 1) and d["X_dev"].shape == (5, 785)
    assert abs(d["X_test"][:, :-1].mean()) > 0          # test uses the train mean, not its own
    s = D.prepare("mnist", str(root), num_val=10, standardize=True)
    assert s["X_train"].shape == (30, 1, 28, 28)
    np.testing.assert_allclose(s["X_train"].std(axis=(0, 2, 3)), 1, rtol=1e-12)
    a = D.prepare("mnist", str(root), num_val=10, split_seed=1)
    b = D.prepare("mnist", str(root), num_val=10, split_seed=1)
    np.testing.assert_array_equal(a["y_val"], b["y_val"])


def test_minibatches():
    X, y = np.arange(10)[:, None].astype(float), np.arange(10)
    a = [b for _, b in D.minibatches(X, y, 4, seed=3)]
    b = [b for _, b in D.minibatches(X, y, 4, seed=3)]
    assert [len(v) for v in a] == [4, 4, 2] and all(np.array_equal(p, q) for p, q in zip(a, b))
    assert sorted(np.concatenate(a).tolist()) == list(range(10))
    assert [len(v) for _, v in D.minibatches(X, y, 4, seed=3, drop_last=True)] == [4, 4]
    assert np.array_equal(np.concatenate([v for _, v in D.minibatches(X, y, 3, shuffle=False)]), y)


def test_sample_grid_png(tmp_path):
    X = np.random.default_rng(0).integers(0, 255, (30, 3, 8, 8))
    y = np.arange(30) % 10
    out = D.save_sample_grid(X, y, D.CLASS_NAMES["cifar10"], str(tmp_path / "grid.png"), per_class=3)
    assert open(out, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not os.path.isdir(loaders.DEBIAN_FASHION),
                    reason="Debian's Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
def test_real_fashion_mnist():
    data = D.load_fashion_mnist()
    assert data["X_train"].shape == (60000, 1, 28, 28) and data["X_test"].shape == (10000, 1, 28, 28)
    assert data["X_train"].dtype == np.uint8 and data["y_train"].dtype == np.int64
    assert np.bincount(data["y_train"]).tolist() == [6000] * 10
    assert np.bincount(data["y_test"]).tolist() == [1000] * 10
    t0 = time.perf_counter()
    D.load_fashion_mnist()                                    # cached
    print(f"cached load of all Fashion-MNIST: {time.perf_counter() - t0:.3f} s")
