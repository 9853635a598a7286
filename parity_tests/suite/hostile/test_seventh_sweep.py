"""The seventh hostile-input sweep: each case was a bare Python error, a silently ignored argument or
a state loaded that broke the next step; now each is refused in one line naming the component (or
works, where torch accepts it)."""
import copy
import json
import os

import numpy as np
import pytest

import numpy_impl as ni
import numpy_impl.optim as no
from numpy_impl.checkpoint import load_checkpoint, save_checkpoint
from numpy_impl.losses import l2_penalty
from numpy_impl.models import FullyConnectedNet
from numpy_impl.optim import extra, schedulers
from numpy_impl.train import Trainer


class Square:
    """A layer of your own: forward and backward only."""

    def forward(self, x, training=None):
        self.x = x
        return x * x

    def backward(self, dout):
        return 2 * self.x * dout


# ------------------------------------------------------------------ containers
def test_a_layer_class_instead_of_a_layer_is_named():
    with pytest.raises(TypeError, match=r"Sequential: layer 1 is the class ReLU, not a layer: write ReLU\(...\)"):
        ni.Sequential(ni.Linear(2, 2), ni.ReLU)


def test_the_same_layer_inside_two_nested_sequentials_is_refused():
    shared = ni.Linear(3, 3)
    with pytest.raises(ValueError, match="layers 0 and 1 hold the same Linear object"):
        ni.Sequential(ni.Sequential(shared), ni.Sequential(ni.ReLU(), shared), ni.Linear(3, 2))


def test_a_layer_of_your_own_without_named_access_works_in_a_sequential():
    s = ni.Sequential(Square(), ni.Linear(3, 2))
    assert list(s.named_parameters()) == ["1.W", "1.b"] and s.named_buffers() == {}
    assert s.describe() == "Sequential(Square, Linear(3, 2))"
    s.zero_grad()
    s.eval()
    out = s.forward(np.ones((2, 3)))
    assert out.shape == (2, 2) and s.backward(np.ones((2, 2))).shape == (2, 3)


# ------------------------------------------------------------------ the trainer's arguments
@pytest.mark.parametrize("kwargs, match", [
    ({"callbacks": [print]}, "callback 0 .* has none of the methods on_step, on_epoch, epoch_text"),
    ({"callbacks": [type("OnEnd", (), {"on_epoch_end": lambda self, *a: None})()]}, "callback 0 \\(OnEnd\\)"),
    ({"log": "x"}, "Trainer: log must be a function of a line of text"),
    ({"progress": "no"}, "Trainer: progress must be True, False or a file"),
])
def test_trainer_refuses_settings_it_would_ignore_or_crash_on_later(kwargs, match):
    model = FullyConnectedNet(4, [3], 2)
    with pytest.raises(TypeError, match=match):
        Trainer(model, no.SGD(model.named_parameters()), **kwargs)


@pytest.mark.parametrize("kwargs", [{"log": None}, {"progress": None}, {"progress": 0}, {"progress": False},
                                    {"progress": 1}, {"progress": np.True_}])
def test_trainer_settings_of_other_types_train(kwargs, capsys):
    model = FullyConnectedNet(4, [3], 2)
    rng = np.random.default_rng(0)
    trainer = Trainer(model, no.SGD(model.named_parameters()), **{"log": None, **kwargs})
    trainer.fit(rng.standard_normal((8, 4)), rng.integers(0, 2, 8), epochs=1)
    assert trainer.epoch == 1


# ------------------------------------------------------------------ checkpoints
class Named:
    """A model of your own whose parameter names hold '/' (Keras's 'dense/kernel')."""

    def __init__(self):
        self.p = {"dense/kernel": np.ones((2, 2)), "dense/bias": np.zeros(2)}

    def named_parameters(self):
        return self.p


def test_a_checkpoint_of_parameters_named_with_slashes_loads(tmp_path):
    model = Named()
    opt = no.Adam(model.p, lr=0.1)
    opt.step({"dense/kernel": np.full((2, 2), 0.5), "dense/bias": np.ones(2)})
    save_checkpoint(tmp_path / "c.npz", model, opt)
    other = Named()
    other_opt = no.Adam(other.p, lr=0.1)
    load_checkpoint(tmp_path / "c.npz", other, other_opt)
    np.testing.assert_array_equal(other.p["dense/kernel"], model.p["dense/kernel"])
    for k in model.p:
        np.testing.assert_array_equal(other_opt.state[k]["exp_avg"], opt.state[k]["exp_avg"])


