"""Intake objects for tests: a script with an approved version, an intake on it (shared by
every intake test module and the authorization matrix's tables)."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone

from intake.models import Intake, IntakeStatus, Script, ScriptVersion, VersionStatus
from tenancy.context import tenant_context
from tenancy.models import Location
from tests.factories import LocationFactory

# The smallest useful script: one ordinary, one personal and one health answer, and a
# field shown only when another answer is yes.
SMALL_DEFINITION: dict[str, Any] = {
    "read_aloud": {"greeting": "Thank you for calling.", "disclaimers": [], "closing": "Goodbye."},
    "notices": [],
    "sections": [
        {
            "id": "caller",
            "title": "Caller",
            "fields": [
                {
                    "id": "full_name",
                    "type": "short_text",
                    "label": "Full name",
                    "required": True,
                    "sensitivity": "personal",
                },
                {"id": "reason", "type": "long_text", "label": "Reason for calling"},
                {"id": "injured", "type": "yes_no", "label": "Was anyone injured?"},
                {
                    "id": "injuries",
                    "type": "long_text",
                    "label": "Injuries",
                    "sensitivity": "health",
                    "condition": {"field": "injured", "equals": True},
                },
            ],
        }
    ],
    "protocols": {},
}


def approved_script(
    world: Any,
    *,
    name: str = "General message",
    definition: dict[str, Any] | None = None,
    kind: str = "general",
) -> ScriptVersion:
    """A script of ``world``'s organisation with version 1 approved."""
    with tenant_context(world.organization):
        script = Script.objects.create(name=name, kind=kind)
        return ScriptVersion.objects.create(
            script=script,
            number=1,
            status=VersionStatus.APPROVED,
            definition=definition or SMALL_DEFINITION,
            approved_at=timezone.now(),
            approved_by_label="owner",
        )


def location(world: Any, **fields: Any) -> Location:
    with tenant_context(world.organization):
        fields.setdefault("time_zone", "America/New_York")
        return LocationFactory.create(organization=world.organization, **fields)


def draft_intake(world: Any, version: ScriptVersion | None = None, **fields: Any) -> Intake:
    """An intake in progress by ``world``'s agent."""
    from tenancy.roles import Role

    version = version or approved_script(world, name=f"Script {uuid.uuid4().hex[:8]}")
    with tenant_context(world.organization):
        fields.setdefault("agent", world.members[Role.AGENT])
        fields.setdefault("status", IntakeStatus.DRAFT)
        return Intake.objects.create(script_version=version, **fields)
