"""Scopes: the three kinds, their one-string form, and the ids and paths they accept."""

import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groove import InvalidScope, Learning, Scope
from groove.domain.scope import MAX_SCOPE_CHARS
from tests.conftest import make_learning

CONTROLS = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
printable = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=200)
makers = st.sampled_from([Scope.user, Scope.project,
                          lambda v: Scope.from_db_string(f"user:{v}"),
                          lambda v: Scope.from_db_string(f"project:{v}")])


@pytest.mark.parametrize(
    ("scope", "text"),
    [(Scope.GLOBAL, "global"), (Scope.user("alex"), "user:alex"),
     (Scope.project("/home/alex/my:repo"), "project:/home/alex/my:repo")],
)
def test_db_string_round_trip(scope: Scope, text: str) -> None:
    """Each scope kind maps to its one-string form and back."""
    assert scope.to_db_string() == text
    assert Scope.from_db_string(text) == scope


@pytest.mark.parametrize("bad", ["unknown:value", "user:", "project:", "", "Global", "user"])
def test_invalid_scope_rejected(bad: str) -> None:
    """Strings outside global | user:ID | project:PATH raise InvalidScope naming the value."""
    with pytest.raises(InvalidScope, match="expected 'global'"):
        Scope.from_db_string(bad)


def test_json_round_trip() -> None:
    """A scope survives JSON serialisation."""
    scope = Scope.user("test")
    assert Scope.from_json(json.loads(json.dumps(scope.to_json()))) == scope


@given(printable, st.sampled_from(["user", "project"]))
def test_printable_values_round_trip(value: str, kind: str) -> None:
    """Any printable Unicode id or path (colons, spaces, emoji alike) is kept verbatim."""
    scope = Scope.user(value) if kind == "user" else Scope.project(value)
    assert scope.value == value
    assert Scope.from_db_string(scope.to_db_string()) == scope
    assert Scope.from_json(json.loads(json.dumps(scope.to_json()))) == scope


@given(printable, st.sampled_from(CONTROLS), st.integers(0, 200), makers)
def test_control_characters_rejected(value: str, control: str, at: int,
                                     make: Callable[[str], Scope]) -> None:
    """A NUL, newline or other C0/C1 control character anywhere in an id or path is
    rejected, however the scope is made, naming the character and where it is."""
    bad = value[:at] + control + value[at:]
    with pytest.raises(InvalidScope, match=f"U\\+{ord(control):04X} at position "
                                           f"{min(at, len(value))};"):
        make(bad)


@pytest.mark.parametrize("bad", ["\udc80", "repo\ud800", "\udfff/x"])
def test_lone_surrogates_rejected(bad: str) -> None:
    """A lone surrogate (e.g. an undecodable file name) cannot be stored as UTF-8: rejected."""
    for make in (Scope.user, Scope.project, lambda v: Scope.from_db_string(f"project:{v}")):
        with pytest.raises(InvalidScope, match="not valid Unicode"):
            make(bad)


def test_length_limit() -> None:
    """Ids and paths up to the limit are kept; longer ones are rejected with a message
    that gives the length and the limit without echoing the whole value."""
    assert Scope.project("p" * MAX_SCOPE_CHARS).value == "p" * MAX_SCOPE_CHARS
    with pytest.raises(InvalidScope, match=r"is 100,000 characters; the limit is 4,096") as e:
        Scope.user("u" * 100_000)
    assert len(str(e.value)) < 200
    assert e.value.value == "user:" + "u" * 100_000


@pytest.mark.parametrize(("kind", "value"), [("user", "a\x00b"), ("project", "x" * 5000),
                                             ("global", "x"), ("team", "x"), ("user", "")])
def test_direct_construction_validated(kind: str, value: str) -> None:
    """The dataclass constructor validates too, so no invalid scope exists at all."""
    with pytest.raises(InvalidScope):
        Scope(kind, value)  # type: ignore[arg-type]


def test_import_document_with_bad_scope_rejected() -> None:
    """An export whose scope holds a NUL is rejected at the field, before any write."""
    d = make_learning().to_dict()
    d["scope"] = "project:/repo\x00/x"
    with pytest.raises(InvalidScope) as e:
        Learning.from_dict(d, "learnings[0].learning")
    assert e.value.field == "learnings[0].learning.scope"
