"""The check API's refusals and error messages: non-finite inputs, the user's file:line, unmapped
parameters, buffers that do not exist yet, the fd label, tolerance and extra-batch shorthands."""
import numpy as np
import pytest
import torch

import numpy_impl as ni
from numpy_impl.losses import softmax_loss
from parity_tests import ParityError, Tolerance, assert_layer_parity, assert_loss_parity, check_layer, check_loss
from parity_tests.gate.compare import NOTHING_COMPARED, compare
from parity_tests.gate.tolerance import POLICY

from .test_api import MyAffine

MAP = {"W": "weight.T", "b": "bias"}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_input_is_refused(bad):
    x = np.full((3, 4), bad)
    with pytest.raises(ParityError, match="allow_nonfinite=True"):
        assert_layer_parity(ni.Linear(4, 3), torch.nn.Linear(4, 3), MAP, x)
    with pytest.raises(ParityError, match=r"\[input\].*the scores x holds"):
        assert_loss_parity(softmax_loss, torch.nn.functional.cross_entropy, x, np.zeros(3, dtype=int))


def test_partly_nan_input_is_refused_and_allowed_on_request():
    x = np.random.default_rng(0).standard_normal((3, 4))
    x[1, 2] = np.nan
    report = check_layer(ni.Linear(4, 3), torch.nn.Linear(4, 3), MAP, x)
    assert [r.check for r in report.failures] == ["input"] and "1 NaN and 0 inf" in report.failures[0].message()
    allowed = check_layer(ni.Linear(4, 3), torch.nn.Linear(4, 3), MAP, x, allow_nonfinite=True,
                          finite_differences=False)
    assert allowed.passed, allowed


def test_nan_on_both_sides_compares_nothing():
    tol = POLICY["float64"]
    a = np.array([1.0, np.nan, np.inf])
    r = compare(a, a.copy(), tol, component="c", check="k")
    assert not r.passed and NOTHING_COMPARED in r.message() and "2/3 elements" in r.message()
    assert compare(a, a.copy(), tol, nonfinite=True, component="c", check="k").passed
    # a finite result against an infinite reference never passes, nor NaN against a number
    meta = dict(nonfinite=True, component="c", check="k")
    assert not compare(np.array([1.0, 1e300]), np.array([1.0, np.inf]), tol, **meta).passed
    assert not compare(np.array([np.nan, 1.0]), np.array([2.0, 1.0]), tol, **meta).passed
    assert not compare(np.array([np.inf]), np.array([-np.inf]), tol, **meta).passed


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_exact_zeros_have_relative_difference_zero(dtype):
    """Two all-zero arrays agree exactly: the reported relative difference is 0, not 0/0 (float32's
    arithmetic once turned the 1e-300 floor of the denominator into 0)."""
    zeros = np.zeros((3, 4), dtype=dtype)
    r = compare(zeros, zeros.copy(), POLICY[dtype], component="c", check="k")
    assert r.passed and r.max_abs == 0 and r.max_rel == 0
    tiny = zeros.copy()
    tiny[1, 2] = np.finfo(dtype).tiny
    assert np.isfinite(compare(tiny, zeros, POLICY[dtype], component="c", check="k").max_rel)


def test_users_exception_names_the_users_line():
    class Broken(MyAffine):
        def backward(self, dout):
            raise ValueError("my bug")                  # the line the message must name
    rng = np.random.default_rng(0)
    report = check_layer(Broken(4, 3, rng), torch.nn.Linear(4, 3), MAP, rng.standard_normal((2, 4)))
    (err,) = [r for r in report.failures if r.check == "error"]
    assert "ValueError: my bug" in err.message()
    assert f"(at {__file__}:" in err.message() and "in backward)" in err.message()


def test_a_parameter_left_out_of_the_mapping_is_named():
    rng = np.random.default_rng(0)
    report = check_layer(MyAffine(4, 3, rng), torch.nn.Linear(4, 3), {"W": "weight.T"}, rng.standard_normal((2, 4)))
    msg = report.failures[0].message()
    assert report.failures[0].check == "mapping" and "['b'] not in the mapping" in msg
    assert "NumPy has ['W', 'b'], torch has ['bias', 'weight']" in msg
    assert len(report.results) == 1                      # nothing else ran on random torch weights


def test_a_buffer_that_is_none_before_the_first_forward_is_named():
    class Lazy(MyAffine):
        def __init__(self, *a):
            super().__init__(*a)
            self.buffers = {"running_mean": None}

        def named_buffers(self):
            return self.buffers
    rng = np.random.default_rng(0)
    report = check_layer(Lazy(4, 3, rng), torch.nn.Linear(4, 3), MAP, rng.standard_normal((2, 4)),
                         buffers={"running_mean": "weight"})
    assert any(r.check == "running:running_mean" and "None before the first forward" in r.message()
               for r in report.failures)
    assert {"forward", "grad_input"} <= {r.check for r in report.results if r.passed}


def test_fd_rows_name_the_finite_difference():
    class Off(MyAffine):
        def backward(self, dout):
            dx = super().backward(dout)
            self.grads["W"] = self.grads["W"] * 1.01
            return dx
    rng = np.random.default_rng(0)
    report = check_layer(Off(4, 3, rng), torch.nn.Linear(4, 3), MAP, rng.standard_normal((5, 4)))
    fd = next(r for r in report.failures if r.check == "fd:W")
    assert " fd=" in fd.message() and " torch=" not in fd.message()
    assert " torch=" in next(r for r in report.failures if r.check == "grad_param:W").message()


def test_tolerances_as_a_number_or_a_tolerance():
    class Off(MyAffine):
        def forward(self, x, training=True):
            return super().forward(x) * (1 + 1e-7)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4))
    assert not check_layer(Off(4, 3, rng), torch.nn.Linear(4, 3), MAP, x, finite_differences=False).passed
    for tol in (1e-6, Tolerance(rtol=1e-6, scale=1e-6, floor=1e-30)):
        r = check_layer(Off(4, 3, rng), torch.nn.Linear(4, 3), MAP, x, tolerances=tol, finite_differences=False)
        assert r.passed, r
        assert "rtol=1e-06" in r.results[0].tolerance
    with pytest.raises(TypeError, match="tolerances"):
        check_layer(Off(4, 3, rng), torch.nn.Linear(4, 3), MAP, x, tolerances="loose")


def test_extra_batches_as_a_count():
    bn, module = ni.BatchNorm1d(3), torch.nn.BatchNorm1d(3).double()
    x = np.random.default_rng(0).standard_normal((6, 3))
    args = (bn, module, {"gamma": "weight", "beta": "bias"}, x)
    kw = dict(buffers={"running_mean": "running_mean", "running_var": "running_var"})
    none, three = check_layer(*args, **kw), check_layer(*args, extra_batches=3, **kw)
    assert none.passed and three.passed
    rv = [next(r for r in rep.results if r.check == "running:running_var") for rep in (none, three)]
    assert rv[0].expected != rv[1].expected              # the three extra batches moved the statistics


def test_loss_with_nan_allowed_on_request():
    x, y = np.array([[np.nan, 1.0], [0.5, 1.0]]), np.array([0, 1])
    assert not check_loss(softmax_loss, torch.nn.functional.cross_entropy, x, y).passed
    r = check_loss(softmax_loss, torch.nn.functional.cross_entropy, x, y, allow_nonfinite=True,
                   finite_differences=False)
    assert r.passed, r
