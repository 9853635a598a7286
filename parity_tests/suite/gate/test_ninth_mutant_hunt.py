"""What the checker itself must catch, each pinned because a one-line bug in the checker (the ninth
mutant hunt, on parity_tests/gate) let realistic buggy code pass and no test noticed: the size of the
tolerance policy (float64, float32, finite differences, the floor), the side checks of check_layer
(memory shared with dout, a scratch output buffer, an assert in a backward, a parameter torch never
used), each style checker's no_mutation call, the reports (JUnit, JSON, the table), the mutant runner,
the optimizer trajectories, lockstep's limit, diagnose's magnitude term, and the registry's own-gradient
check and extra batches."""
import json
import os

import numpy as np
import pytest
import torch

import numpy_impl as ni
import numpy_impl.optim as no
from numpy_impl.models import FullyConnectedNet
from parity_tests import check_layer
from parity_tests.gate import mutants as mutants_module
from parity_tests.gate.compare import CheckResult, compare, failed
from parity_tests.gate.diagnose import diagnose
from parity_tests.gate.lockstep import Lockstep
from parity_tests.gate.properties import Props
from parity_tests.gate.registry import ENTRIES, OPTIM_ENTRIES
from parity_tests.gate.report import Report
from parity_tests.gate.runner import run_case
from parity_tests.gate.scan import scan
from parity_tests.gate.tolerance import tolerance_for
from parity_tests.gate.trajectory import check_trajectory

from .test_api import MyAffine
from .test_scan import F64, ROOT, failed_checks, seeded, write_files

MAP = {"W": "weight.T", "b": "bias"}

# The documented policy (tolerance.py's docstring), written out here so that the tests measure the
# policy instead of reading it back: an element passes when
# |actual - expected| <= rtol * |expected| + scale * max|expected| + floor.
DOCUMENTED = {"float64": (1e-10, 1e-10, 1e-30), "float32": (1e-5, 1e-5, 1e-30), "fd": (1e-6, 1e-7, 1e-10)}


def _bound(expected, policy):
    rtol, scale, floor = DOCUMENTED[policy]
    e = np.abs(np.asarray(expected, dtype=np.float64))
    return rtol * e + scale * e.max() + floor


# ------------------------------------------------------------------------------------- the tolerance policy


@pytest.mark.parametrize("dtype,check,policy", [("float64", "grad_param:W", "float64"),
                                                ("float32", "grad_param:W", "float32"),
                                                ("float64", "fd:W", "fd")])
def test_an_error_just_above_the_documented_bound_fails_and_just_below_passes(dtype, check, policy):
    """Each element is allowed exactly rtol*|e| + scale*max|e| + floor: an error of 1.2 times that
    bound on any one element (the largest, a middle one, the smallest) fails, 0.8 times passes. A
    10x looser policy passes the 1.2x errors."""
    expected = np.array([2.0, -0.75, 0.125, 1.5], dtype=dtype)
    tol = tolerance_for(dtype, check)
    bound = _bound(expected, policy)
    for i in range(expected.size):
        for factor, passes in ((1.2, False), (0.8, True)):
            actual = expected.astype(np.float64)
            actual[i] += factor * bound[i]
            actual = actual.astype(dtype)
            got = np.float64(actual[i]) - np.float64(expected[i])     # what the rounding to dtype kept
            assert abs(got / bound[i] - factor) < 0.05, (dtype, i, got / bound[i])
            res = compare(actual, expected, tol, component="c", check=check)
            assert res.passed is passes, (dtype, check, i, factor, res.message())


