"""Registry entries for the later components: activations, losses, normalisation and
shape layers, sequences, optimizers and schedules, attention.

Exports ``ENTRIES`` (``OpInfo``), ``OPTIM_ENTRIES`` (``OptimInfo``) and ``MUTANTS``. ``registry``
adds them; the lists are built on first access (PEP 562 ``__getattr__``) so that this module and
``registry`` can be imported in either order.

``MUTANTS`` are realistic bugs, as data: apply ``replace`` to the one occurrence of ``find`` in
``file``, run ``parity check --only <component>`` and the ``check`` named must fail. Each was
verified by hand.
"""

A = "numpy_impl/layers/activations_extra.py"
NX = "numpy_impl/layers/norm_extra.py"
CX = "numpy_impl/layers/conv_extra.py"
PX = "numpy_impl/layers/pool_extra.py"
RX = "numpy_impl/layers/recurrent.py"
OX = "numpy_impl/optim/extra.py"
TX = "numpy_impl/layers/attention.py"
LX = "numpy_impl/losses_extra.py"


def _m(name, file, find, replace, component, check):
    return {"name": name, "file": file, "find": find, "replace": replace, "component": component, "check": check}


MUTANTS = [
    # 1. activations
    _m("global_avg_pool_dx_a_read_only_view", PX,
       "return np.broadcast_to((dout / dout.dtype.type(h * w))[:, :, None, None], self._cache).copy()",
       "return np.broadcast_to((dout / dout.dtype.type(h * w))[:, :, None, None], self._cache)", "GlobalAvgPool2d",
       "no_mutation"),
    _m("gelu_tanh_missing_3", A, "(1 + 3 * _KAPPA * x * x)", "(1 + _KAPPA * x * x)", "GELU", "grad_input"),
    _m("gelu_pdf_missing_half", A, "np.exp(-0.5 * x.astype(np.float64) ** 2)", "np.exp(-x.astype(np.float64) ** 2)",
       "GELU", "grad_input"),
    _m("mish_backward_without_sigmoid", A, "t + x * _sigmoid(x) * (1 - t * t)", "t + x * (1 - t * t)", "Mish",
       "grad_input"),
    _m("softsign_backward_not_squared", A, "return dout / (d * d)", "return dout / d", "Softsign", "grad_input"),
    _m("hardtanh_gradient_at_the_bounds", A, "self._cache = ~((x <= lo) | (x >= hi))",
       "self._cache = (x >= lo) & (x <= hi)", "Hardtanh", "grad_input"),
    _m("hardtanh_no_upper_clip", A, "return np.clip(x, lo, hi)", "return np.maximum(x, lo)", "ReLU6", "forward"),
    _m("hardswish_gradient_at_3", A, "np.where(x < 3, x / t(3) + t(0.5), t(1))",
       "np.where(x <= 3, x / t(3) + t(0.5), t(1))", "Hardswish", "grad_input"),
    _m("hardswish_slope_over_6", A, "x / t(3) + t(0.5)", "x / t(6) + t(0.5)", "Hardswish", "grad_input"),
    _m("hardsigmoid_gradient_a_third", A, "dout / dout.dtype.type(6)", "dout / dout.dtype.type(3)", "Hardsigmoid",
       "grad_input"),
    _m("prelu_slope_gradient_averaged", A, ".sum(axis=axes).reshape(self.num_parameters)",
       ".mean(axis=axes).reshape(self.num_parameters)", "PReLU", "grad_param:alpha"),
    _m("prelu_zero_takes_positive_branch", A, "        pos = x > 0\n        out = np.where(pos, x, a * x)",
       "        pos = x >= 0\n        out = np.where(pos, x, a * x)", "PReLU", "grad_input"),
    _m("elu_zero_takes_positive_branch", A, "        pos = x > 0\n        neg = np.expm1",
       "        pos = x >= 0\n        neg = np.expm1", "ELU", "grad_input"),
    _m("selu_alpha_truncated", A, "alpha=1.6732632423543772848170429916717", "alpha=1.6732632", "SELU", "forward"),
    _m("silu_grad_wrong_sign", A, "s * (1 + x * (1 - s))", "s * (1 + x * s)", "SiLU", "grad_input"),
    _m("softplus_threshold_ignores_beta", A, "linear = bx > self.threshold", "linear = x > self.threshold",
       "Softplus", "forward"),
    _m("softmax_grad_sums_last_axis", A, "(dout * y).sum(axis=ax, keepdims=True)", "(dout * y).sum(axis=-1, keepdims=True)",
       "Softmax", "grad_input"),
    _m("logsoftmax_grad_missing_exp", A, "dout - np.exp(y) * dout.sum", "dout - y * dout.sum", "LogSoftmax", "grad_input"),
    # 2. losses
    _m("nll_ignored_row_multiplied_by_zero", LX, "total = -np.where(keep, wy * flat[rows, yk], 0).sum()",
       "total = -(wy * flat[rows, yk]).sum()", "nll_loss", "loss"),
    _m("mean_of_no_targets_divides_the_gradient_by_zero", LX, "(dx if none_kept else dx / count)", "dx / count",
       "nll_loss", "grad_input"),
    _m("nll_weighted_mean_divides_by_n", LX, "reduction, wy.sum(), not keep.any())", "reduction, len(wy), not keep.any())",
       "nll_loss", "loss"),
    _m("ce_weighted_mean_divides_by_count", LX, "count = wy.sum() if w is not None else keep.sum()",
       "count = keep.sum()", "cross_entropy_loss", "loss"),
    _m("ce_smoothing_grad_ignores_weight_sum", LX, "dsmooth = np.where(kept, p * wc.sum() - wc, 0)",
       "dsmooth = np.where(kept, p - wc, 0)",
       "cross_entropy_loss", "grad_input"),
    _m("bce_log_plus_eps", LX, "log_p = np.maximum(np.log(p), -100)", "log_p = np.log(p + 1e-7)",
       "binary_cross_entropy", "loss"),
    _m("bce_logits_pos_weight_grad", LX, "dx = (pw * y + 1 - y) * sig - pw * y", "dx = (pw * y + 1 - y) * sig - y",
       "binary_cross_entropy_with_logits", "grad_input"),
    _m("l1_grad_at_tie_is_one", LX, "np.abs(d).sum(), np.sign(d)", "np.abs(d).sum(), np.where(d >= 0, 1.0, -1.0)",
       "l1_loss", "grad_input"),
    _m("huber_linear_part_missing_delta", LX, "dl * (a - 0.5 * dl)", "(a - 0.5 * dl)", "huber_loss", "loss"),
    _m("smooth_l1_grad_missing_1_over_beta", LX, "np.where(quad, d / b, np.sign(d))", "np.where(quad, d, np.sign(d))",
       "smooth_l1_loss", "grad_input"),
    _m("kl_batchmean_divides_by_numel", LX, "n = logq.shape[0] if logq.ndim else 1", "n = logq.size",
       "kl_div_loss", "loss"),
    _m("temporal_grad_ignores_mask", LX, "dx *= mf[:, None] / x.dtype.type(n)", "dx /= x.dtype.type(n)",
       "temporal_softmax_loss", "grad_input"),
    # 3. normalisation and shape
    _m("groupnorm_groups_interleaved", NX, "g = x.reshape(n, self.num_groups, per_group)", "g = x.reshape(n, per_group, self.num_groups)",
       "GroupNorm", "forward"),
    _m("groupnorm_dx_forgets_gamma", NX, 'dxhat = dout * self._per_channel("gamma", dout)', "dxhat = dout",
       "GroupNorm", "grad_input"),
    _m("instancenorm_mean_over_batch", NX, "mean = x.mean(axis=(2, 3), keepdims=True)",
       "mean = x.mean(axis=(0, 2, 3), keepdims=True)", "InstanceNorm2d", "forward"),
    _m("conv1d_col2im_forgets_dilation", CX, "dxp[:, :, j * d:j * d + s * (ol - 1) + 1:s]",
       "dxp[:, :, j:j + s * (ol - 1) + 1:s]", "Conv1d", "grad_input"),
    _m("conv1d_weight_grad_scaled", CX, 'self._set_grad("W", (d2 @ cols.T)', 'self._set_grad("W", 1.001 * (d2 @ cols.T)',
       "Conv1d", "grad_param:W"),
    _m("convT_crop_uses_row_padding_for_columns", CX, "out = buf[:, :, ph:ph + oh, pw:pw + ow]",
       "out = buf[:, :, ph:ph + oh, ph:ph + ow]", "ConvTranspose2d", "forward"),
    _m("convT_scatter_forgets_dilation", CX, "buf[:, :, i * dh:i * dh + sh * (h - 1) + 1:sh",
       "buf[:, :, i:i + sh * (h - 1) + 1:sh", "ConvTranspose2d", "forward"),
    _m("convT_weight_grad_transposed_channels", CX,
       'self._set_grad("W", (x2 @ dcols.T).reshape(self.params["W"].shape))',
       'self._set_grad("W", (x2 @ dcols.T).reshape(self.out_channels, self.in_channels, -1).transpose(1, 0, 2)'
       '.reshape(self.params["W"].shape))', "ConvTranspose2d", "grad_param:W"),
    _m("adaptive_pool_floor_end", PX, "ends = [-((-(i + 1) * size) // out) for i in range(out)]",
       "ends = [((i + 1) * size) // out for i in range(out)]", "AdaptiveAvgPool2d", "forward"),
    _m("global_pool_grad_divides_by_h", PX, "dout / dout.dtype.type(h * w)", "dout / dout.dtype.type(h)",
       "GlobalAvgPool2d", "grad_input"),
    _m("upsample_backward_wrong_blocks", PX, "dout.reshape(n, c, h, sh, w, sw).sum(axis=(3, 5))",
       "dout.reshape(n, c, sh, h, sw, w).sum(axis=(2, 4))", "Upsample", "grad_input"),
    # 4. sequences
    _m("embedding_padding_row_gets_gradient", RX, "            dW[self.padding_idx] = 0\n", "            pass\n",
       "Embedding", "grad_param:W"),
    _m("embedding_repeated_ids_overwrite", RX, "np.add.at(dW, ids.reshape(-1), dout.reshape(-1, self.embedding_dim))",
       "dW[ids.reshape(-1)] += dout.reshape(-1, self.embedding_dim)", "Embedding", "grad_param:W"),
    _m("temporal_affine_bias_grad_mean_over_n", RX, 'self._set_grad("b", dout.sum(axis=(0, 1)))',
       'self._set_grad("b", dout.mean(axis=0).sum(axis=0))', "TemporalAffine", "grad_param:b"),
    _m("rnn_relu_grad_at_zero_passes", RX, "dh * (h > 0)", "dh * (h >= 0)", "RNN", "grad_param:Wh"),
    _m("rnn_recurrent_grad_transposed", RX, "            dh = da[:, s] @ Wh_T\n        self.dh0 = dh\n",
       "            dh = da[:, s] @ Wh_T.T\n        self.dh0 = dh\n", "RNN", "grad_input"),
    _m("recurrent_wh_grad_assumes_zero_h0", RX, "np.concatenate([h0[:, None], hs[:, :-1]], axis=1)",
       "np.concatenate([np.zeros_like(h0)[:, None], hs[:, :-1]], axis=1)", "RNN", "grad_param:Wh"),
    _m("lstm_cs231n_gate_order_ifog", RX,
       "i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])\n"
       "            g = np.tanh(a[:, 2 * H:3 * H])",
       "i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H])\n"
       "            g = np.tanh(a[:, 3 * H:])", "LSTM", "forward"),
    _m("lstm_forget_grad_uses_current_cell", RX, "da[:, s, H:2 * H] = dc * c_prev * f * (1 - f)",
       "da[:, s, H:2 * H] = dc * cs[:, s] * f * (1 - f)", "LSTM", "grad_param:Wh"),
    _m("lstm_assumes_zero_c0", RX, "c_prev = cs[:, s - 1] if s > 0 else c0", "c_prev = cs[:, s - 1] if s > 0 else 0 * c0",
       "LSTM", "grad_param:Wx"),
    _m("gru_update_convention_swapped", RX, "h = (1 - z) * cand + z * h", "h = z * cand + (1 - z) * h", "GRU", "forward"),
    _m("gru_hidden_candidate_grad_forgets_reset", RX,
       "dgh[:, s, :H], dgh[:, s, H:2 * H], dgh[:, s, 2 * H:] = da_r, da_z, da_n * r",
       "dgh[:, s, :H], dgh[:, s, H:2 * H], dgh[:, s, 2 * H:] = da_r, da_z, da_n", "GRU", "grad_param:Wh"),
    # 5. optimizers, schedules, clipping
    _m("adadelta_eps_outside_sqrt", OX, "delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g",
       "delta = (np.sqrt(acc) + eps) / (np.sqrt(sq) + eps) * g", "Adadelta", "param:w1"),
    _m("adamax_forgets_eps", OX, "np.maximum(u, np.abs(g) + eps, out=u)", "np.maximum(u, np.abs(g), out=u)",
       "Adamax", "state:b1.exp_inf"),
    _m("adamax_no_bias_correction", OX, 'clr = group["lr"] / (1 - b1 ** state["step"])', 'clr = group["lr"]',
       "Adamax", "param:w1"),
    _m("nadam_mu_product_rounded_from_float64", OX,
       'state["mu_product"] = np.array(state["mu_product"] * np.float32(mu), dtype=np.float32)',
       'state["mu_product"] = np.array(float(state["mu_product"]) * mu, dtype=np.float32)', "NAdam", "state:w1.mu_product"),
    _m("nadam_mu_next_uses_this_step", OX, 'mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * group["momentum_decay"]))',
       'mu_next = b1 * (1.0 - 0.5 * 0.96 ** (t * group["momentum_decay"]))', "NAdam", "param:w1"),
    _m("radam_forgets_rectification", OX, "p -= m_hat * lr * adaptive * rect", "p -= m_hat * lr * adaptive",
       "RAdam", "param:w1"),
    _m("lambdalr_multiplies_current_lr", OX,
       "return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]",
       "return [lr * f(self.last_epoch) for f, lr in zip(self.lr_lambdas, self._lrs())]", "SGD momentum LambdaLR", "lr"),
    _m("onecycle_momentum_not_cycled", OX, "self._set_momentum(g, self._anneal(g[mom_a], g[mom_b], pct))", "pass",
       "SGD momentum OneCycleLR cos", "param:w1"),
    _m("onecycle_last_phase_ends_one_late", OX, '(n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")',
       '(n, "max_lr", "min_lr", "base_momentum", "max_momentum")', "SGD momentum OneCycleLR cos", "lr"),
    _m("plateau_patience_off_by_one", OX, "if self.num_bad_epochs > self.patience:",
       "if self.num_bad_epochs >= self.patience:", "SGD momentum ReduceLROnPlateau", "lr"),
    _m("plateau_cooldown_keeps_bad_epochs", OX, "            self.cooldown_counter -= 1\n            self.num_bad_epochs = 0\n",
       "            self.cooldown_counter -= 1\n", "Adam ReduceLROnPlateau max abs cooldown min_lr", "lr"),
    _m("plateau_ignores_min_lr", OX, 'new = max(g["lr"] * self.factor, lo)', 'new = g["lr"] * self.factor',
       "Adam ReduceLROnPlateau max abs cooldown min_lr", "lr"),
    _m("clip_norm_sums_the_norms", OX, "total = np.sum(norms ** norm_type) ** (1.0 / norm_type)", "total = np.sum(norms)",
       "SGD momentum clip_grad_norm (some steps)", "clip:total_norm"),
    _m("clip_inf_norm_forgets_abs", OX, "np.max(np.abs(g)) if g.size else 0", "np.max(g) if g.size else 0",
       "Adam clip_grad_norm inf-norm", "clip:total_norm"),
    _m("clip_value_not_in_place", OX, "np.clip(g, -v, v, out=g)", "np.clip(g, -v, v)", "SGD clip_grad_value", "clip:grad:w1"),
    # 6. attention
    _m("sdpa_scale_without_sqrt", TX, "scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else float(scale)",
       "scale = 1.0 / q.shape[-1] if scale is None else float(scale)", "ScaledDotProductAttention", "forward"),
    _m("sdpa_causal_excludes_diagonal", TX, "np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf)",
       "np.where(np.tril(np.ones((L, S), dtype=bool), -1), 0.0, -np.inf)", "ScaledDotProductAttention", "forward"),
    _m("sdpa_softmax_backward_missing_centering", TX, "ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))",
       "ds = p * dp", "ScaledDotProductAttention", "grad_param:k"),
    _m("mha_in_proj_q_k_swapped", TX, "q = query @ W[:, :E] + b[:E]\n        k = key @ W[:, E:2 * E] + b[E:2 * E]",
       "q = query @ W[:, E:2 * E] + b[E:2 * E]\n        k = key @ W[:, :E] + b[:E]", "MultiheadAttention", "forward"),
    _m("mha_heads_split_without_transpose", TX, "return x.reshape(n, t, self.num_heads, x.shape[2] // self.num_heads).transpose(0, 2, 1, 3)",
       "return x.reshape(n, self.num_heads, t, x.shape[2] // self.num_heads)", "MultiheadAttention", "forward"),
    # the seventh mutant sweep: settings the samples never combined
    _m("mha_attn_mask_dropped_beside_key_padding", TX, "total = m if total is None else total + m", "total = m",
       "MultiheadAttention", "forward"),
    _m("sdpa_scale_0_taken_for_the_default", TX, "if scale is None else float(scale)", "if not scale else float(scale)",
       "ScaledDotProductAttention", "forward"),
    _m("softplus_linear_at_the_threshold", A, "linear = bx > self.threshold", "linear = bx >= self.threshold",
       "Softplus", "forward"),
    _m("plateau_max_best_starts_at_0", OX, 'self.best = math.inf if mode == "min" else -math.inf',
       'self.best = math.inf if mode == "min" else 0.0', "SGD ReduceLROnPlateau max, negative metric", "lr"),
    _m("mha_key_padding_mask_inverted", TX,
       'm = _additive_mask(key_padding_mask, dtype, False, self.describe(), "key_padding_mask")',
       'm = _additive_mask(key_padding_mask, dtype, True, self.describe(), "key_padding_mask")', "MultiheadAttention",
       "forward"),
    _m("mha_w_in_grad_k_v_blocks_swapped", TX,
       "key.reshape(-1, E).T @ dk.reshape(-1, E),\n                             value.reshape(-1, E).T @ dv.reshape(-1, E)",
       "key.reshape(-1, E).T @ dv.reshape(-1, E),\n                             value.reshape(-1, E).T @ dk.reshape(-1, E)",
       "MultiheadAttention", "grad_param:W_in"),
    _m("encoder_prenorm_backward_drops_residual", TX,
       "return d1 + self.norm1.backward(self.self_attn.backward(d1))",
       "return self.norm1.backward(self.self_attn.backward(d1))", "TransformerEncoderLayer", "grad_input"),
    _m("encoder_postnorm_attention_block_prenormed", TX,
       "x = self.norm1.forward(x + self.self_attn.forward(x, **masks))",
       "x = x + self.self_attn.forward(self.norm1.forward(x), **masks)", "TransformerEncoderLayer", "forward"),
    _m("encoder_ff_backward_skips_activation", TX,
       "self.linear1.backward(self.act.backward(self.linear2.backward(d.reshape(n * t, e))))",
       "self.linear1.backward(self.linear2.backward(d.reshape(n * t, e)))", "TransformerEncoderLayer",
       "grad_param:linear1.W"),
    _m("positional_encoding_dx_is_the_callers_dout", TX, "        return self._dout(dout).copy()",
       "        return self._dout(dout)", "PositionalEncoding", "no_mutation"),
    _m("positional_encoding_i_instead_of_2i", TX, "np.arange(0, d_model, 2, dtype=np.float64) / d_model",
       "np.arange((d_model + 1) // 2, dtype=np.float64) / d_model", "PositionalEncoding", "forward"),
]


