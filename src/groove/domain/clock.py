"""Time and id primitives: microsecond UTC timestamps and time-ordered UUIDv7 ids."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_lock = threading.Lock()
_last_v7 = 0


def utcnow() -> datetime:
    """Timezone-aware now; microsecond precision so writes in one second still order."""
    return datetime.now(UTC)


def to_micros(dt: datetime) -> int:
    """Exact integer microseconds since the epoch (no float rounding)."""
    delta = dt.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def uuid7() -> uuid.UUID:
    """A UUIDv7 (RFC 9562), monotonic within this process.

    The 12 `rand_a` bits carry sub-millisecond time (method 3), and a counter
    breaks ties, so ids made in a row sort in the order they were made.
    """
    global _last_v7
    with _lock:
        ns = time.time_ns()
        ms = ns // 1_000_000
        sub = ((ns % 1_000_000) * 4096) // 1_000_000
        stamp = (ms << 12) | sub
        if stamp <= _last_v7:
            stamp = _last_v7 + 1
        _last_v7 = stamp
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = ((stamp >> 12) << 80) | (0x7 << 76) | ((stamp & 0xFFF) << 64) | (0b10 << 62) | rand_b
    return uuid.UUID(int=value)
