"""``diagnose`` on a model made of the user's own layers: textbook classes with their loss layer, and
cs231n function pairs; the factory needs no attribute such code would not have."""
import os
import sys

import numpy as np
import pytest

from parity_tests.cli import main
from parity_tests.gate.diagnose import diagnose_layers, format_diagnosis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
NET = '''
import sys
from collections import OrderedDict
import numpy as np
sys.path.insert(0, {textbook!r})
from common.layers import Affine, BatchNormalization, Relu, Dropout, SoftmaxWithLoss
sys.path.pop(0)


class MultiLayerNetExtend:
    def __init__(self):
        rng = np.random.default_rng(0)
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(rng.standard_normal((6, 5)), rng.standard_normal(5))
        self.layers["BatchNorm1"] = BatchNormalization(np.ones(5), np.zeros(5))
        self.layers["Relu1"] = Relu()
        self.layers["Dropout1"] = Dropout(0.3)
        self.layers["Affine2"] = Affine(rng.standard_normal((5, 3)), rng.standard_normal(3))
        self.last_layer = SoftmaxWithLoss()


def make():
    rng = np.random.default_rng(1)
    return MultiLayerNetExtend(), rng.standard_normal((8, 6)), rng.integers(0, 3, 8)
'''


@pytest.fixture()
def factory(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(NET.format(textbook=os.path.join(ROOT, "examples", "textbook")))
    yield f"{path}:make"
    for name in [m for m in sys.modules if m == "common" or m.startswith("common.")]:
        del sys.modules[name]


def test_textbook_network_through_the_command(factory, capsys):
    declared = ["--convention", "dropout=classic", "--convention", "softmax_eps=1e-7"]
    assert main(["diagnose", "--factory", factory] + declared) == 0
    out = capsys.readouterr().out
    assert "all layers agree" in out and "3 Dropout1" in out
    # the bias feeding BatchNorm: exactly 0 in NumPy, rounding in torch, relative to the upstream gradient
    row = next(line for line in out.splitlines() if line.startswith("0 Affine1") and "grad_param:b" in line)
    assert row.endswith("ok"), row
    assert main(["diagnose", "--factory", factory]) == 1          # undeclared: classic dropout differs
    assert "first divergence: 3 Dropout1 [forward]" in capsys.readouterr().out


def test_the_broken_layer_is_named_first():
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import cs231n.layers as L
    finally:
        sys.path.pop(0)
        for name in [m for m in sys.modules if m.split(".")[0] == "cs231n"]:
            del sys.modules[name]
    rng = np.random.default_rng(2)

    def bad_relu_backward(dout, cache):
        return L.relu_backward(dout, cache) * 1.001
    layers = [((L.affine_forward, L.affine_backward), [rng.standard_normal((6, 5)), rng.standard_normal(5)]),
              ((L.relu_forward, bad_relu_backward), []),
              ((L.affine_forward, L.affine_backward), [rng.standard_normal((5, 3)), rng.standard_normal(3)])]
    X, y = rng.standard_normal((7, 2, 3)), rng.integers(0, 3, 7)
    rows, first = diagnose_layers(layers, L.softmax_loss, X, y)
    assert first is not None and first.component == "1 relu_forward" and first.check == "grad_input", \
        format_diagnosis(rows, first)
    layers[1] = ((L.relu_forward, L.relu_backward), [])
    rows, first = diagnose_layers(layers, L.softmax_loss, X, y)
    assert first is None, format_diagnosis(rows, first)


def test_a_training_script_as_factory_runs_its_definitions_only(tmp_path, capsys):
    """``--factory train.py:make`` on a script that trains, prints and saves at the top level: only
    its definitions run (as ``parity scan`` imports files), a note says what was left out, and a
    global that only the script part sets is named with where to move it."""
    script = NET.format(textbook=os.path.join(ROOT, "examples", "textbook")) + (
        "\nnet, X, y = make()\nfor epoch in range(3):\n    print('epoch', epoch)\n"
        f"open({str(tmp_path / 'saved.npy')!r}, 'w').write('weights')\n")
    (tmp_path / "train.py").write_text(script)
    declared = ["--convention", "dropout=classic", "--convention", "softmax_eps=1e-7"]
    try:
        assert main(["diagnose", "--factory", f"{tmp_path / 'train.py'}:make"] + declared) == 0
        out, err = capsys.readouterr()
        assert "all layers agree" in out and "epoch" not in out and not (tmp_path / "saved.npy").exists()
        assert "definitions only: the script part was not run, 3 top-level statements from line" in err, err
        (tmp_path / "train.py").write_text(script.replace("rng.integers(0, 3, 8)", "rng.integers(0, CLASSES, 8)")
                                           + "CLASSES = 3\n")
        assert main(["diagnose", "--factory", f"{tmp_path / 'train.py'}:make"] + declared) == 2
        err = capsys.readouterr().err
        assert "NameError: name 'CLASSES' is not defined ('CLASSES' is set at train.py:" in err
        assert "in the file's script part" in err and not (tmp_path / "saved.npy").exists()
    finally:
        for name in [m for m in sys.modules if m == "common" or m.startswith("common.")]:
            del sys.modules[name]
