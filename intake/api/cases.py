"""Intake API: leads, appointments and cases (with their escalation).

Reads need ``view_intakes``; moving a lead, booking an appointment and working a case need
``work_cases``. Ids in bodies (``location_id``, ``owner_id``) are checked as whole numbers
first, then looked up in the caller's organisation: another organisation's id is answered
like an unknown one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from foundation.phones import PhoneNumberSerializerField
from intake.capabilities import IntakeCapability
from intake.models import (
    Appointment,
    Case,
    CaseCategory,
    CasePriority,
    Lead,
    LeadStatus,
)
from intake.selectors import cases as selectors
from intake.services import cases as case_services
from intake.services import leads as lead_services
from tenancy.access.api import TenantAPIView
from tenancy.access.converters import BIGINT_MAX
from tenancy.access.schema import id_parameter
from tenancy.models import Location, Membership
from tenancy.serializers import organization_country

VIEW = IntakeCapability.VIEW_INTAKES
WORK = IntakeCapability.WORK_CASES

LEAD_ID = id_parameter("lead_id", "lead")
CASE_ID = id_parameter("case_id", "case")


def choice_field(values: list[str], description: str) -> Callable[..., serializers.ChoiceField]:
    """A choice of ``values``, documented inline (a shared enum component named after the
    field, "StatusEnum", would collide with other apps' ``status``)."""

    @extend_schema_field(
        {"allOf": [{"type": "string", "enum": values}], "description": description}
    )
    class Choice(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(choices=values, **kwargs)

    return Choice


LeadStatusField = choice_field(LeadStatus.values, "new, contacted, qualified, booked, …")
CategoryField = choice_field(CaseCategory.values, "complaint, billing, service_failure, …")
PriorityField = choice_field(CasePriority.values, "low, normal, high or urgent")
RootCauseField = choice_field(list(case_services.ROOT_CAUSES), "The root-cause tag.")
CaseViewField = choice_field(list(selectors.CASE_VIEWS), "Which cases (default open).")


def _id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, **kwargs)


def _location(pk: int | None, field: str = "location_id") -> Location | None:
    if pk is None:
        return None
    location = Location.objects.filter(pk=pk).first()
    if location is None:
        raise serializers.ValidationError({field: ["No such location."]})
    return location


# Shapes ----------------------------------------------------------------------------------


class IntakeLeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    intake_id = serializers.IntegerField(allow_null=True)
    location_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    phone = serializers.CharField()
    status = serializers.CharField(help_text="new, contacted, qualified, booked, retained, lost")
    status_label = serializers.CharField(source="get_status_display")
    next_step = serializers.CharField()
    owner_id = serializers.IntegerField(allow_null=True)
    lost_reason = serializers.CharField()
    allowed_statuses = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_allowed_statuses(self, lead: Lead) -> list[str]:
        return [value for value, _ in lead_services.allowed_moves(lead)]


class LeadFilterSerializer(serializers.Serializer):
    status = LeadStatusField(required=False)
    location_id = _id_field(required=False)


class LeadUpdateSerializer(serializers.Serializer):
    status = LeadStatusField()
    lost_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=lead_services.LOST_REASON_LIMIT,
        help_text="Needed when the status is lost.",
    )


class IntakeAppointmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead_id = serializers.IntegerField(allow_null=True)
    location_id = serializers.IntegerField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    starts_at = serializers.DateTimeField()
    starts_local = serializers.SerializerMethodField(
        help_text="The start on the location's wall clock."
    )
    time_zone = serializers.CharField(source="location.time_zone")
    duration_minutes = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")

    def get_starts_local(self, appointment: Appointment) -> str:
        return selectors.in_zone(appointment.starts_at, appointment.location.time_zone)


class AppointmentFilterSerializer(serializers.Serializer):
    location_id = _id_field(required=False)


