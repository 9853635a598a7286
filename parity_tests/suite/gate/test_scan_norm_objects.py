"""``parity scan`` on BatchNorm and LayerNorm layers written as objects in the forms met outside the courses'
handouts:
a blog's ``BatchNormalization(n_features, momentum=0.9)`` with a ``training`` attribute (named like the
book's, but not built like it), a torch-like ``BatchNorm(momentum=0.1)`` whose ``forward(x, training=False)``
defaults to eval, and a ``BatchNorm2d`` on (N, C, H, W) with (1, C, 1, 1) parameters. Each is checked
against torch's batch_norm (forward, input and parameter gradients), its running statistics after a
training step (the momentum read either way round from its attribute) and its eval forward; a
transformer-style ``LayerNorm(d_model, eps=1e-6)`` against torch's layer_norm. Seeded bugs fail at
their check, with a line saying why where one can."""
import pytest

from parity_tests.gate.scan import check_target, scan

from .test_scan import F64, failed_checks, verdicts, write_files

BLOG = '''import numpy as np


class BatchNormalization:
    def __init__(self, n_features, momentum=0.9, epsilon=1e-5):
        self.gamma = np.ones(n_features)
        self.beta = np.zeros(n_features)
        self.momentum, self.epsilon = momentum, epsilon
        self.running_mean = np.zeros(n_features)
        self.running_var = np.ones(n_features)
        self.training = True

    def forward(self, X):
        if self.training:
            mean, var = X.mean(axis=0), X.var(axis=0)
            n = X.shape[0]
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.X_centered = X - mean
        self.stddev_inv = 1 / np.sqrt(var + self.epsilon)
        self.X_norm = self.X_centered * self.stddev_inv
        return self.gamma * self.X_norm + self.beta

    def backward(self, dout):
        N = dout.shape[0]
        self.dgamma = np.sum(dout * self.X_norm, axis=0)
        self.dbeta = np.sum(dout, axis=0)
        dX_norm = dout * self.gamma
        return (1 / N) * self.stddev_inv * (N * dX_norm - np.sum(dX_norm, axis=0)
                                            - self.X_norm * np.sum(dX_norm * self.X_norm, axis=0))
'''

TORCH_LIKE = '''import numpy as np


class BatchNorm:
    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        self.weight, self.bias = np.ones(num_features), np.zeros(num_features)
        self.momentum, self.eps = momentum, eps
        self.running_mean, self.running_var = np.zeros(num_features), np.ones(num_features)

    def forward(self, x, training=False):
        if training:
            mu, var = x.mean(0), x.var(0)
            n = x.shape[0]
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mu
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * n / (n - 1)
        else:
            mu, var = self.running_mean, self.running_var
        self.inv = 1 / np.sqrt(var + self.eps)
        self.xhat = (x - mu) * self.inv
        return self.weight * self.xhat + self.bias

    def backward(self, grad):
        self.grad_weight = (grad * self.xhat).sum(0)
        self.grad_bias = grad.sum(0)
        g = grad * self.weight
        return self.inv * (g - g.mean(0) - self.xhat * (g * self.xhat).mean(0))
'''

SPATIAL = '''import numpy as np


class BatchNorm2d:
    def __init__(self, num_features, alpha=0.9):
        self.alpha, self.eps = alpha, 1e-5
        self.gamma = np.ones((1, num_features, 1, 1))
        self.beta = np.zeros((1, num_features, 1, 1))
        self.running_mean = np.zeros((1, num_features, 1, 1))
        self.running_var = np.ones((1, num_features, 1, 1))

    def forward(self, x, eval=False):
        if eval:
            return self.gamma * (x - self.running_mean) / np.sqrt(self.running_var + self.eps) + self.beta
        self.mu = x.mean(axis=(0, 2, 3), keepdims=True)
        self.var = x.var(axis=(0, 2, 3), keepdims=True)
        self.xhat = (x - self.mu) / np.sqrt(self.var + self.eps)
        m = x.size / x.shape[1]
        self.running_mean = self.alpha * self.running_mean + (1 - self.alpha) * self.mu
        self.running_var = self.alpha * self.running_var + (1 - self.alpha) * self.var * m / (m - 1)
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma = (dout * self.xhat).sum(axis=(0, 2, 3), keepdims=True)
        self.dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
        g = dout * self.gamma
        inv = 1 / np.sqrt(self.var + self.eps)
        return inv * (g - g.mean(axis=(0, 2, 3), keepdims=True)
                      - self.xhat * (g * self.xhat).mean(axis=(0, 2, 3), keepdims=True))
'''

LAYER_NORM = '''import numpy as np


class LayerNorm:
    def __init__(self, d_model, eps=1e-6):
        self.gamma = np.ones(d_model)
        self.beta = np.zeros(d_model)
        self.eps = eps

    def forward(self, x):
        self.mean = x.mean(axis=-1, keepdims=True)
        self.var = x.var(axis=-1, keepdims=True)
        self.xhat = (x - self.mean) / np.sqrt(self.var + self.eps)
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma = (dout * self.xhat).sum(axis=0)
        self.dbeta = dout.sum(axis=0)
        d = dout.shape[-1]
        dxhat = dout * self.gamma
        inv = 1 / np.sqrt(self.var + self.eps)
        return inv / d * (d * dxhat - dxhat.sum(-1, keepdims=True)
                          - self.xhat * (dxhat * self.xhat).sum(-1, keepdims=True))
'''

STATE = {"running_mean:running_mean", "running_var:running_var", "eval_forward"}


