"""The attribution rules one by one, on small transcripts in Claude Code's format."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from groove.domain import Learning, LearningCategory, LearningContent, Outcome, Scope
from groove.domain.injection import InjectedVia, Injection
from groove.learn import attribute, read_turns
from groove.learn.attribution import key_phrases
from groove.testing import TranscriptBuilder

SESSION = "5d7c2a9e-1111-4c2b-9d7e-0a1b2c3d4e5f"


def outcome(tmp_path: Path, description: str, insight: str, t: TranscriptBuilder) -> tuple[
        Outcome, str]:
    learning = Learning.new(Scope.GLOBAL, LearningCategory.PREFERENCE,
                            LearningContent(description, insight))
    shown = [(Injection(SESSION, learning.id, InjectedVia.SESSION_START, 0, "project", 0.5,
                        None, datetime.now(UTC)), learning)]
    [a] = attribute(read_turns(t.write(tmp_path / "s.jsonl")), shown)
    return a.outcome, a.evidence.rule


def test_a_template_matches_any_filling(tmp_path: Path) -> None:
    """`pnpm --filter <package> test` is carried out by `pnpm --filter @acme/checkout test`."""
    t = (TranscriptBuilder(SESSION).prompt("test the checkout package")
         .tool("Bash", {"command": "pnpm --filter @acme/checkout test -- shipping"}, "8 passed"))
    assert outcome(tmp_path, "Run one package's tests with `pnpm --filter <package> test`",
                   "", t) == (Outcome.HELPFUL, "followed: uses its token")


def test_a_code_template_matches_other_argument_names(tmp_path: Path) -> None:
    """`fmt.Errorf("...: %w", err)` is carried out with other arguments; `%v` is not it."""
    used = (TranscriptBuilder(SESSION).prompt("wrap that error")
            .tool("Edit", {"new_string": 'return fmt.Errorf("deliver %s: %w", ev.ID, lastErr)'},
                  "ok"))
    assert outcome(tmp_path, 'Wrap errors with `fmt.Errorf("...: %w", err)`', "",
                   used)[0] is Outcome.HELPFUL
    other = (TranscriptBuilder(SESSION).prompt("wrap that error")
             .tool("Edit", {"new_string": 'return fmt.Errorf("deliver %s: %v", id, err)'},
                   "ok"))
    assert outcome(tmp_path, 'Wrap errors with `fmt.Errorf("...: %w", err)`', "",
                   other)[0] is Outcome.IGNORED


def test_a_prefix_matches_with_a_scope(tmp_path: Path) -> None:
    """`chore:` is carried out by a `chore(db):` commit message."""
    t = (TranscriptBuilder(SESSION).prompt("commit it")
         .tool("Bash", {"command": 'git commit -m "chore(db): merge heads"'}, "ok"))
    assert outcome(tmp_path, "Commit messages follow Conventional Commits (`feat:`, `chore:`)",
                   "", t)[0] is Outcome.HELPFUL


def test_a_command_only_mentioned_is_not_followed(tmp_path: Path) -> None:
    """Naming a command in a reply is not running it: ignored."""
    t = (TranscriptBuilder(SESSION).prompt("what changed since v1.8?")
         .say("Three commits. When you want them out, run `make deploy ENV=staging`."))
    assert outcome(tmp_path, "Deploy with `make deploy ENV=staging`", "", t)[0] is \
        Outcome.IGNORED


def test_insight_tokens_do_not_stand_in_for_the_description(tmp_path: Path) -> None:
    """A name from the insight's explanation (find_package) used for something else does
    not make the learning followed when its description names what to do."""
    t = (TranscriptBuilder(SESSION).prompt("build it")
         .say("The build stops at `find_package(Boost)` in CMakeLists.txt."))
    assert outcome(tmp_path, "On macOS pass `-DOPENSSL_ROOT_DIR=$(brew --prefix openssl@3)`",
                   "so find_package(OpenSSL) finds it", t)[0] is Outcome.IGNORED


def test_a_learning_without_code_is_followed_by_its_phrase(tmp_path: Path) -> None:
    """"Use constructor injection, not `@Autowired` fields": the agent saying it uses
    constructor injection carries it out."""
    t = (TranscriptBuilder(SESSION).prompt("add a ReindexService")
         .say("I'll use constructor injection with final fields."))
    assert outcome(tmp_path, "Use constructor injection in Spring components, not "
                   "`@Autowired` fields", "", t) == (Outcome.HELPFUL,
                                                      "followed: does what it names")
    assert " named export " in key_phrases("Components use named exports, not default exports")
    assert " default export " not in key_phrases("Use named exports, not default exports")
