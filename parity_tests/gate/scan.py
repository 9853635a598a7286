"""``parity scan PATH...``: import a user's file, folder or package as it would run, find the layers,
losses and update rules it recognises by name and signature (cs231n function pairs and rules,
"Deep Learning from Scratch" classes, "Neural Networks from Scratch" classes, d2l's forward-only
functions, the Deep Learning Specialization's step-by-step functions, "Deep Learning from Scratch 2"'s
params/grads lists, Nielsen's networks, layers whose backward takes a learning rate), check each against torch on
several samples in float64 and float32, and give one verdict per component: PASS, FAIL, or CONVENTION name=value when the mismatch
is exactly a known convention (``conventions.py``; ``--strict`` makes that a failure)."""
import contextlib
import inspect
import json
import os
import re
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from numpy_impl.atomic import atomic_write

from ..options import UsageError, count, distinct_files, number, output_path
from . import activation_reference as AR, conventions as conv
from . import britz as BZ
from . import coursera as CS
from . import dict_network as DN
from . import forward_only as FO
from . import loss_class as LC
from . import layer_optimizer as LO
from . import lr_backward as LRB
from . import model_optimizer as MO
from . import ng_ml as NG
from . import nielsen as NI
from . import rashid as RA
from . import optimizer_check as OC
from . import recurrent_reference as recurrent
from . import samples as S
from . import weight_optimizer as WO
from .adapters import LIST_KINDS, check_component, kind_of, torch_loss
from .api import UNBUILT, where
from .compare import NOT_WRITTEN, add_note
from .definitions import NOT_RUN, PLANS, definitions_only
from .optimizer_check import check_optimizer
from .report import Report
from .tolerance import Tolerance, tolerance_for

LAYER_CLASSES = {"Affine", "Relu", "Sigmoid", "Tanh", "SoftmaxWithLoss", "BatchNormalization", "Dropout",
                 "Convolution", "Pooling", "LeakyRelu"}
# whole networks, checked through their params and loss (model_check.py)
MODEL_CLASSES = {"TwoLayerNet", "FullyConnectedNet", "MultiLayerNet", "MultiLayerNetExtend", "ThreeLayerConvNet",
                 "SimpleConvNet", "CaptioningRNN"}
T = torch.optim
# rule or class -> (torch class, the rule's config or the class's kwargs, torch hyperparameters)
RULES = {
    "sgd": (T.SGD, {"learning_rate": 1e-2}, {"lr": 1e-2}),
    "sgd_momentum": (T.SGD, {"learning_rate": 1e-2, "momentum": 0.9}, {"lr": 1e-2, "momentum": 0.9}),
    "rmsprop": (T.RMSprop, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
                {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}),
    "adam": (T.Adam, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
             {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8}),
}
# the book hard-codes eps = 1e-7 inside AdaGrad, RMSprop and Adam
OPT_CLASSES = {
    "SGD": (T.SGD, {"lr": 1e-2}, {"lr": 1e-2}),
    "Momentum": (T.SGD, {"lr": 1e-2, "momentum": 0.9}, {"lr": 1e-2, "momentum": 0.9}),
    "Nesterov": (T.SGD, {"lr": 1e-2, "momentum": 0.9}, {"lr": 1e-2, "momentum": 0.9, "nesterov": True}),
    "AdaGrad": (T.Adagrad, {"lr": 1e-2}, {"lr": 1e-2, "eps": 1e-7}),
    "RMSprop": (T.RMSprop, {"lr": 1e-2, "decay_rate": 0.99}, {"lr": 1e-2, "alpha": 0.99, "eps": 1e-7}),
    "Adam": (T.Adam, {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999}, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7}),
}
# "Neural Networks from Scratch in Python": class name -> kind; its losses take (y_pred, y_true) and
# leave the gradient in self.dinputs; its optimizers update_params(layer), checked at decay=0
NNFS_LAYERS = {"Layer_Dense": "affine", "Layer_Dropout": "dropout", "Activation_ReLU": "relu",
               "Activation_Sigmoid": "sigmoid", "Activation_Softmax": "softmax", "Activation_Linear": "identity"}
NNFS_LOSSES = {"Activation_Softmax_Loss_CategoricalCrossentropy": "softmax_loss",
               "Loss_CategoricalCrossentropy": "categorical_crossentropy",
               "Loss_BinaryCrossentropy": "binary_crossentropy", "Loss_MeanSquaredError": "mse",
               "Loss_MeanAbsoluteError": "mae"}
NNFS_OPTIMIZERS = {
    "Optimizer_SGD": [(T.SGD, {"learning_rate": 1e-2}, {"lr": 1e-2}),
                      (T.SGD, {"learning_rate": 1e-2, "momentum": 0.9}, {"lr": 1e-2, "momentum": 0.9})],
    "Optimizer_Adagrad": [(T.Adagrad, {"learning_rate": 1e-2, "epsilon": 1e-7}, {"lr": 1e-2, "eps": 1e-7})],
    "Optimizer_RMSprop": [(T.RMSprop, {"learning_rate": 1e-3, "rho": 0.9, "epsilon": 1e-7},
                           {"lr": 1e-3, "alpha": 0.9, "eps": 1e-7})],
    "Optimizer_Adam": [(T.Adam, {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
                        {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7})],
}
# and each once more with its learning-rate decay, lr / (1 + decay * iterations), as torch's lr per
# step; not with momentum: the book's momentum keeps the last update (lr inside), torch's buffer the
# gradients (lr outside), the same only while lr is constant
NNFS_DECAY = 0.1
for _configs in NNFS_OPTIMIZERS.values():
    _configs.append((_configs[0][0], {**_configs[0][1], "decay": NNFS_DECAY}, _configs[0][2]))
NNFS_CLASSES = set(NNFS_LAYERS) | set(NNFS_LOSSES) | set(NNFS_OPTIMIZERS)
# its softmax-and-cross-entropy class under another spelling (ronet's Activation_Softmax_Loss_Cross_Entropy):
# its backward takes the softmax's output, not the scores, so it is driven as the book's
NNFS_COMBINED = re.compile(r"(?i:activation_?softmax_?loss_?(categorical_?)?cross_?entropy)")
OPT_STEPS = 20


def _nnfs_combined(name, obj):
    """Whether the class ``obj`` is the book's combined softmax and cross-entropy: by its name, or, named
    otherwise (maji-nn's ``SoftmaxActivationCCELoss``), a name saying softmax and a loss with the book's
    body, a softmax in ``self.activation`` and a loss in ``self.loss``."""
    if NNFS_COMBINED.fullmatch(name):
        return True
    if not (re.search(r"(?i)softmax", name) and re.search(r"(?i)loss|entropy|cce|xent|nll", name)):
        return False
    try:
        src = inspect.getsource(obj)
    except (OSError, TypeError):
        return False
    return "self.activation" in src and "self.loss" in src and callable(getattr(obj, "backward", None))
SKIP_DIRS = {"__pycache__", "site-packages", "node_modules", "build", "dist"}
LOOKS_USEFUL = re.compile(r"^\s*(def \w+_(forward|backward)\w*|def backprop\b|def \w+_(prime|derivative)\b"
                          r"|def (build_model\(\s*nn_hdim|calculate_loss\(\s*model|backward_propagate_error)\b"
                          r"|def ((svm|softmax)_loss\w*|sgd|sgd_momentum|rmsprop|adam)\b"
                          r"|def (" + "|".join(sorted(FO.FUNCTIONS)) + r")\b|def " + FO.DERIVATIVE_DEF + r"\("
                          r"|def (" + "|".join(sorted(CS.NAMES)) + r")\b"
                          r"|def (" + "|".join(sorted(set(FO.SAME_AS) | set(FO.NONLIN) | set(NG.COSTS)
                                                  | set(NG.UNCHECKED) | {"nnCostFunction"})) + r")\b"
                          r"|def (" + "|".join(sorted(FO.UNCHECKED)) + r")\b|class \w*(Net|Network|MLP|Perceptron)\w*\b|class (LinearSVM|Softmax)\b"
                          r"|def (" + "|".join(LRB.BACKWARDS) + r")\(\s*self\s*,\s*\w+\s*,\s*(?i:"
                          + "|".join(sorted(LRB.LR_NAMES)) + r")\s*[,)=:]"
                          r"|def (" + "|".join(LRB.BACKWARDS) + r")\(\s*self\s*,\s*(?:input|inputs|x)\s*,\s*\w*grad"
                          r"|def (" + "|".join(LRB.BACKWARDS) + r")\(\s*self\s*(,\s*\w+\s*)?\)\s*:"
                          r"|class \w*(?i:loss|entropy|mse|mae|bce|cce|nll|squarederror|absoluteerror)\w*\s*[(:]"
                          r"|class (?i:(?:activation_?)?(?:" + "|".join(sorted(AR.NAMES)) + r"))\s*[(:]"
                          r"|[^\n]*self\.(?:learning_rate|lr|eta|learn_rate|lrate)\b(?!\s*=[^=])"
                          r"|[^\n]*self\.(?:d|grad_?|grads\[)\w*\s*(?:\+?=|\])"
                          r"|class (" + "|".join(sorted(LAYER_CLASSES | set(OPT_CLASSES) | MODEL_CLASSES | NNFS_CLASSES))
                          + r")\b)", re.M)


# "Deep Learning from Scratch 2"'s other class names (Embedding, RNN, LSTM...) are common in torch code
# too: a file defining one is imported only when it keeps self.grads
# the names another style's adapter checks (their backward(dout) leaves dW: not lr_backward's "grads" form)
# the styles whose layers, losses and optimizers are checked as objects (lr_backward.py, loss_class.py,
# model_optimizer.py): "mytorch" is CMU 11-785's, the same checks under its own name
OBJECTS = ("auto", "lr-backward", "mytorch")
BOOK_CLASSES = LAYER_CLASSES | set(OPT_CLASSES) | MODEL_CLASSES | NNFS_CLASSES
KNOWN_CLASSES = BOOK_CLASSES | set(LIST_KINDS)
LIST_CLASS = re.compile(r"^\s*class (" + "|".join(sorted(LIST_KINDS)) + r")\b", re.M)


@dataclass
class Target:
    name: str                  # as written in the user's file
    kind: str                  # component kind (adapters.kind_of), "optimizer" for rules and optimizer classes
    style: str                 # "cs231n", "textbook", "textbook2" (the second book's params/grads lists),
    #                            "nnfs", "d2l", "coursera", "nielsen", "lr_backward" (backward(grad, learning_rate)),
    #                            "classifier" or "model"
    obj: object                # (forward, backward), a function, or a class
    where: str = ""


@dataclass
class Outcome:
    target: Target
    verdict: str               # PASS, FAIL, CONVENTION; UNBUILT (moved to the skipped list by scan())
    convention: dict = field(default_factory=dict)
    report: Report = None
    refused: list = field(default_factory=list)   # samples its own assert refused (CheckResults)


# ----------------------------------------------------------------- importing the user's code
@contextlib.contextmanager
def user_code(paths, timeout=0):
    """Import every candidate file under ``paths`` as it would run (``from common.util import im2col``
    works); yields ``(modules, skipped)`` and restores sys.path and sys.modules afterwards. A file whose
    import takes longer than ``timeout`` seconds (a default argument that sleeps, a download at import)
    is skipped as not imported."""
    saved_path, saved_modules = list(sys.path), dict(sys.modules)
    saved_numpy = _saved_spaces()
    roots = []
    modules, skipped, files = [], [], []
    for path in paths:
        if not os.path.exists(path):
            raise UsageError(f"no such file or folder: {path}")
    for path in paths:
        for f in _python_files(os.path.abspath(path), skipped):
            try:
                text = open(f, encoding="utf-8", errors="replace").read()
            except OSError as e:
                skipped.append((f, f"cannot read: {e}"))
                continue
            if LOOKS_USEFUL.search(text) or LIST_CLASS.search(text) and "self.grads" in text:
                files.append(f)
    try:
        with definitions_only(files):
            for f in files:
                with _quiet(f, "imported", skipped):
                    try:
                        with _deadline(timeout, f):
                            modules.append(_import(f, roots, skipped))
                    except TookTooLong:             # between the import's end and the timer's
                        skipped.append((f, f"could not import: did not finish within {timeout:g} s (--timeout)"))
                _restore_numpy(saved_numpy, f, skipped)
            for f in files:             # what each file's script part (its training loop, its main()) left out
                plan = PLANS.get(os.path.normcase(f))
                if plan is not None and plan.start:
                    skipped.append((f, plan.summary()))
            yield [m for m in modules if m is not None], skipped
    finally:
        # what the user's files imported from the folders put on sys.path goes too (the book's
        # ``common`` package beside ch05/), or the next scan of another copy would get this one;
        # installed packages stay (an extension module cannot be loaded twice)
        added = [os.path.abspath(p) for p in sys.path if p not in saved_path]
        sys.path[:] = saved_path
        for name, mod in list(sys.modules.items()):
            if name not in saved_modules and (_inside(mod, roots) or (_inside(mod, added) and not _installed(mod))):
                del sys.modules[name]
        sys.modules.update(saved_modules)


NUMPY_SPACES = (np, np.random, np.linalg)
# torch's too: a file that replaces torch.relu (or F.relu, Tensor.relu) would change the references
TORCH_SPACES = (torch, torch.nn, torch.nn.functional, torch.Tensor)


def _saved_spaces():
    """What the user's code may change that every later check reads: NumPy's and torch's functions,
    np.seterr, the warnings filters, torch's grad mode and default dtype, the recursion limit."""
    saved = {space: dict(vars(space)) for space in NUMPY_SPACES + TORCH_SPACES}
    saved["errors"], saved["warnings"] = np.geterr(), list(warnings.filters)
    saved["grad"], saved["default_dtype"] = torch.is_grad_enabled(), torch.get_default_dtype()
    saved["recursion"] = sys.getrecursionlimit()
    return saved


@contextlib.contextmanager
def _quiet(name, when, notes):
    """What the user's code prints (a debugging print in forward, run on every sample) is kept out of
    the scan's report; a note says how much there was and how it began."""
    import io
    with contextlib.redirect_stdout(io.StringIO()) as out:
        yield
    lines = out.getvalue().splitlines()
    if lines:
        notes.append((name, f"printed {len(lines)} line{'s' * (len(lines) > 1)} when {when}, not shown "
                            f"(the first: {lines[0][:80]!r})"))


def _own(space, value, was=None):
    """Whether ``value``, found in NumPy's or torch's namespace ``space`` in place of ``was``, is the
    library's own doing (torch rebinds ``torch.manual_seed`` to a wrapped one at its first optimizer),
    not the user's: the library's, and the same name (``torch.relu = torch.sigmoid`` is the user's)."""
    mine = getattr(space, "__module__", None) if isinstance(space, type) else space.__name__
    home = getattr(value, "__module__", None) or ""
    same = was is None or getattr(value, "__name__", None) == getattr(was, "__name__", None)
    return value is not None and same and home.split(".")[0] == (mine or "").split(".")[0]


def _restore_numpy(saved, path, skipped, when="imported"):
    """A file that replaces NumPy's own functions when imported (``nnfs.init()`` swaps np.dot,
    np.zeros, np.eye and np.random.randn for float32-forcing ones), or torch's (the references), would
    change every check that follows, its own and everyone else's: the originals are put back and the
    file (or the component, ``when`` "checked") is named. So are np.seterr, the warnings filters,
    torch's grad mode and default dtype and the recursion limit."""
    replaced = []
    for space, before in saved.items():
        if isinstance(space, str):
            continue
        for k, v in before.items():
            if vars(space).get(k) is not v and not _own(space, vars(space).get(k), v):
                setattr(space, k, v)
                replaced.append(f"{space.__name__}.{k}")
        if isinstance(space, type):                 # Tensor.relu = ...: a method set on the class shadows the C one
            for k in [k for k in vars(space) if k not in before and not _own(space, vars(space)[k])]:
                delattr(space, k)
                replaced.append(f"{space.__name__}.{k}")
    if replaced:
        nnfs = " (nnfs.init() does)" if any(r.startswith("numpy") for r in replaced) else ""
        skipped.append((path, f"replaced {', '.join(sorted(replaced))} when {when}{nnfs}; the originals were put "
                              f"back, so every component is checked with NumPy's own" + (
                                  " and torch's own references" if not nnfs else "")))
    # np.seterr(all="raise") or warnings.simplefilter("error") would turn the checks' own warnings
    # (torch's, NumPy's in the reference) into errors: put back as well
    changed = []
    if np.geterr() != saved["errors"]:
        np.seterr(**saved["errors"])
        changed.append("np.seterr")
    if warnings.filters != saved["warnings"]:
        warnings.filters[:] = saved["warnings"]
        getattr(warnings, "_filters_mutated", lambda: None)()
        changed.append("the warnings filters")
    if torch.is_grad_enabled() != saved["grad"]:
        torch.set_grad_enabled(saved["grad"])
        changed.append("torch's grad mode")
    if torch.get_default_dtype() != saved["default_dtype"]:
        torch.set_default_dtype(saved["default_dtype"])
        changed.append("torch's default dtype")
    if sys.getrecursionlimit() != saved["recursion"]:
        sys.setrecursionlimit(saved["recursion"])
        changed.append("the recursion limit")
    if changed:
        skipped.append((path, f"changed {' and '.join(changed)} when {when}; put back for the "
                              + ("checks" if when == "imported" else "components after it")))


def _python_files(path, skipped):
    if os.path.isfile(path):
        return [path]
    if os.path.exists(path) and not os.path.isdir(path):   # a FIFO or a device: reading it could block forever
        skipped.append((path, "not a regular file: not read"))
        return []
    out = []

    def unreadable(e):                              # a folder os.walk cannot list: say so, never pass over it
        skipped.append((e.filename, f"cannot read: {e.strerror}"))
    for d, dirs, files in os.walk(path, onerror=unreadable):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x not in SKIP_DIRS and "venv" not in x)
        for f in sorted(files):
            if f.endswith(".py") and not f.startswith(("test_", "setup", "conftest")):
                full = os.path.join(d, f)
                if os.path.isfile(full):
                    out.append(full)
                else:                               # a FIFO named like a module would block the read
                    skipped.append((full, "not a regular file: not read"))
    return out


