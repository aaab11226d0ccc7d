"""Fixtures of the team tests: one real PostgreSQL per session, a fresh database per test,
and "machines": homes with their own user tier, project and enterprise replica."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from groove.config import EnterpriseConfig, GrooveConfig
from groove.service import LocalGroove, RequestContext
from groove.team import init_server
from groove.testing import HashEmbedder
from tests.team.pg import PgServer, start_server

ORG = "acme"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for the whole session, found or installed by the tests."""
    server, how = start_server()
    if server is None:
        pytest.skip(f"cannot run a PostgreSQL server on this machine: {how}")
    try:
        yield server
    finally:
        server.close()


def create_database(server: PgServer) -> str:
    import psycopg
    from psycopg import sql

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server.url(name)


@pytest.fixture
def team_url(pg_server: PgServer) -> str:
    """A fresh database on the session server, with the groove schema in it."""
    url = create_database(pg_server)
    asyncio.run(init_server(url))
    return url


@dataclass
class Machine:
    """One developer's machine: a home with a user tier, a project of the org, a replica."""

    api: LocalGroove
    ctx: RequestContext
    config: GrooveConfig
    root: Path

    @property
    def replica_path(self) -> Path:
        return self.config.enterprises[ORG].db_path


def machine_config(root: Path, url: str, user: str) -> tuple[GrooveConfig, Path]:
    project = root / "project"
    (project / ".vibes").mkdir(parents=True, exist_ok=True)
    (project / ".vibes" / "config.toml").write_text(f'[groove]\nenterprise = "{ORG}"\n')
    config = GrooveConfig(root / "user", {ORG: EnterpriseConfig(ORG, root / ORG, url)},
                          user_id=user)
    config.save(root / "groove.toml")
    return config, project


def make_machine(root: Path, url: str, user: str) -> Machine:
    config, project = machine_config(root, url, user)
    return Machine(LocalGroove(config, embedder=HashEmbedder()), RequestContext(project),
                   config, root)


@pytest.fixture
async def machines(tmp_path: Path, team_url: str) -> AsyncIterator[tuple[Machine, Machine]]:
    """Two machines (alice's and bob's) on one team server."""
    a = make_machine(tmp_path / "alice", team_url, "alice")
    b = make_machine(tmp_path / "bob", team_url, "bob")
    try:
        yield a, b
    finally:
        await a.api.close()
        await b.api.close()
