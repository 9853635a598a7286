"""``parity scan`` on the example user code under ``examples/``: the correct versions pass (with the
conventions they follow reported as such), and each seeded bug is reported at its component and
check. Bugs are seeded into a copy by text substitution, so the examples stay correct."""
import json
import os
import shutil
import sys

import numpy as np
import pytest

from parity_tests.cli import main
from parity_tests.gate.scan import format_outcomes, scan

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CS231N, TEXTBOOK = os.path.join(ROOT, "examples", "cs231n"), os.path.join(ROOT, "examples", "textbook")
F64 = ("float64",)


def seeded(tmp_path, folder, relpath, old, new):
    """A copy of the example ``folder`` with ``old`` replaced by ``new`` (exactly once) in ``relpath``."""
    dest = tmp_path / os.path.basename(folder)
    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns("__pycache__"))
    path = dest / relpath
    text = path.read_text()
    assert text.count(old) == 1, f"the seed {old!r} must occur once in {relpath}"
    path.write_text(text.replace(old, new))
    return str(dest)


def example_module(folder, dotted):
    """The module ``dotted`` of an example folder, imported with the folder's parent on sys.path;
    sys.path and sys.modules as they were afterwards (the scan's own imports must not find it)."""
    import importlib
    parent, top = os.path.dirname(folder), dotted.split(".")[0]
    sys.path.insert(0, parent)
    try:
        return importlib.import_module(dotted)
    finally:
        sys.path.remove(parent)
        for m in [m for m in sys.modules if m == top or m.startswith(top + ".")]:
            del sys.modules[m]


