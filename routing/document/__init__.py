"""The routing rules of one location as a JSON document: its shape, defaults, validation,
and how it compiles into the engine's ``RoutingConfig``.

The same document is the draft a supervisor edits (in the browser or through the API) and,
once valid, the rules of an immutable published version. Validation returns errors keyed by
the path of the offending field (``periods.2.end``, ``tiers.0.team_id``), so forms and the
API both show each error next to its field. Pure: the facts it needs from the database
(teams and their members, the organisation's locations) come in a ``ValidationContext``."""

from __future__ import annotations

from routing.document.compiling import compile_snapshot, snapshot
from routing.document.editing import (
    with_break,
    with_closed_date_added,
    with_closed_date_removed,
    with_item_removed,
    with_periods_added,
    with_section,
    with_tier_moved,
)
from routing.document.schema import (
    DEFAULT_CLOSED_MESSAGE,
    EARLIEST_DATE,
    FUTURE_YEARS,
    MAX_CLOSED_DATES,
    MAX_MESSAGE_LENGTH,
    MAX_OVERFLOW_WAIT_SECONDS,
    MAX_PERIODS,
    MAX_QUEUE_DEPTH,
    MAX_TIERS,
    RING_TIMEOUT_RANGE,
    SCHEMA_VERSION,
    Errors,
    TeamInfo,
    ValidationContext,
    default_document,
    parse_minutes,
    subdivisions_of,
    supported_countries,
)
from routing.document.validation import clean_document

__all__ = [
    "DEFAULT_CLOSED_MESSAGE",
    "EARLIEST_DATE",
    "FUTURE_YEARS",
    "MAX_CLOSED_DATES",
    "MAX_MESSAGE_LENGTH",
    "MAX_OVERFLOW_WAIT_SECONDS",
    "MAX_PERIODS",
    "MAX_QUEUE_DEPTH",
    "MAX_TIERS",
    "RING_TIMEOUT_RANGE",
    "SCHEMA_VERSION",
    "Errors",
    "TeamInfo",
    "ValidationContext",
    "clean_document",
    "compile_snapshot",
    "default_document",
    "parse_minutes",
    "snapshot",
    "subdivisions_of",
    "supported_countries",
    "with_break",
    "with_closed_date_added",
    "with_closed_date_removed",
    "with_item_removed",
    "with_periods_added",
    "with_section",
    "with_tier_moved",
]
