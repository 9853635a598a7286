"""``parity scan`` on scripts: files that define their layers and then train, download or save at the
top level (the chapter scripts of "Neural Networks from Scratch", a notebook exported to .py). Scan
runs their definitions only (``parity_tests/gate/definitions.py``): the components are checked, the
script part never runs, and a name only the script part sets is reported as such."""
import ast
import os
import textwrap

import pytest

from parity_tests.cli import main
from parity_tests.gate.definitions import prune
from parity_tests.gate.scan import scan

from .test_scan import ROOT, failed_checks, verdicts

NNFS_CLASSES = open(os.path.join(ROOT, "examples", "nnfs", "nnfs_model.py")).read()
NNFS_CLASSES = NNFS_CLASSES[NNFS_CLASSES.index("import numpy"):]

# the shape of the book's chapter 14-16 scripts: classes, a dataset, a training loop, a validation;
# here the script part also downloads, writes a file and finally raises, so that it cannot run unseen
CHAPTER_SCRIPT = ("import os\nimport urllib.request\nimport nnfs\nfrom nnfs.datasets import spiral_data\nnnfs.init()\n"
                  + NNFS_CLASSES + '''

URL = "https://nnfs.io/datasets/fashion_mnist_images.zip"
if not os.path.isfile("fashion_mnist_images.zip"):
    print(f"Downloading {URL}...")
    urllib.request.urlretrieve(URL, "fashion_mnist_images.zip")
X, y = spiral_data(samples=100, classes=3)
dense1 = Layer_Dense(2, 64, weight_regularizer_l2=5e-4, bias_regularizer_l2=5e-4)
activation1 = Activation_ReLU()
dense2 = Layer_Dense(64, 3)
loss_activation = Activation_Softmax_Loss_CategoricalCrossentropy()
optimizer = Optimizer_Adam(learning_rate=0.02, decay=5e-7)
for epoch in range(10001):
    dense1.forward(X, training=True)
    activation1.forward(dense1.output, training=True)
    dense2.forward(activation1.output, training=True)
    loss_activation.backward(dense2.output, y)
    dense2.backward(loss_activation.dinputs)
    activation1.backward(dense2.dinputs)
    dense1.backward(activation1.dinputs)
    optimizer.pre_update_params()
    optimizer.update_params(dense1)
    optimizer.update_params(dense2)
    optimizer.post_update_params()
with open("SCRIPT_RAN", "w") as f:
    f.write("the script part ran")
raise SystemExit("the script part ran")
''')


def test_a_chapter_script_is_checked_without_running_its_training(tmp_path, capsys):
    (tmp_path / "ch14.py").write_text(CHAPTER_SCRIPT)
    outcomes, skipped = scan([str(tmp_path)], style="nnfs")
    assert len(outcomes) == 16 and all(o.verdict in ("PASS", "CONVENTION") for o in outcomes), verdicts(outcomes)
    assert not (tmp_path / "SCRIPT_RAN").exists() and not (tmp_path / "fashion_mnist_images.zip").exists()
    assert not (tmp_path / "__pycache__").exists()           # nor its bytecode: a cached .pyc is the whole file's
    notes = [why for name, why in skipped if name.endswith("ch14.py")]
    line = CHAPTER_SCRIPT.splitlines().index("    urllib.request.urlretrieve(URL, \"fashion_mnist_images.zip\")") + 1
    assert any(f"the script part was not run, 10 top-level statements from line {line}" in n
               and "a for loop at line" in n and "a with block" in n for n in notes), notes
    assert any("nnfs.init() does" in n for n in notes), notes        # kept, as the script runs it: and undone
    # a note, not a failure: the gate passes
    assert main(["scan", str(tmp_path), "-q", "--convention", "dtype=promotes"]) == 0
    assert "definitions only" in capsys.readouterr().out


def test_a_bug_in_a_scripts_class_still_fails(tmp_path):
    text = CHAPTER_SCRIPT.replace("self.dinputs[self.inputs <= 0] = 0", "self.dinputs[self.inputs < 0] = 0")
    assert text != CHAPTER_SCRIPT
    (tmp_path / "ch14.py").write_text(text)
    verdict, checks, _ = failed_checks(scan([str(tmp_path)], style="nnfs")[0], "Activation_ReLU")
    assert verdict == "FAIL" and "grad_input" in checks


