import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

from parity_tests.cli import main
from parity_tests.gate.runner import markdown_table
from parity_tests.gate.registry import ENTRIES


def test_check_writes_json_and_junit(tmp_path, capsys):
    j, x = tmp_path / "r.json", tmp_path / "sub" / "r.xml"
    assert main(["check", "--only", "Softsign,mse", "--json", str(j), "--junit", str(x)]) == 0
    out = capsys.readouterr().out
    assert "Softsign" in out and "mse_loss" in out and "PASS" in out and "0 failed" in out
    data = json.loads(j.read_text())
    assert data["passed"] and data["failed"] == 0 and data["total"] == len(data["results"]) > 0
    assert {r["component"] for r in data["results"]} == {"Softsign", "mse_loss"}
    suite = ET.parse(x).getroot()
    assert suite.tag == "testsuite" and int(suite.get("failures")) == 0 and len(suite) == data["total"]


def test_unknown_pattern_is_a_usage_error(capsys):
    assert main(["check", "--only", "NoSuchLayer"]) == 2
    assert "no component matches" in capsys.readouterr().err


def test_console_script_installed():
    exe = shutil.which("parity") or os.path.join(os.path.dirname(sys.executable), "parity")
    r = subprocess.run([exe, "check", "--only", "Flatten", "--dtype", "float64"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Flatten" in r.stdout


def test_docs_table_is_generated_from_the_registry():
    here = os.path.dirname(__file__)
    doc = open(os.path.join(here, "..", "..", "..", "docs", "COMPONENTS.md")).read()
    assert markdown_table(ENTRIES) in doc, "docs/COMPONENTS.md is stale: run 'parity list --markdown'"


def test_shards_cover_the_registry_once(capsys):
    from parity_tests.gate.registry import select
    from parity_tests.gate.runner import shard
    names = [e.name for e in ENTRIES]
    parts = [[e.name for e in shard(list(ENTRIES), f"{i}/3")] for i in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(names) and all(parts)
    assert parts == [[e.name for e in shard(list(ENTRIES), f"{i}/3")] for i in (1, 2, 3)]   # deterministic
    assert main(["check", "--only", "Tanh,ReLU,mse", "--shard", "2/2", "-q"]) == 0
    picked = select("Tanh,ReLU,mse")                        # substrings: Hardtanh, LeakyReLU, ReLU6... too
    assert {"Tanh", "Hardtanh", "ReLU", "LeakyReLU", "ReLU6", "mse_loss"} <= {e.name for e in picked}
    assert f"{len(shard(picked, '2/2'))} components" in capsys.readouterr().out
    assert main(["check", "--shard", "3/2"]) == 2
    assert main(["check", "--shard", "x"]) == 2
