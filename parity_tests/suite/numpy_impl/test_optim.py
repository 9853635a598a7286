"""Optimizers beyond the registry trajectories: classic variants' predicted relations, mutation
proof, exact stop/resume, initialiser distributions, and the optimizer-paths picture."""
import numpy as np
import pytest
import torch

import numpy_impl.optim as no
from numpy_impl import init
from numpy_impl.optim import optimizers as O
from parity_tests.gate.registry import BY_NAME as OPTIM_BY_NAME
from parity_tests.gate.trajectory import check_trajectory
from parity_tests.lab.optim_paths import main as paths_main, paths


def failing(report):
    return {r.check for r in report.failures}


# -------------------------------------------------------------- classic variants
def test_classic_momentum_equals_torch_at_constant_lr_and_not_after_a_change():
    rng = np.random.default_rng(0)
    a, b = {"w": np.ones(5)}, {"w": np.ones(5)}
    ta, tb = no.SGD(a, lr=0.1, momentum=0.9), no.SGD(b, lr=0.1, momentum=0.9, variant="classic")
    for step in range(50):
        g = {"w": rng.standard_normal(5)}
        ta.step(g), tb.step(g)
        np.testing.assert_allclose(tb.state["w"]["velocity"], -0.1 * ta.state["w"]["momentum_buffer"], rtol=1e-12)
    np.testing.assert_allclose(a["w"], b["w"], rtol=1e-12)
    for o in (ta, tb):
        o.param_groups[0]["lr"] = 0.01                 # an lr change: the two forms part ways
    for step in range(5):
        g = {"w": rng.standard_normal(5)}
        ta.step(g), tb.step(g)
    assert np.max(np.abs(a["w"] - b["w"])) > 1e-3


def test_classic_adam_differs_by_the_predicted_factor():
    """One step: classic/torch step ratio is exactly (sqrt(v) + eps*sqrt(bc2)) / (sqrt(v) + eps)."""
    g = np.array([1e-6, 1e-4, 1.0])
    p0 = np.zeros(3)
    t, c = {"w": p0.copy()}, {"w": p0.copy()}
    no.Adam(t, lr=0.1).step({"w": g})
    no.Adam(c, lr=0.1, variant="classic").step({"w": g})
    v, eps, bc2 = 0.001 * g * g, 1e-8, 1 - 0.999
    np.testing.assert_allclose(c["w"] / t["w"], (np.sqrt(v) + eps * np.sqrt(bc2)) / (np.sqrt(v) + eps), rtol=1e-12)
    # and over 100 steps of 1e-6 gradients at lr 0.01 the gap is 4.5% of the distance travelled
    # (measured 0.0448 of 0.990; 0.149 at a larger lr): not a rounding effect
    t, c = {"w": np.zeros(1)}, {"w": np.zeros(1)}
    ot, oc = no.Adam(t, lr=0.01), no.Adam(c, lr=0.01, variant="classic")
    for _ in range(100):
        ot.step({"w": np.array([1e-6])}), oc.step({"w": np.array([1e-6])})
    assert abs(t["w"][0] - c["w"][0]) > 0.04


# -------------------------------------------------------------- mutation proof
def test_wrong_bias_correction_caught(monkeypatch):
    orig = O.Adam._update

    def update(self, p, g, state, group):
        orig(self, p, g, state, group)
        if state["step"] == 3:
            p *= 1 + 1e-3 * (1 - group["betas"][0])   # a bias-correction slip at one step
    monkeypatch.setattr(O.Adam, "_update", update)
    report = check_trajectory(OPTIM_BY_NAME["Adam"])
    assert "param:w1" in failing(report)
    assert any("first diverged at step 3" in r.message() for r in report.failures)


def test_missing_sqrt_caught(monkeypatch):
    monkeypatch.setattr(O.np, "sqrt", lambda v: v)
    report = check_trajectory(OPTIM_BY_NAME["RMSprop"])
    assert "param:w1" in failing(report)
    assert any("RMSprop [param:w1]" in r.message() and "first diverged at step 1" in r.message()
               for r in report.failures)


def test_weight_decay_on_biases_caught(monkeypatch):
    orig = O.SGD._update

    def update(self, p, g, state, group):
        group = dict(group, weight_decay=self.param_groups[0]["weight_decay"])  # decay everything
        orig(self, p, g, state, group)
    monkeypatch.setattr(O.SGD, "_update", update)
    report = check_trajectory(OPTIM_BY_NAME["SGD groups (wd on weights only)"])
    assert "param:b1" in failing(report) and "param:w1" not in failing(report)


def test_classic_momentum_after_lr_change_caught():
    """The gate sees the classic form's divergence once StepLR changes the lr (step 30)."""
    entry = OPTIM_BY_NAME["SGD momentum StepLR"]
    classic = type(entry)(entry.name, lambda p: no.SGD(p, lr=1e-2, momentum=0.9, variant="classic"),
                          schedule=entry.schedule)
    report = check_trajectory(classic)
    assert "param:w1" in failing(report)
    assert any("first diverged at step 3" in r.message() for r in report.failures if r.check == "param:w1")


# -------------------------------------------------------------- state save / resume
@pytest.mark.parametrize("make", [lambda p: no.Adam(p, lr=1e-2, amsgrad=True),
                                  lambda p: no.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                                  lambda p: no.RMSprop(p, momentum=0.5, centered=True)])