def _edited(path, change, out):
    with np.load(path) as f:
        data = {k: f[k] for k in f.files}
    meta = json.loads(str(data["meta"]))
    change(meta)
    data["meta"] = np.array(json.dumps(meta))
    np.savez(out, **data)
    return out


@pytest.mark.parametrize("change, match", [
    (lambda m: m.pop("optim_scalars"), "optim_scalars is missing"),
    (lambda m: m["optimizer"].__setitem__("param_groups", {}), "param_groups are not a list"),
    (lambda m: m.__setitem__("generators", None), "generators is NoneType"),
    (lambda m: m["extra"]["trainer"].pop("seed"), "seed=None, expected an integer"),
    (lambda m: m["extra"]["trainer"].__setitem__("history", None), "history=None"),
    (lambda m: m["extra"]["trainer"].__setitem__("step", "3"), "step='3'"),
])
def test_a_damaged_checkpoint_header_is_refused_and_nothing_is_restored(tmp_path, change, match):
    model = FullyConnectedNet(4, [3], 2, batchnorm=True, dropout=0.2, seed=1)
    trainer = Trainer(model, no.Adam(model.named_parameters()), progress=False, log=None)
    rng = np.random.default_rng(0)
    trainer.fit(rng.standard_normal((16, 4)), rng.integers(0, 2, 16), epochs=1)
    trainer.save(tmp_path / "c.npz")
    bad = _edited(tmp_path / "c.npz", change, tmp_path / "bad.npz")
    fresh = FullyConnectedNet(4, [3], 2, batchnorm=True, dropout=0.2, seed=2)
    fresh_trainer = Trainer(fresh, no.Adam(fresh.named_parameters()), progress=False, log=None)
    before = {k: v.copy() for k, v in fresh.named_parameters().items()}
    with pytest.raises(ValueError, match=match):
        fresh_trainer.resume(bad)
    for k, v in fresh.named_parameters().items():
        np.testing.assert_array_equal(v, before[k])
    assert fresh_trainer.step == 0 and not any(fresh_trainer.optimizer.state_dict()["state"].values())


def test_atomic_write_syncs_the_file_before_renaming(tmp_path, monkeypatch):
    from numpy_impl import atomic
    synced = []
    real = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    atomic.atomic_write(tmp_path / "f.bin", lambda f: f.write(b"abc"))
    assert (tmp_path / "f.bin").read_bytes() == b"abc"
    assert len(synced) >= 1                        # the file (and, where allowed, its folder)


# ------------------------------------------------------------------ optimizer and schedule state
def _stepped(cls, **kw):
    opt = cls({"w": np.ones(3)}, **kw)
    opt.step({"w": np.full(3, 0.5)})
    return opt


@pytest.mark.parametrize("change, match", [
    (lambda s: s["state"]["w"].__setitem__("exp_avg", None), "state 'exp_avg' of 'w' is None, expected an array"),
    (lambda s: s["state"]["w"].__setitem__("exp_avg", np.array(0.5)), "state 'exp_avg' of 'w' is float64 \\(\\)"),
    (lambda s: s["state"]["w"].__setitem__("exp_avg", [0.1, 0.2, 0.3]), "is \\[0.1, 0.2, 0.3\\], expected an array"),
    (lambda s: s["state"]["w"].pop("exp_avg_sq"), "keys \\['exp_avg', 'step'\\]\\) cannot drive a step .* lacks \\['exp_avg_sq'\\]"),
    (lambda s: s["state"]["w"].__setitem__("junk", 1), "state 'junk' of 'w' is 1, .*not an entry Adam keeps"),
    (lambda s: s["state"]["w"].__setitem__("step", "3"), "state 'step' of 'w' is '3', expected an integer >= 0"),
    (lambda s: s["state"]["w"].__setitem__("step", -1), "state 'step' of 'w' is -1"),
    (lambda s: s["param_groups"][0].__setitem__("amsgrad", True), "keeps \\['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'"),
])
def test_optimizer_state_of_the_wrong_kind_is_refused_when_loaded_not_at_the_next_step(change, match):
    sd = copy.deepcopy(_stepped(no.Adam).state_dict())
    change(sd)
    opt = no.Adam({"w": np.ones(3)})
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(sd)
    assert opt.state_dict()["state"] == {"w": {}}


