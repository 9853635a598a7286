"""Every public function users call, given something wrong: a ValueError or TypeError naming the
component, the argument and what is allowed, raised before any work."""
import numpy as np
import pytest

import datasets as D
import numpy_impl as ni
import numpy_impl.optim as no
from numpy_impl import init, losses, losses_extra
from numpy_impl.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from numpy_impl.data import minibatches, num_batches
from numpy_impl.gradcheck import grad_check_sparse, numerical_gradient
from numpy_impl.models import ConvNet, FullyConnectedNet, build_model
from numpy_impl.search import grid, random_configs, search
from numpy_impl.train import Trainer


def params():
    return {"W": np.ones((2, 2))}


def trainer(**kw):
    model = FullyConnectedNet(4, [3], 2)
    return Trainer(model, no.SGD(model.named_parameters(), lr=0.1), **kw)


X, Y = np.zeros((6, 4)), np.zeros(6, dtype=np.int64)

CASES = [
    # (call, exception, fragment)
    (lambda: ni.Linear(0, 3), ValueError, "Linear: in_features must be an integer >= 1, got 0"),
    (lambda: ni.Linear(3, -1), ValueError, "Linear: out_features must be an integer >= 1, got -1"),
    (lambda: ni.Linear(3, 2.5), ValueError, "out_features must be an integer >= 1, got 2.5"),
    (lambda: ni.Linear("3", 2), ValueError, "in_features must be an integer >= 1, got '3'"),
    (lambda: ni.Conv2d(0, 4, 3), ValueError, "Conv2d: in_channels must be an integer >= 1, got 0"),
    (lambda: ni.Conv2d(3, 0, 3), ValueError, "Conv2d: out_channels must be an integer >= 1"),
    (lambda: ni.Conv2d(3, 4, 0), ValueError, "Conv2d: kernel_size must be an integer >= 1, got 0"),
    (lambda: ni.Conv2d(3, 4, (3, 3, 3)), ValueError, "kernel_size must be an integer >= 1 or a pair"),
    (lambda: ni.Conv2d(3, 4, 3, stride=0), ValueError, "Conv2d: stride must be an integer >= 1, got 0"),
    (lambda: ni.Conv2d(3, 4, 3, padding=-1), ValueError, "Conv2d: padding must be an integer >= 0, got -1"),
    (lambda: ni.Conv2d(3, 4, 3, dilation=0), ValueError, "Conv2d: dilation must be an integer >= 1"),
    (lambda: ni.Conv2dNaive(3, 4, 3, stride=(1, 0)), ValueError, "Conv2dNaive: stride must be an integer >= 1"),
    (lambda: ni.MaxPool2d(0), ValueError, "MaxPool2d: kernel_size must be an integer >= 1, got 0"),
    (lambda: ni.MaxPool2d(2, stride=0), ValueError, "MaxPool2d: stride must be an integer >= 1, got 0"),
    (lambda: ni.MaxPool2d(2, padding=-1), ValueError, "MaxPool2d: padding must be an integer >= 0, got -1"),
    (lambda: ni.MaxPool2d(2, padding=2), ValueError, "padding must be at most half the kernel size"),
    (lambda: ni.AvgPool2d(2.5), ValueError, "AvgPool2d: kernel_size must be an integer >= 1, got 2.5"),
    (lambda: ni.MaxPool2d(2, return_indices=True), ValueError, "return_indices=True is not implemented"),
    (lambda: ni.MaxPool2d(2, ceil_mode="yes"), TypeError, "MaxPool2d: ceil_mode must be True or False, got 'yes'"),
    (lambda: ni.MaxPool2d(2, dilation=(1, 0)), ValueError, "MaxPool2d: dilation must be an integer >= 1"),
    (lambda: ni.AvgPool2d(2, divisor_override=0), ValueError, "AvgPool2d: divisor_override must be an integer >= 1, got 0"),
    (lambda: ni.BatchNorm1d(3, momentum="None"), ValueError, "BatchNorm1d: momentum must be a finite number >= 0 and <= 1, got 'None'"),
    (lambda: ni.BatchNorm1d(0), ValueError, "BatchNorm1d: num_features must be an integer >= 1, got 0"),
    (lambda: ni.BatchNorm1d(3, eps=0), ValueError, "BatchNorm1d: eps must be a finite number > 0, got 0"),
    (lambda: ni.BatchNorm2d(3, momentum=1.5), ValueError, "BatchNorm2d: momentum must be a finite number >= 0 and <= 1"),
    (lambda: ni.BatchNorm2d(3, convention="keras"), ValueError, "convention must be 'torch' or 'classic'"),
    (lambda: ni.LayerNorm(0), ValueError, "LayerNorm: normalized_shape must be an integer >= 1, got 0"),
    (lambda: ni.LayerNorm(()), ValueError, "LayerNorm: normalized_shape must hold at least one size"),
    (lambda: ni.LayerNorm(4, eps=-1), ValueError, "LayerNorm: eps must be a finite number > 0, got -1"),
    (lambda: ni.Dropout(1.5), ValueError, "Dropout: p must lie in [0, 1], got 1.5"),
    (lambda: ni.Dropout("0.5"), ValueError, "Dropout: p must lie in [0, 1], got '0.5'"),
    (lambda: ni.Dropout(float("nan")), ValueError, "Dropout: p must lie in [0, 1], got nan"),
    (lambda: ConvNet((1, 28, 28), [2] * 5), ValueError, "ConvNet: 5 conv blocks (channels [2, 2, 2, 2, 2]) halve 28x28 images to nothing; at most 4 fit"),
    (lambda: ni.Linear(3, 2).forward(np.zeros((2, 3), np.float16)), TypeError,
     "Linear(3, 2): expected a floating-point input (float32 or float64), got dtype float16 (cast it with"),
    (lambda: ni.ReLU().forward(np.zeros((2, 3), np.float16)), TypeError,
     "ReLU: expected a floating-point input (float32 or float64), got dtype float16"),
    (lambda: D.prepare("mnist", dtype=np.float16), ValueError,
     "prepare: dtype must be a floating-point type (float32, float64), got float16"),
    (lambda: ni.Conv2d(1, 2, 3).forward(np.zeros((1, 1, 4, 4), np.complex128)), TypeError,
     "expected a floating-point input (float32 or float64), got dtype complex128"),
    (lambda: FullyConnectedNet(4, [3], 2, reg=0.1).loss(np.zeros((2, 4), np.float16), np.zeros(2, int)), TypeError,
     "got dtype float16"),
    (lambda: losses.softmax_loss(np.zeros((2, 3), np.float16), np.array([0, 1])), TypeError,
     "softmax_loss: expected a floating-point scores (float32 or float64), got dtype float16"),
    # losses
    (lambda: losses.svm_loss(np.zeros((2, 3)), np.array([0, 1]), delta=np.nan), ValueError,
     "svm_loss: delta must be a finite number, got nan"),
    (lambda: losses.svm_loss_naive(np.zeros((2, 3)), np.array([0, 1]), delta="1"), ValueError,
     "svm_loss_naive: delta must be a finite number"),
    (lambda: losses.l2_penalty(params(), -1), ValueError, "l2_penalty: reg must be a finite number >= 0, got -1"),
    (lambda: losses.l2_penalty(params(), np.nan), ValueError, "l2_penalty: reg must be a finite number >= 0, got nan"),
    (lambda: losses.softmax_loss(np.zeros((0, 3)), np.zeros(0, int)), ValueError, "expected at least one sample"),
    # optimizers: torch's ranges
    (lambda: no.SGD(params(), lr=-1), ValueError, "SGD: lr must be a finite number >= 0, got -1"),
    (lambda: no.SGD(params(), lr=float("nan")), ValueError, "SGD: lr must be a finite number >= 0, got nan"),
    (lambda: no.SGD(params(), lr="0.1"), ValueError, "SGD: lr must be a finite number >= 0, got '0.1'"),
    (lambda: no.SGD(params(), momentum=-5), ValueError, "SGD: momentum must be a finite number >= 0, got -5"),
    (lambda: no.SGD(params(), weight_decay=-1), ValueError, "SGD: weight_decay must be a finite number >= 0, got -1"),
    (lambda: no.SGD(params(), momentum=0.9, dampening=2), ValueError, "SGD: dampening must lie in [0, 1]"),
    (lambda: no.SGD(params(), nesterov=True), ValueError, "nesterov needs momentum > 0"),
    (lambda: no.SGD(params(), variant="keras"), ValueError, "variant must be one of"),
    (lambda: no.SGD(params(), lrate=1), TypeError, "unknown hyperparameter(s) ['lrate']"),
    (lambda: no.SGD([{"params": params(), "lr": -2}]), ValueError, "SGD: lr must be a finite number >= 0, got -2"),
    (lambda: no.Adam(params(), betas=(1.0, 0.999)), ValueError, "Adam: betas[0] must be a finite number >= 0 and < 1, got 1.0"),
    (lambda: no.Adam(params(), betas=(0.9, -0.1)), ValueError, "Adam: betas[1] must be a finite number >= 0 and < 1"),
    (lambda: no.Adam(params(), betas=(0.9,)), ValueError, "Adam: betas must be a pair (beta1, beta2)"),
    (lambda: no.Adam(params(), eps=-1e-8), ValueError, "Adam: eps must be a finite number >= 0"),
    (lambda: no.AdamW(params(), weight_decay=-0.01), ValueError, "AdamW: weight_decay must be a finite number >= 0"),
    (lambda: no.Adagrad(params(), lr_decay=-1), ValueError, "Adagrad: lr_decay must be a finite number >= 0"),
    (lambda: no.Adagrad(params(), initial_accumulator_value=-1), ValueError,
     "Adagrad: initial_accumulator_value must be a finite number >= 0"),
    (lambda: no.RMSprop(params(), alpha=-0.5), ValueError, "RMSprop: alpha must be a finite number >= 0"),
    (lambda: no.RMSprop(params(), momentum=-1), ValueError, "RMSprop: momentum must be a finite number >= 0"),
    (lambda: no.SGD({"W": np.ones(2, dtype=int)}), TypeError, "parameter 'W' must be a floating-point ndarray"),
    # schedules
    (lambda: no.StepLR(no.SGD(params()), step_size=0), ValueError, "StepLR: step_size must be an integer >= 1, got 0"),
    (lambda: no.StepLR(no.SGD(params()), step_size=2, gamma=0), ValueError, "StepLR: gamma must be a finite number > 0"),
    (lambda: no.StepLR(None, step_size=2), TypeError, "StepLR: expected an optimizer (with param_groups), got NoneType"),
    (lambda: no.ExponentialLR(no.SGD(params()), gamma=-1), ValueError, "ExponentialLR: gamma must be a finite number > 0"),
    (lambda: no.CosineAnnealingLR(no.SGD(params()), T_max=0), ValueError,
     "CosineAnnealingLR: T_max must be an integer >= 1, got 0"),
    (lambda: no.CosineAnnealingLR(no.SGD(params()), T_max=5, eta_min=-1), ValueError,
     "CosineAnnealingLR: eta_min must be a finite number >= 0"),
    (lambda: no.LinearWarmup(no.SGD(params()), start_factor=0), ValueError,
     "LinearWarmup: start_factor must be a finite number > 0 and <= 1"),
    (lambda: no.LinearWarmup(no.SGD(params()), end_factor=2), ValueError, "LinearWarmup: end_factor must be a finite number"),
    (lambda: no.LinearWarmup(no.SGD(params()), total_iters=0), ValueError, "LinearWarmup: total_iters must be an integer >= 1"),
    # trainer
    (lambda: trainer(batch_size=0), ValueError, "Trainer: batch_size must be an integer >= 1, got 0"),
    (lambda: trainer(batch_size=32.0), ValueError, "Trainer: batch_size must be an integer >= 1, got 32.0"),
    (lambda: trainer(seed=-1), ValueError, "Trainer: seed must be an integer >= 0, got -1"),
    (lambda: trainer(train_acc_samples=-1), ValueError, "train_acc_samples (0: none) must be an integer >= 0"),
    (lambda: trainer(schedule_every="batch"), ValueError, "schedule_every must be 'epoch' or 'step'"),
    (lambda: Trainer(FullyConnectedNet(4, [3], 2), None), TypeError, "Trainer: optimizer must have a step() method"),
    (lambda: Trainer("model", no.SGD(params())), TypeError, "Trainer: model must have a loss() method, got str"),
    (lambda: trainer().fit(X, Y, epochs=0), ValueError, "Trainer.fit: epochs must be an integer >= 1, got 0"),
    (lambda: trainer().fit(X, Y, epochs=-2), ValueError, "Trainer.fit: epochs must be an integer >= 1, got -2"),
    (lambda: trainer().fit(X, Y, 1, max_steps=-1), ValueError, "max_steps must be an integer >= 1 or None, got -1"),
    (lambda: trainer().fit(X, Y, 1, checkpoint_every=0), ValueError, "checkpoint_every must be an integer >= 1"),
    (lambda: trainer().fit(X, Y[:4], 1), ValueError, "Trainer.fit: expected X of shape (N, ...) and y of shape (N,)"),
    (lambda: trainer().fit(X[:0], Y[:0], 1), ValueError, "with N >= 1"),
    (lambda: trainer().fit(X, Y, 1, X_val=X), ValueError, "X_val and y_val must be given together"),
    # checkpoints
    (lambda: read_checkpoint("missing.npz"), ValueError, "load_checkpoint('missing.npz'): no such file"),
    (lambda: read_checkpoint("."), ValueError, "is a folder, expected a checkpoint file"),
    (lambda: trainer().resume("missing.npz"), ValueError, "no such file"),
    (lambda: save_checkpoint(".", FullyConnectedNet(4, [3], 2)), ValueError, "save_checkpoint('.'): is a folder"),
    (lambda: save_checkpoint("x.npz", "model"), TypeError, "save_checkpoint: model must have a named_parameters()"),
    # search
    (lambda: random_configs({"lr": (1e-3, 1e-1)}, 0), ValueError, "random_configs: trials must be an integer in [1, 1,000,000]"),
    (lambda: random_configs({}, 3), ValueError, "random_configs: space must be a non-empty dict"),
    (lambda: random_configs({"lr": (0, 1)}, 3), ValueError, "'lr' range must be 0 < low <= high, got (0, 1)"),
    (lambda: random_configs({"lr": (1e-1, 1e-3)}, 3), ValueError, "'lr' range must be 0 < low <= high"),
    (lambda: random_configs({"lr": ("a", "b")}, 3), ValueError, "'lr' range must be 0 < low <= high"),
    (lambda: random_configs({"lr": []}, 3), ValueError, "'lr' needs at least one choice"),
    (lambda: random_configs({"lr": 0.1}, 3), ValueError, "must be a (low, high) range or a list of choices"),
    (lambda: grid({}), ValueError, "grid: space must be a non-empty dict"),
    (lambda: grid({"lr": []}), ValueError, "grid: 'lr' needs a non-empty list of values"),
    # datasets: checked before anything is read
    (lambda: D.load("svhn"), ValueError, "unknown dataset 'svhn'"),
    (lambda: D.load("mnist", layout="hwc"), ValueError, "load: layout must be 'nchw', 'nhwc' or 'flat', got 'hwc'"),
    (lambda: D.load_raw("mnist", root="/no/such/folder"), D.DatasetNotFound, "root '/no/such/folder' is not a folder"),
    (lambda: D.load_raw("mnist", root=__file__), D.DatasetNotFound, "is a file, expected a folder"),
    (lambda: D.load_raw("mnist", root=3), TypeError, "load_raw: root must be a path, got int"),
    (lambda: D.prepare("mnist", num_val=-1), ValueError, "prepare: num_val must be an integer >= 0 or None, got -1"),
    (lambda: D.prepare("mnist", dev=-3), ValueError, "prepare: dev must be an integer >= 0, got -3"),
    (lambda: D.prepare("mnist", dtype=np.int32), ValueError, "prepare: dtype must be a floating-point type"),
    (lambda: D.prepare("cifar100"), ValueError, "unknown dataset 'cifar100'"),
    (lambda: D.train_val_split(X, Y, 6), ValueError, "train_val_split: num_val must lie in [0, 6), got 6"),
    (lambda: D.train_val_split(X, Y, 1.5), ValueError, "train_val_split: num_val must lie in [0, 6), got 1.5"),
    (lambda: D.train_val_split(X, Y[:3], 1), ValueError, "train_val_split: X has 6 samples, y has 3"),
    (lambda: D.subset(X, Y, 7), ValueError, "subset: n must be an integer in [0, 6], got 7"),
    (lambda: D.subset(X, Y, -1), ValueError, "subset: n must be an integer in [0, 6], got -1"),
    # inputs passed by position into ``training``
    (lambda: ni.ScaledDotProductAttention().forward(np.ones((1, 2, 4)), np.ones((1, 2, 4))), TypeError,
     "ScaledDotProductAttention(is_causal=False): training must be True, False or None, got ndarray (pass k and v"),
    (lambda: ni.MultiheadAttention(4, 2).forward(np.ones((1, 2, 4)), np.ones((1, 2, 4))), TypeError,
     "training must be True, False or None, got ndarray (pass key and value by keyword"),
    (lambda: ni.LSTM(4, 3).forward(np.ones((1, 2, 4)), np.zeros((1, 3))), TypeError, "(pass h0 and c0 by keyword"),
    (lambda: ni.GRU(4, 3).forward(np.ones((1, 2, 4)), np.zeros((1, 3))), TypeError, "(pass h0 by keyword"),
    # hyperparameters of the breadth layers, optimizers, schedules and losses
    (lambda: ni.Conv1d(2, 3, 3, stride=0), ValueError, "Conv1d: stride must be an integer >= 1, got 0"),
    (lambda: ni.Conv1d(2, 3, 2.7), ValueError, "Conv1d: kernel_size must be an integer >= 1, got 2.7"),
    (lambda: ni.ConvTranspose2d(2, 3, 3, padding=-1), ValueError, "ConvTranspose2d: padding must be an integer >= 0"),
    (lambda: ni.ConvTranspose2d(2, 3, 3, stride=0), ValueError, "ConvTranspose2d: stride must be an integer >= 1"),
    (lambda: ni.ConvTranspose2d(2, 3, 0), ValueError, "ConvTranspose2d: kernel_size must be an integer >= 1"),
    (lambda: ni.ConvTranspose2d(2, 3, 3, output_padding=-1), ValueError, "output_padding must be an integer >= 0"),
    (lambda: ni.GroupNorm(2, 4, eps=-1), ValueError, "GroupNorm: eps must be a finite number > 0, got -1"),
    (lambda: ni.InstanceNorm2d(3, eps=float("nan")), ValueError, "InstanceNorm2d: eps must be a finite number > 0, got nan"),
    (lambda: ni.Softplus(beta=0), ValueError, "Softplus: beta must be a nonzero number, got 0"),
    (lambda: ni.LeakyReLU(float("nan")), ValueError, "LeakyReLU: negative_slope must be a finite number, got nan"),
    (lambda: ni.ELU("a"), ValueError, "ELU: alpha must be a finite number, got 'a'"),
    (lambda: no.Adadelta(params(), rho=1.5), ValueError, "Adadelta: rho must be a finite number >= 0 and <= 1, got 1.5"),
    (lambda: no.NAdam(params(), momentum_decay=-1), ValueError, "NAdam: momentum_decay must be a finite number >= 0"),
    (lambda: no.OneCycleLR(no.SGD(params(), momentum=0.9), max_lr=-1, total_steps=10), ValueError,
     "OneCycleLR: max_lr must be a finite number >= 0, got -1"),
    (lambda: no.OneCycleLR(no.SGD(params(), momentum=0.9), 1, 10, div_factor=0), ValueError,
     "OneCycleLR: div_factor must be a finite number > 0, got 0"),
    (lambda: no.OneCycleLR(no.SGD(params(), momentum=0.9), 1, total_steps=2.5), ValueError,
     "OneCycleLR: total_steps must be an integer >= 1, got 2.5"),
    (lambda: no.OneCycleLR(None, 1, 10), TypeError, "OneCycleLR: expected an optimizer (with param_groups)"),
    (lambda: no.LambdaLR(None, lambda e: 1), TypeError, "LambdaLR: expected an optimizer (with param_groups)"),
    (lambda: no.ReduceLROnPlateau(None), TypeError, "ReduceLROnPlateau: expected an optimizer (with param_groups)"),
    (lambda: no.clip_grad_norm_({"W": np.ones(2)}, 1, norm_type=0), ValueError,
     "clip_grad_norm_: norm_type must be a finite number > 0, got 0"),
    (lambda: no.SGD(params()).step({"w": np.ones((2, 2))}), ValueError,
     "SGD.step: no gradient names a parameter of this optimizer: got ['w'], its parameters are ['W']"),
    (lambda: no.SGD(params()).step([np.ones((2, 2))]), TypeError, "SGD.step: grads must be a dict of name -> array"),
    (lambda: no.SGD(params()).step({"W": [[1.0, 1.0]] * 2}), TypeError,
     "SGD: gradient for 'W' must be a floating-point ndarray, got list"),
    (lambda: losses_extra.binary_cross_entropy(np.array([0.2, np.nan]), np.zeros(2)), ValueError,
     "binary_cross_entropy: expected probabilities in [0, 1] as input, got values in [0.2, 0.2] and NaN"),
    (lambda: losses_extra.binary_cross_entropy(np.array([0.2, 0.5]), np.array([3.0, 0.0])), ValueError,
     "binary_cross_entropy: expected targets in [0, 1], got values in [0.0, 3.0]"),
    (lambda: losses_extra.huber_loss(np.ones(2), np.zeros(2), delta=float("nan")), ValueError,
     "huber_loss: delta must be a finite number > 0, got nan"),
    (lambda: init.kaiming_normal((3, 4), mode="fan_avg"), ValueError, "kaiming_normal: mode must be 'fan_in' or"),
    # models' evaluation
    (lambda: FullyConnectedNet(4, [3], 2).accuracy(X, Y[:, None]), ValueError,
     "FullyConnectedNet.accuracy: expected labels of shape (6,), got shape (6, 1)"),
    (lambda: FullyConnectedNet(4, [3], 2).accuracy(X, Y + 7), ValueError,
     "FullyConnectedNet.accuracy: labels must lie in [0, 2), got 7"),
    (lambda: FullyConnectedNet(4, [3], 2).accuracy(X, Y.astype(float)), TypeError, "expected integer labels"),
    (lambda: FullyConnectedNet(4, [3], 2).predict(X, batch_size=0), ValueError,
     "FullyConnectedNet.predict: batch_size must be an integer >= 1, got 0"),
    (lambda: FullyConnectedNet(4, [3], 2).predict(X[:0]), ValueError,
     "FullyConnectedNet.predict: expected at least one sample (N, ...), got shape (0, 4)"),
    # dtypes, constructors, models, data and the numerical gradient
    (lambda: ni.Linear(3, 2, dtype=np.int64), TypeError, "Linear: dtype must be float32 or float64, got int64"),
    (lambda: ni.LSTM(3, 2, dtype=np.float16), TypeError, "LSTM: dtype must be float32 or float64, got float16"),
    (lambda: init.he_normal((3, 4), dtype=np.int32), TypeError, "init: dtype must be float32 or float64, got int32"),
    (lambda: init.kaiming_normal((0, 3)), ValueError, "has fan_in 0, fan_out 3; both must be >= 1"),
    (lambda: init.uniform((2,), a=1, b=0), ValueError, "init.uniform: expected a <= b, got a=1, b=0"),
    (lambda: ni.Softmax(1.5), ValueError, "Softmax: dim must be an integer, got 1.5"),
    (lambda: ni.Embedding(-1, 3), ValueError, "Embedding: num_embeddings must be an integer >= 1, got -1"),
    (lambda: ni.LSTM(3, 2.5), ValueError, "LSTM: hidden_size must be an integer >= 1, got 2.5"),
    (lambda: ni.PositionalEncoding(4, -1), ValueError, "PositionalEncoding: max_len must be an integer >= 1"),
    (lambda: ni.Upsample("a"), ValueError, "Upsample: scale_factor must be a positive integer or a pair"),
    (lambda: ni.Dropout(rng="x"), ValueError, "Dropout: rng must be None, an integer >= 0, a list of them or a numpy"),
    (lambda: FullyConnectedNet(4, [3], 2, activation="gelu"), ValueError,
     "FullyConnectedNet: activation must be one of ['relu', 'sigmoid', 'tanh'], got 'gelu'"),
    (lambda: FullyConnectedNet(4, [3], 2, loss="hinge"), ValueError, "FullyConnectedNet: loss must be one of"),
    (lambda: ConvNet((28, 28)), ValueError, "ConvNet: input_shape must be (C, H, W), integers >= 1, got (28, 28)"),
    (lambda: build_model("two-layer", (6,), hidden=[]), ValueError, "build_model: a two-layer model needs at least"),
    # the fifth sweep: sharing, flags, sizes and shapes that used to pass silently or fail deep inside
    (lambda: ni.Sequential(*[ni.Linear(3, 3)] * 2), ValueError, "Sequential: layers 0 and 1 hold the same Linear object"),
    (lambda: ni.Sequential(lambda x: x), TypeError, "Sequential: layer 0 must be a layer with forward() and backward()"),
    (lambda: no.SGD({"a": (w := np.ones(3)), "b": w}, lr=0.1), ValueError,
     "SGD: parameters 'a' and 'b' are the same array"),
    (lambda: ni.Linear(2, 3, init=lambda s, rng=None, dtype=None: np.ones((3, 2))), ValueError,
     "Linear: init returned shape (3, 2), expected (2, 3) (the transpose"),
    (lambda: ni.Conv2d(2, 3, 2, init=lambda s, rng=None, dtype=None: np.full(s, np.nan)), ValueError,
     "Conv2d: init returned float64 values with NaN or inf"),
    (lambda: ni.AdaptiveAvgPool2d((2,)), ValueError, "AdaptiveAvgPool2d: output_size must be one size or a pair"),
    (lambda: ni.AdaptiveAvgPool2d(2.7), ValueError, "AdaptiveAvgPool2d: output_size must be an integer >= 1, got 2.7"),
    (lambda: ni.AdaptiveAvgPool2d("3"), ValueError, "AdaptiveAvgPool2d: output_size must be an integer >= 1, got '3'"),
    (lambda: ni.InstanceNorm2d(2).forward(np.ones((2, 2, 1, 1))), ValueError,
     "InstanceNorm2d(2): expected more than 1 spatial element per channel"),
    (lambda: FullyConnectedNet(4, [3], 2, batchnorm="False"), TypeError, "batchnorm must be True or False"),
    (lambda: ni.GRU(3, 4, hidden_bias="no"), TypeError, "GRU: hidden_bias must be True or False, got 'no'"),
    (lambda: ni.GRU(3, 4, weight_scale=np.nan), ValueError, "GRU: weight_scale must be a finite number >= 0"),
    (lambda: ni.TemporalAffine(3, 4, bias="False"), TypeError, "TemporalAffine: bias must be True or False"),
    (lambda: list(minibatches(X, Y, 2, shuffle="no")), TypeError, "minibatches: shuffle must be True or False"),
    (lambda: build_model("mlp", (6,), hiden=[4]), ValueError, "build_model: unknown setting(s) ['hiden']"),
    (lambda: build_model("conv", (1, 8, 8), hidden=[]), ValueError, "build_model: a conv model needs at least"),
    (lambda: build_model("softmax", ()), ValueError, "build_model: input_shape must be the sample's shape"),
    (lambda: no.LambdaLR(no.SGD(params(), lr=0.1), 0.5), TypeError, "LambdaLR: lr_lambda must be a function"),
    (lambda: no.ReduceLROnPlateau(no.SGD(params(), lr=0.1)).step("0.5"), TypeError,
     "ReduceLROnPlateau.step: metric must be a number"),
    (lambda: ni.Embedding(5, 3, padding_idx=2.7), ValueError, "Embedding: padding_idx must be None or an integer"),
    (lambda: losses_extra.cross_entropy_loss(np.zeros((2, 3)), np.zeros(2, int), label_smoothing="0.1"), ValueError,
     "cross_entropy_loss: label_smoothing must be a number in [0, 1], got '0.1'"),
    (lambda: ConvNet((1, 8.0, 8)), ValueError, "ConvNet: input_shape must be (C, H, W), integers >= 1"),
    (lambda: ConvNet(channels=4), ValueError, "ConvNet: channels must be a list of channel counts"),
    (lambda: Trainer(FullyConnectedNet(4, [3], 2), (o := no.SGD(FullyConnectedNet(4, [3], 2).named_parameters(),
                                                                  lr=0.1)), no.ReduceLROnPlateau(o),
                     schedule_every="step"), ValueError, "Trainer: ReduceLROnPlateau steps on a metric, once an epoch"),
    (lambda: Trainer(None, no.SGD(params())), TypeError, "Trainer: model must have a loss() method, got None"),
    (lambda: list(minibatches(X, Y, 2.0)), ValueError, "minibatches: batch_size must be an integer >= 1, got 2.0"),
    (lambda: list(minibatches(X, Y, 2, start=-1)), ValueError, "minibatches: start must be an integer >= 0"),
    (lambda: list(minibatches(X, Y, 2, seed=-1)), ValueError, "minibatches: seed must be None, an integer >= 0"),
    (lambda: num_batches(10, 0), ValueError, "num_batches: batch_size must be an integer >= 1, got 0"),
    (lambda: losses.l2_penalty(params(), 0.1, names=["V"]), ValueError, "l2_penalty: no parameter named ['V']"),
    (lambda: numerical_gradient(lambda: 1.0, [1.0, 2.0]), TypeError, "numerical_gradient: x must be the float64"),
    (lambda: numerical_gradient(lambda: 1.0, np.ones(2), h=0), ValueError, "numerical_gradient: h must be a finite number > 0"),
    (lambda: trainer().fit(X, Y, 1, X_val=X, y_val=Y.astype(float)), ValueError,
     "Trainer.fit: expected y_val of integer labels, shape (6,), got shape (6,) dtype float64"),
    # the sixth sweep: masks, flags and bounds that passed silently, lists, and crashes from deep inside
    (lambda: losses_extra.temporal_softmax_loss(np.zeros((2, 3, 4)), np.zeros((2, 3), int), np.full((2, 3), np.nan)),
     ValueError, "temporal_softmax_loss: mask must hold True/False (or 1/0), got nan"),
    (lambda: losses_extra.temporal_softmax_loss(np.zeros((2, 3, 4)), np.zeros((2, 3), int), np.full((2, 3), 0.5)),
     ValueError, "temporal_softmax_loss: mask must hold True/False (or 1/0), got 0.5"),
    (lambda: losses_extra.temporal_softmax_loss(np.zeros((2, 3, 4)), np.zeros((2, 3), int), np.full((2, 3), None)),
     TypeError, "temporal_softmax_loss: mask must hold True/False (or 1/0), got dtype object"),
    (lambda: ni.Dropout(0.5).set_mask(np.full((2, 3), 0.5)), ValueError,
     "Dropout(p=0.5).set_mask: mask must hold True/False (or 1/0), got 0.5"),
    (lambda: D.train_val_split(3, [0], 1), ValueError, "train_val_split: expected X (N, ...) and y (N, ...), got shapes ()"),
    (lambda: D.subset(X, Y, 2, seed="a"), ValueError, "subset: seed must be None, an integer >= 0"),
    (lambda: init.uniform((2,), a=-np.inf), ValueError, "init.uniform: a must be a finite number, got -inf"),
    (lambda: init.uniform((2,), b="1"), ValueError, "init.uniform: b must be a finite number, got '1'"),
    (lambda: init.uniform((-1,)), ValueError, "init.uniform: shape must be a tuple of integers >= 0, got (-1,)"),
    (lambda: init.zeros((2,), dtype=np.int64), TypeError, "init: dtype must be float32 or float64, got int64"),
    (lambda: init.kaiming_normal((3, 4), a="x"), ValueError, "gain: param (the negative slope) must be a finite number"),
    (lambda: init.xavier_normal((3, 4), gain_=np.nan), ValueError, "xavier_normal: gain_ must be a finite number >= 0"),
    (lambda: no.OneCycleLR(no.SGD(params(), momentum=0.9), 1.0, total_steps=10, pct_start=0.1), ValueError,
     "OneCycleLR: pct_start=0.1 of total_steps=10 leaves a phase of 0 steps (phases end at steps [0.0, 9.0])"),
    (lambda: no.OneCycleLR(no.SGD(params(), momentum=0.9), 1.0, total_steps=5, pct_start=1.0), ValueError,
     "OneCycleLR: pct_start=1 of total_steps=5 leaves a phase of 0 steps"),
    (lambda: no.OneCycleLR(no.SGD(params(), momentum=0.9), 1.0, total_steps=4, pct_start=0.25, three_phase=True),
     ValueError, "leaves a phase of 0 steps (phases end at steps [0.0, 0.0, 3.0])"),
    (lambda: ni.Linear(2, 3).train("False"), TypeError, "Linear(2, 3).train: mode must be True or False, got 'False'"),
    (lambda: losses_extra.nll_loss(np.zeros((2, 3)), np.zeros(2, int), ignore_index=2.5), TypeError,
     "nll_loss: ignore_index must be an integer (a class id never used), got 2.5"),
    (lambda: losses_extra.cross_entropy_loss(np.zeros((2, 3)), np.zeros(2, int), ignore_index="a"), TypeError,
     "cross_entropy_loss: ignore_index must be an integer"),
    (lambda: losses_extra.kl_div_loss(np.zeros((2, 3)), np.full((2, 3), 0.3), log_target="False"), TypeError,
     "kl_div_loss: log_target must be True or False, got 'False'"),
    (lambda: losses.l2_penalty([np.ones(2)], 0.1), TypeError, "l2_penalty: params must be a dict of name -> array"),
    (lambda: losses.l2_penalty(params(), 0.1, names="W"), TypeError,
     "l2_penalty: names must be a list of parameter names, got the string 'W'"),
    (lambda: no.SGD([5]), TypeError, "SGD: each parameter group needs 'params' as a dict of name -> array"),
    (lambda: no.SGD(params()).zero_grad([np.ones(2)]), TypeError, "SGD.zero_grad: grads must be a dict of name -> array"),
    (lambda: no.StepLR(no.SGD(params()), 2).load_state_dict(None), TypeError,
     "StepLR.load_state_dict: expected a dict, as state_dict() returns, got NoneType"),
    (lambda: no.StepLR(no.SGD(params()), 2).load_state_dict(no.CosineAnnealingLR(no.SGD(params()), 5).state_dict()),
     ValueError, "StepLR.load_state_dict: expected the keys ['_step_count', 'base_lrs', 'gamma', 'last_epoch', 'step_size']"),
    (lambda: no.StepLR(no.SGD(params()), 2).load_state_dict({**no.StepLR(no.SGD(params()), 2).state_dict(),
                                                            "base_lrs": [0.1, 0.2]}), ValueError,
     "StepLR.load_state_dict: base_lrs must hold one value per parameter group (1), got [0.1, 0.2]"),
    (lambda: no.LambdaLR(no.SGD(params()), lambda e: "x"), ValueError,
     "LambdaLR: lr_lambda(0) must be a finite number, got 'x'"),
    (lambda: Trainer(FullyConnectedNet(4, [3], 2), no.SGD(FullyConnectedNet(4, [3], 2).named_parameters())), ValueError,
     "Trainer: the optimizer's parameters ['0.W', '0.b', '2.W', '2.b'] are not this model's arrays"),
    (lambda: Trainer((m := FullyConnectedNet(4, [3], 2)), no.SGD(m.named_parameters()), no.StepLR(no.SGD(params()), 1)),
     ValueError, "Trainer: the StepLR schedules another optimizer than the one given"),
    (lambda: trainer().fit(X, Y + 7, 1), ValueError, "Trainer.fit (y): labels must lie in [0, 2), got 7"),
    (lambda: trainer().fit(X, Y.astype(float), 1), TypeError, "Trainer.fit (y): expected integer labels, got dtype float64"),
    (lambda: trainer().fit(np.zeros((6, 5)), Y, 1), ValueError,
     "Trainer.fit: X of shape (6, 5) does not fit the model (its first two samples: Linear(4, 3): expected input"),
    (lambda: load_checkpoint("x.npz", None), TypeError, "load_checkpoint: model must have a named_parameters() method"),
    (lambda: grad_check_sparse(lambda: 1.0, np.ones((3, 4)), np.ones((5, 5))),
     ValueError, "grad_check_sparse: analytic_grad must have x's shape (3, 4), got (5, 5)"),
    (lambda: grad_check_sparse(lambda: 1.0, np.ones((3, 4)), np.ones((3, 4)), num_checks=2.5), ValueError, "grad_check_sparse: num_checks must be an integer >= 0, got 2.5"),
    (lambda: grad_check_sparse(lambda: 1.0, np.ones((0, 4)), np.ones((0, 4))),
     ValueError, "grad_check_sparse: x of shape (0, 4) has no element to check"),
    (lambda: search(3, [{}], log=None), TypeError, "search: train_fn must be a function, got int"),
    (lambda: search(lambda c, s: {"val_acc": 1.0}, [{}], seed=-1, log=None),
     ValueError, "search: seed must be an integer >= 0 (trial i gets [seed, i]), got -1"),
    (lambda: random_configs({"lr": (1e-3, 1e-1)}, 2, seed="a"), ValueError, "random_configs: seed must be None"),
    (lambda: build_model("mlp", (6,), dtype="flaot32"), TypeError, "build_model: dtype must be float32 or float64, got 'flaot32'"),
    (lambda: D.to_float(np.zeros((2, 2), np.uint8), np.int32), ValueError,
     "to_float: dtype must be a floating-point type (float32, float64), got int32"),
    (lambda: D.to_float(np.zeros((2, 2), np.uint8), scale="False"), TypeError, "to_float: scale must be True or False"),
    (lambda: D.flatten(np.float64(1.0)), ValueError, "flatten: expected samples of shape (N, ...), got shape ()"),
    (lambda: D.add_bias_column(np.zeros(5)), ValueError, "add_bias_column: expected data of shape (N, D), got shape (5,)"),
    (lambda: D.channel_stats(np.zeros((3, 4))), ValueError, "channel_stats: expected images of shape (N, C, H, W)"),
    (lambda: D.prepare("mnist", dtype="flaot32"), ValueError, "prepare: dtype must be a floating-point type (float32, "
                                                             "float64), got 'flaot32'"),
    (lambda: D.prepare("mnist", subtract_mean="no"), TypeError, "prepare: subtract_mean must be True or False, got 'no'"),
]


