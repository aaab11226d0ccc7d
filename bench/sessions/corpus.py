"""A hand-labelled corpus of coding sessions for attribution and capture.

Each session: the learnings groove showed it (key -> text), the transcript (built in
Claude Code's record format by `TranscriptBuilder`), and the labels a careful reader
gives: the outcome of every shown learning, and the learnings worth capturing (as the
words a capture must contain), possibly none. Written by hand; tricky negatives
included (a "never" that is not a preference, a question, a pasted doc, an error never
fixed, a learning mentioned but not followed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from groove.testing import TranscriptBuilder

LEARNINGS = {
    "ruff": ("Lint with `ruff check --fix`", "not flake8"),
    "uv": ("Install packages with `uv pip install`", "not plain pip"),
    "pytest-x": ("Run tests with `pytest -x`", "stop at the first failure"),
    "deploy": ("Deploy with `ops/deploy.sh staging`", "never deploy prod from a laptop"),
    "profile": ("Set `AWS_PROFILE=staging` before aws commands", "prod needs approval"),
    "pnpm": ("Use `pnpm` for the frontend", "the lockfile is pnpm-lock.yaml"),
    "alembic": ("Create migrations with `alembic revision --autogenerate`", "review them"),
    "structlog": ("Log with `structlog.get_logger()`", "never print() in services"),
    "black": ("Format with `black -l 100`", "line length 100"),
    "compose": ("Start services with `docker compose up -d db`", "the app runs on the host"),
    "mypy": ("Type-check with `mypy --strict src`", "tests are not type-checked"),
    "tmp": ("Use the `tmp_path` fixture for files in tests", "never write into the repo"),
}


@dataclass
class Session:
    name: str
    shown: list[str]
    build: Callable[[TranscriptBuilder], TranscriptBuilder]
    outcomes: dict[str, str]
    captures: list[str] = field(default_factory=list)
    """Words each expected capture's description must contain (lowercase)."""


def _s(name: str, shown: list[str], outcomes: dict[str, str], captures: list[str],
       build: Callable[[TranscriptBuilder], TranscriptBuilder]) -> Session:
    return Session(name, shown, build, outcomes, captures)


