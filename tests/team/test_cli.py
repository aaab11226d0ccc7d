"""`groove sync` and `groove team init-server` from the terminal, and a server that is down."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from groove.cli import main
from groove.team import init_server
from groove.testing import HashEmbedder
from tests.team.conftest import create_database, machine_config
from tests.team.helpers import curated, seed
from tests.team.pg import PgServer, free_port, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def fast_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("groove.embedder.DefaultEmbedder", HashEmbedder)


def groove(root: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["--config", str(root / "groove.toml"),
                                       "--project", str(root / "project"), *args],
                                catch_exceptions=False)
    assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
    return result


def test_init_server_and_sync_from_the_cli(pg_server: PgServer, tmp_path: Path) -> None:
    """init-server sets a database up; sync --json reports what it pushed and pulled."""
    url = create_database(pg_server)
    out = json.loads(groove(tmp_path, "team", "init-server", url, "--json").stdout)
    assert out["version_after"] == 1 and out["roles"] == ["groove_developer", "groove_curator"]
    machine_config(tmp_path, url, "alice")
    asyncio.run(seed(url, curated(3)))
    (report,) = json.loads(groove(tmp_path, "sync", "--json").stdout)
    assert report["org"] == "acme" and report["full"] is True
    assert report["pulled"]["learnings"] == 3
    assert "nothing new" in groove(tmp_path, "sync").stderr


def test_a_password_in_the_url_is_refused(tmp_path: Path) -> None:
    """A sync_url or init-server URL with a password is refused before any connection,
    with the way to give the password instead."""
    result = groove(tmp_path, "team", "init-server", "postgresql://admin:hunter2@db/groove",
                    code=1)
    assert "PGPASSWORD or ~/.pgpass" in result.stderr and "hunter2" not in result.stderr
    (tmp_path / "groove.toml").write_text(
        '[enterprises.acme]\ndb_path = "acme"\nsync_url = "postgresql://a:hunter2@db/g"\n')
    result = groove(tmp_path, "list", code=1)
    assert "contains a password" in result.stderr and "groove.toml" in result.stderr
    assert "hunter2" not in result.stderr


def test_a_server_that_is_down(tmp_path: Path) -> None:
    """With the team server stopped (or never there), local reads keep working, `groove
    sync` exits 1 naming the URL and what to do, and the replica is unchanged."""
    pg, how = start_server()
    if pg is None:
        pytest.skip(f"cannot run a PostgreSQL server on this machine: {how}")
    try:
        url = create_database(pg)
        asyncio.run(init_server(url))
        asyncio.run(seed(url, curated(4)))
        machine_config(tmp_path, url, "alice")
        groove(tmp_path, "sync")
        before = groove(tmp_path, "list", "--tier", "enterprise", "--json").stdout
        assert len(json.loads(before)) == 4
        pg.stop()
        result = groove(tmp_path, "sync", code=1)
        assert f"cannot reach the team server {url}" in result.stderr
        assert "PGPASSWORD" in result.stderr and "local reads keep working" in result.stderr
        assert groove(tmp_path, "list", "--tier", "enterprise", "--json").stdout == before
        first = json.loads(before)[0]["id"]
        groove(tmp_path, "outcome", first, "helpful")  # offline: queued for the next push
        (status,) = json.loads(groove(tmp_path, "team", "status", "--json").stdout)
        assert status["pending_outcomes"] == 1 and status["last_sync"] is not None
        assert "cannot reach the team server" in status["server_error"]
        pg.start()
        (report,) = json.loads(groove(tmp_path, "sync", "--json").stdout)
        assert report["pushed_events"] == 1 and report["pulled"]["usage"] == 1
        (status,) = json.loads(groove(tmp_path, "team", "status", "--json").stdout)
        assert status["pending_outcomes"] == 0 and status["server_version"] == 1
        assert "schema v1" in groove(tmp_path, "team", "status").stdout
        before = groove(tmp_path, "list", "--tier", "enterprise", "--json").stdout
    finally:
        pg.close()
    nowhere = f"postgresql://alice@127.0.0.1:{free_port()}/groove"
    machine_config(tmp_path, nowhere, "alice")
    result = groove(tmp_path, "sync", "--org", "acme", code=1)
    assert f"cannot reach the team server {nowhere}" in result.stderr
    assert groove(tmp_path, "list", "--tier", "enterprise", "--json").stdout == before