def write_files(tmp_path, files):
    """``{name: text}`` written into ``tmp_path``; returns the folder, to scan."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return str(tmp_path)


def verdicts(outcomes):
    return {o.target.name: (o.verdict, o.convention) for o in outcomes}


def failed_checks(outcomes, name):
    o = next(o for o in outcomes if o.target.name == name)
    return o.verdict, {r.check for r in o.report.failures}, " ".join(r.message() for r in o.report.failures)


@pytest.fixture(scope="module")
def cs231n_outcomes():
    return scan([CS231N], dtypes=F64)


@pytest.fixture(scope="module")
def textbook_outcomes():
    return scan([TEXTBOOK], dtypes=F64)


def test_cs231n_folder_every_component_recognised_and_correct(cs231n_outcomes):
    outcomes, skipped = cs231n_outcomes
    v = verdicts(outcomes)
    expected = {"affine_forward", "relu_forward", "batchnorm_forward", "spatial_batchnorm_forward",
                "layernorm_forward", "spatial_groupnorm_forward", "dropout_forward", "conv_forward_naive",
                "max_pool_forward_naive", "svm_loss", "softmax_loss", "sgd", "sgd_momentum", "rmsprop", "adam",
                "svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive", "softmax_loss_vectorized",
                "TwoLayerNet", "FullyConnectedNet", "ThreeLayerConvNet", "affine_relu_forward", "conv_relu_forward",
                "conv_relu_pool_forward", "rnn_step_forward", "rnn_forward", "lstm_step_forward", "lstm_forward",
                "word_embedding_forward", "temporal_affine_forward", "temporal_softmax_loss", "CaptioningRNN",
                "sigmoid",          # rnn_layers.py's stable sigmoid helper: a forward-only function
                "affine_bn_relu_forward", "LinearSVM.loss", "Softmax.loss"}   # assignment 1's classifier classes
    assert set(v) == expected, sorted(v)
    conventions = {k: c for k, (verdict, c) in v.items() if verdict == "CONVENTION"}
    # as taught: the biased running variance, p = the KEEP probability of dropout, and the networks'
    # 0.5 * reg * sum(W**2) (classifiers/fc_net.py imports ..layers: a package imported as it runs)
    assert conventions == {"batchnorm_forward": {"running_var": "biased"},
                           "affine_bn_relu_forward": {"running_var": "biased"},
                           "spatial_batchnorm_forward": {"running_var": "biased"},
                           "dropout_forward": {"dropout_p": "keep"}, "TwoLayerNet": {"reg": "half"},
                           "ThreeLayerConvNet": {"reg": "half"}, "FullyConnectedNet": {"reg": "half"}}, conventions
    fcn = next(o for o in outcomes if o.target.name == "FullyConnectedNet")
    assert {r.sample.rsplit(" ", 1)[-1] for r in fcn.report.results} >= {"batchnorm", "layernorm"}
    kinds = {o.target.name: o.target.kind for o in outcomes}
    assert kinds["svm_loss_naive"] == "linear_svm" and kinds["softmax_loss"] == "softmax_loss", kinds
    assert all(verdict in ("PASS", "CONVENTION") for verdict, _ in v.values()), v


def test_textbook_common_folder_with_cross_imports(textbook_outcomes):
    outcomes, skipped = textbook_outcomes
    v = verdicts(outcomes)
    assert set(v) == {"cross_entropy_error", "Affine", "Relu", "Sigmoid", "SoftmaxWithLoss", "BatchNormalization",
                      "Dropout", "Convolution",
                      "Pooling", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "TwoLayerNet",
                      "SimpleConvNet", "MultiLayerNetExtend", "sigmoid", "softmax", "sigmoid_grad", "relu_grad",
                      "sum_squared_error"}, sorted(v)   # functions.py
    conventions = {k: c for k, (verdict, c) in v.items() if verdict == "CONVENTION"}
    assert conventions == {"BatchNormalization": {"running_var": "biased"}, "Dropout": {"dropout": "classic"},
                           "SoftmaxWithLoss": {"softmax_eps": "1e-7"}, "Adam": {"adam_eps": "folded"},
                           "TwoLayerNet": {"softmax_eps": "1e-7"}, "SimpleConvNet": {"softmax_eps": "1e-7"},
                           "MultiLayerNetExtend": {"reg": "half", "softmax_eps": "1e-7"},
                           "cross_entropy_error": {"softmax_eps": "1e-7"}}, conventions
    # its use_batchnorm=True: checked once more with gamma_i, beta_i, in training mode, eps 10e-7
    extend = next(o for o in outcomes if o.target.name == "MultiLayerNetExtend")
    assert {"grad_param:gamma1", "grad_param:beta2"} <= {r.check for r in extend.report.results if r.passed}
    # its conv has pad 0 in one sample and 1 in the other: the torch conv takes the padding W2 implies
    convnet = next(o for o in outcomes if o.target.name == "SimpleConvNet")
    assert {"pad 0", "pad 1"} <= {" ".join(r.sample.split()[4:6]) for r in convnet.report.results if r.passed}
    assert all(verdict != "FAIL" for verdict, _ in v.values()), v


def test_scan_restores_sys_path_and_modules():
    path, modules = list(sys.path), set(sys.modules)
    scan([TEXTBOOK], only="Relu", dtypes=F64)
    assert sys.path == path
    assert "common" not in sys.modules and "common.layers" not in sys.modules
    assert set(sys.modules) - modules <= {m for m in sys.modules if not m.startswith(("common", "cs231n"))}


# (folder, file, seed old -> new, component, the check that must fail)
BUGS = {
    "softmax missing 1/N": (CS231N, "layers.py", ("    dx[np.arange(N), y] -= 1\n    return loss, dx / N",
                                                  "    dx[np.arange(N), y] -= 1\n    return loss, dx"),
                            "softmax_loss", "grad_input"),
    "conv backward at pad 0": (CS231N, "layers.py", ("dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]",
                                                     "dxp[:, :, pad:-pad, pad:-pad]"),
                               "conv_forward_naive", "grad_input"),
    "dropout scaled at test time": (CS231N, "layers.py", ("    else:\n        out = x\n",
                                                          "    else:\n        out = x * p\n"),
                                    "dropout_forward", "eval_forward"),
    "adam without bias correction": (CS231N, "optim.py", ('mt = config["m"] / (1 - b1 ** config["t"])',
                                                          'mt = config["m"]'), "adam", "param:w1"),
    "momentum sign": (CS231N, "optim.py", ('v = config["momentum"] * v - config["learning_rate"] * dw',
                                           'v = config["momentum"] * v + config["learning_rate"] * dw'),
                      "sgd_momentum", "param:w1"),
    "dW transposed": (TEXTBOOK, "common/layers.py",
                      ("self.dW = np.dot(self.x.T, dout)", "self.dW = np.dot(dout.T, self.x)"),
                      "Affine", "grad_param:W"),
    "relu mask x >= 0": (TEXTBOOK, "common/layers.py", ("self.mask = (x <= 0)", "self.mask = (x < 0)"), "Relu",
                         "grad_input"),
    "softmax without the max shift": (CS231N, "layers.py", ("shifted = x - x.max(axis=1, keepdims=True)",
                                                            "shifted = x"), "softmax_loss", "loss"),
    "book softmax without the max shift": (TEXTBOOK, "common/functions.py",
                                           ("x = x - np.max(x, axis=-1, keepdims=True)\n", ""),
                                           "SoftmaxWithLoss", "grad_input"),
    "linear SVM gradient of the correct class not decremented": (
        CS231N, "classifiers/linear_svm.py", ("                dW[:, y[i]] -= X[i]\n", ""), "svm_loss_naive",
        "grad_input"),
    "linear SVM regularisation gradient missing 2": (
        CS231N, "classifiers/linear_svm.py", ("dW = X.T.dot(binary) / num_train + 2 * reg * W",
                                              "dW = X.T.dot(binary) / num_train + reg * W"), "svm_loss_vectorized",
        "grad_input"),
    "linear softmax without the max shift": (
        CS231N, "classifiers/softmax.py", ("    scores -= scores.max(axis=1, keepdims=True)\n", ""),
        "softmax_loss_vectorized", "loss"),
    "linear softmax gradient missing 1/N": (
        CS231N, "classifiers/softmax.py", ("dW = X.T.dot(p) / num_train +", "dW = X.T.dot(p) +"),
        "softmax_loss_vectorized", "grad_input"),
    "sandwich without the ReLU backward": (
        CS231N, "layer_utils.py", ("    ds = max_pool_backward_naive(dout, pool_cache)\n    da = relu_backward(ds, relu_cache)",
                                   "    ds = max_pool_backward_naive(dout, pool_cache)\n    da = ds"),
        "conv_relu_pool_forward", "grad_input"),
    "sandwich affine_relu returning db as dw": (
        CS231N, "layer_utils.py", ("    dx, dw, db = affine_backward(da, fc_cache)\n    return dx, dw, db\n",
                                   "    dx, dw, db = affine_backward(da, fc_cache)\n    return dx, dw, dw\n"),
        "affine_relu_forward", "grad_param:b"),
    "conv net W1 gradient without its penalty": (
        CS231N, "classifiers/cnn.py", ('        grads["W1"] += self.reg * W1\n', ""), "ThreeLayerConvNet",
        "grad_param:W1"),
    "FullyConnectedNet layernorm gradients of gamma and beta swapped": (
        CS231N, "classifiers/fc_net.py",
        ('dout, grads[f"gamma{i}"], grads[f"beta{i}"] = layernorm_backward(dout, norm_cache)',
         'dout, grads[f"beta{i}"], grads[f"gamma{i}"] = layernorm_backward(dout, norm_cache)'),
        "FullyConnectedNet", "grad_param:gamma1"),
    "book conv net reading the second affine's gradient for the first": (
        TEXTBOOK, "ch07/simple_convnet.py",
        ("grads['W2'], grads['b2'] = self.layers['Affine1'].dW, self.layers['Affine1'].db",
         "grads['W2'], grads['b2'] = self.layers['Affine2'].dW, self.layers['Affine1'].db"),
        "SimpleConvNet", "grad_param:W2"),
    "network without the ReLU backward": (
        CS231N, "classifiers/fc_net.py", ("        dh = relu_backward(da, cache_relu)\n", "        dh = da\n"),
        "TwoLayerNet", "grad_param:W1"),
    "network b2 gradient 0.1% off": (
        CS231N, "classifiers/fc_net.py", ('        grads["W2"] += self.reg * W2\n',
                                          '        grads["W2"] += self.reg * W2\n        grads["b2"] = grads["b2"] * 1.001\n'),
        "TwoLayerNet", "grad_param:b2"),
    "book network gradients of the two layers swapped": (
        TEXTBOOK, "ch05/two_layer_net.py", ('grads["W2"], grads["b2"] = self.layers["Affine2"].dW',
                                            'grads["W2"], grads["b2"] = self.layers["Affine1"].dW'),
        "TwoLayerNet", "grad_param:W2"),
    # assignment 3 (rnn_layers.py)
    "rnn_backward drops the gradient flowing back through time": (
        CS231N, "rnn_layers.py", ("rnn_step_backward(dh[:, t] + dprev, cache[t])",
                                  "rnn_step_backward(dh[:, t], cache[t])"), "rnn_forward", "grad_param:Wh"),
    "rnn step without the tanh derivative": (
        CS231N, "rnn_layers.py", ("da = dnext_h * (1 - next_h ** 2)", "da = dnext_h"), "rnn_step_forward",
        "grad_input"),
    "word embedding gradient overwritten at repeated ids": (
        CS231N, "rnn_layers.py", ("np.add.at(dW, x, dout)", "dW[x] += dout"), "word_embedding_forward",
        "grad_param:W"),
    "LSTM forget gate read from the output gate's columns": (
        CS231N, "rnn_layers.py", ("sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])",
                                  "sigmoid(a[:, 2 * H:3 * H]), sigmoid(a[:, 2 * H:3 * H])"), "lstm_step_forward",
        "forward"),
    "LSTM step: the cell gradient skips the forget gate": (
        CS231N, "rnn_layers.py", ("da @ Wh.T, dc * f, x.T @ da", "da @ Wh.T, dc, x.T @ da"), "lstm_step_forward",
        "grad_param:prev_c"),
    "LSTM over time: the cell gradient not carried back": (
        CS231N, "rnn_layers.py", ("lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])",
                                  "lstm_step_backward(dh[:, t] + dprev_h, 0 * dprev_c, cache[t])"), "lstm_forward",
        "grad_input"),
    "temporal softmax loss over N*T, not N": (
        CS231N, "rnn_layers.py", ("dx_flat *= mask_flat[:, None] / N", "dx_flat *= mask_flat[:, None] / (N * T)"),
        "temporal_softmax_loss", "grad_input"),
    "temporal softmax loss ignores the mask in dx": (
        CS231N, "rnn_layers.py", ("dx_flat *= mask_flat[:, None] / N", "dx_flat /= N"),
        "temporal_softmax_loss", "grad_input"),
    "temporal affine db summed over the batch only": (
        CS231N, "rnn_layers.py", ("dout.sum(axis=(0, 1))", "dout.sum(axis=0)"), "temporal_affine_forward",
        "grad_param:b"),
    "book BatchNorm network: the beta gradient given for gamma": (
        TEXTBOOK, "common/multi_layer_net_extend.py", ('grads["gamma" + str(idx)] = self.layers["BatchNorm" + str(idx)].dgamma',
                                                       'grads["gamma" + str(idx)] = self.layers["BatchNorm" + str(idx)].dbeta'),
        "MultiLayerNetExtend", "grad_param:gamma1"),
    "book network weight decay gradient left out": (
        TEXTBOOK, "common/multi_layer_net_extend.py", ("+ self.weight_decay_lambda * self.params[\"W\" + str(idx)]", "+ 0"),
        "MultiLayerNetExtend", "grad_param:W1"),
    "captioning network scores the padding": (
        CS231N, "classifiers/rnn.py", ("mask = captions_out != self._null", "mask = captions_out >= 0"),
        "CaptioningRNN", "loss"),
    "captioning network predicts the word it is given": (
        CS231N, "classifiers/rnn.py", ("captions_in, captions_out = captions[:, :-1], captions[:, 1:]",
                                       "captions_in, captions_out = captions[:, :-1], captions[:, :-1]"),
        "CaptioningRNN", "loss"),
    "captioning network: no gradient into the image projection": (
        CS231N, "classifiers/rnn.py", ("affine_backward(dh0, cache_proj)", "affine_backward(0 * dh0, cache_proj)"),
        "CaptioningRNN", "grad_param:W_proj"),
    "captioning sample feeds <START> at every step": (
        CS231N, "classifiers/rnn.py", ("            captions[:, t] = word\n", "            captions[:, t] = word\n"
                                       "            word = np.full(N, self._start)\n"),
        "CaptioningRNN", "sample"),
    "captioning sample without the image projection's bias": (
        CS231N, "classifiers/rnn.py", ('h = features @ p["W_proj"] + p["b_proj"]', 'h = features @ p["W_proj"]'),
        "CaptioningRNN", "sample"),
    "captioning sample's LSTM cell never updated": (
        CS231N, "classifiers/rnn.py", ("                c = f * c + i * np.tanh(a[:, 3 * H:])",
                                       "                c = c + i * np.tanh(a[:, 3 * H:])"),
        "CaptioningRNN", "sample"),
    # dropout's values are read from its own output: the share it keeps is what catches these
    "dropout that never drops": (CS231N, "layers.py", ("mask = (np.random.rand(*x.shape) < p) / p",
                                                        "mask = (np.random.rand(*x.shape) < 1.0) / p"),
                                 "dropout_forward", "keep_share"),
    "dropout keeping p, scaled by 1/(1 - p)": (CS231N, "layers.py", ("mask = (np.random.rand(*x.shape) < p) / p",
                                                                     "mask = (np.random.rand(*x.shape) < p) / (1 - p)"),
                                               "dropout_forward", "keep_share"),
    "book dropout keeping dropout_ratio": (TEXTBOOK, "common/layers.py",
                                           ("self.mask = np.random.rand(*x.shape) > self.dropout_ratio",
                                            "self.mask = np.random.rand(*x.shape) < self.dropout_ratio"),
                                           "Dropout", "keep_share"),
    "captioning sample's LSTM cell state not carried": (
        CS231N, "classifiers/rnn.py", ("                c = f * c + i * np.tanh(a[:, 3 * H:])",
                                       "                c = i * np.tanh(a[:, 3 * H:])"),
        "CaptioningRNN", "sample"),
    "affine-batchnorm-relu backward skips the relu": (
        CS231N, "layer_utils.py", ("    dan = relu_backward(dout, relu_cache)\n", "    dan = dout\n"),
        "affine_bn_relu_forward", "grad_input"),
    "affine-batchnorm-relu returns dbeta for dgamma": (
        CS231N, "layer_utils.py", ("    return dx, dw, db, dgamma, dbeta\n", "    return dx, dw, db, dbeta, dgamma\n"),
        "affine_bn_relu_forward", "grad_param:gamma"),
    "Momentum update sign": (TEXTBOOK, "common/optimizer.py",
                             ("params[key] += self.v[key]", "params[key] -= self.v[key]"),
                             "Momentum", "param:w1"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_is_reported_at_its_component_and_check(tmp_path, bug):
    folder, relpath, (old, new), component, check = BUGS[bug]
    path = seeded(tmp_path, folder, relpath, old, new)
    outcomes, _ = scan([path], only=component, dtypes=F64)
    verdict, checks, messages = failed_checks(outcomes, component)
    assert verdict == "FAIL", (bug, verdict)
    assert check in checks, (bug, checks, messages)
    if "optim" in relpath:
        assert "first diverged at step 1" in messages, messages


def test_inplace_dout_is_a_convention_and_only_declared_passes_strict(tmp_path, capsys):
    path = seeded(tmp_path, TEXTBOOK, "common/layers.py", "        dx = dout.copy()\n        dx[self.mask] = 0\n",
                  "        dx = dout\n        dx[self.mask] = 0\n")
    outcomes, _ = scan([path], only="Relu", dtypes=F64)
    assert verdicts(outcomes)["Relu"] == ("CONVENTION", {"inplace_dout": "allowed"})
    assert main(["scan", path, "--only", "Relu", "--dtype", "float64", "--strict"]) == 1
    assert main(["scan", path, "--only", "Relu", "--dtype", "float64", "--strict",
                 "--convention", "inplace_dout=allowed"]) == 0
    # the correct Relu does not need it
    assert main(["scan", TEXTBOOK, "--only", "Relu", "--dtype", "float64", "--strict"]) == 0


def test_conventions_pass_strict_once_declared_and_only_then(capsys):
    args = ["scan", TEXTBOOK, "--only", "BatchNormalization,Dropout,SoftmaxWithLoss,Adam", "--dtype", "float64"]
    declared = ["--convention", "running_var=biased", "--convention", "dropout=classic",
                "--convention", "softmax_eps=1e-7", "--convention", "adam_eps=folded"]
    assert main(args) == 0
    assert "CONVENTION running_var=biased" in capsys.readouterr().out
    assert main(args + ["--strict"]) == 1
    assert main(args + ["--strict"] + declared) == 0
    assert main(args + ["--strict"] + declared[:6]) == 1          # Adam's still undeclared


def test_cli_json_junit_and_usage_errors(tmp_path, capsys):
    j, x = tmp_path / "scan.json", tmp_path / "scan.xml"
    # patterns are substrings: affine_forward also picks assignment 3's temporal_affine_forward
    assert main(["scan", CS231N, "--only", "affine_forward,adam", "--json", str(j), "--junit", str(x)]) == 0
    out = capsys.readouterr().out
    assert "affine_forward" in out and "grad_param:w" in out and "3 components: 3 pass" in out
    data = json.loads(j.read_text())
    assert data["passed"] and {c["name"]: c["verdict"] for c in data["components"]} == {
        "affine_forward": "PASS", "temporal_affine_forward": "PASS", "adam": "PASS"}
    assert x.read_text().count("<testcase") == len(data["results"])
    assert main(["scan", str(tmp_path / "nowhere")]) == 2
    assert main(["scan", CS231N, "--convention", "running_var=unbiased"]) == 2
    assert main(["scan", CS231N, "--only", "nothing_like_this"]) == 2
    # function pairs are the cs231n style (networks are classes in both)
    assert main(["scan", os.path.join(CS231N, "layers.py"), "--style", "textbook"]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "allowed values" in err and "no component recognised" in err


def test_scan_lists_what_it_skips(tmp_path, capsys):
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "layer_utils.py").write_text(
        "from hw.layers import affine_forward, affine_backward, relu_forward, relu_backward\n"
        "def affine_sigmoid_forward(x, w, b):\n    a, fc = affine_forward(x, w, b)\n    return a, fc\n"
        "def affine_sigmoid_backward(dout, cache):\n    return affine_backward(dout, cache)\n")
    shutil.copy(os.path.join(CS231N, "layers.py"), tmp_path / "hw" / "layers.py")
    (tmp_path / "hw" / "broken.py").write_text("import no_such_module_here\ndef relu_forward(x):\n    pass\n")
    # a file that fails to import fails the gate: what it holds was never checked
    assert main(["scan", str(tmp_path / "hw"), "--only", "affine,relu", "--dtype", "float64"]) == 1
    out = capsys.readouterr().out
    assert "affine_sigmoid_forward: not a component parity scan knows" in out
    assert "could not import: ModuleNotFoundError" in out
    assert "1 file(s), folder(s) or component(s) could not be read, imported or run" in out
    assert "--allow-import-errors" in out
    assert main(["scan", str(tmp_path / "hw"), "--only", "affine,relu", "--dtype", "float64",
                 "--allow-import-errors"]) == 0


def test_a_float64_parameter_gradient_for_float32_input_is_not_a_pass(tmp_path):
    for folder, relpath, old, new, name in (
            (CS231N, "layers.py", "dw = x.reshape(x.shape[0], -1).T @ dout",
             "dw = (x.reshape(x.shape[0], -1).T @ dout).astype(np.float64)", "affine_forward"),
            (TEXTBOOK, "common/layers.py", "self.dW = np.dot(self.x.T, dout)",
             "self.dW = np.dot(self.x.T, dout).astype(np.float64)", "Affine")):
        path = seeded(tmp_path / name, folder, relpath, old, new)
        outcomes, _ = scan([path], only=name, dtypes=("float32",))
        assert verdicts(outcomes)[name] == ("CONVENTION", {"dtype": "promotes"})
        assert main(["scan", path, "--only", name, "--dtype", "float32", "--strict"]) == 1


def test_two_conventions_together_are_found_and_declared_in_one_option(tmp_path, capsys):
    """cs231n's dropout as often written: p keeps a unit, and the mask comes out float64."""
    path = seeded(tmp_path, CS231N, "layers.py", "    return out.astype(x.dtype, copy=False), (dropout_param, mask)",
                  "    return out, (dropout_param, mask)")
    path = seeded(tmp_path / "2", path, "layers.py", "        return (dout * mask).astype(dout.dtype, copy=False)",
                  "        return dout * mask")
    outcomes, _ = scan([path], only="dropout", dtypes=("float32",))
    assert verdicts(outcomes)["dropout_forward"] == ("CONVENTION", {"dropout_p": "keep", "dtype": "promotes"})
    assert "--convention dropout_p=keep,dtype=promotes" in format_outcomes(outcomes, [])[0]
    assert main(["scan", path, "--only", "dropout", "--dtype", "float32", "--strict",
                 "--convention", "dropout_p=keep,dtype=promotes"]) == 0


