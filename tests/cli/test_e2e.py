"""As a newcomer would: the real model, the real command, fresh homes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from groove.cli import main

pytestmark = pytest.mark.slow


def _env(home: Path) -> dict[str, str]:
    return {"GROOVE_CONFIG": str(home / "config" / "groove.toml"),
            "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")}


def test_newcomer_flow_with_real_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """init, add three, search, outcome, promote, export, import into a fresh home, compare."""
    home, fresh = tmp_path / "home", tmp_path / "fresh"
    project = tmp_path / "repo"
    project.mkdir()
    monkeypatch.chdir(project)
    runner = CliRunner()

    def groove(h: Path, *args: str) -> str:
        for k, v in _env(h).items():
            monkeypatch.setenv(k, v)
        r = runner.invoke(main, list(args), catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r.stdout

    groove(home, "init")
    ids = [groove(home, "add", d, "--insight", i).strip() for d, i in [
        ("Use pytest fixtures instead of setUp", "Fixtures compose and scope well"),
        ("Sear steak in a hot cast iron pan", "Rest the meat before slicing"),
        ("Run ruff before committing", "It fixes imports and most lint automatically"),
    ]]
    hits = json.loads(groove(home, "search", "how should I structure python tests?", "--json"))
    assert hits[0]["id"] == ids[0]
    assert hits[0]["similarity"] > hits[-1]["similarity"]
    out = json.loads(groove(home, "outcome", ids[0], "helpful", "--json"))
    assert out["confidence_after"] > out["confidence_before"]
    copy = json.loads(groove(home, "promote", ids[0], "--json"))
    assert copy["tier"] == "user"
    export = tmp_path / "all.json"
    groove(home, "export", str(export))
    stats = json.loads(groove(fresh, "import", str(export), "--tier", "user", "--json"))
    assert stats["learnings_imported"] == 4 and stats["embeddings_computed"] == 4
    again = tmp_path / "again.json"
    groove(fresh, "export", str(again), "--tier", "user")
    a, b = json.loads(export.read_text()), json.loads(again.read_text())
    key = lambda d: sorted(d["learnings"], key=lambda x: x["id"])  # noqa: E731
    assert key(a) == key(b)
    assert a["relations"] == b["relations"]
    # search works in the fresh home: the vectors were recomputed on import
    hits = json.loads(groove(fresh, "search", "cast iron cooking", "--json", "--limit", "1"))
    assert hits[0]["id"] == ids[1]


HOLD = """
import sys, time
from pathlib import Path
from groove.store.engine import Engine
e = Engine.open(Path(sys.argv[1]))
print("ready", flush=True)
time.sleep(60)
"""


def test_locked_database_exits_3(tmp_path: Path) -> None:
    """While another process holds the user tier, a groove command waits its bounded time,
    then exits 3 naming the path, the holder's pid and --lock-timeout; doctor's fix says
    to stop that pid or wait."""
    env = {**os.environ, **_env(tmp_path)}
    user_db = tmp_path / "data" / "vibes" / "groove" / "user"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(user_db)], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        r = subprocess.run([sys.executable, "-m", "groove", "--lock-timeout", "0.5", "list"],
                           capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
        assert r.returncode == 3, r.stderr
        assert str(user_db) in r.stderr and str(holder.pid) in r.stderr
        assert "Traceback" not in r.stderr and "--lock-timeout" in r.stderr
        r = subprocess.run([sys.executable, "-m", "groove", "doctor", "--skip-model",
                            "--json"], capture_output=True, text=True, env=env, timeout=60,
                           cwd=tmp_path)
        user = next(c for c in json.loads(r.stdout)["checks"] if c["check"] == "user tier")
        assert f"stop process {holder.pid}" in user["fix"] and "--lock-timeout" in user["fix"]
    finally:
        holder.kill()
        holder.wait()
    r = subprocess.run([sys.executable, "-m", "groove", "list", "--json"],
                       capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_list_never_loads_the_model(tmp_path: Path) -> None:
    """`groove list` (and show/outcome) never import torch or sentence-transformers."""
    probe = (
        "import sys\n"
        "from groove.cli import main\n"
        "for args in (['list'], ['stats']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit as e:\n"
        "        assert e.code in (0, None), e.code\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       env={**os.environ, **_env(tmp_path)}, cwd=tmp_path, timeout=120)
    assert "HEAVY []" in r.stdout, (r.stdout, r.stderr)