def _build_entries():
    import numpy as np

    import numpy_impl as ni
    import numpy_impl.losses_extra as nle
    import torch_ref.losses_extra as tle

    from . import breadth_support as bs
    from .registry import OpInfo, Sample, away_from_zero, extreme, nan_and_inf, random_shape, simple, with_zeros

    act = random_shape((1, 5), (1, 6))
    W4 = np.array([0.5, 2.0, 1.0, 0.25])
    return [
        # ---------------------------------------------------------------- 1. activations
        OpInfo("GELU", simple(ni.GELU), [
            Sample("exact (erf)", act),
            Sample("tanh approximation", act, {"approximate": "tanh"}),
            Sample("exact, wide inputs", (3, 7), inputs=bs.wide),
            Sample("tanh, wide inputs", (2, 3, 4), {"approximate": "tanh"}, inputs=bs.wide),
            Sample("saturating +-1000", (3, 4), fd=False, inputs=extreme),
        ], doc="x * Phi(x) with a vectorised erf; approximate='tanh' as torch"),
        OpInfo("ELU", simple(ni.ELU), [
            Sample("alpha 1", act, inputs=away_from_zero),
            Sample("alpha 0.5, 3-D", (2, 3, 4), {"alpha": 0.5}, inputs=away_from_zero),
            Sample("exact zeros, alpha 1.7", (4, 6), {"alpha": 1.7}, fd=False, inputs=with_zeros),
            Sample("saturating +-1000", (3, 4), fd=False, inputs=extreme),
        ], doc="gradient at exactly 0 is alpha (the negative branch), as torch"),
        OpInfo("SELU", simple(ni.SELU), [
            Sample("random", act, inputs=away_from_zero),
            Sample("exact zeros", (4, 6), fd=False, inputs=with_zeros),
        ], doc="torch's scale and alpha constants"),
        OpInfo("SiLU", simple(ni.SiLU), [
            Sample("random", act),
            Sample("wide", (3, 5), inputs=bs.wide),
            Sample("saturating +-1000", (3, 4), fd=False, inputs=extreme),
        ]),
        OpInfo("Softplus", simple(ni.Softplus), [
            Sample("beta 1 threshold 20", act),
            Sample("beta 2 threshold 5, crossing", (4, 6), {"beta": 2.0, "threshold": 5.0}, inputs=bs.wide),
            Sample("beta 0.5 threshold 1, crossing", (3, 2, 4), {"beta": 0.5, "threshold": 1.0},
                   inputs=bs.wide),
            Sample("saturating +-1000", (3, 4), fd=False, inputs=extreme),
            # beta*x exactly at the threshold: still the log1p branch (linear only above it), as torch
            Sample("beta*x == threshold exactly", (2, 3), {"beta": 2.0, "threshold": 5.0}, fd=False,
                   inputs=lambda rng, shape, dtype: np.full(shape, 2.5, dtype=dtype)),
            Sample("beta 1, x == 20 exactly", (2, 2), fd=False,
                   inputs=lambda rng, shape, dtype: np.full(shape, 20.0, dtype=dtype)),
        ], doc="linear where beta*x > threshold, as torch"),
        OpInfo("Mish", simple(ni.Mish), [
            Sample("random", act),
            Sample("wide", (3, 5), inputs=bs.wide),
            Sample("saturating +-1000", (3, 4), fd=False, inputs=extreme),
            Sample("NaN, inf and -inf inputs", (4, 6), fd=False, inputs=nan_and_inf, nonfinite=True),
        ], doc="x * tanh(softplus(x))"),
        OpInfo("Softsign", simple(ni.Softsign), [
            Sample("random", act),
            Sample("wide, with zeros", (3, 5), inputs=bs.at(0.0), fd=False),
            Sample("saturating +-1000", (3, 4), fd=False, inputs=extreme),
        ], doc="x / (1 + |x|)"),
        OpInfo("Hardtanh", simple(ni.Hardtanh), [
            Sample("-1 and 1", act, inputs=bs.scaled(2.0)),
            Sample("-0.5 and 2, 3-D", (2, 3, 4), {"min_val": -0.5, "max_val": 2.0}, inputs=bs.scaled(2.0)),
            Sample("exactly at the bounds", (4, 6), fd=False, inputs=bs.at(-1.0, 1.0, scale=2.0)),
        ], doc="clip; the gradient is 0 at and past the bounds, as torch (at NaN torch's own kernels disagree: "
               "not compared)"),
        OpInfo("ReLU6", simple(ni.ReLU6), [
            Sample("random", act, inputs=bs.scaled(5.0)),
            Sample("exactly 0 and 6", (4, 6), fd=False, inputs=bs.at(0.0, 6.0, scale=5.0)),
        ], doc="Hardtanh(0, 6)"),
        OpInfo("Hardswish", simple(ni.Hardswish), [
            Sample("random", act, inputs=bs.scaled(4.0)),
            Sample("exactly -3 and 3", (4, 6), fd=False, inputs=bs.at(-3.0, 3.0)),
            Sample("saturating +-1000", (3, 4), fd=False, inputs=extreme),
        ], doc="x * relu6(x + 3) / 6; the gradient 0 at -3, 1 at 3, as torch"),
        OpInfo("Hardsigmoid", simple(ni.Hardsigmoid), [
            Sample("random", act, inputs=bs.scaled(4.0)),
            Sample("exactly -3 and 3", (4, 6), fd=False, inputs=bs.at(-3.0, 3.0)),
        ], doc="relu6(x + 3) / 6; torch's reference with 1/6 exact in float64 (its kernel rounds it to float32)"),
        OpInfo("PReLU", bs.prelu, [
            Sample("one slope", random_shape((1, 5), (1, 6))),
            Sample("one slope, 4-D", (2, 3, 4, 2)),
            Sample("a slope per channel (N, C)", (5, 4), {"per_channel": True}),
            Sample("a slope per channel (N, C, H, W)", (2, 3, 4, 5), {"per_channel": True}),
            Sample("exact zeros", (4, 6), {"per_channel": True}, fd=False, inputs=with_zeros),
            Sample("NaN, inf and -inf inputs", (4, 6), fd=False, inputs=nan_and_inf, nonfinite=True),
        ], inputs=away_from_zero, doc="the slope learnt (torch's weight); the gradient at 0 takes the slope"),
        OpInfo("Softmax", simple(ni.Softmax), [
            Sample("dim -1 (N, C)", random_shape((1, 5), (1, 6))),
            Sample("dim 1 of 4-D", (2, 3, 4, 2), {"dim": 1}),
            Sample("dim 0", (4, 3), {"dim": 0}),
            Sample("dim -2 of 3-D", (2, 5, 3), {"dim": -2}),
            Sample("large logits 1e3", (3, 5), {"dim": 1}, fd=False, inputs=bs.scaled(1e3)),
        ], doc="any axis (dim), shifted by the max"),
        OpInfo("LogSoftmax", simple(ni.LogSoftmax), [
            Sample("dim -1 (N, C)", random_shape((1, 5), (1, 6))),
            Sample("dim 1 of 4-D", (2, 3, 4, 2), {"dim": 1}),
            Sample("dim 0", (4, 3), {"dim": 0}),
            Sample("one class", (3, 1), {"dim": 1}),
            Sample("large logits 1e3", (3, 5), {"dim": -1}, fd=False, inputs=bs.scaled(1e3)),
        ], doc="x - logsumexp(x) along dim"),
        # ---------------------------------------------------------------- 2. losses
        OpInfo("nll_loss", nle.nll_loss, [
            Sample("mean", random_shape((1, 8), (2, 6))),
            Sample("sum", (5, 4), {"reduction": "sum"}),
            Sample("class weights, mean", (6, 4), {"weight": W4}),
            Sample("class weights, sum", (6, 4), {"weight": W4, "reduction": "sum"}),
            Sample("batch of 1", (1, 3)),
            Sample("(N, C, d1) targets", (2, 4, 3), {"weight": W4}),
            Sample("ignore_index, weights", (8, 4), {"weight": W4}, inputs=bs.log_probs(ignore=True)),
            Sample("ignore_index, unweighted mean", (8, 4), inputs=bs.log_probs(ignore=True)),
            Sample("ignore_index=0 (padding as class 0)", (9, 3), {"ignore_index": 0}),
            Sample("ignored rows all -inf (padding)", (8, 4), {"weight": W4}, fd=False, nonfinite=True,
                   inputs=bs.log_probs(ignore=True, padded=True)),
            Sample("every target ignored: NaN loss, zero gradient", (3, 4), fd=False, nonfinite=True,
                   inputs=bs.log_probs(every=True)),
        ], kind="loss", torch=tle.nll_loss, inputs=bs.log_probs(),
            doc="F.nll_loss on log-probabilities; weighted mean divides by the sum of the targets' weights"),
        OpInfo("cross_entropy_loss", nle.cross_entropy_loss, [
            Sample("mean", random_shape((1, 8), (2, 6))),
            Sample("sum", (5, 4), {"reduction": "sum"}),
            Sample("label smoothing 0.1", (6, 5), {"label_smoothing": 0.1}),
            Sample("class weights", (6, 4), {"weight": W4}),
            Sample("weights + smoothing 0.2", (7, 4), {"weight": W4, "label_smoothing": 0.2}),
            Sample("weights + smoothing, sum", (5, 4), {"weight": W4, "label_smoothing": 0.3, "reduction": "sum"}),
            Sample("ignore_index + weights + smoothing", (9, 4), {"weight": W4, "label_smoothing": 0.15},
                   inputs=bs.class_scores(ignore=True)),
            Sample("ignore_index + smoothing, unweighted", (9, 3), {"label_smoothing": 0.25},
                   inputs=bs.class_scores(ignore=True)),
            Sample("ignore_index=0 (padding as class 0)", (9, 3), {"ignore_index": 0}),
            Sample("(N, C, d1, d2), smoothing", (2, 3, 2, 3), {"label_smoothing": 0.1}),
            Sample("batch of 1, two classes", (1, 2), {"label_smoothing": 0.4}),
            Sample("large logits 1e3", (4, 5), {"label_smoothing": 0.1}, fd=False, inputs=bs.class_scores(1e3)),
            Sample("every target ignored: NaN loss, zero gradient", (3, 4), fd=False, nonfinite=True,
                   inputs=bs.class_scores(every=True)),
        ], kind="loss", torch=tle.cross_entropy_loss, inputs=bs.class_scores(),
            doc="F.cross_entropy: class weights (weighted mean), label_smoothing, ignore_index, (N, C, d...)"),
        OpInfo("binary_cross_entropy", nle.binary_cross_entropy, [
            Sample("binary targets, mean", random_shape((1, 6), (1, 5))),
            Sample("soft targets, sum", (4, 3), {"reduction": "sum"}, inputs=bs.probs(soft=True)),
            Sample("weight over the last axis", (5, 3), {"weight": np.array([0.5, 2.0, 1.5])}),
            Sample("4-D", (2, 1, 3, 3)),
            Sample("probabilities exactly 0 and 1 (log clamped at -100)", (3, 4), fd=False,
                   inputs=bs.probs(saturated=True)),
        ], kind="loss", torch=tle.binary_cross_entropy, inputs=bs.probs(),
            doc="F.binary_cross_entropy: logs clamped at -100, gradient denominator at 1e-12"),
        OpInfo("binary_cross_entropy_with_logits", nle.binary_cross_entropy_with_logits, [
            Sample("binary targets, mean", random_shape((1, 6), (1, 5))),
            Sample("soft targets, sum", (4, 3), {"reduction": "sum"}, inputs=bs.logits(soft=True)),
            Sample("pos_weight", (6, 3), {"pos_weight": np.array([3.0, 0.5, 1.0])}),
            Sample("pos_weight + weight, soft", (5, 3), {"pos_weight": np.array([2.0, 0.25, 4.0]),
                                                        "weight": np.array([1.5, 0.5, 1.0])},
                   inputs=bs.logits(soft=True)),
            Sample("logits +-1000 (stable)", (3, 4), {"pos_weight": np.array([2.0, 1.0, 0.5, 3.0])}, fd=False,
                   inputs=bs.logits(extreme=True)),
        ], kind="loss", torch=tle.binary_cross_entropy_with_logits, inputs=bs.logits(),
            doc="softplus form, never overflows; pos_weight per class (last axis)"),
        OpInfo("l1_loss", nle.l1_loss, [
            Sample("mean", random_shape((1, 6), (1, 5))),
            Sample("sum, 3-D", (2, 3, 4), {"reduction": "sum"}),
            Sample("ties (gradient 0)", (4, 5), fd=False, inputs=bs.regression(ties=True)),
        ], kind="loss", torch=tle.l1_loss, inputs=bs.regression()),
        OpInfo("huber_loss", nle.huber_loss, [
            Sample("delta 1, mean", (5, 4)),
            Sample("delta 0.5, sum", (4, 6), {"delta": 0.5, "reduction": "sum"}),
            Sample("delta 2, 4-D", (2, 2, 3, 3), {"delta": 2.0}),
        ], kind="loss", torch=tle.huber_loss, inputs=bs.regression(spread=2.0),
            doc="quadratic inside delta, linear outside (inputs cross delta)"),
        OpInfo("smooth_l1_loss", nle.smooth_l1_loss, [
            Sample("beta 1, mean", (5, 4)),
            Sample("beta 0.3, sum", (4, 6), {"beta": 0.3, "reduction": "sum"}),
            Sample("beta 2, 3-D", (2, 3, 4), {"beta": 2.0}),
            Sample("beta 0 (L1)", (3, 5), {"beta": 0.0}),
        ], kind="loss", torch=tle.smooth_l1_loss, inputs=bs.regression(spread=2.0),
            doc="Huber / beta; beta 0 is L1"),
        OpInfo("kl_div_loss", nle.kl_div_loss, [
            Sample("batchmean", random_shape((1, 6), (2, 5)), {"reduction": "batchmean"}),
            Sample("sum", (4, 5), {"reduction": "sum"}),
            Sample("mean (per element)", (4, 5), {"reduction": "mean"}),
            Sample("zeros in the target, batchmean", (5, 6), {"reduction": "batchmean"},
                   inputs=bs.kl_inputs(zeros=True)),
            Sample("log_target, batchmean", (4, 3, 2), {"reduction": "batchmean", "log_target": True},
                   inputs=bs.kl_inputs(log_target=True)),
        ], kind="loss", torch=tle.kl_div_loss, inputs=bs.kl_inputs(),
            doc="F.kl_div(input=log q, target=p); batchmean is the KL divergence"),
        OpInfo("temporal_softmax_loss", nle.temporal_softmax_loss, [
            Sample("no mask", (3, 4, 5)),
            Sample("lengths 4, 2, 1", (3, 4, 5), {"mask": bs.lengths_mask([4, 2, 1], 4)}),
            Sample("a sequence with nothing kept", (3, 5, 4), {"mask": bs.lengths_mask([5, 0, 3], 5)}),
            Sample("batch of 1, scattered mask", (1, 6, 3), {"mask": np.array([[1, 0, 1, 1, 0, 1]], dtype=bool)}),
        ], kind="loss", torch=tle.temporal_softmax_loss, inputs=bs.sequence_scores,
            doc="cs231n: masked cross-entropy summed over steps, divided by N (F.cross_entropy per step)"),
        # ---------------------------------------------------------------- 3. normalisation and shape
        OpInfo("GroupNorm", bs.group_norm, [
            Sample("(N, C, H, W) 2 groups", random_shape((1, 3), (4, 4), (2, 4), (2, 4))),
            Sample("3 groups of 2, batch of 1", (1, 6, 3, 5), {"groups": 3}),
            Sample("1 group (LayerNorm over C, H, W)", (2, 3, 4, 3), {"groups": 1}),
            Sample("C groups (InstanceNorm)", (2, 4, 3, 3), {"groups": 4}),
            Sample("(N, C, L)", (3, 4, 5), {"groups": 2}),
            Sample("(N, C)", (3, 6), {"groups": 2}),
            Sample("no affine", (2, 4, 3, 3), {"groups": 2, "affine": False}),
        ], doc="per (sample, group) over channels and positions; also the classic spatial group norm"),
        OpInfo("InstanceNorm2d", bs.instance_norm, [
            Sample("no affine (torch default)", random_shape((1, 3), (1, 4), (2, 5), (2, 5))),
            Sample("affine", (2, 3, 4, 5), {"affine": True}),
            Sample("batch of 1, 1x7", (1, 2, 1, 7), {"affine": True}),
        ], doc="per (sample, channel) over (H, W); track_running_stats=False as torch's default"),
        OpInfo("Conv1d", bs.conv1d, [
            Sample("k3 s1 p0", (2, 3, 8)),
            Sample("k3 s2 p1", (2, 2, 9), {"stride": 2, "pad": 1}),
            Sample("k5 s3 p2 dil2", (1, 2, 13), {"k": 5, "stride": 3, "pad": 2, "dil": 2}),
            Sample("k1", (3, 4, 5), {"k": 1, "out": 2}),
            Sample("single channel, batch of 1", (1, 1, 6), {"out": 1, "pad": 1}),
            Sample("no bias, odd length", (2, 3, 7), {"bias": False, "k": 2}),
            Sample("random", random_shape((1, 3), (1, 3), (5, 9)), {"pad": 1}),
        ], doc="x (N, C, L); W (F, C, k) as torch; im2col + one matmul"),
        OpInfo("ConvTranspose2d", bs.conv_transpose2d, [
            Sample("3x3 s1 p0", (2, 2, 3, 4)),
            Sample("3x3 s2 p1", (1, 3, 4, 3), {"stride": 2, "pad": 1}),
            Sample("3x3 s2 p1 output_padding 1", (2, 2, 3, 3), {"stride": 2, "pad": 1, "op": 1}),
            Sample("4x4 s2 p1 (doubling)", (1, 2, 3, 4), {"k": 4, "stride": 2, "pad": 1, "out": 2}),
            Sample("3x3 s3 p2 output_padding 2", (1, 2, 3, 2), {"stride": 3, "pad": 2, "op": 2}),
            Sample("3x3 dil2 p1", (2, 2, 3, 3), {"dil": 2, "pad": 1}),
            Sample("2x2 dil2 s1 output_padding 1", (1, 2, 3, 3), {"k": 2, "dil": 2, "op": 1}),
            Sample("1x1, no bias, batch of 1", (1, 3, 2, 3), {"k": 1, "bias": False, "out": 2}),
            Sample("(3, 2) kernel, stride (2, 1), padding (1, 0), output_padding (1, 0)", (2, 2, 3, 4),
                   {"k": (3, 2), "stride": (2, 1), "pad": (1, 0), "op": (1, 0)}),
        ], doc="W (C_in, C_out, kh, kw) as torch; stride, padding, output_padding, dilation"),
        OpInfo("AdaptiveAvgPool2d", simple(ni.AdaptiveAvgPool2d), [
            Sample("divisible 6x8 -> 3x4", (2, 2, 6, 8), {"output_size": (3, 4)}),
            Sample("non-divisible 7x5 -> 3x2", (2, 3, 7, 5), {"output_size": (3, 2)}),
            Sample("non-divisible 10x9 -> 4x4", (1, 2, 10, 9), {"output_size": 4}),
            Sample("larger than the input 3x2 -> 5x3", (2, 1, 3, 2), {"output_size": (5, 3)}),
            Sample("(None, 2) keeps H", (1, 2, 3, 5), {"output_size": (None, 2)}),
            Sample("1x1 (global)", (2, 3, 4, 5), {"output_size": 1}),
        ], doc="torch's windows [floor(i*H/OH), ceil((i+1)*H/OH)); out = A_h @ x @ A_w.T"),
        OpInfo("GlobalAvgPool2d", simple(ni.GlobalAvgPool2d), [
            Sample("(N, C, H, W) -> (N, C)", random_shape((1, 3), (1, 4), (1, 5), (1, 5))),
            Sample("1x1 image", (2, 3, 1, 1)),
        ], doc="mean over (H, W) -> (N, C); torch: AdaptiveAvgPool2d(1) + Flatten"),
        OpInfo("Upsample", simple(ni.Upsample), [
            Sample("nearest x2", (2, 3, 3, 4)),
            Sample("nearest x3", (1, 2, 2, 3), {"scale_factor": 3}),
            Sample("nearest (2, 3)", (2, 1, 3, 2), {"scale_factor": (2, 3)}),
            Sample("x1 (identity)", (1, 2, 2, 2), {"scale_factor": 1}),
        ], doc="mode 'nearest', integer scale factors; backward sums each block"),
        # ---------------------------------------------------------------- 4. sequences
        OpInfo("Embedding", bs.embedding, [
            Sample("(N, T) ids", (3, 4)),
            Sample("padding_idx 0", (4, 5), {"padding_idx": 0}),
            Sample("padding_idx -1 (the last row)", (2, 6), {"padding_idx": -1}),
            Sample("int32 ids, 1-D, repeated (gradients accumulate)", (12,), {"num": 3, "id_dtype": np.int32}),
            Sample("batch of 1, one id, one dim", (1, 1), {"num": 2, "dim": 1}),
        ], check=bs.check_embedding, integer_input=True,
            doc="W (V, D) = torch weight; padding row's gradient is zero; ids validated"),
        OpInfo("TemporalAffine", bs.temporal_affine, [
            Sample("(N, T, D)", random_shape((1, 3), (1, 4), (1, 5))),
            Sample("batch of 1, T=1", (1, 1, 3), {"out": 2}),
            Sample("no bias", (2, 3, 4), {"bias": False}),
        ], doc="x (N, T, D) @ W (D, M) + b; torch nn.Linear weight = W.T"),
        OpInfo("RNN", bs.recurrent("RNN"), [
            Sample("tanh, h0 zero", (2, 5, 3)),
            Sample("tanh, h0 given", (3, 4, 2), {"h0": True}),
            Sample("relu, h0 zero", (2, 5, 3), {"nonlinearity": "relu"}),
            Sample("relu, h0 given, hidden bias", (2, 4, 3), {"nonlinearity": "relu", "h0": True, "hidden_bias": True}),
            Sample("batch of 1, T=1, H=1", (1, 1, 2), {"hidden": 1, "h0": True}),
            Sample("no bias, T=9", (2, 9, 2), {"bias": False, "hidden": 3}),
        ], doc="whole sequence, batch first; Wx (D, H) = weight_ih_l0.T; b = bias_ih_l0, bias_hh_l0 zero "
               "unless hidden_bias; gradients through time for every parameter and h0"),
        OpInfo("LSTM", bs.recurrent("LSTM", hidden=3), [
            Sample("h0, c0 zero", (2, 5, 3)),
            Sample("h0 and c0 given", (3, 4, 2), {"h0": True, "c0": True}),
            Sample("h0 given, c0 zero", (2, 3, 3), {"h0": True}),
            Sample("hidden bias, h0 and c0", (2, 4, 2), {"hidden_bias": True, "h0": True, "c0": True}),
            Sample("batch of 1, T=1", (1, 1, 3), {"h0": True, "c0": True}),
            Sample("no bias, T=8", (2, 8, 2), {"bias": False, "hidden": 2}),
        ], doc="torch gate order i, f, g, o; Wx (D, 4H) = weight_ih_l0.T, Wh (H, 4H) = weight_hh_l0.T, "
               "b (4H,) = bias_ih_l0, bias_hh_l0 zero unless hidden_bias"),
        OpInfo("GRU", bs.recurrent("GRU", hidden=3), [
            Sample("h0 zero", (2, 5, 3)),
            Sample("h0 given", (3, 4, 2), {"h0": True}),
            Sample("hidden bias (b_hn inside the reset gate), h0", (2, 4, 3), {"hidden_bias": True, "h0": True}),
            Sample("batch of 1, T=1", (1, 1, 2), {"h0": True}),
            Sample("no bias, T=8", (2, 8, 2), {"bias": False, "hidden": 2}),
        ], doc="torch gate order r, z, n; n = tanh(x W_n + b_n + r * (h W_hn + b_hn)); layouts as LSTM"),
        # ---------------------------------------------------------------- 6. attention
        OpInfo("ScaledDotProductAttention", bs.sdpa, [
            Sample("self-attention (N, h, L, E)", (2, 2, 4, 3)),
            Sample("self-attention, causal", (2, 1, 5, 4), {"causal": True}),
            Sample("k, v given, S != L, Ev != E", (2, 3, 4), {"S": 5, "Ev": 2}),
            Sample("causal, S > L", (1, 2, 3, 4), {"S": 5, "causal": True}),
            Sample("boolean mask (True = attend)", (2, 3, 4), {"S": 4, "mask": "bool"}),
            Sample("key padding mask (N, 1, 1, S)", (3, 2, 3, 2), {"S": 4, "mask": "padding"}),
            Sample("additive float mask, scale 0.3", (2, 3, 3), {"S": 4, "mask": "float", "scale": 0.3}),
            Sample("a query row with every key masked (zeros, as torch)", (1, 4, 3), {"S": 3, "mask": "dead row"}),
            Sample("scale 0: uniform attention, not the default", (2, 3, 4), {"S": 4, "scale": 0.0}),
        ], doc="F.scaled_dot_product_attention; bool mask True = attend; k, v checked as Probe parameters"),
        OpInfo("MultiheadAttention", bs.mha, [
            Sample("self-attention, 2 heads", (2, 4, 6)),
            Sample("1 head, batch of 1", (1, 3, 4), {"heads": 1}),
            Sample("key padding mask", (3, 5, 4), {"lengths": [5, 2, 3]}),
            Sample("causal attn_mask (bool, True = masked)", (2, 4, 4), {"attn": "causal"}),
            Sample("float attn_mask (N*heads, L, S)", (2, 3, 6), {"heads": 3, "attn": "float"}),
            Sample("cross-attention on a memory of 3, key padding", (2, 4, 4), {"memory": 3, "lengths": [3, 1]}),
            Sample("no bias", (2, 3, 4), {"bias": False}),
            Sample("causal attn_mask and key padding mask together", (3, 4, 4), {"attn": "causal", "lengths": [4, 2, 3]}),
        ], doc="nn.MultiheadAttention(batch_first=True), need_weights=False; W_in (E, 3E) = in_proj_weight.T "
               "(q | k | v), W_out = out_proj.weight.T"),
        OpInfo("TransformerEncoderLayer", bs.encoder_layer, [
            Sample("post-norm, relu", (2, 4, 4)),
            Sample("pre-norm, relu", (2, 4, 4), {"norm_first": True}),
            Sample("post-norm, gelu, 1 head", (2, 3, 4), {"activation": "gelu", "nhead": 1}),
            Sample("pre-norm, gelu, causal src_mask", (2, 4, 4), {"activation": "gelu", "norm_first": True,
                                                                  "causal": True}),
            Sample("post-norm, key padding mask", (3, 4, 4), {"lengths": [4, 2, 1]}),
            Sample("pre-norm, causal src_mask and key padding mask", (3, 4, 4), {"norm_first": True, "causal": True,
                                                                               "lengths": [4, 3, 2]}),
            Sample("batch of 1, T=1", (1, 1, 4), {"norm_first": True}),
            Sample("pre-norm, layer_norm_eps 0.3", (2, 3, 4), {"norm_first": True, "layer_norm_eps": 0.3}),
            Sample("post-norm, layer_norm_eps 0.3", (2, 3, 4), {"layer_norm_eps": 0.3}),
        ], doc="nn.TransformerEncoderLayer(batch_first=True, dropout=0.0), norm_first both ways, relu/gelu"),
        OpInfo("PositionalEncoding", bs.positional_encoding, [
            Sample("(N, T, D)", (2, 5, 6)),
            Sample("odd d_model", (1, 7, 5)),
            Sample("T = max_len", (1, 12, 4), {"max_len": 12}),
            Sample("positions up to 59", (1, 60, 8), {"max_len": 64}),
        ], doc="sinusoidal (Vaswani et al.), x + PE[:T]; torch side: the PyTorch tutorial's exp/log form"),
    ]


