from pathlib import Path

import groove
from groove import (
    DatabaseLocked,
    GrooveError,
    MigrationError,
    NoEnterpriseContext,
    NoProjectContext,
    NotFound,
)


def test_every_error_has_one_root() -> None:
    """Every exception groove exports derives from GrooveError."""
    errors = [getattr(groove, n) for n in groove.__all__
              if isinstance(getattr(groove, n), type)
              and issubclass(getattr(groove, n), BaseException)]
    assert len(errors) >= 15
    assert all(issubclass(e, GrooveError) for e in errors)


def test_messages_name_value_and_fix() -> None:
    """Messages carry the offending value and what to do."""
    assert str(NoProjectContext()).startswith("No project context available")
    assert "acme" in str(NoEnterpriseContext("acme"))
    assert "abc" in str(NotFound("abc"))
    locked = DatabaseLocked(Path("/x/db"), 4242, 1.5)
    assert "/x/db" in str(locked) and "4242" in str(locked) and locked.holder_pid == 4242
    assert "/b.db" in str(MigrationError("boom", backup=Path("/b.db")))
