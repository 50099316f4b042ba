"""Intake API: setup. Parties and matters (imports, search), handoff recipients, handoffs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import parsers, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from intake.capabilities import IntakeCapability
from intake.models import Handoff, HandoffRecipient, HandoffState, Party, RecipientKind
from intake.selectors import setup as selectors
from intake.services import handoffs, parties
from tenancy.access.api import TenantAPIView
from tenancy.access.parsers import JSONParser
from tenancy.access.schema import id_parameter
from tenancy.models import Location
from tenancy.roles import Role

MANAGE = IntakeCapability.MANAGE_INTAKE_SETUP
RECIPIENT_ID = id_parameter("recipient_id", "handoff recipient")
HANDOFF_ID = id_parameter("handoff_id", "handoff")


# Bodies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CSVBody:
    data: bytes
    too_large: bool


class CSVParser(parsers.BaseParser):
    """``text/csv`` bodies, read as bytes up to the upload limit (decoded by the import)."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = stream.read(parties.MAX_UPLOAD_BYTES + 1) if stream is not None else b""
        return CSVBody(data=data, too_large=len(data) > parties.MAX_UPLOAD_BYTES)


def _rows(request: Request, columns: tuple[str, ...]) -> tuple[list[tuple[int, Any]], int]:
    """The rows of an import body and the most allowed: a JSON list (≤ 5,000 rows) or a CSV
    file (≤ 50,000 rows, 10 MB)."""
    body = request.data
    if isinstance(body, CSVBody):
        if body.too_large:
            raise ValidationError(
                {"rows": [f"The file is larger than {parties.MAX_UPLOAD_BYTES // 2**20} MB."]}
            )
        return parties.read_csv(body.data, columns=columns), parties.MAX_UPLOAD_ROWS
    if not isinstance(body, list):
        raise ValidationError(
            {"rows": ["Send a JSON list of rows (objects), or a CSV file as text/csv."]}
        )
    return parties.numbered(body), parties.MAX_API_ROWS


class ImportResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class PartyRowSerializer(serializers.Serializer[Any]):
    # Documentation of a row (the service reads the rows): null in an optional cell is
    # read as an empty cell.
    name = serializers.CharField(max_length=200)
    role = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text='client, adverse, related or prospect, or the words ("Adverse party", '
        "any case); empty means a related party.",
    )
    matter = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The matter's external reference, or its name.",
    )
    external_ref = serializers.CharField(
        max_length=100, required=False, allow_null=True, allow_blank=True
    )


class MatterRowSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=300)
    matter_type = serializers.CharField(
        max_length=60, required=False, allow_null=True, allow_blank=True
    )
    external_ref = serializers.CharField(
        max_length=100, required=False, allow_null=True, allow_blank=True
    )
    open = serializers.BooleanField(required=False, allow_null=True)


_IMPORT_DESCRIPTION = (
    "A JSON list of at most 5,000 rows, or a CSV file (`Content-Type: text/csv`, UTF-8, "
    "header row, at most 10 MB and 50,000 rows). All or nothing: any bad row refuses the "
    'whole import with a message per row in `error.fields.rows` ("Row 7: …"; a CSV\'s '
    "header is row 1, a list's first item row 1). Rows with an `external_ref` update the "
    "record that has it."
)


class _ImportView(TenantAPIView):
    capabilities_by_method = {"POST": MANAGE}
    required_capability = MANAGE
    parser_classes = [JSONParser, CSVParser]
    columns: tuple[str, ...] = ()

    def _import(self, request: Request) -> Response:
        rows, limit = _rows(request, self.columns)
        if self.columns == parties.PARTY_COLUMNS:
            result = parties.import_parties(actor=self.tenant, rows=rows, limit=limit)
        else:
            result = parties.import_matters(actor=self.tenant, rows=rows, limit=limit)
        return Response({"created": result.created, "updated": result.updated}, status=200)


@extend_schema_view(
    post=extend_schema(
        summary="Import parties (owner, supervisor)",
        description=_IMPORT_DESCRIPTION,
        request={"application/json": PartyRowSerializer(many=True), "text/csv": str},
        responses=ImportResultSerializer,
    )
)
class PartyImportView(_ImportView):
    """Add or update the parties conflict checks compare names with."""

    columns = parties.PARTY_COLUMNS

    def post(self, request: Request) -> Response:
        return self._import(request)


