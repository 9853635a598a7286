"""Declared conventions: each changes exactly one aspect of the torch reference, everything else stays
strict. A user declares them (``conventions={"running_var": "biased"}``, ``parity scan --convention
running_var=biased``); an undeclared mismatch that one of them explains exactly gets a hint naming it.

=================  =========  ==============================================================================
name               value      the reference then ...
=================  =========  ==============================================================================
running_var        biased     updates BatchNorm's running_var with the biased batch variance (torch: unbiased)
dropout            classic    does not scale in training and multiplies by the keep probability in eval
dropout_p          keep       reads dropout's p as the KEEP probability (torch: the drop probability)
inplace_dout       allowed    hands backward a copy of the upstream gradient, so overwriting it passes
adam_eps           folded     Adam with eps added to the uncorrected sqrt(v) and the corrections folded into
                              the step size (``lr * sqrt(1-b2^t) / (1-b1^t)``) (torch: eps after correction)
softmax_eps        1e-7       the softmax loss VALUE is ``-log(p_y + 1e-7)`` (its gradient stays exact); another
                              epsilon may be declared (``softmax_eps=1e-8``); 1e-7 is the one found undeclared
                   clip       the softmax loss VALUE is ``-log(clip(p_y, 1e-7, 1 - 1e-7))``, as "Neural Networks
                              from Scratch" and Keras compute it (its gradient stays exact)
svm_scale          mean       the SVM loss is torch's MultiMarginLoss as is: also averaged over the C classes
                              (default: the classic sum over classes, ``C * multi_margin_loss``)
mse_scale          half       a loss class's squared error is ``0.5 * (p - y)**2`` (gradient ``p - y``), as
                              ML-From-Scratch's ``SquareLoss`` and cs229 write it (torch: ``(p - y)**2``)
reg                half       the L2 penalty is ``0.5 * reg * sum(W**2)`` (gradient ``reg * W``), as in cs231n's
                              networks (default: ``reg * sum(W**2)``, as in its linear classifiers)
pool_ties          all        max pooling's backward gives the upstream gradient to EVERY tied maximum
                              (torch: to the first one only)
                   split      ... or shares it out equally among them (cs231n's ``max_pool_backward_reshape``
                              with its ``dx /= np.sum(mask, ...)`` line: "a valid subgradient")
lstm_gates         ifgo       reads an LSTM's 4H gate columns in torch's order i, f, g, o (cs231n's: i, f, o, g)
dtype              promotes   accepts outputs and gradients computed in float64 for float32 input (arrays made
                              with ``np.zeros(shape)`` and no dtype): they are cast back, the numbers still judged
compute            float32    accepts float32 outputs and gradients for float64 input ("Deep Learning from
                              Scratch 2"'s time layers: ``np.empty(..., dtype='f')``): cast back, judged at
                              float32's tolerance, without finite differences
velocity           torch      reads an update rule's kept ``velocity`` as torch's momentum buffer (``v = mu*v +
                              dw; w -= lr*v``; default: cs231n's ``v = mu*v - lr*dw; w += v``, -lr times it)
                   negated    reads it as lr times the buffer (``v = mu*v + lr*dw; w -= v``)
adam_t             next       reads Adam's kept ``t`` as the step to come (``setdefault('t', 1)``, stored t + 1)
                              (default: the steps taken, as torch's ``step``)
momentum           average    SGD's velocity is an average of the gradients, ``v = mu*v + (1 - mu)*g`` from
                              ``v = 0``, then ``w -= lr*v`` (ML-From-Scratch's StochasticGradientDescent)
                              (torch: ``v = mu*v + g``, starting at ``v = g``)
sqrt_eps           inside     Adagrad and RMSprop divide by ``sqrt(G + eps)`` (ML-From-Scratch's, d2l's)
                              (torch: ``sqrt(G) + eps``)
loss_reduction     sum        a loss class's loss is the sum over the batch (torch's ``reduction="sum"``), its
                              gradient that of the sum (numpy-ml's losses) (torch's default: the mean)
                   batch      ... or each sample's sum over its elements, averaged over the batch (the
                              squared error summed over the outputs, 1/N over the samples)
xent_grad          logits     a cross-entropy class taking probabilities returns its gradient in the logits
                              behind them, ``p - y`` (numpy-ml's ``CrossEntropy.grad``) (default: in the
                              probabilities it takes, ``-y / p``)
=================  =========  ==============================================================================
"""
import math

