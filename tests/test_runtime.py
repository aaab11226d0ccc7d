"""Where the server's socket and logs live."""

from __future__ import annotations

import os
import warnings

import pytest

from groove.runtime import runtime_paths


def test_no_runtime_dir_in_the_environment_is_no_warning(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Without XDG_RUNTIME_DIR (ssh, containers) the paths fall back quietly: a warning
    would land on a hook's or a command's stderr."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("GROOVE_RUNTIME_DIR", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paths = runtime_paths()
    assert str(os.getuid()) in str(paths.dir)


def test_the_environment_names_the_runtime_dir(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: os.PathLike[str]) -> None:
    """GROOVE_RUNTIME_DIR wins over the platform's directory."""
    monkeypatch.setenv("GROOVE_RUNTIME_DIR", str(tmp_path))
    assert str(runtime_paths().dir) == str(tmp_path)