SESSIONS = [
    _s("lint-followed", ["ruff", "deploy"], {"ruff": "helpful", "deploy": "ignored"}, [],
       lambda t: t.prompt("fix the lint errors in src/")
       .tool("Bash", {"command": "ruff check --fix src/"}, "Found 4 errors (4 fixed)")
       .say("Fixed the 4 lint errors.")),
    _s("uv-corrected", ["uv"], {"uv": "contradicted"}, ["pip-sync"],
       lambda t: t.prompt("add httpx to the project")
       .tool("Bash", {"command": "uv pip install httpx"}, "Installed 1 package")
       .prompt("no, don't use uv pip install here. Use pip-sync, not uv.")
       .tool("Bash", {"command": "pip-sync requirements.txt"}, "ok")),
    _s("tests-followed", ["pytest-x", "tmp"], {"pytest-x": "helpful", "tmp": "ignored"}, [],
       lambda t: t.prompt("run the test suite and tell me what fails")
       .tool("Bash", {"command": "pytest -x tests/"}, "1 failed, 20 passed", True)
       .say("test_parse fails on empty input.")),
    _s("tmp-path-followed", ["tmp"], {"tmp": "helpful"}, [],
       lambda t: t.prompt("write a test for save_config")
       .tool("Write", {"file_path": "tests/test_config.py",
                       "content": "def test_save(tmp_path):\n    save_config(tmp_path / 'c')\n"},
             "File created")
       .tool("Bash", {"command": "pytest tests/test_config.py"}, "1 passed")),
    _s("deploy-followed", ["deploy", "profile"], {"deploy": "helpful", "profile": "helpful"},
       [],
       lambda t: t.prompt("ship the current branch to staging")
       .tool("Bash", {"command": "AWS_PROFILE=staging ops/deploy.sh staging"}, "deployed v42")
       .say("Deployed v42 to staging.")),
    _s("profile-corrected", ["profile"], {"profile": "contradicted"}, [],
       lambda t: t.prompt("list the buckets in the sandbox account")
       .tool("Bash", {"command": "AWS_PROFILE=staging aws s3 ls"}, "staging-bucket")
       .prompt("wrong account: don't use AWS_PROFILE=staging for the sandbox, it's sandbox")
       .tool("Bash", {"command": "AWS_PROFILE=sandbox aws s3 ls"}, "sandbox-bucket")),
    _s("pnpm-explicit", ["pnpm"], {"pnpm": "helpful"}, [],
       lambda t: t.prompt("start the frontend")
       .tool("mcp__groove__record_outcome", {"id": "{pnpm}", "outcome": "helpful"},
             "recorded")
       .tool("Bash", {"command": "npm run dev"}, "ready on :5173")),
    _s("pnpm-ignored-npm", ["pnpm"], {"pnpm": "ignored"}, [],
       lambda t: t.prompt("what does the build script do?")
       .tool("Read", {"file_path": "package.json"}, '{"scripts": {"build": "vite build"}}')
       .say("It runs vite build.")),
    _s("alembic-followed", ["alembic", "structlog"],
       {"alembic": "helpful", "structlog": "ignored"}, [],
       lambda t: t.prompt("add a nullable column nickname to users")
       .tool("Edit", {"file_path": "app/models.py", "old_string": "name =",
                      "new_string": "nickname = Column(String, nullable=True)\n    name ="},
             "ok")
       .tool("Bash", {"command": "alembic revision --autogenerate -m 'add nickname'"},
             "Generating migrations/0042_add_nickname.py")),
    _s("structlog-followed", ["structlog"], {"structlog": "helpful"}, [],
       lambda t: t.prompt("add logging to the payment handler")
       .tool("Edit", {"file_path": "app/pay.py", "old_string": "def handle",
                      "new_string": "log = structlog.get_logger()\n\ndef handle"}, "ok")),
    _s("black-corrected", ["black", "ruff"], {"black": "contradicted", "ruff": "ignored"},
       ["ruff format"],
       lambda t: t.prompt("format the code")
       .tool("Bash", {"command": "black -l 100 ."}, "reformatted 3 files")
       .prompt("no, we don't use black anymore. Use ruff format, not black.")
       .tool("Bash", {"command": "ruff format ."}, "3 files reformatted")),
    _s("compose-followed", ["compose"], {"compose": "helpful"}, [],
       lambda t: t.prompt("the app cannot connect to postgres")
       .tool("Bash", {"command": "docker compose up -d db"}, "Container db Started")
       .tool("Bash", {"command": "pytest tests/test_db.py"}, "3 passed")),
    _s("mypy-followed", ["mypy", "pytest-x"], {"mypy": "helpful", "pytest-x": "ignored"}, [],
       lambda t: t.prompt("check the types")
       .tool("Bash", {"command": "mypy --strict src"}, "Success: no issues found")),
    _s("preference-stated", ["ruff"], {"ruff": "ignored"},
       ["conventional commits", "main"],
       lambda t: t.prompt("always use conventional commits for messages. "
                          "And never push directly to main.")
       .tool("Bash", {"command": "git commit -m 'feat: add export'"}, "1 file changed")),
    _s("question-not-preference", ["uv"], {"uv": "ignored"}, [],
       lambda t: t.prompt("should we always pin versions in requirements?")
       .say("Pinning makes builds reproducible; a lock file is the usual way.")),
    _s("never-not-preference", [], {}, [],
       lambda t: t.prompt("the cron job never finished last night, check the logs")
       .tool("Bash", {"command": "journalctl -u backup --since yesterday"}, "killed: OOM")
       .say("It was killed for memory.")),
    _s("pasted-doc", ["compose"], {"compose": "ignored"}, [],
       lambda t: t.prompt("summarize this:\n```\nAlways use the staging cluster for load "
                          "tests. Never run them against prod.\n```")
       .say("The doc says load tests belong on staging.")),
    _s("command-fixed", [], {}, ["python -m pytest"],
       lambda t: t.prompt("run the unit tests")
       .tool("Bash", {"command": "pytest tests/unit"}, "bash: pytest: command not found", True)
       .tool("Bash", {"command": "python -m pytest tests/unit"}, "41 passed")),
    _s("error-never-fixed", [], {}, [],
       lambda t: t.prompt("build the docs")
       .tool("Bash", {"command": "mkdocs build"}, "Error: theme material not found", True)
       .say("The material theme is missing; install mkdocs-material?")),
    _s("other-target-not-fix", ["pytest-x"], {"pytest-x": "ignored"}, [],
       lambda t: t.prompt("run the api and the worker tests")
       .tool("Bash", {"command": "pytest tests/api"}, "2 failed", True)
       .tool("Bash", {"command": "pytest tests/worker"}, "9 passed")),
    _s("mentioned-not-followed", ["deploy"], {"deploy": "ignored"}, [],
       lambda t: t.prompt("what changed since the last release?")
       .tool("Bash", {"command": "git log --oneline v41..HEAD"}, "a1 fix\nb2 feat")
       .say("Two commits since v41.")),
    _s("prefer-over", ["tmp"], {"tmp": "ignored"}, ["httpx requests"],
       lambda t: t.prompt("we prefer httpx over requests in this codebase. "
                          "Add a client for the billing API.")
       .tool("Write", {"file_path": "app/billing.py", "content": "import httpx\n"}, "ok")),
    _s("truncated", ["ruff"], {"ruff": "helpful"}, [],
       lambda t: t.prompt("lint please")
       .tool("Bash", {"command": "ruff check --fix ."}, "All checks passed!")),
]
