"""Mutation proof as a table: each ``Mutant`` is one realistic single-line bug in the library, the
``parity check --only`` pattern that must see it, and the check that must fail.

    Mutant(name, file, find, replace, only, check)

``file`` is relative to the repository root; ``find`` must occur exactly once in it and is replaced
by ``replace``; ``check`` is ``"Component [check]"`` (or a bare check name), glob patterns allowed
(``"Adam [param:*]"``). A mutant the gate cannot see by design carries ``invisible="reason"``.
Dicts with the keys name/file/find/replace/component/check are accepted too: ``Mutant(**d)``
(``component`` is the ``only`` pattern).

``parity mutants [--only NAME] [--jobs N]`` copies the packages to a temporary folder per worker,
applies each mutant there, runs ``python -m parity_tests.cli check --only <only> --json`` in a
subprocess (``PYTHONPATH`` = the copy), and reports killed/total, the survivors, and the check that
killed each; exit 1 if a mutant that is not invisible survives. ``make mutants`` runs them all.
"""
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from numpy_impl.atomic import atomic_write

from ..options import UsageError, count, output_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGES = ("numpy_impl", "torch_ref", "parity_tests", "datasets")


@dataclass
class Mutant:
    name: str
    file: str
    find: str
    replace: str
    only: str = None
    check: str = "*"
    invisible: str = ""
    component: str = None            # another name for ``only`` (the dict form)

    def __post_init__(self):
        self.only = self.only or self.component
        if not self.only:
            raise ValueError(f"mutant {self.name!r}: give 'only' (or 'component'), the parity check --only pattern")

    def apply(self, root):
        """Write the mutated file under ``root`` (a copy of the repository); returns the original text."""
        path = os.path.join(root, self.file)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        n = text.count(self.find)
        if n != 1:
            raise ValueError(f"mutant {self.name!r}: {self.find!r} occurs {n} times in {self.file}, wanted exactly 1")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(self.find, self.replace))
        return text

    def killed_by(self, failures):
        """The failed (component, check) pairs that match ``check``."""
        comp, _, chk = self.check.rpartition(" [")
        chk = chk[:-1] if comp else self.check
        return [(c, k) for c, k in failures
                if fnmatch.fnmatchcase(k, chk) and (not comp or fnmatch.fnmatchcase(c, comp))]


