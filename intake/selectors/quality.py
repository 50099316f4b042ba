"""Reads for QA (the review queue, the accuracy report) and the sensitive-read log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from intake.models import (
    Case,
    CaseStatus,
    Intake,
    IntakeStatus,
    QAReview,
    Scorecard,
    Script,
    SensitiveRead,
)
from tenancy.models import Location, Membership

PERIODS = (7, 30, 90)
QUEUE_LIMIT = 100


@dataclass(frozen=True)
class QueueItem:
    kind: str  # "intake" or "case"
    pk: int
    title: str
    agent: str
    location_name: str
    zone: str
    finished_at: datetime


def _name(membership: Membership | None) -> str:
    if membership is None:
        return "Unknown"
    user = membership.user
    return user.get_full_name() or user.email or user.get_username()


def review_queue(scorecard: Scorecard, *, limit: int = QUEUE_LIMIT) -> list[QueueItem]:
    """Completed intakes and resolved cases not yet reviewed with ``scorecard``, newest
    first."""
    organization_zone = scorecard.organization.time_zone
    intakes = (
        Intake.objects.filter(status=IntakeStatus.COMPLETED)
        .exclude(Exists(QAReview.objects.filter(scorecard=scorecard, intake=OuterRef("pk"))))
        .select_related("agent__user", "location", "script_version__script")
        .order_by("-completed_at", "-pk")[:limit]
    )
    cases = (
        Case.objects.filter(status=CaseStatus.RESOLVED)
        .exclude(Exists(QAReview.objects.filter(scorecard=scorecard, case=OuterRef("pk"))))
        .select_related("owner__user", "location")
        .order_by("-resolved_at", "-pk")[:limit]
    )
    items = [
        QueueItem(
            kind="intake",
            pk=intake.pk,
            title=f"{intake.script_version.script.name} intake"
            + (f": {intake.get_disposition_display()}" if intake.disposition else ""),
            agent=_name(intake.agent),
            location_name=intake.location.name if intake.location else "",
            zone=intake.location.time_zone if intake.location else organization_zone,
            finished_at=intake.completed_at or intake.updated_at,
        )
        for intake in intakes
    ] + [
        QueueItem(
            kind="case",
            pk=case.pk,
            title=f"{case.get_category_display()} case: {case.subject}",
            agent=_name(case.owner),
            location_name=case.location.name if case.location else "",
            zone=case.location.time_zone if case.location else organization_zone,
            finished_at=case.resolved_at or case.updated_at,
        )
        for case in cases
    ]
    items.sort(key=lambda item: item.finished_at, reverse=True)
    return items[:limit]


def period_start(days: int, zone: str) -> datetime:
    """The start of the last ``days`` days: midnight in ``zone`` ``days - 1`` days ago, so
    that "last 7 days" is today and the six days before."""
    local_today = timezone.localtime(timezone.now(), ZoneInfo(zone)).date()
    first = local_today - timedelta(days=days - 1)
    return datetime(first.year, first.month, first.day, tzinfo=ZoneInfo(zone))


@dataclass(frozen=True)
class AccuracyRow:
    label: str
    reviewed: int
    average: Decimal | None
    critical_failures: int


def _rows(queryset: QuerySet[QAReview], key: str, names: dict[Any, str]) -> list[AccuracyRow]:
    grouped = (
        queryset.values(key)
        .annotate(
            reviewed=Count("pk"),
            average=Avg("score"),
            critical=Count("pk", filter=Q(critical_failed=True)),
        )
        .order_by(key)
    )
    rows = [
        AccuracyRow(
            label=names.get(row[key], "Not recorded"),
            reviewed=row["reviewed"],
            average=_round(row["average"]),
            critical_failures=row["critical"],
        )
        for row in grouped
    ]
    rows.sort(key=lambda row: (row.label == "Not recorded", row.label.lower()))
    return rows


def _round(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Accuracy:
    since: datetime
    reviewed: int
    average: Decimal | None
    critical_failures: int
    by_agent: list[AccuracyRow]
    by_script: list[AccuracyRow]
    by_location: list[AccuracyRow]


def accuracy(*, days: int, zone: str) -> Accuracy:
    """Average score, reviews and critical failures over the last ``days`` days (in
    ``zone``), overall and by agent, script and location."""
    since = period_start(days, zone)
    reviews = QAReview.objects.filter(created_at__gte=since)
    totals = reviews.aggregate(
        reviewed=Count("pk"),
        average=Avg("score"),
        critical=Count("pk", filter=Q(critical_failed=True)),
    )
    agent_names = {m.pk: _name(m) for m in Membership.objects.select_related("user")}
    script_names = {s.pk: s.name for s in Script.objects.all()}
    location_names = {loc.pk: loc.name for loc in Location.objects.all()}
    return Accuracy(
        since=since,
        reviewed=totals["reviewed"],
        average=_round(totals["average"]),
        critical_failures=totals["critical"],
        by_agent=_rows(reviews, "agent_id", agent_names),
        by_script=_rows(reviews, "script_id", script_names),
        by_location=_rows(reviews, "location_id", location_names),
    )


def sensitive_reads(*, member: Membership | None = None) -> QuerySet[SensitiveRead]:
    queryset = SensitiveRead.objects.select_related(
        "reader__user", "intake__location", "intake__script_version"
    )
    if member is not None:
        queryset = queryset.filter(reader=member)
    return queryset.order_by("-at", "-pk")


def readers() -> QuerySet[Membership]:
    """Members who have read health answers, for the log's filter."""
    ids = SensitiveRead.objects.exclude(reader=None).values("reader_id").distinct()
    return Membership.objects.select_related("user").filter(pk__in=ids).order_by("user__email")
