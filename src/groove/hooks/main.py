"""`groove hook <name>`: run one Claude Code hook. Always exits 0, always in time.

Problems go to the hook log (`groove.runtime`), never to stdout (which Claude Code
reads) and never as a failing exit status (which would get in the agent's way). A
SIGALRM at the deadline is the backstop: whatever is still running, the hook exits
having printed nothing.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import BinaryIO, TextIO

from groove.errors import GrooveError
from groove.hooks.handlers import HANDLERS, Hook, handle
from groove.hooks.payload import HookInput
from groove.runtime import runtime_paths

USAGE = f"""usage: groove hook {{{'|'.join(HANDLERS)}}} < payload.json

Run one Claude Code hook: read the event's JSON on stdin, answer on stdout. Installed by
`groove hooks install` or the groove plugin; it exits 0 and answers within the config's
hook_deadline (2 s) whatever happens, and logs to the groove log directory.

Example:  echo '{{"session_id": "s1", "cwd": ".", "prompt": "how do we test?"}}' \\
            | groove hook prompt
"""
SESSION_END_BUDGET = 1.2
"""A plugin's SessionEnd hooks share 1.5 s; leave Claude Code its margin."""


def _log_to_file(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("groove")
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _deadline_seconds(name: str) -> tuple[float, Path | None]:
    try:
        from groove.config import GrooveConfig

        config = GrooveConfig.load(Path(os.environ["GROOVE_CONFIG"])
                                   if os.environ.get("GROOVE_CONFIG") else None)
        seconds, path = config.hook_deadline, config.path
    except GrooveError as e:
        logging.getLogger("groove.hooks").warning("config: %s; deadline 2 s", e)
        seconds, path = 2.0, None
    if name == "session-end":
        seconds = min(seconds, SESSION_END_BUDGET)
    return max(0.2, seconds), path


def _expire(signum: int, frame: FrameType | None) -> None:
    logging.getLogger("groove.hooks").warning("hook deadline reached; answered nothing")
    os._exit(0)


def main(argv: list[str], stdin: BinaryIO | None = None, stdout: TextIO | None = None) -> int:
    started = time.monotonic()
    out = stdout or sys.stdout
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in HANDLERS:
        print(USAGE if not argv or argv[0] in ("-h", "--help")
              else f"groove hook: unknown hook {argv[0]!r}\n\n{USAGE}", file=sys.stderr)
        return 0
    name = argv[0]
    paths = runtime_paths()
    _log_to_file(paths.hook_log)
    log = logging.getLogger("groove.hooks")
    seconds, config = _deadline_seconds(name)
    if stdin is None and hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _expire)
        signal.setitimer(signal.ITIMER_REAL, max(0.05, seconds - 0.05))
    try:
        raw = (stdin or sys.stdin.buffer).read()
        hook = Hook(HookInput.parse(raw), paths, started + seconds, config)
        answer = handle(name, hook)
    except GrooveError as e:
        log.warning("%s: %s", name, e)
        answer = None
    except Exception:
        log.exception("%s failed", name)
        answer = None
    finally:
        if stdin is None and hasattr(signal, "SIGALRM"):
            signal.setitimer(signal.ITIMER_REAL, 0)
    if answer is not None:
        out.write(json.dumps(answer))
        out.flush()
    log.info("%s answered in %.0f ms", name, (time.monotonic() - started) * 1000)
    return 0
