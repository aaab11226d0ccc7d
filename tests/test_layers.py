"""The layers import downward only, and nothing below the CLI prints or exits."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "groove"

# module (or package) -> the groove modules it must not import
FORBIDDEN = {
    "domain": ["groove.store", "groove.tiers", "groove.config", "groove.embedder",
               "groove.transfer", "groove.plugin", "groove.cli"],
    "errors.py": ["groove."],
    "store": ["groove.tiers", "groove.config", "groove.embedder", "groove.transfer",
              "groove.plugin", "groove.cli"],
    "config.py": ["groove.store", "groove.tiers", "groove.plugin", "groove.cli"],
    "embedder.py": ["groove.store", "groove.tiers", "groove.plugin", "groove.cli"],
    "transfer.py": ["groove.store", "groove.tiers", "groove.plugin", "groove.cli"],
    "tiers.py": ["groove.plugin", "groove.cli"],
    "plugin.py": ["groove.cli"],
}
UI_ONLY = ("click", "rich", "typer")


def _files(part: str) -> list[Path]:
    p = SRC / part
    return sorted(p.rglob("*.py")) if p.is_dir() else [p]


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_imports_point_downward(part: str) -> None:
    """Each layer imports only the layers beneath it."""
    for path in _files(part):
        for name in _imports(path):
            bad = [f for f in FORBIDDEN[part] if name == f.rstrip(".") or name.startswith(f)]
            if part == "errors.py":
                bad = [f for f in bad if name != "groove.errors"]
            assert not bad, f"{path.relative_to(SRC)} imports {name}"


def test_nothing_below_the_cli_prints_or_exits() -> None:
    """Only groove.cli prints, exits, or uses the terminal toolkits."""
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("cli", "__main__.py"):
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
