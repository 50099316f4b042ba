"""Everything that writes due work: scheduling it, the dispatcher's claim, running a row,
and a person's replay of work that gave up.

Each of them also keeps the organisation's row of ``DueOrganization``, the directory the
dispatcher's cross-tenant read uses, in the same transaction: whatever makes a row
claimable lowers ``next_due_at`` to it (``_lower_next_due``), and each claim recomputes it
from the organisation's open rows (``_recompute_next_due``). The directory is therefore
never later than the earliest claimable row, so the dispatcher misses no work.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import Min, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from scheduling import selectors
from scheduling.models import DueWork, DueWorkStatus
from scheduling.registry import GiveUp, function_for
from tenancy.context import current_organization_id, tenant_context
from tenancy.resolution import Tenant

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
CLAIM_BATCH = 100
ORGANIZATIONS_PER_DISPATCH = 500
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
ERROR_LENGTH = 2000


@dataclass(frozen=True)
class Claim:
    """A leased row: the run task takes the token, so a run whose lease ran out (and was
    claimed again by a later dispatch) cannot record over the newer one."""

    organization_id: int
    work_id: int
    lease_token: uuid.UUID


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min, … up to an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


# The three statements below write the organisation's row of the DueOrganization directory
# in raw SQL because Django has no upsert with LEAST. They run inside the organisation's
# tenant context: the directory is under row-level security, so they reach that row only
# (tests/scheduling/test_due_directory.py: a tenant cannot write another's next due time).


def _lower_next_due(organization_id: int, due_at: datetime) -> None:
    """Make the organisation's next due time no later than ``due_at``. The upsert locks the
    directory row until commit, which orders it with a concurrent claim's recompute."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scheduling_dueorganization AS d (organization_id, next_due_at) "
            "VALUES (%s, %s) ON CONFLICT (organization_id) "
            "DO UPDATE SET next_due_at = LEAST(d.next_due_at, EXCLUDED.next_due_at)",
            [organization_id, due_at],
        )


def _lock_next_due(organization_id: int) -> None:
    """Lock the organisation's directory row (creating it if needed) before a claim reads
    the work rows. A transaction that schedules work holds this lock from its lowering
    until it commits; taking it first makes the claim's later reads, each a new snapshot
    under READ COMMITTED, see that work, so the recompute cannot overwrite its lowering."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scheduling_dueorganization AS d (organization_id, next_due_at) "
            "VALUES (%s, NULL) ON CONFLICT (organization_id) "
            "DO UPDATE SET next_due_at = d.next_due_at",
            [organization_id],
        )


def _recompute_next_due(organization_id: int) -> None:
    """Set the organisation's next due time from its open rows: a pending row is claimable
    at ``due_at``, a leased one when its lease runs out (and never before it is due). One
    aggregate row, however many rows are open."""
    earliest = DueWork.objects.aggregate(
        pending=Min("due_at", filter=Q(status=DueWorkStatus.PENDING)),
        leased=Min(
            Greatest("due_at", Coalesce("lease_expires_at", "due_at")),
            filter=Q(status=DueWorkStatus.LEASED),
        ),
    )
    times = [at for at in earliest.values() if at is not None]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scheduling_dueorganization SET next_due_at = %s WHERE organization_id = %s",
            [min(times, default=None), organization_id],
        )


def schedule_work(
    *,
    kind: str,
    idempotency_key: str,
    due_at: datetime,
    payload: dict[str, Any] | None = None,
    max_attempts: int = 8,
) -> DueWork:
    """Schedule ``kind`` of work at ``due_at`` in the current tenant, once: scheduling the
    same ``idempotency_key`` again returns the row already there, whatever its state.
    Runs in the caller's transaction, so work scheduled by a write that rolls back is gone
    with it."""
    function_for(kind)  # An unknown kind fails now, not when the row falls due.
    DueWork.objects.bulk_create(
        [
            DueWork(
                organization_id=current_organization_id(),
                kind=kind,
                idempotency_key=idempotency_key,
                due_at=due_at,
                payload=payload or {},
                max_attempts=max_attempts,
            )
        ],
        ignore_conflicts=True,
    )
    row = DueWork.objects.get(idempotency_key=idempotency_key)
    if row.status == DueWorkStatus.PENDING:
        _lower_next_due(row.organization_id, row.due_at)
    return row


def _claimable(now: datetime) -> Q:
    return Q(due_at__lte=now) & (
        Q(status=DueWorkStatus.PENDING) | Q(status=DueWorkStatus.LEASED, lease_expires_at__lte=now)
    )


def claim_due_work(*, now: datetime, limit: int = CLAIM_BATCH) -> list[Claim]:
    """Lease the current tenant's due rows that no one holds, oldest first. Rows locked by a
    concurrent dispatcher are skipped (``SKIP LOCKED``), so two dispatchers never lease the
    same row. Afterwards the organisation's next due time is recomputed from its rows."""
    organization_id = current_organization_id()
    _lock_next_due(organization_id)
    rows = list(
        DueWork.objects.select_for_update(skip_locked=True)
        .filter(_claimable(now))
        .order_by("due_at")[:limit]
    )
    for row in rows:
        row.status = DueWorkStatus.LEASED
        row.lease_token = uuid.uuid4()
        row.lease_expires_at = now + LEASE
    DueWork.objects.bulk_update(rows, ["status", "lease_token", "lease_expires_at", "updated_at"])
    _recompute_next_due(organization_id)
    return [Claim(row.organization_id, row.pk, row.lease_token) for row in rows if row.lease_token]