def _installed(mod):
    f = getattr(mod, "__file__", None) or ""
    return "site-packages" in f or "dist-packages" in f


def _inside(mod, roots):
    """Whether ``mod`` (a file or a package folder) is one of the user's folders or inside one."""
    files = [getattr(mod, "__file__", None)] + list(getattr(mod, "__path__", []) or [])
    return any(f and (os.path.abspath(f) == r or os.path.abspath(f).startswith(r + os.sep))
               for f in files for r in roots)


def _import(path, roots, skipped):
    import importlib
    folder = os.path.dirname(path)
    package, stem = os.path.basename(folder), os.path.splitext(os.path.basename(path))[0]
    # inside packages (folders with __init__.py), the full dotted name from the outermost one, so
    # relative imports (cs231n/classifiers/fc_net.py: ``from ..layers import *``) work as they run
    chain, base = [], folder
    while os.path.isfile(os.path.join(base, "__init__.py")) and os.path.basename(base).isidentifier():
        chain.insert(0, os.path.basename(base))
        base = os.path.dirname(base)
    if len(chain) < 2:
        chain, base = [package], os.path.dirname(folder)
    for p in (folder, base):
        if p not in sys.path:
            sys.path.insert(0, p)
    for d in [folder] + [os.path.join(base, *chain[:i + 1]) for i in range(len(chain))]:
        if d not in roots:                  # only the user's folders are taken out of sys.modules afterwards
            roots.append(d)
    own = os.path.join(base, chain[0]) if len(chain) > 1 else folder
    name = ".".join(chain + [stem]) if chain[0].isidentifier() and stem != "__init__" else stem
    top = name.split(".")[0]
    mod = sys.modules.get(top)
    if mod is not None and not _inside(mod, [own]):          # a different module of that name: out of the way
        for k in [k for k in sys.modules if k == top or k.startswith(top + ".")]:
            del sys.modules[k]
    try:
        return importlib.import_module(name)
    except ImportError as e:
        # a file named like its folder (two_layer_net/two_layer_net.py): the file, found on sys.path,
        # wins the name over the folder (a namespace package) and is already imported as itself
        same = sys.modules.get(top)
        if same is not None and os.path.abspath(getattr(same, "__file__", "") or "") == os.path.abspath(path):
            return same
        missing = getattr(e, "name", None) if isinstance(e, ModuleNotFoundError) else None
        if missing and missing.split(".")[0] not in (top, stem) and not os.path.exists(
                os.path.join(base, *missing.split(".")[:1])):
            # a module it needs that is not installed (numba): said as such, not as what importing the file
            # on its own would raise after it (a relative import with no parent package)
            skipped.append((path, f"could not import: {type(e).__name__}: {e}"))
            return None
        # a folder named like a standard module (code/, test/): the standard one wins the package
        # name, so the file is imported on its own, its folder first on sys.path
        if name == stem or not isinstance(sys.modules.get(top), type(sys)) or _inside(sys.modules[top], [folder]):
            skipped.append((path, f"could not import: {type(e).__name__}: {e}"))
            return None
        sys.path.insert(0, folder)
        for k in [k for k in sys.modules if (k == stem or k.startswith(stem + "."))
                  and not _inside(sys.modules[k], [folder])]:
            del sys.modules[k]                      # another file's module of that name: out of the way
        try:
            return importlib.import_module(stem)
        except BaseException as e2:  # noqa: BLE001 -- as below
            if isinstance(e2, (KeyboardInterrupt, TookTooLong)):
                raise
            skipped.append((path, f"could not import: {type(e2).__name__}: {e2}"))
            return None
    except BaseException as e:  # noqa: BLE001 -- the user's file failed to import: report it, go on
        if isinstance(e, (KeyboardInterrupt, TookTooLong)):
            raise
        skipped.append((path, f"could not import: {type(e).__name__}: {e}"))
        return None


