"""``parity char-lm``: writes its history and curves, and its drift gate bites."""
import json

from parity_tests.cli import main

from ..breakers import adam_off_by_0_1_percent


def test_char_lm_writes_history_and_passes(tmp_path, capsys):
    assert main(["char-lm", "--steps", "6", "--out", str(tmp_path / "run")]) == 0
    assert "largest drift" in capsys.readouterr().out
    h = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(h["history"]) == 6 and h["max_drift"] < 1e-12
    assert (tmp_path / "run" / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_char_lm_drift_gate_bites(monkeypatch, capsys):
    adam_off_by_0_1_percent(monkeypatch, from_step=3)
    assert main(["char-lm", "--steps", "5"]) == 1
    assert "DRIFT EXCEEDS 1e-08: first at step 3" in capsys.readouterr().out
