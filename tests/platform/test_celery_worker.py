"""A real Celery worker process, against the real Redis broker."""

from __future__ import annotations

import uuid

import pytest

from coverage_platform.celery import app
from coverage_platform.tasks import ping
from tests.workers import celery_worker


def test_celery_is_configured_for_reliable_delivery():
    # Catches a settings change that would lose tasks when a worker dies mid-task.
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit and conf.task_soft_time_limit


@pytest.mark.e2e
def test_a_real_worker_runs_a_task_to_completion():
    # Catches a broken worker start-up (imports, settings, broker URL) that unit tests miss.
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with celery_worker(
        queue=queue, env={"DJANGO_SETTINGS_MODULE": "coverage_platform.test_settings"}
    ):
        result = ping.apply_async(args=("hello",), queue=queue)
        assert result.get(timeout=60) == "pong:hello"
