"""Scheduled work through a real Celery worker process and the real Redis broker: the
dispatcher's claim reaches a worker after commit, and the worker records the outcome."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from coverage_platform.celery import app
from scheduling import services
from scheduling.models import DueWork, DueWorkStatus
from telephony.gateway.results import RETRY_OUTBOUND
from tenancy.context import tenant_context
from tests.conftest import OrgWorld
from tests.workers import celery_worker


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_what_the_dispatcher_claimed(org_a: OrgWorld) -> None:
    # Catches claims queued before their transaction commits (the worker would not find
    # the lease), a task name the worker does not know, or results never recorded.
    with tenant_context(org_a.organization):
        work = services.schedule_work(
            kind=RETRY_OUTBOUND, idempotency_key="worker", due_at=timezone.now(), payload={}
        )
    database = connection.settings_dict
    # The worker runs with the ordinary settings, connected to this test's database as the
    # application role and to the test broker.
    env = {
        "DJANGO_SETTINGS_MODULE": "coverage_platform.settings",
        "DATABASE_URL": f"postgres://{settings.DATABASE_APP_ROLE}@{database['HOST'] or 'localhost'}"
        f":{database['PORT'] or 5432}/{database['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    }
    # Only this test's messages: earlier tests leave tasks in the test broker's queue.
    app.control.purge()
    with celery_worker(queue="default", env=env):
        assert [c.work_id for c in services.dispatch_due_work()] == [work.pk]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with tenant_context(org_a.organization):
                work.refresh_from_db()
            if work.status == DueWorkStatus.DEAD:
                break
            time.sleep(0.25)
        assert work.status == DueWorkStatus.DEAD
        assert work.last_error == "The scheduled retry names no outbound request."
        assert work.attempts == 1
    with tenant_context(org_a.organization):
        assert DueWork.objects.count() == 1
