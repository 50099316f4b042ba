"""Intake routes in the authorization matrix, one area (see tests/test_authorization_matrix.py):
the agent's workspace."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.utils import timezone

from telephony.models import Call, Contact
from telephony.statuses import CallStatus
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.authorization import Route
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake, location

# Working intakes: the agent's home, starting, the form (WORK_INTAKES).
WORKERS = frozenset({Role.OWNER, Role.SUPERVISOR, Role.AGENT})
# Reading intakes (VIEW_INTAKES): QA reads them too.
VIEWERS = frozenset({Role.OWNER, Role.SUPERVISOR, Role.AGENT, Role.QA})

INTAKE = {"intake_id": "workspace_intake"}

BROWSER: dict[str, Route] = {
    "intake-home": Route({"GET": WORKERS}),
    "intake-live": Route({"GET": WORKERS}),
    "intake-start": Route({"GET": WORKERS, "POST": WORKERS}),
    "intake-start-call": Route({"POST": WORKERS}, {"call_id": "workspace_call"}),
    "intake-work": Route({"GET": WORKERS}, INTAKE),
    "intake-history": Route({"GET": WORKERS}, INTAKE),
    "intake-autosave": Route({"POST": WORKERS}, INTAKE),
    "intake-conflicts": Route({"POST": WORKERS}, INTAKE),
    "intake-complete": Route({"POST": WORKERS}, INTAKE),
}
API: dict[str, Route] = {
    "api-intake-create": Route({"POST": WORKERS}),
    "api-intake-detail": Route({"GET": VIEWERS, "PATCH": WORKERS}, INTAKE),
    "api-intake-complete": Route({"POST": WORKERS}, INTAKE),
    "api-intake-caller-history": Route({"POST": VIEWERS}),
}


def ringing_call(
    world: OrgWorld, *, e164: str = "+13125550123", at_location: object = None
) -> Call:
    """A call ringing now at a location of ``world``'s organisation, from ``e164``."""
    place = at_location or location(world)
    with tenant_context(world.organization):
        contact, _ = Contact.objects.get_or_create(e164=e164)
        return Call.objects.create(
            call_sid="CA" + uuid.uuid4().hex,
            direction="inbound",
            status=CallStatus.RINGING,
            location=place,
            contact=contact,
            started_at=timezone.now(),
        )


def _intake(world: OrgWorld) -> int:
    return draft_intake(world).pk


def _call(world: OrgWorld) -> int:
    return ringing_call(world).pk


# Kind of object → a function that creates one in the world's organisation and returns its id.
OBJECT_MAKERS: dict[str, Callable[[OrgWorld], int]] = {
    "workspace_intake": _intake,
    "workspace_call": _call,
}
