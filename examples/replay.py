"""Claude Code sessions replayed through groove's real hooks, against the real server.

Three sessions of one project, each as Claude Code runs them: a `groove hook` process
per event with the event's JSON on stdin, the session's transcript (Claude Code's JSONL
records) handed over at its end. Session 1 states two preferences and the server
captures them from the transcript; session 2 gets them injected at start and for a
related prompt, follows one, and is credited for it; session 3 sees the confidence
that moved. Everything runs in a temporary home (or the folder given) with its own
groove server, stopped at the end.

    python examples/replay.py [HOME_DIR]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from groove.testing import TranscriptBuilder

GROOVE = str(Path(sys.executable).with_name("groove"))


class Home:
    """An isolated groove home: config, databases, its own server socket and logs."""

    def __init__(self, root: Path):
        self.root = root
        self.project = root / "ledger-api"
        (self.project / ".git").mkdir(parents=True, exist_ok=True)
        (root / "groove.toml").write_text(f'user_db_path = "{root / "user"}"\n')
        run = Path(tempfile.mkdtemp(prefix="groove-replay-", dir="/tmp"))
        self.env = {**os.environ, "GROOVE_CONFIG": str(root / "groove.toml"),
                    "GROOVE_RUNTIME_DIR": str(run / "run"),
                    "GROOVE_LOG_DIR": str(root / "logs")}
        self.env.pop("GROOVE_NO_SERVER", None)

    def groove(self, *args: str, stdin: str | None = None) -> str:
        r = subprocess.run([GROOVE, *args], input=stdin, capture_output=True, text=True,
                           env=self.env, cwd=self.project, timeout=300)
        if r.returncode != 0:
            raise SystemExit(f"groove {' '.join(args)} failed: {r.stderr}")
        return r.stdout

    def hook(self, name: str, payload: dict[str, Any]) -> str:
        """Run one hook; print and return what it injected."""
        t = time.perf_counter()
        out = self.groove("hook", name, stdin=json.dumps(
            {"cwd": str(self.project), **payload}))
        ms = (time.perf_counter() - t) * 1000
        text = json.loads(out)["hookSpecificOutput"]["additionalContext"] if out else ""
        what = f"{len(text.splitlines()) - 1} learning(s)" if text else "nothing"
        print(f"  groove hook {name:<13} {ms:5.0f} ms  injected {what}")
        for line in text.splitlines()[1:]:
            print(f"      {line}")
        return text


def session(home: Home, sid: str, builder: TranscriptBuilder, prompts: list[str]) -> None:
    transcript = home.root / f"{sid}.jsonl"
    base = {"session_id": sid, "transcript_path": str(transcript)}
    home.hook("session-start", {**base, "hook_event_name": "SessionStart",
                                "source": "startup"})
    for p in prompts:
        print(f"  user: {p}")
        home.hook("prompt", {**base, "hook_event_name": "UserPromptSubmit", "prompt": p})
    builder.write(transcript)
    home.hook("session-end", {**base, "hook_event_name": "SessionEnd",
                              "reason": "prompt_input_exit"})


def main(root: Path) -> None:
    home = Home(root)
    print(f"groove home {root}; project {home.project}\n")
    try:
        replay(home)
    finally:
        print(home.groove("server", "stop").strip())
    print(f"\nhook log: {root / 'logs' / 'hooks.log'}")


def replay(home: Home) -> None:
    print(home.groove("server", "start").strip())
    for _ in range(300):  # the first prompt hook injects only once the model is warm
        if json.loads(home.groove("server", "status", "--json"))["ready"]:
            break
        time.sleep(0.1)

    s1 = "7a1c0b52-0000-4000-8000-000000000001"
    p1 = ["the totals report is off by a cent again",
          "we always store money as Decimal, never float. Use just test-api, not plain pytest"]
    print("\nsession 1: the user states two preferences")
    session(home, s1, TranscriptBuilder(s1).prompt(p1[0])
            .tool("Bash", {"command": "just test-api -k totals"}, "1 failed")
            .say("The totals are summed as floats; switching to Decimal.")
            .prompt(p1[1])
            .tool("Edit", {"file_path": "ledger/totals.py",
                           "new_string": "total = sum(Decimal(a) for a in amounts)"}, "ok")
            .say("Done: totals use Decimal; `just test-api` passes."), p1)
    captured: list[dict[str, Any]] = []
    for _ in range(100):
        captured = json.loads(home.groove("review", "--json"))
        if captured:
            break
        time.sleep(0.1)
    print("\n  captured from the transcript by the server (groove review):")
    for c in captured:
        print(f"    {c['id'][-8:]}  {c['content']['description']!r}  rule {c['capture']['rule']}"
              f"  confidence {c['confidence']:.2f}")
    decimal = next(c for c in captured if "Decimal" in c["content"]["description"])
    home.groove("review", decimal["id"], "--accept")
    print(f"  accepted {decimal['id'][-8:]} (groove review ID --accept): now trusted like a "
          "learning you typed; the other waits for review")

    s2 = "7a1c0b52-0000-4000-8000-000000000002"
    p2 = ["write a test that invoice totals keep money exact, no float rounding errors",
          "how do I run the API tests?"]
    print("\nsession 2: the accepted learning comes at session start, the other when a "
          "prompt makes it relevant; the agent follows both")
    session(home, s2, TranscriptBuilder(s2).prompt(p2[0])
            .tool("Edit", {"file_path": "tests/test_invoice.py",
                           "new_string": "assert invoice_total(items) == Decimal('10.30')"},
                  "ok")
            .say("Added the test; amounts are Decimal.").prompt(p2[1])
            .tool("Bash", {"command": "just test-api -k invoice"}, "3 passed")
            .say("`just test-api -k invoice` passes."), p2)
    time.sleep(1.0)
    for _ in range(100):
        shown = json.loads(home.groove("list", "--json"))
        if any(x["confidence"] > 0.5 for x in shown):
            break
        time.sleep(0.1)
    print("\n  after session 2 (groove list):")
    for x in json.loads(home.groove("list", "--json")):
        what = x["content"]["description"]
        print(f"    {x['id'][-8:]}  confidence {x['confidence']:.2f}  {what!r}")

    s3 = "7a1c0b52-0000-4000-8000-000000000003"
    p3 = ["rename the README title", "which type should money amounts use in the ledger?"]
    print("\nsession 3: confidence moved; an unrelated prompt gets nothing")
    session(home, s3, TranscriptBuilder(s3).prompt(p3[0]).say("Renamed.").prompt(p3[1])
            .say("Rounding uses Decimal quantize."), p3)
    print("\nwhy, for one learning (groove show):")
    top = next(x for x in json.loads(home.groove("list", "--json"))
               if "Decimal" in x["content"]["description"])
    print("\n".join("    " + line for line in home.groove("show", top["id"]).splitlines()))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