class AppointmentCreateSerializer(serializers.Serializer):
    starts_at = serializers.CharField(
        max_length=40,
        help_text="ISO 8601. Without an offset (2026-12-03T14:30) it is read on the "
        "location's wall clock; with one it is that instant. Must be in the future.",
    )
    location_id = _id_field(required=False, help_text="Default: the lead's location.")
    duration_minutes = serializers.IntegerField(
        required=False, default=30, help_text="15, 30, 45, 60, 90 or 120."
    )
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_phone = PhoneNumberSerializerField(
        region=organization_country, required=False, help_text="Default: the lead's number."
    )

    def validate_starts_at(self, value: str) -> datetime:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise serializers.ValidationError(
                "Write the date and time as ISO 8601, like 2026-12-03T14:30."
            ) from None


class CaseTierSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    name = serializers.CharField()
    may_decide = serializers.CharField()


class CaseEventSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="opened, assigned, escalated, resolved, reopened")
    kind_label = serializers.CharField(source="get_kind_display")
    actor_id = serializers.IntegerField(allow_null=True)
    actor_label = serializers.CharField()
    from_tier = serializers.CharField()
    to_tier = serializers.CharField()
    reason = serializers.CharField()
    at = serializers.DateTimeField()


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    category = serializers.CharField()
    category_label = serializers.CharField(source="get_category_display")
    priority = serializers.CharField()
    priority_label = serializers.CharField(source="get_priority_display")
    status = serializers.CharField(help_text="open, escalated, resolved or reopened")
    status_label = serializers.CharField(source="get_status_display")
    tier = CaseTierSerializer(allow_null=True)
    owner_id = serializers.IntegerField(allow_null=True)
    location_id = serializers.IntegerField(allow_null=True)
    intake_id = serializers.IntegerField(allow_null=True)
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    resolve_by = serializers.DateTimeField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    root_cause = serializers.CharField()
    resolution = serializers.CharField()
    reopened_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_overdue(self, case: Case) -> bool:
        return selectors.is_overdue(case)


class CaseDetailSerializer(CaseSerializer):
    events = serializers.SerializerMethodField()

    @extend_schema_field(CaseEventSerializer(many=True))
    def get_events(self, case: Case) -> Any:
        return CaseEventSerializer(selectors.case_events(case), many=True).data


class CaseFilterSerializer(serializers.Serializer):
    view = CaseViewField(required=False)
    location_id = _id_field(required=False)


class CaseCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=case_services.SUBJECT_LIMIT)
    category = CategoryField()
    priority = PriorityField(required=False, default=CasePriority.NORMAL)
    location_id = _id_field(required=False)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_phone = PhoneNumberSerializerField(region=organization_country, required=False)


class CaseReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=case_services.REASON_LIMIT)


class CaseResolveSerializer(serializers.Serializer):
    root_cause = RootCauseField()
    resolution = serializers.CharField(max_length=case_services.REASON_LIMIT)


class CaseAssignSerializer(serializers.Serializer):
    owner_id = _id_field(help_text="The member (owner, supervisor or agent) to give it to.")


# Views -----------------------------------------------------------------------------------


class IntakeCasesAPIView(TenantAPIView):
    # A method a view names no capability for needs the read capability.
    required_capability = VIEW