def test_a_gradient_off_by_3e_10_fails_in_float64_and_one_off_by_1e_12_passes():
    """A user's affine layer whose dW is off by 3e-10 relative fails float64's check (1e-10 of the
    magnitude, plus 1e-10 relative), at grad_param:W; off by 1e-12 it passes."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4))
    layer = MyAffine(4, 3, rng)
    layer.scale_bug = 1 + 3e-10
    report = check_layer(layer, torch.nn.Linear(4, 3), MAP, x, finite_differences=False)
    assert {r.check for r in report.failures} == {"grad_param:W"}, report.failures
    layer.scale_bug = 1 + 1e-12
    assert check_layer(layer, torch.nn.Linear(4, 3), MAP, x, finite_differences=False).passed


class MyAffine32(MyAffine):
    """MyAffine in float32, its dW scaled by ``scale_bug``."""

    def __init__(self, rng):
        super().__init__(4, 3, rng)
        self.params = {k: v.astype(np.float32) for k, v in self.params.items()}

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["W"] = (self.grads["W"].astype(np.float64) * self.scale_bug).astype(np.float32)
        return dx


def test_a_gradient_off_by_5e_5_fails_in_float32_and_one_off_by_1e_6_passes():
    """float32's policy is 1e-5 relative + 1e-5 of the magnitude: a dW off by 5e-5 relative fails at
    grad_param:W; off by 1e-6 (rounding-sized) it passes."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    layer = MyAffine32(rng)
    layer.scale_bug = 1 + 5e-5
    report = check_layer(layer, torch.nn.Linear(4, 3), MAP, x)
    assert {r.check for r in report.failures} == {"grad_param:W"}, report.failures
    layer.scale_bug = 1 + 1e-6
    assert check_layer(layer, torch.nn.Linear(4, 3), MAP, x).passed


def test_the_finite_difference_row_alone_fails_a_gradient_off_by_3e_6():
    """The fd:W row (the oracle that does not trust torch) allows 1e-6 relative + 1e-7 of the magnitude:
    a dW off by 3e-6 relative fails fd:W itself; off by 1e-8 fd:W passes."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4))
    layer = MyAffine(4, 3, rng)
    layer.scale_bug = 1 + 3e-6
    report = check_layer(layer, torch.nn.Linear(4, 3), MAP, x)
    assert "fd:W" in {r.check for r in report.failures}, report.failures
    layer.scale_bug = 1 + 1e-8
    report = check_layer(layer, torch.nn.Linear(4, 3), MAP, x)
    assert next(r for r in report.results if r.check == "fd:W").passed


def test_a_0_1_percent_error_in_gradients_of_1e_13_fails_in_float64():
    """The floor is 1e-30, only there for all-zero references: gradients of ~1e-13 (inputs and
    upstream gradient of 1e-7, the Adam-second-moment case) off by 0.1% fail grad_param:W."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 4)) * 1e-7
    dout = rng.standard_normal((6, 3)) * 1e-7
    layer = MyAffine(4, 3, rng)
    layer.scale_bug = 1.001
    report = check_layer(layer, torch.nn.Linear(4, 3), MAP, x, dout=dout, finite_differences=False)
    assert "grad_param:W" in {r.check for r in report.failures}, report.failures
    expected = np.array([3e-13, -2e-13, 1e-13])
    assert not compare(expected * 1.001, expected, tolerance_for("float64", "grad_param:W"), component="c",
                       check="grad_param:W").passed


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_far_off_element_does_not_widen_its_neighbours_allowance(dtype):
    """The allowance is measured on the reference (torch), not on the result: a result with one element
    a billion times too large and a neighbour 0.1% off counts both as mismatches."""
    expected = np.array([1.0, 1.0, 0.5], dtype=dtype)
    actual = np.array([1e9, 1.001, 0.5], dtype=dtype)
    res = compare(actual, expected, tolerance_for(dtype, "forward"), component="c", check="forward")
    assert not res.passed and res.mismatches == 2, res.message()


# ------------------------------------------------------------------------------ check_layer's side checks


class MyFlatten:
    """A user's flatten: the input gradient is ``dout.reshape(...)``, a view of the caller's dout."""

    def describe(self):
        return "MyFlatten"

    def named_parameters(self):
        return {}

    def named_grads(self):
        return {}

    def named_buffers(self):
        return {}

    def train(self, mode=True):
        return self

    def forward(self, x, training=True):
        self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dout):
        return dout.reshape(self.shape)


