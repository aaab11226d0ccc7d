"""Learnings: what an agent captured, where it came from, and how far to trust it."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar

from groove.domain import _fields as f
from groove.domain.choice import Choice
from groove.domain.clock import utcnow, uuid7
from groove.domain.scope import Scope
from groove.errors import ImportRejected, InvalidScope, ValidationError

LearningId = uuid.UUID

HANDLE_LEN = 8
"""Hex digits in a learning's short handle (see `short_id`)."""

MAX_TEXT_CHARS = 65_536
"""Longest description or insight accepted: a learning is a note, not a document."""


def short_id(id: LearningId | str) -> str:
    """The handle people type: an id's last 8 hex digits.

    A UUIDv7 starts with its millisecond timestamp, so learnings made in the same
    minute share their first 8-13 characters and a git-style prefix must be long;
    its tail is random bits, so 8 of them tell a person's learnings apart (two
    collide with odds n^2 / 2^33: about 1 in 900 at 3,000 learnings), and a
    collision is reported as ambiguous, never guessed.
    """
    return str(id)[-HANDLE_LEN:].lower()


class LearningCategory(Choice):
    CODE_PATTERN = "code_pattern"
    PREFERENCE = "preference"
    SOLUTION = "solution"
    ERROR_RECOVERY = "error_recovery"
    TOOL_USAGE = "tool_usage"
    HARNESS_KNOWLEDGE = "harness_knowledge"

    @classmethod
    def label(cls) -> str:
        return "category"

    def as_str(self) -> str:
        return self.value


def check_text(value: str, name: str) -> None:
    """Reject text that cannot be stored verbatim (too long, or not encodable as UTF-8)."""
    if not isinstance(value, str):
        raise ValidationError(f"expected text, got {type(value).__name__}", field=name)
    if len(value) > MAX_TEXT_CHARS:
        raise ValidationError(
            f"is {len(value):,} characters; the limit is {MAX_TEXT_CHARS:,}: shorten it "
            "or split it into several learnings",
            field=name,
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValidationError(f"is not valid Unicode text ({e.reason})", field=name) from None


@dataclass(slots=True)
class LearningContent:
    """The words of a learning: what was learned, and the insight to inject."""

    description: str
    insight: str = ""
    pattern: Any = None
    """Structured data (any JSON value) for pattern-like learnings."""

    def __post_init__(self) -> None:
        check_text(self.description, "content.description")
        check_text(self.insight, "content.insight")
        if self.pattern is not None:
            try:
                json.dumps(self.pattern, allow_nan=False)
            except (TypeError, ValueError) as e:
                raise ValidationError(f"not JSON-serialisable: {e}",
                                      field="content.pattern") from None

    def embedding_text(self) -> str:
        """The text that represents this learning in vector space."""
        return f"{self.description}\n{self.insight}" if self.insight else self.description

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"description": self.description, "insight": self.insight}
        if self.pattern is not None:
            out["pattern"] = self.pattern
        return out

    @classmethod
    def from_dict(cls, d: Any, path: str = "content") -> LearningContent:
        f.known(d, ("description", "insight", "pattern"), path)
        description = f.string(d, "description", path, max_len=MAX_TEXT_CHARS)
        insight = f.string(d, "insight", path, max_len=MAX_TEXT_CHARS)
        try:
            return cls(description, insight, d.get("pattern"))
        except ValidationError as e:
            raise ImportRejected(e.reason, field=f"{path}.{e.field}") from None


