"""What a third hostile-input sweep found, each refused in one line that names the component, or
done as the user meant: a misspelt dtype, torch's way of passing parameters, yes/no settings given as
strings, an initialiser by name, a model's reg, a validation set that does not fit, update rules' data,
a bench table from another command's JSON, a factory returning a bare Sequential, out-of-memory sizes,
``--json`` onto a link, a pipe or a full device, a crafted CIFAR-10 pickle, ``os._exit`` and named
pipes in a scanned folder, and mismatched shapes in the gradient-check helpers."""
import os
import pickle

import numpy as np
import pytest

import numpy_impl as ni
from numpy_impl.gradcheck import numerical_gradient, rel_error
from numpy_impl.models.nets import ConvNet, FullyConnectedNet, LinearClassifier
from numpy_impl.optim import SGD, Adam, RMSprop
from numpy_impl.train import Trainer
from parity_tests.cli import main
from parity_tests.gate.scan import scan


@pytest.mark.parametrize("dtype", ["flaot32", [3], "int32", "float16", "torch.float32"])
def test_a_dtype_numpy_cannot_read_is_refused_not_read_as_float64(dtype):
    for make in (lambda: ni.Linear(3, 2, dtype=dtype), lambda: ni.LSTM(3, 4, dtype=dtype),
                 lambda: FullyConnectedNet(4, [3], 2, dtype=dtype)):
        with pytest.raises(TypeError, match="dtype must be float32 or float64"):
            make()


def test_optimizers_refuse_torchs_list_of_arrays_none_and_nothing():
    w = np.zeros(3)
    with pytest.raises(TypeError, match="SGD: params must be a dict of name -> array, not a list of arrays"):
        SGD([w])
    with pytest.raises(TypeError, match="Adam: params must be a dict"):
        Adam(None)
    with pytest.raises(ValueError, match="Adam: got an empty parameter list"):
        Adam({})


@pytest.mark.parametrize("make,name", [
    (lambda v: Adam({"w": np.zeros(2)}, amsgrad=v), "amsgrad"),
    (lambda v: SGD({"w": np.zeros(2)}, momentum=0.9, nesterov=v), "nesterov"),
    (lambda v: RMSprop({"w": np.zeros(2)}, centered=v), "centered"),
    (lambda v: ni.Dropout(0.5, inverted=v), "inverted"),
    (lambda v: ni.ScaledDotProductAttention(is_causal=v), "is_causal"),
    (lambda v: ni.Linear(3, 2, bias=v), "bias"),
    (lambda v: ni.BatchNorm1d(3, affine=v), "affine"),
])
@pytest.mark.parametrize("value", ["False", "no", None, 2])
def test_yes_no_settings_refuse_strings_that_would_switch_them_on(make, name, value):
    with pytest.raises(TypeError, match=f"{name} must be True or False"):
        make(value)
    make(False)
    make(np.bool_(True))


def test_layers_take_an_initialiser_by_name_and_refuse_a_bad_weight_scale():
    he = ni.Linear(400, 300, init="he", rng=0).params["W"]
    assert abs(he.std() / np.sqrt(2 / 400) - 1) < 0.02
    assert ni.Conv2d(3, 4, 3, init="xavier", rng=0).params["W"].shape == (4, 3, 3, 3)
    with pytest.raises(ValueError, match="Conv2d: unknown init 'bogus'"):
        ni.Conv2d(3, 4, 3, init="bogus")
    with pytest.raises(TypeError, match="Linear: init must be None, a name or a function"):
        ni.Linear(3, 2, init=3)
    for scale in (float("nan"), float("inf"), -1, None, "0.1"):
        with pytest.raises(ValueError, match="weight_scale must be a finite number >= 0"):
            ni.Linear(3, 2, weight_scale=scale)


