"""MNIST, Fashion-MNIST and CIFAR-10 through torchvision's own dataset classes, as NumPy arrays.

Where the data is looked for:

1. ``root`` given by the caller: a torchvision root (``<root>/MNIST/raw/...``,
   ``<root>/cifar-10-batches-py/...``) or a folder holding the raw files themselves
   (``train-images-idx3-ubyte.gz`` ...). Given, it is the only place looked.

Otherwise, in order (the first that works wins):

2. the environment variable ``PARITY_DATA_ROOT`` (same two forms; set to a folder that does not
   exist, it is an error, not a fall-through);
3. for Fashion-MNIST, Debian's ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``);
4. torchvision's own download into the cache folder, when the network allows it.

Folders of raw files are staged (copied, decompressed) into the cache folder
(``PARITY_CACHE`` or ``~/.cache/numpy-torch-parity``); nothing under the caller's root or the system
copy is ever written. The parsed arrays are cached as ``.npz`` for fast reloads. Every file is
written to a temporary name and renamed, so an interrupted run never leaves a half-written file that
a later run trusts. When nothing works, ``DatasetNotFound`` says what was tried and how to get the data.
"""
import gzip
import hashlib
import json
import os
import pickle
import shutil
import warnings
import zlib

import numpy as np

from numpy_impl.atomic import atomic_write

DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"
ENV_ROOT = "PARITY_DATA_ROOT"
ENV_CACHE = "PARITY_CACHE"

IDX_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
CIFAR_FILES = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
               "batches.meta"]

CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                      "Ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
}
ALIASES = {"mnist": "mnist", "fashion-mnist": "fashion-mnist", "fashion_mnist": "fashion-mnist",
           "fashionmnist": "fashion-mnist", "cifar10": "cifar10", "cifar-10": "cifar10", "cifar_10": "cifar10"}


class DatasetError(RuntimeError):
    """A dataset file exists but cannot be read (truncated, corrupted)."""


class DatasetNotFound(FileNotFoundError):
    """No source worked; the message lists every place tried and how to obtain the data."""


def canonical(name):
    key = str(name).lower()
    if key not in ALIASES:
        raise ValueError(f"unknown dataset {name!r}; choose from 'mnist', 'fashion-mnist', 'cifar10'")
    return ALIASES[key]


def cache_dir():
    folder = os.environ.get(ENV_CACHE) or os.path.join(os.path.expanduser("~"), ".cache", "numpy-torch-parity")
    if os.path.exists(folder) and not os.path.isdir(folder):
        where = f"${ENV_CACHE}={folder!r}" if os.environ.get(ENV_CACHE) else f"the cache folder {folder!r}"
        raise DatasetError(f"{where} is a file, expected a folder (set {ENV_CACHE} to a folder)")
    return folder


# ---------------------------------------------------------------- IDX (MNIST family)
def _tv_class(name):
    import torchvision.datasets as tvd
    return {"mnist": tvd.MNIST, "fashion-mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[name]


def _check_idx(path, name=None):
    """Header and length of an uncompressed IDX file; a truncated file is named (as ``name``: the
    user's file a staged copy came from)."""
    name = name or path
    with open(path, "rb") as f:
        head = f.read(4)
        if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] != 0x08:
            raise DatasetError(f"{name}: not an IDX file of unsigned bytes (bad magic {head!r})")
        ndim = head[3]
        dims = np.frombuffer(f.read(4 * ndim), dtype=">u4")
    if len(dims) != ndim:
        raise DatasetError(f"{name}: truncated IDX header")
    want = 1 if "labels" in os.path.basename(path) else 3 if "images" in os.path.basename(path) else ndim
    if ndim != want:
        raise DatasetError(f"{name}: an IDX file of {ndim} dimensions {tuple(int(d) for d in dims)}, expected {want} "
                           f"({'one label per sample' if want == 1 else 'samples x rows x columns'})")
    if len(dims) and int(dims[0]) == 0:
        raise DatasetError(f"{name}: holds 0 samples (its IDX header says {tuple(int(d) for d in dims)})")
    expected = 4 + 4 * ndim + int(np.prod(dims))
    size = os.path.getsize(path)
    if size != expected:
        raise DatasetError(f"{name}: truncated or corrupted: {size} bytes"
                           f"{' decompressed' if name != path and str(name).endswith('.gz') else ''}, "
                           f"the header promises {expected}")


