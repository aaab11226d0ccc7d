import json

import pytest

from groove import InvalidScope, Scope


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