def dispatch_due_work(*, now: datetime | None = None) -> list[Claim]:
    """Claim due rows across organisations, each organisation in its own tenant context,
    and hand each claim to a worker after its transaction commits. The organisations come
    from one narrow cross-tenant read (selectors.organizations_with_due_work)."""
    from scheduling import tasks  # The task module imports this one.

    now = now or timezone.now()
    claimed: list[Claim] = []
    for organization_id in selectors.organizations_with_due_work(
        now=now, limit=ORGANIZATIONS_PER_DISPATCH
    ):
        with tenant_context(organization_id):
            claims = claim_due_work(now=now)
            transaction.on_commit(partial(tasks.enqueue_runs, claims))
        claimed.extend(claims)
    return claimed


def run_work(
    *, organization_id: int, work_id: int, lease_token: uuid.UUID, now: datetime | None = None
) -> str:
    """Do one leased row: count the attempt, call its function outside any transaction,
    then record the result under the same lease. Returns what happened, for the task's
    result: ``done``, ``again`` (the function asked for another run), ``retry``, ``dead``,
    or ``skipped`` (the row is no longer this lease's: done, replayed or claimed again)."""
    with tenant_context(organization_id):
        row = DueWork.objects.select_for_update().filter(pk=work_id).first()
        if row is None or row.status != DueWorkStatus.LEASED or row.lease_token != lease_token:
            return "skipped"
        row.attempts += 1
        row.save(update_fields=["attempts", "updated_at"])
    error = ""
    again: datetime | None = None
    gave_up = False
    try:
        again = function_for(row.kind)(organization_id=organization_id, payload=row.payload)
    except GiveUp as stop:
        gave_up, error = True, str(stop) or "Gave up."
    except Exception as failure:  # Any failure is recorded on the row and retried.
        logger.warning(
            "due work failed", extra={"kind": row.kind, "work_id": row.pk}, exc_info=True
        )
        name = type(failure).__name__
        error = f"{name}: {failure}" if str(failure) else name
    return _record(
        organization_id=organization_id,
        work_id=work_id,
        lease_token=lease_token,
        again=again,
        error=error,
        gave_up=gave_up,
        now=now,
    )


def _record(
    *,
    organization_id: int,
    work_id: int,
    lease_token: uuid.UUID,
    again: datetime | None,
    error: str,
    gave_up: bool,
    now: datetime | None,
) -> str:
    now = now or timezone.now()
    with tenant_context(organization_id):
        row = DueWork.objects.select_for_update().filter(pk=work_id).first()
        if row is None or row.lease_token != lease_token:
            return "skipped"
        row.lease_token = None
        row.lease_expires_at = None
        if not error and again is None:
            row.status, row.finished_at, row.last_error = DueWorkStatus.DONE, now, ""
            outcome = "done"
        elif not error and again is not None:
            row.status, row.due_at = DueWorkStatus.PENDING, again
            outcome = "again"
        elif gave_up or row.attempts >= row.max_attempts:
            row.status, row.finished_at, row.last_error = DueWorkStatus.DEAD, now, error
            outcome = "dead"
        else:
            row.status, row.due_at = DueWorkStatus.PENDING, now + backoff(row.attempts)
            row.last_error = error
            outcome = "retry"
        row.last_error = row.last_error[:ERROR_LENGTH]
        row.save(
            update_fields=[
                "status",
                "due_at",
                "finished_at",
                "last_error",
                "lease_token",
                "lease_expires_at",
                "updated_at",
            ]
        )
        if row.status == DueWorkStatus.PENDING:
            _lower_next_due(organization_id, row.due_at)
    return outcome


def replay_work(*, actor: Tenant, work: DueWork, now: datetime | None = None) -> DueWork:
    """Give work that gave up another full set of attempts, due now; who asked is kept on
    the row. Only dead work can be replayed: anything else is still being tried."""
    from django.core.exceptions import ValidationError

    now = now or timezone.now()
    row = DueWork.objects.select_for_update().get(pk=work.pk)
    if row.status != DueWorkStatus.DEAD:
        raise ValidationError("Only work that gave up can be replayed; this is still being tried.")
    row.status, row.due_at, row.attempts = DueWorkStatus.PENDING, now, 0
    row.finished_at = None
    row.replayed_at, row.replayed_by = now, _actor_label(actor)
    row.save(
        update_fields=[
            "status",
            "due_at",
            "attempts",
            "finished_at",
            "replayed_at",
            "replayed_by",
            "updated_at",
        ]
    )
    _lower_next_due(row.organization_id, row.due_at)
    return row


def _actor_label(actor: Tenant) -> str:
    if actor.membership is not None:
        return actor.membership.user.get_username()
    if actor.api_key is not None:
        return f"API key {actor.api_key.name}"
    return actor.role