@extend_schema_view(
    get=extend_schema(
        summary="List leads",
        parameters=[LeadFilterSerializer],
        responses=IntakeLeadSerializer(many=True),
    )
)
class LeadListView(IntakeCasesAPIView):
    """Leads made from completed intakes, newest first (cursor-paginated)."""

    capabilities_by_method = {"GET": VIEW}
    serializer_class = IntakeLeadSerializer

    def get_queryset(self) -> QuerySet[Lead]:
        return Lead.objects.all()

    def get(self, request: Request) -> Response:
        filters = self.filters(LeadFilterSerializer)
        queryset = selectors.leads(
            status=filters.get("status", ""), location=_location(filters.get("location_id"))
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(IntakeLeadSerializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(summary="One lead", parameters=[LEAD_ID]),
    patch=extend_schema(
        summary="Move a lead along",
        description="Only the next step of the pipeline (or lost, with `lost_reason`) is "
        "accepted: `allowed_statuses` lists them.",
        parameters=[LEAD_ID],
        request=LeadUpdateSerializer,
    ),
)
class LeadDetailView(IntakeCasesAPIView):
    """A lead and where it may go next."""

    capabilities_by_method = {"GET": VIEW, "PATCH": WORK}
    url_objects = {"lead_id": Lead}
    lead: Lead
    serializer_class = IntakeLeadSerializer

    def get(self, request: Request, lead_id: int) -> Response:
        return Response(IntakeLeadSerializer(self.lead).data)

    def patch(self, request: Request, lead_id: int) -> Response:
        data = self.parse(LeadUpdateSerializer)
        lead = lead_services.lead_move(
            actor=self.tenant,
            lead=self.lead,
            status=data["status"],
            lost_reason=data.get("lost_reason", ""),
        )
        return Response(IntakeLeadSerializer(lead).data)


@extend_schema_view(
    post=extend_schema(
        summary="Book an appointment for a lead",
        parameters=[LEAD_ID],
        request=AppointmentCreateSerializer,
        responses={201: IntakeAppointmentSerializer},
    )
)
class LeadAppointmentView(IntakeCasesAPIView):
    """Book a time at a location for the lead; a lead before "booked" moves to it."""

    capabilities_by_method = {"POST": WORK}
    url_objects = {"lead_id": Lead}
    lead: Lead
    serializer_class = IntakeAppointmentSerializer

    def post(self, request: Request, lead_id: int) -> Response:
        data = self.parse(AppointmentCreateSerializer)
        appointment = lead_services.appointment_book(
            actor=self.tenant,
            lead=self.lead,
            starts_at=data["starts_at"],
            location=_location(data.get("location_id")),
            duration_minutes=data["duration_minutes"],
            contact_name=data.get("contact_name", ""),
            contact_phone=data.get("contact_phone", ""),
        )
        return Response(IntakeAppointmentSerializer(appointment).data, status=201)


@extend_schema_view(
    get=extend_schema(
        summary="Upcoming appointments",
        parameters=[AppointmentFilterSerializer],
        responses=IntakeAppointmentSerializer(many=True),
    )
)
class AppointmentListView(IntakeCasesAPIView):
    """Appointments of the next 60 days (cursor-paginated)."""

    capabilities_by_method = {"GET": VIEW}
    serializer_class = IntakeAppointmentSerializer

    def get_queryset(self) -> QuerySet[Appointment]:
        return Appointment.objects.all()

    def get(self, request: Request) -> Response:
        filters = self.filters(AppointmentFilterSerializer)
        queryset = selectors.upcoming_appointments(location=_location(filters.get("location_id")))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(IntakeAppointmentSerializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(
        summary="List cases",
        description="`view`: open (default), mine, escalated, overdue (open past "
        "`resolve_by`), resolved or all.",
        parameters=[CaseFilterSerializer],
        responses=CaseSerializer(many=True),
    ),
    post=extend_schema(
        summary="Open a case",
        description="Starts at the first tier of the escalation path, due by the "
        "priority's target (urgent 4 h, high 1 day, normal 3 days, low 7 days). If the same "
        "`contact_phone` had a case of the same category resolved in the last 30 days, that "
        "case is reopened and returned instead (200).",
        request=CaseCreateSerializer,
        responses={201: CaseDetailSerializer, 200: CaseDetailSerializer},
    ),
)
class CaseListView(IntakeCasesAPIView):
    """Cases (cursor-paginated)."""

    capabilities_by_method = {"GET": VIEW, "POST": WORK}
    serializer_class = CaseSerializer

    def get_queryset(self) -> QuerySet[Case]:
        return Case.objects.all()

    def get(self, request: Request) -> Response:
        filters = self.filters(CaseFilterSerializer)
        queryset = selectors.cases(
            view=filters.get("view", "open"),
            location=_location(filters.get("location_id")),
            member=self.tenant.membership,
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CaseSerializer(page, many=True).data)

    def post(self, request: Request) -> Response:
        data = self.parse(CaseCreateSerializer)
        case = case_services.open_case(
            actor=self.tenant,
            subject=data["subject"],
            category=data["category"],
            priority=data["priority"],
            location=_location(data.get("location_id")),
            contact_name=data.get("contact_name", ""),
            contact_phone=data.get("contact_phone", ""),
        )
        reopened = case.status == "reopened" and bool(case.reopened_count)
        return Response(CaseDetailSerializer(case).data, status=200 if reopened else 201)


CASE = {"case_id": Case}


@extend_schema_view(get=extend_schema(summary="One case with its history", parameters=[CASE_ID]))
class CaseDetailView(IntakeCasesAPIView):
    """A case and its events: who did what, why and when."""

    capabilities_by_method = {"GET": VIEW}
    url_objects = CASE
    case: Case
    serializer_class = CaseDetailSerializer

    def get(self, request: Request, case_id: int) -> Response:
        return Response(CaseDetailSerializer(self.case).data)


class _CaseActionView(IntakeCasesAPIView):
    capabilities_by_method = {"POST": WORK}
    url_objects = CASE
    case: Case
    serializer_class = CaseDetailSerializer


@extend_schema_view(
    post=extend_schema(
        summary="Escalate a case to the next tier",
        description="Refused (400) for a resolved case and at the last tier.",
        parameters=[CASE_ID],
        request=CaseReasonSerializer,
    )
)
class CaseEscalateView(_CaseActionView):
    """Move the case one tier up the escalation path, with the reason."""

    def post(self, request: Request, case_id: int) -> Response:
        data = self.parse(CaseReasonSerializer)
        case = case_services.escalate(actor=self.tenant, case=self.case, reason=data["reason"])
        return Response(CaseDetailSerializer(case).data)


@extend_schema_view(
    post=extend_schema(
        summary="Resolve a case", parameters=[CASE_ID], request=CaseResolveSerializer
    )
)
class CaseResolveView(_CaseActionView):
    """Resolve the case with a root-cause tag and what was done."""

    def post(self, request: Request, case_id: int) -> Response:
        data = self.parse(CaseResolveSerializer)
        case = case_services.resolve(actor=self.tenant, case=self.case, **data)
        return Response(CaseDetailSerializer(case).data)


@extend_schema_view(
    post=extend_schema(
        summary="Reopen a resolved case", parameters=[CASE_ID], request=CaseReasonSerializer
    )
)
class CaseReopenView(_CaseActionView):
    """Reopen a resolved case, with the reason; it gets a fresh resolution target."""

    def post(self, request: Request, case_id: int) -> Response:
        data = self.parse(CaseReasonSerializer)
        case = case_services.reopen(actor=self.tenant, case=self.case, reason=data["reason"])
        return Response(CaseDetailSerializer(case).data)


@extend_schema_view(
    post=extend_schema(summary="Assign a case", parameters=[CASE_ID], request=CaseAssignSerializer)
)
class CaseAssignView(_CaseActionView):
    """Give the case to a member who works cases."""

    def post(self, request: Request, case_id: int) -> Response:
        data = self.parse(CaseAssignSerializer)
        owner = Membership.objects.filter(pk=data["owner_id"]).select_related("user").first()
        if owner is None:
            raise serializers.ValidationError({"owner_id": ["No such member."]})
        try:
            case = case_services.assign(actor=self.tenant, case=self.case, owner=owner)
        except ValidationError as error:
            raise serializers.ValidationError(
                {"owner_id": error.message_dict.get("owner", error.messages)}
            ) from None
        return Response(CaseDetailSerializer(case).data)


urlpatterns: list[URLPattern] = [
    path("leads/", LeadListView.as_view(), name="api-intake-leads"),
    path("leads/<id:lead_id>/", LeadDetailView.as_view(), name="api-intake-lead"),
    path(
        "leads/<id:lead_id>/appointments/",
        LeadAppointmentView.as_view(),
        name="api-intake-lead-appointments",
    ),
    path("appointments/", AppointmentListView.as_view(), name="api-intake-appointments"),
    path("cases/", CaseListView.as_view(), name="api-intake-cases"),
    path("cases/<id:case_id>/", CaseDetailView.as_view(), name="api-intake-case"),
    path(
        "cases/<id:case_id>/escalate/", CaseEscalateView.as_view(), name="api-intake-case-escalate"
    ),
    path("cases/<id:case_id>/resolve/", CaseResolveView.as_view(), name="api-intake-case-resolve"),
    path("cases/<id:case_id>/reopen/", CaseReopenView.as_view(), name="api-intake-case-reopen"),
    path("cases/<id:case_id>/assign/", CaseAssignView.as_view(), name="api-intake-case-assign"),
]
