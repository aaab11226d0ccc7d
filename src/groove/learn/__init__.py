"""Learning from sessions: read a transcript, attribute outcomes, capture new learnings.

Rules first, offline and explainable (no model call is needed); `Rules` is the
default of the `SessionReader` protocol, where another reader could be plugged in.
"""

from groove.learn.attribution import Attribution, Evidence, attribute, code_tokens
from groove.learn.capture import Capture, capture
from groove.learn.reader import Rules, SessionReader, session_id_of
from groove.learn.transcript import ReadStats, Turn, TurnKind, read_turns

__all__ = [
    "Attribution",
    "Capture",
    "Evidence",
    "ReadStats",
    "Rules",
    "SessionReader",
    "Turn",
    "TurnKind",
    "attribute",
    "capture",
    "code_tokens",
    "read_turns",
    "session_id_of",
]
