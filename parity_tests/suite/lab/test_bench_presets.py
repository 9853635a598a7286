from parity_tests.gate.bench import STEPS
from parity_tests.lab.presets import for_model


def test_bench_steps_use_the_presets():
    """The bench's training steps (the gate cannot import the lab) match the presets."""
    for kind, _sample, batch, opt, lr, momentum, reg, _target in STEPS:
        cfg = for_model(kind)
        assert (cfg.batch_size, cfg.optimizer, cfg.lr, cfg.reg) == (batch, opt, lr, reg), kind
        assert opt != "momentum" or (cfg.momentum or 0.9) == momentum
