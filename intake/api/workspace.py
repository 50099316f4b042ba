"""Intake API: workspace (start an intake, read it as the role allows, autosave its
answers, complete it, a caller's history)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from foundation.phones import PhoneNumberSerializerField
from intake.capabilities import IntakeCapability
from intake.models import Channel, Disposition, Intake, ScriptVersion
from intake.selectors import workspace as selectors
from intake.services import answers as answer_service
from intake.services import intakes as services
from telephony.models import Call
from tenancy.access.api import TenantAPIView
from tenancy.access.errors import INVALID_MESSAGE, error_response
from tenancy.access.schema import id_parameter
from tenancy.models import Location

WORK = IntakeCapability.WORK_INTAKES
VIEW = IntakeCapability.VIEW_INTAKES
INTAKE_ID = id_parameter("intake_id", "intake")
MAX_ID = 2**63 - 1
MAX_ANSWERS = 200


def _region(context: Mapping[str, Any]) -> str:
    return str(context["tenant"].organization.country or "US")


class IntakeCreateSerializer(serializers.Serializer[Any]):
    script_version_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    location_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.CALL)
    call_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    caller_phone = PhoneNumberSerializerField(region=_region, required=False)
    caller_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, trim_whitespace=True
    )


def _answers_field(required: bool) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.JSONField(),
        required=required,
        help_text="Field id → answer as typed: text, a number, true/false, a list of "
        "choices, or an address object (line1, line2, city, region, postal_code).",
    )


def _check_answer_count(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > MAX_ANSWERS:
        raise serializers.ValidationError(f"At most {MAX_ANSWERS} answers.")
    return value


class AutosaveSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField(min_value=0, max_value=2**31 - 1)
    answers = _answers_field(required=True)

    def validate_answers(self, value: dict[str, Any]) -> dict[str, Any]:
        return _check_answer_count(value)


class CompleteSerializer(serializers.Serializer[Any]):
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    next_step = serializers.CharField(max_length=300, required=False, allow_blank=True)
    answers = _answers_field(required=False)
    revision = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    script_version_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def validate_answers(self, value: dict[str, Any]) -> dict[str, Any]:
        return _check_answer_count(value)


class CallerHistoryRequestSerializer(serializers.Serializer[Any]):
    phone = PhoneNumberSerializerField(region=_region)


IntakeSerializer = inline_serializer(
    "Intake",
    {
        "id": serializers.IntegerField(),
        "script_version_id": serializers.IntegerField(),
        "script_name": serializers.CharField(),
        "script_version_number": serializers.IntegerField(),
        "location_id": serializers.IntegerField(allow_null=True),
        "channel": serializers.CharField(),
        "call_id": serializers.IntegerField(allow_null=True),
        "caller_phone": serializers.CharField(),
        "caller_name": serializers.CharField(),
        "agent_id": serializers.IntegerField(allow_null=True),
        "status": serializers.CharField(),
        "urgent": serializers.BooleanField(),
        "disposition": serializers.CharField(),
        "next_step": serializers.CharField(),
        "revision": serializers.IntegerField(),
        "started_at": serializers.DateTimeField(),
        "updated_at": serializers.DateTimeField(),
        "completed_at": serializers.DateTimeField(allow_null=True),
        "answers": serializers.DictField(
            help_text="Valid answers; those the caller's role may not read are "
            f"“{answer_service.HIDDEN}”. Reading health answers is logged."
        ),
    },
)

SaveResultSerializer = inline_serializer(
    "IntakeSaveResult",
    {
        "revision": serializers.IntegerField(),
        "errors": serializers.DictField(child=serializers.CharField()),
        "visible_fields": serializers.ListField(child=serializers.CharField()),
        "protocols": serializers.DictField(),
    },
)


def intake_payload(intake: Intake, answers: dict[str, object], *, personal: bool) -> dict[str, Any]:
    hidden = answer_service.HIDDEN
    return {
        "id": intake.pk,
        "script_version_id": intake.script_version_id,
        "script_name": intake.script_version.script.name,
        "script_version_number": intake.script_version.number,
        "location_id": intake.location_id,
        "channel": intake.channel,
        "call_id": intake.call_id,
        "caller_phone": intake.caller_phone if personal or not intake.caller_phone else hidden,
        "caller_name": intake.caller_name if personal or not intake.caller_name else hidden,
        "agent_id": intake.agent_id,
        "status": intake.status,
        "urgent": intake.urgent,
        "disposition": intake.disposition,
        "next_step": intake.next_step,
        "revision": intake.revision,
        "started_at": intake.started_at,
        "updated_at": intake.updated_at,
        "completed_at": intake.completed_at,
        "answers": answers,
    }


def protocols_payload(protocols: services.Protocols) -> dict[str, Any]:
    urgent = protocols.urgent
    check = protocols.conflict_check
    return {
        "statute_warning": protocols.statute,
        "urgent": None
        if urgent is None
        else {
            "instruction": urgent.instruction,
            "escalate": urgent.escalate,
            "trigger": str(urgent.trigger),
            "field_id": urgent.field_id,
        },
        "conflict_check": None
        if not protocols.has_conflict_check
        else {
            "names": protocols.conflict_names,
            "checked_names": list(check.names) if check else None,
            "hits": list(check.hits) if check else None,
            "checked_at": check.checked_at.isoformat() if check else None,
        },
    }


def _invalid(fields: dict[str, list[str]]) -> Response:
    # Returned rather than raised: a raised error rolls the request's work back, and a
    # refused completion keeps the draft it saved.
    return error_response("invalid", INVALID_MESSAGE, status.HTTP_400_BAD_REQUEST, fields)


def _conflict(message: str) -> Response:
    return error_response("conflict", message, status.HTTP_409_CONFLICT)


def _intakes() -> QuerySet[Intake]:
    return selectors.intake_for_work()


class IntakeAPIView(TenantAPIView):
    required_capability = VIEW

    def own(self, intake: Intake) -> Intake:
        if not services.may_work(self.tenant, intake):
            raise exceptions.PermissionDenied("Only its own agent, a supervisor or an owner may.")
        return intake


@extend_schema_view(
    post=extend_schema(
        summary="Start an intake",
        description="On an approved script version; from a call (`call_id`: its location "
        "and number are used) or by hand (`location_id`, `channel`, `caller_phone`). "
        "Starting the same call on the same script again returns the first draft.",
        request=IntakeCreateSerializer,
        responses={201: IntakeSerializer},
    )
)
class IntakeCreateView(IntakeAPIView):
    """Intakes: start one."""

    capabilities_by_method = {"POST": WORK}

    def post(self, request: Request) -> Response:
        data = self.parse(IntakeCreateSerializer)
        fields: dict[str, list[str]] = {}
        version = (
            ScriptVersion.objects.select_related("script")
            .filter(pk=data["script_version_id"])
            .first()
        )
        if version is None:
            fields["script_version_id"] = ["No such script version in this organisation."]
        location = None
        if "location_id" in data:
            location = Location.objects.filter(pk=data["location_id"], is_active=True).first()
            if location is None:
                fields["location_id"] = ["No such active location in this organisation."]
        call = None
        if "call_id" in data:
            call = (
                Call.objects.select_related("contact", "location")
                .filter(pk=data["call_id"])
                .first()
            )
            if call is None:
                fields["call_id"] = ["No such call in this organisation."]
        if fields or version is None:
            return _invalid(fields)
        intake = services.intake_start(
            actor=self.tenant,
            script_version=version,
            channel=data["channel"],
            location=location,
            call=call,
            caller_phone=data.get("caller_phone", ""),
            caller_name=data.get("caller_name", ""),
        )
        intake = selectors.intake_for_work().get(pk=intake.pk)
        return Response(
            intake_payload(intake, {}, personal=self.tenant.can(IntakeCapability.READ_PERSONAL)),
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    get=extend_schema(
        summary="One intake, answers as the role allows",
        description="Personal and health answers the caller's role may not read are "
        f"“{answer_service.HIDDEN}”; every read that returns a health answer is logged.",
        parameters=[INTAKE_ID],
        responses=IntakeSerializer,
    ),
    patch=extend_schema(
        summary="Save the draft's answers (autosave)",
        description="`answers` is everything typed, valid or not; the valid ones are "
        "stored, the rest kept as typed. Answers 200 with each invalid answer's error and "
        "the new `revision`; 409 when `revision` is not the stored one (saved elsewhere "
        "since) or the intake is completed: nothing is changed then.",
        parameters=[INTAKE_ID],
        request=AutosaveSerializer,
        responses=SaveResultSerializer,
    ),
)
class IntakeDetailView(IntakeAPIView):
    """One intake."""

    capabilities_by_method = {"GET": VIEW, "PATCH": WORK}
    url_objects = {"intake_id": _intakes}
    intake: Intake

    def get(self, request: Request, intake_id: int) -> Response:
        answers = answer_service.read_answers(
            actor=self.tenant, intake=self.intake, via=answer_service.VIA_API
        )
        personal = self.tenant.can(IntakeCapability.READ_PERSONAL)
        return Response(intake_payload(self.intake, answers, personal=personal))

    def patch(self, request: Request, intake_id: int) -> Response:
        intake = self.own(self.intake)
        data = self.parse(AutosaveSerializer)
        try:
            result = services.intake_autosave(
                actor=self.tenant, intake=intake, revision=data["revision"], answers=data["answers"]
            )
        except services.StaleRevision as error:
            return _conflict(str(error))
        except services.IntakeClosed as error:
            return _conflict(str(error))
        except ValidationError as error:
            return _invalid(error.message_dict)
        definition = answer_service.definition_of(intake)
        return Response(
            {
                "revision": result.revision,
                "errors": result.errors,
                "visible_fields": [f.id for f in definition.fields if f.id in result.visible],
                "protocols": protocols_payload(result.protocols),
            }
        )


@extend_schema_view(
    post=extend_schema(
        summary="Complete an intake",
        description="`disposition` (and `next_step` for a new lead or a booked appointment). "
        "With `answers` they are saved as the draft first; either way the answers must "
        "match the intake's script version. 400 names each problem and leaves a draft; "
        "409 when the intake is already completed.",
        parameters=[INTAKE_ID],
        request=CompleteSerializer,
        responses=IntakeSerializer,
    )
)
class IntakeCompleteView(IntakeAPIView):
    """Complete an intake."""

    capabilities_by_method = {"POST": WORK}
    url_objects = {"intake_id": _intakes}
    intake: Intake

    def post(self, request: Request, intake_id: int) -> Response:
        intake = self.own(self.intake)
        data = self.parse(CompleteSerializer)
        try:
            done = services.intake_complete(
                actor=self.tenant,
                intake=intake,
                disposition=data["disposition"],
                next_step=data.get("next_step", ""),
                answers=data.get("answers"),
                revision=data.get("revision"),
                script_version_id=data.get("script_version_id"),
            )
        except services.IntakeClosed as error:
            return _conflict(str(error))
        except services.StaleRevision as error:
            return _conflict(str(error))
        except ValidationError as error:
            fields = {
                ("answers." + key if key not in _TOP_LEVEL else key): value
                for key, value in error.message_dict.items()
            }
            return _invalid(fields)
        answers = answer_service.read_answers(
            actor=self.tenant, intake=done.intake, via=answer_service.VIA_API
        )
        personal = self.tenant.can(IntakeCapability.READ_PERSONAL)
        return Response(intake_payload(done.intake, answers, personal=personal))


_TOP_LEVEL = frozenset({"disposition", "next_step", "script_version_id", "revision"})


@extend_schema_view(
    post=extend_schema(
        summary="A caller's history",
        description="The last 10 calls, texts, intakes, leads and cases of `phone`, times "
        "on the organisation's clock with the zone named. A POST so that the number never "
        "appears in a URL or an access log.",
        request=CallerHistoryRequestSerializer,
        responses=inline_serializer(
            "CallerHistory",
            {
                "phone": serializers.CharField(),
                "time_zone": serializers.CharField(),
                "calls": serializers.ListField(child=serializers.DictField()),
                "texts": serializers.ListField(child=serializers.DictField()),
                "intakes": serializers.ListField(child=serializers.DictField()),
                "leads": serializers.ListField(child=serializers.DictField()),
                "cases": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
)
class CallerHistoryView(IntakeAPIView):
    """A caller's history by phone number."""

    capabilities_by_method = {"POST": VIEW}

    def post(self, request: Request) -> Response:
        phone = self.parse(CallerHistoryRequestSerializer)["phone"]
        history = selectors.caller_history(phone, organization=self.tenant.organization)
        return Response(history.as_json())


urlpatterns: list[URLPattern] = [
    path("intakes/", IntakeCreateView.as_view(), name="api-intake-create"),
    path("intakes/<id:intake_id>/", IntakeDetailView.as_view(), name="api-intake-detail"),
    path(
        "intakes/<id:intake_id>/complete/",
        IntakeCompleteView.as_view(),
        name="api-intake-complete",
    ),
    path("caller-history/", CallerHistoryView.as_view(), name="api-intake-caller-history"),
]
