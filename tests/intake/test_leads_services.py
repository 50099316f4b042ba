"""Leads from intakes, the pipeline's moves, and booking appointments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from intake.models import IntakeStatus, Lead, LeadStatus
from intake.services import leads as services
from tenancy.context import tenant_context
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake, location

pytestmark = pytest.mark.django_db


def _lead(world: OrgWorld) -> Lead:
    place = location(world, name="Main Office")
    intake = draft_intake(
        world,
        status=IntakeStatus.COMPLETED,
        caller_name="Dana Caller",
        caller_phone="+12125550199",
        next_step="Call back about the consultation",
        location=place,
    )
    with tenant_context(world.organization):
        return services.lead_from_intake(actor=world.tenant(), intake=intake)


def test_lead_from_intake_copies_the_caller_and_is_idempotent(org_a: OrgWorld):
    # Catches a second lead for the same intake when the completion is retried.
    lead = _lead(org_a)
    assert (lead.name, lead.phone, lead.status) == ("Dana Caller", "+12125550199", "new")
    assert lead.next_step == "Call back about the consultation"
    with tenant_context(org_a.organization):
        assert lead.location is not None and lead.location.name == "Main Office"
        assert lead.intake is not None
        again = services.lead_from_intake(actor=org_a.tenant(), intake=lead.intake)
        assert again.pk == lead.pk
        assert Lead.objects.count() == 1


def test_only_the_next_step_or_lost_is_allowed(org_a: OrgWorld):
    # Catches skipping steps (new → retained) and leaving a final status.
    lead = _lead(org_a)
    with tenant_context(org_a.organization):
        with pytest.raises(ValidationError) as refused:
            services.lead_move(actor=org_a.tenant(), lead=lead, status="retained")
        assert "Contacted" in refused.value.message_dict["status"][0]
        for step in ("contacted", "qualified", "booked", "retained"):
            lead = services.lead_move(actor=org_a.tenant(), lead=lead, status=step)
        assert lead.status == LeadStatus.RETAINED
        with pytest.raises(ValidationError):
            services.lead_move(actor=org_a.tenant(), lead=lead, status="lost", lost_reason="x")


def test_lost_needs_a_reason(org_a: OrgWorld):
    lead = _lead(org_a)
    with tenant_context(org_a.organization):
        with pytest.raises(ValidationError) as refused:
            services.lead_move(actor=org_a.tenant(), lead=lead, status="lost")
        assert "lost_reason" in refused.value.message_dict
        lead.refresh_from_db()
        assert lead.status == LeadStatus.NEW
        lost = services.lead_move(
            actor=org_a.tenant(), lead=lead, status="lost", lost_reason="Hired another firm"
        )
        assert (lost.status, lost.lost_reason) == ("lost", "Hired another firm")


def test_an_appointment_is_read_in_the_location_zone_and_books_the_lead(org_a: OrgWorld):
    # Catches a time typed for New York stored as if it were UTC.
    lead = _lead(org_a)
    with (
        time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False),
        tenant_context(org_a.organization),
    ):
        appointment = services.appointment_book(
            actor=org_a.tenant(), lead=lead, starts_at=datetime(2026, 3, 12, 9, 30)
        )
        # 09:30 in New York on 12 March 2026 (daylight time, UTC-4).
        assert appointment.starts_at == datetime(2026, 3, 12, 13, 30, tzinfo=UTC)
        assert appointment.contact_phone == "+12125550199"
        lead.refresh_from_db()
        assert lead.status == LeadStatus.BOOKED


def test_an_appointment_in_the_past_is_refused(org_a: OrgWorld):
    lead = _lead(org_a)
    with (
        time_machine.travel(datetime(2026, 3, 10, 15, 0, tzinfo=UTC), tick=False),
        tenant_context(org_a.organization),
    ):
        # 10:30 in New York is 14:30 UTC: half an hour ago.
        with pytest.raises(ValidationError) as refused:
            services.appointment_book(
                actor=org_a.tenant(), lead=lead, starts_at=datetime(2026, 3, 10, 10, 30)
            )
        assert "passed" in refused.value.message_dict["starts_at"][0]
        assert not lead.appointments.exists()
        # The same wall-clock time tomorrow is fine.
        services.appointment_book(
            actor=org_a.tenant(),
            lead=lead,
            starts_at=datetime(2026, 3, 10, 10, 30) + timedelta(days=1),
        )


def test_a_time_the_clock_skips_is_refused(org_a: OrgWorld):
    lead = _lead(org_a)
    with (
        time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False),
        tenant_context(org_a.organization),
        pytest.raises(ValidationError) as refused,
    ):
        # 02:30 on 8 March 2026 does not exist in New York (clocks go 02:00 → 03:00).
        services.appointment_book(
            actor=org_a.tenant(), lead=lead, starts_at=datetime(2026, 3, 8, 2, 30)
        )
    assert "does not exist" in refused.value.message_dict["starts_at"][0]
