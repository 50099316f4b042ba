"""seed_demo: what `make run` calls on every start."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from intake.models import Intake, IntakeStatus, ScriptVersion, VersionStatus
from routing.models import LocationRouting
from telephony.models import Call
from tenancy.context import tenant_context
from tenancy.models import Location, Membership, Organization
from tenancy.roles import Role


def _counts() -> dict[str, int]:
    counts = {"organizations": Organization.objects.count()}
    for organization in Organization.objects.all():
        with tenant_context(organization):
            counts[f"{organization.slug} members"] = Membership.objects.count()
            counts[f"{organization.slug} locations"] = Location.objects.count()
            counts[f"{organization.slug} calls"] = Call.objects.count()
            counts[f"{organization.slug} published"] = LocationRouting.objects.filter(
                published_version__isnull=False
            ).count()
            counts[f"{organization.slug} approved scripts"] = ScriptVersion.objects.filter(
                status=VersionStatus.APPROVED
            ).count()
            counts[f"{organization.slug} completed intakes"] = Intake.objects.filter(
                status=IntakeStatus.COMPLETED
            ).count()
    return counts


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_seed_demo_builds_two_tenants_with_history_and_is_idempotent():
    # Catches a seed that fails on a fresh database, duplicates rows when make run starts
    # again, or leaves the demo without routing or call history.
    output = io.StringIO()
    call_command("seed_demo", stdout=output)
    first = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first
    assert first["organizations"] == 2
    for slug in ("harbor-legal", "pinecrest-health"):
        assert first[f"{slug} members"] == len(Role) + 1  # every role, plus the multi-org user
        assert first[f"{slug} locations"] == 2
        assert first[f"{slug} published"] == 2
        assert first[f"{slug} calls"] > 0
        # Agents, QA and leadership find intake work on their first sign-in.
        assert first[f"{slug} approved scripts"] == 1
        assert first[f"{slug} completed intakes"] == 3
    assert "owner@harbor-legal.demo" in output.getvalue()