def test_softmax_eps_convention_holds_for_every_seed(capsys):
    """The book's loss value is -log(p + 1e-7) with the exact gradient: declared, it passes whatever
    the samples (the finite differences of that value are not its gradient, so they are not taken)."""
    for seed in ("1", "2", "3"):
        assert main(["scan", TEXTBOOK, "--only", "SoftmaxWithLoss", "--dtype", "float64", "--seed", seed, "--strict",
                     "--convention", "softmax_eps=1e-7"]) == 0


def test_d2l_sgd_is_not_taken_for_the_cs231n_rule(tmp_path, capsys):
    (tmp_path / "d2l").mkdir()
    (tmp_path / "d2l" / "scratch.py").write_text(
        "def sgd(params, lr, batch_size):\n    for p in params:\n        p -= lr * p.grad / batch_size\n")
    shutil.copy(os.path.join(CS231N, "layers.py"), tmp_path / "d2l" / "layers.py")
    assert main(["scan", str(tmp_path / "d2l"), "--only", "sgd,relu", "--dtype", "float64"]) == 0
    assert "sgd: d2l's sgd(params, lr, batch_size): an update of a list of params in place" in capsys.readouterr().out


def test_float64_arrays_for_float32_input_are_a_convention_not_a_failure(tmp_path):
    """The book's im2col builds its arrays without a dtype: float32 input gives float64 results. The
    numbers are right, so it is reported as ``dtype=promotes`` and passes once declared; a numeric bug
    on top of it still fails."""
    folder = seeded(tmp_path, TEXTBOOK, "common/util.py", ", dtype=input_data.dtype)", ")")
    outcomes, _ = scan([folder], only="Convolution", dtypes=("float32",))
    assert verdicts(outcomes)["Convolution"] == ("CONVENTION", {"dtype": "promotes"})
    outcomes, _ = scan([folder], only="Convolution", dtypes=("float32",), conventions={"dtype": "promotes"})
    assert verdicts(outcomes)["Convolution"][0] == "PASS"
    broken = seeded(tmp_path / "b", folder, "common/layers.py", "self.db = np.sum(dout, axis=0)\n        self.dW",
                    "self.db = np.sum(dout, axis=0) * 1.001\n        self.dW")
    outcomes, _ = scan([broken], only="Convolution", dtypes=("float32",), conventions={"dtype": "promotes"})
    assert verdicts(outcomes)["Convolution"][0] == "FAIL"