def _find_raw(folder):
    """Map each IDX name to a file in ``folder`` (plain or .gz), or None if any is missing."""
    found = {}
    for base in IDX_FILES:
        for cand in (base, base + ".gz"):
            p = os.path.join(folder, cand)
            if os.path.isfile(p):
                found[base] = p
                break
        else:
            return None
    return found


def _stage_idx(files, dest):
    """Copy / decompress raw IDX files into ``dest`` (torchvision's raw folder), atomically."""
    for base, src in files.items():
        out = os.path.join(dest, base)
        if os.path.exists(out) and os.path.getsize(out) > 0:
            try:
                _check_idx(out)
                continue
            except DatasetError:
                pass                              # a stale or damaged staged copy: redo it

        def write(f, src=src):
            try:
                if src.endswith(".gz"):
                    with gzip.open(src, "rb") as g:
                        shutil.copyfileobj(g, f)
                else:
                    with open(src, "rb") as g:
                        shutil.copyfileobj(g, f)
            except (EOFError, OSError, zlib.error) as exc:
                raise DatasetError(f"{src}: truncated or corrupted ({type(exc).__name__}: {exc})") from None
        atomic_write(out, write)
        _check_idx(out, src)                       # errors name the user's file, not the staged copy


def _load_idx_dataset(name, tv_root):
    """Load through torchvision's MNIST / FashionMNIST from a torchvision root."""
    cls = _tv_class(name)
    raw = os.path.join(tv_root, cls.__name__, "raw")
    for base in IDX_FILES:
        p = os.path.join(raw, base)
        if os.path.exists(p):
            _check_idx(p)
    out = {}
    for split, train in (("train", True), ("test", False)):
        ds = cls(tv_root, train=train, download=False)
        out[f"X_{split}"] = ds.data.numpy()
        out[f"y_{split}"] = _labels(name, ds.targets.numpy().astype(np.int64),
                                    f"{'train' if train else 't10k'}-labels-idx1-ubyte")
    return out


def _labels(name, y, where):
    """Labels must be class indices: a value out of range is the file's fault, named here, not a
    loss error at the first batch."""
    bad = y[(y < 0) | (y >= len(CLASS_NAMES[name]))]
    if bad.size:
        raise DatasetError(f"{name}: {where}: labels must lie in [0, {len(CLASS_NAMES[name])}), found {int(bad[0])} "
                           f"({bad.size} such labels)")
    return y


# ---------------------------------------------------------------- CIFAR-10
def _cifar_class(verify):
    import torchvision.datasets as tvd
    if verify:
        return tvd.CIFAR10

    class CIFAR10NoChecksum(tvd.CIFAR10):
        """torchvision's CIFAR10 parsing, with the md5 checks off (for small files in the real format)."""
        train_list = [[f, None] for f, _ in tvd.CIFAR10.train_list]
        test_list = [[f, None] for f, _ in tvd.CIFAR10.test_list]
        meta = {**tvd.CIFAR10.meta, "md5": None}
    return CIFAR10NoChecksum


# what a CIFAR-10 batch pickle may name: NumPy's array reconstruction, nothing that runs code
SAFE_GLOBALS = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy._core.numeric", "_frombuffer"),
                ("numpy.core.numeric", "_frombuffer"), ("_codecs", "encode"), ("copy_reg", "_reconstructor"),
                ("copyreg", "_reconstructor"), ("__builtin__", "object"), ("builtins", "object")}


