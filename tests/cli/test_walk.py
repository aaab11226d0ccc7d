"""The walk of one `groove add` from the CLI down to RocksDB, layer by layer."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from tests.cli.conftest import Invoke

# Layers, highest first. The hash embedder stands in for the model, so it counts as one.
LAYERS = [("groove.cli", "cli"), ("groove.service", "service"), ("groove.plugin", "plugin"),
          ("groove.tiers", "tiers"), ("groove.embedder", "embedder"),
          ("groove.testing", "embedder"), ("groove.config", "config"),
          ("groove.transfer", "transfer"), ("groove.store.engine", "engine"),
          ("groove.store", "store"), ("groove.domain", "domain"), ("groove.errors", "errors")]
RANK = {"cli": 9, "service": 8, "plugin": 7, "tiers": 6, "embedder": 5, "config": 5,
        "transfer": 5, "store": 4, "engine": 3, "domain": 2, "errors": 1}


def _layer(frame: FrameType | None) -> str | None:
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    return next((name for prefix, name in LAYERS if module.startswith(prefix)), None)


@pytest.mark.usefixtures("fast_model")
def test_add_walks_each_layer_once_downward(invoke: Invoke, project: Path) -> None:
    """From the CLI's call of the service's `add`, the request enters service, tiers,
    embedder, store and engine in that order, each once; and no groove function ever
    calls into a layer above its own (objects are composed at the top, in the CLI)."""
    entered: list[str] = []
    upward: list[tuple[str, str, str]] = []
    callers_of_add: list[str | None] = []
    lock = threading.Lock()

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event != "call":
            return
        callee = _layer(frame)
        if callee is None:
            return
        caller = _layer(frame.f_back)
        with lock:
            if callee == "service" and frame.f_code.co_qualname == "LocalGroove.add" \
                    and not callers_of_add:
                callers_of_add.append(caller)
            if callers_of_add and (not entered or entered[-1] != callee):
                entered.append(callee)
            if caller is not None and RANK[callee] > RANK[caller]:
                upward.append((caller, callee, frame.f_code.co_qualname))

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        invoke("add", "Use ruff check --fix", "--insight", "not flake8")
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    assert upward == []
    assert callers_of_add == ["cli"]
    walk = [x for x in entered if x in ("service", "tiers", "embedder", "store", "engine")]
    assert list(dict.fromkeys(walk)) == ["service", "tiers", "embedder", "store", "engine"], walk
