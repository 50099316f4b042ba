"""Reads for the setup pages and API: parties and matters (with the trigram search),
handoff recipients, handoffs by state. Call inside a tenant context."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from intake.models import Handoff, HandoffRecipient, HandoffState, Matter, Party
from intake.services.conflicts import Hit, clean_names, search_names

PAGE = 25


@dataclass(frozen=True)
class BookCounts:
    parties: int
    matters: int
    by_role: dict[str, int]


def book_counts() -> BookCounts:
    by_role = dict(Party.objects.values_list("role").annotate(n=Count("pk")).order_by())
    return BookCounts(
        parties=sum(by_role.values()),
        matters=Matter.objects.count(),
        by_role={str(k): int(v) for k, v in by_role.items()},
    )


def search_book(query: str) -> list[Hit]:
    """Parties and matters whose name is similar to ``query`` (the conflict check's search,
    without recording a check). An unusable query finds nothing."""
    try:
        names = clean_names([query])
    except Exception:
        return []
    return search_names(names)


def recent_parties(limit: int = PAGE) -> QuerySet[Party]:
    return Party.objects.select_related("matter").order_by("-created_at", "-pk")[:limit]


def recent_matters(limit: int = PAGE) -> QuerySet[Matter]:
    return Matter.objects.order_by("-created_at", "-pk")[:limit]


def recipients() -> QuerySet[HandoffRecipient]:
    return HandoffRecipient.objects.select_related("location").order_by("-is_active", "pk")


def handoff_counts() -> dict[str, int]:
    """Every state with its number of handoffs (zero included), in the states' order."""
    found = dict(Handoff.objects.values_list("state").annotate(n=Count("pk")).order_by())
    return {state: int(found.get(state, 0)) for state in HandoffState.values}


def failed_handoffs(limit: int = 200) -> QuerySet[Handoff]:
    return (
        Handoff.objects.filter(state=HandoffState.FAILED)
        .select_related("intake__location")
        .order_by("-created_at", "-pk")[:limit]
    )


def recent_handoffs(limit: int = 50) -> QuerySet[Handoff]:
    return Handoff.objects.select_related("intake__location").order_by("-created_at", "-pk")[:limit]


def handoffs_for_api() -> QuerySet[Handoff]:
    return Handoff.objects.select_related("intake").order_by("-created_at", "-pk")
