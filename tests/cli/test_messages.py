"""Messages that say what is wrong and what to do, once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, as_json


def test_unknown_enterprise_names_it_and_the_known_ones(invoke: Invoke, project: Path,
                                                        home: Path) -> None:
    """A project naming an org the user config lacks: the error names it and the orgs
    that exist, and how to add it."""
    invoke("config", "enterprise", "add", "acme", "--db-path", str(home / "acme"))
    (project / ".vibes").mkdir(exist_ok=True)
    (project / ".vibes" / "config.toml").write_text('[groove]\nenterprise = "nope"\n')
    err = invoke("list", "--tier", "enterprise", code=1).stderr
    assert "org 'nope'" in err and "configured: acme" in err
    assert "groove config enterprise add nope" in err


def test_doctor_says_when_the_config_file_is_missing(invoke: Invoke, home: Path) -> None:
    """doctor does not call a missing config file ok without saying it is missing."""
    (home / "config" / "groove.toml").unlink()
    checks = as_json(invoke("doctor", "--skip-model", "--json"))["checks"]
    config = next(c for c in checks if c["check"] == "config")
    assert "does not exist: defaults apply" in config["detail"]


@pytest.mark.usefixtures("fast_model")
def test_import_error_states_each_fact_once(invoke: Invoke, project: Path) -> None:
    """A rejected import names the file, the field and the reason, once each."""
    doc = {"version": 1, "exported_at": "2026-01-01T00:00:00+00:00",
           "learnings": [{"id": "x"}], "params": [], "relations": []}
    bad = project / "bad.json"
    bad.write_text(json.dumps(doc))
    err = invoke("import", str(bad), code=1).stderr
    assert err.count("bad.json") == 1 and err.count("learnings[0]") == 1
    assert err.strip().splitlines() == [err.strip()]  # one line, no blank one after