def test_an_input_gradient_that_is_a_view_of_dout_fails_own_gradient():
    """With own_gradient (the registry's layers), an input gradient sharing memory with dout fails
    no_mutation even when it is a reshaped view, not dout itself."""
    x = np.random.default_rng(0).standard_normal((3, 2, 4))
    report = check_layer(MyFlatten(), torch.nn.Flatten(), {}, x, own_gradient=True)
    msgs = [r.message() for r in report.failures if r.check == "no_mutation"]
    assert msgs and any("shares memory" in m for m in msgs), report.failures


class MyScratchAffine(MyAffine):
    """An affine layer writing its output into a buffer it reuses on every call."""

    def forward(self, x, training=True):
        self.x = x
        if getattr(self, "buf", None) is None or self.buf.shape != (len(x), 3) or self.buf.dtype != x.dtype:
            self.buf = np.empty((len(x), 3), dtype=x.dtype)
        np.matmul(x, self.params["W"].astype(x.dtype), out=self.buf)
        self.buf += self.params["b"].astype(x.dtype)
        return self.buf


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_output_kept_in_a_scratch_buffer_fails_repeat_without_finite_differences(dtype):
    """The next forward (on other input) overwrites the output the caller still holds: repeat:output
    kept fails, in float32 and in float64 with finite differences off (nothing else overwrites it)."""
    rng = np.random.default_rng(0)
    layer = MyScratchAffine(4, 3, rng)
    layer.params = {k: v.astype(dtype) for k, v in layer.params.items()}
    module = torch.nn.Linear(4, 3)
    report = check_layer(layer, module, MAP, rng.standard_normal((5, 4)).astype(dtype), finite_differences=False)
    assert "repeat:output kept" in {r.check for r in report.failures}, report.failures


class MyAccumulatingAffine(MyAffine):
    """An affine layer adding each backward's dW into the last one (``+=``, never zeroed)."""

    def backward(self, dout):
        dx = super().backward(dout)
        if getattr(self, "acc", None) is not None:
            self.grads["W"] = self.acc + self.grads["W"]
        self.acc = self.grads["W"]
        return dx


def test_a_parameter_gradient_accumulated_across_calls_fails_the_repeat_check():
    """A second forward/backward on the same input must give the same parameter gradients: a dW that
    keeps adding into the previous call's fails a repeat check at grad_param:W."""
    rng = np.random.default_rng(0)
    report = check_layer(MyAccumulatingAffine(4, 3, rng), torch.nn.Linear(4, 3), MAP, rng.standard_normal((5, 4)),
                         finite_differences=False)
    failing = {r.check for r in report.failures}
    assert any(k.startswith("repeat") and k.endswith("grad_param:W") for k in failing), failing


class LinearAndUnused(torch.nn.Module):
    """A torch mirror with a parameter its forward never uses."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 3)
        self.extra = torch.nn.Parameter(torch.zeros(3))

    def forward(self, x):
        return self.lin(x)


def test_a_parameter_mapped_to_a_tensor_torch_never_uses_fails_saying_so():
    """b mapped to a torch parameter that the forward does not use: torch has no gradient for it, so
    grad_param:b fails with that hint instead of leaving the NumPy gradient unchecked."""
    rng = np.random.default_rng(0)
    layer = MyAffine(4, 3, rng)
    module = LinearAndUnused()
    with torch.no_grad():
        module.lin.bias.zero_()
    layer.params["b"] = np.zeros(3)
    report = check_layer(layer, module, {"W": "lin.weight.T", "b": "extra"}, rng.standard_normal((5, 4)),
                         finite_differences=False)
    bad = [r for r in report.failures if r.check == "grad_param:b"]
    assert bad and "torch has no gradient" in bad[0].message(), report.failures


AFFINE_BACKWARD_ASSERTS = '''import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    assert x.ndim == 2, "the backward was only written for 2-D x"
    dx = dout.dot(w.T)
    dw = x.T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db
'''


def test_an_assert_in_the_backward_after_the_forward_matched_is_a_failure_not_a_refusal(tmp_path):
    """cs231n's affine_backward asserting 2-D x (its 4-D case never written): the forward was already
    compared, so the assert is the component's bug: FAIL at error, not 'refused by its own assert'."""
    outcomes, _ = scan([write_files(tmp_path, {"layers.py": AFFINE_BACKWARD_ASSERTS})], only="affine_forward")
    verdict, checks, text = failed_checks(outcomes, "affine_forward")
    assert verdict == "FAIL" and "error" in checks and "AssertionError" in text, (verdict, checks, text)