@pytest.mark.parametrize("reg", [None, "0.1", -1, float("nan")])
def test_models_refuse_a_bad_reg_by_their_own_name(reg):
    for make, name in ((lambda: FullyConnectedNet(4, [3], 2, reg=reg), "FullyConnectedNet"),
                       (lambda: LinearClassifier(4, 2, reg=reg), "LinearClassifier"),
                       (lambda: ConvNet((1, 8, 8), channels=(2,), hidden_dim=4, reg=reg), "ConvNet")):
        with pytest.raises(ValueError, match=f"{name}: reg must be a finite number >= 0"):
            make()


def test_fit_refuses_a_validation_set_that_does_not_fit_before_training():
    model = FullyConnectedNet(4, [5], 3)
    trainer = Trainer(model, SGD(model.named_parameters(), lr=0.1), batch_size=4, progress=False)
    X, y = np.random.default_rng(0).standard_normal((20, 4)), np.arange(20) % 3
    with pytest.raises(ValueError, match=r"X_val of shape \(5, 3\) does not fit the model"):
        trainer.fit(X, y, 1, X_val=np.ones((5, 3)), y_val=np.zeros(5, int))
    with pytest.raises(TypeError, match="X_val of shape"):
        trainer.fit(X, y, 1, X_val=np.ones((5, 4), int), y_val=np.zeros(5, int))
    with pytest.raises(ValueError, match=r"y_val\): labels must lie in \[0, 3\)"):
        trainer.fit(X, y, 1, X_val=np.ones((5, 4)), y_val=np.full(5, 3))
    assert trainer.step == 0                          # nothing was trained


def test_train_sgd_checks_its_data():
    m = LinearClassifier(4, 3)
    with pytest.raises(ValueError, match=r"train_sgd: expected labels of shape \(5,\)"):
        m.train_sgd(np.ones((5, 4)), np.zeros(4, int))
    with pytest.raises(TypeError, match="train_sgd: expected a floating-point X"):
        m.train_sgd([[1, 2, 3, 4]], [0])
    with pytest.raises(ValueError, match="with N >= 1"):
        m.train_sgd(np.ones((0, 4)), np.zeros(0, int))


def test_gradient_check_helpers_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match=r"rel_error: the two arrays must have one shape, got \(3,\) and \(2, 3\)"):
        rel_error(np.ones(3), np.ones((2, 3)))
    x = np.ones(3)
    with pytest.raises(ValueError, match="df must have the shape of f"):
        numerical_gradient(lambda: x * 2, x, df=np.ones((2, 3)))


def test_cli_lines_for_other_commands_json_a_bare_sequential_and_momentum_on_adam(tmp_path, capsys):
    other = tmp_path / "check.json"
    assert main(["check", "--only", "ReLU", "-q", "--json", str(other)]) == 0
    (tmp_path / "list.json").write_text("[1, 2]")
    for f in (other, tmp_path / "list.json"):
        capsys.readouterr()
        assert main(["bench", "--markdown", str(f)]) == 2
        assert "is not a 'parity bench --json' file" in capsys.readouterr().err
    (tmp_path / "fac.py").write_text("import numpy_impl as ni\ndef seq():\n    return ni.Sequential(ni.Linear(784, 10))\n")
    assert main(["diagnose", "--factory", f"{tmp_path / 'fac.py'}:seq"]) == 2
    assert "returned a Sequential, which has no loss" in capsys.readouterr().err
    assert main(["train", "softmax", "--data", "mnist", "--root", str(tmp_path), "--optimizer", "adam",
                 "--momentum", "0.5"]) == 2
    assert "--momentum is for the sgd, momentum and nesterov optimizers" in capsys.readouterr().err


def test_sizes_too_big_for_memory_are_a_usage_error(capsys):
    assert main(["diagnose", "mlp", "--data", "random", "--batch", "100000000000"]) == 2
    err = capsys.readouterr().err
    assert "out of memory" in err and "internal error" not in err, err


