"""`groove config`: read and change the user config (and a project's enterprise) without
editing TOML by hand. Every change is validated as a whole config before it is saved."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

import click

from groove.cli import render
from groove.cli.app import EXIT_USER, State, json_option, main
from groove.config import NUMBER_SETTINGS, EnterpriseConfig, GrooveConfig
from groove.errors import ConfigError, GrooveError
from groove.locations import find_project_root, project_config_path

pass_state = click.make_pass_decorator(State)
KEYS = ("user_db_path", "user_id", "engine", *NUMBER_SETTINGS)


def _values(config: GrooveConfig) -> dict[str, Any]:
    out: dict[str, Any] = {k: getattr(config, k) for k in KEYS}
    out["user_db_path"] = str(config.user_db_path)
    for org, e in sorted(config.enterprises.items()):
        out[f"enterprises.{org}.db_path"] = str(e.db_path)
        if e.sync_url:
            out[f"enterprises.{org}.sync_url"] = e.sync_url
    return out


def _fail(e: GrooveError) -> None:
    click.echo(f"error: {e}", err=True)
    sys.exit(EXIT_USER)


@main.group(epilog="Example:  groove config set lock_timeout 5  then  groove config list")
def config() -> None:
    """Read and change groove's user config (the file `groove config path` names)."""


@config.command(name="path")
@pass_state
def path_(state: State) -> None:
    """Where the user config lives (GROOVE_CONFIG or --config move it)."""
    p = state.config_file()
    click.echo(str(p))
    if not p.exists():
        render.info("(it does not exist yet: defaults apply; `groove config set` creates it)")


@config.command(name="list", epilog="Example:  groove config list --json")
@json_option
@pass_state
def list_(state: State, as_json: bool) -> None:
    """Every setting with its value (defaults included)."""
    try:
        values = _values(state.config())
    except GrooveError as e:
        _fail(e)
        return
    if as_json:
        render.emit_json({"file": str(state.config_file()),
                          "exists": state.config_file().exists(), "settings": values})
        return
    render.table(None, ["setting", "value"], ((k, str(v)) for k, v in values.items()))


@config.command(epilog="Example:  groove config get hook_deadline")
@click.argument("key")
@pass_state
def get(state: State, key: str) -> None:
    """One setting's value."""
    try:
        values = _values(state.config())
    except GrooveError as e:
        _fail(e)
        return
    if key not in values:
        _fail(ConfigError(f"unknown setting {key!r}; known: {', '.join(values)}"))
    click.echo(str(values[key]))


@config.command(name="set", epilog="Example:  groove config set server_idle_timeout 600")
@click.argument("key", type=click.Choice(KEYS))
@click.argument("value")
@pass_state
def set_(state: State, key: str, value: str) -> None:
    """Change one setting (validated; the file is replaced atomically)."""
    try:
        current = GrooveConfig.load(state.config_file())
        data: dict[str, Any] = tomllib.loads(current.to_toml())
        data[key] = _typed(key, value)
        updated = GrooveConfig.from_dict(data, state.config_file())
        updated.save(state.config_file())
    except GrooveError as e:
        _fail(e)
        return
    render.info(f"{key} = {_values(updated)[key]}  ({state.config_file()})")


def _typed(key: str, value: str) -> Any:
    if key in NUMBER_SETTINGS:
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{key} must be a number of {NUMBER_SETTINGS[key]}, "
                              f"not {value!r}") from None
    return value


@config.group()
def enterprise() -> None:
    """The enterprises (orgs) this user belongs to."""


@enterprise.command(epilog="Example:  groove config enterprise add acme --db-path "
                           "~/acme-groove --join")
@click.argument("org")
@click.option("--db-path", required=True, type=click.Path(path_type=Path),
              help="Where the org's tier database lives on this machine.")
@click.option("--sync-url", help="The team's PostgreSQL (postgresql://user@host/db).")
@click.option("--join", is_flag=True,
              help="Also make this project an org project (.vibes/config.toml).")
@pass_state
def add(state: State, org: str, db_path: Path, sync_url: str | None, join: bool) -> None:
    """Add (or update) an org in the user config; with --join, name it in this project."""
    try:
        config = GrooveConfig.load(state.config_file())
        config.enterprises[org] = EnterpriseConfig(org, db_path.expanduser().absolute(),
                                                   sync_url)
        config.save(state.config_file())
        render.info(f"enterprise {org}: db_path {config.enterprises[org].db_path}"
                    + (f", sync_url {sync_url}" if sync_url else ""))
        if join:
            root = state.project_root() or find_project_root(Path.cwd())
            if root is None:
                raise ConfigError("--join needs a project (a directory with .git or .vibes)")
            _join(root, org)
            render.info(f"{root} now reads and proposes to {org}")
    except GrooveError as e:
        _fail(e)


@enterprise.command(epilog="Example:  groove config enterprise remove acme")
@click.argument("org")
@pass_state
def remove(state: State, org: str) -> None:
    """Remove an org from the user config (its database stays where it is)."""
    try:
        config = GrooveConfig.load(state.config_file())
        if org not in config.enterprises:
            raise ConfigError(f"no enterprise {org!r}; known: "
                              f"{', '.join(sorted(config.enterprises)) or 'none'}")
        del config.enterprises[org]
        config.save(state.config_file())
    except GrooveError as e:
        _fail(e)
        return
    render.info(f"removed enterprise {org} from {state.config_file()}")


def _join(root: Path, org: str) -> None:
    import tomli_w

    path = project_config_path(root)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read the project config: {e}", path=path) from None
    data.setdefault("groove", {})["enterprise"] = org
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(path)
