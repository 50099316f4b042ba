"""Intake routes in the authorization matrix, one area (see tests/test_authorization_matrix.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from intake.models import Script, ScriptVersion, VersionStatus
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.authorization import MANAGERS, Route
from tests.conftest import OrgWorld
from tests.intake.worlds import SMALL_DEFINITION, approved_script

# Who may read scripts through the API (intake's view_intakes).
READERS = frozenset({Role.OWNER, Role.SUPERVISOR, Role.AGENT, Role.QA})

SCRIPT = {"script_id": "scripts_script"}
VERSION = {"version_id": "scripts_version"}

BROWSER: dict[str, Route] = {
    "intake-scripts": Route({"GET": MANAGERS, "POST": MANAGERS}),
    "intake-script": Route({"GET": MANAGERS, "POST": MANAGERS}, SCRIPT),
    "intake-script-draft-new": Route({"POST": MANAGERS}, SCRIPT),
    "intake-script-builder": Route({"GET": MANAGERS, "POST": MANAGERS}, SCRIPT),
    "intake-script-field": Route({"GET": MANAGERS, "POST": MANAGERS}, SCRIPT),
    "intake-script-json": Route({"GET": MANAGERS, "POST": MANAGERS}, SCRIPT),
    "intake-script-preview": Route({"GET": MANAGERS}, SCRIPT),
    "intake-script-version": Route({"GET": MANAGERS}, VERSION),
    "intake-script-approve": Route({"POST": MANAGERS}, VERSION),
    "intake-script-retire": Route({"POST": MANAGERS}, VERSION),
}
API: dict[str, Route] = {
    "api-intake-scripts": Route({"GET": READERS, "POST": MANAGERS}),
    "api-intake-script": Route({"GET": READERS, "PATCH": MANAGERS}, SCRIPT),
    "api-intake-script-draft": Route({"GET": READERS, "PUT": MANAGERS}, SCRIPT),
    "api-intake-script-approve": Route({"POST": MANAGERS}, SCRIPT),
    "api-intake-script-retire": Route({"POST": MANAGERS}, SCRIPT),
    "api-intake-script-version": Route({"GET": READERS}, VERSION),
}


def _script(world: OrgWorld) -> int:
    """A script with version 1 approved and version 2 a draft."""
    version = approved_script(world, name=f"Matrix {uuid.uuid4().hex[:8]}")
    with tenant_context(world.organization):
        ScriptVersion.objects.create(script=version.script, number=2, definition=SMALL_DEFINITION)
    return version.script_id


def _version(world: OrgWorld) -> int:
    with tenant_context(world.organization):
        script = Script.objects.create(name=f"Matrix {uuid.uuid4().hex[:8]}")
        return ScriptVersion.objects.create(
            script=script, number=1, status=VersionStatus.DRAFT, definition=SMALL_DEFINITION
        ).pk


# Kind of object → a function that creates one in the world's organisation and returns its id.
OBJECT_MAKERS: dict[str, Callable[[OrgWorld], int]] = {
    "scripts_script": _script,
    "scripts_version": _version,
}