MUTANTS = [
    Mutant('Linear dW divided by N', 'numpy_impl/layers/linear.py', 'self._set_grad("W", x.T @ dout)', 'self._set_grad("W", x.T @ dout / x.shape[0])', 'Linear', 'Linear [grad_param:W]'),
    Mutant('Linear db as a mean', 'numpy_impl/layers/linear.py', 'self._set_grad("b", dout.sum(axis=0))', 'self._set_grad("b", dout.mean(axis=0))', 'Linear', 'Linear [grad_param:b]'),
    Mutant('Linear dx without the transpose', 'numpy_impl/layers/linear.py', 'return dout @ self.params["W"].astype(dout.dtype, copy=False).T', 'return dout @ self.params["W"].astype(dout.dtype, copy=False)', 'Linear', 'Linear [grad_input]'),
    Mutant('Linear forward drops the bias', 'numpy_impl/layers/linear.py', 'out += self.params["b"].astype(x.dtype, copy=False)', 'out += 0', 'Linear', 'Linear [forward]'),
    Mutant('Flatten backward reshapes to the reversed shape', 'numpy_impl/layers/linear.py', 'return dout.reshape(self._cache)', 'return dout.reshape(self._cache[:1] + self._cache[1:][::-1])', 'Flatten', 'Flatten [grad_input]'),
    Mutant('ReLU gradient 1 at exactly 0', 'numpy_impl/layers/activations.py', 'self._cache = np.logical_not(x <= 0)', 'self._cache = np.logical_not(x < 0)', 'ReLU', 'ReLU [grad_input]'),
    Mutant('LeakyReLU backward with the default slope', 'numpy_impl/layers/activations.py', 'return np.where(self._cache, dout, dout * dout.dtype.type(self.negative_slope))', 'return np.where(self._cache, dout, dout * dout.dtype.type(0.01))', 'LeakyReLU', 'LeakyReLU [grad_input]'),
    Mutant('Sigmoid backward missing a factor out', 'numpy_impl/layers/activations.py', 'return dout * out * (1 - out)', 'return dout * (1 - out)', 'Sigmoid', 'Sigmoid [grad_input]'),
    Mutant('Sigmoid stable branches swapped', 'numpy_impl/layers/activations.py', 'np.where(x >= 0, 1 / (1 + z), z / (1 + z))', 'np.where(x >= 0, z / (1 + z), 1 / (1 + z))', 'Sigmoid', 'Sigmoid [forward]'),
    Mutant('Tanh backward 1 - y instead of 1 - y^2', 'numpy_impl/layers/activations.py', 'return dout * (1 - self._cache * self._cache)', 'return dout * (1 - self._cache)', 'Tanh', 'Tanh [grad_input]'),
    Mutant('Conv2d im2col strides height/width swapped', 'numpy_impl/layers/conv.py', 'win[:, :, ::sh, ::sw, ::dh, ::dw]', 'win[:, :, ::sw, ::sh, ::dh, ::dw]', 'Conv2d', 'Conv2d [*]'),
    Mutant('Conv2d im2col dilations height/width swapped', 'numpy_impl/layers/conv.py', '::sh, ::sw, ::dh, ::dw]', '::sh, ::sw, ::dw, ::dh]', 'Conv2d', 'Conv2d [*]'),
    Mutant('Conv2d padding height/width swapped', 'numpy_impl/layers/conv.py', '(ph, ph), (pw, pw)))', '(pw, pw), (ph, ph)))', 'Conv2d', 'Conv2d [*]'),
    Mutant('Conv2d output size missing the -1', 'numpy_impl/layers/conv.py', 'return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1', 'return (size + 2 * pad - dilation * (k - 1)) // stride + 1', 'Conv2d', 'Conv2d [*]'),
    Mutant('Conv2d col2im dilation height/width swapped', 'numpy_impl/layers/conv.py', 'r, s = i * dh, j * dw', 'r, s = i * dw, j * dh', 'Conv2d', 'Conv2d [*]'),
    Mutant('Conv2d dW divided by N', 'numpy_impl/layers/conv.py', 'self._set_grad("W", grad[:, :k].copy().reshape(self.params["W"].shape))', 'self._set_grad("W", grad[:, :k].copy().reshape(self.params["W"].shape) / n)', 'Conv2d', 'Conv2d [grad_param:W]'),
    Mutant('Conv2d db divided by N', 'numpy_impl/layers/conv.py', 'self._set_grad("b", grad[:, k].copy())', 'self._set_grad("b", grad[:, k].copy() / n)', 'Conv2d', 'Conv2d [grad_param:b]'),
    Mutant('Conv2dNaive patch columns stepped by the row stride', 'numpy_impl/layers/conv.py', 's * sw:s * sw + (kw - 1) * dw + 1:dw]\n', 's * sh:s * sh + (kw - 1) * dw + 1:dw]\n', 'Conv2dNaive', 'Conv2dNaive [*]'),
    Mutant('Conv2dNaive dW divided by N', 'numpy_impl/layers/conv.py', 'dW[f] += dout[i, f, r, s] * xp[sl]', 'dW[f] += dout[i, f, r, s] * xp[sl] / n', 'Conv2dNaive', 'Conv2dNaive [grad_param:W]'),
    Mutant('Pool stride read with height/width swapped', 'numpy_impl/layers/pool.py', 'self.stride = check_pair(name, "stride", stride) if stride is not None else self.kernel_size', 'self.stride = check_pair(name, "stride", stride)[::-1] if stride is not None else self.kernel_size', 'MaxPool2d', 'MaxPool2d [*]'),
    Mutant('Pool output size with kh/kw swapped', 'numpy_impl/layers/pool.py', 'oh = _out_size(x.shape[2], eh, sh, ph, self.ceil_mode)', 'oh = _out_size(x.shape[2], ew, sh, ph, self.ceil_mode)', 'AvgPool2d', 'AvgPool2d [*]'),
    Mutant('Pool window rows stepped by the column stride', 'numpy_impl/layers/pool.py', 'slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)', 'slice(i * dh, i * dh + sw * (oh - 1) + 1, sw)', 'MaxPool2d', 'MaxPool2d [*]'),
    Mutant('Pool ceil_mode lets the last window start in the right padding', 'numpy_impl/layers/pool.py', '    if ceil and (out - 1) * stride >= n + pad:\n        out -= 1\n', '', 'MaxPool2d', 'MaxPool2d [*]'),
    Mutant('Pool ceil_mode ignored', 'numpy_impl/layers/pool.py', 'out = (span + (stride - 1 if ceil else 0)) // stride + 1', 'out = span // stride + 1', 'AvgPool2d', 'AvgPool2d [*]'),
    Mutant('AvgPool2d ceil_mode counts the overrun in the divisor', 'numpy_impl/layers/pool.py', 'counted[:shape[2] + 2 * ph, :shape[3] + 2 * pw] = 1', 'counted[:, :] = 1', 'AvgPool2d', 'AvgPool2d [forward]'),
    Mutant('AvgPool2d divisor_override ignored', 'numpy_impl/layers/pool.py', 'return dtype.type(self.divisor_override)', 'return dtype.type(kh * kw)', 'AvgPool2d', 'AvgPool2d [*]'),
    Mutant('Pool dilation ignored in the window span', 'numpy_impl/layers/pool.py', 'return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))', 'return tuple(self.kernel_size)', 'MaxPool2d', 'MaxPool2d [*]'),
    Mutant('Pool dilation taken for the column offsets on rows', 'numpy_impl/layers/pool.py', 'slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)', 'slice(j * dh, j * dh + sw * (ow - 1) + 1, sw)', 'MaxPool2d', 'MaxPool2d [*]'),
    Mutant('MaxPool2d pads with 0', 'numpy_impl/layers/pool.py', 'pad_value = -np.inf', 'pad_value = 0.0', 'MaxPool2d', 'MaxPool2d [forward]'),
    Mutant('MaxPool2d argmax index not cumulative', 'numpy_impl/layers/pool.py', 'leading &= differs', 'leading = differs.copy()', 'MaxPool2d', 'MaxPool2d [grad_input]'),
    Mutant('MaxPool2d NaN window not routed to the NaN', 'numpy_impl/layers/pool.py', 'if np.isnan(ob).any():', 'if False:', 'MaxPool2d', 'MaxPool2d [grad_input]'),
    Mutant('AvgPool2d ignores count_include_pad=False', 'numpy_impl/layers/pool.py', 'if (self.count_include_pad or not any(self.padding)) and not overrun:', 'if not overrun:', 'AvgPool2d', 'AvgPool2d [forward]'),
    Mutant('AvgPool2d backward not divided', 'numpy_impl/layers/pool.py', 'share = dout / div', 'share = dout', 'AvgPool2d', 'AvgPool2d [grad_input]'),
    Mutant('AvgPool2d exclude-pad counts with ph/pw swapped', 'numpy_impl/layers/pool.py', 'counted[ph:ph + shape[2], pw:pw + shape[3]] = 1', 'counted[pw:pw + shape[2], ph:ph + shape[3]] = 1', 'AvgPool2d', 'AvgPool2d [forward]'),
    Mutant('Pool crop with ph/pw swapped', 'numpy_impl/layers/pool.py', 'return dxp[:, :, ph:ph + shape[2], pw:pw + shape[3]].copy()', 'return dxp[:, :, pw:pw + shape[2], ph:ph + shape[3]].copy()', 'AvgPool2d', 'AvgPool2d [grad_input]'),
    Mutant('BatchNorm running_var without M/(M-1)', 'numpy_impl/layers/norm.py', 'rv[...] = (1 - mom) * rv + mom * var * (m / (m - 1))', 'rv[...] = (1 - mom) * rv + mom * var', 'BatchNorm1d', 'BatchNorm1d [running:running_var]'),
    Mutant("BatchNorm momentum as the old value's weight", 'numpy_impl/layers/norm.py', 'rm[...] = (1 - mom) * rm + mom * mean', 'rm[...] = mom * rm + (1 - mom) * mean', 'BatchNorm2d', 'BatchNorm2d [running:running_mean]'),
    Mutant('BatchNorm momentum=None weights the n-th batch 1/(n+1)', 'numpy_impl/layers/norm.py', 'mom = 1.0 / int(self.buffers["num_batches_tracked"])', 'mom = 1.0 / (int(self.buffers["num_batches_tracked"]) + 1)', 'BatchNorm1d', 'BatchNorm1d [running:running_mean]'),
    Mutant('BatchNorm eps outside the root', 'numpy_impl/layers/norm.py', 'invstd = 1 / np.sqrt(var + x.dtype.type(self.eps))', 'invstd = 1 / (np.sqrt(var) + x.dtype.type(self.eps))', 'BatchNorm1d', 'BatchNorm1d [forward]'),
    Mutant('BatchNorm normalises with the unbiased variance', 'numpy_impl/layers/norm.py', 'var = (sq.sum(axis=0) if sq is not None else np.einsum("nc,nc->c", xc, xc)) / x.dtype.type(m)', 'var = (sq.sum(axis=0) if sq is not None else np.einsum("nc,nc->c", xc, xc)) / x.dtype.type(m - 1)', 'BatchNorm2d', 'BatchNorm2d [forward]'),
    Mutant('LayerNorm backward missing the mean term', 'numpy_impl/layers/norm.py', '            o -= ((rowdot(db, gamma) if self.affine else rowsum(db)) / n)[:, None]\n', '', 'LayerNorm', 'LayerNorm [grad_input]'),
    Mutant('BatchNorm backward missing the mean term', 'numpy_impl/layers/norm.py', '                o -= c\n', '', 'BatchNorm2d', 'BatchNorm2d [grad_input]'),
    Mutant('BatchNorm eval uses batch statistics', 'numpy_impl/layers/norm.py', 'trained = self._mode(training)\n        m = x.size', 'trained = True\n        m = x.size', 'BatchNorm1d', 'BatchNorm1d [eval_forward]'),
    Mutant('BatchNorm dgamma summed over the batch axis only', 'numpy_impl/layers/norm.py', '(sums.sum(axis=0), dots.sum(axis=0))', '(sums.sum(axis=0), dots[0])', 'BatchNorm2d', 'BatchNorm2d [*]'),
    Mutant('BatchNorm1d dgamma from dout * dout', 'numpy_impl/layers/norm.py', '(a.sum(axis=0), np.einsum("nc,nc->c", a, b))', '(a.sum(axis=0), np.einsum("nc,nc->c", a, a))', 'BatchNorm1d', 'BatchNorm1d [*]'),
    Mutant('BatchNorm classic starts running_var at 1', 'numpy_impl/layers/norm.py', 'start_var = np.ones if convention == "torch" else np.zeros', 'start_var = np.ones', 'BatchNorm classic', 'BatchNorm classic [start]'),
    Mutant('BatchNorm classic running_var unbiased', 'numpy_impl/layers/norm.py', 'rv[...] = mom * rv + (1 - mom) * var', 'rv[...] = mom * rv + (1 - mom) * var * (m / (m - 1))', 'BatchNorm classic', 'BatchNorm classic [running_var*]'),
    Mutant('LayerNorm over every axis after the first', 'numpy_impl/layers/norm.py', 'd = int(np.prod(self.normalized_shape))', 'd = int(np.prod(x.shape[1:]))', 'LayerNorm', 'LayerNorm [*]'),
    Mutant('LayerNorm eps outside the root', 'numpy_impl/layers/norm.py', 'np.divide(1, np.sqrt(rowdot(xh, xh) / n + eps), out=inv)', 'np.divide(1, np.sqrt(rowdot(xh, xh) / n) + eps, out=inv)', 'LayerNorm', 'LayerNorm [forward]'),
    Mutant('LayerNorm dgamma summed over the first axis only', 'numpy_impl/layers/norm.py', 'return (np.einsum("md,md->d", db, xh), db.sum(axis=0)) if self.affine else None', 'return ((db[:1] * xh[:1]).sum(axis=0), db.sum(axis=0)) if self.affine else None', 'LayerNorm', 'LayerNorm [grad_param:gamma]'),
    Mutant('Dropout scales by 1/p', 'numpy_impl/layers/dropout.py', 'dtype.type(1) / dtype.type(1 - self.p)', 'dtype.type(1) / dtype.type(self.p)', 'Dropout', 'Dropout [forward]'),
    Mutant('Dropout (inverted) scales in eval', 'numpy_impl/layers/dropout.py', 'return x.copy() if self.inverted else x * x.dtype.type(1 - self.p)', 'return x * x.dtype.type(1 - self.p)', 'Dropout', 'Dropout [eval_forward]'),
    Mutant('Dropout classic not scaled in eval', 'numpy_impl/layers/dropout.py', 'return x.copy() if self.inverted else x * x.dtype.type(1 - self.p)', 'return x.copy()', 'Dropout classic', 'Dropout classic [eval forward*]'),
    Mutant('Dropout classic eval backward not scaled', 'numpy_impl/layers/dropout.py', 'return dout.copy() if self.inverted else dout * dout.dtype.type(1 - self.p)', 'return dout.copy()', 'Dropout classic', 'Dropout classic [eval backward*]'),
    Mutant('Dropout classic scaled in training', 'numpy_impl/layers/dropout.py', 'if not self.inverted:\n            return dtype.type(1)', 'if not self.inverted:\n            return dtype.type(1 - self.p)', 'Dropout classic', 'Dropout classic [train forward*]'),
    Mutant('Dropout keeps with probability p', 'numpy_impl/layers/dropout.py', 'self.mask = self.rng.random(x.shape) >= self.p', 'self.mask = self.rng.random(x.shape) < self.p', 'Dropout keep rate', 'Dropout keep rate [keep rate]'),
    Mutant('atomic write leaves files readable by the owner only', 'numpy_impl/atomic.py', 'os.chmod(tmp, 0o666 & ~_umask())', 'pass', 'checkpoint', '*', invisible="file permissions are no parity question; pinned by parity_tests/suite/numpy_impl/test_train.py::test_checkpoint_every_and_each_epoch"),
    Mutant('softmax_loss gradient missing 1/N', 'numpy_impl/losses.py', 'scale = 1 / (total * x.dtype.type(n))', 'scale = 1 / total', 'softmax_loss', 'softmax_loss [grad_input]'),
    Mutant('softmax_loss summed, not averaged', 'numpy_impl/losses.py', 'return x.dtype.type(row_loss.sum() / n), dx', 'return x.dtype.type(row_loss.sum()), dx', 'softmax_loss', 'softmax_loss [loss]'),
    Mutant('log-softmax without the max shift', 'numpy_impl/losses.py', 's = np.exp(xb[redo] - top[:, None])', 's = np.exp(xb[redo])', 'softmax_loss', 'softmax_loss [*]'),
    Mutant('softmax_loss never falls back to the stable form', 'numpy_impl/losses.py', 'if not (total.min() >= low and total.max() <= high):', 'if np.isnan(total).any():', 'softmax_loss', 'softmax_loss [*]'),
    Mutant('softmax_loss label gradient as p_y / N - 1 / N', 'numpy_impl/losses.py', 'd[rows, yb] = (e_y - total) * scale', 'd[rows, yb] -= 1 / x.dtype.type(n)', 'softmax_loss', 'softmax_loss [grad_input]'),
    Mutant('softmax_loss row loss always log(sum(exp)) - x_y', 'numpy_impl/losses.py', 'if redo is not None or loss.max() > LSE_LOSS:\n            lse = loss > LSE_LOSS', 'if True:\n            lse = np.ones(len(xb), dtype=bool)', 'softmax_loss', 'softmax_loss [loss]'),
    Mutant('softmax_loss row loss always -log(p_y)', 'numpy_impl/losses.py', 'if redo is not None or loss.max() > LSE_LOSS:', 'if False:', 'softmax_loss', 'softmax_loss [loss]'),
    Mutant('softmax_loss_naive gradient missing 1/N', 'numpy_impl/losses.py', '\n        dx[i, y[i]] -= 1\n    return x.dtype.type(loss / n), dx / x.dtype.type(n)', '\n        dx[i, y[i]] -= 1\n    return x.dtype.type(loss / n), dx', 'softmax_loss_naive', 'softmax_loss_naive [grad_input]'),
    Mutant('svm_loss without the margin delta', 'numpy_impl/losses.py', 'margins = x - correct + x.dtype.type(delta)', 'margins = x - correct', 'svm_loss', 'svm_loss [loss]'),
    Mutant('svm_loss correct-class gradient -1', 'numpy_impl/losses.py', 'dx[np.arange(n), y] = -dx.sum(axis=1)', 'dx[np.arange(n), y] = -1', 'svm_loss', 'svm_loss [grad_input]'),
    Mutant('svm_loss_naive correct class not decremented', 'numpy_impl/losses.py', '                dx[i, y[i]] -= 1\n', '                dx[i, y[i]] -= 0\n', 'svm_loss_naive', 'svm_loss_naive [grad_input]'),
    Mutant('mse_loss gradient 1/size instead of 2/size', 'numpy_impl/losses.py', 'diff * x.dtype.type(2.0 / x.size)', 'diff * x.dtype.type(1.0 / x.size)', 'mse_loss', 'mse_loss [grad_input]'),
    Mutant('l2_penalty gradient reg*W instead of 2*reg*W', 'numpy_impl/losses.py', 'return penalty, {k: 2 * reg * w for k, w in weights.items()}', 'return penalty, {k: reg * w for k, w in weights.items()}', 'l2_penalty', 'l2_penalty [grad:*]'),
    Mutant('l2_penalty on the biases too', 'numpy_impl/losses.py', 'names = [k for k in params if not _not_a_weight(k.split(".")[-1])]', 'names = list(params)', 'l2_penalty', 'l2_penalty [*]'),
    Mutant('Model.loss data gradient 0.1% off where the penalty is added', 'numpy_impl/models/nets.py', '                g += grads[k]\n', '                g += grads[k] * 1.001\n', 'Model.loss', 'Model.loss [grad_param:*]'),
    Mutant('Model.loss penalises the biases', 'numpy_impl/models/nets.py', 'if k.endswith(".W")]', 'if k.endswith((".W", ".b"))]', 'Model.loss', 'Model.loss [*]'),
    Mutant('Model.loss penalty left out of the loss', 'numpy_impl/models/nets.py', 'return float(data_loss) + penalty, grads', 'return float(data_loss), grads', 'Model.loss', 'Model.loss [loss]'),
    Mutant('SGD dampening ignored', 'numpy_impl/optim/optimizers.py', 'buf += g if group["dampening"] == 0 else (1 - group["dampening"]) * g', 'buf += g', 'SGD momentum dampening', 'SGD momentum dampening+wd [param:*]'),
    Mutant('SGD nesterov ignored', 'numpy_impl/optim/optimizers.py', 'd = g + m * buf if group["nesterov"] else buf', 'd = buf', 'SGD nesterov', 'SGD nesterov [param:*]'),
    Mutant('weight decay with the wrong sign', 'numpy_impl/optim/optimizers.py', 'return g + wd * p if wd else g', 'return g - wd * p if wd else g', 'SGD momentum dampening', 'SGD momentum dampening+wd [param:*]'),
    Mutant('SGD classic velocity: lr applied to the decay too', 'numpy_impl/optim/optimizers.py', 'v = -lr * g if v is None else m * v - lr * g', 'v = -lr * g if v is None else m * (v - lr * g)', 'SGD classic momentum', 'SGD classic momentum [params = torch]'),
    Mutant('Adagrad eps inside the root', 'numpy_impl/optim/optimizers.py', 'p -= clr * (g / (np.sqrt(state["sum"]) + group["eps"]))', 'p -= clr * (g / np.sqrt(state["sum"] + group["eps"]))', 'Adagrad', 'Adagrad [param:*]'),
    Mutant('Adagrad lr_decay off by one step', 'numpy_impl/optim/optimizers.py', 'clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])', 'clr = group["lr"] / (1 + state["step"] * group["lr_decay"])', 'Adagrad', 'Adagrad [param:*]'),
    Mutant("RMSprop alpha as the new value's weight", 'numpy_impl/optim/optimizers.py', 'sq *= a\n        sq += (1 - a) * g * g', 'sq *= 1 - a\n        sq += a * g * g', 'RMSprop', 'RMSprop [state:*.square_avg]'),
    Mutant('RMSprop centered adds the mean square', 'numpy_impl/optim/optimizers.py', 'avg = np.sqrt(sq - ga * ga) + group["eps"]', 'avg = np.sqrt(sq + ga * ga) + group["eps"]', 'RMSprop centered', 'RMSprop centered momentum [param:*]'),
    Mutant('Adam without bias correction', 'numpy_impl/optim/optimizers.py', '            t /= math.sqrt(bc2)\n            t += eps\n            np.divide(m, t, out=t)\n            t *= lr / bc1', '            t += eps\n            np.divide(m, t, out=t)\n            t *= lr', 'Adam', 'Adam [param:*]'),
    Mutant('Adam eps inside the root', 'numpy_impl/optim/optimizers.py', '            t /= math.sqrt(bc2)\n            t += eps\n', '            np.sqrt(v / bc2 + eps, out=t)\n', 'Adam', 'Adam [param:*]'),
    Mutant('Adam bias correction one step ahead', 'numpy_impl/optim/optimizers.py', 'bc1, bc2 = 1 - b1 ** state["step"], 1 - b2 ** state["step"]', 'bc1, bc2 = 1 - b1 ** (state["step"] + 1), 1 - b2 ** (state["step"] + 1)', 'Adam', 'Adam [param:*]'),
    Mutant('Adam amsgrad uses the current v', 'numpy_impl/optim/optimizers.py', 'v = state["max_exp_avg_sq"]', 'v = v', 'Adam amsgrad', 'Adam amsgrad wd [param:*]'),
    Mutant('AdamW decay without lr', 'numpy_impl/optim/optimizers.py', 'p *= 1 - lr * wd', 'p *= 1 - wd', 'AdamW', 'AdamW cosine [param:*]'),
    Mutant('Adam first moment with b1 as the new weight', 'numpy_impl/optim/optimizers.py', 't *= 1 - b1 ', 't *= b1 ', 'Adam', 'Adam [state:*.exp_avg]'),
    Mutant('Adam classic without sqrt(1-b2^t)', 'numpy_impl/optim/optimizers.py', 'np.divide(lr * math.sqrt(bc2) / bc1 * m, t, out=t)', 'np.divide(lr / bc1 * m, t, out=t)', 'Adam classic', 'Adam classic [params*]'),
    Mutant('StepLR decays one epoch late', 'numpy_impl/optim/schedulers.py', 'if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:', 'if self.last_epoch == 0 or (self.last_epoch - 1) % self.step_size != 0:', 'StepLR', 'SGD momentum StepLR [lr]'),
    Mutant('CosineAnnealingLR one step ahead', 'numpy_impl/optim/schedulers.py', '(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))', '(1 + math.cos(math.pi * (e + 1) / T)) / (1 + math.cos(math.pi * e / T))', 'AdamW cosine', 'AdamW cosine [*]'),
    Mutant('LinearWarmup stops one step early', 'numpy_impl/optim/schedulers.py', 'if e > n:', 'if e >= n:', 'Adam warmup', 'Adam warmup [lr]'),
    Mutant('ExponentialLR decays at construction', 'numpy_impl/optim/schedulers.py', '    def get_lr(self):\n        if self.last_epoch == 0:\n            return self._lrs()\n        return [lr * self.gamma', '    def get_lr(self):\n        return [lr * self.gamma', 'Adam ExponentialLR', 'Adam ExponentialLR [lr]'),
    Mutant('gain leaky_relu sqrt(2/(1+a))', 'numpy_impl/init.py', 'return math.sqrt(2.0 / (1 + slope ** 2))', 'return math.sqrt(2.0 / (1 + slope))', 'init.gain', 'init.gain [calculate_gain]'),
    Mutant('gain tanh 1', 'numpy_impl/init.py', 'return 5.0 / 3', 'return 1.0', 'init.gain', 'init.gain [calculate_gain]'),
    Mutant('gain selu 1', 'numpy_impl/init.py', 'return 3.0 / 4', 'return 1.0', 'init.gain', 'init.gain [calculate_gain]'),
    Mutant('fans of an (in, out) weight swapped', 'numpy_impl/init.py', 'return shape[0], shape[1]', 'return shape[1], shape[0]', 'init', 'init [fans]'),
    Mutant('conv fans without the receptive field', 'numpy_impl/init.py', 'return shape[1] * receptive, shape[0] * receptive', 'return shape[1], shape[0]', 'init', 'init [fans]'),
    Mutant('xavier_normal as the classic sqrt(1/fan_in)', 'numpy_impl/init.py', 'std=gain_ * math.sqrt(2.0 / (fi + fo))', 'std=gain_ * math.sqrt(1.0 / fi)', 'init', 'init [std]'),
    Mutant('xavier_uniform bound sqrt(3/(fan_in+fan_out))', 'numpy_impl/init.py', 'bound = gain_ * math.sqrt(6.0 / (fi + fo))', 'bound = gain_ * math.sqrt(3.0 / (fi + fo))', 'init', 'init [std]'),
    Mutant('kaiming ignores mode', 'numpy_impl/init.py', 'return fan_in if mode == "fan_in" else fan_out', 'return fan_in', 'init', 'init [std]'),
    Mutant('kaiming_uniform defaults to relu, not torch\'s leaky_relu', 'numpy_impl/init.py', 'nonlinearity="leaky_relu"):\n    \"\"\"``torch.nn.init.kaiming_uniform_``', 'nonlinearity="relu"):\n    \"\"\"``torch.nn.init.kaiming_uniform_``', 'init', 'init [std]'),
    Mutant('kaiming_uniform bound without sqrt(3)', 'numpy_impl/init.py', 'bound = math.sqrt(3.0) * gain(nonlinearity, a)', 'bound = gain(nonlinearity, a)', 'init', 'init [std]'),
    Mutant('softmax_loss takes log-sum-exp only when every row needs it', 'numpy_impl/losses.py', 'if redo is not None or loss.max() > LSE_LOSS:', 'if redo is not None or loss.min() > LSE_LOSS:', 'softmax_loss', 'softmax_loss [loss]'),
    Mutant('MaxPool2d all -inf window routes its gradient to the padding', 'numpy_impl/layers/pool.py', '                neg = ob == -np.inf\n', '                neg = ob == np.inf\n', 'MaxPool2d', 'MaxPool2d [grad_input]'),
    Mutant('RNN weights drawn with std 1/h, not 1/sqrt(h)', 'numpy_impl/layers/recurrent.py', 'scale = 1 / np.sqrt(h) if weight_scale', 'scale = 1 / h if weight_scale', 'layer init', 'layer init [Wx *]'),
    Mutant('Adam\'s default eps 1e-6, not torch\'s 1e-8', 'numpy_impl/optim/optimizers.py', 'betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)', 'betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, amsgrad=False)', 'defaults', 'defaults [Adam.eps]'),
    Mutant('LeakyReLU\'s default slope 0.1', 'numpy_impl/layers/activations.py', 'def __init__(self, negative_slope=0.01):', 'def __init__(self, negative_slope=0.1):', 'defaults', 'defaults [LeakyReLU.negative_slope]'),
    Mutant('LayerNorm\'s default eps 1e-6', 'numpy_impl/layers/norm.py', 'def __init__(self, normalized_shape, eps=1e-5,', 'def __init__(self, normalized_shape, eps=1e-6,', 'defaults', 'defaults [LayerNorm.eps]'),
    Mutant('kaiming_uniform drawn normal', 'numpy_impl/init.py', '    return uniform(shape, rng, dtype, a=-bound, b=bound)\n\n\ndef he_normal', '    return normal(shape, rng, dtype, std=bound / math.sqrt(3.0))\n\n\ndef he_normal', 'init', 'init [distribution]'),
    Mutant('he_normal with the linear gain', 'numpy_impl/init.py', 'return kaiming_normal(shape, rng, dtype, layout, nonlinearity="relu")', 'return kaiming_normal(shape, rng, dtype, layout, nonlinearity="linear")', 'init', 'init [std]'),
    Mutant('init ignores dtype', 'numpy_impl/init.py', 'return (mean + std * as_rng(rng).standard_normal(shape)).astype(dtype)', 'return mean + std * as_rng(rng).standard_normal(shape)', 'init', 'init [dtype]'),
    Mutant('Trainer shuffles every epoch the same way', 'numpy_impl/train.py', 'seed=[self.seed, self.epoch]', 'seed=self.seed', 'Trainer shuffling', 'Trainer shuffling [order*]'),
    Mutant('minibatches never shuffle', 'numpy_impl/data.py', 'order = as_rng(seed, "minibatches").permutation(n) if shuffle else np.arange(n)', 'order = np.arange(n)', 'Trainer shuffling', 'Trainer shuffling [order*]'),
    Mutant('checkpoint does not restore the dropout generators', 'numpy_impl/checkpoint.py', '        g.bit_generator.state = state\n', '        pass\n', 'checkpoint', 'checkpoint round trip [bit-identical:*]'),
    Mutant('checkpoint does not restore the schedule', 'numpy_impl/checkpoint.py', 'scheduler.load_state_dict(meta["scheduler"]["state"])', 'pass', 'checkpoint', 'checkpoint round trip [bit-identical:*]'),
    Mutant('resume restarts the epoch from its first batch', 'numpy_impl/train.py', 'self.epoch, self.batch, self.step, self.history = t["epoch"], t["batch"], t["step"], t["history"]', 'self.epoch, self.batch, self.step, self.history = t["epoch"], 0, t["step"], t["history"]', 'checkpoint', 'checkpoint round trip [bit-identical:*]'),
    Mutant('mean image from training and validation', 'datasets/preprocess.py', 'mu = mean_image(sets["train"])', 'mu = mean_image(np.concatenate([sets["train"], sets["val"]]))', 'preprocessing', 'preprocessing [mean image*]'),
    Mutant('channel statistics from training and test', 'datasets/preprocess.py', 'm, s = channel_stats(sets["train"])', 'm, s = channel_stats(np.concatenate([sets["train"], sets["test"]]))', 'preprocessing', 'preprocessing [channel*]'),
    Mutant('pixels divided by 256', 'datasets/preprocess.py', 'return X / dtype.type(255) if scale else X', 'return X / dtype.type(256) if scale else X', 'preprocessing', 'preprocessing [*]'),
    # a second review's kinds: state kept between calls, non-finite input, edge shapes, one dtype only
    Mutant('Linear dW accumulated across backward calls', 'numpy_impl/layers/linear.py', 'self._set_grad("W", x.T @ dout)', 'self._set_grad("W", self.grads["W"] + x.T @ dout)', 'Linear', 'Linear [repeat:grad_param:W]'),
    Mutant('BatchNorm dbeta accumulated across backward calls', 'numpy_impl/layers/norm.py', 'self._set_grad("beta", dsum)', 'self._set_grad("beta", self.grads["beta"] + dsum)', 'BatchNorm', 'BatchNorm* [repeat:grad_param:beta]'),
    Mutant('ReLU mask x > 0 (a NaN input loses its gradient)', 'numpy_impl/layers/activations.py', 'self._cache = np.logical_not(x <= 0)', 'self._cache = x > 0', 'ReLU', 'ReLU [grad_input]'),
    Mutant('ReLU backward without its non-finite fallback (0 * inf = NaN)', 'numpy_impl/layers/activations.py', '        if not finite:\n            return np.where(self._cache, dout, dout.dtype.type(0))\n', '', 'ReLU', 'ReLU [grad_input]'),
    Mutant('MaxPool2d exact tiling assumed from the window alone', 'numpy_impl/layers/pool.py', 'exact = disjoint and (sh, sw) == (kh, kw) == (eh, ew) and xp_shape[2] == kh * oh and xp_shape[3] == kw * ow', 'exact = disjoint and (sh, sw) == (kh, kw) == (eh, ew)', 'MaxPool2d', 'MaxPool2d [grad_input]'),
    Mutant('LayerNorm dgamma from the first row block only', 'numpy_impl/layers/norm.py', 'self._set_grad("gamma", _ordered_sum((p[0] for p in parts), zero).reshape(self.normalized_shape))', 'self._set_grad("gamma", (parts[0][0] if parts else zero).reshape(self.normalized_shape))', 'LayerNorm', 'LayerNorm [grad_param:gamma]'),
    Mutant("softmax_loss takes float64's exp range for float32", 'numpy_impl/losses.py', 'low, high = EXP_RANGE[x.dtype]', 'low, high = EXP_RANGE[np.dtype(np.float64)]', 'softmax_loss', 'softmax_loss [*]'),
    Mutant('RMSprop momentum buffer decayed by 1 - momentum', 'numpy_impl/optim/optimizers.py', 'buf *= group["momentum"]', 'buf *= 1 - group["momentum"]', 'RMSprop', 'RMSprop* [param:*]'),
    Mutant('Adagrad ignores weight_decay', 'numpy_impl/optim/optimizers.py', '        g = _decay(p, g, group["weight_decay"])\n        clr', '        clr', 'Adagrad', 'Adagrad wd [param:*]'),
    Mutant('Dropout set_mask never cleared (the given mask used on every later forward)', 'numpy_impl/layers/dropout.py', '            self._next_mask = None\n', '', 'Dropout keep rate', 'Dropout keep rate [set_mask serves one forward]'),
    Mutant('Dropout mask cast to float64 (float32 output promoted)', 'numpy_impl/layers/dropout.py', 'mask = self.mask.astype(x.dtype)', 'mask = self.mask.astype(np.float64)', 'Dropout keep rate', 'Dropout keep rate [dtype kept]'),
    Mutant("SGD momentum buffer aliases the caller's gradient", 'numpy_impl/optim/optimizers.py', '            buf = g.copy()\n', '            buf = g\n', 'SGD', 'SGD* [param:*]'),
    Mutant("Model.predict in the layers' training mode", 'numpy_impl/models/nets.py', 'scores = self.forward(X[i:i + batch_size], training=False)', 'scores = self.forward(X[i:i + batch_size])', 'Model.loss', 'Model.loss [predict*]'),
    Mutant('Flatten reshape(N, -1) fails on an empty batch', 'numpy_impl/layers/linear.py', 'out = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))', 'out = x.reshape(x.shape[0], -1)', 'Flatten', 'Flatten [*]'),
    # a third review's kinds: large inputs cut into blocks, arguments every sample left at their default
    Mutant('softmax_loss block divides by its own rows, not N', 'numpy_impl/losses.py', 'scale = 1 / (total * x.dtype.type(n))', 'scale = 1 / (total * x.dtype.type(len(xb)))', 'softmax_loss', 'softmax_loss [grad_input]'),
    Mutant('BatchNorm adds beta to the whole output once per block', 'numpy_impl/layers/norm.py', 'np.multiply(xc[b], scale, out=out[b])\n                if beta is not None:\n                    out[b] += beta\n', 'np.multiply(xc[b], scale, out=out[b])\n                if beta is not None:\n                    np.add(out, beta, out=out)\n', 'BatchNorm2d', 'BatchNorm2d [forward]'),
    Mutant('svm_loss margin fixed at 1 whatever delta', 'numpy_impl/losses.py', 'margins = x - correct + x.dtype.type(delta)', 'margins = x - correct + x.dtype.type(1.0)', 'svm_loss', 'svm_loss [loss]'),
    Mutant('cross-entropy ignore_index read as -100 always', 'numpy_impl/losses_extra.py', 'keep = yf != ignore_index', 'keep = yf != -100', 'cross_entropy_loss', 'cross_entropy_loss [loss]'),
    Mutant('nll_loss unweighted mean counts the ignored rows', 'numpy_impl/losses_extra.py', 'return _finish(x, total, _unflatten(dflat, x), reduction, wy.sum(), not keep.any())', 'return _finish(x, total, _unflatten(dflat, x), reduction, wy.sum() if w is not None else len(wy), not keep.any())', 'nll_loss', 'nll_loss [loss]'),
    Mutant('TransformerEncoderLayer norm2 ignores layer_norm_eps', 'numpy_impl/layers/attention.py', 'self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype)', 'self.norm2 = LayerNorm(d_model, dtype=dtype)', 'TransformerEncoderLayer', 'TransformerEncoderLayer [forward]'),
    Mutant('ReduceLROnPlateau max/rel threshold with the min sign', 'numpy_impl/optim/extra.py', 'return a > best * (self.threshold + 1.0) if self.threshold_mode', 'return a > best * (1.0 - self.threshold) if self.threshold_mode', 'Plateau', '*Plateau max rel [lr]'),
    Mutant('ReduceLROnPlateau min/abs threshold sign', 'numpy_impl/optim/extra.py', 'else a < best - self.threshold', 'else a < best + self.threshold', 'Plateau', '*Plateau min abs [lr]'),
    Mutant('clip_grad_norm_ p-norm without abs', 'numpy_impl/optim/extra.py', 'norms = np.array([np.sum(np.abs(g) ** norm_type) ** (1.0 / norm_type) for g in arrays], dtype=dtype)', 'norms = np.array([np.sum(g ** norm_type) ** (1.0 / norm_type) for g in arrays], dtype=dtype)', 'clip_grad_norm', '*clip_grad_norm 3-norm [clip:total_norm]'),
    Mutant('Adam exp_avg_sq kept in float64 for float32 parameters', 'numpy_impl/optim/optimizers.py', 'state["exp_avg_sq"] = np.zeros_like(p)', 'state["exp_avg_sq"] = np.zeros(p.shape)', 'Adam', 'Adam* [state dtype:*]'),
    Mutant('Adagrad sum kept in float64 for float32 parameters', 'numpy_impl/optim/optimizers.py', 'state["sum"] = np.full_like(p, group["initial_accumulator_value"])', 'state["sum"] = np.full(p.shape, group["initial_accumulator_value"])', 'Adagrad', 'Adagrad* [state dtype:*]'),
    Mutant("weight decay added into the caller's gradient in place", 'numpy_impl/optim/optimizers.py', 'return g + wd * p if wd else g', 'return np.add(g, wd * p, out=g) if wd else g', 'SGD', 'SGD* [no_mutation:grads]'),
    Mutant('Conv2d returns its reused product buffer (the next forward overwrites it)', 'numpy_impl/layers/conv.py', 'parallel.over_rows(lambda b: np.copyto(out[b], prod[b]), out, self.block_bytes)   # (F, N, ..) -> (N, F, ..)', 'out = prod', 'Conv2d', 'Conv2d [repeat:output kept]'),
    Mutant('LSTM final states h_n and c_n swapped', 'numpy_impl/layers/recurrent.py', 'self.h_n, self.c_n = h, c', 'self.h_n, self.c_n = c, h', 'recurrent final state', 'recurrent final state [h_n]'),
    Mutant('Model.predict batches skip a sample each', 'numpy_impl/models/nets.py', 'scores = self.forward(X[i:i + batch_size], training=False)', 'scores = self.forward(X[i:i + batch_size - 1], training=False)', 'Model.loss', 'Model.loss [predict in batches]'),
    Mutant("model.eval() does not pass the mode to the layers", 'numpy_impl/layers/base.py', 'child.train(mode)', 'child.train()', 'Model.loss', 'Model.loss [eval() reaches every layer]'),
    Mutant('parallel: a worker takes every block after its own share', 'numpy_impl/parallel.py', 'w.job = (fn, parts[cuts[i + 1]:cuts[i + 2]], err)', 'w.job = (fn, parts[cuts[i + 1]:], err)', 'thread count', 'thread count [* threads = 1 thread]'),
    Mutant("init.by_name('normal') ignores std", 'numpy_impl/init.py', 'return lambda shape, rng=None, dtype=np.float64: normal(shape, rng, dtype, std=std)', 'return lambda shape, rng=None, dtype=np.float64: normal(shape, rng, dtype)', 'layer init', 'layer init [* std]'),
    Mutant('FullyConnectedNet ignores init=', 'numpy_impl/models/nets.py', 'w_init = weight_init(name, init, weight_scale)', 'w_init = weight_init(name, "normal", weight_scale)', 'layer init', 'layer init [* std]'),
    Mutant("Trainer steps the schedule every batch when schedule_every='epoch'", 'numpy_impl/train.py', 'if self.scheduler is not None and self.schedule_every == "step":', 'if self.scheduler is not None:', 'Trainer schedule', 'Trainer schedule [lr per epoch (schedule_every=epoch)]'),
    Mutant('Trainer max_steps off by one', 'numpy_impl/train.py', 'if max_steps is not None and self.step >= max_steps:', 'if max_steps is not None and self.step > max_steps:', 'Trainer schedule', 'Trainer schedule [max_steps]'),
    Mutant("a resumed epoch's mean loss counts only the batches after the resume", 'numpy_impl/train.py', 'losses_before = len(self.history["loss"]) - self.batch', 'losses_before = len(self.history["loss"])', 'checkpoint', 'checkpoint round trip [history]'),
    Mutant('resume does not restore the history', 'numpy_impl/train.py', 'self.epoch, self.batch, self.step, self.history = t["epoch"], t["batch"], t["step"], t["history"]', 'self.epoch, self.batch, self.step = t["epoch"], t["batch"], t["step"]', 'checkpoint', 'checkpoint round trip [history]'),
    Mutant('resume skips the batch_size/seed/schedule_every check', 'numpy_impl/train.py', 'for key in ("batch_size", "seed", "schedule_every"):', 'for key in ():', 'checkpoint', "checkpoint round trip [refuses another run's checkpoint]"),
    Mutant('load_checkpoint skips the dtype check', 'numpy_impl/checkpoint.py', 'if v.shape != named[k].shape or v.dtype != named[k].dtype:', 'if v.shape != named[k].shape:', 'checkpoint', "checkpoint round trip [refuses another run's checkpoint]"),
    Mutant('load_checkpoint skips the model description check', 'numpy_impl/checkpoint.py', 'if meta.get("model") != _describe(model):', 'if False:', 'checkpoint', "checkpoint round trip [refuses another run's checkpoint]"),
    Mutant('random_configs draws ranges uniformly, not log-uniformly', 'numpy_impl/search.py', 'value = math.exp(rng.uniform(math.log(low), math.log(high)))', 'value = rng.uniform(low, high)', 'search', 'search [log-uniform*]'),
    Mutant('search ranks the worst trial first', 'numpy_impl/search.py', 'return sorted(results, key=lambda r: (-r["val_acc"], r["trial"]))', 'return sorted(results, key=lambda r: (r["val_acc"], r["trial"]))', 'search', 'search [best first]'),
    Mutant('grad_check_sparse never draws the last index of an axis', 'numpy_impl/gradcheck.py', 'i = tuple(int(rng.integers(s)) for s in x.shape)', 'i = tuple(int(rng.integers(max(1, s - 1))) for s in x.shape)', 'gradcheck', 'gradcheck [grad_check_sparse reaches every element]'),
    Mutant('grad_check_sparse divides by h, not 2h', 'numpy_impl/gradcheck.py', 'num = (plus - minus) / (2 * h)', 'num = (plus - minus) / h', 'gradcheck', 'gradcheck [grad_check_sparse]'),
    Mutant('rel_error without its floor (0/0 is NaN)', 'numpy_impl/gradcheck.py', 'np.abs(a - b) / np.maximum(floor, np.abs(a) + np.abs(b))', 'np.abs(a - b) / (np.abs(a) + np.abs(b))', 'gradcheck', 'gradcheck [rel_error of equal arrays]'),
    Mutant('CharLSTM forget-gate bias set on the input gate', 'numpy_impl/models/char_lstm.py', 'self.lstm.params["b"][self.hidden_size:2 * self.hidden_size] = 1.0', 'self.lstm.params["b"][:self.hidden_size] = 1.0', 'CharLSTM', 'CharLSTM [forget-gate bias 1]'),
    Mutant('CharLSTM.sample does not carry the state', 'numpy_impl/models/char_lstm.py', '            state = (self.lstm.h_n, self.lstm.c_n)\n', '', 'CharLSTM', 'CharLSTM [sample]'),
    Mutant('CharLSTM.loss returns the cell state as h', 'numpy_impl/models/char_lstm.py', 'return loss, self.named_grads(), (self.lstm.h_n.copy(), self.lstm.c_n.copy())', 'return loss, self.named_grads(), (self.lstm.c_n.copy(), self.lstm.c_n.copy())', 'CharLSTM', 'CharLSTM [state h]'),
    Mutant('LinearClassifier.train_sgd drops the last short batch', 'numpy_impl/models/nets.py', 'for i in range(0, len(X), batch_size):\n                idx', 'for i in range(0, len(X) - batch_size + 1, batch_size):\n                idx', 'train_sgd', 'LinearClassifier.train_sgd [every batch]'),
    Mutant('LinearClassifier.train_sgd unseeded', 'numpy_impl/models/nets.py', 'rng = as_rng(seed, "LinearClassifier.train_sgd")', 'rng = as_rng(None, "LinearClassifier.train_sgd")', 'train_sgd', 'LinearClassifier.train_sgd [seeded]'),
    Mutant('LinearWarmup end_factor read as 1', 'numpy_impl/optim/schedulers.py', 'return [lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))) for lr in self._lrs()]', 'return [lr * (1 + (1 - s) / (n * s + (e - 1) * (1 - s))) for lr in self._lrs()]', 'warmup', 'SGD warmup to half [lr]'),
]

