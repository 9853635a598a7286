"""Deliberate bugs shared by the tests that prove a gate bites."""


def adam_off_by_0_1_percent(monkeypatch, from_step):
    """NumPy's Adam scales every parameter by 1.001 after its update, from ``from_step`` on."""
    from numpy_impl.optim import optimizers as O
    orig = O.Adam._update

    def update(self, p, g, state, group):
        orig(self, p, g, state, group)
        if state["step"] >= from_step:
            p *= 1.001
    monkeypatch.setattr(O.Adam, "_update", update)
