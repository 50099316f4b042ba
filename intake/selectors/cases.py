"""Reads for the leads, appointments and cases pages and API."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone

from intake.capabilities import IntakeCapability
from intake.models import Appointment, Case, CaseEvent, CaseStatus, EscalationTier, Lead
from intake.services.cases import OPEN_STATUSES
from intake.services.leads import UPCOMING_WINDOW
from tenancy.models import Location, Membership
from tenancy.roles import roles_with

# The cases list's views: value → words.
CASE_VIEWS: dict[str, str] = {
    "open": "Open",
    "mine": "Mine",
    "escalated": "Escalated",
    "overdue": "Overdue",
    "resolved": "Resolved",
    "all": "All",
}


def zone_of(location: Location | None, organization_zone: str) -> str:
    return location.time_zone if location is not None else organization_zone


def in_zone(value: datetime | None, zone: str) -> str:
    """``value`` on the wall clock of ``zone``, with the zone's abbreviation: ``3 Dec 2026,
    14:00 EST``."""
    if value is None:
        return ""
    local = timezone.localtime(value, ZoneInfo(zone))
    return f"{local:%-d %b %Y, %H:%M} {local.tzname()}"


def member_name(membership: Membership | None) -> str:
    if membership is None:
        return ""
    user = membership.user
    return user.get_full_name() or user.email or user.get_username()


def leads(*, status: str = "", location: Location | None = None) -> QuerySet[Lead]:
    queryset = Lead.objects.select_related("location", "owner__user", "intake")
    if status:
        queryset = queryset.filter(status=status)
    if location is not None:
        queryset = queryset.filter(location=location)
    return queryset.order_by("-created_at", "-pk")


def lead_appointments(lead: Lead) -> QuerySet[Appointment]:
    return Appointment.objects.filter(lead=lead).select_related("location").order_by("starts_at")


def upcoming_appointments(*, location: Location | None = None) -> QuerySet[Appointment]:
    now = timezone.now()
    queryset = Appointment.objects.select_related("location", "lead").filter(
        starts_at__gte=now, starts_at__lt=now + UPCOMING_WINDOW
    )
    if location is not None:
        queryset = queryset.filter(location=location)
    return queryset.order_by("starts_at", "pk")


def cases(
    *, view: str = "open", location: Location | None = None, member: Membership | None = None
) -> QuerySet[Case]:
    queryset = Case.objects.select_related("location", "owner__user", "tier")
    if view == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif view == "mine":
        queryset = (
            queryset.filter(status__in=OPEN_STATUSES, owner=member)
            if member
            else Case.objects.none()
        )
    elif view == "escalated":
        queryset = queryset.filter(status=CaseStatus.ESCALATED)
    elif view == "overdue":
        queryset = queryset.filter(status__in=OPEN_STATUSES, resolve_by__lt=timezone.now())
    elif view == "resolved":
        queryset = queryset.filter(status=CaseStatus.RESOLVED)
    if location is not None:
        queryset = queryset.filter(location=location)
    if view in ("resolved", "all"):
        return queryset.order_by("-updated_at", "-pk")
    return queryset.order_by("resolve_by", "pk")


def is_overdue(case: Case) -> bool:
    return (
        case.status in OPEN_STATUSES
        and case.resolve_by is not None
        and case.resolve_by < timezone.now()
    )


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case).order_by("at", "pk")


def escalation_path() -> list[EscalationTier]:
    return list(EscalationTier.objects.order_by("level"))


def case_owners() -> QuerySet[Membership]:
    """Members a case may be assigned to: active, in a role that works cases."""
    return (
        Membership.objects.select_related("user")
        .filter(is_active=True, role__in=list(roles_with(IntakeCapability.WORK_CASES)))
        .order_by("user__email")
    )


def locations() -> QuerySet[Location]:
    return Location.objects.order_by("name")


def case_counts(member: Membership | None) -> dict[str, int]:
    """How many cases each list view holds (open ones only for the working views)."""
    now = timezone.now()
    open_q = Q(status__in=OPEN_STATUSES)
    base = Case.objects.all()
    return {
        "open": base.filter(open_q).count(),
        "mine": base.filter(open_q, owner=member).count() if member else 0,
        "escalated": base.filter(status=CaseStatus.ESCALATED).count(),
        "overdue": base.filter(open_q, resolve_by__lt=now).count(),
    }