@pytest.mark.parametrize("call, exc, fragment", CASES, ids=[c[2][:60] for c in CASES])
def test_bad_argument_is_named(call, exc, fragment):
    with pytest.raises(exc) as err:
        call()
    assert fragment in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


def test_load_checkpoint_of_damaged_files(tmp_path):
    model = FullyConnectedNet(4, [3], 2)
    from numpy_impl.checkpoint import save_checkpoint
    path = save_checkpoint(tmp_path / "c.npz", model)
    raw = open(path, "rb").read()
    (tmp_path / "half.npz").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "junk.npz").write_bytes(b"junk" * 100)
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    np.save(tmp_path / "one.npy", np.zeros(2))
    for name, words in (("half.npz", "truncated or corrupted"), ("junk.npz", "not a checkpoint of this library"),
                        ("other.npz", "without a checkpoint header"), ("one.npy", "a single .npy array")):
        with pytest.raises(ValueError, match=words):
            load_checkpoint(tmp_path / name, model)
    other = FullyConnectedNet(4, [3], 2, activation="tanh")   # same shapes, another model
    with pytest.raises(ValueError, match="models do not match"):
        load_checkpoint(path, other)


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize == 8, reason="longdouble is float64 on this platform")
def test_longdouble_input_is_refused():
    with pytest.raises(TypeError, match="expected a floating-point input \\(float32 or float64\\), got dtype float"):
        ni.ReLU().forward(np.zeros((2, 3), np.longdouble))


