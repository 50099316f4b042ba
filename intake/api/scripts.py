"""Intake API: scripts, their drafts, approving and retiring versions.

Reads need ``view_intakes``; writes ``manage_scripts``; approving and retiring
``approve_scripts``. A definition that ``parse_definition`` refuses, or a draft that cannot be
approved, is a 400 whose ``problems`` list says why, one sentence each (also under
``error.fields.definition``); nothing is written then.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from intake.capabilities import IntakeCapability
from intake.models import Script, ScriptKind, ScriptVersion, VersionStatus
from intake.scripts.definition import DefinitionError
from intake.scripts.templates import TEMPLATES
from intake.selectors import scripts as selectors
from intake.services import scripts as services
from tenancy.access.api import TenantAPIView
from tenancy.access.errors import error_body
from tenancy.access.schema import ERROR_SCHEMA, id_parameter
from tenancy.models import Location

VIEW = IntakeCapability.VIEW_INTAKES
MANAGE = IntakeCapability.MANAGE_SCRIPTS
APPROVE = IntakeCapability.APPROVE_SCRIPTS

SCRIPT_ID = id_parameter("script_id", "script")
VERSION_ID = id_parameter("version_id", "script version")
BIGINT_MAX = 2**63 - 1
MAX_LOCATIONS = 500


# Serializers ------------------------------------------------------------------------------


@extend_schema_field({"type": "object", "additionalProperties": True})
class DefinitionField(serializers.JSONField):
    """A script definition: a JSON object (its shape is checked by ``parse_definition``)."""


class ScriptVersionSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=VersionStatus.choices)
    note = serializers.CharField()
    approved_by = serializers.CharField(source="approved_by_label")
    approved_at = serializers.DateTimeField(allow_null=True)
    retired_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ScriptVersionSerializer(ScriptVersionSummarySerializer):
    script_id = serializers.IntegerField()
    definition = serializers.JSONField()


class ScriptSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ScriptKind.choices)
    description = serializers.CharField()
    location_ids = serializers.SerializerMethodField()
    approved_version = serializers.SerializerMethodField()
    draft_version = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_location_ids(self, script: Script) -> list[int]:
        return selectors.location_ids_of(script)

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_approved_version(self, script: Script) -> int | None:
        version = services.approved_of(script)
        return version.number if version else None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_draft_version(self, script: Script) -> int | None:
        version = services.draft_of(script)
        return version.number if version else None


class ScriptDetailSerializer(ScriptSerializer):
    versions = serializers.SerializerMethodField()

    @extend_schema_field(ScriptVersionSummarySerializer(many=True))
    def get_versions(self, script: Script) -> list[dict[str, Any]]:
        return [dict(ScriptVersionSummarySerializer(v).data) for v in selectors.versions_of(script)]


class ScriptCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=services.MAX_NAME)
    kind = serializers.ChoiceField(choices=ScriptKind.choices, required=False)
    description = serializers.CharField(
        max_length=services.MAX_DESCRIPTION, required=False, allow_blank=True
    )
    template = serializers.ChoiceField(
        choices=sorted(TEMPLATES),
        required=False,
        help_text="Start from a built-in template: " + ", ".join(sorted(TEMPLATES)) + ".",
    )
    definition = DefinitionField(
        required=False, help_text="The whole definition (see the draft endpoint)."
    )
    location_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX),
        required=False,
        max_length=MAX_LOCATIONS,
        help_text="Offer the script only at these locations; empty or absent: everywhere.",
    )


class ScriptUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=services.MAX_NAME, required=False)
    description = serializers.CharField(
        max_length=services.MAX_DESCRIPTION, required=False, allow_blank=True
    )
    location_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX),
        required=False,
        max_length=MAX_LOCATIONS,
    )


class ScriptDraftSerializer(serializers.Serializer[Any]):
    script_id = serializers.IntegerField()
    number = serializers.IntegerField(allow_null=True, help_text="Null when there is no draft.")
    definition = serializers.JSONField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    problems = serializers.ListField(
        child=serializers.CharField(), help_text="What stops approval; empty when nothing."
    )


class ScriptDraftWriteSerializer(serializers.Serializer[Any]):
    definition = DefinitionField(
        help_text="Sections of fields (id, type, label, help, required, sensitivity, "
        "validation, condition), read_aloud, notices and protocols."
    )


class ScriptApproveSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=services.MAX_NOTE, required=False, allow_blank=True)


PROBLEMS_RESPONSE = OpenApiResponse(
    description="Not saved: the definition has problems. `problems` lists each one (also "
    "under `error.fields.definition`).",
    response={
        "type": "object",
        "properties": {
            "error": ERROR_SCHEMA["properties"]["error"],
            "problems": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["error"],
    },
)


def _problems(problems: list[str], message: str) -> Response:
    body = error_body("invalid", message, {"definition": problems})
    body["problems"] = problems
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _locations(ids: list[int] | None) -> list[Location] | None:
    """The tenant's locations with these ids; a 400 naming each one it does not have."""
    if ids is None:
        return None
    found = {loc.pk: loc for loc in Location.objects.filter(pk__in=ids)}
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise ValidationError({"location_ids": [f"No location with id {', '.join(missing)}."]})
    return [found[pk] for pk in dict.fromkeys(ids)]


