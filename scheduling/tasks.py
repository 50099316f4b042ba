"""Celery tasks of scheduled work: the dispatcher (beat, every 15 s) and the run of one row.
Thin: each calls one service."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from celery import shared_task

from scheduling import services

logger = logging.getLogger(__name__)


@shared_task(name="scheduling.dispatch_due_work", time_limit=60, soft_time_limit=45)
def dispatch_due_work() -> int:
    """Claim every organisation's due rows and queue a run for each."""
    return len(services.dispatch_due_work())


@shared_task(name="scheduling.run_due_work", time_limit=120, soft_time_limit=100)
def run_due_work(organization_id: int, work_id: int, lease_token: str) -> str:
    """Do one claimed row (the token proves the claim is still this run's)."""
    return services.run_work(
        organization_id=organization_id, work_id=work_id, lease_token=uuid.UUID(lease_token)
    )


def enqueue_runs(claims: Iterable[services.Claim]) -> None:
    """Queue the runs of committed claims. A message the broker loses (or a broker that is
    down) costs only time: the lease runs out and the next dispatch claims the row again."""
    for claim in claims:
        try:
            run_due_work.apply_async(
                (claim.organization_id, claim.work_id, str(claim.lease_token)), retry=False
            )
        except Exception:
            logger.warning("due work run not queued", extra={"work_id": claim.work_id})