def test_a_bad_gradient_leaves_no_half_step():
    p = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    opt = no.Adam(p, lr=0.1)
    with pytest.raises(ValueError, match="gradient for 'b' has shape"):
        opt.step({"W": np.ones((3, 2)), "b": np.ones(3)})
    assert np.array_equal(p["W"], np.ones((3, 2))) and not opt.state.get("W")


def test_a_refused_load_changes_nothing(tmp_path):
    """Checks that need the optimizer or the trainer run before any parameter is written."""
    model = FullyConnectedNet(4, [3], 2)
    Trainer(model, no.Adam(model.named_parameters()), batch_size=2).fit(X, Y, 1, checkpoint=tmp_path / "t.npz")
    for build, words in ((lambda m: load_checkpoint(tmp_path / "t.npz", m, no.Adam(
                              {k: v for k, v in m.named_parameters().items() if k.endswith(".W")})),
                          "optimizer parameter names do not match"),
                         (lambda m: Trainer(m, no.Adam(m.named_parameters()), batch_size=3).resume(tmp_path / "t.npz"),
                          "made with batch_size=2, this trainer has 3")):
        other = FullyConnectedNet(4, [3], 2, seed=5)
        before = {k: v.copy() for k, v in other.named_parameters().items()}
        with pytest.raises(ValueError, match=words):
            build(other)
        assert all(np.array_equal(before[k], v) for k, v in other.named_parameters().items())