def test_stop_and_resume_is_bit_identical(make):
    rng = np.random.default_rng(0)
    grads = [{"w": rng.standard_normal((3, 2))} for _ in range(20)]
    full = {"w": np.ones((3, 2))}
    o = make(full)
    s = no.StepLR(o, 5, 0.5)
    for g in grads:
        o.step(g)
        s.step()
    part = {"w": np.ones((3, 2))}
    o1 = make(part)
    s1 = no.StepLR(o1, 5, 0.5)
    for g in grads[:9]:
        o1.step(g)
        s1.step()
    saved, saved_s, saved_p = o1.state_dict(), s1.state_dict(), {"w": part["w"].copy()}
    resumed = {"w": saved_p["w"].copy()}
    o2 = make(resumed)
    o2.load_state_dict(saved)
    s2 = no.StepLR(o2, 5, 0.5)
    s2.load_state_dict(saved_s)
    for g in grads[9:]:
        o2.step(g)
        s2.step()
    np.testing.assert_array_equal(resumed["w"], full["w"])


def test_optimizer_errors():
    with pytest.raises(TypeError, match=r"unknown hyperparameter\(s\) \['momentun'\]"):
        no.SGD({"w": np.zeros(2)}, momentun=0.9)
    with pytest.raises(ValueError, match="gradient for 'w' has shape \\(3,\\), parameter has \\(2,\\)"):
        no.SGD({"w": np.zeros(2)}).step({"w": np.zeros(3)})
    with pytest.raises(ValueError, match="more than one group"):
        w = np.zeros(2)
        no.SGD([{"params": {"w": w}}, {"params": {"w": w}}])
    with pytest.raises(ValueError, match="nesterov needs momentum"):
        no.SGD({"w": np.zeros(2)}, nesterov=True)


# -------------------------------------------------------------- initialisers
def _ks_statistic(a, b):
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return np.max(np.abs(np.searchsorted(a, grid, side="right") / a.size - np.searchsorted(b, grid, side="right") / b.size))


@pytest.mark.parametrize("np_shape, layout, torch_shape", [
    ((300, 200), "linear", (200, 300)),            # NumPy Linear (in, out) is torch (out, in)
    ((32, 16, 3, 3), "torch", (32, 16, 3, 3)),      # Conv2d weights share torch's layout
])
@pytest.mark.parametrize("name, np_fn, torch_fn", [
    ("xavier_normal", init.xavier_normal, torch.nn.init.xavier_normal_),
    ("xavier_uniform", init.xavier_uniform, torch.nn.init.xavier_uniform_),
    ("he_normal", init.he_normal, lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu")),
    ("kaiming_uniform", init.kaiming_uniform, lambda t: torch.nn.init.kaiming_uniform_(t, nonlinearity="relu")),
    ("classic_xavier", init.classic_xavier, lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="linear")),
])
def test_initialiser_distribution_parity(np_shape, layout, torch_shape, name, np_fn, torch_fn):
    from torch.nn.init import _calculate_fan_in_and_fan_out
    assert init.fans(np_shape, layout) == _calculate_fan_in_and_fan_out(torch.empty(torch_shape))
    w = np_fn(np_shape, rng=np.random.default_rng(0))
    torch.manual_seed(0)
    t = torch_fn(torch.empty(torch_shape, dtype=torch.float64)).numpy()
    n = w.size
    assert abs(w.mean()) < 5 * t.std() / np.sqrt(n)
    assert abs(w.std() / t.std() - 1) < 5 * np.sqrt(1 / (2 * n)) + 5 * np.sqrt(1 / (2 * t.size))
    # two-sample Kolmogorov-Smirnov at alpha = 0.001: c(alpha) = 1.949
    d = _ks_statistic(w.ravel(), t.ravel())
    assert d < 1.949 * np.sqrt(2 / n), (name, d)


def test_classic_xavier_is_not_torch_xavier():
    w = init.classic_xavier((400, 100), rng=0)
    assert abs(w.std() - np.sqrt(1 / 400)) < 0.02 * np.sqrt(1 / 400)
    assert abs(w.std() - np.sqrt(2 / 500)) > 0.1 * np.sqrt(2 / 500)


def test_init_reproducible_and_dtype():
    a = init.he_normal((5, 4), rng=3, dtype=np.float32)
    b = init.he_normal((5, 4), rng=3, dtype=np.float32)
    assert a.dtype == np.float32 and np.array_equal(a, b)
    with pytest.raises(ValueError, match="unknown initialiser 'glorot'"):
        init.by_name("glorot")


# -------------------------------------------------------------- the picture
def test_optim_paths_coincide_and_png_written(tmp_path):
    for name, (p_np, p_t) in paths().items():
        assert p_np.shape == (31, 2)
        np.testing.assert_allclose(p_np, p_t, atol=1e-12, err_msg=name)
    out = tmp_path / "paths.png"
    assert paths_main(str(out)) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_broken_state_names_the_parameter(monkeypatch):
    orig = O.Adam._update

    def update(self, p, g, state, group):
        orig(self, p, g, state, group)
        if p.shape == (3,):
            state["exp_avg_sq"] *= 1.001          # a wrong second moment for b1 only
    monkeypatch.setattr(O.Adam, "_update", update)
    report = check_trajectory(OPTIM_BY_NAME["Adam"])
    assert "state:b1.exp_avg_sq" in failing(report)
    assert "state:w1.exp_avg_sq" not in failing(report)
