"""A package's public names imported on first use (PEP 562): a hook process that needs
one name of a package must not pay for the modules behind all the others."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, homes: Mapping[str, str],
            namespace: dict[str, Any]) -> Callable[[str], Any]:
    """The package's module `__getattr__`: `homes` maps each public name to the module
    that defines it; a name found once is kept in `namespace` (the package's globals)."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    return __getattr__
