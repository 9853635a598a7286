"""The layering, checked by reading every module's imports (nothing is executed):

    numpy_impl  <-  torch_ref  <-  parity_tests.gate  <-  parity_tests.lab
    datasets (numpy_impl only; torchvision for parsing)

numpy_impl imports no torch; the gate never imports the lab; no module imports a private
(underscore) name from another top-level package."""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# package folder -> top-level modules it must never import
FORBIDDEN = {
    "numpy_impl": ("torch", "torchvision", "torch_ref", "parity_tests", "datasets"),
    "torch_ref": ("parity_tests", "datasets"),
    "datasets": ("torch_ref", "parity_tests"),
    os.path.join("parity_tests", "gate"): ("parity_tests.lab",),
}


def _module_name(path, root=ROOT):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    return ".".join(rel[:-1] if rel[-1] == "__init__" else rel)


def imports_of(path, root=ROOT):
    """``(imported module, imported names, line)`` for every import in the file, relative imports
    resolved against its package."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    package = _module_name(path, root).split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, (), node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            yield module, tuple(a.name for a in node.names), node.lineno


def python_files(folder, root=ROOT):
    for dirpath, dirnames, files in os.walk(os.path.join(root, folder)):
        dirnames[:] = [d for d in dirnames if d not in ("__pycache__", "suite")]
        for f in files:
            if f.endswith(".py"):
                yield os.path.join(dirpath, f)


def violations(folder, forbidden, root=ROOT):
    out = []
    for path in python_files(folder, root):
        for module, names, line in imports_of(path, root):
            # `from parity_tests import lab` names the lab module too
            targets = [module] + [f"{module}.{n}" for n in names]
            for bad in forbidden:
                if any(t == bad or t.startswith(bad + ".") for t in targets):
                    out.append(f"{os.path.relpath(path, root)}:{line} imports {module} ({bad} is off limits)")
    return out


@pytest.mark.parametrize("folder", list(FORBIDDEN))
def test_import_direction(folder):
    assert violations(folder, FORBIDDEN[folder]) == []


def test_the_direction_test_bites(tmp_path):
    """A lab import added to a gate module is caught, in each spelling."""
    gate = os.path.join("parity_tests", "gate")
    os.makedirs(tmp_path / gate)
    for line in ("from ..lab import plots", "from parity_tests.lab.presets import Config", "import parity_tests.lab",
                 "from parity_tests import lab", "from .. import lab"):
        (tmp_path / gate / "probe.py").write_text("import numpy\n" + line + "\n")
        found = violations(gate, FORBIDDEN[gate], root=str(tmp_path))
        assert len(found) == 1 and "probe.py:2" in found[0], (line, found)


def test_no_private_names_across_packages():
    bad = []
    for top in ("numpy_impl", "torch_ref", "datasets", "parity_tests"):
        for path in python_files(top):
            for module, names, line in imports_of(path):
                if not module or module.split(".")[0] == top:
                    continue
                private = [n for n in names if n.startswith("_")] + \
                          [p for p in module.split(".") if p.startswith("_") and p != "__future__"]
                if private and module.split(".")[0] in ("numpy_impl", "torch_ref", "datasets", "parity_tests"):
                    bad.append(f"{os.path.relpath(path, ROOT)}:{line} imports {private} from {module}")
    assert bad == []