# ----------------------------------------------------------------- finding components
def discover(modules, style="auto", only=None):
    """``(targets, skipped)``: recognised components and ``(name, reason)`` for what looks like one but is not."""
    seen, targets, skipped = set(), [], []
    pairs = LRB.function_pairs([vars(m) for m in modules]) if style in OBJECTS else []
    for mod in modules:
        for name, obj in sorted(vars(mod).items()):
            if getattr(obj, "__module__", None) != mod.__name__ or id(obj) in seen:
                continue
            seen.add(id(obj))
            where = os.path.relpath(getattr(mod, "__file__", "") or "")
            found = CS.recognise(name, obj, vars(mod)) if inspect.isfunction(obj) and style in ("auto", "coursera") \
                else None
            if inspect.isfunction(obj) and style == "auto" and DN.recognise(name, vars(mod)):
                # Brownlee's lists of neuron dicts: forward_propagate, backward_propagate_error, update_weights
                targets.append(Target(name, "network", "dict_network", dict(vars(mod)), where))
            elif inspect.isfunction(obj) and style == "auto" and DN.checked_through(name, vars(mod)):
                continue
            elif inspect.isfunction(obj) and style == "auto" and BZ.recognise(name, vars(mod)):
                # Denny Britz's build_model / calculate_loss over the module's X, y, epsilon, reg_lambda
                targets.append(Target(name, "network" if name == "build_model" else "loss", "britz", dict(vars(mod)),
                                      where))
            elif found and (why := _nested_layout(obj)):
                skipped.append((name, why))                 # nnlib's parameters["W"][l]
            elif found:                                   # the Deep Learning Specialization's, by its argument names
                targets.append(Target(name, found[0], "coursera", found[1], where))
            elif inspect.isfunction(obj) and style in ("auto", "coursera") and CS.checked_through(name, vars(mod)):
                continue                                # a backward checked with its forward, a helper through it
            elif inspect.isfunction(obj) and style in ("auto", "coursera") and \
                    (why := CS.unchecked(name, obj, vars(mod)) or CS.misnamed(name, obj, vars(mod))):
                skipped.append((name, why))             # the notebooks' loops, a set-up function renamed
            elif inspect.isfunction(obj) and style in ("auto", "d2l") and (why := _d2l_rule(name, obj)):
                skipped.append((name, why))
            elif inspect.isfunction(obj) and name in FO.UNCHECKED and style in ("auto", "d2l"):
                skipped.append((name, FO.UNCHECKED[name]))
            elif inspect.isfunction(obj) and style == "auto" and (ng := NG.recognise(name, obj)):
                # Andrew Ng's Machine Learning course: costFunction(theta, X, y) -> (J, grad), nnCostFunction...
                if ng in ("cost", "nn_cost"):
                    targets.append(Target(name, ng, "ng_ml", obj, where))
                else:
                    skipped.append((name, ng))
            elif inspect.isfunction(obj) and (key := FO.entry(name, obj)):
                # the textbook's common/functions.py (sigmoid, softmax, cross_entropy_error...) too
                if style not in ("auto", "d2l", "textbook") and not (style == "coursera" and key in FO.COURSERA) \
                        and not (style == "nielsen" and key in ("sigmoid", "sigmoid_prime")) \
                        and not (style == "lr-backward" and key in FO.LR_BACKWARD):
                    continue
                if FO.on_tensors(obj):
                    skipped.append((name, "written for torch tensors (it calls torch; d2l's PyTorch edition), "
                                          "not NumPy arrays: parity scan checks NumPy code"))
                elif why := LRB.by_run_skip(obj):
                    skipped.append((name, why))
                elif FO.takes(key, obj):
                    targets.append(Target(name, key, "d2l", LRB.plain_results(obj), where))    # DeZero's: .data
                else:
                    who = "the Deep Learning Specialization's" if key in FO.COURSERA - {"relu", "sigmoid"} else \
                        "an activation's derivative," if key in FO.EITHER_FORM else "d2l's"
                    skipped.append((name, f"named like {who} {key}(x), but it takes ({', '.join(FO.arguments(obj))})"
                                    if key in FO.EITHER_FORM else
                                    f"named like {who} {key} but it takes ({', '.join(FO.arguments(obj))})"))
            elif inspect.isfunction(obj) and style in ("auto", "cs231n"):
                _function(name, obj, vars(mod), targets, skipped, where)
            elif inspect.isclass(obj) and style == "auto" and RA.recognise(obj):
                # Tariq Rashid's "Make Your Own Neural Network": train(inputs_list, targets_list), query
                targets.append(Target(name, "network", "rashid", obj, where))
            elif inspect.isclass(obj) and style in ("auto", "nielsen") and NI.recognise(obj):
                # "Neural Networks and Deep Learning": feedforward(a), backprop(x, y) on column vectors
                if why := NI.unlike(obj):
                    skipped.append((name, why))
                else:
                    targets.append(Target(name, "network", "nielsen", (obj, dict(vars(mod))), where))
            elif inspect.isclass(obj) and style in OBJECTS and LRB.by_run(obj):
                # "Deep Learning from Scratch 3" (DeZero)'s Function: y = f(x) keeps self.inputs, f.backward(gy)
                found, why = LRB.by_run_targets(name, obj, modules)
                targets.extend(Target(label, kind, "lr_backward", (make, how), where) for label, kind, make, how in found)
                if why:
                    skipped.append((name, why))
            elif inspect.isclass(obj) and style in OBJECTS and (names := LRB.namespace(obj)):
                # a namespace of functions, its methods called on the class (neowise's Tanh.forward(x))
                found, why = LRB.namespace_target(name, obj, names)
                targets.extend(Target(label, kind, "lr_backward", (make, how), where) for label, kind, make, how in found)
                if why:
                    skipped.append((name, why))
            elif inspect.isclass(obj) and style in OBJECTS and \
                    (names := LRB.methods(obj, known=style == "auto" and (name in BOOK_CLASSES or (
                        name in LIST_KINDS and _keeps_lists(obj))))):
                # backward(output_gradient, learning_rate) updating the weights itself (The Independent Code,
                # Omar Aflak, Victor Zhou), or leaving its gradients in dicts (joelnet) or in dW, gradW...
                if why := LRB.unlike(name, names, obj):
                    skipped.append((name, why))
                elif not LRB.is_base(obj, names) and not LRB.abstract(obj, names, modules):
                    found, why = LRB.targets(name, obj, names, pairs)
                    targets.extend(Target(label, kind, "lr_backward", (make, names), where) for label, kind, make in found)
                    if why and not (not found and LRB.subclassed(obj, modules)):
                        skipped.append((name, why))     # Activation(f, f_prime) under Tanh(Activation): checked there
            elif inspect.isclass(obj) and style in OBJECTS and MO.recognise(obj):
                # SGD(model, lr, momentum).step() over model.layers' W and dLdW (11-785's MyTorch)
                if why := MO.unlike(name, obj):
                    skipped.append((name, why))
                else:
                    targets.append(Target(name, "optimizer", "model_optimizer", obj, where))
            elif inspect.isclass(obj) and style in ("auto", "nnfs") and _nnfs_combined(name, obj) and \
                    name not in NNFS_CLASSES:       # the book's combined class, spelled otherwise (ronet's)
                _nnfs_class(name, obj, targets, skipped, where, book="Activation_Softmax_Loss_CategoricalCrossentropy")
            elif inspect.isclass(obj) and style in OBJECTS and name not in KNOWN_CLASSES and \
                    (names := LC.methods(obj)):
                # forward(prediction, target) and backward() (11-785's MSELoss, CrossEntropyLoss) or
                # backward(prediction, target) (joelnet's MSE loss/grad)
                if LRB.is_base(obj, names):
                    continue                        # ML-From-Scratch's Loss: loss and gradient not written
                if why := LC.unlike(name, obj):
                    skipped.append((name, why))
                else:
                    targets.append(Target(name, LC.kind(name), "loss_class", (obj, names), where))
            elif inspect.isclass(obj) and style == "mytorch" and callable(getattr(obj, "forward", None)) and \
                    callable(getattr(obj, "backward", None)):
                skipped.append((name, unrecognised(name, obj)))  # said under its own style too (RNNCell, CTCLoss)
            elif inspect.isclass(obj) and style in ("auto", "cs231n") and (kind := _linear_classifier(name, obj)):
                targets.append(Target(f"{name}.loss", kind, "classifier",
                                      _classifier_loss(obj), where))
            elif inspect.isclass(obj) and name in NNFS_CLASSES:
                if style in ("auto", "nnfs"):
                    _nnfs_class(name, obj, targets, skipped, where)
            elif inspect.isclass(obj) and style in OBJECTS + ("textbook",) and WO.recognise(name, obj):
                # update(w, grad) returning the next weight, one copy per weight (ML-From-Scratch's)
                targets.append(Target(name, WO.kind(name), "weight_update", obj, where))
            elif inspect.isclass(obj) and style in OBJECTS + ("textbook",) and LO.recognise(name, obj):
                # Adam/SGD with update(layer) on layer.weights/dweights (the blogs', beside their Dense)
                targets.append(Target(name, "optimizer", "layer_update", obj, where))
            elif inspect.isclass(obj) and (style in ("auto", "textbook") or name in MODEL_CLASSES or (
                    style == "lr-backward" and name in OPT_CLASSES)):   # update(params, grads) beside such layers
                _class(name, obj, targets, skipped, where)      # networks are classes in both styles
    if style in OBJECTS:                            # what looks like a component is checked or listed, never silent
        said = {t.name.split("(")[0].split(".")[0] for t in targets} | {n for n, _ in skipped}
        for mod in modules:
            for name, obj in sorted(vars(mod).items()):
                if inspect.isclass(obj) and getattr(obj, "__module__", None) == mod.__name__ and name not in said \
                        and (why := _unchecked_form(name, obj, modules)):
                    skipped.append((name, why))
                    said.add(name)
    if only:
        pats = [p.strip().lower() for p in only.split(",") if p.strip()]
        targets = [t for t in targets if any(p in t.name.lower() for p in pats)]
    return targets, skipped


FORWARD_LIKE = LRB.FORWARDS + ("__call__", "fn", "call", "loss", "compute_loss")
BACKWARD_LIKE = LRB.BACKWARDS + ("gradient", "grad", "deriv", "compute_derivative")
OPTIMIZER_NAME = re.compile(r"(sgd|adam|rmsprop|adagrad|adadelta|momentum|nesterov|optimi[sz]er|gradientdescent)", re.I)


def _unchecked_form(name, cls, modules=()):
    """Why a class that looks like a layer, an activation, a loss or an optimizer, and that no style took,
    is not checked (ML-From-Scratch's ``forward_pass``/``backward_pass`` layers, ``__call__``/``gradient``
    activations, ``update(w, grad_wrt_w)`` optimizers), or None."""
    def own(names):
        return [m for m in names if callable(getattr(cls, m, None)) and m in {k for c in cls.__mro__[:-1]
                                                                             for k in vars(c)}]
    fwd, back = own(FORWARD_LIKE), own(BACKWARD_LIKE)
    if fwd and back:
        if LRB.is_base(cls, (fwd[0], back[0])) or LRB.abstract(cls, (fwd[0], back[0]), modules):
            return None                             # a base class: its subclasses are what is checked
        takes = [LC._required(LC._method(cls, m)) or [] for m in (fwd[0], back[0])]
        if len(takes[0]) == 2 and len(takes[1]) in (0, 2):     # (prediction, target): a loss of a kind not known
            return LC.unlike(name, cls) or LC.unlike("Unknown", cls)
        return (f"has {fwd[0]}() and {back[0]}(): not a form parity scan checks (it drives forward(x) with "
                "backward(grad), the books' and courses' own forms, and the losses and optimizers described in "
                "the README)")
    grads = [m for m in sorted({k for c in cls.__mro__[:-1] for k in vars(c)}) if callable(getattr(cls, m, None))
             and not m.startswith("__") and re.search(r"grad|deriv|prime|backward", m, re.I)]
    if not fwd and grads and LC.kind(name):         # sinnn's CrossEntropy.loss_gradient(z, y): no loss value
        return (f"a loss class with {', '.join(m + '()' for m in grads)} but no loss value (forward, loss, __call__): "
                "parity scan checks a loss class's value and its gradient together")
    update = own(("update", "step", "update_params", "apply_gradients") + WO.UPDATES[1:])
    if update and OPTIMIZER_NAME.search(name) and not LRB._not_written(getattr(cls, update[0])):
        try:
            args = ", ".join(list(inspect.signature(getattr(cls, update[0])).parameters)[1:])
        except (TypeError, ValueError):
            args = "..."
        return (f"an optimizer whose {update[0]}({args}) parity scan does not drive (it drives the books' "
                "update(params, grads), update(layer) on layer.weights/dweights, and step() over a model's layers)")
    drives = own(("fit", "train", "predict", "feedforward", "forward", "backprop", "backward", "query"))
    if NETWORK_NAME.search(name) and drives:
        return (f"a network with {', '.join(m + '()' for m in drives)}: not one parity scan drives (it drives the "
                "classic networks' loss(X, y) -> (loss, grads), Nielsen's backprop(x, y), Rashid's train/query); "
                "its layers and functions are checked where they are defined")
    return None


# a class name that says network (NeuralNetMLP, MultiLayerPerceptron, ConvNet, MyNetwork)
NETWORK_NAME = re.compile(r"(Net|Network|MLP|Perceptron)(?![a-z])")


