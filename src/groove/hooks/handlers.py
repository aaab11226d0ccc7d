"""What each Claude Code hook does, as calls on the groove server.

A hook is a fresh process with a deadline (config `hook_deadline`, 2 s): it talks to
the server through the standard-library transport, never loads the model or opens a
database, and when the server is not there it starts one detached and answers
without it (injecting nothing, saying so in the hook log).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groove.client import transport
from groove.client.launcher import probe, start_detached
from groove.domain import context
from groove.domain.tiered import TieredLearning
from groove.errors import GrooveError, ServerUnavailable
from groove.hooks.payload import OFF_ENV, OFF_MARKER, HookInput, is_trivial
from groove.locations import find_project_root
from groove.runtime import RuntimePaths

log = logging.getLogger("groove.hooks")

MAX_INJECTED = 8
"""At most this many learnings per answer, whatever the tuned budget says."""
MAX_CHARS = 4000
"""Far under Claude Code's 10,000-character cap, and room for MAX_INJECTED long lines."""
END_EVENTS = {"Stop", "SessionEnd", "PreCompact"}


@dataclass
class Hook:
    """One hook run: its input, where the server is, and when it must have answered."""

    input: HookInput
    paths: RuntimePaths
    deadline: float
    config: Path | None = None

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def ctx(self) -> dict[str, Any]:
        root = find_project_root(self.input.cwd) if self.input.cwd else None
        return {"project_root": None if root is None else str(root)}

    def server(self, *, need_model: bool) -> bool:
        """Whether a server can answer now; starts one (detached) if none runs."""
        status = probe(self.paths, timeout=max(0.05, min(0.5, self.remaining())))
        if status is None:
            started = start_detached(self.paths, self.config)
            log.info("no groove server answered; %s", "started one" if started
                     else "one is starting")
            while self.remaining() > 0.3:
                time.sleep(0.05)
                status = probe(self.paths, timeout=0.2)
                if status is not None:
                    break
            if status is None:
                log.warning("the groove server did not answer before the hook deadline")
                return False
        if need_model and not status.get("ready"):
            log.info("the groove server is still warming up (model, indexes); nothing "
                     "injected")
            return False
        return True

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return transport.call(self.paths.socket, method, self.ctx(), *args,
                              timeout=max(0.05, self.remaining() - 0.05), **kwargs)


def off_file(paths: RuntimePaths, session_id: str) -> Path:
    safe = "".join(c for c in session_id if c.isalnum() or c in "-_")[:80]
    return paths.dir / "off" / safe


def injection_off(hook: Hook) -> bool:
    if os.environ.get(OFF_ENV, "").strip().lower() in {"0", "off", "false", "no"}:
        return True
    sid = hook.input.session_id
    if sid and hook.input.prompt and OFF_MARKER in hook.input.prompt:
        path = off_file(hook.paths, sid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        log.info("injection turned off for session %s by %s", sid, OFF_MARKER)
    return bool(sid) and off_file(hook.paths, sid or "").exists()


def session_start(hook: Hook) -> str:
    """The project's most trusted learnings. After a compaction or /clear the context
    is gone, so they are shown again without being recorded a second time."""
    if injection_off(hook) or not hook.server(need_model=False):
        return ""
    from groove.domain.injection import SESSION_START_MIN_CONFIDENCE  # not in every hook

    again = hook.input.source in ("compact", "clear")
    items: list[TieredLearning] = hook.call(
        "find_for_injection", None, limit=MAX_INJECTED,
        session_id=None if again else hook.input.session_id,
        min_confidence=SESSION_START_MIN_CONFIDENCE)
    text, shown = context.render(items, "session", max_chars=MAX_CHARS)
    log.info("session-start %s: %d learnings%s", hook.input.session_id, len(shown),
             "".join(f"\n  {w}" for w in context.why_lines(shown)))
    return text


def prompt(hook: Hook) -> str:
    """What relates to this prompt and the session was not shown yet."""
    p = hook.input.prompt or ""
    if injection_off(hook) or is_trivial(p) or not hook.server(need_model=True):
        return ""
    items: list[TieredLearning] = hook.call(
        "find_for_injection", p, session_id=hook.input.session_id,
        transcript=hook.input.transcript)
    text, shown = context.render(items[:MAX_INJECTED], "prompt", max_chars=MAX_CHARS)
    log.info("prompt %s: %d learnings%s", hook.input.session_id, len(shown),
             "".join(f"\n  {w}" for w in context.why_lines(shown)))
    return text


def session_end(hook: Hook) -> str:
    """Hand the transcript to the server, which learns from it after answering."""
    t = hook.input.transcript
    if t is None or not t.exists():
        log.info("%s without a readable transcript (%s): nothing to learn",
                 hook.input.event, t)
        return ""
    if hook.server(need_model=False):
        transport.submit(hook.paths.socket, "learn", hook.ctx(), t,
                         session_id=hook.input.session_id,
                         timeout=max(0.05, hook.remaining()))
        log.info("%s %s: transcript handed to the server", hook.input.event,
                 hook.input.session_id)
    return ""


HANDLERS = {
    "session-start": ("SessionStart", session_start),
    "prompt": ("UserPromptSubmit", prompt),
    "stop": ("Stop", session_end),
    "session-end": ("SessionEnd", session_end),
    "pre-compact": ("PreCompact", session_end),
}
"""`groove hook <name>`: the Claude Code event it answers and what it does."""


def handle(name: str, hook: Hook) -> dict[str, Any] | None:
    """The JSON to print for this hook, or None (print nothing)."""
    event, fn = HANDLERS[name]
    try:
        text = fn(hook)
    except ServerUnavailable as e:
        log.warning("%s: %s", name, e)
        return None
    except (GrooveError, OSError, TimeoutError) as e:
        log.warning("%s failed: %s", name, e)
        return None
    if not text or event in END_EVENTS:
        return None
    return {"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}}