def _draft_payload(script: Script) -> dict[str, Any]:
    draft = services.draft_of(script)
    return {
        "script_id": script.pk,
        "number": draft.number if draft else None,
        "definition": draft.definition if draft else None,
        "updated_at": draft.updated_at if draft else None,
        "problems": services.problems_of(draft) if draft else [],
    }


class ScriptAPIView(TenantAPIView):
    # A method a view names no capability for needs intake's read capability.
    required_capability = VIEW


# Views ------------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(summary="The organisation's scripts", responses=ScriptSerializer(many=True)),
    post=extend_schema(
        summary="Create a script (owner, supervisor)",
        description="Version 1 is a draft: a copy of `template`, the given `definition`, or "
        "one empty section. Names are unique in the organisation whatever their case.",
        request=ScriptCreateSerializer,
        responses={201: ScriptDetailSerializer, 400: PROBLEMS_RESPONSE},
    ),
)
class ScriptListView(ScriptAPIView):
    """Scripts, by name (cursor-paginated)."""

    capabilities_by_method = {"GET": VIEW, "POST": MANAGE}
    serializer_class = ScriptSerializer

    def get_queryset(self) -> QuerySet[Script]:
        return Script.objects.all()

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ScriptSerializer(page, many=True).data)

    def post(self, request: Request) -> Response:
        data = self.parse(ScriptCreateSerializer)
        locations = _locations(data.pop("location_ids", None)) or []
        try:
            script = services.script_create(
                actor=self.tenant,
                name=data["name"],
                kind=data.get("kind"),
                description=data.get("description", ""),
                template=data.get("template"),
                definition=data.get("definition"),
                locations=locations,
            )
        except DefinitionError as error:
            return _problems(error.problems, "The definition has problems; nothing was saved.")
        return Response(ScriptDetailSerializer(script).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="One script, with its versions", parameters=[SCRIPT_ID]),
    patch=extend_schema(
        summary="Rename, describe or limit a script to locations (owner, supervisor)",
        parameters=[SCRIPT_ID],
        request=ScriptUpdateSerializer,
    ),
)
class ScriptDetailView(ScriptAPIView):
    """A script: its name, locations and versions."""

    capabilities_by_method = {"GET": VIEW, "PATCH": MANAGE}
    url_objects = {"script_id": Script}
    script: Script
    serializer_class = ScriptDetailSerializer

    def get(self, request: Request, script_id: int) -> Response:
        return Response(ScriptDetailSerializer(self.script).data)

    def patch(self, request: Request, script_id: int) -> Response:
        data = self.parse(ScriptUpdateSerializer)
        script = services.script_update(
            actor=self.tenant,
            script=self.script,
            name=data.get("name"),
            description=data.get("description"),
            locations=_locations(data.get("location_ids")),
        )
        return Response(ScriptDetailSerializer(script).data)


@extend_schema_view(
    get=extend_schema(
        summary="A script's draft",
        description="The draft's definition and what stops its approval; `number` and "
        "`definition` are null when the script has no draft.",
        parameters=[SCRIPT_ID],
    ),
    put=extend_schema(
        summary="Replace the draft's definition (owner, supervisor)",
        description="The definition is checked whole; on any problem nothing is saved and "
        "the 400 lists every problem. Starts a draft when the script has none.",
        parameters=[SCRIPT_ID],
        request=ScriptDraftWriteSerializer,
        responses={200: ScriptDraftSerializer, 400: PROBLEMS_RESPONSE},
    ),
)
class DraftView(ScriptAPIView):
    """The draft: the version being edited. Agents never see it."""

    capabilities_by_method = {"GET": VIEW, "PUT": MANAGE}
    url_objects = {"script_id": Script}
    script: Script
    serializer_class = ScriptDraftSerializer

    def get(self, request: Request, script_id: int) -> Response:
        return Response(ScriptDraftSerializer(_draft_payload(self.script)).data)

    def put(self, request: Request, script_id: int) -> Response:
        definition = self.parse(ScriptDraftWriteSerializer)["definition"]
        try:
            services.draft_save(actor=self.tenant, script=self.script, definition=definition)
        except DefinitionError as error:
            return _problems(error.problems, "The definition has problems; nothing was saved.")
        return Response(ScriptDraftSerializer(_draft_payload(self.script)).data)