@extend_schema_view(
    post=extend_schema(
        summary="Import matters (owner, supervisor)",
        description=_IMPORT_DESCRIPTION,
        request={"application/json": MatterRowSerializer(many=True), "text/csv": str},
        responses=ImportResultSerializer,
    )
)
class MatterImportView(_ImportView):
    """Add or update the matters conflict checks compare names with."""

    columns = parties.MATTER_COLUMNS

    def post(self, request: Request) -> Response:
        return self._import(request)


# Parties --------------------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer[Party]):
    matter = serializers.CharField(source="matter.name", default=None, read_only=True)

    class Meta:
        model = Party
        fields = ["id", "name", "role", "matter", "external_ref", "created_at"]


class PartyFilterSerializer(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)


class HitSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    matched = serializers.CharField()
    kind = serializers.ChoiceField(choices=["party", "matter"])
    role = serializers.CharField()
    matter = serializers.CharField(allow_null=True)
    score = serializers.FloatField()


@extend_schema_view(
    get=extend_schema(
        summary="Parties (owner, supervisor)",
        description="Without `q`, every party, newest first (cursor-paginated). With `q`, "
        "the parties and matters whose name is similar to it (the conflict check's search, "
        "not recorded), best first, at most 10.",
        parameters=[OpenApiParameter("q", str, description="A name to search for.")],
        responses=PartySerializer(many=True),
    )
)
class PartyListView(TenantAPIView):
    """The organisation's parties."""

    capabilities_by_method = {"GET": MANAGE}
    required_capability = MANAGE
    serializer_class = PartySerializer

    def get_queryset(self) -> QuerySet[Party]:
        return Party.objects.select_related("matter").order_by("-created_at", "-pk")

    def get(self, request: Request) -> Response:
        query = self.filters(PartyFilterSerializer).get("q", "").strip()
        if query:
            hits = selectors.search_book(query)
            return Response({"results": HitSerializer([h.as_json() for h in hits], many=True).data})
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PartySerializer(page, many=True).data)


# Recipients -----------------------------------------------------------------------------


class RecipientSerializer(serializers.ModelSerializer[HandoffRecipient]):
    location_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = HandoffRecipient
        fields = ["id", "kind", "address", "role", "location_id", "is_active", "created_at"]


class RecipientCreatedSerializer(RecipientSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="A webhook's signing secret, shown in this response only; empty for email.",
    )

    class Meta(RecipientSerializer.Meta):
        fields = [*RecipientSerializer.Meta.fields, "secret"]


class RecipientWriteSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=RecipientKind.choices)
    address = serializers.CharField(max_length=500, help_text="Email address or https URL.")
    role = serializers.ChoiceField(
        choices=Role.choices, help_text="The recipient sees what this role may see."
    )
    location_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="One location's calls; null or absent for every location.",
    )


class RecipientPatchSerializer(serializers.Serializer[Any]):
    is_active = serializers.BooleanField()


@extend_schema_view(
    get=extend_schema(
        summary="Handoff recipients (owner, supervisor)",
        responses=RecipientSerializer(many=True),
    ),
    post=extend_schema(
        summary="Add a handoff recipient (owner, supervisor)",
        description="An email address, or a webhook (https only) whose signing secret is "
        "returned in this response only. Deliveries carry `X-Coverage-Signature: "
        "sha256=<hex HMAC-SHA256 of the raw body>` and `X-Coverage-Delivery: <handoff id>`.",
        request=RecipientWriteSerializer,
        responses={201: RecipientCreatedSerializer},
    ),
)
class RecipientListView(TenantAPIView):
    """Who hears of completed intakes."""

    capabilities_by_method = {"GET": MANAGE, "POST": MANAGE}
    required_capability = MANAGE
    serializer_class = RecipientSerializer

    def get_queryset(self) -> QuerySet[HandoffRecipient]:
        return HandoffRecipient.objects.order_by("pk")

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RecipientSerializer(page, many=True).data)

    def post(self, request: Request) -> Response:
        data = self.parse(RecipientWriteSerializer)
        location = None
        if data.get("location_id") is not None:
            location = Location.objects.filter(pk=data["location_id"]).first()
            if location is None:
                raise ValidationError({"location_id": ["No such location."]})
        recipient, secret = handoffs.create_recipient(
            actor=self.tenant,
            kind=data["kind"],
            address=data["address"],
            role=data["role"],
            location=location,
        )
        body = RecipientSerializer(recipient).data | {"secret": secret}
        response = Response(body, status=201)
        response["Cache-Control"] = "no-store"
        return response