@dataclass(frozen=True, slots=True)
class LearningSource:
    """Where a learning came from. Subclasses are the variants; `source_type` names them."""

    source_type: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.source_type, **self._payload()}

    def _payload(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_dict(cls, d: Any, path: str = "source") -> LearningSource:
        kind = f.string(d, "type", path)
        variant = _SOURCE_VARIANTS.get(kind)
        if variant is None:
            known = ", ".join(sorted(_SOURCE_VARIANTS))
            raise ImportRejected(f"unknown source type {kind!r}; expected one of {known}",
                                 field=f"{path}.type")
        source = variant._parse(d, path)
        f.known(d, source.to_dict(), path)
        return source

    @classmethod
    def _parse(cls, d: Any, path: str) -> LearningSource:
        return cls()


@dataclass(frozen=True, slots=True)
class TranscriptSource(LearningSource):
    session_id: str = ""
    message_index: int = 0
    source_type: ClassVar[str] = "transcript"

    def _payload(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "message_index": self.message_index}

    @classmethod
    def _parse(cls, d: Any, path: str) -> LearningSource:
        return cls(f.string(d, "session_id", path), f.integer(d, "message_index", path))


@dataclass(frozen=True, slots=True)
class UserCreatedSource(LearningSource):
    source_type: ClassVar[str] = "user_created"


@dataclass(frozen=True, slots=True)
class PromotedSource(LearningSource):
    from_scope: Scope = Scope.GLOBAL
    original_id: LearningId = field(default_factory=lambda: uuid.UUID(int=0))
    source_type: ClassVar[str] = "promoted"

    def _payload(self) -> dict[str, Any]:
        return {"from_scope": self.from_scope.to_json(), "original_id": str(self.original_id)}

    @classmethod
    def _parse(cls, d: Any, path: str) -> LearningSource:
        return cls(_scope(d, "from_scope", path), f.uuid_field(d, "original_id", path))


@dataclass(frozen=True, slots=True)
class ImportedSource(LearningSource):
    source_file: str = ""
    imported_at: datetime = field(default_factory=utcnow)
    source_type: ClassVar[str] = "imported"

    def _payload(self) -> dict[str, Any]:
        return {"source_file": self.source_file, "imported_at": self.imported_at.isoformat()}

    @classmethod
    def _parse(cls, d: Any, path: str) -> LearningSource:
        return cls(f.string(d, "source_file", path), f.required_time(d, "imported_at", path))


@dataclass(frozen=True, slots=True)
class EnterpriseCuratedSource(LearningSource):
    curator: str = ""
    source_type: ClassVar[str] = "enterprise_curated"

    def _payload(self) -> dict[str, Any]:
        return {"curator": self.curator}

    @classmethod
    def _parse(cls, d: Any, path: str) -> LearningSource:
        return cls(f.string(d, "curator", path))


_SOURCE_VARIANTS: dict[str, type[LearningSource]] = {
    v.source_type: v
    for v in (TranscriptSource, UserCreatedSource, PromotedSource, ImportedSource,
              EnterpriseCuratedSource)
}


def lineage(source: LearningSource) -> tuple[str | None, bool]:
    """(the id it was promoted from, whether it is a promoted or curated copy): what the
    merge of tiers reads of a source to show copies of one learning once."""
    return (str(source.original_id) if isinstance(source, PromotedSource) else None,
            isinstance(source, PromotedSource | EnterpriseCuratedSource))


def _scope(d: Any, key: str, path: str) -> Scope:
    value = f.string(d, key, path)
    try:
        return Scope.from_json(value)
    except InvalidScope as e:
        raise InvalidScope(value, field=f"{path}.{key}", reason=e.detail) from None


def check_confidence(value: float, name: str = "confidence") -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0.0 <= value <= 1.0:
        raise ValidationError(f"must be a number in [0, 1], got {value!r}", field=name, value=value)


@dataclass(slots=True)
class Learning:
    """A captured piece of knowledge. `confidence` mirrors its usage stats' Beta mean."""

    id: LearningId
    scope: Scope
    category: LearningCategory
    content: LearningContent
    confidence: float
    created_at: datetime
    updated_at: datetime
    source: LearningSource

    def __post_init__(self) -> None:
        check_confidence(self.confidence)
        if not isinstance(self.category, LearningCategory):
            self.category = LearningCategory.parse(str(self.category))
        for name in ("created_at", "updated_at"):
            if getattr(self, name).tzinfo is None:
                raise ValidationError("must be timezone-aware", field=name)

    def copy(self) -> Learning:
        """A copy whose fields and words can change without changing this one (a read
        cache hands out many: `copy.copy`'s generic protocol costs ~10 us a learning)."""
        out = object.__new__(Learning)
        for name in _LEARNING_FIELDS:
            object.__setattr__(out, name, getattr(self, name))
        words = object.__new__(LearningContent)
        for name in _CONTENT_FIELDS:
            object.__setattr__(words, name, getattr(self.content, name))
        out.content = words
        return out

    @classmethod
    def stored(cls, id: LearningId, scope: Scope, category: LearningCategory,
               content: tuple[str, str, Any], confidence: float, created_at: datetime,
               updated_at: datetime, source: LearningSource) -> Learning:
        """A learning read back from a store, which checked it when it was written (and
        whose columns are typed): built without `__post_init__`'s checks, ~10 us of the
        ~20 a row costs to decode, paid for every row a search returns."""
        words = object.__new__(LearningContent)
        words.description, words.insight, words.pattern = content
        out = object.__new__(cls)
        out.id, out.scope, out.category, out.content = id, scope, category, words
        out.confidence, out.created_at, out.updated_at = confidence, created_at, updated_at
        out.source = source
        return out

    @classmethod
    def new(
        cls,
        scope: Scope,
        category: LearningCategory,
        content: LearningContent,
        source: LearningSource | None = None,
    ) -> Learning:
        now = utcnow()
        return cls(uuid7(), scope, category, content, 0.5, now, now, source or UserCreatedSource())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "scope": self.scope.to_json(),
            "category": self.category.value,
            "content": self.content.to_dict(),
            "confidence": self.confidence,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "source": self.source.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> Learning:
        def p(key: str) -> str:
            return f"{path}.{key}" if path else key

        category = f.string(d, "category", path)
        try:
            cat = LearningCategory.parse(category, field=p("category"))
        except ValidationError as e:
            raise ImportRejected(e.reason, field=e.field) from None
        return cls(
            id=f.uuid_field(d, "id", path),
            scope=_scope(d, "scope", path),
            category=cat,
            content=LearningContent.from_dict(f.field(d, "content", path), p("content")),
            confidence=f.number(d, "confidence", path, lo=0.0, hi=1.0),
            created_at=f.required_time(d, "created_at", path),
            updated_at=f.required_time(d, "updated_at", path),
            source=LearningSource.from_dict(f.field(d, "source", path), p("source")),
        )


_LEARNING_FIELDS = tuple(x.name for x in fields(Learning))
_CONTENT_FIELDS = tuple(x.name for x in fields(LearningContent))
