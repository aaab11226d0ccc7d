"""The groove server over its real Unix socket: results, errors, bad requests, lifecycle."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from groove.client import RemoteGroove, find_server, probe, stop_server, transport
from groove.config import GrooveConfig
from groove.domain import Outcome, RelationType
from groove.domain.tiered import Tier, TieredLearning
from groove.errors import AmbiguousId, GrooveError, NotFound, ValidationError
from groove.server import AlreadyRunning
from groove.service import LearningDetail, OutcomeReport, RequestContext, wire
from tests.conftest import make_project
from tests.served import Served, served


@pytest.fixture
def server(config: GrooveConfig) -> Iterator[Served]:
    with served(config) as s:
        yield s


@pytest.fixture
def api(server: Served) -> RemoteGroove:
    return RemoteGroove(server.paths)


def raw(server: Served, data: bytes) -> bytes:
    """Send bytes as they are and read the whole answer."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(server.paths.socket))
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return out


async def test_results_cross_the_socket_with_their_types(api: RemoteGroove,
                                                         tmp_path: Path) -> None:
    """Every use case answers over the socket with the same types the library returns."""
    ctx = RequestContext(make_project(tmp_path, "app"))
    added = await api.add(ctx, "Use pytest fixtures", insight="not setUp")
    assert isinstance(added, TieredLearning) and added.tier is Tier.PROJECT
    other = await api.add(ctx, "Run ruff before committing")
    await api.add(ctx, "Prefer small commits", tier=Tier.USER)
    detail = await api.get(ctx, str(added.learning.id)[-8:])
    assert isinstance(detail, LearningDetail)
    assert detail.found.learning == added.learning
    hits = await api.search(ctx, "pytest fixtures", limit=5)
    assert hits[0].learning.id == added.learning.id and hits[0].why is not None
    report = await api.record_outcome(ctx, added.learning.id, Outcome.HELPFUL)
    assert isinstance(report, OutcomeReport) and report.usage.times_helpful == 1
    rel = await api.relate(ctx, added.learning.id, RelationType.RELATED_TO, other.learning.id)
    assert rel.relation_type is RelationType.RELATED_TO
    out = tmp_path / "export.json"
    doc = await api.export(ctx, out)
    assert out.exists() and len(doc.learnings) == 3
    stats = await api.stats(ctx)
    assert sorted(t["tier"] for t in stats) == ["project", "user"]
    assert {p.name for p in await api.params(ctx)} >= set()
    assert (await api.delete(ctx, other.learning.id)).learning.id == other.learning.id


async def test_relative_paths_are_the_callers(api: RemoteGroove, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative path names a file in the caller's directory, not the server's."""
    monkeypatch.chdir(tmp_path)
    await api.add(RequestContext(), "Prefer small commits")
    await api.export(RequestContext(), Path("out.json"))
    assert json.loads((tmp_path / "out.json").read_text())["learnings"]


async def test_errors_arrive_as_the_same_tree(api: RemoteGroove) -> None:
    """A groove error raised in the server is raised in the client: same class, message."""
    ctx = RequestContext()
    with pytest.raises(NotFound) as e:
        await api.get(ctx, "0123456789abcdef")
    assert str(e.value) == "learning not found: 0123456789abcdef"
    assert e.value.id == "0123456789abcdef"
    with pytest.raises(ValidationError) as v:
        await api.add(ctx, "   ")
    assert v.value.field == "description"
    a = await api.add(ctx, "one")
    b = await api.add(ctx, "two")
    prefix = str(a.learning.id)[:6]  # UUIDv7: made in the same minute, same prefix
    assert str(b.learning.id).startswith(prefix)
    with pytest.raises(AmbiguousId) as amb:
        await api.get(ctx, prefix)
    assert len(amb.value.candidates) == 2


def test_bad_requests_get_errors_and_the_server_lives(server: Served) -> None:
    """Malformed JSON, an unknown method, bad arguments and an oversized body are answered
    with an error; the server keeps serving."""
    sock = server.paths.socket
    status, _, body = transport.request(sock, "POST", "/v1/call/search", b"{not json")
    assert status == 400 and "malformed request" in json.loads(body)["error"]["message"]
    with pytest.raises(ValidationError, match="unknown method 'drop_all'"):
        transport.call(sock, "drop_all", {})
    with pytest.raises(ValidationError, match="bad arguments for search"):
        transport.call(sock, "search", {}, "q", no_such_option=1)
    with pytest.raises(GrooveError):
        transport.call(sock, "add", {}, "x" * (wire.MAX_REQUEST_BYTES + 10))
    status, _, _ = transport.request(sock, "GET", "/v1/nothing-here")
    assert status == 404
    assert transport.call(sock, "list", {}) == []


def test_a_vanished_client_does_not_wedge_the_server(server: Served) -> None:
    """A client that sends half a request and hangs up leaves the server answering."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(server.paths.socket))
        s.sendall(b"POST /v1/call/add HTTP/1.1\r\nHost: g\r\nContent-Length: 1000\r\n\r\n{\"ctx\"")
    answer = raw(server, b"GET /v1/status HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200")
    assert transport.call(server.paths.socket, "list", {}) == []


def test_status_names_the_process_and_its_tiers(server: Served, tmp_path: Path) -> None:
    """Status: pid, version, socket, open tiers with counts, memory, requests."""
    transport.call(server.paths.socket, "add", {}, "Prefer small commits")
    st = transport.status(server.paths.socket)
    assert st["pid"] == os.getpid() and st["socket"] == str(server.paths.socket)
    assert st["requests"] >= 1 and st["rss_mb"] > 0
    assert [t["learnings"] for t in st["tiers"]] == [1]


def test_the_socket_is_private(server: Served) -> None:
    """The runtime directory is 0700 and the socket 0600."""
    assert server.paths.dir.stat().st_mode & 0o777 == 0o700
    assert server.paths.socket.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.getuid() != 0 or not Path("/usr/bin/python3").exists(),
                    reason="needs root (to run a client as a second uid) and /usr/bin/python3")