def test_json_onto_a_link_keeps_the_link_and_a_full_device_is_one_line(tmp_path, capsys):
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    assert main(["check", "--only", "ReLU", "-q", "--json", str(link)]) == 0
    assert link.is_symlink() and target.read_text().lstrip().startswith("{")
    if os.path.exists("/dev/full"):
        before = os.stat("/dev/full").st_mode
        capsys.readouterr()
        assert main(["check", "--only", "ReLU", "-q", "--json", "/dev/full"]) == 2
        assert "No space left on device" in capsys.readouterr().err
        assert os.stat("/dev/full").st_mode == before          # still the device, not a file put in its place


def test_an_unverified_cifar_pickle_that_would_run_code_is_refused(tmp_path):
    from datasets import DatasetError, load_raw
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    for name in ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch",
                 "batches.meta"):
        (folder / name).write_bytes(pickle.dumps(Evil(), protocol=2))
    with pytest.raises(DatasetError, match="refused, not a CIFAR-10 batch: it names"):
        load_raw("cifar10", root=str(tmp_path), verify_checksums=False)
    assert not marker.exists()


def test_scan_turns_os_exit_into_a_failure_and_skips_named_pipes(tmp_path):
    (tmp_path / "user.py").write_text("import os\ndef relu_forward(x):\n    os._exit(0)\n"
                                      "def relu_backward(dout, cache):\n    return dout\n")
    os.mkfifo(tmp_path / "pipe.py")
    found, skipped = scan([str(tmp_path)])
    (o,) = found
    assert o.verdict == "FAIL" and "os._exit(0) called" in o.report.failures[0].message()
    assert (str(tmp_path / "pipe.py"), "not a regular file: not read") in skipped
    assert os._exit.__name__ == "_exit"               # put back after the scan


def test_optimizer_load_state_dict_checks_everything_before_changing_anything():
    w = np.ones((2, 2))
    opt = Adam({"w": w}, lr=1e-2)
    opt.step({"w": np.ones((2, 2))})
    good = opt.state_dict()
    for bad, match in ((None, "expected a dict with 'state'"), ({}, "expected a dict with 'state'"),
                       ({**good, "state": {"w": {"exp_avg": np.zeros((5, 5))}}}, r"state 'exp_avg' of 'w' is float64 \(5, 5\)"),
                       ({**good, "state": {"v": {}}}, "state for 'v', which is not a parameter"),
                       ({**good, "variant": "keras"}, "variant must be one of"),
                       ({**good, "param_groups": [{**good["param_groups"][0], "lr": "fast"}]}, "lr must be a finite number"),
                       ({**good, "state": {"w": {**good["state"]["w"], "exp_avg": np.zeros((2, 2), np.float32)}}},
                        "exp_avg' of 'w' is float32")):
        before = opt.state_dict()
        with pytest.raises((TypeError, ValueError), match=match):
            opt.load_state_dict(bad)
        after = opt.state_dict()
        assert after["param_groups"] == before["param_groups"]
        assert all(np.array_equal(after["state"]["w"][k], v) for k, v in before["state"]["w"].items())
    opt.load_state_dict({**good, "state": {}})              # no state yet: every parameter starts afresh
    opt.step({"w": np.ones((2, 2))})