def _function(name, fn, namespace, targets, skipped, where):
    n_args = len(inspect.signature(fn).parameters)
    m = re.fullmatch(r"(\w+?)_forward(\w*)", name)
    if m:
        kind = kind_of(m.group(1))
        backs = [b for b in (f"{m.group(1)}_backward{m.group(2)}", f"{m.group(1)}_backward{m.group(2)}_alt")
                 if inspect.isfunction(namespace.get(b))]
        if kind is None:
            skipped.append((name, "not a component parity scan knows (checks: affine, relu, leaky_relu, sigmoid, "
                                  "tanh, batchnorm, spatial_batchnorm, layernorm, spatial_groupnorm, dropout, conv, "
                                  "max_pool, avg_pool, affine_relu, affine_bn_relu, conv_relu, conv_relu_pool, rnn_step, rnn, "
                                  "lstm_step, lstm, word_embedding, temporal_affine, and torch's activations "
                                  f"{', '.join(k for k in AR.KINDS if k != 'prelu')})"))
        elif not backs:
            skipped.append((name, f"no {m.group(1)}_backward{m.group(2)} beside it"))
        elif other := _not_dout_cache(namespace[backs[0]]):
            # zeronet's relu_forward(x) -> out, relu_backward(x, dout) -> {'x': dx}
            skipped.append((name, f"its backward takes ({', '.join(other)}), the forward's inputs and the output "
                                  f"gradient, not cs231n's (dout, cache): a {name} without a cache is not the form "
                                  "parity scan drives"))
            backs = []
        for b in backs if kind else ():
            label = name if b.endswith(m.group(2)) and not b.endswith("_alt") else f"{name}+{b}"
            targets.append(Target(label, kind, "cs231n", (fn, namespace[b]), where))
    elif re.fullmatch(r"temporal_softmax_loss(_\w+)?", name):     # cs231n's assignment 3: f(x, y, mask)
        if len([p for p in inspect.signature(fn).parameters.values() if p.default is p.empty]) == 3:
            targets.append(Target(name, "temporal_softmax_loss", "cs231n", fn, where))
        else:
            skipped.append((name, "named like cs231n's temporal_softmax_loss but it does not take (x, y, mask)"))
    elif re.fullmatch(r"(svm|softmax)_loss(_\w+)?", name):
        _loss(name, fn, targets, skipped, where)
    elif name in RULES:
        sig = list(inspect.signature(fn).parameters.values())
        params = [p.name for p in sig]
        cs231n = n_args in (2, 3) and params[1].lower() not in ("lr", "learning_rate", "eta", "states") and \
            (n_args == 2 or params[2] == "config" or sig[2].default is None)
        if cs231n:
            targets.append(Target(name, "optimizer", "cs231n", fn, where))     # cs231n: rule(w, dw, config=None)
        else:                                       # d2l's sgd(params, lr, batch_size) is another thing
            skipped.append((name, f"named like an update rule but its signature ({', '.join(params)}) is not "
                                  f"cs231n's {name}(w, dw, config=None)"))


NESTED = re.compile(r"""\[\s*["'](W|b|dW|db)["']\s*\]\s*\[""")


def _nested_layout(fn):
    """Why a function named like the course's keeps its parameters as ``parameters["W"][l]`` (a dict per
    kind, by layer: nnlib's), not the course's ``W1, b1, ...``, or None."""
    try:
        src = inspect.getsource(fn)
    except (OSError, TypeError):
        return None
    if not NESTED.search(src):
        return None
    return ("parameters kept as parameters['W'][l], parameters['b'][l] (a dict per kind, by layer), not the course's "
            "W1, b1, ... W{L}, b{L}: not the layout parity scan checks")


def _not_dout_cache(fn):
    """The arguments of a ``*_backward`` that takes the forward's inputs first and no cache (zeronet's
    ``linear_backward(x, weights, dout)``), or None for cs231n's ``(dout, cache)``."""
    try:
        args = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    if len(args) >= 2 and "cache" not in args and not LRB._gradient_name(args[0]) and LRB._gradient_name(args[-1]):
        return args
    return None


def _linear_classifier(name, cls):
    """cs231n assignment 1's ``LinearSVM`` / ``Softmax``: ``loss(X_batch, y_batch, reg)`` of ``self.W``
    (D, C). Returns the kind to check it as, or None."""
    kind = {"LinearSVM": "linear_svm", "Softmax": "linear_softmax"}.get(name)
    loss = getattr(cls, "loss", None)
    if kind is None or not callable(loss):
        return None
    try:
        args = list(inspect.signature(loss).parameters)
    except (TypeError, ValueError):
        return None
    return kind if len(args) == 4 and args[3] == "reg" else None


def _classifier_loss(cls):
    """``f(W, X, y, reg)`` from a classifier class: a fresh instance holding ``W``, its ``loss``."""
    def loss(W, X, y, reg):
        model = cls()
        model.W = W
        return model.loss(X, y, reg)
    loss.__name__ = f"{cls.__name__}.loss"
    return loss


D2L_RULES = {"sgd", "sgd_momentum", "adagrad", "rmsprop", "adadelta", "adam"}


def _d2l_rule(name, fn):
    """Why d2l's update rules (``sgd(params, lr, batch_size)``, ``adam(params, states, hyperparams)``...)
    are not checked, or None when ``fn`` is not one."""
    try:
        args = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    if name not in D2L_RULES or not args or args[0] != "params" or len(args) < 3:
        return None
    return (f"d2l's {name}({', '.join(args)}): an update of a list of params in place, with states of its own; "
            "parity scan checks cs231n's rule(w, dw, config) and the books' optimizer classes, not this form")


def _loss(name, fn, targets, skipped, where):
    """cs231n's two loss styles: ``svm_loss(x, y)`` on scores (assignment 2's layers) and
    ``svm_loss_naive(W, X, y, reg)`` of a linear classifier (assignment 1), with any suffix."""
    kind = name.split("_loss")[0] + "_loss"
    params = [p for p in inspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY,
                                                                                   p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in params if p.default is p.empty]
    if len(params) >= 4 and len(required) <= 4:
        targets.append(Target(name, "linear_" + kind[:-len("_loss")], "classifier", fn, where))
    elif len(required) <= 2 <= len(params):
        targets.append(Target(name, kind, "cs231n", fn, where))
    else:
        skipped.append((name, f"named like a loss but its signature ({', '.join(p.name for p in params)}) is "
                              f"neither {kind}(x, y) on scores nor {kind}(W, X, y, reg) of a linear classifier"))


def _class(name, cls, targets, skipped, where):
    if name in OPT_CLASSES and hasattr(cls, "update"):
        why = _not_the_books_update(name, cls)
        if why:
            skipped.append((name, why))
        else:
            targets.append(Target(name, "optimizer", "textbook", cls, where))
    elif name in LIST_KINDS and _keeps_lists(cls) and hasattr(cls, "forward") and hasattr(cls, "backward"):
        why = _unfillable(name, cls, LIST_KINDS[name])
        if why:
            skipped.append((name, why))
        else:
            targets.append(Target(name, LIST_KINDS[name], "textbook2", cls, where))
    elif name in MODEL_CLASSES and callable(getattr(cls, "loss", None)):
        targets.append(Target(name, "model", "model", cls, where))
    elif name in LAYER_CLASSES and hasattr(cls, "forward") and hasattr(cls, "backward"):
        why = _unfillable(name, cls, kind_of(name) or name.lower()) or _not_the_books(name, cls)
        if why and (found := _as_object(name, cls)):
            # not the book's constructor, but a layer object of its own (a blog's BatchNormalization(n_features)
            # keeping gamma, beta and dgamma): checked as one
            targets.extend(Target(label, kind, "lr_backward", (make, names), where) for label, kind, make, names in found)
        elif why:
            skipped.append((name, why))
        else:
            targets.append(Target(name, kind_of(name) or name.lower(), "textbook", cls, where))
    elif _keeps_lists(cls) and hasattr(cls, "forward") and hasattr(cls, "backward"):
        skipped.append((name, "a layer or network of \"Deep Learning from Scratch 2\" (params and grads as lists) "
                              f"parity scan does not recognise by name (it checks {', '.join(sorted(LIST_KINDS))})"))
    elif hasattr(cls, "forward") and hasattr(cls, "backward"):
        skipped.append((name, unrecognised(name, cls)))
    elif name == "LinearClassifier" and callable(getattr(cls, "train", None)):
        pass                                        # cs231n's base of LinearSVM and Softmax: their loss is checked
    elif callable(getattr(cls, "loss", None)) and (callable(getattr(cls, "gradient", None))
                                                   or callable(getattr(cls, "predict", None))):
        skipped.append((name, f"a network parity scan does not recognise by name (it checks "
                              f"{', '.join(sorted(MODEL_CLASSES))}; its layers are checked where they are defined)"))
    elif issubclass(cls, torch.nn.Module):
        skipped.append((name, "a torch nn.Module: parity scan checks NumPy code"))
    elif (name in LAYER_CLASSES or name in LIST_KINDS or kind_of(name)) and not name.endswith("Base"):
        methods = [m for m in ("forward_pass", "backward_pass", "__call__", "gradient", "grad", "fn")
                   if callable(vars(cls).get(m))]
        missing = [m for m in ("forward", "backward") if not callable(getattr(cls, m, None))]
        skipped.append((name, f"named like a layer, but it has no {'() and '.join(missing)}()"
                              + (f" (it has {', '.join(methods)}: not a style parity scan knows)" if methods else "")))


LABELS = {"y", "y_true", "targets", "target", "labels", "label", "y_onehot", "t", "y_batch"}


def unrecognised(name, cls=None):
    """Why a class with forward and backward is not checked."""
    try:
        args = list(inspect.signature(cls.backward).parameters)[1:] if cls is not None else []
    except (TypeError, ValueError):
        args = []
    if len(args) >= 2 and LABELS & {a.lower() for a in args}:
        return (f"a network whose backward takes the labels (backward({', '.join(args)})): parity scan drives the "
                "networks of the styles it knows (cs231n's, the books', Nielsen's, the course's); the functions "
                "and layers beside it are checked where they are written")
    if re.search(r"ctc", name, re.I):
        return "a CTC loss (forward(logits, target, input_lengths, target_lengths)): not checked by parity scan"
    if LRB.NOT_ARRAYS.search(name):
        return ("a recurrent cell or layer (its forward takes the input and a hidden state, or a sequence): parity "
                "scan checks cs231n's rnn/lstm pairs and the second book's RNN and LSTM, not this form")
    return "a layer class parity scan does not recognise by name"


def _not_the_books_update(name, cls):
    """Why an optimizer class named like the book's is not checked (its ``update`` takes something else
    than the book's ``update(params, grads)``: ML-From-Scratch's ``update(w, grad_wrt_w)``, numpy-ml's
    ``update(param, param_grad, param_name)``), or None."""
    try:
        args = [p for p in inspect.signature(cls.update).parameters.values()][1:]
    except (TypeError, ValueError):
        return None
    required = [p.name for p in args if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) == 2 and required[0].lower().startswith("param") and required[1].lower().startswith("grad"):
        return None
    return (f"named like the book's {name}, but its update takes ({', '.join(p.name for p in args)}), not the book's "
            f"update(params, grads) on dicts or lists: parity scan does not know how to drive it")


# the arrays the book's layers are built with (``Affine(W, b)``, ``BatchNormalization(gamma, beta)``)
BOOK_ARRAYS = {"Affine": ("W", "b"), "Convolution": ("W", "b"), "BatchNormalization": ("gamma", "beta")}


def _not_the_books(name, cls):
    """Why a class named like one of the book's layers that are built from arrays is not the book's (a
    Keras-like ``BatchNormalization(momentum=0.99, epsilon=1e-3)`` making its gamma at the first
    forward), or None."""
    try:
        params = set(list(inspect.signature(cls.__init__).parameters)[1:])
    except (TypeError, ValueError):
        return None
    if name in BOOK_ARRAYS and not set(BOOK_ARRAYS[name]) <= params:
        return f"named like the book's {name}, but not built from {', '.join(BOOK_ARRAYS[name])}"
    return None


def _as_object(name, cls):
    """``[(label, kind, make, names)]`` for a class named like a book's layer that the object checks can
    build and drive (``lr_backward.py``), else []."""
    names = LRB.methods(cls)
    if not names or LRB.unlike(name, names, cls) or LRB.is_base(cls, names):
        return []
    return [(label, kind, make, names) for label, kind, make in LRB.targets(name, cls, names, [])[0]]


def _unfillable(name, cls, kind):
    """Why a layer class named like the book's cannot be built from any sample (a constructor argument
    no sample has: numpy-ml's ``Dropout(wrapped_layer, p)``), or None."""
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    known = set()
    for _, shape, spec, flags in S.SPECS.get(kind, ()):
        known |= set(S.values_for(kind, shape, spec, flags, np.random.default_rng(0), "float64")[1])
    missing = [p.name for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               and S.lookup(dict.fromkeys(known, 0), p.name) is KeyError]
    if not missing:
        return None
    return (f"named like the book's {name}, but its constructor takes ({', '.join(p.name for p in params)}): "
            f"parity scan has no value for {', '.join(repr(m) for m in missing)}")


def _keeps_lists(cls):
    """Whether a class keeps ``self.params`` and ``self.grads`` ("Deep Learning from Scratch 2"), from its source."""
    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return False
    return bool(re.search(r"self\.params\b", src) and re.search(r"self\.grads\b", src))