def test_save_errors_name_the_file_meant(tmp_path):
    model = FullyConnectedNet(4, [3], 2)
    path = save_checkpoint(tmp_path / "c.npz", model)
    with pytest.raises(NotADirectoryError, match=f"cannot write {tmp_path / 'c.npz' / 'x.npz'}: a file stands"):
        save_checkpoint(tmp_path / "c.npz" / "x.npz", model)
    assert read_checkpoint(path)                    # the file in the way is intact


def test_attention_propagates_nan_and_zeroes_only_masked_rows():
    from numpy_impl.layers.attention import scaled_dot_product_attention as sdpa
    q = np.random.default_rng(0).standard_normal((1, 3, 4))
    bad = q.copy()
    bad[0, 0, 0] = np.nan
    with np.errstate(invalid="ignore"):
        assert np.isnan(sdpa(bad, q, q)[0][0, 0]).all()                  # torch: NaN, never 0
        assert np.isnan(sdpa(q, bad, bad)[0]).any()
    masked = sdpa(q, q, q, attn_mask=np.array([[False] * 3, [True] * 3, [True] * 3]))[0]
    assert np.array_equal(masked[0, 0], np.zeros(4)) and np.isfinite(masked).all()


def test_search_ranks_a_nan_accuracy_as_failed_and_last():
    from numpy_impl.search import search
    got = search(lambda c, s: {"val_acc": c["v"]}, [{"v": 0.5}, {"v": float("nan")}, {"v": 0.9}], log=None)
    assert [r["val_acc"] for r in got] == [0.9, 0.5, 0.0] and got[-1]["failed"] == "val_acc was nan"


