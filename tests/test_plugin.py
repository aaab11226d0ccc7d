from pathlib import Path

import pytest

from groove import (
    Capability,
    CapabilityMissing,
    GrooveConfig,
    GrooveStorage,
    Harness,
    PluginContext,
)
from groove.testing import HashEmbedder


class BrokenEmbedder(HashEmbedder):
    def embed(self, texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("model files missing")


def test_harness_detection() -> None:
    """Claude Code is recognised from its environment; GROOVE_HARNESS overrides."""
    cc = Harness.detect({"CLAUDECODE": "1"})
    assert cc.name == "claude-code" and "UserPromptSubmit" in cc.hook_events
    custom = Harness.detect({"GROOVE_HARNESS": "aider", "GROOVE_HOOK_EVENTS": "a,b"})
    assert (custom.name, custom.hook_events) == ("aider", ("a", "b"))
    assert Harness.detect({}).name == "terminal"


async def test_capabilities_reflect_reality(tmp_path: Path) -> None:
    """Capabilities say what works now: no SemanticSearch with a broken embedder, no
    MultiTierStorage outside a project; require() turns that into a clear error."""
    config = GrooveConfig(tmp_path / "user")
    async with await GrooveStorage.open(config, embedder=HashEmbedder()) as storage:
        ctx = PluginContext(Harness.detect({}), storage, HashEmbedder())
        assert ctx.capabilities() == {Capability.LEARNING_STORAGE, Capability.SEMANTIC_SEARCH,
                                      Capability.ADAPTIVE_PARAMS}
        (tmp_path / "p" / ".vibes").mkdir(parents=True)
        in_project = PluginContext(Harness.detect({}), storage.with_project(tmp_path / "p"),
                                   HashEmbedder())
        assert Capability.MULTI_TIER_STORAGE in in_project.capabilities()
        broken = PluginContext(Harness.detect({}), storage, BrokenEmbedder())
        assert Capability.SEMANTIC_SEARCH not in broken.capabilities()
        with pytest.raises(CapabilityMissing, match=r"SemanticSearch.*model files missing"):
            broken.require(Capability.SEMANTIC_SEARCH)
    none = PluginContext(Harness.detect({}), None, None)
    assert none.capabilities() == set()
