"""The groove server's wire protocol, in one place.

Transport: HTTP/1.1 over the user's Unix domain socket (`groove.runtime`), served by
aiohttp. Every use case of `GrooveAPI` is one call::

    POST /v1/call/<method>      body: {"ctx": {...}, "args": [...], "kwargs": {...},
                                       "background"?: true}
    200                         body: {"result": <value>}
    202                         (background) accepted; runs after the answer
    4xx/5xx                     body: {"error": {"type": "NotFound", "message": ...,
                                                 "attrs": {...}}}

    GET  /v1/status             the server's status (pid, version, tiers, requests ...)
    POST /v1/shutdown           stop after answering (a client of another version asks)

Every response carries `X-Groove-Version` and `X-Groove-Time-Ms` (time in the server).
Values are JSON; groove's own types travel tagged: a dataclass as
``{"$": "groove.domain.tiered:TieredLearning", "v": {field: value, ...}}`` (every field,
recursively, so nothing is lost), an enum as ``{"$": "<module:class>", "v": "value"}``,
and ``{"$": "path" | "datetime" | "uuid" | "tuple", "v": ...}``. A tag names a class
under `groove.` only, imported when first decoded, so a thin client (a hook) imports
only the types its answers contain.

Errors travel as the same tree: the receiver rebuilds the named `GrooveError` subclass
with the same message and attributes, so the CLI prints the same line and exits with
the same code whether the call ran here or in the server.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import math
import uuid
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from groove import errors as errors_module
from groove.errors import GrooveError

API_VERSION = "v1"
VERSION_HEADER = "X-Groove-Version"
TIME_HEADER = "X-Groove-Time-Ms"
"""How long the server spent on the request (read the body, call, encode the answer)."""
MAX_REQUEST_BYTES = 16 * 1024 * 1024
"""A request larger than this is refused (413): descriptions are text, imports go by path."""
TAG = "$"

CALLS = frozenset({
    "init", "add", "get", "list", "search", "find_for_injection", "record_outcome",
    "session", "learn", "captures", "review", "relate", "delete", "export", "import_",
    "promote", "propose", "proposals", "accept", "reject", "sync", "team_status", "params",
    "stats", "doctor", "compact",
})
"""The `GrooveAPI` methods a client may call (never `close`: the server owns its life)."""


def call_path(method: str) -> str:
    return f"/{API_VERSION}/call/{method}"


_PLAIN = frozenset({type(None), bool, int, str})


def encode(value: Any) -> Any:
    """`value` as JSON-ready data, tagged where JSON alone would lose its type."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    shape = _dataclass_shape(kind)
    if shape is not None:
        tag, names = shape
        return {TAG: tag, "v": {n: encode(getattr(value, n)) for n in names}}
    if isinstance(value, enum.Enum):  # before str: a StrEnum is a str
        return {TAG: _name(kind), "v": value.value}
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {TAG: "float", "v": repr(value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [encode(v) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: encode(v) for k, v in value.items()}
        return {TAG: "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, PurePath):
        return {TAG: "path", "v": str(value)}
    if isinstance(value, datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {TAG: "uuid", "v": str(value)}
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return encode(value.item())
    raise TypeError(f"cannot send a {type(value).__name__} over the groove wire")


_SHAPES: dict[type, tuple[str, tuple[str, ...]] | None] = {}


def _dataclass_shape(cls: type) -> tuple[str, tuple[str, ...]] | None:
    """A dataclass's tag and field names, looked up once per class (`dataclasses.fields`
    on every value was most of the cost of encoding a search's answer)."""
    try:
        return _SHAPES[cls]
    except KeyError:
        shape = ((_name(cls), tuple(f.name for f in dataclasses.fields(cls)))
                 if dataclasses.is_dataclass(cls) else None)
        _SHAPES[cls] = shape
        return shape


def decode(data: Any) -> Any:
    """The inverse of `encode`."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if TAG not in data:
        return {k: decode(v) for k, v in data.items()}
    tag: str = data[TAG]
    v: Any = data.get("v")
    match tag:
        case "tuple":
            return tuple(decode(x) for x in v)
        case "dict":
            return {decode(k): decode(x) for k, x in v}
        case "path":
            return Path(v)
        case "datetime":
            return datetime.fromisoformat(v)
        case "uuid":
            return uuid.UUID(v)
        case "float":
            return float(v)
    cls, init = _decoder(tag)
    if init is None:
        return cls(v)
    if not isinstance(v, dict):
        raise TypeError(f"{tag} is not a value the groove wire carries")
    values = {k: decode(x) for k, x in v.items() if k in init}
    obj = cls(**{k: x for k, x in values.items() if init[k]})
    for k, x in values.items():
        if not init[k]:
            object.__setattr__(obj, k, x)
    return obj


_DECODERS: dict[str, tuple[Any, dict[str, bool] | None]] = {}


def _decoder(tag: str) -> tuple[Any, dict[str, bool] | None]:
    """The class a tag names and, for a dataclass, whether each field is an `__init__`
    argument (None for an enum); resolved once per tag."""
    found = _DECODERS.get(tag)
    if found is None:
        cls = _class(tag)
        if isinstance(cls, type) and issubclass(cls, enum.Enum):
            found = (cls, None)
        elif isinstance(cls, type) and dataclasses.is_dataclass(cls):
            found = (cls, {f.name: f.init for f in dataclasses.fields(cls)})
        else:
            raise TypeError(f"{tag} is not a value the groove wire carries")
        _DECODERS[tag] = found
    return found


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class(tag: str) -> Any:
    module, _, qualname = str(tag).partition(":")
    if not (module == "groove" or module.startswith("groove.")) or not qualname:
        raise TypeError(f"{tag!r} is not a groove type")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def dumps(value: Any) -> bytes:
    return json.dumps(encode(value), separators=(",", ":"), allow_nan=False).encode()


def loads(raw: bytes | str) -> Any:
    return decode(json.loads(raw))


# -- errors ----------------------------------------------------------------------------

STATUS = {"NotFound": 404, "DatabaseLocked": 409, "AmbiguousId": 409}


def error_status(e: GrooveError) -> int:
    for cls in type(e).__mro__:
        if cls.__name__ in STATUS:
            return STATUS[cls.__name__]
    return 500 if type(e) is GrooveError else 400


def encode_error(e: GrooveError) -> dict[str, Any]:
    attrs = {}
    for k, v in vars(e).items():
        try:
            attrs[k] = encode(v)
        except TypeError:
            attrs[k] = repr(v)
    return {"error": {"type": type(e).__name__, "message": str(e), "attrs": attrs}}


def decode_error(body: Any, status: int) -> GrooveError:
    """The `GrooveError` a response carries; a body that is not one is named as such."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict) or not isinstance(err.get("message"), str):
        return GrooveError(f"the groove server answered {status} without a groove error; "
                           "see its log (groove server status)")
    cls = getattr(errors_module, str(err.get("type")), None)
    if not (isinstance(cls, type) and issubclass(cls, GrooveError)):
        cls = GrooveError
    e = cls.__new__(cls)
    Exception.__init__(e, err["message"])
    for k, v in (err.get("attrs") or {}).items():
        try:
            setattr(e, k, decode(v))
        except (TypeError, AttributeError, ImportError, ValueError):
            setattr(e, k, v)
    return e