def plateau_metric(step):
    """Falls for 15 steps, then wobbles on a plateau (so the lr is cut again and again)."""
    import math
    return max(1.0 - 0.05 * step, 0.25) + 0.01 * math.sin(1.7 * step) * (step > 15)


def rising_metric(step):
    """An accuracy-like metric for mode 'max': rises, then stalls with small ups and downs."""
    import math
    return min(0.02 * step, 0.6) + 0.003 * math.cos(0.9 * step)


def _build_optim_entries():
    import numpy_impl.optim as no

    from .registry import OptimInfo

    return [
        # ---------------------------------------------------------------- 5. optimizers
        OptimInfo("Adadelta", lambda p: no.Adadelta(p), doc="torch defaults (lr 1.0, rho 0.9, eps 1e-6)"),
        OptimInfo("Adadelta rho 0.95 wd", lambda p: no.Adadelta(p, lr=0.5, rho=0.95, eps=1e-5, weight_decay=1e-2)),
        OptimInfo("Adamax", lambda p: no.Adamax(p), doc="state exp_avg, exp_inf"),
        OptimInfo("Adamax betas wd", lambda p: no.Adamax(p, lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2)),
        OptimInfo("NAdam", lambda p: no.NAdam(p), doc="mu_product kept in float32, as torch"),
        OptimInfo("NAdam L2 wd momentum_decay", lambda p: no.NAdam(p, lr=1e-2, weight_decay=1e-2, momentum_decay=1e-2)),
        OptimInfo("NAdam decoupled wd", lambda p: no.NAdam(p, lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
        OptimInfo("RAdam", lambda p: no.RAdam(p, lr=1e-2), doc="plain momentum until rho_t > 5 (step 6), then rectified"),
        OptimInfo("RAdam decoupled wd betas", lambda p: no.RAdam(p, lr=1e-2, betas=(0.8, 0.99), weight_decay=0.1,
                                                                decoupled_weight_decay=True)),
        # ---------------------------------------------------------------- 5. schedules
        OptimInfo("SGD momentum LambdaLR", lambda p: no.SGD(p, lr=1e-2, momentum=0.9),
                  schedule=lambda o: no.LambdaLR(o, lambda e: 1.0 / (1.0 + 0.05 * e))),
        OptimInfo("Adam LambdaLR per group", lambda p: no.Adam(p, lr=1e-2),
                  groups=({}, {"lr": 3e-2}),
                  schedule=lambda o: no.LambdaLR(o, [lambda e: 0.97 ** e, lambda e: min(1.0, (e + 1) / 10)])),
        OptimInfo("SGD momentum OneCycleLR cos", lambda p: no.SGD(p, lr=1e-3, momentum=0.9),
                  schedule=lambda o: no.OneCycleLR(o, max_lr=0.05, total_steps=100),
                  doc="lr and momentum cycled per step"),
        OptimInfo("Adam OneCycleLR linear three-phase per group", lambda p: no.Adam(p, lr=1e-3),
                  groups=({}, {}),
                  schedule=lambda o: no.OneCycleLR(o, max_lr=[1e-2, 3e-2], total_steps=100, pct_start=0.25,
                                                   anneal_strategy="linear", three_phase=True, base_momentum=0.8,
                                                   max_momentum=0.9), doc="beta1 cycled"),
        OptimInfo("AdamW OneCycleLR no momentum cycling", lambda p: no.AdamW(p, lr=1e-3, weight_decay=0.05),
                  schedule=lambda o: no.OneCycleLR(o, max_lr=2e-2, epochs=5, steps_per_epoch=21, pct_start=0.4,
                                                   cycle_momentum=False, div_factor=10.0, final_div_factor=100.0)),
        OptimInfo("SGD momentum ReduceLROnPlateau", lambda p: no.SGD(p, lr=1e-2, momentum=0.9),
                  schedule=lambda o: no.ReduceLROnPlateau(o, factor=0.5, patience=4), metric=plateau_metric,
                  doc="a falling-then-flat metric fed to both schedules every step"),
        OptimInfo("Adam ReduceLROnPlateau max abs cooldown min_lr", lambda p: no.Adam(p, lr=1e-2),
                  groups=({}, {"lr": 5e-3}),
                  schedule=lambda o: no.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=2, threshold=1e-3,
                                                          threshold_mode="abs", cooldown=3, min_lr=[1e-3, 2e-4]),
                  metric=rising_metric),
        OptimInfo("SGD ReduceLROnPlateau max rel", lambda p: no.SGD(p, lr=1e-2),
                  schedule=lambda o: no.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=2, threshold=1e-2),
                  metric=rising_metric),
        OptimInfo("SGD ReduceLROnPlateau max, negative metric", lambda p: no.SGD(p, lr=1e-2),
                  schedule=lambda o: no.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=2),
                  metric=lambda step: rising_metric(step) - 5.0, doc="a -loss-like metric: best starts at -inf"),
        OptimInfo("SGD ReduceLROnPlateau min abs", lambda p: no.SGD(p, lr=1e-2),
                  schedule=lambda o: no.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=5e-3,
                                                          threshold_mode="abs"),
                  metric=plateau_metric),
        # ---------------------------------------------------------------- 5. gradient clipping
        OptimInfo("SGD momentum clip_grad_norm (some steps)", lambda p: no.SGD(p, lr=1e-4, momentum=0.9),
                  clip=("norm", {"max_norm": 8000.0}), doc="total norm and clipped gradients compared every step"),
        OptimInfo("Adam clip_grad_norm inf-norm", lambda p: no.Adam(p, lr=1e-2),
                  clip=("norm", {"max_norm": 1.0, "norm_type": float("inf")})),
        OptimInfo("Adam clip_grad_norm 1-norm", lambda p: no.Adam(p, lr=1e-2),
                  clip=("norm", {"max_norm": 5.0, "norm_type": 1.0})),
        OptimInfo("SGD clip_grad_norm 3-norm", lambda p: no.SGD(p, lr=1e-3),
                  clip=("norm", {"max_norm": 5.0, "norm_type": 3.0})),
        OptimInfo("SGD clip_grad_value", lambda p: no.SGD(p, lr=1e-3, momentum=0.5),
                  clip=("value", {"clip_value": 0.5})),
    ]


_BUILDERS = {"ENTRIES": _build_entries, "OPTIM_ENTRIES": _build_optim_entries}


def __getattr__(name):
    if name in _BUILDERS:
        value = _BUILDERS[name]()
        # building may re-enter (registry imports this module's ENTRIES): keep the first list
        return globals().setdefault(name, value)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