import torch

# name -> (allowed values, component kinds it can apply to, hint shown for an undeclared match)
CONVENTIONS = {
    "running_var": (("biased",), ("batchnorm", "spatial_batchnorm", "affine_bn_relu"),
                    "running_var differs by the factor (M-1)/M (the biased variance)"),
    "dropout": (("classic",), ("dropout",),
                "output matches non-inverted dropout (x*mask in training, x*keep in eval)"),
    "dropout_p": (("keep",), ("dropout",), "scaling matches p read as the keep probability"),
    "inplace_dout": (("allowed",), ("*",), "backward overwrites the upstream gradient dout in place"),
    "adam_eps": (("folded",), ("adam",), "matches Adam with eps added before the bias correction"),
    "softmax_eps": (("1e-7", "clip"), ("softmax_loss", "sigmoid_loss", "linear_softmax", "model", "cross_entropy_error",
                                       "cross_entropy", "categorical_cross_entropy", "categorical_crossentropy",
                                       "sparse_categorical_crossentropy"),
                    "the loss value matches -log(p_y + 1e-7) (1e-7) or -log(clip(p_y, 1e-7, 1 - 1e-7)) (clip)"),
    "svm_scale": (("mean",), ("svm_loss", "linear_svm"),
                  "the loss matches the hinge averaged over classes (MultiMarginLoss)"),
    "mse_scale": (("half",), ("mse",), "the loss matches half the squared error, 0.5 * (p - y)**2 (gradient p - y)"),
    "reg": (("half",), ("linear_svm", "linear_softmax", "model"),
            "the L2 penalty matches 0.5 * reg * sum(W**2) (gradient reg * W)"),
    "pool_ties": (("all", "split"), ("max_pool",), "every tied maximum receives the gradient (or an equal share)"),
    "lstm_gates": (("ifgo",), ("lstm_step", "lstm"), "the LSTM matches the gates in torch's order i, f, g, o"),
    "dtype": (("promotes",), ("*",), "float32 input gives float64 outputs or gradients (arrays made without a dtype)"),
    "compute": (("float32",), ("*",),
                "float64 input gives float32 outputs and gradients (arrays made with dtype='f'), right to float32's "
                "precision"),
    "velocity": (("torch", "negated"), ("optimizer",),
                 "the parameters match; velocity is kept as torch's momentum buffer (torch) or lr times it (negated)"),
    "adam_t": (("next",), ("adam",), "the parameters match; t is kept as the step to come (t + 1)"),
    "momentum": (("average",), ("sgd",),
                 "the parameters match SGD whose velocity averages the gradients, v = mu*v + (1 - mu)*g from 0"),
    "sqrt_eps": (("inside",), ("rmsprop", "adagrad"),
                 "the parameters match the update divided by sqrt(G + eps), eps inside the square root"),
    "loss_reduction": (("sum", "batch"), ("mse", "mae", "cross_entropy", "binary_cross_entropy"),
                       "the loss is the sum over the batch (or each sample's sum, averaged over the batch), its "
                       "gradient that of it"),
    "xent_grad": (("logits",), ("cross_entropy",),
                  "its gradient is p - y, in the logits behind the probabilities it takes"),
}


class ConventionError(ValueError):
    """An unknown convention name or value."""


def parse(items):
    """``["running_var=biased", ...]`` (an item may hold several, comma-separated: what a verdict's
    label prints) or a dict -> a validated dict."""
    items = [items] if isinstance(items, str) else items    # "velocity=torch", as the command line writes it
    if items is not None and not isinstance(items, (dict, list, tuple)):
        raise ConventionError(f"conventions: a dict such as {{'running_var': 'biased'}} or NAME=VALUE strings, "
                              f"got {type(items).__name__}")
    out = dict(items) if isinstance(items, dict) else {}
    if not isinstance(items, dict):
        for item in (part for entry in items or () for part in entry.split(",") if part.strip()):
            name, sep, value = item.partition("=")
            if not sep:
                raise ConventionError(f"convention {item!r}: write NAME=VALUE, e.g. running_var=biased")
            out[name.strip()] = value.strip()
    for name, value in out.items():
        if name not in CONVENTIONS:
            raise ConventionError(f"unknown convention {name!r}; known: {', '.join(sorted(CONVENTIONS))}")
        if str(value) not in CONVENTIONS[name][0] and not (name == "softmax_eps" and _epsilon(value)):
            more = " or another epsilon in (0, 0.01], e.g. 1e-8" if name == "softmax_eps" else ""
            raise ConventionError(f"convention {name}={value!r}: allowed values {list(CONVENTIONS[name][0])}{more}")
    return {k: str(v) for k, v in out.items()}


