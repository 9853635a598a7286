"""The training command with a user's mistakes: a checkpoint of another run kept unless --overwrite,
resume refusing other settings but taking more epochs, a finite divergence failing lockstep."""

import pytest

from parity_tests.cli import main

from ..fakedata import learnable_mnist


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PARITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PARITY_DATA_ROOT", raising=False)


@pytest.fixture
def mnist(tmp_path):
    return ["--data", "mnist", "--root", learnable_mnist(str(tmp_path / "mnist"), 200, 50), "--no-progress"]


def test_checkpoint_of_another_run_is_kept_unless_overwrite(tmp_path, mnist, capsys):
    ckpt = str(tmp_path / "c.npz")
    assert main(["train", "softmax", *mnist, "--epochs", "1", "--checkpoint", ckpt]) == 0
    before = open(ckpt, "rb").read()
    assert main(["train", "two-layer", *mnist, "--epochs", "1", "--checkpoint", ckpt]) == 2
    assert "the file exists (a checkpoint at epoch 1" in capsys.readouterr().err
    assert open(ckpt, "rb").read() == before
    assert main(["train", "two-layer", *mnist, "--epochs", "1", "--checkpoint", ckpt, "--overwrite"]) == 0
    assert open(ckpt, "rb").read() != before


def test_resume_takes_more_epochs_without_a_schedule_and_refuses_other_settings(tmp_path, mnist, capsys):
    ckpt = str(tmp_path / "c.npz")
    base = ["train", "softmax", *mnist, "--schedule", "none"]
    assert main([*base, "--epochs", "1", "--checkpoint", ckpt]) == 0
    capsys.readouterr()
    assert main([*base, "--epochs", "2", "--resume", ckpt, "--lr", "0.05", "--reg", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "--lr: checkpoint 0.1, now 0.05" in err and "--reg: checkpoint 1e-05, now 0.5" in err
    assert main([*base, "--epochs", "2", "--resume", ckpt]) == 0
    out = capsys.readouterr().out
    assert "resuming with --epochs 2 (the checkpoint's run had 1)" in out and "epoch 2:" in out


def test_outputs_are_checked_and_created_before_training(tmp_path, mnist, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["train", "softmax", *mnist, "--out", str(tmp_path / "new" / "run"), "--save-state-dict",
                 str(tmp_path / "file" / "w.pt")]) == 2
    assert "--save-state-dict" in capsys.readouterr().err
    assert "epoch 1" not in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_finite_divergence_fails_lockstep(mnist, capsys):
    rc = main(["train", "softmax", *mnist, "--epochs", "2", "--optimizer", "sgd", "--lr", "1e30", "--lockstep"])
    out = capsys.readouterr().out
    assert rc == 1 and "diverging" in out and "training stopped" in out


def test_read_only_checkpoint_folder_is_named_before_training(tmp_path, mnist, capsys, monkeypatch):
    import tempfile

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(tempfile, "mkstemp", denied)          # what a read-only folder does, even to root
    assert main(["train", "softmax", *mnist, "--checkpoint", str(tmp_path / "ro" / "c.npz")]) == 2
    out, err = capsys.readouterr()
    assert "--checkpoint" in err and "cannot write" in err and "Permission denied" in err and "epoch 1" not in out


def test_no_validation_split_trains_in_lockstep(mnist, capsys):
    assert main(["train", "softmax", *mnist, "--epochs", "1", "--val", "0", "--lockstep"]) == 0
    assert "0 val" in capsys.readouterr().out