@pytest.mark.parametrize("layer, shape", [(ni.Flatten(), (0, 3, 4)), (ni.GroupNorm(2, 4), (0, 4, 3, 3)),
                                          (ni.LSTM(3, 2), (0, 5, 3)), (ni.GRU(3, 2), (0, 5, 3)),
                                          (ni.MultiheadAttention(4, 2), (0, 3, 4)),
                                          (ni.TransformerEncoderLayer(4, 2, 8), (0, 3, 4))], ids=lambda v: str(v))
def test_an_empty_batch_runs_as_in_torch(layer, shape):
    out = layer.forward(np.zeros(shape))
    assert out.shape[0] == 0 and layer.backward(np.zeros(out.shape)).shape == shape


def test_float32_stays_float32_with_float64_hyperparameters_and_upstream_gradient():
    x, y = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32), np.arange(8) % 2
    model = FullyConnectedNet(4, [3], 2, reg=np.float64(1e-3), dtype=np.float32)
    assert all(g.dtype == np.float32 for g in model.loss(x, y)[1].values())
    p = {"W": np.ones(3, np.float32)}
    opt = no.SGD(p, lr=np.float64(0.01), momentum=0.9, variant="classic")
    opt.step({"W": np.ones(3, np.float32)})
    assert p["W"].dtype == opt.state["W"]["velocity"].dtype == np.float32
    layer = ni.Linear(4, 3, dtype=np.float32)
    out = layer.forward(x)
    assert layer.backward(np.ones(out.shape)).dtype == np.float32              # torch casts dout too
    assert all(g.dtype == np.float32 for g in layer.grads.values())


