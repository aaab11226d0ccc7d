"""Hostile text (escape sequences, bidi overrides, C1 controls) stored by an agent never
reaches a terminal as control: list, show, search and export in a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from groove.domain.text import json_safe, visible

pytestmark = pytest.mark.slow
GROOVE = str(Path(sys.executable).with_name("groove"))

HOSTILE = [
    "title \x1b]0;pwned\x07 after",       # OSC: sets the window title, swallows output
    "red \x1b[31mRED\x1b[0m and \x1b[2J clear",  # CSI colour and erase-screen
    "rtl \u202eevil\u202c override",      # right-to-left override
    "c1 \x9b31m csi and \x08backspace",   # C1 CSI, backspace
    "zero\u200bwidth and \ufeffbom",       # format characters
]
RAW = ["\x1b]", "\x07", "\x1b[31m", "\x1b[2J", "\u202e", "\x9b", "\x08", "\u200b", "\ufeff"]


def in_pty(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run groove with its stdout on a pseudo-terminal; what the terminal received."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([GROOVE, *args], stdout=secondary, stderr=secondary, env=env,
                            stdin=subprocess.DEVNULL, cwd=cwd)
    os.close(secondary)
    out = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(primary)
    return out.decode("utf-8", errors="replace")


def test_hostile_text_is_inert_in_a_terminal(tmp_path: Path) -> None:
    """Every hostile string is stored as given and shown only as visible escapes."""
    env = {**os.environ, "GROOVE_CONFIG": str(tmp_path / "groove.toml"),
           "GROOVE_NO_SERVER": "1", "COLUMNS": "200"}
    (tmp_path / "groove.toml").write_text(f'user_db_path = "{tmp_path / "user"}"\n')
    ids = []
    for text in HOSTILE:
        r = subprocess.run([GROOVE, "add", text, "--insight", text], capture_output=True,
                           text=True, env=env, timeout=120, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        ids.append(r.stdout.strip())
    outputs = {"list": in_pty(["list"], env, tmp_path),
               "search": in_pty(["search", "hostile"], env, tmp_path),
               "export": in_pty(["export"], env, tmp_path),
               **{f"show {i}": in_pty(["show", i], env, tmp_path) for i in ids}}
    for name, out in outputs.items():
        for raw in RAW:
            assert raw not in out, (name, raw, out)
    assert "\\x1b]0;pwned" in outputs[f"show {ids[0]}"]
    exported = subprocess.run([GROOVE, "export"], capture_output=True, text=True, env=env,
                              timeout=120, cwd=tmp_path).stdout
    stored = {x["content"]["description"] for x in json.loads(exported)["learnings"]}
    assert stored == set(HOSTILE)  # kept exactly; only the showing is neutralised


def test_visible_and_json_safe_are_lossless_where_it_matters() -> None:
    """`visible` escapes only what is unsafe; `json_safe` output parses to the same data."""
    for text in HOSTILE:
        shown = visible(text)
        assert not any(raw in shown for raw in RAW)
        assert json.loads(json_safe(json.dumps({"t": text}, ensure_ascii=False)))["t"] == text
    assert visible("plain ünïcödé 日本語 text\nnext line") == "plain ünïcödé 日本語 text\nnext line"