# the later components keep their mutants beside their entries
from .entries_breadth import MUTANTS as _LATER  # noqa: E402

MUTANTS += [Mutant(**d) for d in _LATER]

# a fast subset for the pytest suite (cheap --only patterns): layers, a loss, an optimizer and
# properties, three of them blind spots of the gate once; the whole table runs through ``make mutants``
QUICK = ("Pool stride read with height/width swapped", "LayerNorm over every axis after the first",
         "mse_loss gradient 1/size instead of 2/size", "Adagrad lr_decay off by one step",
         "gain leaky_relu sqrt(2/(1+a))", "Trainer shuffles every epoch the same way",
         "Linear dW accumulated across backward calls", "SGD momentum buffer aliases the caller's gradient",
         "svm_loss margin fixed at 1 whatever delta", "Trainer max_steps off by one")


def by_name(names):
    table = {m.name: m for m in MUTANTS}
    missing = [n for n in names if n not in table]
    if missing:
        raise UsageError(f"no mutant named {missing}; see 'parity mutants --list'")
    return [table[n] for n in names]


def _copy(root, dest):
    for pkg in PACKAGES:
        shutil.copytree(os.path.join(root, pkg), os.path.join(dest, pkg),
                        ignore=shutil.ignore_patterns("__pycache__", "suite"))