def test_what_torch_accepts_stays_accepted():
    """Refusals must not reach legitimate calls: clipping at inf (the norm only), 'inf' as the norm
    type, a 0-d array as max_norm, a NumPy scalar gradient for a 0-d parameter, None gradients."""
    def g():
        return {"w": np.array([3.0, 4.0])}          # clipped in place: a fresh one each time
    assert no.clip_grad_norm_(g(), float("inf")) == 5.0
    assert no.clip_grad_norm_(g(), 1.0, norm_type="inf") == 4.0
    assert no.clip_grad_norm_(g(), np.array(10.0)) == 5.0
    p = {"a": np.array(1.0)}
    opt = no.SGD(p, lr=0.1)
    opt.step({"a": np.sum(np.ones(3))})
    assert p["a"] == 0.7
    opt.step({"a": None})                           # skipped, as torch skips a None grad
    assert p["a"] == 0.7


def test_load_checkpoint_refuses_a_check_extra_that_is_not_a_function(tmp_path):
    model = FullyConnectedNet(4, [3], 2)
    path = save_checkpoint(tmp_path / "c.npz", model)
    with pytest.raises(TypeError, match="load_checkpoint: check_extra must be a function of the file's extra dict"):
        load_checkpoint(path, model, check_extra="x")


def test_fifth_sweep_behaviour():
    """What used to pass silently wrong or crash late: ReduceLROnPlateau in the Trainer, a NumPy float
    lr from a schedule, a max pool's inf gradient, attention over no keys, a refit on other data, a
    read-only summed gradient, datasets' dtype given as a string."""
    rng = np.random.default_rng(0)
    Xr, yr = rng.standard_normal((20, 4)), rng.integers(0, 2, 20)
    model = FullyConnectedNet(4, [3], 2)
    opt = no.SGD(model.named_parameters(), lr=0.1)
    t = Trainer(model, opt, no.ReduceLROnPlateau(opt, patience=0, factor=0.5), batch_size=5, progress=False, log=None)
    history = t.fit(Xr, yr, 3)                      # stepped on the epoch's mean loss ('min')
    assert len(history["epochs"]) == 3 and all(len(r["lr"]) == 1 for r in history["epochs"])
    with pytest.raises(ValueError, match="mode='max'.*give X_val"):
        o2 = no.SGD(model.named_parameters(), lr=0.1)
        Trainer(model, o2, no.ReduceLROnPlateau(o2, mode="max"), train_acc_samples=0, progress=False,
                log=None).fit(Xr, yr, 1)
    # a schedule returning NumPy floats: float32 state stays float32
    m32 = FullyConnectedNet(4, [3], 2, dtype=np.float32)
    o32 = no.SGD(m32.named_parameters(), lr=0.1, momentum=0.9, variant="classic")
    sched = no.LambdaLR(o32, lambda e: np.float64(0.5) ** e)
    for _ in range(2):
        o32.step(m32.loss(Xr[:5].astype(np.float32), yr[:5])[1])
        sched.step()
    assert {v["velocity"].dtype for v in o32.state.values()} == {np.dtype(np.float32)}
    # a max pool sends an inf upstream gradient to the window's maximum only, as torch
    pool = ni.MaxPool2d(2)
    pool.forward(rng.standard_normal((1, 1, 4, 4)))
    d = np.ones((1, 1, 2, 2))
    d[0, 0, 0, 0] = np.inf
    dx = pool.backward(d)
    assert np.isinf(dx).sum() == 1 and not np.isnan(dx).any()
    # attention over no keys: zeros, as torch
    out, _ = ni.layers.attention.scaled_dot_product_attention(np.ones((2, 3, 4)), np.ones((2, 0, 4)), np.ones((2, 0, 5)))
    assert out.shape == (2, 3, 5) and not out.any()
    # the training-accuracy sample is drawn again for other data
    t2 = trainer(train_acc_samples=10, progress=False, log=None)
    t2.fit(rng.standard_normal((200, 4)), rng.integers(0, 2, 200), 1)
    t2.fit(Xr, yr, 2)
    # a summed binary cross-entropy's gradient can be scaled in place
    _, dx = losses_extra.binary_cross_entropy(np.full(3, 0.5), np.ones(3), reduction="sum")
    dx *= 2
    from datasets.preprocess import to_float
    assert to_float(np.zeros((2, 3), np.uint8), "float32").dtype == np.float32