@pytest.mark.parametrize("cls, kw", [
    (no.SGD, {}), (no.SGD, {"momentum": 0.9}), (no.SGD, {"momentum": 0.9, "variant": "classic"}), (no.Adagrad, {}),
    (no.RMSprop, {"momentum": 0.5, "centered": True}), (no.Adam, {"amsgrad": True}), (no.AdamW, {}),
    (extra.Adadelta, {}), (extra.Adamax, {}), (extra.NAdam, {}), (extra.RAdam, {}),
])
def test_every_optimizer_loads_its_own_state(cls, kw):
    opt = _stepped(cls, **kw)
    other = cls({"w": np.ones(3)}, **kw)
    other.load_state_dict(opt.state_dict())
    other.step({"w": np.full(3, 0.5)}), opt.step({"w": np.full(3, 0.5)})
    for key, value in opt.state["w"].items():
        np.testing.assert_array_equal(other.state["w"][key], value)


@pytest.mark.parametrize("cls, before, after", [
    (no.SGD, {"momentum": 0.9}, {"momentum": 0.0}), (no.SGD, {"momentum": 0.0}, {"momentum": 0.9}),
    (no.RMSprop, {"momentum": 0.5, "centered": True}, {"momentum": 0.0, "centered": False}),
    (no.Adam, {"amsgrad": True}, {"amsgrad": False}),
])
def test_a_state_kept_from_other_settings_loads_when_a_step_can_run_from_it(cls, before, after):
    """torch keeps a momentum buffer after momentum is set to 0 (and steps on): such a state loads."""
    opt = _stepped(cls, **before)
    for group in opt.param_groups:
        group.update(after)
    opt.step({"w": np.full(3, 0.25)})
    other = cls({"w": opt.param_groups[0]["params"]["w"].copy()}, **after)
    other.load_state_dict(opt.state_dict())
    other.step({"w": np.full(3, 0.5)}), opt.step({"w": np.full(3, 0.5)})
    np.testing.assert_array_equal(other.param_groups[0]["params"]["w"], opt.param_groups[0]["params"]["w"])


def _sgd():
    return no.SGD({"w": np.ones(3)}, lr=0.1, momentum=0.9)


@pytest.mark.parametrize("make, change, match", [
    (lambda o: schedulers.StepLR(o, 3), {"step_size": 0}, "StepLR: step_size must be an integer >= 1, got 0"),
    (lambda o: schedulers.StepLR(o, 3), {"gamma": -1}, "StepLR: gamma must be a finite number > 0"),
    (lambda o: schedulers.CosineAnnealingLR(o, 10), {"T_max": 0}, "T_max must be an integer >= 1"),
    (lambda o: schedulers.StepLR(o, 3), {"last_epoch": "x"}, "last_epoch must be an integer >= -1, got 'x'"),
    (lambda o: schedulers.StepLR(o, 3), {"base_lrs": ["a"]}, "base_lrs must hold finite numbers >= 0"),
    (lambda o: schedulers.LinearWarmup(o), {"total_iters": 0}, "total_iters must be an integer >= 1"),
    (lambda o: extra.ReduceLROnPlateau(o), {"mode": "maximum"}, "mode must be 'min' or 'max', got 'maximum'"),
    (lambda o: extra.OneCycleLR(o, 1.0, total_steps=10), {"pct_start": 2}, "pct_start must be a finite number"),
])
def test_schedule_settings_loaded_go_through_the_constructors_checks(make, change, match):
    sd = make(_sgd()).state_dict()
    sd.update(change)
    opt = _sgd()
    sched = make(opt)
    lr = opt.param_groups[0]["lr"]
    with pytest.raises(ValueError, match=match):
        sched.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == lr and sched.state_dict() == make(_sgd()).state_dict()


