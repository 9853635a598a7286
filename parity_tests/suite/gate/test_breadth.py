"""The later components: what the generated registry tests (test_registry.py) do not cover.

The parity of every new component (forward, gradients, finite differences, float64 and float32,
trajectories) runs from ``entries_breadth`` through ``test_registry.py`` and ``parity check``. Here:
the entries are registered, the recorded mutants are well formed, bad input gets a clear error,
published values and torch's own edge cases (clipping, final recurrent states, schedule limits).
"""
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import numpy_impl as ni
import numpy_impl.losses_extra as nle
import numpy_impl.optim as no
from numpy_impl.special import erf
from numpy_impl.layers.pool_extra import adaptive_windows
from parity_tests.gate import entries_breadth as breadth
from parity_tests.gate.registry import BY_NAME, ENTRIES, select

OPTIM_BY_NAME = BY_NAME
from torch_ref.layers import mirror

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


# ---------------------------------------------------------------- registration and mutants
def test_breadth_entries_are_registered_once():
    assert all(BY_NAME[e.name] is e for e in breadth.ENTRIES)
    assert all(OPTIM_BY_NAME[e.name] is e for e in breadth.OPTIM_ENTRIES)
    names = [e.name for e in ENTRIES]
    assert len(names) == len(set(names))
    assert len(breadth.ENTRIES) >= 30 and len(breadth.OPTIM_ENTRIES) >= 15


