"""Intake routes in the authorization matrix, one area (see tests/test_authorization_matrix.py):
parties and matters, handoff recipients, handoffs and their acknowledge link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from intake.models import Handoff, HandoffRecipient, RecipientKind
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.authorization import MANAGERS, Route
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake

RECIPIENT = {"recipient_id": "setup_recipient"}
HANDOFF = {"handoff_id": "setup_handoff"}
# The acknowledge link's signed token stands for its handoff: another organisation's token
# under this organisation's slug is a 404 like any foreign object.

BROWSER: dict[str, Route] = {
    "intake-parties": Route({"GET": MANAGERS, "POST": MANAGERS}),
    "intake-matters": Route({"GET": MANAGERS, "POST": MANAGERS}),
    "intake-recipients": Route({"GET": MANAGERS, "POST": MANAGERS}),
    "intake-recipient-active": Route({"POST": MANAGERS}, RECIPIENT),
    "intake-handoffs": Route({"GET": MANAGERS}),
    "intake-handoff-retry": Route({"POST": MANAGERS}, HANDOFF),
    # Any member holding the signed link may acknowledge (tests/intake/test_handoffs.py).
}
API: dict[str, Route] = {
    "api-intake-parties": Route({"GET": MANAGERS}),
    "api-intake-parties-import": Route({"POST": MANAGERS}),
    "api-intake-matters-import": Route({"POST": MANAGERS}),
    "api-intake-recipients": Route({"GET": MANAGERS, "POST": MANAGERS}),
    "api-intake-recipient": Route({"PATCH": MANAGERS}, RECIPIENT),
    "api-intake-handoffs": Route({"GET": MANAGERS}),
    "api-intake-handoff-retry": Route({"POST": MANAGERS}, HANDOFF),
}


def _recipient(world: OrgWorld) -> HandoffRecipient:
    with tenant_context(world.organization):
        return HandoffRecipient.objects.create(
            kind=RecipientKind.EMAIL, address="desk@example.com", role=Role.SUPERVISOR
        )


def _handoff(world: OrgWorld) -> Handoff:
    intake = draft_intake(world)
    with tenant_context(world.organization):
        return Handoff.objects.create(
            intake=intake, kind=RecipientKind.EMAIL, address="desk@example.com"
        )


# Kind of object → a function that creates one in the world's organisation and returns its id
# (the acknowledge token: its text).
OBJECT_MAKERS: dict[str, Callable[[OrgWorld], Any]] = {
    "setup_recipient": lambda world: _recipient(world).pk,
    "setup_handoff": lambda world: _handoff(world).pk,
}