# ------------------------------------------------------------------ attention
def test_attention_masks_and_arguments_are_named():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    mha = ni.MultiheadAttention(4, 2)
    with pytest.raises(TypeError, match=r"MultiheadAttention\(4, num_heads=2\): attn_mask must be boolean .* "
                                        r"got dtype int64 \(0/1 integers\? pass mask.astype\(bool\)\)"):
        mha.forward(x, attn_mask=np.zeros((3, 3), int))
    with pytest.raises(TypeError, match="key_padding_mask must be boolean"):
        mha.forward(x, key_padding_mask=np.array([[0, 0, 1], [0, 0, 0]]))
    with pytest.raises(ValueError, match="value given without key"):
        mha.forward(x, value=x)
    with pytest.raises(TypeError, match="scaled_dot_product_attention: attn_mask must be boolean"):
        ni.layers.attention.scaled_dot_product_attention(x, x, x, attn_mask=np.ones((3, 3), np.int8))
    with pytest.raises(ValueError, match="ScaledDotProductAttention: scale must be a finite number or None, got 'a'"):
        ni.ScaledDotProductAttention(scale="a")


@pytest.mark.parametrize("kwargs, match", [
    ({"layer_norm_eps": "abc"}, "TransformerEncoderLayer: layer_norm_eps must be a finite number > 0, got 'abc'"),
    ({"layer_norm_eps": None}, "TransformerEncoderLayer: layer_norm_eps must be a finite number > 0, got None"),
    ({"d_model": 4.7}, "TransformerEncoderLayer: d_model must be an integer >= 1, got 4.7"),
    ({"dim_feedforward": 0}, "TransformerEncoderLayer: dim_feedforward must be an integer >= 1, got 0"),
    ({"nhead": 3}, r"TransformerEncoderLayer: d_model \(4\) must be divisible by nhead \(3\)"),
])
def test_transformer_encoder_layer_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ni.TransformerEncoderLayer(**{"d_model": 4, "nhead": 2, **kwargs})


# ------------------------------------------------------------------ arrays of other kinds
def test_array_kinds():
    assert ni.Upsample(np.array(2)).scale_factor == (2, 2)
    with pytest.raises(ValueError, match="Upsample: scale_factor must be a positive integer"):
        ni.Upsample(np.array(2.5))
    with pytest.raises(ValueError, match=r"Flatten: expected input of shape \(N, d1, ...\).*got shape \(5,\)"):
        ni.Flatten().forward(np.zeros(5))
    with pytest.raises(TypeError, match=r"Linear\(2, 2\): got a masked array as input; pass x.filled"):
        ni.Linear(2, 2).forward(np.ma.masked_array(np.ones((2, 2)), mask=[[0, 1], [0, 0]]))
    layer = ni.Linear(2, 2)
    with pytest.warns(PendingDeprecationWarning):
        matrix = np.matrix([[1.0, 2.0]])
    out = layer.forward(matrix)       # np.matrix's * is a matmul: read as a plain array
    assert type(out) is np.ndarray
    layer.backward(np.ones((1, 2)))
    assert layer.grads["b"].shape == (2,)


def test_lists_where_arrays_go():
    with pytest.raises(TypeError, match=r"SGD.zero_grad: grads\['w'\] must be a writable array .* got list"):
        no.SGD({"w": np.zeros(2)}).zero_grad({"w": [1.0, 2.0]})
    with pytest.raises(TypeError, match="l2_penalty: parameter 'W': expected a floating-point array"):
        l2_penalty({"W": np.array([1, 2])}, 0.1)
    penalty, grads = l2_penalty({"W": [[1.0, 2.0]]}, 0.1)
    assert penalty == pytest.approx(0.5) and grads["W"].tolist() == [[0.2, 0.4]]


