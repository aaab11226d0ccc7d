"""The service layer: every use case of groove as one call, for every entry point."""

from groove.service.local import LocalGroove, parse_id
from groove.service.protocol import (
    Check,
    DoctorReport,
    GrooveAPI,
    Id,
    InitReport,
    LearningDetail,
    OutcomeReport,
    RequestContext,
)

__all__ = [
    "Check",
    "DoctorReport",
    "GrooveAPI",
    "Id",
    "InitReport",
    "LearningDetail",
    "LocalGroove",
    "OutcomeReport",
    "RequestContext",
    "parse_id",
]
