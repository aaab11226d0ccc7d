"""Clients of the user's groove server: `RemoteGroove` (async, the full `GrooveAPI`),
the launcher that finds or starts the server, and a blocking standard-library transport
for processes that must start fast (the hooks).

Names are imported on first use (PEP 562): a hook never pays for aiohttp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from groove import lazy

if TYPE_CHECKING:
    from groove.client.launcher import (
        ensure_server,
        find_server,
        probe,
        start_detached,
        stop_server,
    )
    from groove.client.remote import RemoteGroove

_HOME = {"RemoteGroove": "remote", "ensure_server": "launcher", "find_server": "launcher",
         "probe": "launcher", "start_detached": "launcher", "stop_server": "launcher"}

__all__ = ["RemoteGroove", "ensure_server", "find_server", "probe", "start_detached",
           "stop_server"]


__getattr__ = lazy.exports(__name__, {n: f"groove.client.{m}" for n, m in _HOME.items()},
                           globals())