@pytest.mark.parametrize("option", ["--json", "--junit"])
def test_scan_refuses_an_output_folder_before_scanning(option, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(["scan", CS231N, option, str(tmp_path)]))
    assert e.value.code == 2
    out, err = capsys.readouterr()
    assert "is a folder, expected a file name" in err and "components:" not in out


@pytest.mark.parametrize("folder", ["code", "test"])
def test_a_folder_named_like_a_standard_module_is_scanned(tmp_path, folder):
    (tmp_path / folder).mkdir()
    shutil.copy(os.path.join(CS231N, "layers.py"), tmp_path / folder / "layers.py")
    outcomes, skipped = scan([str(tmp_path / folder)], only="affine,relu", dtypes=F64)
    assert verdicts(outcomes) == {"affine_forward": ("PASS", {}), "relu_forward": ("PASS", {})}, skipped


def test_two_folders_named_like_standard_modules_are_both_scanned(tmp_path):
    """The second one's layers.py is not mistaken for the first's module of the same name."""
    for folder in ("code", "test"):
        (tmp_path / folder).mkdir()
    shutil.copy(os.path.join(CS231N, "layers.py"), tmp_path / "code" / "layers.py")
    text = open(os.path.join(CS231N, "layers.py")).read()
    (tmp_path / "test" / "layers.py").write_text(text.replace("def relu_forward", "def leaky_unused_forward"))
    bad = seeded(tmp_path / "b", str(tmp_path / "test"), "layers.py", "def affine_forward", "def zz_affine_forward")
    outcomes, _ = scan([str(tmp_path / "code"), bad], only="affine,relu", dtypes=F64)
    assert {o.target.where for o in outcomes} == {os.path.relpath(str(tmp_path / "code" / "layers.py"))}
    outcomes, _ = scan([str(tmp_path / "code"), str(tmp_path / "test")], only="affine", dtypes=F64)
    assert len(outcomes) == 2, [o.target.where for o in outcomes]


def test_an_update_rule_with_its_own_config_name_is_checked(tmp_path, capsys):
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "optim.py").write_text(
        "def sgd(w, dw, cfg=None):\n    cfg = cfg if cfg is not None else {}\n"
        "    cfg.setdefault('learning_rate', 1e-2)\n    w -= 2 * cfg['learning_rate'] * dw\n    return w, cfg\n")
    assert main(["scan", str(tmp_path / "hw"), "-q", "--dtype", "float64"]) == 1     # checked, and wrong


A1_NET = '''
import numpy as np


class TwoLayerNet(object):
    """cs231n assignment 1 (neural_net.py): reg is an argument of loss, the penalty reg * sum(W**2)."""
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {"W1": std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size)}

    def loss(self, X, y=None, reg=0.0):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        h = np.maximum(0, X.dot(W1) + b1)
        scores = h.dot(W2) + b2
        if y is None:
            return scores
        N = X.shape[0]
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(N), y]).mean() + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        p[np.arange(N), y] -= 1
        p /= N
        grads = {"W2": h.T.dot(p) + 2 * reg * W2, "b2": p.sum(axis=0)}
        dh = p.dot(W2.T) * (h > 0)
        grads["W1"] = X.T.dot(dh) + 2 * reg * W1
        grads["b1"] = dh.sum(axis=0)
        return loss, grads
'''


