"""The layers import downward only, and nothing below the entry points prints or exits.

The layers are declared once, as an import-linter contract in pyproject.toml
([tool.importlinter]); these tests run it, and prove on a copy of the package that it
catches an upward import.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SRC = ROOT / "src" / "groove"
ENTRY_POINTS = ("cli", "hooks", "mcp", "server", "__main__.py")
"""What talks to a person or a process: only these may print, exit or draw a terminal."""
UI_ONLY = ("click", "rich", "typer")


def _lint_imports(project: Path, src: Path) -> subprocess.CompletedProcess[str]:
    """Run `project`'s import-linter contracts on the groove package found in `src`."""
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.fail(f"{exe} is missing: install the test extra (pip install -e '.[test]')")
    path = os.pathsep.join(p for p in (str(src), os.environ.get("PYTHONPATH")) if p)
    return subprocess.run([str(exe), "--no-cache", "--config", str(project / "pyproject.toml")],
                          cwd=project, env={**os.environ, "PYTHONPATH": path},
                          capture_output=True, text=True, timeout=120)


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


def test_imports_point_downward() -> None:
    """Each layer imports only the layers beneath it (the contract in pyproject.toml)."""
    r = _lint_imports(ROOT, ROOT / "src")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 kept, 0 broken" in r.stdout, r.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The project's contract and a copy of the package, to break on purpose."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(SRC, tmp_path / "src" / "groove",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("domain/clock.py", "import groove.store", "groove.domain is not allowed to import "
                                               "groove.store"),
    ("store/rows.py", "from groove import GrooveStorage",
     "groove.store is not allowed to import groove.tiers"),
    ("errors.py", "from groove.domain import Scope",
     "groove.errors is not allowed to import groove.domain"),
    ("config.py", "from groove.embedder import DefaultEmbedder",
     "groove.config is not allowed to import groove.embedder"),
    ("service/__init__.py", "import groove.testing",
     "groove.service is not allowed to import groove.testing"),
    ("hooks/__init__.py", "import groove.cli", "groove.hooks is not allowed to import groove.cli"),
])
def test_contract_catches_an_upward_import(copy: Path, module: str, line: str,
                                           broken: str) -> None:
    """An import of a higher layer (or of a sibling, or through the package root) breaks
    the contract, in layers that exist and in those still to be written."""
    target = copy / "src" / "groove" / module
    target.parent.mkdir(exist_ok=True)
    with target.open("a") as f:
        f.write(f"\n{line}  # an upward import, on purpose\n")
    r = _lint_imports(copy, copy / "src")
    assert r.returncode == 1, r.stdout + r.stderr
    assert broken in r.stdout, r.stdout


def test_contract_places_every_module(copy: Path) -> None:
    """A new top-level module breaks the contract until it is given its layer."""
    (copy / "src" / "groove" / "newthing.py").write_text("X = 1\n")
    r = _lint_imports(copy, copy / "src")
    assert r.returncode == 1 and "- groove.newthing" in r.stdout, r.stdout + r.stderr


def test_nothing_below_the_cli_prints_or_exits() -> None:
    """Only the entry points (cli, hooks, mcp, server, __main__) print, exit, or use the
    terminal toolkits."""
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ENTRY_POINTS:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else (
                    f"{getattr(f.value, 'id', '')}.{f.attr}" if isinstance(f, ast.Attribute)
                    else "")
                assert name not in ("print", "exit", "sys.exit", "os._exit"), f"{rel}: {name}"
        for name in _imports(path):
            assert name.split(".")[0] not in UI_ONLY, f"{rel} imports {name}"