def _list_states(target, values):
    """The states a "Deep Learning from Scratch 2" recurrent layer takes besides x: a step's forward
    arguments after x (``h_prev``, ``c_prev``), a Time layer's first hidden state (``set_state(h0)``)."""
    if target.kind in ("rnn", "lstm"):
        return [values["h0"].copy()]
    if target.kind not in ("rnn_step", "lstm_step"):
        return []
    names = list(inspect.signature(target.obj.forward).parameters)[2:]
    canonical = recurrent.ARGUMENTS[target.kind]
    out = []
    for i, n in enumerate(names):
        v = S.lookup(values, n)
        v = S.lookup(values, canonical[i]) if v is KeyError and i < len(canonical) else v
        if v is KeyError:
            raise LookupError(f"argument '{n}' of {target.name}.forward is not one parity scan can fill")
        out.append(v.copy())
    return out


def _nnfs_class(name, cls, targets, skipped, where, book=None):
    """``book``: the book's name of a class named otherwise."""
    book = book or name
    need = "update_params" if book in NNFS_OPTIMIZERS else "backward"
    if not callable(getattr(cls, need, None)):
        skipped.append((name, f"named like the book's {book} but it has no {need}()"))
    elif book in NNFS_OPTIMIZERS:
        targets.append(Target(name, "optimizer", "nnfs", cls, where))
    else:
        targets.append(Target(name, NNFS_LAYERS.get(book) or NNFS_LOSSES[book], "nnfs", cls, where))
    # the losses' common base ``Loss`` defines regularization_loss (chapter 14 on): checked once, by its owner
    owner = next((c for c in cls.__mro__ if callable(vars(c).get("regularization_loss"))), None)
    label = owner and f"{owner.__name__}.regularization_loss"
    if owner and book in NNFS_LOSSES and not any(t.name == label and t.obj is owner for t in targets):
        targets.append(Target(label, "regularization_loss", "nnfs", owner, where))


# ----------------------------------------------------------------- checking one component
_seed = S.seed_for            # the one per-sample seed, shared with the registry


def _build(target, values):
    """The user's component built from a sample's values (FunctionPair args or a class instance)."""
    if target.style == "cs231n" and not isinstance(target.obj, tuple):
        return None                                  # a loss function: nothing to build
    if target.style == "cs231n":
        fwd = target.obj[0]
        args, canonical = {}, recurrent.ARGUMENTS.get(target.kind, ())
        for i, p in enumerate(list(inspect.signature(fwd).parameters.values())[1:]):
            if p.name.endswith("_param"):
                args[p.name] = S.config_for(p.name, values)
            else:
                v = S.lookup(values, p.name)
                if v is KeyError and i < len(canonical):    # assignment 3's arrays by position: h_init is h0
                    v = S.lookup(values, canonical[i])
                if v is KeyError:
                    if p.default is inspect.Parameter.empty:
                        raise LookupError(f"argument '{p.name}' of {fwd.__name__} is not one parity scan can fill")
                    if target.kind in AR.KINDS and isinstance(p.default, (int, float)):
                        args[p.name] = p.default    # an activation's own default (alpha=0.5): torch's reference takes it
                    continue
                args[p.name] = v.copy() if isinstance(v, np.ndarray) else v
        return args
    kwargs = {}
    for p in list(inspect.signature(target.obj.__init__).parameters.values())[1:]:
        v = S.lookup(values, p.name) if target.style != "nnfs" else S.nnfs_argument(values, p.name)
        if v is KeyError:
            if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise LookupError(f"constructor argument '{p.name}' of {target.name} is not one parity scan can fill")
            continue
        kwargs[p.name] = v.copy() if isinstance(v, np.ndarray) else v
    built = target.obj(**kwargs)
    if target.style == "nnfs":                       # its weights are drawn in __init__: the sample's instead
        for attr, key in (("weights", "W"), ("biases", "b")):
            if hasattr(built, attr) and key in values:
                setattr(built, attr, values[key].reshape(np.shape(getattr(built, attr))).copy())
    return built


def _arguments(target):
    """The names its forward (a function pair) or constructor (a class) takes."""
    fn = target.obj[0] if isinstance(target.obj, tuple) else getattr(target.obj, "__init__", target.obj)
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def check_target(target, dtypes, cv, seed=0):
    """One ``Report`` over every sample and dtype of ``target`` under the conventions ``cv``."""
    report = Report()
    if target.style == "coursera":
        return CS.check(target.name, target.obj, target.kind, dtypes, cv, seed)
    if target.style == "d2l":
        return FO.check(target.obj, target.kind, dtypes, cv, seed, label=target.name)
    if target.style == "ng_ml":
        return NG.check(target.name, target.obj, target.kind, seed=seed)
    if target.style == "nielsen":
        return NI.check(target.name, *target.obj, seed=seed)
    if target.style == "rashid":
        return RA.check(target.name, target.obj, seed=seed)
    if target.style == "model_optimizer":
        return MO.check(target.name, target.obj, seed=seed)
    if target.style == "loss_class":
        return LC.check(target.name, *target.obj, target.kind, seed=seed, cv=cv)
    if target.style == "britz":
        return BZ.check(target.name, target.obj, seed=seed)
    if target.style == "dict_network":
        return DN.check(target.name, target.obj, seed=seed)
    if target.style == "weight_update":
        return WO.check(target.name, target.obj, dtypes, _seed(seed, target.name),
                        lambda label, dtype, note: _error(target, f"{OPT_STEPS} steps", dtype, seed, np.zeros(()), note),
                        cv)
    if target.style == "layer_update":
        return LO.check(target.name, target.obj, dtypes, _seed(seed, target.name),
                        lambda label, dtype, note: _error(target, f"{OPT_STEPS} steps", dtype, seed, np.zeros(()), note))
    if target.style == "lr_backward":
        return LRB.check(target.name, target.kind, *target.obj, seed=seed, cv=cv)
    if target.kind == "optimizer" and target.style == "nnfs":
        return _check_nnfs_optimizer(target, dtypes, cv, seed)
    if target.kind == "regularization_loss":
        return _check_nnfs_regularization(target, dtypes, seed)
    if target.kind == "optimizer":
        for dtype in dtypes:
            torch_cls, init, hyper = (RULES if target.style == "cs231n" else OPT_CLASSES)[target.name]
            if target.style == "cs231n":
                opt, config = target.obj, dict(init)
            else:
                params = inspect.signature(target.obj.__init__).parameters
                takes_any = any(p.kind == p.VAR_KEYWORD for p in params.values())   # SGD(*args, **kwargs) (npdl)
                try:
                    try:
                        opt = target.obj(**{k: v for k, v in init.items() if k in params or takes_any})
                    except TypeError:
                        if not takes_any:
                            raise               # its own arguments, named: what it raised is said
                        # **kwargs handed to a base that takes fewer: the rate alone, then its defaults
                        opt = _build_any(target.obj, init)
                    config = None
                except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's constructor
                    report.extend(Report([_error(target, f"{OPT_STEPS} steps", dtype, seed, np.zeros(()),
                                                 f"building it raised {type(e).__name__}: {e}{where(e)}")]))
                    continue
                # its own hyperparameters where it keeps them (npdl's Adam: epsilon 1e-8, not the book's 1e-7)
                hyper = {**hyper, **LO.kept(WO.kind(target.name) or "sgd", opt)}
            report.extend(check_optimizer(opt, torch_cls, hyper, hints=False, config=config, steps=OPT_STEPS,
                                          dtype=dtype, seed=_seed(seed, target.name), name=target.name,
                                          conventions=_applicable(cv, torch_cls)))
        return report
    if target.style == "classifier":
        return _check_classifier(target, dtypes, cv, seed)
    if target.style == "model":
        return _check_model(target, cv, seed)
    for sample, shape, spec, flags in S.SPECS[target.kind]:
        if flags.get("style") and flags["style"] != target.style:
            continue                                # a sample of one style's own input (the book's 4-D BN)
        if target.style in ("nnfs", "textbook2") and target.kind == "affine" and len(shape) > 2:
            continue                                # np.dot(inputs, weights): (N, D) input only
        if flags.get("takes") and flags["takes"] not in _arguments(target):
            continue                                # a sample for the components that take this argument
        for dtype in dtypes:
            s = _seed(seed, target.name, sample)
            rng = np.random.default_rng(s)
            x, values = S.values_for(target.kind, shape, spec, flags, rng, dtype)
            fd = flags.get("fd", True) and dtype == "float64"
            common = dict(kind=target.kind, name=target.name, conventions=cv, hints=False, seed=s, sample=sample,
                          finite_differences=fd)
            try:
                built = _build(target, values)
            except LookupError as e:
                report.extend(Report([_error(target, sample, dtype, s, x, str(e))]))
                continue
            except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's constructor raised (or exited)
                report.extend(Report([_error(target, sample, dtype, s, x,
                                             f"building it raised {type(e).__name__}: {e}{where(e)}")]))
                continue
            if target.kind == "temporal_softmax_loss":
                y, mask = S.labels_for(target.kind, shape, flags, rng, dtype), values["mask"]

                def user(x, y, fn=target.obj, mask=mask):
                    return fn(x, y, mask.copy())
                user.__name__ = target.name
                report.extend(check_component(user, x, y=y, module=recurrent.temporal_softmax_loss(mask), **common))
            elif target.style == "nnfs" and target.kind in NNFS_LOSSES.values():
                y = S.labels_for(target.kind, shape, flags, rng, dtype)
                report.extend(check_component(_nnfs_loss(target), x, y=y,
                                              module=torch_loss(target.kind, cv, y), **common))
            elif target.style == "nnfs":
                hyper = {"p": values["p"]} if target.kind == "dropout" else None   # its `rate` keeps 1 - p
                report.extend(check_component(built, x, hyper=hyper, **common))
            elif target.kind in ("softmax_loss", "svm_loss", "sigmoid_loss", "time_softmax_loss"):
                y = S.labels_for(target.kind, shape, flags, rng, dtype)
                if flags.get("one_hot") and target.style == "cs231n":
                    continue
                fn = built if target.style in ("textbook", "textbook2") else target.obj
                report.extend(check_component(fn, x, y=y, **common))
            elif target.style == "textbook2":
                if target.kind == "softmax" and flags.get("large"):
                    # near one-hot outputs: out * (dout - sum(out * dout)) cancels terms of size |dout| down to
                    # a gradient of ~1e-4, so its rounding is a few eps of |dout| (~1), not of the gradient
                    base = tolerance_for(dtype, "grad_input")
                    common["tolerances"] = {("grad_input", dtype): Tolerance(
                        base.rtol, base.scale, 16 * float(np.finfo(dtype).eps))}
                try:
                    states = _list_states(target, values)
                except LookupError as e:
                    report.extend(Report([_error(target, sample, dtype, s, x, str(e))]))
                    continue
                report.extend(check_component(built, x, *states, **common))
            elif target.style == "cs231n":
                if target.kind == "affine_bn_relu":     # the bias feeding BatchNorm: 0 but for rounding, which
                    base = tolerance_for(dtype, "grad_param")   # is measured against the batch it is summed over
                    common["tolerances"] = {("grad_param:b", dtype): Tolerance(
                        base.rtol, base.scale, 100 * float(np.finfo(dtype).eps) * len(x))}
                report.extend(check_component(target.obj, x, arguments=built, **common))
            else:
                report.extend(check_component(built, x, **common))
    return report


def _nnfs_loss(target):
    """``(loss, dx) = user(x, y)`` from a loss class of "Neural Networks from Scratch": the mean of its
    per-sample ``forward(y_pred, y_true)`` and the ``self.dinputs`` of ``backward(y_pred, y_true)``.
    The softmax-and-loss class's backward takes the softmax of the scores (its forward's output;
    the final version of the class has no forward, and then only its gradient is its own)."""
    cls = target.obj

    def user(x, y):
        obj = cls()
        if target.kind == "softmax_loss":
            if callable(getattr(obj, "forward", None)):
                loss, probs = obj.forward(x, y), obj.output
                loss = loss if loss is None else np.mean(loss)     # the losses of each sample (ronet's): their mean
            else:
                e = np.exp(x - x.max(axis=1, keepdims=True))
                probs = e / e.sum(axis=1, keepdims=True)
                labels = y.argmax(axis=1) if np.ndim(y) == 2 else y
                loss = -np.mean(np.log(probs[np.arange(len(x)), labels]))
            return loss, LRB._kept(obj, LRB.DINPUTS, lambda: obj.backward(probs, y))
        loss = np.mean(obj.forward(x, y))
        return loss, LRB._kept(obj, LRB.DINPUTS, lambda: obj.backward(x, y))
    user.__name__ = target.name
    return user