def _epsilon(value):
    """Whether ``value`` reads as an epsilon a loss adds inside its log: a number in (0, 0.01]."""
    try:
        return 0 < float(value) <= 0.01
    except (TypeError, ValueError):
        return False


def candidates(kind, declared):
    """Single conventions not yet declared that could explain a mismatch of a ``kind`` component."""
    out = []
    for name, (values, kinds, _) in CONVENTIONS.items():
        if name not in declared and ("*" in kinds or kind in kinds):
            out.extend((name, v) for v in values)
    return out


def hint(name, value):
    return f"{CONVENTIONS[name][2]}: declare {name}={value} if intended"


def label(conventions):
    return ",".join(f"{k}={v}" for k, v in sorted(conventions.items()))


# ----------------------------------------------------------------- torch references changed by one aspect
class BatchNorm(torch.nn.Module):
    """torch's ``F.batch_norm`` over (N, C) or (N, C, ...); ``biased`` updates running_var with the
    biased batch variance instead of torch's unbiased one, nothing else changes."""

    def __init__(self, num, eps, momentum, biased=False):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(num))
        self.bias = torch.nn.Parameter(torch.zeros(num))
        self.register_buffer("running_mean", torch.zeros(num))
        self.register_buffer("running_var", torch.ones(num))
        self.eps, self.momentum, self.biased = eps, momentum, biased

    def forward(self, x):
        if x.dim() > 2 and x.shape[1] != self.weight.numel() and x[0].numel() == self.weight.numel():
            # the book's BatchNormalization on conv output: one feature per (c, h, w), x as (N, C*H*W)
            return self.forward(x.reshape(len(x), -1)).reshape(x.shape)
        if not (self.training and self.biased):
            return torch.nn.functional.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                                  self.training, self.momentum, self.eps)
        dims = [0] + list(range(2, x.dim()))
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(m * x.mean(dims))
            self.running_var.mul_(1 - m).add_(m * x.var(dims, unbiased=False))
        return torch.nn.functional.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)


class SameMaskDropout(torch.nn.Module):
    """Dropout with the keep-mask the user's code drew (``peek(x)`` recovers it from the user's own
    output), scaled as torch does (``x * mask / keep``), or classic (``x * mask``; eval ``x * keep``)."""

    def __init__(self, keep, peek, classic=False):
        super().__init__()
        self.keep, self.peek, self.classic = keep, peek, classic

    def forward(self, x):
        if not self.training:
            return x * self.keep if self.classic else x * 1.0
        mask = torch.as_tensor(self.peek(x.detach().numpy()), dtype=x.dtype)
        return x * mask if self.classic else x * mask / self.keep


CLIP = 1e-7


def softmax_loss(eps=None):
    """Cross-entropy. With ``eps`` (a number, or ``"1e-7"``: the ``softmax_eps`` convention's value)
    only the loss VALUE becomes ``mean(-log(p_y + eps))``; with ``"clip"`` it becomes
    ``mean(-log(clip(p_y, 1e-7, 1 - 1e-7)))``. The gradient stays the exact one."""
    def loss(x, y):
        ce = torch.nn.functional.cross_entropy(x, y)
        if eps is None:
            return ce
        with torch.no_grad():
            p = torch.softmax(x, 1)[torch.arange(len(y)), y]
            shifted = -torch.log(p.clamp(CLIP, 1 - CLIP) if eps == "clip" else p + float(eps)).mean()
        return ce + (shifted - ce.detach())
    return loss


def sigmoid_loss(eps=None):
    """Binary cross-entropy of scores x (N,) and labels 0/1 (N,): mean(-log p_t), p_t the sigmoid of
    x for label 1 and one minus it for 0 ("Deep Learning from Scratch 2"'s SigmoidWithLoss). With
    ``eps`` only the VALUE becomes ``mean(-log(p_t + eps))``, as with ``softmax_loss``."""
    def loss(x, t):
        t = t.to(x.dtype)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(x, t)
        if eps is None:
            return bce
        with torch.no_grad():
            s = torch.sigmoid(x)
            p = torch.where(t > 0.5, s, 1 - s)
            shifted = -torch.log(p.clamp(CLIP, 1 - CLIP) if eps == "clip" else p + float(eps)).mean()
        return bce + (shifted - bce.detach())
    return loss


