"""Reads of due work: the dispatcher's one cross-tenant read, and the page of work that
gave up or is waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, Min, QuerySet

from scheduling.models import OPEN_STATUSES, DueWork, DueWorkStatus


def organizations_with_due_work(*, now: datetime, limit: int) -> list[int]:
    """The organisations with work due (or leased past its lease) at ``now``, those waiting
    longest first. Tenant rows are under row-level security and the dispatcher has no
    tenant yet, so this is the narrow SECURITY DEFINER function of the migrations: it reads
    only the ``DueOrganization`` directory, which the services keep no later than each
    organisation's earliest claimable row, and returns organisation ids; each is then
    claimed inside its own tenant context."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT organization_id FROM scheduling_due_organizations(%s, %s)", [now, limit]
        )
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class WorkSummary:
    waiting: int
    running: int
    dead: int
    next_due_at: datetime | None


def work_summary() -> WorkSummary:
    """How much of the tenant's work is waiting, running and dead."""
    counts = dict(
        DueWork.objects.filter(status__in=[*OPEN_STATUSES, DueWorkStatus.DEAD])
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    next_due = DueWork.objects.filter(status=DueWorkStatus.PENDING).aggregate(at=Min("due_at"))
    return WorkSummary(
        waiting=counts.get(DueWorkStatus.PENDING, 0),
        running=counts.get(DueWorkStatus.LEASED, 0),
        dead=counts.get(DueWorkStatus.DEAD, 0),
        next_due_at=next_due["at"],
    )


def dead_work(*, limit: int = 100) -> QuerySet[DueWork]:
    """Work that gave up, most recent first: what a person should look at and replay."""
    return DueWork.objects.filter(status=DueWorkStatus.DEAD).order_by("-finished_at", "-id")[:limit]