@pytest.mark.parametrize("first", ["parity_tests.gate.entries_breadth", "parity_tests.gate.registry"])
def test_any_import_order_works(first):
    code = (f"import importlib; importlib.import_module({first!r}); "
            "import parity_tests.gate.registry as r, parity_tests.gate.entries_breadth as b; "
            "assert all(e in r.ENTRIES for e in b.ENTRIES) and all(e in r.OPTIM_ENTRIES for e in b.OPTIM_ENTRIES)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("m", breadth.MUTANTS, ids=[m["name"] for m in breadth.MUTANTS])
def test_mutant_is_well_formed(m):
    assert set(m) == {"name", "file", "find", "replace", "component", "check"}
    src = open(os.path.join(ROOT, m["file"])).read()
    assert src.count(m["find"]) == 1, "find must occur exactly once"
    assert m["replace"] != m["find"]
    assert m["component"] in [e.name for e in select(m["component"])]
    assert m["check"].split(":")[0] in {"forward", "grad_input", "grad_param", "loss", "param", "state", "lr", "clip",
                                        "no_mutation"}


def test_every_breadth_component_has_a_mutant():
    targeted = {m["component"] for m in breadth.MUTANTS}
    layer_and_loss = {e.name for e in breadth.ENTRIES}
    assert layer_and_loss <= targeted, sorted(layer_and_loss - targeted)
    for family in ("Adadelta", "Adamax", "NAdam", "RAdam", "LambdaLR", "OneCycleLR", "ReduceLROnPlateau",
                   "clip_grad_norm", "clip_grad_value"):
        assert any(family in name for name in targeted), family


# ---------------------------------------------------------------- clear errors
@pytest.mark.parametrize("layer, x, words", [
    (ni.Softmax(dim=2), np.zeros((3, 4)), ["Softmax(dim=2)", "not an axis", "(3, 4)"]),
    (ni.LogSoftmax(dim=-3), np.zeros((3, 4)), ["LogSoftmax(dim=-3)", "(3, 4)"]),
    (ni.GroupNorm(2, 4), np.zeros((2, 3, 5)), ["GroupNorm(2, 4)", "(N, 4, *)", "(2, 3, 5)"]),
    (ni.InstanceNorm2d(3), np.zeros((2, 3, 4)), ["InstanceNorm2d(3)", "(N, 3, H, W)", "(2, 3, 4)"]),
    (ni.Conv1d(3, 2, 3), np.zeros((2, 2, 5)), ["Conv1d(3, 2", "(N, 3, L)", "(2, 2, 5)"]),
    (ni.Conv1d(1, 1, 5), np.zeros((1, 1, 3)), ["shorter than", "(1, 1, 3)"]),
    (ni.ConvTranspose2d(2, 3, 3), np.zeros((1, 3, 4, 4)), ["ConvTranspose2d(2, 3", "(N, 2, H, W)", "(1, 3, 4, 4)"]),
    (ni.AdaptiveAvgPool2d(2), np.zeros((2, 3, 4)), ["AdaptiveAvgPool2d((2, 2))", "(N, C, H, W)", "(2, 3, 4)"]),
    (ni.Upsample(2), np.zeros((2, 3)), ["Upsample", "(N, C, H, W)", "(2, 3)"]),
    (ni.TemporalAffine(3, 2), np.zeros((2, 4, 5)), ["TemporalAffine(3, 2)", "(N, T, 3)", "(2, 4, 5)"]),
    (ni.RNN(3, 4), np.zeros((2, 4)), ["RNN(3, 4", "(N, T, 3)", "(2, 4)"]),
    (ni.LSTM(3, 4), np.zeros((2, 5, 2)), ["LSTM(3, 4)", "(N, T, 3)", "(2, 5, 2)"]),
    (ni.GRU(3, 4), np.zeros((2, 0, 3)), ["GRU(3, 4)", "at least one time step"]),
    (ni.MultiheadAttention(6, 2), np.zeros((2, 3, 4)), ["MultiheadAttention(6, num_heads=2)", "(N, T, 6)", "(2, 3, 4)"]),
    (ni.PositionalEncoding(4, max_len=5), np.zeros((1, 6, 4)), ["PositionalEncoding(4", "T <= 5", "(1, 6, 4)"]),
])
def test_shape_errors_name_component_and_shapes(layer, x, words):
    with pytest.raises(ValueError) as err:
        layer.forward(x)
    for w in words:
        assert w in str(err.value), (w, str(err.value))


@pytest.mark.parametrize("layer", [ni.GELU(), ni.SiLU(), ni.Softmax(1), ni.GroupNorm(1, 3), ni.Conv1d(3, 2, 1),
                                   ni.Upsample(2), ni.RNN(3, 2), ni.PositionalEncoding(3)])
def test_integer_input_rejected(layer):
    with pytest.raises(TypeError, match=r"floating-point input.*int64"):
        layer.forward(np.zeros((2, 3, 3, 3)[: 4 if isinstance(layer, ni.Upsample) else 3], dtype=np.int64))


@pytest.mark.parametrize("build, words", [
    (lambda: ni.GELU("fast"), ["GELU", "'none' or 'tanh'", "'fast'"]),
    (lambda: ni.GroupNorm(4, 6), ["divisible", "6 channels in 4 groups"]),
    (lambda: ni.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2), ["output_padding must be smaller"]),
    (lambda: ni.Upsample(1.5), ["positive integer", "1.5"]),
    (lambda: ni.Embedding(5, 2, padding_idx=5), ["padding_idx must lie in [-5, 5)", "5"]),
    (lambda: ni.RNN(3, 2, nonlinearity="sigmoid"), ["'tanh' or 'relu'"]),
    (lambda: ni.MultiheadAttention(6, 4), ["divisible", "6 and 4"]),
    (lambda: ni.TransformerEncoderLayer(4, 2, dropout=0.1), ["dropout=0.0"]),
    (lambda: no.ReduceLROnPlateau(no.SGD({"w": np.zeros(2)}), factor=1.0), ["factor must be a finite number >= 0 and < 1", "1.0"]),
    (lambda: no.LambdaLR(no.SGD({"w": np.zeros(2)}), [lambda e: 1, lambda e: 1]), ["expected 1 lr_lambdas"]),
])
def test_construction_errors(build, words):
    with pytest.raises((ValueError, TypeError)) as err:
        build()
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_embedding_ids_are_validated():
    emb = ni.Embedding(5, 2)
    with pytest.raises(TypeError, match=r"Embedding\(5, 2\): expected integer ids, got dtype float64"):
        emb.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 5\), got 5 \(ids of shape \(2, 2\)\)"):
        emb.forward(np.array([[0, 1], [5, 2]]))
    with pytest.raises(ValueError, match=r"got -1"):
        emb.forward(np.array([-1]))


def test_recurrent_initial_state_shape_and_backward_order():
    rnn = ni.LSTM(3, 4)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4\): expected initial state c0 of shape \(2, 4\), got shape \(2, 3\)"):
        rnn.forward(np.zeros((2, 5, 3)), h0=np.zeros((2, 4)), c0=np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match=r"GRU\(3, 4\): backward called before forward"):
        ni.GRU(3, 4).backward(np.zeros((2, 5, 4)))
    mha = ni.MultiheadAttention(4, 2)
    mha.forward(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"expected upstream gradient of shape \(2, 3, 4\), got shape \(2, 4\)"):
        mha.backward(np.zeros((2, 4)))


