"""A blocking HTTP call over the server's Unix socket, on the standard library alone.

The hooks run as a fresh process per event with a deadline of a second or two: they
cannot afford aiohttp's import, nor `http.client`'s (it pulls in `email` and `ssl`,
a quarter of a hook's start-up here), so they (and the CLI and the launcher's probes)
speak the protocol's small subset of HTTP/1.1 directly: one request per connection,
`Connection: close`, a body framed by `Content-Length` (or chunked, or to EOF).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from groove.errors import ServerNotRunning, ServerUnavailable
from groove.service import wire

MAX_HEAD = 64 * 1024
"""Longest status line and headers accepted from the server."""


class _Closed(Exception):
    """The server closed the connection before a whole response arrived."""


def request(path: Path, method: str, url: str, body: bytes | None = None, *,
            timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one request. No server: `ServerUnavailable`; a server
    that does not answer within `timeout`: `TimeoutError`."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as e:
            raise ServerNotRunning(f"no groove server listens on {path}; start one with "
                                   "`groove server start`") from e
        head = [f"{method} {url} HTTP/1.1", "Host: groove", "Connection: close"]
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + (body or b""))
        return _response(sock)
    except (ConnectionResetError, BrokenPipeError, _Closed) as e:
        raise ServerUnavailable(
            f"the groove server on {path} closed the connection during {method} {url} (it "
            "may have stopped; see `groove server status`); a write may or may not have "
            "happened") from e
    finally:
        sock.close()


def _response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk or len(buf) > MAX_HEAD:
            raise _Closed()
        buf += chunk
    raw_head, _, rest = buf.partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise _Closed()
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        size = int(headers["content-length"])
        body = bytearray(rest)
        while len(body) < size:
            chunk = sock.recv(max(65536, size - len(body)))
            if not chunk:
                raise _Closed()
            body += chunk
        return int(parts[1]), headers, bytes(body[:size])
    body = bytearray(rest)
    while chunk := sock.recv(65536):
        body += chunk
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return int(parts[1]), headers, _unchunk(bytes(body))
    return int(parts[1]), headers, bytes(body)


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return bytes(out)
        if len(data) < size:
            raise _Closed()
        out += data[:size]
        data = data[size + 2:]


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