def test_a_network_taking_reg_in_loss_is_checked_with_it_and_a_normalised_one_is_refused(tmp_path):
    (tmp_path / "neural_net.py").write_text(A1_NET)
    outcomes, _ = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(outcomes) == {"TwoLayerNet": ("PASS", {})}
    reg_samples = {r.sample for r in outcomes[0].report.results if r.check == "loss"}
    assert any("reg 0.2" in s for s in reg_samples), reg_samples
    # the penalty left out of the loss value: the reg sample fails at the loss, and the weights'
    # gradients (right, as torch says) are not the derivatives of that value
    (tmp_path / "neural_net.py").write_text(A1_NET.replace(" + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))", ""))
    verdict, checks, _ = failed_checks(scan([str(tmp_path)], dtypes=F64)[0], "TwoLayerNet")
    assert verdict == "FAIL" and checks == {"loss", "fd:W1", "fd:W2"}, checks
    # a network with normalisation parameters is not checked as a whole: an error row says so
    (tmp_path / "neural_net.py").write_text(A1_NET.replace('"b2": np.zeros(output_size)}',
                                                           '"b2": np.zeros(output_size), "gamma1": np.ones(1)}'))
    verdict, checks, messages = failed_checks(scan([str(tmp_path)], dtypes=F64)[0], "TwoLayerNet")
    assert verdict == "FAIL" and checks == {"error"} and "gamma1" in messages, messages


def test_loss_names_with_suffixes_and_both_signatures(tmp_path):
    (tmp_path / "losses.py").write_text(
        "import numpy as np\n"
        "from layers_ref import softmax_loss as _ref\n"
        "def softmax_loss_vectorized(x, y):\n    return _ref(x, y)\n"
        "def svm_loss_weird(x):\n    return 0.0, x\n")
    shutil.copy(os.path.join(CS231N, "layers.py"), tmp_path / "layers_ref.py")
    outcomes, skipped = scan([str(tmp_path / "losses.py")], dtypes=F64)
    v = verdicts(outcomes)
    assert v["softmax_loss_vectorized"] == ("PASS", {}), v
    assert any(name == "svm_loss_weird" and "signature (x)" in why for name, why in skipped), skipped


def test_a_package_is_imported_as_it_runs_and_forgotten_afterwards():
    modules = set(sys.modules)
    outcomes, skipped = scan([os.path.join(CS231N, "classifiers")], only="TwoLayerNet", dtypes=F64)
    assert [o.target.name for o in outcomes] == ["TwoLayerNet"] and not skipped, skipped
    assert not {m for m in set(sys.modules) - modules if m.startswith("cs231n")}


def test_assert_model_parity_from_a_test(tmp_path):
    from parity_tests import ParityError, assert_model_parity
    (tmp_path / "neural_net_api.py").write_text(A1_NET)
    sys.path.insert(0, str(tmp_path))
    try:
        import neural_net_api
    finally:
        sys.path.remove(str(tmp_path))
    rng = np.random.default_rng(0)
    net = neural_net_api.TwoLayerNet(4, 5, 3)
    for k, v in net.params.items():
        v[...] = rng.standard_normal(v.shape)
    X, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    assert_model_parity(net, X, y, reg=0.1)
    with pytest.raises(ParityError, match=r"TwoLayerNet \[loss\]"):
        assert_model_parity(net, X, y, reg=0.1, conventions={"reg": "half"})
    with pytest.raises(ValueError, match=r"check_model: expected integer labels y of shape \(6,\)"):
        assert_model_parity(net, X, y[:, None])
    with pytest.raises(ValueError, match=r"unknown convention"):
        assert_model_parity(net, X, y, conventions={"regg": "half"})


BOOK_CH04 = """import sys, os
sys.path.append(os.pardir)
import numpy as np
from common.functions import *


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)

    def predict(self, x):
        W1, W2 = self.params['W1'], self.params['W2']
        b1, b2 = self.params['b1'], self.params['b2']
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        y = softmax(a2)
        return y

    def loss(self, x, t):
        y = self.predict(x)
        return cross_entropy_error(y, t)

    def gradient(self, x, t):
        W1, W2 = self.params['W1'], self.params['W2']
        b1, b2 = self.params['b1'], self.params['b2']
        grads = {}
        batch_num = x.shape[0]
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        y = softmax(a2)
        dy = (y - t) / batch_num        # as the book writes it: t one-hot only
        grads['W2'] = np.dot(z1.T, dy)
        grads['b2'] = np.sum(dy, axis=0)
        da1 = np.dot(dy, W2.T)
        dz1 = sigmoid_grad(a1) * da1
        grads['W1'] = np.dot(x.T, dz1)
        grads['b1'] = np.sum(dz1, axis=0)
        return grads
"""


def test_the_books_chapter_4_network_sigmoid_and_softmax_output(tmp_path):
    """ch04's TwoLayerNet: sigmoid, ``predict`` returning probabilities, -log(p + 1e-7): a convention;
    its ``gradient`` takes one-hot labels only, and gets them; with sigmoid_grad wrong, the failures
    left under that convention are the gradients alone."""
    shutil.copytree(os.path.join(TEXTBOOK, "common"), tmp_path / "common", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "ch04").mkdir()
    (tmp_path / "ch04" / "two_layer_net.py").write_text(BOOK_CH04)
    outcomes, _ = scan([str(tmp_path / "ch04")], dtypes=F64)
    assert verdicts(outcomes) == {"TwoLayerNet": ("CONVENTION", {"softmax_eps": "1e-7"}),
                                  "sigmoid_grad": ("PASS", {})}      # the file's own helper, checked too
    net = next(o for o in outcomes if o.target.name == "TwoLayerNet")
    assert all("(sigmoid, softmax output)" in r.sample for r in net.report.results)
    (tmp_path / "ch04" / "two_layer_net.py").write_text(BOOK_CH04.replace(
        "return (1.0 - sigmoid(x)) * sigmoid(x)", "return (1.0 - sigmoid(x))"))
    outcomes, _ = scan([str(tmp_path / "ch04")], dtypes=F64)
    assert verdicts(outcomes)["sigmoid_grad"][0] == "FAIL"
    outcomes = [o for o in outcomes if o.target.name == "TwoLayerNet"]
    o = outcomes[0]
    assert o.verdict == "FAIL" and o.convention == {"softmax_eps": "1e-7"}
    assert {r.check for r in o.report.failures} == {"grad_param:W1", "grad_param:b1"}
    text, _ = format_outcomes(outcomes, [])
    assert "FAIL (the failures that remain with softmax_eps=1e-7 allowed for; it explains the others)" in text
    # what ch04 imported from beside it (common/) is forgotten too: another copy is scanned next
    assert not [m for m in sys.modules if m == "common" or m.startswith("common.")]


def test_assignment_3_arrays_are_taken_by_position_whatever_their_names(tmp_path):
    text = open(os.path.join(CS231N, "rnn_layers.py")).read()
    text = text.replace("def rnn_forward(x, h0, Wx, Wh, b):", "def rnn_forward(x, h_init, W_xh, W_hh, bias):")
    text = text.replace("prev, caches = h0, []", "prev, caches = h_init, []")
    text = text.replace("h = np.zeros((N, T, h0.shape[1]), dtype=x.dtype)\n    prev, caches",
                        "h = np.zeros((N, T, h_init.shape[1]), dtype=x.dtype)\n    prev, caches")
    text = text.replace("rnn_step_forward(x[:, t], prev, Wx, Wh, b)", "rnn_step_forward(x[:, t], prev, W_xh, W_hh, bias)")
    (tmp_path / "rnn_layers.py").write_text(text)
    outcomes, _ = scan([str(tmp_path)], only="rnn_forward", dtypes=F64)
    assert verdicts(outcomes) == {"rnn_forward": ("PASS", {})}
    names = {r.check for r in outcomes[0].report.results}
    assert {"grad_param:h_init", "grad_param:W_xh", "grad_param:W_hh", "grad_param:bias"} <= names, names


