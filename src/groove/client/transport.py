"""A blocking HTTP call over the server's Unix socket, on the standard library alone.

The hooks run as a fresh process per event with a deadline of a second or two: they
cannot afford aiohttp's import, so they (and the launcher's probes) speak the same
protocol through `http.client` on an `AF_UNIX` socket.
"""

from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path
from typing import Any

from groove.errors import ServerNotRunning, ServerUnavailable
from groove.service import wire


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float):
        super().__init__("groove", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self._path))
        except OSError:
            sock.close()
            raise
        self.sock = sock


def request(path: Path, method: str, url: str, body: bytes | None = None, *,
            timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request. No server: `ServerUnavailable`; a server
    that does not answer within `timeout`: `TimeoutError`."""
    conn = _UnixConnection(path, timeout)
    try:
        try:
            conn.connect()
        except (FileNotFoundError, ConnectionRefusedError) as e:
            raise ServerNotRunning(f"no groove server listens on {path}; start one with "
                                   "`groove server start`") from e
        conn.request(method, url, body=body,
                     headers={"Content-Type": "application/json"} if body is not None else {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as e:
        raise ServerUnavailable(
            f"the groove server on {path} closed the connection during {method} {url} (it "
            "may have stopped; see `groove server status`); a write may or may not have "
            "happened") from e
    finally:
        conn.close()


def call(path: Path, method: str, ctx: dict[str, Any], *args: Any, timeout: float = 5.0,
         **kwargs: Any) -> Any:
    """One use case through the server; its errors raised as the same `GrooveError`."""
    payload = wire.dumps({"ctx": ctx, "args": list(args), "kwargs": kwargs})
    status, _, raw = request(path, "POST", wire.call_path(method), payload, timeout=timeout)
    if status != 200:
        raise wire.decode_error(_json(raw), status)
    return wire.loads(raw)["result"]


def submit(path: Path, method: str, ctx: dict[str, Any], *args: Any, timeout: float = 1.0,
           **kwargs: Any) -> None:
    """Hand a call to the server to run after it answers (fire and forget)."""
    payload = wire.dumps({"ctx": ctx, "args": list(args), "kwargs": kwargs,
                          "background": True})
    status, _, raw = request(path, "POST", wire.call_path(method), payload, timeout=timeout)
    if status != 202:
        raise wire.decode_error(_json(raw), status)


def status(path: Path, *, timeout: float = 2.0, full: bool = True) -> dict[str, Any]:
    """The server's status document (see `groove server status`); `full=False`: only who
    answers (pid, version, config, model loaded), which costs the server nothing."""
    what = "status" if full else "hello"
    code, _, raw = request(path, "GET", f"/{wire.API_VERSION}/{what}", timeout=timeout)
    if code != 200:
        raise wire.decode_error(_json(raw), code)
    return dict(json.loads(raw))


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