@pytest.mark.parametrize("source, name, params", [
    (BLOG, "BatchNormalization", ("gamma", "beta")),
    (TORCH_LIKE, "BatchNorm", ("weight", "bias")),
    (SPATIAL, "BatchNorm2d", ("gamma", "beta"))])
def test_each_form_passes_against_torch_with_its_running_statistics_and_eval(tmp_path, source, name, params):
    outcomes, skipped = scan([write_files(tmp_path, {"bn.py": source})], dtypes=F64)
    assert verdicts(outcomes) == {name: ("PASS", {})} and skipped == []
    checks = {r.check for r in outcomes[0].report.results}
    assert {"forward", "grad_input", *(f"grad_param:{p}" for p in params), *(f"fd:{p}" for p in params)} | STATE \
        <= checks, checks


@pytest.mark.parametrize("size", ["d_model", "dim", "normalized_shape", "n_embd"])
def test_a_layer_norm_passes_against_torchs_layer_norm(tmp_path, size):
    source = LAYER_NORM.replace("d_model", size)
    outcomes, skipped = scan([write_files(tmp_path, {"ln.py": source})], dtypes=F64)
    assert verdicts(outcomes) == {"LayerNorm": ("PASS", {})} and skipped == []
    assert outcomes[0].target.kind == "layernorm"
    assert {"forward", "grad_input", "grad_param:gamma", "grad_param:beta", "fd:gamma"} <= \
        {r.check for r in outcomes[0].report.results}


BUGS = {
    "blog: running mean's momentum the wrong way round": (
        BLOG, "self.momentum * self.running_mean + (1 - self.momentum) * mean",
        "(1 - self.momentum) * self.running_mean + self.momentum * mean",
        "running_mean:running_mean", "the momentum the wrong way round"),
    "blog: running variance from the standard deviation": (
        BLOG, "(1 - self.momentum) * var * n / (n - 1)", "(1 - self.momentum) * np.sqrt(var)",
        "running_var:running_var", ""),
    "blog: running mean never updated": (
        BLOG, "            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean\n", "",
        "running_mean:running_mean", "never updated"),
    "blog: eval mode normalises by the batch": (
        BLOG, "mean, var = self.running_mean, self.running_var", "mean, var = X.mean(axis=0), X.var(axis=0)",
        "eval_forward", ""),
    "blog: eval mode not written (it raises)": (
        BLOG, "            mean, var = self.running_mean, self.running_var",
        "            raise NotImplementedError('eval')", "eval_forward", "its eval forward (training = False) raised"),
    "blog: gamma and beta swapped in the forward": (
        BLOG, "return self.gamma * self.X_norm + self.beta", "return self.beta * self.X_norm + self.gamma",
        "forward", ""),
    "torch-like: the unbiased variance in the training forward": (
        TORCH_LIKE, "mu, var = x.mean(0), x.var(0)", "mu, var = x.mean(0), x.var(0, ddof=1)", "forward",
        "the unbiased 1/(N-1) variance"),
    "torch-like: eval forward updates the running mean": (
        TORCH_LIKE, "            mu, var = self.running_mean, self.running_var",
        "            self.running_mean = self.running_mean * 0.5\n            mu, var = self.running_mean, self.running_var",
        "eval_forward", "updated in training only"),
    "spatial: statistics over the batch only": (
        SPATIAL, "self.mu = x.mean(axis=(0, 2, 3), keepdims=True)", "self.mu = x.mean(axis=0, keepdims=True)",
        "forward", ""),
    "layer norm: eps added outside the square root": (
        LAYER_NORM, "self.xhat = (x - self.mean) / np.sqrt(self.var + self.eps)",
        "self.xhat = (x - self.mean) / (np.sqrt(self.var) + self.eps)", "forward", "eps added outside"),
    "layer norm: statistics over the batch": (
        LAYER_NORM, "self.mean = x.mean(axis=-1, keepdims=True)", "self.mean = x.mean(axis=0, keepdims=True)",
        "forward", ""),
    "layer norm: beta's gradient averaged": (
        LAYER_NORM, "self.dbeta = dout.sum(axis=0)", "self.dbeta = dout.mean(axis=0)", "grad_param:beta", "0.2 times"),
    "spatial: eps left out": (
        SPATIAL, "self.xhat = (x - self.mu) / np.sqrt(self.var + self.eps)", "self.xhat = (x - self.mu) / np.sqrt(self.var)",
        "forward", "no eps"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_fails_at_its_check(tmp_path, bug):
    source, old, new, check, why = BUGS[bug]
    assert source.count(old) == 1, old
    name = next(line.split()[1].split("(")[0].rstrip(":") for line in source.splitlines() if line.startswith("class "))
    outcomes = scan([write_files(tmp_path, {"bn.py": source.replace(old, new)})], dtypes=F64)[0]
    verdict, checks, text = failed_checks(outcomes, name)
    assert verdict == "FAIL" and check in checks and why in text, (verdict, checks, text)


def test_the_handouts_biased_running_variance_is_a_convention(tmp_path):
    source = BLOG.replace("var * n / (n - 1)", "var")
    outcomes = scan([write_files(tmp_path, {"bn.py": source})], dtypes=F64)[0]
    assert verdicts(outcomes) == {"BatchNormalization": ("CONVENTION", {"running_var": "biased"})}
    # strictly read, the one check that differs says why
    strict = check_target(outcomes[0].target, F64, {})
    assert [r.check for r in strict.failures] == ["running_var:running_var"]
    assert "biased 1/N (np.var's) batch variance" in strict.failures[0].message()
    declared = scan([write_files(tmp_path, {"bn.py": source})], dtypes=F64, conventions={"running_var": "biased"})[0]
    assert verdicts(declared) == {"BatchNormalization": ("PASS", {})}