def test_a_name_only_the_script_part_sets_is_named_and_fails_the_scan(tmp_path, capsys):
    (tmp_path / "hw.py").write_text(textwrap.dedent('''\
        import numpy as np
        print("loading my layers")
        EPS = 0.0

        def relu_forward(x):
            return np.maximum(x, EPS) * SCALE, x

        def relu_backward(dout, cache):
            return dout * (cache > 0)

        out, _ = relu_forward(np.ones(3))
        SCALE = 1.0
        while True:
            pass
        '''))
    assert main(["scan", str(tmp_path / "hw.py"), "-q"]) == 1          # never checked: the gate fails
    out = capsys.readouterr().out
    assert ("relu_forward: could not run what it needs: 'SCALE' is set at hw.py:12, in the file's script part "
            "(from line 11: out, _ = relu_forward(np.ones(3))), which parity does not run") in out, out
    (tmp_path / "hw.py").write_text((tmp_path / "hw.py").read_text().replace("SCALE = 1.0\n", "")
                                    .replace("EPS = 0.0\n", "EPS = 0.0\nSCALE = 1.0\n"))
    assert main(["scan", str(tmp_path / "hw.py"), "-q"]) == 0            # set above the script part: it passes
    out = capsys.readouterr().out
    assert "relu_forward" in out and "PASS" in out and "2 top-level statements from line 12" in out and "a while loop at line 13" in out, out


def test_a_script_imported_by_another_scanned_file_does_not_run_either(tmp_path):
    (tmp_path / "layers.py").write_text(textwrap.dedent('''\
        import numpy as np

        def affine_forward(x, w, b):
            return x.reshape(len(x), -1) @ w + b, (x, w, b)

        def affine_backward(dout, cache):
            x, w, b = cache
            return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(0)

        out, _ = affine_forward(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
        raise SystemExit("the script part of layers.py ran")
        '''))
    (tmp_path / "more.py").write_text(textwrap.dedent('''\
        from layers import affine_forward, affine_backward

        def relu_forward(x):
            return x * (x > 0), x

        def relu_backward(dout, cache):
            return dout * (cache > 0)
        '''))
    outcomes, skipped = scan([str(tmp_path / "more.py"), str(tmp_path / "layers.py")], dtypes=("float64",))
    assert verdicts(outcomes) == {"relu_forward": ("PASS", {}), "affine_forward": ("PASS", {})}, skipped


def _kept(source):
    tree = ast.parse(textwrap.dedent(source))
    plan = prune(tree, textwrap.dedent(source), lambda module, level: level > 0 or module == "dataset.mnist")
    return ast.unparse(tree), plan


def test_what_runs_definitions_setup_and_the_constants_above_the_script():
    kept, plan = _kept('''\
        """A docstring."""
        import sys, os
        sys.path.append(os.pardir)
        get_ipython().run_line_magic("matplotlib", "inline")
        import numpy as np
        try:
            from fast import im2col
        except ImportError:
            print("build it")
        np.random.seed(0)
        EPS = np.finfo(float).eps
        from dataset.mnist import load_mnist
        class Net:
            pass
        if __name__ == "__main__":
            main()
        (x_train, t_train), _ = load_mnist(normalize=True)
        LATE = 1
        def later():
            return LATE
        net = Net()
        np.random.seed(1)
        ''')
    assert "sys.path.append(os.pardir)" in kept and "EPS = np.finfo(float).eps" in kept
    assert "from fast import im2col" in kept and "except ImportError:\n    pass" in kept
    assert "np.random.seed(0)" in kept and "np.random.seed(1)" in kept and "def later" in kept
    assert "if __name__ == '__main__':\n    main()" in kept                  # never true under scan
    for gone in ("get_ipython", "print", "load_mnist(", "LATE = 1", "net = Net()"):
        assert gone not in kept, gone
    assert plan.start[0] == 17 and "load_mnist" in plan.start[1]            # the user's own data loader
    assert plan.names == {"x_train": 17, "t_train": 17, "_": 17, "LATE": 18, "net": 21}


@pytest.mark.parametrize("statement", ["main()", "model.train(X, y, epochs=10)", "for i in range(3):\n    pass",
                                       "while True:\n    pass", "with open('f') as f:\n    pass", "plt.show()",
                                       "net = Net()", "x = helper(3)", "if True:\n    main()",
                                       # assignments that read or write outside the process
                                       "log = open('results.txt', 'w')", "data = open('input.txt').read()",
                                       "path, _ = urllib.request.urlretrieve('http://x/m.npz', 'm.npz')",
                                       "W = np.load('weights.npy')", "files = os.listdir('.')",
                                       "df = pd.read_csv('train.csv')", "answer = input('go? ')",
                                       "log = Path(__file__).with_name('results.txt').open('w')",
                                       "train = datasets.MNIST('data', download=True)",
                                       "data = d2l.load_data_fashion_mnist(256)", "X = fetch_openml('mnist_784')"])