@pytest.mark.parametrize("call, exc, words", [
    (lambda: nle.nll_loss(np.zeros((3, 4)), np.array([0, 4, 1])), ValueError, ["nll_loss", "[0, 4)", "got 4"]),
    (lambda: nle.nll_loss(np.zeros((3, 4)), np.array([0, 1])), ValueError, ["expected target of shape (3,)", "(2,)"]),
    (lambda: nle.cross_entropy_loss(np.zeros((3, 4)), np.array([0, 1, 2]), weight=np.ones(3)), ValueError,
     ["cross_entropy_loss", "weight of shape (4,)", "(3,)"]),
    (lambda: nle.cross_entropy_loss(np.zeros((3, 4)), np.array([0., 1., 2.])), TypeError, ["integer class ids", "float64"]),
    (lambda: nle.cross_entropy_loss(np.zeros((3, 4)), np.array([0, 1, 2]), reduction="none"), ValueError,
     ["reduction must be one of ('mean', 'sum')", "'none'"]),
    (lambda: nle.binary_cross_entropy(np.full((2, 2), 1.5), np.zeros((2, 2))), ValueError,
     ["binary_cross_entropy", "probabilities in [0, 1]"]),
    (lambda: nle.binary_cross_entropy_with_logits(np.zeros((2, 3)), np.zeros((2, 3)), pos_weight=np.ones(2)),
     ValueError, ["pos_weight of shape (2,) does not broadcast", "(2, 3)"]),
    (lambda: nle.l1_loss(np.zeros((2, 3)), np.zeros((3, 2))), ValueError, ["l1_loss", "target of shape (2, 3)", "(3, 2)"]),
    (lambda: nle.huber_loss(np.zeros(3), np.zeros(3), delta=0), ValueError, ["huber_loss", "delta must be a finite number > 0"]),
    (lambda: nle.kl_div_loss(np.zeros((2, 3)), np.ones((2, 3)), reduction="avg"), ValueError, ["kl_div_loss", "batchmean"]),
    (lambda: nle.temporal_softmax_loss(np.zeros((2, 3, 4)), np.zeros((2, 3), int), np.ones((2, 2))), ValueError,
     ["temporal_softmax_loss", "mask of shape (2, 3)", "(2, 2)"]),
    (lambda: nle.smooth_l1_loss(np.zeros(2, dtype=np.int32), np.zeros(2)), TypeError, ["floating-point input", "int32"]),
])
def test_loss_errors(call, exc, words):
    with pytest.raises(exc) as err:
        call()
    for w in words:
        assert w in str(err.value), (w, str(err.value))


# ---------------------------------------------------------------- published values and formulas
def test_erf_matches_libm():
    x = np.concatenate([np.linspace(-7, 7, 4001), [0.0, 1e-300, -1e-8, 5.9999, 6.0, 40.0, -np.inf]])
    ref = np.array([math.erf(v) for v in x])
    assert np.max(np.abs(erf(x) - ref)) < 4e-15


def test_published_activation_values():
    one = np.array([1.0, -1.0])
    assert np.allclose(ni.GELU().forward(one), [0.8413447460685429, -0.15865525393145707], rtol=0, atol=1e-15)
    assert np.allclose(ni.GELU("tanh").forward(one), [0.8411919906082768, -0.15880800939172324], rtol=0, atol=1e-15)
    scale, alpha = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
    assert np.allclose(ni.SELU().forward(one), [scale, scale * alpha * (math.exp(-1) - 1)], rtol=1e-15, atol=0)
    assert np.allclose(ni.Softplus().forward(np.array([0.0, 30.0])), [math.log(2), 30.0], rtol=1e-15, atol=0)


def test_positional_encoding_table():
    pe = ni.PositionalEncoding(4, max_len=3).forward(np.zeros((1, 3, 4)))[0]
    want = [[0, 1, 0, 1], [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)],
            [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)]]
    assert np.allclose(pe, want, rtol=0, atol=1e-15)


def test_adaptive_pool_windows_are_torchs():
    assert adaptive_windows(7, 3) == [(0, 3), (2, 5), (4, 7)]
    assert adaptive_windows(5, 3) == [(0, 2), (1, 4), (3, 5)]
    assert adaptive_windows(3, 5) == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]