def _check(workdir, only, timeout):
    """Run ``parity check --only`` in ``workdir``; returns (exit status, failed (component, check) pairs)."""
    out = os.path.join(workdir, "report.json")
    if os.path.exists(out):
        os.remove(out)
    env = {**os.environ, "PYTHONPATH": workdir, "PYTHONDONTWRITEBYTECODE": "1"}
    r = subprocess.run([sys.executable, "-m", "parity_tests.cli", "check", "--only", only, "--json", out, "-q"],
                       cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    if not os.path.exists(out):
        last = ((r.stderr or r.stdout).strip().splitlines() or ["?"])[-1]
        return r.returncode, [("(no report)", last)]
    with open(out) as f:
        data = json.load(f)
    return r.returncode, sorted({(x["component"], x["check"]) for x in data["results"] if not x["passed"]})


def run_mutants(mutants, jobs=1, root=ROOT, timeout=300, progress=None):
    """Apply each mutant in a private copy of the packages and run its check there. Returns one dict
    per mutant: name, killed (its declared check failed), by (the matching failures), failures (all),
    status (exit status of the check), seconds."""
    mutants = list(mutants)
    results = [None] * len(mutants)
    queue = list(enumerate(mutants))

    def worker():
        with tempfile.TemporaryDirectory(prefix="parity-mutants-") as tmp:
            _copy(root, tmp)
            while queue:
                try:
                    i, m = queue.pop(0)
                except IndexError:
                    return
                t0 = time.perf_counter()
                original = m.apply(tmp)
                try:
                    status, failures = _check(tmp, m.only, timeout)
                except subprocess.TimeoutExpired:
                    status, failures = -1, [("(timeout)", f"{timeout} s")]
                finally:
                    with open(os.path.join(tmp, m.file), "w", encoding="utf-8") as f:
                        f.write(original)
                by = m.killed_by(failures)
                results[i] = {"name": m.name, "only": m.only, "check": m.check, "invisible": m.invisible,
                              "killed": bool(by) and status == 1, "by": by, "failures": failures, "status": status,
                              "seconds": time.perf_counter() - t0}
                if progress:
                    progress(results[i])

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for f in [pool.submit(worker) for _ in range(max(1, min(jobs, len(mutants))))]:
            f.result()
    return results


def summary(results):
    """(lines to print, number of survivors that count)."""
    killed = [r for r in results if r["killed"]]
    invisible = [r for r in results if not r["killed"] and r["invisible"]]
    survivors = [r for r in results if not r["killed"] and not r["invisible"]]
    lines = [f"{len(killed)}/{len(results)} mutants killed"
             + (f", {len(invisible)} invisible to a parity check by design" if invisible else "")
             + (f", {len(survivors)} SURVIVED" if survivors else "")]
    for r in survivors:
        lines.append(f"  SURVIVED {r['name']} (--only {r['only']!r}, wanted {r['check']}): "
                     f"failures {r['failures'][:4] or 'none'}")
    for r in invisible:
        lines.append(f"  invisible {r['name']}: {r['invisible']}")
    return lines, len(survivors)


def mutants_command(args):
    output_path(args.json, "--json")
    if args.only is not None and not args.only.strip(", "):
        raise UsageError(f"--only: expected comma-separated mutant name patterns, got {args.only!r}")
    chosen = MUTANTS
    if args.only:
        pats = [p.strip().lower() for p in args.only.split(",") if p.strip()]
        chosen = [m for m in MUTANTS if any(p in m.name.lower() or fnmatch.fnmatch(m.name.lower(), p) for p in pats)]
        if not chosen:
            raise UsageError(f"no mutant matches {args.only!r} (see 'parity mutants --list')")
    if args.list:
        for m in chosen:
            print(f"{m.name:<55} --only {m.only:<24} {m.check}{'  (invisible)' if m.invisible else ''}")
        return 0
    for m in chosen:                                   # every find must still match: a stale row is a usage error
        with open(os.path.join(ROOT, m.file), encoding="utf-8") as f:
            if f.read().count(m.find) != 1:
                raise UsageError(f"mutant {m.name!r}: its text no longer occurs exactly once in {m.file}")
    t0 = time.perf_counter()

    def show(r):
        verdict = "killed" if r["killed"] else ("invisible" if r["invisible"] else "SURVIVED")
        by = ", ".join(f"{c} [{k}]" for c, k in r["by"][:2])
        print(f"{verdict:<9} {r['name']:<55} {by}  ({r['seconds']:.1f} s)", flush=True)

    results = run_mutants(chosen, jobs=args.jobs, progress=None if args.quiet else show)
    lines, survivors = summary(results)
    print("\n".join(lines))
    print(f"{len(results)} mutants in {time.perf_counter() - t0:.0f} s with {args.jobs} job(s)")
    if args.json:
        atomic_write(args.json, lambda f: f.write(json.dumps(results, indent=1).encode()))
    return 1 if survivors else 0


def add_command(sub):
    p = sub.add_parser("mutants", help="inject each bug of the mutant table and check the gate catches it",
                       description="Apply each mutant (parity_tests/gate/mutants.py) to a private copy of the "
                                   "packages and run 'parity check --only' there. Exit 1 if one survives.")
    p.add_argument("--only", help="comma-separated substrings of mutant names")
    p.add_argument("--jobs", type=count(1), default=1, help="mutants run in parallel (default 1)")
    p.add_argument("--list", action="store_true", help="list the mutants and stop")
    p.add_argument("--json", metavar="FILE", help="write every result as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="only the summary")
    p.set_defaults(func=mutants_command)