@extend_schema_view(
    patch=extend_schema(
        summary="Turn a handoff recipient on or off (owner, supervisor)",
        parameters=[RECIPIENT_ID],
        request=RecipientPatchSerializer,
        responses=RecipientSerializer,
    )
)
class RecipientDetailView(TenantAPIView):
    """One handoff recipient."""

    capabilities_by_method = {"PATCH": MANAGE}
    required_capability = MANAGE
    url_objects = {"recipient_id": HandoffRecipient}
    recipient: HandoffRecipient
    serializer_class = RecipientSerializer

    def patch(self, request: Request, recipient_id: int) -> Response:
        data = self.parse(RecipientPatchSerializer)
        recipient = handoffs.set_recipient_active(
            actor=self.tenant, recipient=self.recipient, is_active=data["is_active"]
        )
        return Response(RecipientSerializer(recipient).data)


# Handoffs -------------------------------------------------------------------------------


class HandoffSerializer(serializers.ModelSerializer[Handoff]):
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "intake_id",
            "kind",
            "address",
            "state",
            "state_label",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
            "delivered_at",
            "acknowledged_at",
        ]


class HandoffFilterSerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=HandoffState.choices, required=False)


@extend_schema_view(
    get=extend_schema(
        summary="Handoffs (owner, supervisor)",
        parameters=[HandoffFilterSerializer],
        responses=HandoffSerializer(many=True),
    )
)
class HandoffListView(TenantAPIView):
    """Deliveries of completed intakes, newest first (cursor-paginated)."""

    capabilities_by_method = {"GET": MANAGE}
    required_capability = MANAGE
    serializer_class = HandoffSerializer

    def get_queryset(self) -> QuerySet[Handoff]:
        return Handoff.objects.order_by("-created_at", "-pk")

    def get(self, request: Request) -> Response:
        filters = self.filters(HandoffFilterSerializer)
        queryset = self.get_queryset()
        if filters.get("state"):
            queryset = queryset.filter(state=filters["state"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(HandoffSerializer(page, many=True).data)


@extend_schema_view(
    post=extend_schema(
        summary="Try a failed handoff again (owner, supervisor)",
        parameters=[HANDOFF_ID],
        request=None,
        responses=HandoffSerializer,
    )
)
class HandoffRetryView(TenantAPIView):
    """A failed handoff, tried again now with a fresh set of attempts."""

    capabilities_by_method = {"POST": MANAGE}
    required_capability = MANAGE
    url_objects = {"handoff_id": Handoff}
    handoff: Handoff
    serializer_class = HandoffSerializer

    def post(self, request: Request, handoff_id: int) -> Response:
        handoff = handoffs.retry_handoff(actor=self.tenant, handoff=self.handoff)
        return Response(HandoffSerializer(handoff).data)


urlpatterns: list[URLPattern] = [
    path("parties/", PartyListView.as_view(), name="api-intake-parties"),
    path("parties/import/", PartyImportView.as_view(), name="api-intake-parties-import"),
    path("matters/import/", MatterImportView.as_view(), name="api-intake-matters-import"),
    path("recipients/", RecipientListView.as_view(), name="api-intake-recipients"),
    path(
        "recipients/<id:recipient_id>/",
        RecipientDetailView.as_view(),
        name="api-intake-recipient",
    ),
    path("handoffs/", HandoffListView.as_view(), name="api-intake-handoffs"),
    path(
        "handoffs/<id:handoff_id>/retry/",
        HandoffRetryView.as_view(),
        name="api-intake-handoff-retry",
    ),
]