def test_each_kind_of_script_statement_begins_the_script_part(statement):
    kept, plan = _kept(f"def helper(n):\n    return n\nclass Net:\n    pass\n{statement}\nAFTER = 1\n")
    line = 6 if statement.startswith("if") else 5       # the statement inside the if: what would have run
    assert plan.start is not None and plan.start[0] == line, plan
    assert "AFTER" not in kept and "def helper" in kept and "class Net" in kept


@pytest.mark.parametrize("statement", ["print('hi')", "x", "X, y = np.zeros((3, 2)), np.arange(3)",
                                       "from .util import im2col", "if x:\n    y = 2\nelse:\n    pass",
                                       "here = os.path.dirname(os.path.abspath(__file__))", "name = 'a.b'.replace('.', '/')",
                                       "rng = np.random.default_rng(0)", "cfg = json.loads('{}')",
                                       "load_weights = lambda path: np.load(path)", "cmap = plt.get_cmap('gray')",
                                       "pid = os.getpid()", "idx = pd.Index([1, 2])"])
def test_what_does_not_begin_the_script_part(statement):
    kept, plan = _kept(f"import numpy as np\nx = 1\n{statement}\nAFTER = 1\n")
    assert plan.start is None and "AFTER = 1" in kept, (statement, plan)


def test_a_file_opened_for_writing_above_the_definitions_is_not_truncated(tmp_path, capsys):
    """A top-level ``log = open('results.txt', 'w')`` would empty the user's file on every scan."""
    (tmp_path / "results.txt").write_text("last week's results\n")
    (tmp_path / "helpers.py").write_text(
        "import numpy as np\nlog = open('results.txt', 'w')\n"
        "def softmax(X):\n    e = np.exp(X - X.max(axis=1, keepdims=True))\n    return e / e.sum(axis=1, keepdims=True)\n")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["scan", "helpers.py", "-q"]) == 0
    finally:
        os.chdir(cwd)
    assert (tmp_path / "results.txt").read_text() == "last week's results\n"
    assert "from line 2 (log = open('results.txt', 'w'))" in capsys.readouterr().out


def test_prints_and_process_wide_settings_of_the_users_code_stay_out_of_the_report(tmp_path, capsys):
    """A debugging print in forward runs on every sample: the report holds a note, not the prints.
    np.seterr(all="raise") or warnings.simplefilter("error") at import would turn the checks' own
    warnings into errors: they are put back, and the file named."""
    (tmp_path / "noisy.py").write_text(textwrap.dedent('''\
        import warnings
        import numpy as np
        np.seterr(all="raise")
        warnings.simplefilter("error")

        class Relu:
            print("defining Relu")

            def forward(self, x):
                print("forward", x.shape)
                self.mask = x <= 0
                out = x.copy()
                out[self.mask] = 0
                return out

            def backward(self, dout):
                print("backward")
                dx = dout.copy()
                dx[self.mask] = 0
                return dx
        '''))
    errors, filters = __import__("numpy").geterr(), list(__import__("warnings").filters)
    assert main(["scan", str(tmp_path), "-q"]) == 0
    out = capsys.readouterr().out
    assert out.count("forward (") == 1 and "defining Relu\n" not in out, out      # in the note only
    assert "noisy.py: printed 1 line when imported, not shown (the first: 'defining Relu')" in out, out
    assert "Relu: printed" in out and "lines when checked, not shown (the first: 'forward (5, 7)')" in out, out
    assert "noisy.py: changed np.seterr and the warnings filters when imported; put back for the checks" in out
    assert __import__("numpy").geterr() == errors and list(__import__("warnings").filters) == filters


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="the time limit needs SIGALRM")
def test_a_component_that_never_returns_fails_at_its_line_and_the_scan_goes_on(tmp_path, capsys):
    import threading
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("the time limit works in the main thread only; here the scan would never end")
    (tmp_path / "hang.py").write_text(textwrap.dedent('''\
        import numpy as np

        def relu_forward(x):
            return np.maximum(x, 0), x

        def relu_backward(dout, cache):
            dx, i = dout.copy(), 0
            while i < dx.size:
                if cache.flat[i] <= 0:
                    dx.flat[i] = 0
            return dx

        def sigmoid_forward(x):
            out = 1 / (1 + np.exp(-x))
            return out, out

        def sigmoid_backward(dout, cache):
            return dout * cache * (1 - cache)
        '''))
    assert main(["scan", str(tmp_path), "-q", "--timeout", "1.5"]) == 1
    out = capsys.readouterr().out
    assert "relu_forward [timeout]" in out and "did not finish within 1.5 s (--timeout)" in out, out
    assert "hang.py:8 in relu_backward" in out and "sigmoid_forward  sigmoid  " in out, out
    assert "1 pass, 0 convention, 1 fail" in out, out
