"""`groove hook NAME` (run by Claude Code) and `groove hooks install|uninstall`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from groove.cli.app import EXIT_USER, State, json_option, main
from groove.errors import GrooveError

pass_state = click.make_pass_decorator(State)


@main.command(context_settings={"ignore_unknown_options": True},
              epilog="Example:  echo '{\"cwd\": \".\", \"prompt\": \"how do we test?\"}' | "
                     "groove hook prompt")
@click.argument("name", type=click.Choice(["session-start", "prompt", "stop", "session-end",
                                           "pre-compact"]))
def hook(name: str) -> None:
    """Run one Claude Code hook: its JSON on stdin, the answer on stdout. Always exits 0."""
    from groove.hooks import main as run_hook

    sys.exit(run_hook([name]))


@main.group(epilog="Example:  groove hooks install --project --dry-run")
def hooks() -> None:
    """Install or remove groove's Claude Code hooks in a settings.json."""


def _where(state: State, project: bool) -> Path:
    from groove.hooks.settings import settings_path

    if not project:
        return settings_path(project=None)
    root = state.project_root()
    if root is None:
        click.echo("error: no project here (no .git or .vibes above the current directory); "
                   "pass --project PATH before the command, or use --user", err=True)
        sys.exit(EXIT_USER)
    return settings_path(project=root)


def _apply(state: State, project: bool, dry_run: bool, as_json: bool, install: bool) -> None:
    from groove.hooks.settings import apply

    path = _where(state, project)
    try:
        change = apply(path, install=install, dry_run=dry_run)
    except GrooveError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USER)
    if as_json:
        click.echo(json.dumps({"settings": str(path), "dry_run": dry_run,
                               "added": change.added, "updated": change.updated,
                               "removed": change.removed,
                               "backup": str(change.backup) if change.backup else None}))
        return
    verb = "would change" if dry_run else "changed"
    if not change.changed:
        click.echo(f"{path}: groove's hooks are already "
                   f"{'installed' if install else 'absent'}; nothing to do")
        return
    click.echo(f"{path}: {verb}")
    for label, events in (("added", change.added), ("updated", change.updated),
                          ("removed", change.removed)):
        if events:
            click.echo(f"  {label}: {', '.join(events)}")
    if change.backup:
        click.echo(f"  backup: {change.backup}")


_scope = click.option("--project/--user", "project", default=False,
                      help="The project's .claude/settings.json, or ~/.claude/settings.json "
                           "(default).")
_dry = click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")


@hooks.command(epilog="Example:  groove hooks install --user")
@_scope
@_dry
@json_option
@pass_state
def install(state: State, project: bool, dry_run: bool, as_json: bool) -> None:
    """Merge groove's hooks into settings.json (backup first; other hooks untouched).

    Not needed with the groove plugin, which brings its own: installing both runs every
    hook twice.
    """
    _apply(state, project, dry_run, as_json, install=True)


@hooks.command(epilog="Example:  groove hooks uninstall --user")
@_scope
@_dry
@json_option
@pass_state
def uninstall(state: State, project: bool, dry_run: bool, as_json: bool) -> None:
    """Take groove's hooks out of settings.json, leaving everything else."""
    _apply(state, project, dry_run, as_json, install=False)
