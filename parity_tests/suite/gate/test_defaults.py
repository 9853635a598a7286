"""The "defaults" gate row: every keyword default a NumPy component shares with its torch namesake."""
from parity_tests.gate.properties import (DEFAULT_DIFFERENCES, _defaults, _same_default, default_pairs,
                                          defaults)


def test_the_core_components_are_paired_with_their_torch_namesakes():
    names = {name for name, _, _ in default_pairs()}
    for want in ("Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "StepLR", "LinearWarmup", "ReduceLROnPlateau",
                 "BatchNorm1d", "LayerNorm", "Dropout", "LeakyReLU", "Conv2d", "MaxPool2d", "cross_entropy_loss",
                 "huber_loss", "gain"):
        assert want in names


def test_every_stated_difference_is_still_a_difference():
    """An exemption that no longer differs would hide a later change of that default."""
    pairs = {name: (a, b) for name, a, b in default_pairs()}
    for (name, key), why in DEFAULT_DIFFERENCES.items():
        assert why
        if name == "*":
            continue
        a, b = (_defaults(o) for o in pairs[name])
        assert key in a and key in b and not _same_default(a[key], b[key]), (name, key)


def test_a_changed_default_fails_naming_the_component_and_both_values(monkeypatch):
    from numpy_impl.optim import RMSprop
    monkeypatch.setattr(RMSprop, "defaults", dict(RMSprop.defaults, alpha=0.9))
    rep = defaults("float64", 0)
    bad = [r for r in rep.results if not r.passed]
    assert [r.check for r in bad] == ["RMSprop.alpha"]
    assert "RMSprop(alpha=0.9)" in bad[0].note and "alpha=0.99" in bad[0].note


def test_bools_are_not_numbers():
    assert not _same_default(False, 0) and _same_default(True, True) and _same_default((0.9, 0.999), (0.9, 0.999))
