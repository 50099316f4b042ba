"""The scheduled-work page: counts, the work that gave up in words, and its replay button."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling import services
from scheduling.models import DueWork, DueWorkStatus
from telephony.gateway.results import RETRY_OUTBOUND
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld

pytestmark = pytest.mark.django_db


def dead_retry(world: OrgWorld) -> DueWork:
    """A retry whose outbound request is gone: the function gives up at once."""
    with tenant_context(world.organization):
        work = services.schedule_work(
            kind=RETRY_OUTBOUND, idempotency_key="gone", due_at=timezone.now(), payload={}
        )
    for claim in services.dispatch_due_work(now=timezone.now() + timedelta(seconds=1)):
        services.run_work(
            organization_id=claim.organization_id,
            work_id=claim.work_id,
            lease_token=claim.lease_token,
        )
    with tenant_context(world.organization):
        return DueWork.objects.get(pk=work.pk)


def test_the_page_names_work_that_gave_up_in_words_with_its_error(org_a: OrgWorld) -> None:
    # Catches internal kind codes on screen, or dead work nobody can see.
    work = dead_retry(org_a)
    assert work.status == DueWorkStatus.DEAD
    client = Client()
    client.force_login(org_a.user(Role.SUPERVISOR))

    page = client.get(reverse("scheduled-work", kwargs={"org_slug": "acme"})).content.decode()

    assert "Try a text or call again" in page
    assert "telephony.retry_outbound" not in page
    assert "The scheduled retry names no outbound request." in page
    assert f"Times in {org_a.organization.time_zone}" in page


def test_replay_puts_dead_work_back_in_line(org_a: OrgWorld) -> None:
    work = dead_retry(org_a)
    client = Client()
    client.force_login(org_a.user(Role.OWNER))

    response = client.post(
        reverse("scheduled-work-replay", kwargs={"org_slug": "acme", "work_id": work.pk})
    )

    assert response.status_code == 302
    with tenant_context(org_a.organization):
        replayed = DueWork.objects.get(pk=work.pk)
    assert (replayed.status, replayed.attempts) == (DueWorkStatus.PENDING, 0)
    assert replayed.replayed_by == org_a.user(Role.OWNER).get_username()
