"""Files the hostile-input tables point at: an existing file, a folder, a real checkpoint of a tiny
run, a damaged one, a .npz that is no checkpoint, a torch .pt, factories that misbehave."""
import os
import zipfile

import numpy as np
import pytest
import torch

from ..fakedata import learnable_mnist

FACTORIES = '''
import numpy as np
import numpy_impl as ni
from numpy_impl.models import FullyConnectedNet
def raises(): raise RuntimeError("boom")
def string(): return "a model"
def none(): return None
def torch_module():
    import torch
    return torch.nn.Linear(2, 2)
def pair(): return (FullyConnectedNet(4, [3], 2), np.zeros((2, 4)))
def int_x(): return (FullyConnectedNet(4, [3], 2), np.zeros((2, 4), dtype=int), np.zeros(2, dtype=int))
def small(): return FullyConnectedNet(4, [3], 2)
'''


@pytest.fixture(scope="session")
def paths(tmp_path_factory):
    from parity_tests.cli import main
    d = tmp_path_factory.mktemp("hostile")
    p = {"dir": str(d / "a_folder"), "file": str(d / "a_file.txt"), "mnist": learnable_mnist(str(d / "mnist"), 200, 50)}
    os.makedirs(p["dir"])
    with open(p["file"], "w") as f:
        f.write("not yours to overwrite\n")
    p["under_file"] = os.path.join(p["file"], "x.json")
    p["ckpt"] = str(d / "run.npz")
    old = os.environ.get("PARITY_CACHE")
    os.environ["PARITY_CACHE"] = str(d / "cache")
    try:
        rc = main(["train", "softmax", "--data", "mnist", "--root", p["mnist"], "--epochs", "1", "--no-progress",
                   "--checkpoint", p["ckpt"]])
    finally:
        if old is None:
            del os.environ["PARITY_CACHE"]
        else:
            os.environ["PARITY_CACHE"] = old
    assert rc == 0
    raw = open(p["ckpt"], "rb").read()
    p["truncated"] = str(d / "truncated.npz")
    with open(p["truncated"], "wb") as f:
        f.write(raw[: len(raw) // 2])
    p["garbage"] = str(d / "garbage.npz")
    with open(p["garbage"], "wb") as f:
        f.write(b"\x00garbage" * 50)
    p["other_npz"] = str(d / "other.npz")
    np.savez(p["other_npz"], a=np.zeros(3))
    p["pt"] = str(d / "weights.pt")
    torch.save({"weight": torch.zeros(2)}, p["pt"])
    assert zipfile.is_zipfile(p["pt"])
    p["factories"] = str(d / "factories.py")
    with open(p["factories"], "w") as f:
        f.write(FACTORIES)
    p["syntax"] = str(d / "syntax_error.py")
    with open(p["syntax"], "w") as f:
        f.write("def make(:\n")
    return p