# ----------------------------------------------------------------- each style checker's no_mutation call


RELU_DERIVATIVE_IN_PLACE = '''import numpy as np


def relu(x, deriv=False):
    if deriv:
        x[x <= 0] = 0
        x[x > 0] = 1
        return x
    return np.maximum(x, 0)
'''


def test_a_derivative_flag_written_into_x_fails_no_mutation(tmp_path):
    """relu(x, deriv=True) writing the 0/1 mask into the caller's x: FAIL no_mutation, x named."""
    outcomes, _ = scan([write_files(tmp_path, {"net.py": RELU_DERIVATIVE_IN_PLACE})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "relu")
    assert verdict == "FAIL" and "no_mutation" in checks and "the argument x was modified in place" in text, text


SQUARE_LOSS_IN_PLACE = '''import numpy as np


class Loss(object):
    def loss(self, y_true, y_pred):
        return NotImplementedError()

    def gradient(self, y, y_pred):
        raise NotImplementedError()


class SquareLoss(Loss):
    def __init__(self): pass

    def loss(self, y, y_pred):
        return 0.5 * np.power((y - y_pred), 2)

    def gradient(self, y, y_pred):
        y_pred -= y
        return y_pred
'''


def test_a_loss_gradient_written_into_the_prediction_fails_no_mutation(tmp_path):
    """ML-From-Scratch's SquareLoss.gradient as ``y_pred -= y; return y_pred``: the network's output is
    now the residual. FAIL no_mutation, the prediction named."""
    outcomes, _ = scan([write_files(tmp_path, {"loss_functions.py": SQUARE_LOSS_IN_PLACE})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "SquareLoss")
    assert verdict == "FAIL" and "no_mutation" in checks and "the prediction was modified in place" in text, text


def test_a_backward_that_clears_its_cached_input_fails_no_mutation_of_x(tmp_path):
    """Coursera's linear_backward zeroing A_prev in place once dW is computed ("the cache is not needed
    any more"): the values of L_model_forward/backward are right, but the caller's data X is zeroed."""
    folder = seeded(tmp_path, os.path.join(ROOT, "examples", "coursera"), "dnn_step_by_step.py",
                    "    dA_prev = np.dot(W.T, dZ)\n", "    dA_prev = np.dot(W.T, dZ)\n    A_prev *= 0\n")
    outcomes, _ = scan([folder], only="L_model_forward", dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "L_model_forward")
    assert verdict == "FAIL" and "no_mutation" in checks and "the data X" in text, (checks, text)


def test_a_forward_writing_its_outputs_into_the_row_fails_no_mutation(tmp_path):
    """A dict network whose forward_propagate reuses the caller's row for the layer outputs: the
    returned outputs are right, the row's features are overwritten: FAIL no_mutation, the row named."""
    from .test_scan_dict_network import write
    folder = write(tmp_path, [("        inputs = outputs\n", "        row[:len(outputs)] = outputs\n"
                                                          "        inputs = outputs\n")])
    outcomes, _ = scan([folder], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "backward_propagate_error")
    assert verdict == "FAIL" and "no_mutation" in checks and "the row" in text, (verdict, checks, text)


def test_a_cost_derivative_computed_in_y_fails_no_mutation(tmp_path):
    """Nielsen's cost_derivative as ``y -= output_activations; return -y``: the values are right, the
    caller's y is changed: FAIL no_mutation naming y."""
    folder = seeded(tmp_path, os.path.join(ROOT, "examples", "nielsen"), "network.py",
                    "return (output_activations-y)", "y -= output_activations\n        return -y")
    outcomes, _ = scan([folder], only="Network", dtypes=F64)
    o = next(o for o in outcomes if o.target.where.endswith("network.py") and o.target.name == "Network")
    text = " ".join(r.message() for r in o.report.failures)
    assert o.verdict == "FAIL" and "no_mutation" in {r.check for r in o.report.failures} and " y " in text, text


# ------------------------------------------------------------------------------------------------ reports


def test_junit_lists_a_crash_as_a_failure(tmp_path):
    """A crash (nothing compared) is a failed test case in the JUnit file: one <failure> per failed
    result, as many as the failures attribute says."""
    rep = Report([failed("raised IndexError: deliberate", component="MyLayer", check="error", dtype="float64",
                         sample="s"),
                  CheckResult("MyLayer", "forward", True, dtype="float64", sample="s", total=4)])
    path = tmp_path / "j.xml"
    rep.to_junit(str(path))
    text = path.read_text()
    assert text.count("<failure") == 1 and 'failures="1"' in text, text


def _two_samples_second_failing():
    return Report([CheckResult("Linear", "grad_param:W", True, dtype="float64", sample="a", total=4),
                   CheckResult("Linear", "grad_param:W", False, dtype="float64", sample="b", total=4, mismatches=1)])


def test_a_row_whose_second_sample_fails_is_a_failed_row(tmp_path):
    """The table and the JSON summary row for (Linear, grad_param:W, float64) say FAIL / false when the
    first sample passes and the second fails."""
    rep = _two_samples_second_failing()
    line = next(l for l in rep.table().splitlines() if l.startswith("Linear"))
    assert "FAIL" in line and "PASS" not in line, line
    rep.to_json(str(tmp_path / "r.json"))
    data = json.loads((tmp_path / "r.json").read_text())
    assert [row["passed"] for row in data["summary"]] == [False], data["summary"]


def test_json_of_a_report_with_exactly_one_failure_says_not_passed(tmp_path):
    """--json's top-level "passed" is false when one result failed (CI tools read it, not the exit status)."""
    rep = _two_samples_second_failing()
    rep.to_json(str(tmp_path / "r.json"))
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["passed"] is False, {k: v for k, v in data.items() if k != "results"}


# ------------------------------------------------------------------------------------- the mutant runner


def test_a_mutant_caught_only_elsewhere_or_crashing_the_check_is_not_killed(monkeypatch, tmp_path):
    """parity mutants counts a kill only when the declared check fails and the check command exited 1:
    a run failing another check (status 1), or dying before it wrote a report (status 3), is a survivor."""
    (tmp_path / "numpy_impl").mkdir()
    (tmp_path / "numpy_impl" / "m.py").write_text("a = 1\n")
    monkeypatch.setattr(mutants_module, "PACKAGES", ["numpy_impl"])
    runs = iter([(1, [("Linear", "grad_param:b")]), (3, [("(no report)", "RuntimeError: boom")])])
    monkeypatch.setattr(mutants_module, "_check", lambda workdir, only, timeout: next(runs))
    ms = [mutants_module.Mutant(name, "numpy_impl/m.py", "a = 1", "a = 2", "Linear", "Linear [grad_param:W]")
          for name in ("caught by another check", "crashes the check")]
    results = mutants_module.run_mutants(ms, root=str(tmp_path))
    assert [(r["status"], r["killed"]) for r in results] == [(1, False), (3, False)], results
    assert mutants_module.summary(results)[1] == 2


def test_a_mutant_is_killed_only_by_its_declared_component():
    """A mutant declared as caught by 'BatchNorm classic [running:running_var]' is not killed by
    BatchNorm2d's running_var failing."""
    m = mutants_module.Mutant("x", "numpy_impl/layers/norm.py", "a", "b", "BatchNorm",
                              "BatchNorm classic [running:running_var]")
    assert m.killed_by([("BatchNorm2d", "running:running_var")]) == []
    assert m.killed_by([("BatchNorm classic", "running:running_var")]) == [("BatchNorm classic", "running:running_var")]


# ------------------------------------------------------------------------------- optimizer trajectories


def _optim(name):
    return next(i for i in OPTIM_ENTRIES if i.name == name)


def test_optimizer_state_kept_in_float64_for_float32_parameters_fails(monkeypatch):
    """RMSprop keeping square_avg as np.zeros(p.shape) (float64) for float32 parameters: the values
    are as good, but the state dtype check fails."""
    orig = no.RMSprop._update

    def _update(self, p, g, state, group):
        if "square_avg" not in state:
            state["square_avg"], state["step"] = np.zeros(p.shape), 0
        return orig(self, p, g, state, group)

    monkeypatch.setattr(no.RMSprop, "_update", _update)
    report = check_trajectory(_optim("RMSprop"), "float32")
    assert any(r.check.startswith("state dtype:") for r in report.failures), report.failures


def test_a_step_schedule_one_step_late_fails_its_lr_and_parameters(monkeypatch):
    """StepLR decaying every step_size + 1 steps (first decay at 31, not 30) diverges only after step
    30 of the 100-step trajectory: the lr row itself fails, and the parameters do."""
    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % (self.step_size + 1) != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]

    monkeypatch.setattr(no.StepLR, "get_lr", get_lr)
    info = _optim("SGD momentum StepLR")
    assert info.steps > 31
    failing = {r.check for r in check_trajectory(info, "float64").failures}
    assert {"lr", "param:w1"} <= failing, failing


def test_weight_decay_added_into_the_callers_gradient_fails_no_mutation(monkeypatch):
    """Weight decay added in place (``g += wd * p``): the trajectory agrees with torch, but step()
    changed the gradient arrays it was given: no_mutation:grads fails."""
    import numpy_impl.optim.optimizers as opt_module

    def _decay(p, g, wd):
        if wd:
            g += wd * p
        return g

    monkeypatch.setattr(opt_module, "_decay", _decay)
    failing = {r.check for r in check_trajectory(_optim("Adagrad wd"), "float64").failures}
    assert "no_mutation:grads" in failing, failing


# ------------------------------------------------------------------------------- lockstep, diagnose


def test_lockstep_names_the_first_step_over_the_limit():
    """parity train --lockstep's gate: a drift of 2e-8 at step 3 is over float64's 1e-8 limit and named;
    0.5e-8 everywhere is not."""
    from parity_tests.lab.train import DRIFT_LIMIT_FLOAT64
    assert DRIFT_LIMIT_FLOAT64 == 1e-8
    ls = object.__new__(Lockstep)
    ls.steps = [{"step": i, "loss_numpy": 1.0, "loss_torch": 1.0, "param_drift": d, "drift_in": "0.W"}
                for i, d in enumerate([1e-15, 2e-15, 2e-8, 3e-8], 1)]
    assert ls.summary(DRIFT_LIMIT_FLOAT64)["first_over_limit"] == {"step": 3, "drift_in": "0.W", "param_drift": 2e-8}
    for s in ls.steps:
        s["param_drift"] = 0.5e-8
    assert ls.summary(DRIFT_LIMIT_FLOAT64)["first_over_limit"] is None


@pytest.mark.parametrize("off", [1e-6, 1e-8])
def test_diagnose_names_a_layer_whose_weight_gradient_is_off_by_a_millionth(off):
    """float64 diagnose still names the second Linear's grad_param:W when its dW is off by 1e-6 or 1e-8
    relative (not only by the 0.1% of the older test)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((16, 12)), rng.integers(0, 4, 16)
    model = FullyConnectedNet(12, [10, 8], 4)
    broken = model.layers[2]
    orig = broken.backward

    def backward(dout):
        dx = orig(dout)
        broken.grads["W"] = broken.grads["W"] * (1 + off)
        return dx

    broken.backward = backward
    _, first = diagnose(model, X, y)
    assert first is not None and (first.component, first.check) == ("2 Linear(10, 8)", "grad_param:W"), first


# ------------------------------------------------------------------------------- registry, properties


def _entry(name):
    return next(e for e in ENTRIES if e.name == name)


def test_a_library_dropout_returning_dout_itself_at_p_0_fails_no_mutation(monkeypatch):
    """Dropout's entry is built with a torch_module and must still check that the input gradient is
    the layer's own array: a backward short-cutting p=0 to ``return dout`` fails no_mutation."""
    orig = ni.Dropout.backward

    def backward(self, dout):
        dx = orig(self, dout)
        return dout if self.p == 0 else dx

    monkeypatch.setattr(ni.Dropout, "backward", backward)
    failures = [r for case in _entry("Dropout").cases(("float64",)) for r in run_case(case).failures]
    assert any(r.check == "no_mutation" and "shares memory" in r.message() for r in failures), failures


def test_batchnorm_rows_run_their_extra_batches_before_the_checked_one(monkeypatch):
    """BatchNorm1d's running statistics are compared after the entry's extra batches (3), not after a
    single batch (where a running update reading the wrong batch still matches)."""
    import parity_tests.gate.registry as registry
    seen = []
    real = registry.check_layer

    def spy(*args, **kwargs):
        seen.append(len(kwargs.get("extra_batches", ())))
        return real(*args, **kwargs)

    monkeypatch.setattr(registry, "check_layer", spy)
    entry = _entry("BatchNorm1d")
    case = entry.cases(("float64",))[0]
    assert run_case(case).passed
    assert entry.extra_batches == 3 and seen == [3], seen


def test_a_statistic_over_its_limit_fails():
    """A property row passes at or below its limit only: 2x the limit fails, half of it passes."""
    p = Props("init", "float64", 0)
    p.within("std", 0.2, 0.1, "relative std error")
    p.within("mean", 0.05, 0.1, "relative mean error")
    assert [r.passed for r in p.results] == [False, True]


# ------------------------------------------------------------------------------- scan's floors


def test_a_bias_before_batchnorm_with_a_gradient_above_rounding_fails(tmp_path):
    """cs231n's affine_bn_relu: the bias feeding BatchNorm has a zero gradient but for rounding, allowed
    100 eps of the batch it is summed over (2e-14 N in float64). A db carrying 1e-12 per sample (a
    leftover term) fails grad_param:b."""
    folder = seeded(tmp_path, os.path.join(ROOT, "examples", "cs231n"), "layer_utils.py",
                    "    return dx, dw, db, dgamma, dbeta\n",
                    "    return dx, dw, db + 1e-12 * len(da), dgamma, dbeta\n")
    outcomes, _ = scan([folder], only="affine_bn_relu", dtypes=F64)
    assert len(outcomes) == 1, [o.target.name for o in outcomes]
    o = outcomes[0]
    assert o.verdict == "FAIL" and "grad_param:b" in {r.check for r in o.report.failures}, o.report.failures


@pytest.mark.parametrize("clip,verdict", [(18, "FAIL"), (30, "PASS")])
def test_a_derivative_guarded_by_a_clip_is_judged_against_a_floor_of_1e_10_of_the_gradient(tmp_path, clip, verdict):
    """On inputs near 800 torch's sigmoid gradient is 0. A sigmoid_prime clipping its input at +-30
    (a common overflow guard) leaves 1e-13 and passes; clipped at +-18 it leaves 1.5e-8 of the output
    gradient, above the 1e-10 floor, and the Sigmoid layer's grad_input row (torch's) fails."""
    folder = seeded(tmp_path, os.path.join(ROOT, "examples", "lr_backward"), "activations.py",
                    "def sigmoid_prime(x):\n    s = sigmoid(x)\n",
                    f"def sigmoid_prime(x):\n    s = sigmoid(np.clip(x, -{clip}, {clip}))\n")
    outcomes, _ = scan([folder], only="Sigmoid", dtypes=F64)
    o = next(o for o in outcomes if o.target.name == "Sigmoid")
    assert o.verdict == verdict, o.report.failures
    if verdict == "FAIL":                           # the torch row itself, not only the finite differences
        assert "grad_input" in {r.check for r in o.report.failures}, o.report.failures