def test_another_user_cannot_connect(server: Served) -> None:
    """A process of another uid cannot reach the socket."""
    probe_script = (f"import socket; s = socket.socket(socket.AF_UNIX); "
                    f"s.connect({str(server.paths.socket)!r})")
    r = subprocess.run(["/usr/bin/python3", "-c", probe_script], user=65534, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode != 0 and "PermissionError" in r.stderr
    # with the file modes opened up, the server still refuses the peer's uid
    for d in (server.paths.dir.parent, server.paths.dir):
        d.chmod(0o711)
    server.paths.socket.chmod(0o666)
    ask = (f"import socket; s = socket.socket(socket.AF_UNIX); "
           f"s.connect({str(server.paths.socket)!r}); "
           "s.sendall(b'GET /v1/status HTTP/1.1\\r\\nHost: g\\r\\nConnection: close"
           "\\r\\n\\r\\n'); print(s.recv(200))")
    r = subprocess.run(["/usr/bin/python3", "-c", ask], user=65534, capture_output=True,
                       text=True, timeout=30)
    assert "403" in r.stdout, r.stdout + r.stderr


def test_a_second_server_finds_the_first(server: Served, config: GrooveConfig) -> None:
    """One per user: a second `serve` returns AlreadyRunning naming the first's pid."""
    from groove.server import serve

    result = asyncio.run(serve(config, paths=server.paths, signals=False))
    assert isinstance(result, AlreadyRunning) and result.pid == os.getpid()
    assert transport.call(server.paths.socket, "list", {}) == []


def test_a_client_of_another_version_stops_the_server(server: Served) -> None:
    """A client finding a server of another version asks it to stop."""
    assert server.server is not None
    server.server.version = "0.0.0-other"
    assert find_server(server.paths) is None
    deadline = time.monotonic() + 10
    while probe(server.paths) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert probe(server.paths) is None and not server.paths.socket.exists()


def test_stop_answers_then_stops(server: Served) -> None:
    """`stop_server` returns the pid once the server has let go of its lock."""
    assert stop_server(server.paths) == os.getpid()
    assert probe(server.paths) is None


def test_idle_server_exits_and_closes_idle_projects(config: GrooveConfig,
                                                    tmp_path: Path) -> None:
    """An unused project tier is closed; an idle server exits by itself."""
    root = make_project(tmp_path, "app")
    with served(config, idle_timeout=3.0, project_idle=0.5) as s:
        assert s.server is not None
        transport.call(s.paths.socket, "add", {"project_root": str(root)}, "Use uv")
        deadline = time.monotonic() + 20
        while s.server.api.pool.is_open(root / ".vibes" / "groove") and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        assert not s.server.api.pool.is_open(root / ".vibes" / "groove")
        s._thread.join(20)
        assert not s._thread.is_alive(), "the idle server did not exit"
        assert not s.paths.socket.exists()
