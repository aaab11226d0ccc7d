"""What the harness tells groove, and what groove can do right now.

`PluginContext.harness()` names the agent harness groove runs under and the hook
events it delivers; `capabilities()` reports what this installation can actually
do at this moment (no SemanticSearch when the embedder cannot load, no
MultiTierStorage outside a project). Features check `require()` first, so a
missing capability is a clear error instead of a failure deep inside.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from groove.domain import Embedder
from groove.domain.tiered import Tier
from groove.errors import CapabilityMissing, GrooveError
from groove.tiers import GrooveStorage


class Capability(StrEnum):
    LEARNING_STORAGE = "LearningStorage"
    SEMANTIC_SEARCH = "SemanticSearch"
    ADAPTIVE_PARAMS = "AdaptiveParams"
    MULTI_TIER_STORAGE = "MultiTierStorage"


CLAUDE_CODE_EVENTS = ("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse",
                      "Stop", "SubagentStop", "PreCompact", "SessionEnd", "Notification")


@dataclass(frozen=True, slots=True)
class Harness:
    name: str
    version: str | None = None
    hook_events: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def detect(cls, env: Mapping[str, str] | None = None) -> Harness:
        """From the environment: `GROOVE_HARNESS` wins; Claude Code sets `CLAUDECODE=1`."""
        env = os.environ if env is None else env
        name = env.get("GROOVE_HARNESS")
        if name:
            events = tuple(e for e in env.get("GROOVE_HOOK_EVENTS", "").split(",") if e)
            return cls(name, env.get("GROOVE_HARNESS_VERSION"), events)
        if env.get("CLAUDECODE") == "1" or "CLAUDE_CODE_ENTRYPOINT" in env:
            return cls("claude-code", env.get("CLAUDE_CODE_VERSION"), CLAUDE_CODE_EVENTS)
        return cls("terminal", None, ())


class PluginContext:
    def __init__(self, harness: Harness, storage: GrooveStorage | None,
                 embedder: Embedder | None):
        self._harness = harness
        self._storage = storage
        self._embedder = embedder
        self._embedder_error: str | None = None
        self._embedder_checked = False

    def harness(self) -> Harness:
        return self._harness

    def _embedder_works(self) -> str | None:
        """None when the embedder can embed; otherwise why not (checked once)."""
        if not self._embedder_checked:
            self._embedder_checked = True
            if self._embedder is None:
                self._embedder_error = "no embedder is configured"
            else:
                try:
                    self._embedder.embed(["capability check"])
                except GrooveError as e:
                    self._embedder_error = str(e)
                except Exception as e:  # a broken model install surfaces here
                    self._embedder_error = f"the embedder failed: {e}"
        return self._embedder_error

    def missing(self) -> dict[Capability, str]:
        """Each capability that is unavailable now, with the reason."""
        out: dict[Capability, str] = {}
        if self._storage is None:
            reason = "the user tier could not be opened"
            out[Capability.LEARNING_STORAGE] = reason
            out[Capability.ADAPTIVE_PARAMS] = reason
            out[Capability.MULTI_TIER_STORAGE] = reason
        elif self._storage.get_read_tiers() == [Tier.USER]:
            out[Capability.MULTI_TIER_STORAGE] = "not inside a project (run `groove init`)"
        why = self._embedder_works()
        if why is not None:
            out[Capability.SEMANTIC_SEARCH] = why
        return out

    def capabilities(self) -> set[Capability]:
        return set(Capability) - set(self.missing())

    def require(self, capability: Capability) -> None:
        reason = self.missing().get(capability)
        if reason is not None:
            raise CapabilityMissing(capability.value, reason)