def test_assignment_3_in_float32_and_a_forward_without_its_cache(tmp_path):
    text = open(os.path.join(CS231N, "rnn_layers.py")).read()
    # the hidden states stored in a float64 array: float32 input gives float64 output
    (tmp_path / "rnn_layers.py").write_text(text.replace("h = np.zeros((N, T, h0.shape[1]), dtype=x.dtype)\n    prev, c",
                                                         "h = np.zeros((N, T, h0.shape[1]))\n    prev, c"))
    outcomes, _ = scan([str(tmp_path)], only="rnn_forward", dtypes=("float32",))
    assert verdicts(outcomes) == {"rnn_forward": ("CONVENTION", {"dtype": "promotes"})}
    # a forward returning its output alone is named, not unpacked row by row
    (tmp_path / "rnn_layers.py").write_text(text.replace("    return W[x], (x, W)", "    return W[x]"))
    verdict, checks, messages = failed_checks(scan([str(tmp_path)], only="word_embedding", dtypes=F64)[0],
                                              "word_embedding_forward")
    assert verdict == "FAIL" and checks == {"error"}, checks
    assert "word_embedding_forward returned ndarray; expected a tuple (out, cache)" in messages, messages


def test_assignment_3_functions_through_the_api():
    from parity_tests import check_component
    R = example_module(CS231N, "cs231n.rnn_layers")
    rng = np.random.default_rng(0)
    ids, W = rng.integers(0, 4, (2, 5)), rng.standard_normal((4, 3))
    assert check_component((R.word_embedding_forward, R.word_embedding_backward), ids, W).passed
    x, h0 = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5))
    Wx, Wh, b = rng.standard_normal((4, 20)) / 2, rng.standard_normal((5, 20)) / 2, rng.standard_normal(20)
    rep = check_component((R.lstm_forward, R.lstm_backward), x, h0, Wx, Wh, b)
    assert rep.passed and {"grad_param:h0", "fd:Wh"} <= {r.check for r in rep.results}


def test_lstm_gates_in_torchs_order_are_a_convention(tmp_path):
    path = seeded(tmp_path, CS231N, "rnn_layers.py", ("sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])"),
                  "sigmoid(a[:, 3 * H:]), np.tanh(a[:, 2 * H:3 * H])")
    text = open(os.path.join(path, "rnn_layers.py")).read()      # the backward's columns in that order too
    old = "dnext_h * tc * o * (1 - o),\n                         dc * i * (1 - g ** 2)]"
    assert text.count(old) == 1
    text = text.replace(old, "dc * i * (1 - g ** 2),\n                         dnext_h * tc * o * (1 - o)]")
    open(os.path.join(path, "rnn_layers.py"), "w").write(text)
    outcomes, _ = scan([path], only="lstm", dtypes=F64)
    assert verdicts(outcomes) == {"lstm_forward": ("CONVENTION", {"lstm_gates": "ifgo"}),
                                  "lstm_step_forward": ("CONVENTION", {"lstm_gates": "ifgo"})}
    outcomes, _ = scan([path], only="lstm", dtypes=F64, conventions={"lstm_gates": "ifgo"})
    assert {o.verdict for o in outcomes} == {"PASS"}
    # declared for the whole scan, it does not fail the code that keeps cs231n's order
    outcomes, _ = scan([CS231N], only="lstm_step", dtypes=F64, conventions={"lstm_gates": "ifgo"})
    assert verdicts(outcomes) == {"lstm_step_forward": ("PASS", {})}


def test_lists_returned_for_tuples_are_read_as_tuples(tmp_path):
    text = open(os.path.join(CS231N, "rnn_layers.py")).read()
    text = text.replace("    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)",
                        "    return [da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)]")
    text = text.replace("    return next_h, (x, prev_h, Wx, Wh, next_h)", "    return [next_h, (x, prev_h, Wx, Wh, next_h)]")
    (tmp_path / "rnn_layers.py").write_text(text)
    outcomes, _ = scan([str(tmp_path)], only="rnn_step", dtypes=F64)
    assert verdicts(outcomes) == {"rnn_step_forward": ("PASS", {})}


def test_check_captioning_from_a_test_and_a_model_that_is_not_one():
    from parity_tests import check_captioning
    CaptioningRNN = example_module(CS231N, "cs231n.classifiers.rnn").CaptioningRNN
    words = {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3, "b": 4}
    np.random.seed(0)
    model = CaptioningRNN(words, input_dim=4, wordvec_dim=3, hidden_dim=5, cell_type="lstm", dtype=np.float64)
    rng = np.random.default_rng(1)
    captions = np.array([[1, 3, 4, 2], [1, 4, 2, 0]])
    rep = check_captioning(model, rng.standard_normal((2, 4)), captions)
    assert rep.passed and {"loss", "grad_param:W_embed", "fd:Wh"} <= {r.check for r in rep.results}
    del model.params["W_vocab"]
    rep = check_captioning(model, rng.standard_normal((2, 4)), captions)
    assert not rep.passed and "not cs231n's CaptioningRNN: it has no ['W_vocab']" in rep.failures[0].note


def test_a_declared_convention_dropped_and_an_undeclared_one_found_together(capsys):
    """The naive linear SVM makes dW with np.zeros (float64 for float32 input) and takes the full
    reg * sum(W**2), while reg=half is declared for the networks: its verdict is the one convention
    it needs, dtype=promotes, not a failure."""
    outcomes, _ = scan([CS231N], only="svm_loss_naive", conventions={"reg": "half"})
    assert verdicts(outcomes) == {"svm_loss_naive": ("CONVENTION", {"dtype": "promotes"})}


FAST_LAYERS = """
import numpy as np
try:
    from hw.im2col_cython import col2im_cython, im2col_cython
except ImportError:
    print('run python setup.py build_ext --inplace')
from hw.layers import conv_forward_naive, conv_backward_naive


def conv_forward_im2col(x, w, b, conv_param):
    cols = im2col_cython(x, w.shape[2], w.shape[3], conv_param['pad'], conv_param['stride'])
    return conv_forward_naive(x, w, b, conv_param)


def conv_backward_im2col(dout, cache):
    return conv_backward_naive(dout, cache)


def conv_forward_typo(x, w, b, conv_param):
    return conv_forward_naive(x, w, b, conv_parm)


def conv_backward_typo(dout, cache):
    return conv_backward_naive(dout, cache)


def max_pool_forward_reshape(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    assert ph == pw == s, 'Invalid pool params'
    assert H % ph == 0 and W % pw == 0
    xr = x.reshape(N, C, H // ph, ph, W // pw, pw)
    out = xr.max(axis=3).max(axis=4)
    return out, (x, xr, out)


def max_pool_backward_reshape(dout, cache):
    x, xr, out = cache
    mask = xr == out[:, :, :, None, :, None]
    dx = np.zeros_like(xr)
    dx[mask] = np.broadcast_to(dout[:, :, :, None, :, None], xr.shape)[mask]
    return dx.reshape(x.shape)


def max_pool_forward_picky(x, pool_param):
    assert x.shape[0] == 1000
    return max_pool_forward_reshape(x, pool_param)


def max_pool_backward_picky(dout, cache):
    return max_pool_backward_reshape(dout, cache)
"""


@pytest.fixture()
def fast_layers(tmp_path):
    (tmp_path / "hw").mkdir()
    (tmp_path / "hw" / "__init__.py").write_text("")
    shutil.copy(os.path.join(CS231N, "layers.py"), tmp_path / "hw" / "layers.py")
    (tmp_path / "hw" / "fast_layers.py").write_text(FAST_LAYERS)
    return str(tmp_path / "hw")


