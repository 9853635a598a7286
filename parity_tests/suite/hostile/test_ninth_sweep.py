"""The ninth hostile-input sweep: a report that would replace the code it is about, results that are
not real numbers passed as a promotion, a scanned file that swaps torch's own functions or leaves
state changed for the next component, a timeout the user's code swallows, threads left running, an
empty batch, a layer whose parameters are not a dict, a PReLU given the wrong slopes. Each is now
refused in one line before any work, or judged as it should be."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import numpy_impl as ni
from parity_tests.cli import main
from parity_tests.gate.api import check_layer
from parity_tests.gate.scan import scan

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
RELU = ("import numpy as np\n\n\ndef relu_forward(x):\n    return np.maximum(0, x), x\n\n\n"
        "def relu_backward(dout, cache):\n    return dout * (cache > 0)\n")
AFFINE = ("import numpy as np\n\n\ndef affine_forward(x, w, b):\n    return x.reshape(len(x), -1) @ w + b, (x, w, b)\n\n\n"
          "def affine_backward(dout, cache):\n    x, w, b = cache\n"
          "    return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(0)\n")


def _write(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    return str(folder)


def _verdicts(outcomes):
    return {o.target.name: o.verdict for o in outcomes}


# ------------------------------------------------------------------ a report onto the code it is about
def test_a_report_never_replaces_the_code_it_is_about(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write("mine", {"layers.py": RELU})
    for args in (["scan", "mine", "-q", "--json", "mine/layers.py"],
                 ["scan", "mine/layers.py", "-q", "--junit", "./mine/layers.py"]):
        assert main(args) == 2
        assert "is one of the files being scanned" in capsys.readouterr().err
        assert open("mine/layers.py").read() == RELU
    assert main(["scan", "mine", "-q", "--json", "mine/report.json"]) == 0         # a file of its own: fine
    _write(".", {"fac.py": "import numpy_impl as ni\n\n\ndef make():\n    return ni.Sequential(ni.Linear(4, 3))\n"})
    before = open("fac.py").read()
    assert main(["diagnose", "--factory", "fac.py:make", "--input-shape", "4", "--json", "fac.py"]) == 2
    assert "--json and --factory name the same file 'fac.py'" in capsys.readouterr().err
    assert open("fac.py").read() == before


# ------------------------------------------------------------------ results that are not real numbers
@pytest.mark.parametrize("ret, said", [("np.maximum(0, x) + 1j", "imaginary part up to 1"),
                                       ("np.maximum(0, x).astype(object)", "dtype object")])
def test_complex_or_object_results_fail_never_as_a_promotion(tmp_path, ret, said):
    outcomes, _ = scan([_write(tmp_path, {"m.py": RELU.replace("np.maximum(0, x), x", f"{ret}, x")})])
    assert _verdicts(outcomes) == {"relu_forward": "FAIL"}
    assert outcomes[0].convention == {}
    assert any(said in r.message() for r in outcomes[0].report.failures)


# ------------------------------------------------------------------ torch's functions swapped, state left changed
PATCH = ("import torch\n\n\ndef _patch():\n    torch.relu = lambda x, *a, **k: x * 1\n"
         "    torch.nn.functional.relu = lambda x, *a, **k: x * 1\n    return 0\n\n\n")


def test_torchs_own_rebinding_is_not_taken_for_the_users(tmp_path):
    """torch rebinds torch.manual_seed at its first optimizer: no note; one torch function put in place of
    another is the user's."""
    from parity_tests.gate.scan import _own

    def manual_seed(seed):                          # what torch puts in place of its own: same name, torch's
        return seed
    manual_seed.__module__ = "torch._dynamo.eval_frame"
    assert _own(torch, manual_seed, torch.random.manual_seed)
    assert not _own(torch, lambda x: x, torch.relu) and not _own(torch, torch.sigmoid, torch.relu)
    swap = PATCH.replace("lambda x, *a, **k: x * 1\n    torch.nn", "torch.sigmoid\n    torch.nn") + (
        "def relu_forward(x, _unused=_patch()):\n    return np.maximum(0, x), x\n\n\n"
        "def relu_backward(dout, cache):\n    return dout * (cache > 0)\n\n\nimport numpy as np\n")
    outcomes, skipped = scan([_write(tmp_path / "b", {"m.py": swap})])
    assert _verdicts(outcomes) == {"relu_forward": "PASS"}
    assert any("replaced torch.nn.functional.relu, torch.relu when imported" in why for _, why in skipped), skipped


def test_a_file_swapping_torchs_functions_changes_no_reference(tmp_path):
    identity = PATCH + ("def relu_forward(x, _unused=_patch()):\n    return x.copy(), x\n\n\n"
                        "def relu_backward(dout, cache):\n    return dout.copy()\n")
    _write(tmp_path / "a", {"a.py": identity})
    outcomes, skipped = scan([str(tmp_path / "a")])
    assert _verdicts(outcomes) == {"relu_forward": "FAIL"}          # the identity is no ReLU
    assert torch.relu(torch.tensor([-1.0])).item() == 0.0
    assert any("replaced torch.nn.functional.relu, torch.relu when imported" in why for _, why in skipped), skipped
    (tmp_path / "c").mkdir()
    _write(tmp_path / "c", {"a.py": PATCH + "def sigmoid_forward(x, _unused=_patch()):\n"
                                            "    out = 1 / (1 + np.exp(-x))\n    return out, out\n\n\n"
                                            "def sigmoid_backward(dout, cache):\n    return dout * cache * (1 - cache)\n"
                                            "\n\nimport numpy as np\n", "b.py": RELU})
    outcomes, _ = scan([str(tmp_path / "c")])
    assert _verdicts(outcomes) == {"sigmoid_forward": "PASS", "relu_forward": "PASS"}