def _check_nnfs_optimizer(target, dtypes, cv, seed):
    """Each of its configurations (plain SGD, with momentum, with decay), 20 steps against torch, state included."""
    report = Report()
    params = inspect.signature(target.obj.__init__).parameters
    for torch_cls, init, hyper in NNFS_OPTIMIZERS[target.name]:
        extra = {k: v for k, v in init.items() if k in ("momentum", "decay")}
        label = target.name + (f"({', '.join(f'{k}={v}' for k, v in extra.items())})" if extra else "")
        if any(k not in params for k in extra):
            continue                                # an early chapter's SGD, without momentum or decay
        decay = (lambda i, d=extra["decay"]: 1.0 / (1.0 + d * i)) if "decay" in extra else None
        for dtype in dtypes:
            try:
                opt = target.obj(**{k: v for k, v in init.items() if k in params})
            except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's constructor
                report.extend(Report([_error(target, f"{OPT_STEPS} steps", dtype, seed, np.zeros(()),
                                             f"building it raised {type(e).__name__}: {e}{where(e)}")]))
                continue
            found = check_optimizer(opt, torch_cls, hyper, hints=False, steps=OPT_STEPS, dtype=dtype,
                                    seed=_seed(seed, label), name=label, lr_factor=decay,
                                    conventions=_applicable(cv, torch_cls))
            if decay and not found.passed and not OC.hook(opt, "pre_update"):
                for r in found.failures:
                    add_note(r, "decay never applied: it has no pre_update_params() (nor another pre_update... "
                                "method of no arguments), where the book sets current_learning_rate before each step")
            report.extend(found)
    return report


# (sample, the four coefficients of each of two layers: weight L1, weight L2, bias L1, bias L2)
REGULARIZERS = [("two layers, each of the four", [(1e-2, 2e-2, 3e-2, 4e-2), (5e-3, 6e-3, 7e-3, 8e-3)]),
                ("weight L2 only, one layer without", [(0, 5e-4, 0, 0), (0, 0, 0, 0)])]


class _RegularizedLayer:
    """A layer as "Neural Networks from Scratch"'s Layer_Dense keeps its parameters and penalties."""


