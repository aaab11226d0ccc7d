"""Every command through the real CLI, on real databases in tmp dirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, as_json

pytestmark = pytest.mark.usefixtures("fast_model")


def _add(invoke: Invoke, text: str, *extra: str) -> str:
    return str(as_json(invoke("add", text, "--json", *extra))["id"])


def test_help_shows_examples(invoke: Invoke) -> None:
    """groove --help and each command's help show an example."""
    assert "Example" in invoke("--help").output
    for cmd in ["init", "add", "list", "show", "search", "outcome", "relate", "related",
                "promote", "propose", "proposals", "accept", "reject", "delete", "export",
                "import", "params", "stats", "doctor"]:
        assert "Example" in invoke(cmd, "--help").output, cmd


def test_init_creates_project_tier_and_ignores_it(invoke: Invoke, project: Path) -> None:
    """init creates .vibes/groove, appends it to .gitignore and reports each tier's path."""
    out = as_json(invoke("init", "--json"))
    assert (project / ".vibes" / "groove").is_dir()
    assert out["tiers"]["project"] == str(project / ".vibes" / "groove")
    assert "user" in out["tiers"]
    assert ".vibes/groove/" in (project / ".gitignore").read_text().splitlines()
    invoke("init")
    assert (project / ".gitignore").read_text().count(".vibes/groove/") == 1


def test_add_list_show(invoke: Invoke, project: Path) -> None:
    """add prints an id; list and show return it with tier, confidence and content."""
    invoke("init")
    lid = invoke("add", "Use pytest fixtures", "--insight", "not setUp").stdout.strip()
    uid = _add(invoke, "Prefer ruff", "--tier", "user", "--category", "tool_usage",
               "--pattern", '{"tool": "ruff"}')
    listed = as_json(invoke("list", "--json"))
    assert {(x["id"], x["tier"]) for x in listed} == {(lid, "project"), (uid, "user")}
    only = as_json(invoke("list", "--json", "--category", "tool_usage"))
    assert [x["id"] for x in only] == [uid]
    shown = as_json(invoke("show", uid[:13], "--json"))
    assert shown["content"]["pattern"] == {"tool": "ruff"}
    assert shown["usage_stats"]["times_injected"] == 0
    assert shown["confidence_interval"][0] < 0.5 < shown["confidence_interval"][1]
    text = invoke("show", lid).stdout
    assert "Use pytest fixtures" in text and "project tier" in text
    assert "Prefer ruff" in invoke("list").stdout


def test_search_outcome_relate(invoke: Invoke, project: Path) -> None:
    """search ranks by similarity; outcome moves confidence; relate/related both ways."""
    invoke("init")
    a = _add(invoke, "pytest fixtures for tests")
    b = _add(invoke, "git rebase workflow")
    hits = as_json(invoke("search", "pytest fixtures", "--json", "--limit", "1"))
    assert hits[0]["id"] == a and -1 <= hits[0]["similarity"] <= 1
    moved = as_json(invoke("outcome", a, "helpful", "--json"))
    assert moved["confidence_before"] == pytest.approx(0.5)
    assert moved["confidence_after"] == pytest.approx(2 / 3)
    assert "confidence 0.500 -> 0.476" in invoke("outcome", b, "ignored").stdout
    invoke("relate", a, "supersedes", b)
    rel = as_json(invoke("related", b, "--json"))
    assert [(r["from_id"], r["relation_type"], r["to_id"]) for r in rel] == [
        (a, "supersedes", b)]


def test_delete_confirms(invoke: Invoke, project: Path) -> None:
    """delete asks first; --yes skips the question; the learning is gone after."""
    a = _add(invoke, "temporary")
    invoke("delete", a, input="n\n", code=1)  # no tty: refuses without --yes
    invoke("delete", a, "--yes")
    invoke("show", a, code=1)


def test_errors_and_exit_codes(invoke: Invoke, project: Path) -> None:
    """User errors exit 1 with one line on stderr; usage errors exit 2; no traceback."""
    r = invoke("show", "ffffffff", code=1)
    assert r.stderr.startswith("error: learning not found") and "Traceback" not in r.stderr
    r = invoke("add", "x", "--pattern", "{bad", code=1)
    assert "--pattern" in r.stderr
    invoke("outcome", "abcd", "great", code=2)
    invoke("list", "--scope", "team:x", code=1)
    invoke("show", "ab", code=1)


