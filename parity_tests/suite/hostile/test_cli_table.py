"""Every option of every subcommand, given something wrong: exit status 2, one line naming the option
and what is allowed, no traceback, and no work done first (each case takes milliseconds: it fails
before any data is loaded or any step is trained)."""
import time

import pytest

from parity_tests.cli import main

M = ["--data", "mnist", "--root", "{mnist}"]          # the tiny fake MNIST, for cases that must get far

CASES = [
    # (argv, fragment of the message)
    ([], "required"),
    (["nothing"], "invalid choice"),
    # check
    (["check", "--only", ","], "--only: expected comma-separated"),
    (["check", "--shard", "3/2"], "--shard 3/2: need 1 <= I <= N"),
    (["check", "--json", "{dir}/new/"], "is a folder, expected a file name"),
    (["check", "--shard", "half"], "--shard expects I/N such as 2/4, got 'half'"),
    (["check", "--only", "no-such-layer"], "no component matches"),
    (["check", "--dtype", "float16"], "argument --dtype: invalid choice"),
    (["check", "--seed", "-1"], "argument --seed: expected an integer >= 0"),
    (["check", "--seed", "x"], "argument --seed: expected an integer >= 0, got 'x'"),
    (["check", "--json", "{dir}"], "--json '{dir}': is a folder"),
    (["check", "--json", "{under_file}"], "--json '{under_file}': cannot write"),
    (["check", "--junit", "{dir}"], "--junit '{dir}': is a folder"),
    (["check", "--junit", "{under_file}"], "--junit '{under_file}': cannot write"),
    (["check", "-q", "3"], "unrecognized arguments: 3"),
    (["check", "--quiet", "yes"], "unrecognized arguments: yes"),
    # list
    (["list", "--markdown", "x"], "unrecognized arguments: x"),
    (["list", "--html"], "unrecognized arguments: --html"),
    # bench
    (["bench", "--repeat", "0"], "argument --repeat: expected an integer >= 1, got '0'"),
    (["bench", "--repeat", "many"], "argument --repeat: expected an integer >= 1"),
    (["bench", "--quick", "yes"], "unrecognized arguments: yes"),
    (["bench", "--only", "nosuch"], "--only 'nosuch': ['nosuch'] match no bench case"),
    (["bench", "--only", ""], "--only '': expected comma-separated case name fragments"),
    (["check", "--only", "relu,zzznomatch"], "--only: ['zzznomatch'] match no component"),
    (["scan", "examples", "--seed", "-1"], "expected an integer >= 0, got '-1'"),
    (["diagnose", "mlp", "--subset", "5"], "--subset apply to a dataset"),
    (["diagnose", "mlp", "--batch", "1", "--batchnorm"], "the model refuses this batch: BatchNorm1d(512): training needs"),
    (["char-lm", "--steps", "0"], "argument --steps: expected an integer >= 1, got '0'"),
    (["char-lm", "--seed", "-1"], "argument --seed: expected an integer >= 0"),
    (["char-lm", "--dtype", "float16"], "argument --dtype: invalid choice"),
    (["char-lm", "--out", "{file}"], "--out"),
    (["bench", "--threads", "0"], "argument --threads: expected an integer >= 1, got '0'"),
    (["bench", "--clock", "sundial"], "argument --clock: invalid choice: 'sundial'"),
    (["bench", "--json", "{dir}"], "--json"),
    (["bench", "--markdown", "{dir}/missing.json"], "--markdown"),
    # diagnose
    (["diagnose"], "name a MODEL or give --factory"),
    (["diagnose", "resnet"], "invalid choice: 'resnet'"),
    (["diagnose", "mlp", "--factory", "{factories}:small"], "not both"),
    (["diagnose", "--factory", "nocolon"], "--factory wants FILE.py:FUNCTION"),
    (["diagnose", "--factory", "missing.py:make"], "--factory: no file 'missing.py'"),
    (["diagnose", "mlp", "--convention", "running_var=biased"], "--convention: only for a --factory model"),
    (["diagnose", "--factory", "missing.py:make", "--convention", "nonsense"], "--convention: "),
    (["diagnose", "--factory", "no_such_module_x:make"], "--factory: cannot import 'no_such_module_x'"),
    (["diagnose", "--factory", "{syntax}:make"], "SyntaxError"),
    (["diagnose", "--factory", "{factories}:absent"], "has no function 'absent'"),
    (["diagnose", "--factory", "{factories}:raises"], "raises() raised RuntimeError: boom"),
    (["diagnose", "--factory", "{factories}:string"], "string() returned str; expected a NumPy model"),
    (["diagnose", "--factory", "{factories}:none"], "none() returned NoneType"),
    (["diagnose", "--factory", "{factories}:torch_module"], "torch_module() returned Linear"),
    (["diagnose", "--factory", "{factories}:pair"], "pair() returned tuple of 2"),
    (["diagnose", "--factory", "{factories}:int_x"], "expected float X (N, ...)"),
    (["diagnose", "--factory", "{factories}:small", "--input-shape", "5"], "--input-shape 5: the model refuses a batch of that sample shape"),
    (["diagnose", "--factory", "{factories}:small", "--input-shape", "a"], "argument --input-shape: expected"),
    (["diagnose", "--factory", "{factories}:small", "--input-shape", "0"], "argument --input-shape: expected"),
    (["diagnose", "--factory", "{factories}:small", "--hidden", "8"], "--hidden applies to a built-in MODEL"),
    (["diagnose", "--factory", "{factories}:small", "--weights", "{pt}"], "--weights applies to a built-in MODEL"),
    (["diagnose", "--factory", "{factories}:small", "--data", "mnist"], "--data applies to a built-in MODEL"),
    (["diagnose", "mlp", "--batch", "0"], "argument --batch: expected an integer >= 1, got '0'"),
    (["diagnose", "mlp", "--weights", "missing.pt"], "--weights 'missing.pt': no such file"),
    (["diagnose", "mlp", "--weights", "{dir}"], "is a folder, expected a file"),
    (["diagnose", "mlp", "--weights", "{pt}"], "--weights '{pt}'"),
    (["diagnose", "mlp", "--json", "{dir}"], "--json '{dir}': is a folder"),
    (["diagnose", "mlp", "--data", "imagenet"], "argument --data: invalid choice: 'imagenet'"),
    (["diagnose", "mlp", "--data", "mnist", "--root", "{file}"], "--root '{file}': is a file"),
    (["diagnose", "mlp", "--subset", "0"], "argument --subset: expected an integer >= 1"),
    (["diagnose", "mlp", "--val", "-1"], "argument --val: expected an integer >= 0"),
    (["diagnose", "mlp", "--no-verify-checksums", "x"], "unrecognized arguments: x"),
    (["diagnose", "mlp", "--hidden", ""], "argument --hidden: expected comma-separated integers >= 1"),
    (["diagnose", "conv", "--channels", "16,0"], "argument --channels: expected comma-separated integers >= 1"),
    (["diagnose", "mlp", "--activation", "gelu"], "argument --activation: invalid choice"),
    (["diagnose", "mlp", "--init", "magic"], "argument --init: invalid choice"),
    (["diagnose", "mlp", "--weight-scale", "0"], "argument --weight-scale: expected a number > 0"),
    (["diagnose", "mlp", "--batchnorm", "yes"], "unrecognized arguments: yes"),
    (["diagnose", "mlp", "--dropout", "1"], "argument --dropout: expected a number >= 0 and < 1"),
    (["diagnose", "mlp", "--reg", "-1"], "argument --reg: expected a number >= 0"),
    (["diagnose", "mlp", "--dtype", "float16"], "argument --dtype: invalid choice"),
    (["diagnose", "mlp", "--seed", "-3"], "argument --seed: expected an integer >= 0"),
    # train: options
    (["train"], "required: model"),
    (["train", "resnet"], "invalid choice: 'resnet'"),
    (["train", "mlp", "--epochs", "0"], "argument --epochs: expected an integer >= 1, got '0'"),
    (["train", "mlp", "--epochs", "-2"], "argument --epochs: expected an integer >= 1, got '-2'"),
    (["train", "mlp", "--epochs", "1.5"], "argument --epochs: expected an integer >= 1"),
    (["train", "mlp", "--batch-size", "0"], "argument --batch-size: expected an integer >= 1"),
    (["train", "mlp", "--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
    (["train", "mlp", "--lr", "-1"], "argument --lr: expected a number >= 0, got '-1'"),
    (["train", "mlp", "--lr", "nan"], "argument --lr: expected a number >= 0, got 'nan'"),
    (["train", "mlp", "--lr", "inf"], "argument --lr: expected a number >= 0, got 'inf'"),
    (["train", "mlp", "--momentum", "-5"], "argument --momentum: expected a number >= 0"),
    (["train", "mlp", "--weight-decay", "-1"], "argument --weight-decay: expected a number >= 0"),
    (["train", "mlp", "--schedule", "linear"], "argument --schedule: invalid choice"),
    (["train", "mlp", "--reg", "-10"], "argument --reg: expected a number >= 0, got '-10'"),
    (["train", "mlp", "--hidden", ""], "argument --hidden: expected comma-separated integers >= 1"),
    (["train", "mlp", "--hidden", "0"], "argument --hidden: expected comma-separated integers >= 1, e.g. 64,32, got '0'"),
    (["train", "mlp", "--hidden", "64,,32"], "argument --hidden: expected comma-separated"),
    (["train", "mlp", "--hidden", "a"], "argument --hidden: expected comma-separated"),
    (["train", "conv", "--channels", ""], "argument --channels: expected comma-separated integers >= 1"),
    (["train", "conv", "--channels", "-4"], "argument --channels: expected comma-separated integers >= 1"),
    (["train", "mlp", "--activation", "swish"], "argument --activation: invalid choice"),
    (["train", "mlp", "--init", "orthogonal"], "argument --init: invalid choice"),
    (["train", "mlp", "--weight-scale", "-1"], "argument --weight-scale: expected a number > 0"),
    (["train", "mlp", "--batchnorm", "0"], "unrecognized arguments: 0"),
    (["train", "mlp", "--dropout", "1.5"], "argument --dropout: expected a number >= 0 and < 1, got '1.5'"),
    (["train", "mlp", "--dropout", "-0.1"], "argument --dropout: expected a number >= 0 and < 1"),
    (["train", "mlp", "--dtype", "int8"], "argument --dtype: invalid choice"),
    (["train", "mlp", "--seed", "-1"], "argument --seed: expected an integer >= 0"),
    (["train", "mlp", "--data", "svhn"], "argument --data: invalid choice: 'svhn'"),
    (["train", "mlp", "--data", "mnist", "--root", "{dir}/missing"], "no such folder"),
    (["train", "softmax", "--data", "cifar10"], "cifar10: no copy found. Tried: root: not given; "),
    (["train", "softmax", "--data", "fashion-mnist"], "(--root on the commands)"),
    (["train", "mlp", "--subset", "0"], "argument --subset: expected an integer >= 1, got '0'"),
    (["train", "mlp", "--subset", "-5"], "argument --subset: expected an integer >= 1"),
    (["train", "mlp", *M, "--subset", "10000000"], "--subset 10000000:"),
    (["train", "mlp", *M, "--val", "100000"], "--val 100000:"),
    (["train", "mlp", "--val", "-1"], "argument --val: expected an integer >= 0"),
    (["train", "mlp", "--max-steps", "-1"], "argument --max-steps: expected an integer >= 1, got '-1'"),
    (["train", "mlp", "--max-steps", "0"], "argument --max-steps: expected an integer >= 1"),
    (["train", "mlp", "--no-progress", "1"], "unrecognized arguments: 1"),
    (["train", "softmax", "--hidden", "64"], "--hidden does not apply to softmax (it uses none of the architecture"),
    (["train", "svm", "--dropout", "0.5"], "--dropout does not apply to svm"),
    (["train", "two-layer", "--hidden", "64,32"], "--hidden 64,32: two-layer has one hidden layer"),
    (["train", "two-layer", "--batchnorm"], "--batchnorm does not apply to two-layer (it uses --hidden, --weight-scale)"),
    (["train", "mlp", "--channels", "8"], "--channels does not apply to mlp"),
    (["train", "conv", "--activation", "tanh"], "--activation does not apply to conv"),
    (["search", "softmax", "--init", "he"], "--init does not apply to softmax"),
    (["diagnose", "conv", "--dropout", "0.2"], "--dropout does not apply to conv"),
    (["diagnose", "mlp", *M, "--batch", "100000"], "--batch 100000: the training split holds only"),
    (["train", "mlp", "--no-verify-checksums", "1"], "unrecognized arguments: 1"),
    (["train", "mlp", "--lockstep", "--resume", "{ckpt}"], "cannot resume"),
    # train: what it writes
    (["train", "mlp", "--out", "{file}"], "--out '{file}': is a file, expected a folder"),
    (["train", "mlp", "--out", "{under_file}"], "--out '{under_file}': cannot write"),
    (["train", "mlp", "--save-state-dict", "{dir}"], "--save-state-dict '{dir}': is a folder"),
    (["train", "mlp", "--save-state-dict", "{under_file}"], "--save-state-dict '{under_file}': cannot write"),
    (["train", "mlp", "--checkpoint", "{dir}"], "--checkpoint '{dir}': is a folder"),
    (["train", "mlp", "--checkpoint", "{under_file}"], "--checkpoint '{under_file}': cannot write"),
    (["train", "softmax", "--checkpoint", "{ckpt}"], "the file exists (a checkpoint at epoch 1, step"),
    (["train", "softmax", "--checkpoint", "{file}"], "the file exists (not a checkpoint); continue it with --resume"),
    (["train", "mlp", "--checkpoint-every", "0"], "argument --checkpoint-every: expected an integer >= 1"),
    (["train", "mlp", "--checkpoint-every", "5"], "--checkpoint-every needs --checkpoint"),
    (["train", "mlp", "--overwrite", "x"], "unrecognized arguments: x"),
    # train: resume
    (["train", "softmax", "--resume", "missing.npz"], "--resume 'missing.npz': no such file"),
    (["train", "softmax", "--resume", "{dir}"], "--resume '{dir}': is a folder"),
    (["train", "softmax", "--resume", "{truncated}"], "truncated or corrupted"),
    (["train", "softmax", "--resume", "{garbage}"], "load_checkpoint('{garbage}'): "),
    (["train", "softmax", "--resume", "{other_npz}"], "not a checkpoint of this library"),
    (["train", "softmax", "--resume", "{pt}"], "not a checkpoint of this library"),
    (["train", "softmax", "--resume", "{file}"], "load_checkpoint('{file}'): "),
    (["train", "softmax", *M, "--epochs", "1", "--resume", "{ckpt}", "--lr", "0.5"],
     "--lr: checkpoint 0.1, now 0.5"),
    (["train", "softmax", *M, "--epochs", "1", "--resume", "{ckpt}", "--schedule", "none"],
     "--schedule: checkpoint 'cosine', now 'none'"),
    (["train", "softmax", "--data", "fashion-mnist", "--epochs", "1", "--resume", "{ckpt}"],
     "--data: checkpoint 'mnist', now 'fashion-mnist'"),
    (["train", "softmax", *M, "--resume", "{ckpt}"], "more epochs are only allowed with --schedule none"),
    (["train", "mlp", *M, "--epochs", "1", "--resume", "{ckpt}"], "--model: checkpoint 'softmax', now 'mlp'"),
    # search
    (["search", "softmax", "--mode", "bayes"], "argument --mode: invalid choice"),
    (["search", "softmax", "--trials", "0"], "argument --trials: expected an integer >= 1, got '0'"),
    (["search", "softmax", "--points", "0"], "argument --points: expected an integer >= 1, got '0'"),
    (["search", "softmax", "--lr-range", "1e-3:"], "--lr-range: expected a:b (a log range, 0 < a <= b)"),
    (["search", "softmax", "--lr-range", "a:b"], "--lr-range: expected a:b"),
    (["search", "softmax", "--lr-range", "1:2:3"], "--lr-range: expected a:b"),
    (["search", "softmax", "--lr-range=-1:2"], "--lr-range: expected a:b"),
    (["search", "softmax", "--lr-range", "1e-1:1e-3"], "got '1e-1:1e-3'"),
    (["search", "softmax", "--reg-range", "0:1"], "--reg-range: expected a:b"),
    (["search", "softmax", "--reg-range", ""], "--reg-range: expected a:b"),
    (["search", "mlp", "--hidden-sizes", "0,64"], "--hidden-sizes: expected a:b (a log range, 0 < a <= b) or a,b,c (values), integers >= 1"),
    (["search", "mlp", "--hidden-sizes", "1.5"], "--hidden-sizes: expected"),
    (["search", "softmax", "--out", "{file}"], "--out '{file}': is a file"),
    (["search", "softmax", "--mode", "grid", "--trials", "5"], "--trials applies to --mode random"),
    (["search", "softmax", "--points", "5"], "--points applies to --mode grid"),
    (["search", "softmax", "--hidden-sizes", "64"], "--hidden-sizes applies to two-layer and mlp, not softmax"),
    (["search", "softmax", "--epochs", "0"], "argument --epochs: expected an integer >= 1"),
    (["search", "softmax", "--subset", "0"], "argument --subset: expected an integer >= 1"),
    # experiment
    (["experiment", "dropout"], "invalid choice: 'dropout'"),
    (["experiment", "init", "--scale", "-1"], "argument --scale: expected a number > 0 and <= 1, got '-1'"),
    (["experiment", "init", "--scale", "0"], "argument --scale: expected a number > 0"),
    (["experiment", "init", "--scale", "nan"], "argument --scale: expected a number > 0"),
    (["experiment", "init", "--out", "{file}"], "--out '{file}': is a file"),
    (["experiment", "init", "--lockstep", "1"], "unrecognized arguments: 1"),
    (["experiment", "all", "--subset", "0"], "argument --subset: expected an integer >= 1"),
    (["experiment", "init", "--epochs", "3"], "unrecognized arguments: --epochs 3"),      # fixed per experiment
    # optim-paths
    (["optim-paths", "--steps", "-3"], "argument --steps: expected an integer >= 1, got '-3'"),
    (["optim-paths", "--steps", "0"], "argument --steps: expected an integer >= 1"),
    (["optim-paths", "--out", "{dir}"], "--out '{dir}': is a folder, expected a file name"),
    (["optim-paths", "--out", "{under_file}"], "--out '{under_file}': cannot write"),
]

DATA = [     # the data options every training command shares
    (["--data", "svhn"], "argument --data: invalid choice"),
    (["--data", "mnist", "--root", "{file}"], "--root '{file}': is a file"),
    (["--val", "-1"], "argument --val: expected an integer >= 0"),
    (["--no-verify-checksums", "x"], "unrecognized arguments: x"),
    (["--seed", "x"], "argument --seed: expected an integer >= 0"),
]
SHARED = [   # the model and training options that search shares with train
    (["--hidden", "0"], "argument --hidden: expected comma-separated integers >= 1"),
    (["--channels", ""], "argument --channels: expected comma-separated integers >= 1"),
    (["--activation", "elu"], "argument --activation: invalid choice"),
    (["--init", "ones"], "argument --init: invalid choice"),
    (["--weight-scale", "0"], "argument --weight-scale: expected a number > 0"),
    (["--batchnorm", "no"], "unrecognized arguments: no"),
    (["--dropout", "2"], "argument --dropout: expected a number >= 0 and < 1"),
    (["--reg", "-1"], "argument --reg: expected a number >= 0"),
    (["--dtype", "half"], "argument --dtype: invalid choice"),
    (["--batch-size", "-1"], "argument --batch-size: expected an integer >= 1"),
    (["--optimizer", "lion"], "argument --optimizer: invalid choice"),
    (["--lr", "-0.1"], "argument --lr: expected a number >= 0"),
    (["--momentum", "-1"], "argument --momentum: expected a number >= 0"),
    (["--weight-decay", "-0.5"], "argument --weight-decay: expected a number >= 0"),
    (["--schedule", "cyclic"], "argument --schedule: invalid choice"),
]
CASES += [([*cmd, *argv], fragment) for cmd in (["search", "softmax"], ["experiment", "init"]) for argv, fragment in DATA]
CASES += [(["search", "softmax", *argv], fragment) for argv, fragment in SHARED]


@pytest.fixture(autouse=True)
def no_real_data(tmp_path, monkeypatch):
    """A case that got past validation must not train on a real dataset: no system copy, no download."""
    from datasets import loaders
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PARITY_DATA_ROOT", raising=False)
    monkeypatch.setattr(loaders, "DEBIAN_FASHION", str(tmp_path / "no-system-copy"))

    def no_download(name):
        raise RuntimeError("no download in this test")
    monkeypatch.setattr(loaders, "_download", no_download)


def run(argv):
    try:
        return main(argv)
    except SystemExit as e:          # argparse rejects: exit 2 with its usage line
        return e.code


@pytest.mark.parametrize("argv, fragment", CASES, ids=[" ".join(a) or "(none)" for a, _ in CASES])
def test_bad_option_exits_2_with_one_clear_line(paths, argv, fragment, capsys):
    argv = [a.format(**paths) for a in argv]
    t0 = time.perf_counter()
    code = run(argv)
    seconds = time.perf_counter() - t0
    out, err = capsys.readouterr()
    assert code == 2, (argv, code, out[-500:], err[-500:])
    assert fragment.format(**paths) in err, (argv, err)
    assert "Traceback" not in err + out and "internal error" not in err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("parity"), err
    assert len(lines) == 1 or lines[0].startswith("usage:"), err      # ours: one line; argparse: usage + one
    assert seconds < 5, f"{argv}: {seconds:.1f} s: the error should come before any work"


def test_every_option_of_every_subcommand_is_in_the_table():
    """A new option without a bad-input case here fails this test."""
    from parity_tests.cli import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "cmd")
    covered = {}
    for argv, _ in CASES:
        if argv:
            covered.setdefault(argv[0], set()).update(a for a in argv[1:] if a.startswith("-"))
    skip = {"mutants", "scan"}          # another part of the suite owns these commands
    missing = {}
    for name, p in sub.choices.items():
        if name in skip:
            continue
        options = {s for a in p._actions for s in a.option_strings if s.startswith("--") and s != "--help"}
        if options - covered.get(name, set()):
            missing[name] = sorted(options - covered.get(name, set()))
    assert not missing, f"no bad-input case for: {missing}"


def test_the_shared_checkpoint_is_untouched(paths):
    """None of the cases above may write the checkpoint they were refused."""
    import numpy as np
    from numpy_impl.checkpoint import read_checkpoint
    _, meta = read_checkpoint(paths["ckpt"])
    assert meta["extra"]["trainer"]["epoch"] == 1
    assert open(paths["file"]).read() == "not yours to overwrite\n"
    assert np.load(paths["other_npz"])["a"].shape == (3,)