def test_a_compiled_extension_that_is_not_built_is_listed_not_failed(fast_layers, capsys):
    """cs231n's fast_layers.py imports its Cython im2col inside try/except: without the build, the
    first call dies with a NameError. That component was never checked, like a file that fails to
    import: listed under Skipped, the scan fails unless --allow-import-errors. A NameError that is a
    typo in the user's code is a failure like any other."""
    outcomes, skipped = scan([fast_layers], only="conv_forward_im2col,conv_forward_typo", dtypes=F64)
    assert verdicts(outcomes) == {"conv_forward_typo": ("FAIL", {})}
    why = dict(skipped)["conv_forward_im2col"]
    assert why.startswith("could not import what it needs: 'im2col_cython' was to come from hw.im2col_cython, "
                          "whose import failed and was caught at fast_layers.py:4"), why
    assert "build_ext --inplace" in why
    assert "name 'conv_parm' is not defined" in failed_checks(outcomes, "conv_forward_typo")[2]
    assert main(["scan", fast_layers, "--only", "conv_forward_im2col", "--dtype", "float64"]) == 1
    out = capsys.readouterr().out
    assert "1 file(s), folder(s) or component(s) could not be read, imported or run" in out
    assert main(["scan", fast_layers, "--only", "conv_forward_im2col,conv_forward_naive", "--dtype", "float64",
                 "--allow-import-errors"]) == 0


def test_samples_refused_by_the_components_own_assert_are_listed_not_failed(fast_layers, capsys, tmp_path):
    """cs231n's max_pool_forward_reshape asserts square windows that tile the input: the samples it
    refuses are named and not checked; the others are, and its ties still need pool_ties=all. A
    component that refuses every sample was never checked: it fails."""
    outcomes, _ = scan([fast_layers], only="max_pool_forward_reshape,max_pool_forward_picky",
                       conventions={"pool_ties": "all"})
    v = verdicts(outcomes)
    assert v == {"max_pool_forward_reshape": ("PASS", {}), "max_pool_forward_picky": ("FAIL", {})}, v
    refused = next(o for o in outcomes if o.target.name == "max_pool_forward_reshape").refused
    assert {r.sample for r in refused} == {"3x2 stride 1 (2,2,5,7)"} and {r.dtype for r in refused} == {
        "float64", "float32"}
    text = format_outcomes(outcomes, [])[0]
    assert "PASS (1 sample refused by its own assert, not checked: '3x2 stride 1 (2,2,5,7)': raised " \
           "AssertionError: Invalid pool params)" in text, text
    outcomes, _ = scan([fast_layers], only="max_pool_forward_reshape")
    assert verdicts(outcomes) == {"max_pool_forward_reshape": ("CONVENTION", {"pool_ties": "all"})}
    assert main(["scan", fast_layers, "--only", "max_pool_forward_reshape", "--convention", "pool_ties=all",
                 "--json", str(tmp_path / "r.json")]) == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["components"][0]["refused"] == ["3x2 stride 1 (2,2,5,7)"]


def test_python_2_compatibility_imports_of_the_assignments_work(tmp_path):
    """cs231n's assignment 1 files import xrange from past.builtins (the future package)."""
    (tmp_path / "a1").mkdir()
    (tmp_path / "a1" / "neural_net.py").write_text("from builtins import range\nfrom past.builtins import xrange\n"
                                                   + A1_NET)
    outcomes, skipped = scan([str(tmp_path / "a1")], dtypes=F64)
    assert verdicts(outcomes) == {"TwoLayerNet": ("PASS", {})} and not skipped, skipped


TEMPLATE = '''\
import numpy as np


def affine_forward(x, w, b):
    out = None
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout @ w.T
    dx, dw, db = dx.reshape(x.shape), None, None
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    dx = None
    pass
    return dx


def svm_loss(x, y):
    loss, dx = None, None
    pass
    return loss, dx


def sgd(w, dw, config=None):
    next_w = None
    pass
    return next_w, config
'''


def test_a_templates_stubs_read_not_written_yet(tmp_path, capsys):
    """An assignment's functions left as the template has them (``out = None`` ... ``pass``) fail
    with what they are, never with a shape or dtype error from deep inside; what is written (this
    affine's dx) is still checked."""
    (tmp_path / "layers.py").write_text(TEMPLATE)
    outcomes, _ = scan([str(tmp_path)], dtypes=F64)
    notes = {o.target.name: {(r.check, r.note) for r in o.report.failures} for o in outcomes}
    stub = "returned None: not written yet? (a template's `pass` left in)"
    assert notes["affine_forward"] == {("forward", stub), ("grad_param:w", stub), ("grad_param:b", stub)}, notes
    assert notes["relu_forward"] == {("grad_input", stub), ("fd:input", stub)}, notes
    assert notes["svm_loss"] == {("loss", stub), ("grad_input", stub)}, notes
    assert {c for c, _ in notes["sgd"]} == {"param:w1", "param:b1", "param:w2"} and all(
        n.startswith(stub) for _, n in notes["sgd"]), notes
    assert main(["scan", str(tmp_path), "-q", "--dtype", "float64"]) == 1
    out = capsys.readouterr().out
    assert "FAIL (not written yet: forward, grad_param:b, grad_param:w returned None)" in out, out
    assert f"relu_forward [grad_input]: {stub} (in 2 of its runs)" in out, out
    assert "shape mismatch" not in out and "object" not in out and "NoneType" not in out, out


def test_the_convention_named_beside_a_fail_is_one_that_explains_failures(tmp_path):
    """An SVM whose dW takes reg * W (the loss the full reg) and builds dW in float64: no convention
    explains it all; the one named is dtype=promotes, which explains the float32 dtype failures, not
    the first candidate tried (a dtype failure and a passing value share one check and sample)."""
    path = seeded(tmp_path, CS231N, "classifiers/linear_svm.py", "dW += 2 * reg * W", "dW += reg * W")
    o = next(o for o in scan([path], only="svm_loss_naive")[0] if o.target.name == "svm_loss_naive")
    assert o.verdict == "FAIL" and o.convention == {"dtype": "promotes"}, (o.convention, o.report.failures)
    assert not [r for r in o.report.failures if r.note.startswith("dtype changed")]


def test_a_file_named_like_its_folder_is_imported(tmp_path):
    """two_layer_net/two_layer_net.py: the file wins the name over its folder (a namespace package),
    as `import two_layer_net` from inside the folder does; it is scanned, not "not a package"."""
    folder = tmp_path / "two_layer_net"
    folder.mkdir()
    (folder / "two_layer_net.py").write_text(
        "import numpy as np\ndef relu_forward(x):\n    return np.maximum(0, x), x\n"
        "def relu_backward(dout, cache):\n    return dout * (cache > 0)\n")
    for path in (folder, tmp_path, folder / "two_layer_net.py"):
        outcomes, skipped = scan([str(path)], dtypes=F64)
        assert verdicts(outcomes) == {"relu_forward": ("PASS", {})} and not skipped, (path, skipped)


def test_word_embedding_grad_made_in_float64_is_the_dtype_convention(tmp_path):
    """dW = np.zeros(W.shape) is float64 for float32 weights: like every other np.zeros(shape), that is
    dtype=promotes, and passes once declared (the ids are integers: the cast is to the weights' dtype)."""
    path = seeded(tmp_path, CS231N, "rnn_layers.py", "    dW = np.zeros_like(W)\n", "    dW = np.zeros(W.shape)\n")
    outcomes, _ = scan([path], only="word_embedding")
    assert verdicts(outcomes) == {"word_embedding_forward": ("CONVENTION", {"dtype": "promotes"})}
    outcomes, _ = scan([path], only="word_embedding", conventions={"dtype": "promotes"})
    assert verdicts(outcomes) == {"word_embedding_forward": ("PASS", {})}