def test_group_norm_is_the_classic_spatial_group_norm():
    """cs231n's SpatialGroupNorm (gamma/beta (1, C, 1, 1)) written out, against GroupNorm."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 3, 4))
    gamma, beta, G, eps = rng.standard_normal(6), rng.standard_normal(6), 3, 1e-5
    xg = x.reshape(2, G, -1)
    classic = ((xg - xg.mean(2, keepdims=True)) / np.sqrt(xg.var(2, keepdims=True) + eps)).reshape(x.shape)
    classic = classic * gamma.reshape(1, 6, 1, 1) + beta.reshape(1, 6, 1, 1)
    layer = ni.GroupNorm(G, 6)
    layer.params["gamma"][...], layer.params["beta"][...] = gamma, beta
    assert np.allclose(layer.forward(x), classic, rtol=1e-13, atol=1e-13)


def test_kl_divergence_by_hand():
    logq, p = np.log(np.array([[0.25, 0.75], [0.5, 0.5]])), np.array([[0.5, 0.5], [1.0, 0.0]])
    kl = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75) + 1.0 * math.log(1.0 / 0.5)
    loss, dx = nle.kl_div_loss(logq, p, reduction="batchmean")
    assert math.isclose(loss, kl / 2, rel_tol=1e-14)
    assert np.array_equal(dx, -p / 2)


def test_label_smoothing_by_hand():
    x, y, eps = np.array([[2.0, 0.0, -1.0]]), np.array([0]), 0.3
    logp = x - np.log(np.exp(x).sum())
    want = (1 - eps) * -logp[0, 0] + eps / 3 * -logp[0].sum()
    assert math.isclose(nle.cross_entropy_loss(x, y, label_smoothing=eps)[0], want, rel_tol=1e-14)


# ---------------------------------------------------------------- torch's own edge cases
def test_recurrent_final_states_match_torch():
    rng = np.random.default_rng(1)
    x, h0, c0 = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    for cls, tcls in ((ni.LSTM, torch.nn.LSTM), (ni.GRU, torch.nn.GRU), (ni.RNN, torch.nn.RNN)):
        layer = cls(3, 4, hidden_bias=True, rng=rng)
        for k in ("b", "bh"):
            layer.params[k][...] = rng.standard_normal(layer.params[k].shape)
        m = tcls(3, 4, batch_first=True).double()
        with torch.no_grad():
            m.weight_ih_l0.copy_(torch.tensor(layer.params["Wx"].T))
            m.weight_hh_l0.copy_(torch.tensor(layer.params["Wh"].T))
            m.bias_ih_l0.copy_(torch.tensor(layer.params["b"]))
            m.bias_hh_l0.copy_(torch.tensor(layer.params["bh"]))
        if cls is ni.LSTM:
            out = layer.forward(x, h0=h0, c0=c0)
            ref, (hn, cn) = m(torch.tensor(x), (torch.tensor(h0)[None], torch.tensor(c0)[None]))
            assert np.allclose(layer.c_n, cn[0].detach().numpy(), rtol=1e-12, atol=1e-14)
        else:
            out = layer.forward(x, h0=h0)
            ref, hn = m(torch.tensor(x), torch.tensor(h0)[None])
        assert np.allclose(out, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
        assert np.allclose(layer.h_n, hn[0].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_embedding_padding_row_starts_at_zero_and_mirrors():
    emb = ni.Embedding(6, 3, padding_idx=-2)
    assert emb.padding_idx == 4 and not emb.params["W"][4].any()
    assert mirror(emb).module.padding_idx == 4


def _clip_pair(kind, grads, **kw):
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for t, g in zip(tensors, grads.values()):
        t.grad = torch.tensor(g.copy())
    total = no.CLIPPERS[kind](grads, **kw)
    ttotal = getattr(torch.nn.utils, f"clip_grad_{kind}_")(tensors, **kw)
    for t, g in zip(tensors, grads.values()):
        assert np.allclose(g, t.grad.numpy(), rtol=1e-14, atol=0)
    return total, ttotal


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf")])
def test_clip_grad_norm_edge_cases(norm_type):
    rng = np.random.default_rng(2)
    grads = {"a": rng.standard_normal((3, 4)), "b": np.zeros(5), "c": 10 * rng.standard_normal(2)}
    total, ttotal = _clip_pair("norm", grads, max_norm=1.0, norm_type=norm_type)
    assert math.isclose(float(total), ttotal.item(), rel_tol=1e-14)
    zeros = {"a": np.zeros(3)}
    total, ttotal = _clip_pair("norm", zeros, max_norm=1.0, norm_type=norm_type)
    assert float(total) == 0.0 == ttotal.item() and not zeros["a"].any()


def test_clip_grad_norm_under_the_limit_changes_nothing_and_nonfinite_raises():
    g = {"a": np.array([0.3, -0.4])}
    before = g["a"].copy()
    total = no.clip_grad_norm_(g, max_norm=10.0)
    assert math.isclose(total, 0.5) and np.array_equal(g["a"], before)
    with pytest.raises(RuntimeError, match="non-finite"):
        no.clip_grad_norm_({"a": np.array([np.inf, 1.0])}, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        t = torch.zeros(2, requires_grad=True)
        t.grad = torch.tensor([math.inf, 1.0])
        torch.nn.utils.clip_grad_norm_([t], 1.0, error_if_nonfinite=True)
    g32 = {"a": np.array([3.0, 4.0], dtype=np.float32)}
    assert no.clip_grad_norm_(g32, 1.0).dtype == np.float32 and g32["a"].dtype == np.float32


def test_clip_grad_value_matches_torch():
    rng = np.random.default_rng(3)
    assert _clip_pair("value", {"a": 2 * rng.standard_normal((4, 3)), "b": rng.standard_normal(6)},
                      clip_value=0.7) == (None, None)


def test_one_cycle_refuses_to_step_past_total_steps_like_torch():
    sched = no.OneCycleLR(no.SGD({"w": np.zeros(2)}, lr=0.1, momentum=0.9), max_lr=1.0, total_steps=3)
    tsched = torch.optim.lr_scheduler.OneCycleLR(torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1,
                                                                 momentum=0.9), max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
        tsched.optimizer.step()
        tsched.step()
        assert sched.get_last_lr() == tsched.get_last_lr()
    with pytest.raises(ValueError, match="total_steps is 3"):
        sched.step()
    with pytest.raises(ValueError):
        tsched.step()


def test_nadam_keeps_mu_product_in_float32_like_torch():
    opt = no.NAdam({"w": np.zeros(3)})
    opt.step({"w": np.ones(3)})
    assert opt.state["w"]["mu_product"].dtype == np.float32
    t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.NAdam([t])
    t.grad = torch.ones(3, dtype=torch.float64)
    topt.step()
    assert topt.state[t]["mu_product"].dtype == torch.float32


def test_sdpa_layer_matches_torch_with_float32_and_mask_broadcast():
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 2)))
    mask = rng.random((1, 3, 5)) < 0.7
    mask[..., 0] = True
    out = ni.ScaledDotProductAttention().forward(q, k=k, v=v, attn_mask=mask)
    ref = F.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask))
    assert out.dtype == np.float32 and np.allclose(out, ref.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="attn_mask or is_causal, not both"):
        ni.ScaledDotProductAttention(is_causal=True).forward(q, k=k, v=v, attn_mask=mask)


# ---------------------------------------------------------------- 7. a character-level LSTM LM in lockstep
def test_char_lstm_language_model_300_steps_lockstep():
    from parity_tests.lab.char_lm import lockstep_char_lm
    history, info = lockstep_char_lm(steps=300)
    assert len(history) == 300 and info["vocab"] >= 10
    worst = max(history, key=lambda r: r["drift"])
    assert worst["drift"] <= 1e-8, f"drift {worst['drift']:.2e} at step {worst['step']} in {worst['worst']}"
    for r in history:
        assert math.isclose(r["loss"], r["torch_loss"], rel_tol=1e-10)
        assert math.isclose(r["grad_norm"], r["torch_grad_norm"], rel_tol=1e-10)
    first, last = np.mean([r["loss"] for r in history[:20]]), np.mean([r["loss"] for r in history[-20:]])
    assert last < 0.85 * first, (first, last)          # it learns


def test_char_lm_without_the_word_list_uses_generated_text():
    from parity_tests.lab.char_lm import corpus, lockstep_char_lm
    text, source = corpus(n_chars=3000, path=None)
    assert source == "generated" and len(text) == 3000
    history, info = lockstep_char_lm(steps=12, text=text, batch=4, seq_len=8)
    assert info["source"] == "given" and max(r["drift"] for r in history) <= 1e-8