@extend_schema_view(
    post=extend_schema(
        summary="Approve the draft (owner, supervisor)",
        description="Agents get it from their next intake; the version approved before is "
        "retired. Refused with a 400 listing `problems` while anything stops approval "
        "(conditions on missing fields, loops, protocols reading the wrong fields), and "
        "with a 409 when the script has no draft.",
        parameters=[SCRIPT_ID],
        request=ScriptApproveSerializer,
        responses={200: ScriptVersionSerializer, 400: PROBLEMS_RESPONSE},
    )
)
class ApproveView(ScriptAPIView):
    """Approving makes the draft the version agents work; it can no longer change."""

    capabilities_by_method = {"POST": APPROVE}
    url_objects = {"script_id": Script}
    script: Script
    serializer_class = ScriptVersionSerializer

    def post(self, request: Request, script_id: int) -> Response:
        note = self.parse(ScriptApproveSerializer).get("note", "")
        draft = services.draft_of(self.script)
        if draft is None:
            return Response(
                error_body("conflict", "This script has no draft to approve."),
                status=status.HTTP_409_CONFLICT,
            )
        try:
            version = services.version_approve(actor=self.tenant, version=draft, note=note)
        except services.ApprovalRefused as error:
            return _problems(error.problems, "The draft cannot be approved yet.")
        except services.VersionFrozen as error:
            return Response(error_body("conflict", str(error)), status=status.HTTP_409_CONFLICT)
        return Response(ScriptVersionSerializer(version).data)


@extend_schema_view(
    post=extend_schema(
        summary="Retire the approved version (owner, supervisor)",
        description="Agents no longer get the script until a new version is approved. A "
        "409 when no version is approved.",
        parameters=[SCRIPT_ID],
        request=None,
        responses={200: ScriptVersionSerializer},
    )
)
class RetireView(ScriptAPIView):
    """Retiring takes the script out of agents' hands; its history stays."""

    capabilities_by_method = {"POST": APPROVE}
    url_objects = {"script_id": Script}
    script: Script
    serializer_class = ScriptVersionSerializer

    def post(self, request: Request, script_id: int) -> Response:
        approved = services.approved_of(self.script)
        if approved is None:
            return Response(
                error_body("conflict", "This script has no approved version to retire."),
                status=status.HTTP_409_CONFLICT,
            )
        try:
            version = services.version_retire(actor=self.tenant, version=approved)
        except services.VersionFrozen as error:
            return Response(error_body("conflict", str(error)), status=status.HTTP_409_CONFLICT)
        return Response(ScriptVersionSerializer(version).data)


@extend_schema_view(get=extend_schema(summary="One script version", parameters=[VERSION_ID]))
class VersionView(ScriptAPIView):
    """A version with its definition: a draft, the approved version, or a retired one."""

    capabilities_by_method = {"GET": VIEW}
    url_objects = {"version_id": ScriptVersion}
    version: ScriptVersion
    serializer_class = ScriptVersionSerializer

    def get(self, request: Request, version_id: int) -> Response:
        return Response(ScriptVersionSerializer(self.version).data)


_SCRIPT = "scripts/<id:script_id>/"

urlpatterns: list[URLPattern] = [
    path("scripts/", ScriptListView.as_view(), name="api-intake-scripts"),
    path(_SCRIPT, ScriptDetailView.as_view(), name="api-intake-script"),
    path(_SCRIPT + "draft/", DraftView.as_view(), name="api-intake-script-draft"),
    path(_SCRIPT + "approve/", ApproveView.as_view(), name="api-intake-script-approve"),
    path(_SCRIPT + "retire/", RetireView.as_view(), name="api-intake-script-retire"),
    path(
        "scripts/versions/<id:version_id>/",
        VersionView.as_view(),
        name="api-intake-script-version",
    ),
]
