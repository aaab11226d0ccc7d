"""The service layer: every use case of groove as one call, for every entry point.

Names are imported on first use (PEP 562): a hook that only needs `service.wire`
must not load the tiers and the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from groove import lazy

if TYPE_CHECKING:
    from groove.service.context import RequestContext
    from groove.service.local import LocalGroove, parse_id
    from groove.service.protocol import (
        CapturedLearning,
        Check,
        CompactProgress,
        CompactReport,
        CreditedOutcome,
        DoctorReport,
        GrooveAPI,
        Id,
        InitReport,
        LearningDetail,
        LearnReport,
        OutcomeReport,
    )

_HOME = {"LocalGroove": "local", "parse_id": "local", "RequestContext": "context"}

__all__ = [
    "CapturedLearning",
    "Check",
    "CompactProgress",
    "CompactReport",
    "CreditedOutcome",
    "DoctorReport",
    "GrooveAPI",
    "Id",
    "InitReport",
    "LearnReport",
    "LearningDetail",
    "LocalGroove",
    "OutcomeReport",
    "RequestContext",
    "parse_id",
]


__getattr__ = lazy.exports(
    __name__, {n: f"groove.service.{_HOME.get(n, 'protocol')}" for n in __all__}, globals())