class FoldedEpsAdam(torch.optim.Optimizer):
    """Adam as "Deep Learning from Scratch" writes it: ``lr_t = lr*sqrt(1-b2^t)/(1-b1^t)``,
    ``p -= lr_t * m / (sqrt(v) + eps)``. Same state names as ``torch.optim.Adam``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                st = self.state[p]
                if not st:
                    st["step"] = torch.tensor(0.0)
                    st["exp_avg"] = torch.zeros_like(p)
                    st["exp_avg_sq"] = torch.zeros_like(p)
                st["step"] += 1
                st["exp_avg"].lerp_(p.grad, 1 - b1)
                st["exp_avg_sq"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                self._apply(p, st, group, float(st["step"]), b1, b2)

    @staticmethod
    def _apply(p, st, group, t, b1, b2):
        """The step from the moments just updated (a variant changes this alone)."""
        lr_t = group["lr"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        p.addcdiv_(st["exp_avg"], st["exp_avg_sq"].sqrt().add_(group["eps"]), value=-lr_t)


class AveragedMomentumSGD(torch.optim.Optimizer):
    """SGD whose velocity averages the gradients: ``v = mu*v + (1 - mu)*g`` from ``v = 0``, ``p -= lr*v``
    (ML-From-Scratch's ``StochasticGradientDescent``). torch's ``dampening=mu`` differs at the first step
    only, where its buffer starts at ``g``. State name as ``torch.optim.SGD``'s."""

    def __init__(self, params, lr, momentum=0.0, **unused):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            mu = group["momentum"]
            for p in group["params"]:
                buf = self.state[p].setdefault("momentum_buffer", torch.zeros_like(p))
                buf.mul_(mu).add_(p.grad, alpha=1 - mu)
                p.add_(buf, alpha=-group["lr"])


class InsideEps(torch.optim.Optimizer):
    """Adagrad (``alpha`` None: ``G += g*g``) or RMSprop (``G = alpha*G + (1 - alpha)*g*g``) dividing by
    ``sqrt(G + eps)``, eps inside the square root; state names as torch's (``sum``, ``square_avg``)."""

    def __init__(self, params, lr, eps, alpha=None, **unused):
        super().__init__(params, dict(lr=lr, eps=eps, alpha=alpha))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            alpha = group["alpha"]
            for p in group["params"]:
                st = self.state[p]
                if alpha is None:
                    g2 = st.setdefault("sum", torch.zeros_like(p)).addcmul_(p.grad, p.grad)
                else:
                    g2 = st.setdefault("square_avg", torch.zeros_like(p)).mul_(alpha).addcmul_(
                        p.grad, p.grad, value=1 - alpha)
                p.addcdiv_(p.grad, (g2 + group["eps"]).sqrt(), value=-group["lr"])


class TiedMaxPool(torch.nn.Module):
    """Max pooling whose backward hands the upstream gradient to every tied maximum of a window (the
    ``mask = window == window.max()`` backward), or with ``split`` an equal share to each; the forward
    is torch's max. Padding is with -inf."""

    def __init__(self, kernel, stride, padding=0, split=False):
        super().__init__()
        self.kernel, self.stride, self.padding, self.split = tuple(kernel), stride, padding, split

    def forward(self, x):
        n, c, h, w = x.shape
        p = self.padding
        xp = torch.nn.functional.pad(x, (p, p, p, p), value=float("-inf")) if p else x
        cols = torch.nn.functional.unfold(xp.reshape(n * c, 1, h + 2 * p, w + 2 * p), self.kernel, stride=self.stride)
        top = cols.max(1, keepdim=True).values
        mask = (cols == top).to(x.dtype)
        cols = torch.where(mask.bool(), cols, torch.zeros_like(cols))
        share = mask / mask.sum(1, keepdim=True) if self.split else mask      # split: 1/k to each of k ties
        out = top.detach() + ((cols - cols.detach()) * share).sum(1, keepdim=True)
        ho = (h + 2 * p - self.kernel[0]) // self.stride + 1
        return out.reshape(n, c, ho, -1)
