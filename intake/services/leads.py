"""Leads and their appointments: a lead made from a completed intake, moved along its
pipeline (new → contacted → qualified → consultation or appointment booked → retained, or
lost at any step with a reason), and appointments booked for it at a location.

Every function is keyword-only and takes the acting ``Tenant``; each write runs inside
``audited(actor)`` (leads and appointments are tracked by the audit trail).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from foundation.phones import InvalidPhoneNumber, to_e164
from intake.models import Appointment, Intake, Lead, LeadStatus
from tenancy.audit import audited
from tenancy.models import Location
from tenancy.resolution import Tenant

# Where a lead may go from each status. "Lost" is open from every step before the end;
# booking an appointment (``appointment_book``) also moves an earlier lead to "booked".
LEAD_MOVES: dict[str, tuple[str, ...]] = {
    LeadStatus.NEW: (LeadStatus.CONTACTED, LeadStatus.LOST),
    LeadStatus.CONTACTED: (LeadStatus.QUALIFIED, LeadStatus.LOST),
    LeadStatus.QUALIFIED: (LeadStatus.BOOKED, LeadStatus.LOST),
    LeadStatus.BOOKED: (LeadStatus.RETAINED, LeadStatus.LOST),
    LeadStatus.RETAINED: (),
    LeadStatus.LOST: (),
}
LOST_REASON_LIMIT = 200
APPOINTMENT_MINUTES = (15, 30, 45, 60, 90, 120)


def allowed_moves(lead: Lead) -> list[tuple[str, str]]:
    """The statuses ``lead`` may move to next, as (value, words)."""
    return [(value, LeadStatus(value).label) for value in LEAD_MOVES.get(lead.status, ())]


def lead_from_intake(*, actor: Tenant, intake: Intake) -> Lead:
    """The lead of ``intake``, made on the first call (name, phone, next step and location
    from the intake); a second call returns the same lead unchanged."""
    with transaction.atomic(), audited(actor):
        # The intake's row lock makes two concurrent calls wait for each other, so the
        # second sees the first one's lead instead of making another.
        Intake.objects.select_for_update().filter(pk=intake.pk).first()
        existing = Lead.objects.filter(intake=intake).order_by("pk").first()
        if existing is not None:
            return existing
        return Lead.objects.create(
            intake=intake,
            location_id=intake.location_id,
            name=intake.caller_name[:200],
            phone=intake.caller_phone,
            next_step=intake.next_step,
            owner=intake.agent,
        )


def lead_move(*, actor: Tenant, lead: Lead, status: str, lost_reason: str = "") -> Lead:
    """Move ``lead`` to ``status`` if that is a valid next step from where it is; moving to
    "lost" needs a reason."""
    lost_reason = (lost_reason or "").strip()
    if status not in LeadStatus.values:
        raise ValidationError({"status": ["Choose one of the statuses offered."]})
    with transaction.atomic(), audited(actor):
        current = Lead.objects.select_for_update().get(pk=lead.pk)
        allowed = LEAD_MOVES.get(current.status, ())
        if status not in allowed:
            here = LeadStatus(current.status).label
            there = LeadStatus(status).label
            if allowed:
                words = " or ".join(f"“{LeadStatus(s).label}”" for s in allowed)
                message = f"A lead that is “{here}” can move to {words}, not “{there}”."
            else:
                message = f"This lead is “{here}”, which is final: it cannot move any more."
            raise ValidationError({"status": [message]})
        if status == LeadStatus.LOST:
            if not lost_reason:
                raise ValidationError({"lost_reason": ["Say why the lead was lost."]})
            if len(lost_reason) > LOST_REASON_LIMIT:
                raise ValidationError(
                    {"lost_reason": [f"Keep the reason under {LOST_REASON_LIMIT} characters."]}
                )
            current.lost_reason = lost_reason
        current.status = status
        current.save(update_fields=["status", "lost_reason", "updated_at"])
    return current


def local_datetime(value: datetime, zone_name: str) -> datetime:
    """A wall-clock date and time typed for ``zone_name`` as an aware datetime; an aware
    value is returned as is. A time the clock change skips is refused."""
    if timezone.is_aware(value):
        return value
    zone = ZoneInfo(zone_name)
    aware = value.replace(tzinfo=zone)
    # A skipped wall-clock time (spring forward) does not survive a round trip through UTC.
    if aware.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != value:
        raise ValidationError(
            {"starts_at": [f"{value:%H:%M} does not exist on {value:%-d %b %Y} in {zone_name}."]}
        )
    return aware


def appointment_book(
    *,
    actor: Tenant,
    lead: Lead,
    starts_at: datetime,
    location: Location | None = None,
    duration_minutes: int = 30,
    contact_name: str = "",
    contact_phone: str = "",
) -> Appointment:
    """Book an appointment for ``lead`` at ``location`` (default: the lead's). A naive
    ``starts_at`` is read in the location's time zone; a time in the past is refused. A
    lead before "booked" in its pipeline moves to "booked"."""
    errors: dict[str, list[str]] = {}
    location = location or lead.location
    if location is None:
        errors["location"] = ["Choose the location of the appointment."]
    if duration_minutes not in APPOINTMENT_MINUTES:
        errors["duration_minutes"] = [
            "Choose a length of " + ", ".join(str(m) for m in APPOINTMENT_MINUTES) + " minutes."
        ]
    contact_phone = (contact_phone or lead.phone or "").strip()
    if not contact_phone:
        errors["contact_phone"] = ["Enter the number to reach the caller on."]
    else:
        try:
            contact_phone = to_e164(contact_phone, region=actor.organization.country)
        except InvalidPhoneNumber as error:
            errors["contact_phone"] = [error.message]
    if location is not None:
        try:
            starts_at = local_datetime(starts_at, location.time_zone)
        except ValidationError as error:
            errors.update(error.message_dict)
        else:
            if starts_at <= timezone.now():
                errors["starts_at"] = ["That time has passed: choose a time in the future."]
    if lead.status in (LeadStatus.RETAINED, LeadStatus.LOST):
        errors["lead"] = [f"This lead is “{LeadStatus(lead.status).label}”: book no more."]
    if errors:
        raise ValidationError(errors)
    assert location is not None
    with transaction.atomic(), audited(actor):
        appointment = Appointment.objects.create(
            lead=lead,
            intake_id=lead.intake_id,
            location=location,
            contact_name=(contact_name or lead.name).strip()[:200],
            contact_phone=contact_phone,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
        )
        Lead.objects.filter(
            pk=lead.pk,
            status__in=[LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED],
        ).update(status=LeadStatus.BOOKED, updated_at=timezone.now())
    return appointment


# How far ahead the appointments list looks by default.
UPCOMING_WINDOW = timedelta(days=60)
