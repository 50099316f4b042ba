"""The kinds of due work and the functions that do them, registered by each app.

An app declares its kinds in its own ``due_work.py`` (collected when the scheduling app is
ready), so this module names no app::

    @register("telephony.retry_outbound", label="Try a text or call again")
    def retry_outbound(*, organization_id: int, payload: dict[str, Any]) -> datetime | None:
        ...

A function runs outside any transaction (it manages its own, the way the outbound gateway
records an attempt before it calls Twilio) and must be idempotent: a worker killed after
the work was done but before the result was recorded makes the row due again. It returns
``None`` when the work is done, or the time at which to run it again (work that is not
finished yet: Twilio asked to retry later). It raises ``GiveUp`` when trying again cannot
help; any other exception is retried with backoff until the row's ``max_attempts``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol


class DueWorkFunction(Protocol):
    def __call__(self, *, organization_id: int, payload: dict[str, Any]) -> datetime | None: ...


class GiveUp(Exception):
    """Raised by a due-work function when trying again cannot help: the row goes to ``dead``
    at once, with this message as its error."""


class UnknownKind(LookupError):
    """No app registered this kind of due work."""


_FUNCTIONS: dict[str, DueWorkFunction] = {}
_LABELS: dict[str, str] = {}


def register(kind: str, *, label: str) -> Callable[[DueWorkFunction], DueWorkFunction]:
    """Register the function that does ``kind`` of work (one per kind), with the words that
    name it on the scheduled-work page."""

    def decorator(function: DueWorkFunction) -> DueWorkFunction:
        if _FUNCTIONS.setdefault(kind, function) is not function:
            raise ValueError(f"Due work {kind!r} is registered twice.")
        _LABELS[kind] = label
        return function

    return decorator


def label_for(kind: str) -> str:
    """What a person reads for ``kind``: its registered label, or the kind itself for work
    whose app is gone."""
    return _LABELS.get(kind, kind)


def function_for(kind: str) -> DueWorkFunction:
    try:
        return _FUNCTIONS[kind]
    except KeyError:
        raise UnknownKind(f"No app registered due work of kind {kind!r}.") from None


def registered_kinds() -> frozenset[str]:
    return frozenset(_FUNCTIONS)