def test_ambiguous_prefix_lists_candidates(invoke: Invoke, project: Path) -> None:
    """An ambiguous id prefix lists the candidates."""
    ids = [_add(invoke, f"learning {i}") for i in range(3)]
    common = ids[0][:4]
    assert all(i.startswith(common) for i in ids)
    r = invoke("show", common, code=1)
    assert "ambiguous" in r.stderr and ids[0] in r.stderr


def test_promote_propose_accept_reject(invoke: Invoke, project: Path, home: Path) -> None:
    """Promotion and enterprise curation from the command line."""
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "groove.toml").write_text(
        f'[enterprises.acme]\ndb_path = "{home / "acme"}"\n')
    (project / ".vibes").mkdir(exist_ok=True)
    (project / ".vibes" / "config.toml").write_text('[groove]\nenterprise = "acme"\n')
    a = _add(invoke, "share me")
    b = _add(invoke, "keep me")
    copy = as_json(invoke("promote", a, "--json"))
    assert copy["tier"] == "user" and copy["source"]["original_id"] == a
    p1 = as_json(invoke("propose", a, "--json"))
    p2 = as_json(invoke("propose", b, "--org", "acme", "--json"))
    pending = as_json(invoke("proposals", "--json", "--status", "pending"))
    assert {p["id"] for p in pending} == {p1["id"], p2["id"]}
    accepted = as_json(invoke("accept", p1["id"][:20], "--json", "--curator", "cora"))
    assert accepted["status"] == "accepted" and accepted["copy"]["source"]["curator"] == "cora"
    invoke("reject", p2["id"], code=2)  # --reason is required
    rejected = as_json(invoke("reject", p2["id"], "--reason", "too narrow", "--json"))
    assert rejected["reason"] == "too narrow"
    # the user copy and the enterprise copy of `a` fold into `a`, shown from the project tier
    listed = as_json(invoke("list", "--json"))
    assert sorted((x["id"], x["tier"]) for x in listed) == sorted(
        [(a, "project"), (b, "project")])
    assert {x["tier"] for x in as_json(invoke("list", "--json", "--tier", "enterprise"))} == {
        "enterprise"}


def test_export_import_and_params(invoke: Invoke, project: Path, home: Path) -> None:
    """export to a file and stdout; import reports stats; params lists and samples."""
    invoke("init")
    _add(invoke, "one")
    _add(invoke, "two", "--tier", "user")
    out = home / "export.json"
    invoke("export", str(out))
    doc = json.loads(out.read_text())
    assert len(doc["learnings"]) == 2
    assert json.loads(invoke("export", "-", "--tier", "user").stdout)["learnings"][0][
        "content"]["description"] == "two"
    stats = as_json(invoke("import", str(out), "--tier", "user", "--json"))
    assert (stats["learnings_imported"], stats["learnings_skipped"]) == (1, 1)
    bad = home / "bad.json"
    bad.write_text(out.read_text()[:-30])
    r = invoke("import", str(bad), code=1)
    assert "not valid JSON" in r.stderr
    assert [p["name"] for p in as_json(invoke("params", "--json"))] == [
        "injection_budget", "injection_threshold"]
    invoke("params", "injection_budget", "--sample")
    invoke("params", "nope", code=1)


def test_stats_and_doctor(invoke: Invoke, project: Path) -> None:
    """stats reports per tier; doctor checks config, tiers and integrity."""
    invoke("init")
    _add(invoke, "one")
    tiers = as_json(invoke("stats", "--json"))
    assert [t["tier"] for t in tiers] == ["project", "user"]
    assert tiers[0]["learnings"] == 1 and tiers[0]["schema_version"] >= 3
    assert tiers[0]["size_bytes"] > 0
    report = as_json(invoke("doctor", "--json"))
    assert report["healthy"] is True
    assert "SemanticSearch" in report["capabilities"]


def test_malformed_config_is_one_line(invoke: Invoke, home: Path, project: Path) -> None:
    """A malformed config file is reported with file and line, exit 1."""
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "groove.toml").write_text("engine = \n")
    r = invoke("list", code=1)
    assert "groove.toml line 1" in r.stderr