def _check_nnfs_regularization(target, dtypes, seed):
    """``Loss.regularization_loss`` ("Neural Networks from Scratch" chapter 14 on): the sum over the
    layers of ``l1 * sum|W| + l2 * sum(W**2)`` and the same for the biases, against torch. It takes
    a layer (chapters 14-18; called once per layer) or reads ``self.trainable_layers`` (chapter 19 on)."""
    from .api import _Checks
    try:
        takes = [p for p in inspect.signature(target.obj.regularization_loss).parameters.values()
                 if p.name != "self" and p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        takes = []
    per_layer = len(takes) == 1
    report = Report()
    for sample, coefficients in REGULARIZERS:
        for dtype in dtypes:
            s = _seed(seed, target.name, sample)
            rng = np.random.default_rng(s)
            c = _Checks(None, component=target.name, dtype=dtype, sample=sample, shape=(5, 4), seed=s)
            layers, expected = [], torch.zeros((), dtype=torch.float64)
            for i, (l1w, l2w, l1b, l2b) in enumerate(coefficients):
                layer = _RegularizedLayer()
                layer.weights = rng.standard_normal((5 - i, 4 - i)).astype(dtype)
                layer.biases = rng.standard_normal((1, 4 - i)).astype(dtype)
                layer.weight_regularizer_l1, layer.weight_regularizer_l2 = l1w, l2w
                layer.bias_regularizer_l1, layer.bias_regularizer_l2 = l1b, l2b
                w, b = torch.from_numpy(layer.weights).double(), torch.from_numpy(layer.biases).double()
                expected = expected + l1w * w.abs().sum() + l2w * (w * w).sum() + l1b * b.abs().sum() \
                    + l2b * (b * b).sum()
                layers.append(layer)
            before = [(layer.weights.copy(), layer.biases.copy()) for layer in layers]
            try:
                loss = target.obj()
                if per_layer:
                    value = sum(loss.regularization_loss(layer) for layer in layers)
                else:
                    if callable(getattr(loss, "remember_trainable_layers", None)):
                        loss.remember_trainable_layers(layers)
                    else:
                        loss.trainable_layers = layers
                    value = loss.regularization_loss()
            except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's code
                c.crashed(e)
                report.extend(c.report())
                continue
            try:
                value = None if value is None else np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                c.fail("value", f"returned {type(value).__name__} {str(value)[:60]!r}, not a number")
            else:
                c.add("value", value, expected.numpy())
            for layer, (w, b) in zip(layers, before):
                c.unchanged("a layer's weights", w, layer.weights)
                c.unchanged("a layer's biases", b, layer.biases)
            report.extend(c.report())
    return report


def _check_classifier(target, dtypes, cv, seed):
    """``loss, dW = f(W, X, y, reg)`` checked as a loss of W: torch's loss of the scores ``X @ W`` plus
    ``reg * sum(W**2)`` (``0.5 * reg`` under ``reg=half``), its value and dW, and dW by finite differences."""
    from .compare import failed
    report = Report()
    base = target.kind[len("linear_"):] + "_loss"
    scale = 0.5 if cv.get("reg") == "half" else 1.0
    for sample, shape, spec, flags in S.SPECS[target.kind]:
        for dtype in dtypes:
            s = _seed(seed, target.name, sample)
            rng = np.random.default_rng(s)
            W, values = S.values_for(target.kind, shape, spec, flags, rng, dtype)
            X, reg = values["X"], values["reg"]
            y = S.labels_for(target.kind, (len(X), shape[1]), flags, rng, dtype)
            before, Xt, data_loss = X.copy(), torch.from_numpy(X), torch_loss(base, cv)

            def user(w, labels, X=X, reg=reg):
                return target.obj(w, X, labels, reg)

            def reference(wt, labels, Xt=Xt, reg=reg):
                return data_loss(Xt @ wt, labels) + scale * reg * (wt * wt).sum()
            report.extend(check_component(user, W, y=y, kind=base, name=target.name, conventions=cv,
                                          module=reference, hints=False, seed=s, sample=sample,
                                          finite_differences=flags.get("fd", True) and dtype == "float64",
                                          x_name="the weights W"))
            if not np.array_equal(before, X, equal_nan=True):
                report.extend(Report([failed("the data X was modified in place", component=target.name,
                                             check="no_mutation", dtype=dtype, sample=sample, shape=tuple(W.shape),
                                             seed=s)]))
    return report


# (sample, N, D, hidden sizes, C, reg): the constructor gets the first hidden size, or all of them
# where it takes a list (hidden_dims, hidden_size_list)
MODEL_SAMPLES = [("N=7 D=6 H=5 C=4 reg 0", 7, 6, [5, 4], 4, 0.0),
                 ("N=9 D=5 H=6 C=3 reg 0.2", 9, 5, [6, 3], 3, 0.2)]
# cs231n's ThreeLayerConvNet: D is input_dim (C, H, W); 4 filters of 3x3 (F, K)
CONV_SAMPLES = [("N=3 (3,8,6) F=4 K=3 H=7 C=4 reg 0", 3, (3, 8, 6), [7], 4, 0.0),
                ("N=4 (2,6,6) F=4 K=3 H=5 C=3 reg 0.2", 4, (2, 6, 6), [5], 3, 0.2)]
# the book's SimpleConvNet: square input (it computes one side), conv_param with pad 0 and pad 1
BOOK_CONV_SAMPLES = [("N=3 (1,8,8) F=4 K=3 pad 0 H=7 C=4", 3, (1, 8, 8), [7], 4, 0.0, 0),
                     ("N=4 (2,6,6) F=4 K=3 pad 1 H=5 C=3", 4, (2, 6, 6), [5], 3, 0.0, 1)]
MODEL_ARGS = {"input_dim": "D", "input_size": "D", "hidden_dim": "H", "hidden_size": "H", "hidden_dims": "Hs",
              "hidden_size_list": "Hs", "num_classes": "C", "output_size": "C", "output_dim": "C",
              "weight_scale": 0.1, "std": 0.1, "weight_init_std": 0.1, "reg": "reg", "weight_decay_lambda": "reg",
              "dtype": np.float64, "seed": "seed", "activation": "relu", "num_filters": "F", "filter_size": "K",
              "conv_param": "conv"}


# cs231n's CaptioningRNN: (sample, cell_type, N, T, D, wordvec W, H, vocabulary V)
CAPTION_SAMPLES = [("rnn N=3 T=6 D=5 W=4 H=6 V=8, padded captions", "rnn", 3, 6, 5, 4, 6, 8),
                   ("lstm N=3 T=5 D=4 W=3 H=4 V=7, padded captions", "lstm", 3, 5, 4, 3, 4, 7),
                   ("rnn N=2 T=2 D=3 W=2 H=3 V=5, one word", "rnn", 2, 2, 3, 2, 3, 5)]
CAPTION_ARGS = {"input_dim": "D", "wordvec_dim": "W", "hidden_dim": "H", "cell_type": "cell", "dtype": "dtype",
                "word_to_idx": "words"}


def _replace_weights(params, rng):
    """The sample's weights written into the network's own arrays (its layers may hold references)."""
    for k, v in sorted(params.items()):
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            fan_in = v.shape[0] if v.ndim == 2 else int(np.prod(v.shape[1:]))
            v[...] = rng.standard_normal(v.shape) * (1 / np.sqrt(fan_in) if v.ndim > 1 else 0.3) \
                + k.startswith("gamma")


def _check_captioning(target, seed):
    """cs231n's CaptioningRNN built with each sample's sizes (an LSTM sample when it takes cell_type),
    its weights replaced by the sample's, checked by ``model_check.check_captioning`` in float64."""
    from .compare import failed
    from .model_check import check_captioning
    report = Report()
    params = inspect.signature(target.obj.__init__).parameters
    for sample, cell, n, t, d, w, h, v in CAPTION_SAMPLES:
        if cell == "lstm" and "cell_type" not in params:
            continue
        s = _seed(seed, target.name, sample)
        rng = np.random.default_rng(s)
        words = {"<NULL>": 0, "<START>": 1, "<END>": 2, **{f"w{i}": i for i in range(3, v)}}
        values = {"D": d, "W": w, "H": h, "cell": cell, "dtype": np.float64, "words": words}
        features = rng.standard_normal((n, d))
        meta = dict(component=target.name, dtype="float64", sample=sample, shape=features.shape, seed=s)
        missing = [p.name for p in list(params.values())[1:] if p.name not in CAPTION_ARGS
                   and p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if missing:
            report.extend(Report([failed(f"constructor argument '{missing[0]}' of {target.name} is not one parity "
                                         f"scan can fill (it fills {', '.join(sorted(CAPTION_ARGS))})", check="error",
                                         **meta)]))
            continue
        kwargs = {k: values[a] for k, a in CAPTION_ARGS.items() if k in params}
        try:
            model = target.obj(**kwargs)
        except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's constructor
            report.extend(Report([failed(f"building it raised {type(e).__name__}: {e}{where(e)}", check="error",
                                         **meta)]))
            continue
        _replace_weights(getattr(model, "params", None) or {}, rng)
        # <START>, words and <END>, then <NULL> padding of a random length (the first row unpadded)
        captions = np.zeros((n, t), dtype=np.int64)
        captions[:, 0] = 1
        captions[:, 1:] = rng.integers(2, v, (n, t - 1))
        for i in range(1, n):
            captions[i, 1 + rng.integers(1, t):] = 0
        report.extend(check_captioning(model, features, captions, seed=s, component=target.name, sample=sample))
    return report


def _check_model(target, cv, seed):
    """A network built with each sample's sizes (its own weights replaced, in place, by the sample's),
    checked by ``model_check.check_model`` in float64."""
    from .compare import failed
    from .model_check import check_model
    if target.name == "CaptioningRNN":
        return _check_captioning(target, seed)
    report = Report()
    params = inspect.signature(target.obj.__init__).parameters
    if target.name == "SimpleConvNet":
        samples = [(*row[:-1], None) for row in BOOK_CONV_SAMPLES]
    else:
        samples = [(*row, None) for row in (CONV_SAMPLES if target.name == "ThreeLayerConvNet" else MODEL_SAMPLES)]
    pads = {row[0]: row[-1] for row in BOOK_CONV_SAMPLES}
    # cs231n's FullyConnectedNet(normalization=...) (use_batchnorm=True before 2019): once more with each
    norms = ("batchnorm", "layernorm") if "normalization" in params else ("batchnorm",) if "use_batchnorm" in params \
        else ()
    samples += [(f"{MODEL_SAMPLES[1][0]} {norm}", *MODEL_SAMPLES[1][1:], norm) for norm in norms]
    for sample, n, d, hs, c, reg, norm in samples:
        s = _seed(seed, target.name, sample)
        rng = np.random.default_rng(s)
        sizes = {"D": d, "H": hs[0], "Hs": list(hs), "C": c, "reg": reg, "seed": s, "F": 4, "K": 3,
                 "conv": {"filter_num": 4, "filter_size": 3, "pad": pads.get(sample, 0), "stride": 1}}
        kwargs, missing = {}, None
        for p in list(params.values())[1:]:
            v = MODEL_ARGS.get(p.name, KeyError)
            if v is KeyError:
                if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                    missing = p.name
                continue
            kwargs[p.name] = sizes[v] if isinstance(v, str) and v in sizes else v
        if norm:
            kwargs["normalization" if "normalization" in params else "use_batchnorm"] = \
                norm if "normalization" in params else True
        built_reg = any(MODEL_ARGS[k] == "reg" for k in kwargs)
        takes_reg = "reg" in inspect.signature(target.obj.loss).parameters
        x = rng.standard_normal((n,) + (d if isinstance(d, tuple) else (d,)))
        meta = dict(component=target.name, dtype="float64", sample=sample, shape=x.shape, seed=s)
        if missing:
            report.extend(Report([failed(f"constructor argument '{missing}' of {target.name} is not one parity scan "
                                         f"can fill (it fills {', '.join(sorted(MODEL_ARGS))})", check="error", **meta)]))
            continue
        try:
            model = target.obj(**kwargs)
        except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's constructor
            report.extend(Report([failed(f"building it raised {type(e).__name__}: {e}{where(e)}", check="error",
                                         **meta)]))
            continue
        if isinstance(getattr(model, "params", None), dict):
            _replace_weights(model.params, rng)
        y = rng.integers(0, c, n)
        report.extend(check_model(model, x, y, reg=reg if built_reg or takes_reg else 0.0, conventions=cv, seed=s,
                                  component=target.name, sample=sample, norm=norm))
    return report


def _applicable(cv, torch_cls):
    return {k: v for k, v in cv.items() if k not in ("adam_eps", "adam_t") or torch_cls is T.Adam}


def _build_any(cls, init):
    """An optimizer whose constructor passes ``**kwargs`` on to a base taking fewer: with the rate alone,
    else with nothing."""
    rate = {k: v for k, v in init.items() if k in ("lr", "learning_rate")}
    try:
        return cls(**rate)
    except TypeError:
        return cls()


def _error(target, sample, dtype, seed, x, note):
    from .compare import failed
    return failed(note, component=target.name, check="error", dtype=dtype, sample=sample, shape=tuple(x.shape),
                  seed=seed)


def judge(target, dtypes, declared, seed=0):
    """The verdict: PASS; CONVENTION when one undeclared known convention (or, failing that, a pair of
    them: cs231n's dropout keeps p and draws a float64 mask) makes it pass; else FAIL."""
    report = check_target(target, dtypes, declared, seed)
    report, refused = _refusals(report)
    outcome = _judge(target, dtypes, declared, seed, report)
    outcome.refused = refused
    return outcome


NOT_ARRAY = re.compile(r"'numpy\.ndarray' object has no attribute '(\w+)'")


def _takes_own_type(target, report):
    """The autograd class (a micrograd-like ``Tensor`` beside it, with ``backward`` and arithmetic of its
    own) that a function takes instead of NumPy arrays, when every failure is it calling a method of
    that class on the array it was given (``logits.log_softmax()``); else None."""
    fn = target.obj if inspect.isfunction(target.obj) else None
    if fn is None or not report.failures or not all(NOT_ARRAY.search(r.note) for r in report.failures):
        return None
    method = NOT_ARRAY.search(report.failures[0].note).group(1)
    engines = [v for v in getattr(fn, "__globals__", {}).values() if inspect.isclass(v) and callable(
        getattr(v, "backward", None)) and any(m in vars(v) for m in ("__mul__", "__matmul__", "__add__"))
        and hasattr(v, method)]                     # x.maximum(0) on an array is the user's slip, not a Tensor's
    return f"{engines[0].__name__} (it calls .{method}() on what it is given)" if engines else None


def _refusals(report):
    """``(report, refused)``: the samples the component refused with its own assert before anything
    ran (cs231n's max_pool_forward_reshape: square windows that tile the input only) are taken out
    of the verdict and listed, unless it refused them all (then nothing was checked: they fail)."""
    refused = [r for r in report.results if r.extra.get("refused")]
    kept = [r for r in report.results if not r.extra.get("refused")]
    if not refused or not kept:
        return report, []
    return Report(kept), refused


def _judge(target, dtypes, declared, seed, report):
    if report.passed:
        return Outcome(target, "PASS", {}, report)
    if all(UNBUILT in r.note or NOT_RUN in r.note for r in report.failures):     # it cannot run here: no convention will help
        return Outcome(target, "UNBUILT", {}, report)
    if (engine := _takes_own_type(target, report)):
        return Outcome(target, "OTHER_TYPE", {"engine": engine}, report)
    objects = target.style in ("lr_backward", "loss_class", "ng_ml", "model_optimizer", "layer_update", "weight_update",
                               "dict_network", "britz")
    if objects and not _object_conventions(target):
        return Outcome(target, "FAIL", {}, report)  # checked as objects: no convention applies (a rerun would repeat it)
    kind = "adam" if target.kind == "optimizer" and target.name.lower() == "adam" else target.kind
    # an optimizer's own kind's conventions too (an RMSprop's sqrt_eps), beside the update rules' (velocity)
    also = WO.kind(target.name) if target.kind == "optimizer" and not objects else None

    def candidates(base):
        found = conv.candidates(kind, base)
        return found + [o for o in (conv.candidates(also, base) if also else []) if o not in found]
    # a convention declared for the whole scan that this component does not follow (cs231n's linear
    # classifiers take reg * sum(W**2), its networks 0.5 * reg): torch's own behaviour always passes
    mine = [k for k in declared if k in dict(candidates({}))]
    bases = [(declared, report)]
    for drop in [[k] for k in mine] + ([mine] if len(mine) > 1 else []):
        base = {n: v for n, v in declared.items() if n not in drop}
        retry = _refusals(check_target(target, dtypes, base, seed))[0]
        if retry.passed:
            return Outcome(target, "PASS", {}, retry)
        bases.append((base, retry))
    # an undeclared convention (or a pair), on top of what was declared or of what is left of it
    # once the declared ones this component does not follow are dropped (a naive linear SVM: reg
    # declared half for the networks, and its dW made with np.zeros in float64)
    best = (0, {}, report)
    # a layer object is offered compute=float32 only where it was seen computing in float32 (a float32
    # output for float64 input): code that merely names float32 (a dtype guard) keeps its float64 verdict
    seen32 = any(r.check == "compute" for r in report.failures)
    for base, base_report in bases:
        options = [o for o in candidates(base) if _may_follow(target, o)
                   and (not objects or o[0] in _object_conventions(target))
                   and not (o[0] == "compute" and target.style == "lr_backward" and not seen32)]
        pairs = [dict([a, b]) for i, a in enumerate(options) for b in options[i + 1:] if a[0] != b[0]]
        for extra in [dict([o]) for o in options] + pairs:
            retry = _refusals(check_target(target, dtypes, {**base, **extra}, seed))[0]
            if retry.passed:
                return Outcome(target, "CONVENTION", extra, retry)
            n = _explained(report, retry)          # against what was declared: dropping one must not add failures
            if n > best[0] and len(extra) == 1:
                best = (n, extra, retry)
    return Outcome(target, "FAIL", best[1], best[2])


# the conventions the object checks read (norm_object.py, dropout_object.py), by kind
OBJECT_CONVENTIONS = {"batchnorm": ("running_var",), "dropout": ("dropout", "dropout_p"),
                      "mse": ("mse_scale", "loss_reduction"), "mae": ("loss_reduction",),
                      "cross_entropy": ("loss_reduction", "xent_grad"),
                      "binary_cross_entropy": ("loss_reduction",), **WO.CONVENTIONS}


def _object_conventions(target):
    """The conventions an object check of ``target`` reads: its kind's, and for a layer checked as an object
    ``compute=float32`` (a layer computing in float32 whatever it is given)."""
    return OBJECT_CONVENTIONS.get(target.kind, ()) + (("compute",) if target.style == "lr_backward" else ())


def _may_follow(target, option):
    """Whether ``target`` can follow the convention ``option`` at all. Classic dropout leaves the
    training output unscaled and multiplies by the keep probability in eval: a dropout class whose
    forward has no eval mode (nnfs's chapters 14-17, ``forward(inputs)``) would never scale, so an
    unscaled mask there is a bug, not that convention."""
    if option == ("dropout", "classic") and inspect.isclass(target.obj):
        try:
            args = list(inspect.signature(target.obj.forward).parameters)[1:]
        except (TypeError, ValueError, AttributeError):
            return True
        return len(args) > 1
    return True


def _explained(report, retry):
    """How many failed checks of ``report`` a convention's ``retry`` passes (ran and passed, not
    dropped), when it fails nothing that passed before: the failures left are the ones to read."""
    def key(r):
        return r.check, r.sample, r.dtype
    failed, still = {key(r) for r in report.failures}, {key(r) for r in retry.failures}
    if not still <= failed:
        return 0
    # a check whose dtype failed beside a value that passed (one key, two results) is explained only
    # when nothing under that key fails any more
    return len((failed - still) & {key(r) for r in retry.results if r.passed})


# ----------------------------------------------------------------- the command
MAX_TIMEOUT = 1e6                 # seconds; the timer takes no more (11 days is no limit in practice)


class TookTooLong(BaseException):
    """Raised inside the user's code when a component's checks pass their time limit: a BaseException,
    so that no check's ``except Exception`` takes it for a failed sample and goes on to the next."""


@contextlib.contextmanager
def _deadline(seconds, what="the import"):
    """``TookTooLong`` after ``seconds`` (a SIGALRM timer: the main thread of a POSIX process only;
    elsewhere, or with 0, no limit), raised again every second after that: code that catches it (a
    bare ``except:`` in a loop) is given ``GRACE`` more seconds, then the process ends with status 1
    and one line naming ``what``, rather than a gate that never ends."""
    import signal
    import threading
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = []

    def expired(signum, frame):
        fired.append(1)
        if len(fired) > GRACE:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout.flush()
            print(f"parity: {what} did not stop within {seconds:g} s nor {GRACE} s after: its code catches the "
                  "timeout (a bare except: in a loop?); the command cannot go on", file=sys.stderr, flush=True)
            _REAL_EXIT(1)
        raise TookTooLong(seconds)
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


GRACE = 5      # seconds past --timeout that code catching the timeout is given before the scan ends


def _unreadable(target, exc):
    """A FAIL for a component whose check could not finish (what it returned could not be read), so
    the other components keep their verdicts."""
    from .compare import failed
    note = (f"the check could not finish: {type(exc).__name__}: {exc}{where(exc)} (what it returned cannot be "
            "read as numbers of the expected shape?)")
    return Outcome(target, "FAIL", {}, Report([failed(note, component=target.name, check="error")]))


def _timed_out(target, exc, seconds):
    from .compare import failed
    note = f"did not finish within {seconds:g} s (--timeout){where(exc)}: a loop that never ends?"
    return Outcome(target, "FAIL", {}, Report([failed(note, component=target.name, check="timeout")]))


_SCAN_PID = []           # the process running the scan (a forked child must still exit for real)


def _no_hard_exit(status=0):
    """``os._exit`` while scan runs the user's code: raised like ``sys.exit``, so the component that
    calls it fails with where it was, instead of the process ending with status ``status``. In a
    child the user's code forked (multiprocessing ends its children with os._exit), it exits."""
    if _SCAN_PID and os.getpid() != _SCAN_PID[-1]:
        _REAL_EXIT(status)
    raise SystemExit(f"os._exit({status}) called: it would end the scan with no verdict")


_REAL_EXIT = os._exit


def scan(paths, style="auto", only=None, dtypes=("float64", "float32"), conventions=None, seed=0, timeout=60.0):
    """``(outcomes, skipped)`` for every recognised component under ``paths``; a component whose checks
    take longer than ``timeout`` seconds (0: no limit) fails with where it was."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout <= MAX_TIMEOUT:
        raise ValueError(f"scan: timeout must be a number of seconds in [0, {MAX_TIMEOUT:g}] (0: no limit), "
                         f"got {timeout!r}")
    declared = conv.parse(conventions or {})
    state = np.random.get_state()
    import random
    py_state, torch_state = random.getstate(), torch.random.get_rng_state()     # the user's code may seed them
    real_exit, cwd = os._exit, os.getcwd()     # user code may chdir: --json rep.json is written where asked
    _SCAN_PID.append(os.getpid())
    os._exit = _no_hard_exit                # user code that ends the process would end the gate with status 0
    try:
        with user_code(paths, timeout) as (modules, skipped):
            targets, not_recognised = discover(modules, style, only)
            outcomes = []
            for t in targets:
                saved = _saved_spaces()
                with _quiet(t.name, "checked", not_recognised):
                    try:   # the user's overflow warnings (a softmax without the max shift) are in its verdict
                        with _deadline(timeout, t.name), np.errstate(all="ignore"), warnings.catch_warnings():
                            warnings.simplefilter("ignore", RuntimeWarning)
                            outcomes.append(judge(t, dtypes, declared, seed))
                    except TookTooLong as e:
                        outcomes.append(_timed_out(t, e, timeout))
                    except Exception as e:  # noqa: BLE001 -- what the user's code returned broke a check: its verdict, not the scan's end
                        outcomes.append(_unreadable(t, e))
                _restore_numpy(saved, t.name, not_recognised, "checked")     # for the components after it
    finally:
        np.random.set_state(state)
        random.setstate(py_state)
        torch.random.set_rng_state(torch_state)
        os._exit = real_exit
        _SCAN_PID.pop()
        if os.getcwd() != cwd:
            os.chdir(cwd)
    # what cannot run here (a name its file imports inside try/except, and that import failed) was
    # never checked: listed like a file that fails to import, which fails the scan unless allowed
    unbuilt = [(o.target.name, ("could not run what it needs: " if NOT_RUN in o.report.failures[0].note else
                                "could not import what it needs: ") + o.report.failures[0].note.split("); ", 1)[-1])
               for o in outcomes if o.verdict == "UNBUILT"]
    own = [(o.target.name, f"takes objects of its autograd class {o.convention['engine']}, not NumPy arrays: "
                           "parity scan checks code on arrays (the layers built on that class are not checked)")
           for o in outcomes if o.verdict == "OTHER_TYPE"]
    return [o for o in outcomes if o.verdict not in ("UNBUILT", "OTHER_TYPE")], skipped + not_recognised + unbuilt + own


def format_outcomes(outcomes, skipped, strict=False, quiet=False):
    report = Report()
    for o in outcomes:
        if o.convention:                            # CONVENTION, or FAIL read under the convention nearest
            for r in o.report.results:
                r.component = f"{o.target.name} [{conv.label(o.convention)}]"
        report.extend(o.report)
    lines = [] if quiet else [report.table().rsplit("\n", 1)[0], ""]
    w = max([len("component")] + [len(o.target.name) for o in outcomes])
    wf = max([len(o.target.where) for o in outcomes] + [4])
    wk = max([len(o.target.kind) for o in outcomes] + [4])
    for o in outcomes:
        if o.verdict == "FAIL":
            verdict = "FAIL" + (f" (the failures that remain with {conv.label(o.convention)} allowed for; it explains the others)"
                                if o.convention else "")
        else:
            verdict = o.verdict if o.verdict != "CONVENTION" else f"CONVENTION {conv.label(o.convention)}" + (
                " (fails under --strict)" if strict else f" (declare --convention {conv.label(o.convention)})")
        stubs = sorted({r.check for r in o.report.failures if r.note.startswith(NOT_WRITTEN)}) \
            if o.verdict == "FAIL" else []
        if stubs:
            verdict += f" (not written yet: {', '.join(stubs)} returned None)"
        if any(r.extra.get("no_input_grad") for r in o.report.results):
            verdict += " (its backward returns no input gradient, as a first layer's: its weights' gradients are checked)"
        if any(r.extra.get("one_nonzero") for r in o.report.results):
            verdict += (" (its backward is right for an output gradient with one nonzero entry, as cross-entropy "
                        "gives it, and for no other)")
        if slopes := sorted({r.extra["slope"] for r in o.report.results if "slope" in r.extra}):
            verdict += (f" (a leaky ReLU of slope {', '.join(f'{v:g}' for v in slopes)}, read from its output: no "
                        "attribute of it holds the slope)")
        if any(r.extra.get("loss_only") for r in o.report.results):
            verdict += " (the loss value only: it returns no gradient)"
        for said in dict.fromkeys(r.extra["says"] for r in o.report.results if r.extra.get("says")):
            verdict += f" ({said})"             # what a check found it to follow: a derivative flag's convention
        if o.refused:
            samples = sorted({(r.sample, r.note.split(" (at ")[0]) for r in o.refused})
            verdict += (f" ({len(samples)} sample{'s' * (len(samples) > 1)} refused by its own assert, not checked: "
                        + "; ".join(f"{s!r}: {why}" for s, why in samples) + ")")
        lines.append(f"{o.target.name:<{w}}  {o.target.kind:<{wk}}  {o.target.where:<{wf}}  {verdict}")
    failures, stubs = [], {}
    for r in (r for o in outcomes if o.verdict == "FAIL" for r in o.report.failures):
        if r.note.startswith(NOT_WRITTEN):          # one line per check, not one per sample and dtype
            stubs.setdefault((r.component, r.check), []).append(r)
        else:
            failures.append("  " + r.message())
    failures += [f"  {c} [{check}]: {NOT_WRITTEN} (in {len(rs)} of its runs)"
                 for (c, check), rs in stubs.items()]
    if failures:
        lines += ["", "Failures:"] + failures
    if skipped:
        lines += ["", "Skipped:"] + [f"  {os.path.relpath(n) if os.sep in n else n}: {why}" for n, why in skipped]
    return "\n".join(lines), report


def _not_scanned(option, path, roots):
    """A report must not replace the code it is about: an output that is an existing file among those
    scanned (a PATH, or a .py file under a PATH folder) is a ``UsageError`` before any work."""
    if not path or not os.path.isfile(os.path.realpath(path)):
        return
    real = os.path.realpath(path)
    for root in roots:
        r = os.path.realpath(root)
        if real == r or (os.path.isdir(r) and real.startswith(r.rstrip(os.sep) + os.sep) and real.endswith(".py")):
            raise UsageError(f"{option} {path!r} is one of the files being scanned: the report would replace your "
                             "code; give it a file of its own")


def scan_command(args):
    output_path(args.json, "--json")
    output_path(args.junit, "--junit")
    distinct_files(("--json", args.json), ("--junit", args.junit))
    for option, path in (("--json", args.json), ("--junit", args.junit)):
        _not_scanned(option, path, args.paths)
    try:
        declared = conv.parse(args.convention or [])
    except conv.ConventionError as e:
        raise UsageError(str(e)) from None
    dtypes = (args.dtype,) if args.dtype else ("float64", "float32")
    if args.only is not None and not [p for p in args.only.split(",") if p.strip()]:
        raise UsageError(f"--only {args.only!r}: expected comma-separated name fragments (an empty one matches "
                         "everything: leave --only out for that)")
    outcomes, skipped = scan(args.paths, args.style, args.only, dtypes, declared, args.seed, args.timeout)
    broken = [(n, why) for n, why in skipped if why.startswith(("could not import", "could not run", "cannot read"))]
    if not outcomes and broken and not args.allow_import_errors:
        for name, why in broken:
            print(f"skipped {name}: {why}")
        print(f"{len(broken)} file(s), folder(s) or component(s) could not be read, imported or run and nothing else "
              f"was recognised; this fails the scan (--allow-import-errors to skip them)")
        return 1
    if not outcomes:
        for name, why in skipped:
            print(f"skipped {name}: {why}")
        raise UsageError(f"no component recognised under {', '.join(args.paths)} (style {args.style})")
    text, report = format_outcomes(outcomes, skipped, args.strict, args.quiet)
    print(text)
    bad = [o for o in outcomes if o.verdict == "FAIL" or (args.strict and o.verdict == "CONVENTION")]
    print(f"{len(outcomes)} component{'s' * (len(outcomes) != 1)}: {sum(o.verdict == 'PASS' for o in outcomes)} pass, "
          f"{sum(o.verdict == 'CONVENTION' for o in outcomes)} convention, "
          f"{sum(o.verdict == 'FAIL' for o in outcomes)} fail{' (strict)' if args.strict else ''}")
    if args.json:
        data = {"passed": not bad, "strict": args.strict, "declared": declared,
                "components": [{"name": o.target.name, "kind": o.target.kind, "style": o.target.style,
                                "file": o.target.where, "verdict": o.verdict, "convention": o.convention,
                                "refused": sorted({r.sample for r in o.refused}),
                                # the component name its results carry (read under a convention: suffixed)
                                "results_under": f"{o.target.name} [{conv.label(o.convention)}]" if o.convention
                                else o.target.name}
                               for o in outcomes],
                "skipped": [{"name": n, "reason": why} for n, why in skipped],
                "results": [r.as_dict() for r in report.results]}
        atomic_write(args.json, lambda f: f.write(json.dumps(data, indent=1, default=float).encode()))
        print(f"wrote {args.json}")
    if args.junit:
        report.to_junit(args.junit)
        print(f"wrote {args.junit}")
    if broken and not args.allow_import_errors:     # a gate must not pass because a file never loaded
        print(f"{len(broken)} file(s), folder(s) or component(s) could not be read, imported or run, so what "
              f"they hold was not checked (listed under Skipped); this fails the scan (--allow-import-errors to skip them)")
        return 1
    return 1 if bad else 0


def add_command(sub):
    p = sub.add_parser("scan", help="check the layers, losses and update rules in your code against torch",
                       description="Import your file, folder or package, find the components it recognises "
                                   "(cs231n function pairs and update rules, 'Deep Learning from Scratch' and "
                                   "'Neural Networks from Scratch' classes, d2l's from-scratch functions, the "
                                   "Deep Learning Specialization's step-by-step functions, 'Deep Learning from "
                                   "Scratch 2' layers, Nielsen's networks, layers whose backward takes a learning "
                                   "rate, CMU 11-785's MyTorch layers, losses and optimizers) "
                                   "and check each against torch. Exit 0 when every one passes (a CONVENTION verdict "
                                   "passes unless --strict), 1 on a parity failure or a file that fails to import, "
                                   "2 on a usage error.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .py file, a folder or a package")
    p.add_argument("--style", choices=["auto", "cs231n", "textbook", "nnfs", "d2l", "coursera", "nielsen",
                                                  "lr-backward", "mytorch"], default="auto")
    p.add_argument("--only", help="comma-separated name fragments, e.g. affine,adam")
    p.add_argument("--dtype", choices=["float64", "float32"], help="one dtype only (default both)")
    p.add_argument("--seed", type=count(0), default=0)
    p.add_argument("--timeout", type=number(0, MAX_TIMEOUT), default=60.0, metavar="SECONDS",
                   help="a component whose checks take longer fails, with the line it was at (default 60; 0: none)")
    p.add_argument("--json", metavar="FILE", help="write the verdicts and every check as JSON")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--strict", action="store_true", help="a CONVENTION verdict fails too")
    p.add_argument("--allow-import-errors", action="store_true",
                   help="a file that cannot be read or imported is only listed under Skipped (default: the scan fails)")
    p.add_argument("-q", "--quiet", action="store_true", help="one line per component (no table of checks)")
    p.add_argument("--convention", action="append", metavar="NAME=VALUE",
                   help=f"declare a convention (repeatable): {', '.join(sorted(conv.CONVENTIONS))}")
    p.set_defaults(func=scan_command)