class _Unsafe(pickle.UnpicklingError):
    pass


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in SAFE_GLOBALS:
            return super().find_class(module, name)
        raise _Unsafe(f"it names {module}.{name}, which a CIFAR-10 batch never does (a pickle "
                                     "that runs code?)")


def _check_unverified_cifar(folder, names):
    """Files whose checksums were not verified are unpickled by torchvision; each is read first by an
    unpickler that refuses every global but NumPy's array reconstruction, so a crafted file cannot run
    code."""
    for f in names:
        path = os.path.join(folder, f)
        try:
            with open(path, "rb") as fh:
                _SafeUnpickler(fh, encoding="latin1").load()
        except _Unsafe as e:
            raise DatasetError(f"{path}: refused, not a CIFAR-10 batch: {e}") from None
        except Exception:  # noqa: BLE001 -- truncated or corrupt: torchvision's load reports it with the file
            pass


def _load_cifar(tv_root, verify=True):
    cls = _cifar_class(verify)
    if not verify:
        _check_unverified_cifar(os.path.join(tv_root, "cifar-10-batches-py"),
                                [f for f, _ in cls.train_list + cls.test_list] + [cls.meta["filename"]])
    out = {}
    for split, train in (("train", True), ("test", False)):
        try:
            ds = cls(tv_root, train=train, download=False)
        except (pickle.UnpicklingError, EOFError, KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
            folder = os.path.join(tv_root, "cifar-10-batches-py")
            names = [f for f, _ in (cls.train_list if train else cls.test_list)] + [cls.meta["filename"]]
            raise DatasetError(f"{_bad_cifar_file(folder, names) or folder + ': a batch file'} is truncated or "
                               f"corrupted ({type(exc).__name__}: {exc})") from None
        except RuntimeError as exc:               # torchvision's md5 check failed
            raise DatasetError(f"{os.path.join(tv_root, 'cifar-10-batches-py')}: the files do not match "
                               f"torchvision's CIFAR-10 checksums ({exc}); for files you made yourself pass "
                               f"verify_checksums=False (parity commands: --no-verify-checksums)") from None
        where = "data_batch_1..5" if train else "test_batch"
        folder = os.path.join(tv_root, "cifar-10-batches-py")
        if ds.data.dtype != np.uint8:                # CIFAR-10's bytes; anything else would be scaled wrongly later
            raise DatasetError(f"{folder}: {where}: 'data' must be uint8 pixel values 0..255 as CIFAR-10 stores "
                               f"them, got dtype {ds.data.dtype}")
        targets = np.asarray(ds.targets)
        if targets.dtype.kind not in "iu":
            raise DatasetError(f"{folder}: {where}: 'labels' must be integer class ids, got "
                               f"{'dtype ' + str(targets.dtype) if targets.dtype != object else 'mixed values'}")
        out[f"X_{split}"] = np.ascontiguousarray(ds.data)            # (N, 32, 32, 3) uint8
        out[f"y_{split}"] = _labels("cifar10", targets.astype(np.int64), where)
    return out


def _bad_cifar_file(folder, names):
    """The first of ``names`` in ``folder`` that is not a pickled dict of the CIFAR-10 layout."""
    for f in names:
        path = os.path.join(folder, f)
        try:
            with open(path, "rb") as fh:
                entry = _SafeUnpickler(fh, encoding="latin1").load()
            if not isinstance(entry, dict):
                return path
            if f != "batches.meta" and ("data" not in entry or ("labels" not in entry and "fine_labels" not in entry)
                                        or np.asarray(entry["data"]).ndim != 2
                                        or np.asarray(entry["data"]).shape[1] != 3 * 32 * 32):
                return path
        except Exception:  # noqa: BLE001 -- anything unpickling raises marks this file
            return path
    return None


# ---------------------------------------------------------------- sources
def _has_tv_layout(name, root):
    if name == "cifar10":
        return all(os.path.isfile(os.path.join(root, "cifar-10-batches-py", f)) for f in CIFAR_FILES)
    raw = os.path.join(root, _tv_class(name).__name__, "raw")
    return os.path.isdir(raw) and _find_raw(raw) is not None


def _from_folder(name, root, verify):
    """Arrays from a caller's folder, or None if it holds no copy of this dataset."""
    if _has_tv_layout(name, root):
        if name == "cifar10":
            return _load_cifar(root, verify)
        raw = os.path.join(root, _tv_class(name).__name__, "raw")
        if all(os.path.isfile(os.path.join(raw, b)) for b in IDX_FILES):
            return _load_idx_dataset(name, root)
        root_files = _find_raw(raw)                # only .gz there: stage, never write into root
        return _staged(name, root_files)
    if name == "cifar10":
        if all(os.path.isfile(os.path.join(root, f)) for f in CIFAR_FILES):   # the batches folder itself
            return _load_cifar(os.path.dirname(os.path.abspath(root)), verify) \
                if os.path.basename(os.path.abspath(root)) == "cifar-10-batches-py" else None
        return None
    files = _find_raw(root)
    return _staged(name, files) if files else None


def _staged(name, files):
    key = hashlib.sha1("|".join(f"{p}:{os.path.getsize(p)}:{os.path.getmtime(p)}"
                                for p in sorted(files.values())).encode()).hexdigest()[:12]
    tv_root = os.path.join(cache_dir(), "staged", f"{name}-{key}")
    try:
        _stage_idx(files, os.path.join(tv_root, _tv_class(name).__name__, "raw"))
    except OSError as exc:                         # a full or read-only disk: parse in memory instead
        warnings.warn(f"{name}: cannot stage the files under {tv_root} ({exc.strerror or exc}); reading them in "
                      f"memory", RuntimeWarning, stacklevel=3)
        return _idx_in_memory(files)
    return _load_idx_dataset(name, tv_root)


def _read_idx_bytes(path):
    try:
        with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
            raw = f.read()
    except (EOFError, OSError, zlib.error) as exc:
        raise DatasetError(f"{path}: truncated or corrupted ({type(exc).__name__}: {exc})") from None
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
        raise DatasetError(f"{path}: not an IDX file of unsigned bytes (bad magic {raw[:4]!r})")
    ndim = raw[3]
    dims = np.frombuffer(raw[4:4 + 4 * ndim], dtype=">u4").astype(np.int64)
    if len(dims) == ndim and ndim and int(dims[0]) == 0:
        raise DatasetError(f"{path}: holds 0 samples (its IDX header says {tuple(int(d) for d in dims)})")
    if len(dims) != ndim or len(raw) != 4 + 4 * ndim + int(np.prod(dims)):
        raise DatasetError(f"{path}: truncated or corrupted: {len(raw)} bytes, the header promises "
                           f"{4 + 4 * ndim + int(np.prod(dims)) if len(dims) == ndim else 'more'}")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(tuple(dims))


def _idx_in_memory(files):
    """The same arrays torchvision's MNIST gives, parsed from the raw IDX files (plain or .gz)."""
    get = {base: _read_idx_bytes(path) for base, path in files.items()}
    return {"X_train": get["train-images-idx3-ubyte"].copy(),
            "y_train": get["train-labels-idx1-ubyte"].astype(np.int64),
            "X_test": get["t10k-images-idx3-ubyte"].copy(), "y_test": get["t10k-labels-idx1-ubyte"].astype(np.int64)}


def _download(name):
    tv_root = os.path.join(cache_dir(), "torchvision")
    cls = _tv_class(name)
    for train in (True, False):
        cls(tv_root, train=train, download=True)
    return _load_cifar(tv_root) if name == "cifar10" else _load_idx_dataset(name, tv_root)


def how_to_get(name):
    cls = _tv_class(name)
    if name == "cifar10":
        where = cls.url
    else:
        where = " or ".join(m + cls.resources[0][0].replace("train-images-idx3-ubyte.gz", "") for m in cls.mirrors)
    text = (f"download the files torchvision uses from {where} (files: "
            f"{', '.join(r[0] for r in getattr(cls, 'resources', [])) or cls.filename}) and pass their folder as "
            f"root=... (--root on the commands) or set {ENV_ROOT}")
    if name == "fashion-mnist":
        text += "; or install Debian's package: apt-get install dataset-fashion-mnist"
    return text


# ---------------------------------------------------------------- the public loader
def _cache_file(name, source):
    key = hashlib.sha1(f"{name}|{source}".encode()).hexdigest()[:12]
    return os.path.join(cache_dir(), "arrays", f"{name}-{key}.npz")


ARRAY_KEYS = ("X_train", "y_train", "X_test", "y_test")


def _describe(arrays):
    """Shape, dtype and CRC-32 of each array: what a cache entry must match to be trusted."""
    return {k: {"shape": list(arrays[k].shape), "dtype": arrays[k].dtype.str,
                "crc32": zlib.crc32(np.ascontiguousarray(arrays[k]).data)} for k in ARRAY_KEYS}


def _read_cache(path, source):
    """The cached arrays, or None when missing, damaged, or not made from ``source`` (then rebuilt)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in ARRAY_KEYS}
    except Exception:  # noqa: BLE001 -- missing or damaged: rebuilt from the source
        return None
    if meta.get("source") != source or meta.get("arrays") != _describe(arrays):
        return None
    return arrays


def _write_cache(path, arrays, source):
    """Cache the arrays with their source's fingerprint; a cache that cannot be written is skipped
    with a warning (the arrays are in memory already)."""
    meta = json.dumps({"source": source, "arrays": _describe(arrays)})
    try:
        atomic_write(path, lambda f: np.savez(f, meta=np.array(meta), **{k: arrays[k] for k in ARRAY_KEYS}))
    except OSError as exc:
        warnings.warn(f"cannot write the dataset cache {path} ({exc.strerror or exc}); continuing without it "
                      f"(set {ENV_CACHE} to a writable folder)", RuntimeWarning, stacklevel=3)


def _check_counts(name, arrays, where):
    for split in ("train", "test"):
        X, y = arrays[f"X_{split}"], arrays[f"y_{split}"]
        if len(X) != len(y):
            raise DatasetError(f"{name} at {where}: the {split} split has {len(X)} images but {len(y)} labels "
                               f"(a truncated or mismatched label file)")


def load_raw(name, root=None, download=True, use_cache=True, verify_checksums=True):
    """``{"X_train", "y_train", "X_test", "y_test", "classes", "source"}`` as stored: uint8 images
    (MNIST family (N, 28, 28); CIFAR-10 (N, 32, 32, 3)) and int64 labels."""
    name = canonical(name)
    tried = []
    candidates = []
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"load_raw: root must be a path, got {type(root).__name__}")
        root = os.fspath(root)
        if not os.path.isdir(root):
            raise DatasetNotFound(f"{name}: root {root!r} is " + ("a file, expected a folder" if os.path.exists(root)
                                                                  else "not a folder (no such folder)"))
        candidates.append(("root", os.path.abspath(root)))
    elif os.environ.get(ENV_ROOT):
        env = os.environ[ENV_ROOT]
        if not os.path.isdir(env):                  # set by the user: a typo must not fall through to other data
            raise DatasetNotFound(f"{name}: ${ENV_ROOT}={env!r} is " + ("a file, expected a folder"
                                  if os.path.exists(env) else "not a folder (no such folder)"))
        candidates.append((f"${ENV_ROOT}", os.path.abspath(env)))
    else:
        tried.append(f"root: not given; ${ENV_ROOT}: not set")
    if root is None and name == "fashion-mnist":
        candidates.append(("Debian dataset-fashion-mnist", DEBIAN_FASHION))
    for label, folder in candidates:
        if not os.path.isdir(folder):
            tried.append(f"{label}: {folder} (no such folder)")
            continue
        fingerprint = folder + _fingerprint(folder, name)
        cache = _cache_file(name, fingerprint)
        if use_cache:
            arrays = _read_cache(cache, fingerprint)
            if arrays is not None:
                return _finish(name, arrays, f"{label}: {folder} (cached {cache})")
        arrays = _from_folder(name, folder, verify_checksums)
        if arrays is None:
            tried.append(f"{label}: {folder} (no {name} files there)")
            continue
        _check_counts(name, arrays, folder)
        if use_cache:
            _write_cache(cache, arrays, fingerprint)
        return _finish(name, arrays, f"{label}: {folder}")
    if download and root is None:
        try:
            arrays = _download(name)
        except Exception as exc:  # noqa: BLE001 -- any download failure is one line of the report
            arrays = None
            tried.append(f"torchvision download into {os.path.join(cache_dir(), 'torchvision')} "
                         f"({type(exc).__name__}: {str(exc)[:200]})")
        if arrays is not None:
            _check_counts(name, arrays, "torchvision download")
            return _finish(name, arrays, "torchvision download")
    raise DatasetNotFound(f"{name}: no copy found. Tried:\n  - " + "\n  - ".join(tried or ["nothing"]) +
                          f"\nTo get it: {how_to_get(name)}.")


TV_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}     # torchvision's <root>/<Class>/raw


def _dataset_files(name, folder):
    """Every path under ``folder`` where a file of ``name`` may be read from (both layouts)."""
    if name == "cifar10":
        return [os.path.join(d, f) for d in (os.path.join(folder, "cifar-10-batches-py"), folder) for f in CIFAR_FILES]
    names = [b + ext for b in IDX_FILES for ext in ("", ".gz")]
    return [os.path.join(d, f) for d in (os.path.join(folder, TV_FOLDERS[name], "raw"), folder) for f in names]


def _fingerprint(folder, name):
    """Size and time of the dataset's own files under ``folder``: nothing else is walked (a root of
    ``/`` or a folder of other data costs no more than the dataset's few files)."""
    parts = []
    for p in _dataset_files(name, folder):
        try:
            st = os.stat(p)
        except OSError:                             # absent, a dangling link or an unreadable entry
            continue
        parts.append(f"{p}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


def _finish(name, arrays, source):
    return {**arrays, "classes": list(CLASS_NAMES[name]), "source": source}


def load(name, root=None, layout="nchw", **kwargs):
    """Like ``load_raw`` with the images in ``layout``: ``"nchw"`` (N, C, H, W), ``"nhwc"``, or
    ``"flat"`` (N, C*H*W in C, H, W order). Still uint8: see ``preprocess`` for scaling."""
    if layout not in ("nchw", "nhwc", "flat"):
        raise ValueError(f"load: layout must be 'nchw', 'nhwc' or 'flat', got {layout!r}")
    data = load_raw(name, root, **kwargs)
    for split in ("train", "test"):
        X = data[f"X_{split}"]
        if X.ndim == 3:
            X = X[:, None]                           # (N, 1, H, W)
        else:
            X = X.transpose(0, 3, 1, 2)              # CIFAR (N, H, W, C) -> (N, C, H, W)
        if layout == "nhwc":
            X = X.transpose(0, 2, 3, 1)
        elif layout == "flat":
            X = X.reshape(X.shape[0], -1)
        elif layout != "nchw":
            raise ValueError(f"load: layout must be 'nchw', 'nhwc' or 'flat', got {layout!r}")
        data[f"X_{split}"] = np.ascontiguousarray(X)
    return data


def load_mnist(root=None, layout="nchw", **kw):
    return load("mnist", root, layout, **kw)


def load_fashion_mnist(root=None, layout="nchw", **kw):
    return load("fashion-mnist", root, layout, **kw)


def load_cifar10(root=None, layout="nchw", **kw):
    return load("cifar10", root, layout, **kw)
