"""The service layer: every use case of groove as one call, for every entry point."""

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
    RequestContext,
)

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
