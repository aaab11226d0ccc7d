"""The Claude Code plugin in the repository: its manifests have the shape Claude Code
reads (tests/fixtures/claude_code/CONTRACT.md section 6) and run groove's real entry points."""

from __future__ import annotations

import json
import re
from pathlib import Path

from groove.hooks.handlers import HANDLERS
from groove.hooks.settings import ENTRIES
from groove.version import __version__

ROOT = Path(__file__).parent.parent
PLUGIN = ROOT / "plugins" / "groove"


def load(path: Path) -> dict:  # type: ignore[type-arg]
    return dict(json.loads(path.read_text()))


def test_marketplace_lists_the_plugin() -> None:
    """/plugin marketplace add finds one plugin, groove, at a relative source that exists."""
    market = load(ROOT / ".claude-plugin" / "marketplace.json")
    assert market["name"] and market["owner"]["name"]
    [entry] = market["plugins"]
    assert entry["name"] == "groove" and (ROOT / entry["source"]).resolve() == PLUGIN.resolve()


def test_manifest_names_the_plugin_and_its_version() -> None:
    """plugin.json: a kebab-case name; its version is the package's."""
    manifest = load(PLUGIN / ".claude-plugin" / "plugin.json")
    assert re.fullmatch(r"[a-z][a-z0-9-]*", manifest["name"]) and manifest["name"] == "groove"
    assert manifest["version"] == __version__
    assert sorted(p.name for p in (PLUGIN / ".claude-plugin").iterdir()) == ["plugin.json"]


def test_hooks_are_the_installers_entries() -> None:
    """The plugin's hooks are exactly what `groove hooks install` writes, and each runs
    a `groove hook` that exists."""
    hooks = load(PLUGIN / "hooks" / "hooks.json")["hooks"]
    assert set(hooks) == set(ENTRIES)
    for event, (matcher, name, timeout) in ENTRIES.items():
        [group] = hooks[event]
        assert group.get("matcher") == matcher
        [handler] = group["hooks"]
        assert handler == {"type": "command", "command": f"groove hook {name}",
                           "timeout": timeout}
        assert name in HANDLERS and HANDLERS[name][0] == event


def test_mcp_server_is_groove_mcp() -> None:
    """The bundled MCP server is `groove mcp`, named groove (its tools are called
    mcp__plugin_groove_groove__<tool>; tests/learn pins that ratings so named count)."""
    servers = load(PLUGIN / ".mcp.json")["mcpServers"]
    assert servers == {"groove": {"command": "groove", "args": ["mcp"]}}
