from pathlib import Path

import pytest

from groove import ConfigError
from groove.config import EnterpriseConfig, GrooveConfig, ProjectContext, read_project_context


def test_default_config() -> None:
    """Defaults put the user tier under the vibes data dir and know no enterprises."""
    config = GrooveConfig()
    assert "vibes" in str(config.user_db_path)
    assert config.enterprises == {}


def test_toml_round_trip(tmp_path: Path) -> None:
    """A config with an enterprise survives save / load."""
    config = GrooveConfig(tmp_path / "user", {"acme": EnterpriseConfig(
        "acme", tmp_path / "acme", "postgresql://alex@db.example/groove")}, user_id="alex",
        lock_timeout=2.5)
    path = config.save(tmp_path / "groove.toml")
    again = GrooveConfig.load(path)
    assert again.user_db_path == config.user_db_path
    assert again.enterprises == config.enterprises
    assert (again.user_id, again.lock_timeout) == ("alex", 2.5)


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    """Loading a config file that does not exist gives defaults."""
    assert GrooveConfig.load(tmp_path / "none.toml").enterprises == {}


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    """A malformed TOML file is a ConfigError naming the file and the line."""
    path = tmp_path / "groove.toml"
    path.write_text('user_id = "a"\nengine = \n')
    with pytest.raises(ConfigError, match=r"groove.toml line 2") as info:
        GrooveConfig.load(path)
    assert info.value.line == 2


def test_unknown_setting_rejected(tmp_path: Path) -> None:
    """A misspelt setting is reported, not silently ignored."""
    path = tmp_path / "groove.toml"
    path.write_text('user_db_paht = "/x"\n')
    with pytest.raises(ConfigError, match="unknown setting"):
        GrooveConfig.load(path)


def test_project_context(tmp_path: Path) -> None:
    """A project is personal unless its .vibes/config.toml names an enterprise."""
    assert read_project_context(tmp_path) == ProjectContext.personal()
    (tmp_path / ".vibes").mkdir()
    (tmp_path / ".vibes" / "config.toml").write_text('[groove]\nenterprise = "acme"\n')
    ctx = read_project_context(tmp_path)
    assert ctx.is_enterprise and ctx.org_id == "acme"