@pytest.mark.parametrize("old, new, name, convention", [
    ('    v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v\n',
     '    v = config["momentum"] * v + dw\n    next_w = w - config["learning_rate"] * v\n', "sgd_momentum",
     {"velocity": "torch"}),
    ('    v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v\n',
     '    v = config["momentum"] * v + config["learning_rate"] * dw\n    next_w = w - v\n', "sgd_momentum",
     {"velocity": "negated"}),
    ('    config.setdefault("t", 0)\n    b1, b2 = config["beta1"], config["beta2"]\n    config["t"] += 1\n',
     '    config.setdefault("t", 1)\n    b1, b2 = config["beta1"], config["beta2"]\n', "adam", {"adam_t": "next"}),
])
def test_an_update_rule_keeping_its_state_in_another_form_is_a_convention(tmp_path, old, new, name, convention):
    """The parameters follow torch's at every step; the state the rule keeps is torch's buffer, lr
    times it, or Adam's t counted from 1: a named convention, passing once declared, not a failure."""
    path = seeded(tmp_path, CS231N, "optim.py", old, new)
    if name == "adam":                          # and the step to come stored after the update
        text = open(os.path.join(path, "optim.py")).read()
        head, _, rest = text.partition("def adam(")
        body, sep, after = rest.partition("    return next_w, config\n")
        open(os.path.join(path, "optim.py"), "w").write(head + "def adam(" + body + "    config[\"t\"] += 1\n" + sep + after)
    outcomes, _ = scan([path], only=name, dtypes=F64)
    assert verdicts(outcomes) == {name: ("CONVENTION", convention)}
    outcomes, _ = scan([path], only=name, dtypes=F64, conventions=convention)
    assert verdicts(outcomes) == {name: ("PASS", {})}


def test_a_nan_loss_where_torch_is_finite_says_why():
    """-sum(onehot * log(p)) is NaN once a p underflows to 0 (0 * log 0): the failure names it."""
    from parity_tests import check_component

    def softmax_loss(x, y):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        onehot = np.eye(x.shape[1], dtype=x.dtype)[y]
        dx = (p - onehot) / len(x)
        return -np.sum(onehot * np.log(p)) / len(x), dx.astype(x.dtype)
    x = np.array([[1000.0, 0.0, -1000.0], [0.5, 0.1, 0.2]], dtype=np.float32)
    with np.errstate(all="ignore"):
        report = check_component(softmax_loss, x, y=np.array([0, 2]), hints=False)
    loss = next(r for r in report.failures if r.check == "loss")
    assert "a 0 * log(0)" in loss.message() and "take the label's column instead" in loss.message()


def test_the_linear_classifier_classes_are_checked_through_their_loss(tmp_path):
    """cs231n assignment 1's ``Softmax.loss(X_batch, y_batch, reg)`` that calls the SVM's loss fails, at
    Softmax.loss; d2l's ``adam(params, states, hyperparams)`` beside it is listed as skipped, not failed."""
    path = seeded(tmp_path, CS231N, "classifiers/linear_classifier.py",
                  "return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)",
                  "return svm_loss_vectorized(self.W, X_batch, y_batch, reg)")
    outcomes, _ = scan([path], only="Softmax.loss,LinearSVM.loss", dtypes=F64)
    v = verdicts(outcomes)
    assert v["Softmax.loss"][0] == "FAIL" and v["LinearSVM.loss"][0] == "PASS", v
    d2l = tmp_path / "d2l_optim.py"
    d2l.write_text("def adam(params, states, hyperparams):\n    pass\n"
                   "def sgd(params, lr, batch_size):\n    pass\n"
                   "def sgd_momentum(w, dw, config=None):\n    return w, config\n")
    found, skipped = scan([str(d2l)], dtypes=F64)
    assert [o.target.name for o in found] == ["sgd_momentum"]             # cs231n's form, checked
    assert {n for n, _ in skipped} == {"adam", "sgd"} and all("d2l's" in why for _, why in skipped), skipped


def test_the_books_batchnorm_is_checked_on_conv_output_too(tmp_path):
    """The book's BatchNormalization flattens (N, C, H, W) to (N, C*H*W): its 4-D path has a sample of
    its own (textbook style only); a backward that flattens in another order fails there alone."""
    path = seeded(tmp_path, TEXTBOOK, "common/layers.py", "            dout = dout.reshape(N, -1)",
                  "            dout = dout.transpose(0, 2, 3, 1).reshape(N, -1)")
    outcomes, _ = scan([path], only="BatchNormalization", dtypes=F64, conventions={"running_var": "biased"})
    (o,) = outcomes
    assert o.verdict == "FAIL" and {r.sample for r in o.report.failures} == {"(6,2,3,3) as (6,18): the book's conv path"}
    assert "grad_input" in {r.check for r in o.report.failures}


@pytest.mark.parametrize("backward,want", [
    ("dx[n, c, i * s + k // pw, j * s + k % pw] += dout[:, :, i, j]", ("PASS", {})),
    ("m = (window == window.max(axis=2, keepdims=True))\n"
     "            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += (m * dout[:, :, i, j][..., None]).reshape(N, C, ph, pw)",
     ("CONVENTION", {"pool_ties": "all"})),
    ("m = (window == window.max(axis=2, keepdims=True))\n"
     "            m = m / m.sum(axis=2, keepdims=True)\n"
     "            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += (m * dout[:, :, i, j][..., None]).reshape(N, C, ph, pw)",
     ("CONVENTION", {"pool_ties": "split"})),
    ("m = (window == window.max(axis=2, keepdims=True))\n"
     "            m = m / 2.0\n"
     "            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += (m * dout[:, :, i, j][..., None]).reshape(N, C, ph, pw)",
     ("FAIL", {})),
])
def test_max_pool_ties_to_the_first_to_all_or_shared_out(tmp_path, backward, want):
    """Three valid subgradients at tied maxima: torch's (the first), every one (``pool_ties=all``), an
    equal share each (``pool_ties=split``, cs231n's fast layer with its division); halving is none."""
    path = seeded(tmp_path, CS231N, "layers.py", "dx[n, c, i * s + k // pw, j * s + k % pw] += dout[:, :, i, j]",
                  backward)
    outcomes, _ = scan([path], only="max_pool_forward_naive", dtypes=F64)
    got = verdicts(outcomes)["max_pool_forward_naive"]
    assert (got[0], got[1] if got[0] != "FAIL" else {}) == want, got


def test_a_relu_gradient_off_only_at_exact_zeros_is_told_so(tmp_path):
    """A ReLU whose backward keeps the gradient where x == 0 (``x >= 0``) fails on the exact-zeros sample
    only, and the failure says every mismatch lies at the kink, with both derivatives there."""
    (tmp_path / "relu.py").write_text("import numpy as np\n\n\nclass Activation_ReLU:\n"
                                      "    def forward(self, inputs):\n        self.inputs = inputs\n"
                                      "        self.output = np.maximum(0, inputs)\n\n"
                                      "    def backward(self, dvalues):\n        self.dinputs = dvalues.copy()\n"
                                      "        self.dinputs[self.inputs < 0] = 0\n")
    outcomes, _ = scan([str(tmp_path)], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "Activation_ReLU")
    assert verdict == "FAIL" and checks == {"grad_input"}
    assert "every mismatch is where the input is exactly 0" in text and "a derivative of 1 there, torch's 0" in text
    (tmp_path / "relu.py").write_text((tmp_path / "relu.py").read_text().replace("< 0] = 0", "< 0] = 0.5"))
    outcomes, _ = scan([str(tmp_path)], dtypes=F64)
    assert "exactly 0" not in failed_checks(outcomes, "Activation_ReLU")[2]   # wrong away from the kink too