def test_gradcheck_and_search_take_what_users_pass():
    """check_layer leaves a BatchNorm's running statistics as they were and checks a dropout on one
    mask; search takes a generator of configurations; the table prints list values and a missing
    train accuracy; ranges of NumPy numbers are drawn."""
    from numpy_impl import gradcheck, search
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    bn = ni.BatchNorm1d(3)
    before = {k: v.copy() for k, v in bn.named_buffers().items()}
    assert max(gradcheck.check_layer(bn, x).values()) < 1e-4
    assert all(np.array_equal(before[k], v) for k, v in bn.named_buffers().items())
    assert gradcheck.check_layer(ni.Dropout(0.5, rng=1), x)["input"] < 1e-8
    results = search.search(lambda c, s: {"val_acc": 0.5, "train_acc": None}, (c for c in search.grid(
        {"hidden": [[64, 32], [128]]})), log=None)
    assert len(results) == 2 and "[64, 32]" in search.results_table(results)
    drawn = search.random_configs({"h": (np.int64(10), np.int64(100)), "lr": (np.float32(1e-3), np.float32(0.1))}, 3)
    assert all(isinstance(c["h"], int) and 10 <= c["h"] <= 100 for c in drawn)


def test_sixth_sweep_behaviour(tmp_path):
    """What the sixth sweep settled beside the table: datasets' splits take Python lists; a refused
    OneCycleLR leaves the optimizer's groups as they were; a bad label late in y is refused before the
    first update; a checkpoint whose schedule state does not fit changes nothing; 0/1 masks of numbers
    are still masks; a 0-d ignore_index and 0/1 train modes still work."""
    Xl, yl = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0, 1, 0]
    Xtr, ytr, Xva, yva = D.train_val_split(Xl, yl, 1)
    assert Xtr.tolist() == Xl[:2] and yva.tolist() == [0]
    Xs, ys = D.subset(Xl, yl, 2, seed=0)
    assert Xs.shape == (2, 2) and ys.shape == (2,)
    opt = no.SGD(params(), lr=0.1, momentum=0.9)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match="leaves a phase of 0 steps"):
        no.OneCycleLR(opt, 1.0, total_steps=10, pct_start=0.1)
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == \
        [{k: v for k, v in g.items() if k != "params"} for g in before]
    rng = np.random.default_rng(0)
    Xr, yr = rng.standard_normal((20, 4)), np.arange(20) % 2
    yr[-1] = 7                                      # in some batch after the first
    model = FullyConnectedNet(4, [3], 2)
    start = {k: v.copy() for k, v in model.named_parameters().items()}
    t = Trainer(model, no.SGD(model.named_parameters(), lr=0.1), batch_size=5, progress=False, log=None)
    with pytest.raises(ValueError, match=r"Trainer.fit \(y\): labels must lie in \[0, 2\), got 7"):
        t.fit(Xr, yr, 1)
    assert t.step == 0 and all(np.array_equal(start[k], v) for k, v in model.named_parameters().items())
    # a checkpoint whose StepLR state holds two groups' base_lrs: refused before the model is written
    o = no.SGD(model.named_parameters(), lr=0.1)
    sched = no.StepLR(o, 2)
    save_checkpoint(tmp_path / "c.npz", model, o, sched)
    data, meta = read_checkpoint(tmp_path / "c.npz")
    meta["scheduler"]["state"]["base_lrs"] = [0.1, 0.1]
    import json
    np.savez(tmp_path / "bad.npz", **data, meta=np.array(json.dumps(meta)))
    other = FullyConnectedNet(4, [3], 2, seed=3)
    kept = {k: v.copy() for k, v in other.named_parameters().items()}
    o2 = no.SGD(other.named_parameters(), lr=0.1)
    with pytest.raises(ValueError, match="base_lrs must hold one value per parameter group.*nothing was loaded"):
        load_checkpoint(tmp_path / "bad.npz", other, o2, no.StepLR(o2, 2))
    assert all(np.array_equal(kept[k], v) for k, v in other.named_parameters().items())
    s2 = no.StepLR(o2, 2)
    load_checkpoint(tmp_path / "c.npz", other, o2, s2)           # the good one loads, schedule included
    assert s2.last_epoch == sched.last_epoch
    # 0/1 numbers are masks as before; a NumPy integer ignore_index and 0/1 modes are accepted
    x3, y3 = rng.standard_normal((2, 3, 4)), np.zeros((2, 3), int)
    m01 = np.array([[1, 0, 1], [1, 1, 0]])
    assert losses_extra.temporal_softmax_loss(x3, y3, m01)[0] == losses_extra.temporal_softmax_loss(
        x3, y3, m01.astype(bool))[0] == losses_extra.temporal_softmax_loss(x3, y3, m01.astype(float))[0]
    losses_extra.cross_entropy_loss(np.zeros((2, 3)), np.array([0, 1]), ignore_index=np.int64(1))
    seq = ni.Sequential(ni.Linear(2, 2), ni.Dropout(0.5)).train(0)
    assert seq.training is False and seq[1].training is False
