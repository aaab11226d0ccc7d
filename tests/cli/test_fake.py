"""groove.testing.FakeGroove: the fake service stands in for the real one behind the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from groove.cli.app import State
from groove.service import GrooveAPI, RequestContext
from groove.testing import FakeGroove
from tests.cli.conftest import Invoke, as_json


def test_fake_satisfies_the_protocol() -> None:
    """FakeGroove is a GrooveAPI, like LocalGroove and the socket client."""
    assert isinstance(FakeGroove(), GrooveAPI)


def test_cli_runs_on_the_fake(invoke: Invoke, home: Path, monkeypatch: pytest.MonkeyPatch
                              ) -> None:
    """The CLI talks only to the protocol: with the fake behind it, add, search, outcome and
    show work and no database is created."""
    fake = FakeGroove()
    monkeypatch.setattr(State, "api", lambda self, **kw: fake)
    added = as_json(invoke("add", "Use ruff check --fix", "--json"))
    hits = as_json(invoke("search", "ruff fix", "--json"))
    assert [h["id"] for h in hits] == [added["id"]]
    invoke("outcome", added["id"][:8], "helpful")
    shown = as_json(invoke("show", added["id"], "--json"))
    assert shown["usage_stats"]["times_helpful"] == 1
    assert fake.calls[:3] == ["add", "close", "search"]
    assert not any(home.rglob("CURRENT"))


async def test_fake_keeps_the_beta_update() -> None:
    """Outcomes on the fake move confidence like the real posterior does."""
    from groove import Outcome

    fake = FakeGroove()
    ctx = RequestContext()
    added = await fake.add(ctx, "x")
    report = await fake.record_outcome(ctx, added.learning.id, Outcome.CONTRADICTED)
    assert report.confidence_after == pytest.approx(1 / 3.5)