@pytest.mark.parametrize("change, said", [("torch.set_grad_enabled(False)", "torch's grad mode"),
                                          ("sys.setrecursionlimit(60)", "the recursion limit"),
                                          ("torch.set_default_dtype(torch.float64)", "torch's default dtype")])
def test_state_one_component_changes_is_put_back_for_the_next(tmp_path, change, said):
    recursion, grad, default = sys.getrecursionlimit(), torch.is_grad_enabled(), torch.get_default_dtype()
    first = RELU.replace("import numpy as np\n", "import sys\n\nimport numpy as np\nimport torch\n").replace(
        "    return np.maximum(0, x), x", f"    {change}\n    return np.maximum(0, x), x")
    outcomes, skipped = scan([_write(tmp_path, {"a.py": first, "b.py": AFFINE})])
    assert _verdicts(outcomes)["affine_forward"] == "PASS"
    assert any(f"changed {said} when checked; put back for the components after it" in why for _, why in skipped)
    assert (sys.getrecursionlimit(), torch.is_grad_enabled(), torch.get_default_dtype()) == (recursion, grad, default)


# ------------------------------------------------------------------ a timeout swallowed, threads left running
def _parity(*args, cwd):
    return subprocess.run([sys.executable, "-m", "parity_tests.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": ROOT, "OPENBLAS_THREAD_TIMEOUT": "4"})


def test_code_that_swallows_the_timeout_ends_the_scan_with_one_line(tmp_path):
    _write(tmp_path / "h", {"m.py": textwrap.dedent('''\
        import time
        import numpy as np

        def relu_forward(x):
            while True:
                try:
                    time.sleep(0.05)
                except:
                    pass

        def relu_backward(dout, cache):
            return dout
        ''')})
    run = _parity("scan", "h", "-q", "--timeout", "1", cwd=tmp_path)
    assert run.returncode == 1
    assert "relu_forward did not stop within 1 s nor 5 s after" in run.stderr and "bare except" in run.stderr


def test_threads_the_scanned_code_leaves_running_do_not_keep_the_scan_alive(tmp_path):
    _write(tmp_path / "t", {"m.py": textwrap.dedent('''\
        import threading
        import time
        import numpy as np

        def _spin():
            while True:
                time.sleep(0.1)

        def relu_forward(x):
            threading.Thread(target=_spin).start()
            return np.maximum(0, x), x

        def relu_backward(dout, cache):
            return dout * (cache > 0)
        ''')})
    run = _parity("scan", "t", "-q", cwd=tmp_path)
    assert run.returncode == 0 and "1 pass" in run.stdout
    assert "left" in run.stderr and "thread(s) running" in run.stderr and "ended without waiting" in run.stderr


# ------------------------------------------------------------------ check_layer: empty batches, odd layers
@pytest.mark.parametrize("layer, module, params", [(ni.Linear(4, 3), torch.nn.Linear(4, 3), {"W": "weight.T", "b": "bias"}),
                                                   (ni.ReLU(), torch.nn.ReLU(), {})])
def test_an_empty_batch_is_checked_in_float64(layer, module, params):
    rep = check_layer(layer, module, params, np.zeros((0, 4)))
    assert rep.passed, [r.message() for r in rep.failures]
    assert {r.check for r in rep.results} >= {"forward", "grad_input"}


def test_a_layer_whose_parameters_are_not_a_dict_is_told_so():
    class L:
        def named_parameters(self):
            return [np.zeros((4, 3))]

        def named_buffers(self):
            return {}
    with pytest.raises(TypeError, match=r"L.named_parameters\(\) must return a dict name -> array .* got list"):
        check_layer(L(), torch.nn.Linear(4, 3), {"W": "weight.T"}, np.zeros((2, 4)))


def test_float32_weights_with_float64_input_raise_no_error_of_the_tools():
    layer = ni.Linear(4, 3)
    layer.params = {k: v.astype(np.float32) for k, v in layer.params.items()}
    rep = check_layer(layer, torch.nn.Linear(4, 3), {"W": "weight.T", "b": "bias"}, np.ones((2, 4)))
    assert not [r for r in rep.failures if r.check == "error"], [r.message() for r in rep.failures]


# ------------------------------------------------------------------ PReLU's slopes
@pytest.mark.parametrize("n, alpha, said", [(1, np.full(3, 0.25), "shape (1,), got shape (3,)"),
                                            (3, np.full(2, 0.25), "shape (3,), got shape (2,)"),
                                            (3, [0.25, 0.25, 0.25], "got a list"),
                                            (2, np.ones(2, dtype=int), "got shape (2,) dtype int")])
def test_prelu_slopes_of_the_wrong_shape_or_kind_are_named(n, alpha, said):
    p = ni.PReLU(n)
    p.params["alpha"] = alpha
    with pytest.raises(ValueError, match=r"PReLU.*params\['alpha'\] must be a float array of shape") as e:
        p.forward(-np.ones((2, n)))
    assert said in str(e.value)