def test_load_checkpoint_with_a_damaged_generator_state_leaves_the_model_alone(tmp_path, monkeypatch):
    """Everything is checked before the first write: a generator state the file garbled, or a
    read-only parameter, is refused with the model, optimizer and generators as they were."""
    import numpy_impl.checkpoint as C
    model = FullyConnectedNet(4, [3], 2, dropout=0.3, seed=0)
    C.save_checkpoint(tmp_path / "ok.npz", model)
    data, meta = C.read_checkpoint(str(tmp_path / "ok.npz"))
    damaged = {**meta, "generators": [{"bit_generator": "PCG64", "state": "damaged"} for _ in meta["generators"]]}
    monkeypatch.setattr(C, "read_checkpoint", lambda path: (data, damaged))
    other = FullyConnectedNet(4, [3], 2, dropout=0.3, seed=1)
    before = {k: v.copy() for k, v in other.named_parameters().items()}
    with pytest.raises(ValueError, match="random generator state in the file is damaged.*nothing was loaded"):
        C.load_checkpoint(tmp_path / "ok.npz", other)
    assert all(np.array_equal(before[k], v) for k, v in other.named_parameters().items())
    monkeypatch.setattr(C, "read_checkpoint", lambda path: (data, meta))
    frozen = FullyConnectedNet(4, [3], 2, dropout=0.3, seed=1)
    frozen.named_parameters()["0.W"].flags.writeable = False
    with pytest.raises(ValueError, match=r"\['0.W'\] are read-only; nothing was loaded"):
        C.load_checkpoint(tmp_path / "ok.npz", frozen)
    assert all(np.array_equal(before[k], v) for k, v in frozen.named_parameters().items())


def test_a_factory_that_never_returns_is_stopped(tmp_path):
    from parity_tests.gate.diagnose import from_factory
    from parity_tests.options import UsageError
    (tmp_path / "loop.py").write_text("def hang():\n    while True:\n        pass\n")
    with pytest.raises(UsageError, match="did not load and return within 1 s"):
        from_factory(f"{tmp_path / 'loop.py'}:hang", seconds=1)


@pytest.mark.parametrize("returned,match", [(None, "must return a dict with 'val_acc', got NoneType"),
                                            ({"acc": 0.5}, r"got a dict of \['acc'\]"),
                                            ({"val_acc": "0.5"}, "'val_acc' must be a number, got '0.5'")])
def test_search_names_what_train_fn_returned(returned, match):
    from numpy_impl.search import search
    with pytest.raises(TypeError, match=match):
        search(lambda config, seed: returned, [{"lr": 1e-3}], log=None)


def test_the_smaller_findings_each_get_one_line():
    from numpy_impl import init
    from numpy_impl.optim import ReduceLROnPlateau, clip_grad_norm_, clip_grad_value_
    with pytest.raises(ValueError, match=r"init.normal: shape must be a tuple of integers >= 0, got \(-1, 3\)"):
        init.normal((-1, 3))
    for std in (-1, float("nan")):
        with pytest.raises(ValueError, match="init.normal: std must be a finite number >= 0"):
            init.normal((2, 3), std=std)
    for bad in (0, None):
        with pytest.raises(ValueError, match="MultiheadAttention: embed_dim must be an integer >= 1"):
            ni.MultiheadAttention(bad, 2)
    opt = SGD({"w": np.zeros(2)}, lr=0.1)
    for kw, what in (({"patience": -1}, "patience"), ({"patience": 1.5}, "patience"), ({"min_lr": -1}, "min_lr"),
                     ({"factor": 1.0}, "factor"), ({"cooldown": -2}, "cooldown")):
        with pytest.raises(ValueError, match=f"ReduceLROnPlateau: {what} must be"):
            ReduceLROnPlateau(opt, **kw)
    for clip in (lambda g: clip_grad_norm_(g, 1.0), lambda g: clip_grad_value_(g, 1.0)):
        with pytest.raises(TypeError, match="gradient 'w' must be a floating-point ndarray"):
            clip({"w": np.ones(3, dtype=int)})
        frozen = np.ones(3)
        frozen.flags.writeable = False
        with pytest.raises(ValueError, match="gradient 'w' is read-only"):
            clip({"w": frozen})
    model = FullyConnectedNet(4, [3], 2, batchnorm=True)
    assert Trainer(model, SGD(model.named_parameters(), lr=0.1), callbacks=None, progress=False).callbacks == []
    trainer = Trainer(model, SGD(model.named_parameters(), lr=0.1), batch_size=50, progress=False)
    X, y = np.random.default_rng(0).standard_normal((101, 4)), np.arange(101) % 2
    with pytest.raises(ValueError, match="leave a last batch of 1, and BatchNorm1d needs 2"):
        trainer.fit(X, y, 1)
    assert trainer.step == 0