# ------------------------------------------------------------------ diagnose --factory
FACTORIES = '''
import numpy as np
from numpy_impl.layers import Layer, Linear
from numpy_impl.models import FullyConnectedNet, Model


def float32_model():
    return FullyConnectedNet(4, [3], 2, dtype=np.float32), np.ones((2, 4)), np.array([0, 1])


def nan_batch():
    X = np.ones((2, 4))
    X[1, 2] = np.nan
    return FullyConnectedNet(4, [3], 2), X, np.array([0, 1])


class Square(Layer):
    def forward(self, x, training=None):
        self.x = x
        return x * x

    def backward(self, dout):
        return 2 * self.x * dout


def own_layer_inside():
    return Model(Linear(4, 3), Square(), Linear(3, 2)), np.ones((2, 4)), np.array([0, 1])


def float32_both():
    return FullyConnectedNet(4, [3], 2, dtype=np.float32), np.ones((2, 4), np.float32), np.array([0, 1])
'''


@pytest.mark.parametrize("name, code, message", [
    ("float32_model", 2, "the model's parameters are float32 but X is float64: return X.astype(np.float32)"),
    ("nan_batch", 2, "returned X holding nan at (1, 2); diagnose needs finite inputs"),
    ("own_layer_inside", 2, "Model: no torch mirror for Square, a layer of your own inside it"),
    ("float32_both", 0, ""),
])
def test_diagnose_factory_bad_batches_are_input_errors_not_divergences(tmp_path, capsys, name, code, message):
    from parity_tests.cli import main
    (tmp_path / "factories.py").write_text(FACTORIES)
    assert main(["diagnose", "--factory", f"{tmp_path / 'factories.py'}:{name}"]) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == (1 if code else 0), err


@pytest.mark.parametrize("call, named", [
    (lambda: ni.Linear(10 ** 7, 10 ** 7), "Linear.init: Unable to allocate"),
    (lambda: ni.Conv2d(10 ** 6, 10 ** 6, 3), "Conv2d.init: Unable to allocate"),
    (lambda: ni.Conv2d(1, 1, 3, padding=10 ** 6).forward(np.zeros((1, 1, 3, 3))), "padding=(1000000, 1000000)"),
    (lambda: ni.PositionalEncoding(512, 10 ** 9), "PositionalEncoding.init: Unable to allocate"),
])
def test_sizes_no_machine_holds_name_the_layer(call, named):
    with pytest.raises(MemoryError, match=None) as err:
        call()
    assert named in str(err.value) and "TiB" in str(err.value)


def test_static_and_class_methods_of_a_layer_subclass_stay_as_written():
    class Static(ni.layers.Layer):
        @staticmethod
        def forward(x, training=None):
            return 2 * x

        @classmethod
        def backward(cls, dout):
            return 2 * dout

    layer = Static()
    assert layer.forward(np.ones(2)).tolist() == [2.0, 2.0] and layer.backward(np.ones(2)).tolist() == [2.0, 2.0]


def test_a_layer_of_your_own_subclassing_layer_keeps_its_signature_and_source():
    import inspect

    class Twice(ni.layers.Layer):
        def forward(self, x, training=None):
            return 2 * x

    assert list(inspect.signature(Twice.forward).parameters) == ["self", "x", "training"]
    assert "return 2 * x" in inspect.getsource(Twice.forward)


@pytest.mark.parametrize("cls", [ni.RNN, ni.LSTM, ni.GRU])
def test_a_recurrent_initial_state_in_torchs_layout_says_how_to_pass_it(cls):
    with pytest.raises(ValueError, match=r"got torch's layout \(1, 2, 5\): pass h0\[0\]"):
        cls(4, 5).forward(np.zeros((2, 3, 4)), h0=np.zeros((1, 2, 5)))


@pytest.mark.parametrize("call, named", [
    (lambda: ni.layers.Linear(2, 2) and __import__("numpy_impl.init").init.normal((10 ** 7, 10 ** 7)), "init.normal: shape"),
    (lambda: __import__("numpy_impl.init").init.xavier_uniform((10 ** 7, 10 ** 7)), "xavier_uniform: shape"),
    (lambda: __import__("numpy_impl.init").init.he_normal((10 ** 6, 10 ** 6, 3, 3)), "kaiming_normal: shape"),
])
def test_initialisers_of_shapes_no_machine_holds_name_themselves(call, named):
    with pytest.raises(MemoryError, match="GiB of float64 draws, more than this machine's") as err:
        call()
    assert named in str(err.value)
    from numpy_impl import init
    assert init.fans((10 ** 7, 10 ** 7)) == (10 ** 7, 10 ** 7)      # arithmetic on a shape draws nothing
