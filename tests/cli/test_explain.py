"""`groove search --explain`: each hit says why it ranked where it did."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, as_json


@pytest.mark.usefixtures("fast_model")
def test_search_explains_its_ranking(invoke: Invoke, project: Path) -> None:
    """The JSON carries score, similarity and the factors; the table adds one line per hit;
    a contradicted learning shows its lower trust."""
    good = as_json(invoke("add", "run pytest with -x to stop early", "--json"))["id"]
    bad = as_json(invoke("add", "run pytest with --forked always", "--json"))["id"]
    for _ in range(4):
        invoke("outcome", bad, "contradicted")
    hits = as_json(invoke("search", "run pytest", "--explain", "--json"))
    assert [h["id"] for h in hits] == [good, bad]
    why = {h["id"]: h["why"] for h in hits}
    assert why[bad]["trust"] < why[good]["trust"] and not why[good]["sampled"]
    assert all(0 <= h["score"] <= 1 and -1 <= h["similarity"] <= 1 for h in hits)
    text = invoke("search", "run pytest", "--explain").stdout
    assert f"{good[:18]}  score" in text and "x trust" in text