def test_save_checkpoint_refuses_extra_that_is_not_json_and_keeps_the_old_file(tmp_path):
    from numpy_impl.checkpoint import save_checkpoint
    model = FullyConnectedNet(4, [3], 2)
    path = tmp_path / "run.npz"
    save_checkpoint(path, model)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="extra must hold JSON values only"):
        save_checkpoint(path, model, extra={"when": object()})
    assert path.read_bytes() == before


def test_scan_only_refuses_an_empty_pattern(tmp_path, capsys):
    assert main(["scan", str(tmp_path), "--only", ","]) == 2
    assert "expected comma-separated name fragments" in capsys.readouterr().err


def test_what_the_first_fixes_must_still_accept(tmp_path):
    """A review of the fixes above: an OneCycleLR run resumes from its checkpoint (the schedule's
    keys in the groups), a BatchNorm2d model trains on a last batch of one, a parameter group may
    be empty beside others and groups may come from a generator, and val_acc may be a 0-d array."""
    from numpy_impl.models import Model
    from numpy_impl.optim import OneCycleLR
    from numpy_impl.search import search
    X, y = np.random.default_rng(0).standard_normal((21, 4)), np.arange(21) % 2
    model = FullyConnectedNet(4, [3], 2, seed=0)
    opt = SGD(model.named_parameters(), lr=0.1, momentum=0.9)
    run = Trainer(model, opt, OneCycleLR(opt, max_lr=0.5, total_steps=30), batch_size=5, schedule_every="step",
                  progress=False, log=None)
    run.fit(X, y, 2, checkpoint=tmp_path / "run.npz")
    again = FullyConnectedNet(4, [3], 2, seed=1)
    opt2 = SGD(again.named_parameters(), lr=0.1, momentum=0.9)
    Trainer(again, opt2, OneCycleLR(opt2, max_lr=0.5, total_steps=30), batch_size=5, schedule_every="step",
            progress=False, log=None).resume(tmp_path / "run.npz")
    assert all(np.array_equal(a, b) for a, b in zip(model.named_parameters().values(),
                                                    again.named_parameters().values()))
    conv = Model(ni.Conv2d(1, 2, 3, padding=1, rng=0), ni.BatchNorm2d(2), ni.ReLU(), ni.Flatten(),
                 ni.Linear(2 * 4 * 4, 2, rng=0))
    Xc = np.random.default_rng(1).standard_normal((9, 1, 4, 4))
    Trainer(conv, SGD(conv.named_parameters(), lr=0.1), batch_size=4, progress=False, log=None).fit(Xc, y[:9], 1)
    w = np.zeros(3)
    SGD([{"params": {"w": w}, "weight_decay": 1e-2}, {"params": {}, "weight_decay": 0.0}], lr=0.1)
    SGD(g for g in [{"params": {"w": w}}])
    assert search(lambda c, s: {"val_acc": np.array(0.8)}, [{}], log=None)[0]["val_acc"] == 0.8


def test_a_process_the_users_code_forks_exits_for_real(tmp_path):
    """multiprocessing ends a forked child with os._exit: the scan's guard must not turn that child
    into a second scan."""
    (tmp_path / "layers.py").write_text(
        "import multiprocessing as mp\nimport numpy as np\n"
        "def _work():\n    pass\n"
        "def relu_forward(x):\n    p = mp.get_context('fork').Process(target=_work)\n    p.start()\n    p.join()\n"
        "    return np.maximum(x, 0), x\n"
        "def relu_backward(dout, cache):\n    return dout * (cache > 0)\n")
    found, _ = scan([str(tmp_path)], dtypes=("float64",))
    assert [o.verdict for o in found] == ["PASS"], [o.report.failures for o in found]
