"""API for a location's rules: drafts, publishing, versions, preview, coverage, emergency."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from routing import document, loading, selectors, services
from routing.api.base import (
    LOCATION,
    LOCATION_ID,
    MANAGE,
    VERSION,
    VERSION_ID,
    VIEW,
    RoutingAPIView,
)
from routing.coverage import coverage_grid
from routing.diff import rules_diff
from routing.engine import QueueState
from routing.models import RoutingVersion
from routing.serializers import (
    CoverageSerializer,
    DraftSerializer,
    DraftWriteSerializer,
    EmergencySerializer,
    EmergencyStateSerializer,
    LocationRoutingSerializer,
    PreviewRequestSerializer,
    PreviewSerializer,
    PublishSerializer,
    VersionDetailSerializer,
    VersionSerializer,
)
from tenancy.models import Location


@extend_schema_view(
    get=extend_schema(
        summary="Routing state of every location",
        responses=LocationRoutingSerializer(many=True),
    )
)
class LocationRoutingListView(RoutingAPIView):
    """Each location with its live version, unpublished changes and emergency closure.
    Cursor-paginated, newest location first."""

    capabilities_by_method = {"GET": VIEW}
    serializer_class = LocationRoutingSerializer

    def get_queryset(self) -> QuerySet[Location]:
        return Location.objects.all()

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = {row.location.pk: row for row in selectors.location_rows()}
        data = []
        for location in page or []:
            row = rows.get(location.pk) or selectors.LocationRow(location, None)
            data.append(
                {
                    "location": location,
                    "published_version": row.published.number if row.published else None,
                    "unpublished_changes": row.has_unpublished_changes,
                    "emergency_active": row.emergency_active,
                }
            )
        return self.get_paginated_response(LocationRoutingSerializer(data, many=True).data)


def _draft_payload(location: Location) -> dict[str, Any]:
    routing = services.routing_for(location)
    ctx = selectors.validation_context(location, today=timezone.localdate())
    _, problems = document.clean_document(routing.draft, ctx, for_publish=True)
    published = routing.published_version
    return {
        "location_id": location.pk,
        "rules": routing.draft,
        "updated_at": routing.draft_updated_at,
        "published_version": published.number if published else None,
        "unpublished_changes": published is None or published.rules != routing.draft,
        "problems": problems,
    }


@extend_schema_view(
    get=extend_schema(summary="A location's draft rules", parameters=[LOCATION_ID]),
    put=extend_schema(
        summary="Replace the draft rules (owner, supervisor)",
        description="Every field is checked (overlapping or inverted periods, unknown time "
        "zones, tiers whose team has no members, overflow back to the same queue, thresholds "
        "of 0 or less, dates outside 2000 to ten years ahead); errors come back by field "
        "path (`rules.periods.2.end`) and the draft is unchanged. Nothing reaches calls "
        "until the draft is published.",
        parameters=[LOCATION_ID],
        request=DraftWriteSerializer,
    ),
)
class DraftView(RoutingAPIView):
    """The draft: the rules being edited for a location."""

    capabilities_by_method = {"GET": VIEW, "PUT": MANAGE}
    url_objects = LOCATION
    location: Location
    serializer_class = DraftSerializer

    def get(self, request: Request, location_id: int) -> Response:
        return Response(DraftSerializer(_draft_payload(self.location)).data)

    def put(self, request: Request, location_id: int) -> Response:
        rules = self.parse(DraftWriteSerializer)["rules"]
        try:
            services.draft_save(actor=self.tenant, location=self.location, document=rules)
        except ValidationError as error:
            raise exceptions.ValidationError({"rules": error.message_dict}) from None
        return Response(DraftSerializer(_draft_payload(self.location)).data)


@extend_schema_view(
    post=extend_schema(
        summary="Publish the draft as a new version (owner, supervisor)",
        description="Runs the full validation, including a reachable path for every hour of "
        "the week; on any error nothing is published and the errors come back by field path "
        "(`rules.tiers`).",
        parameters=[LOCATION_ID],
        request=PublishSerializer,
        responses={201: VersionSerializer},
    )
)
class PublishView(RoutingAPIView):
    """Publishing: the draft becomes an immutable version that new calls use at once."""

    capabilities_by_method = {"POST": MANAGE}
    url_objects = LOCATION
    location: Location
    serializer_class = VersionSerializer

    def post(self, request: Request, location_id: int) -> Response:
        note = self.parse(PublishSerializer).get("note", "")
        try:
            version = services.routing_publish(actor=self.tenant, location=self.location, note=note)
        except ValidationError as error:
            raise exceptions.ValidationError({"rules": error.message_dict}) from None
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        summary="A location's published versions",
        parameters=[LOCATION_ID],
        responses=VersionSerializer(many=True),
    )
)
class VersionListView(RoutingAPIView):
    """Published versions of a location, newest first (cursor-paginated)."""

    capabilities_by_method = {"GET": VIEW}
    url_objects = LOCATION
    location: Location
    serializer_class = VersionSerializer

    def get_queryset(self) -> QuerySet[RoutingVersion]:
        return RoutingVersion.objects.all()

    def get(self, request: Request, location_id: int) -> Response:
        page = self.paginate_queryset(self.get_queryset().filter(location=self.location))
        return self.get_paginated_response(VersionSerializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(summary="One published version, with its changes", parameters=[VERSION_ID])
)
class VersionDetailView(RoutingAPIView):
    """A published version: its rules, the teams' members it rings, and what changed from
    the version before."""

    capabilities_by_method = {"GET": VIEW}
    url_objects = VERSION
    version: RoutingVersion
    serializer_class = VersionDetailSerializer

    def get(self, request: Request, version_id: int) -> Response:
        # The detail serializer reads two computed attributes off the instance.
        version: Any = self.version
        previous = selectors.previous_version(version)
        version.changes = rules_diff(
            previous.rules if previous else None,
            version.rules,
            before_snapshot=previous.snapshot if previous else None,
            after_snapshot=version.snapshot,
        )
        version.teams = version.snapshot.get("teams", {})
        return Response(VersionDetailSerializer(version).data)


@extend_schema_view(
    post=extend_schema(
        summary="Restore a version: publish its rules again (owner, supervisor)",
        description="The rules are validated against today's teams; on errors nothing changes.",
        parameters=[VERSION_ID],
        request=None,
        responses={201: VersionSerializer},
    )
)
class VersionRestoreView(RoutingAPIView):
    """Restoring publishes an old version's rules as a new version; history is kept."""

    capabilities_by_method = {"POST": MANAGE}
    url_objects = VERSION
    version: RoutingVersion
    serializer_class = VersionSerializer

    def post(self, request: Request, version_id: int) -> Response:
        try:
            version = services.version_restore(actor=self.tenant, version=self.version)
        except ValidationError as error:
            raise exceptions.ValidationError({"rules": error.message_dict}) from None
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        summary="Preview the decision for a call",
        description="What a new call at `at` would get from the draft or the live rules, "
        "with the queue situation given and agents as they are now (or all / none "
        "available): the decision, its explanation and the TwiML. Nothing is written.",
        parameters=[LOCATION_ID],
        request=PreviewRequestSerializer,
        responses=PreviewSerializer,
    )
)
class PreviewView(RoutingAPIView):
    """The preview runs the same engine as real calls."""

    capabilities_by_method = {"POST": VIEW}
    url_objects = LOCATION
    location: Location
    serializer_class = PreviewSerializer

    def post(self, request: Request, location_id: int) -> Response:
        data = self.parse(PreviewRequestSerializer)
        preview = services.preview_call(
            location=self.location,
            at=data["at"],
            queue_state=QueueState(data["waiting"], data["longest_wait_seconds"]),
            source=data["source"],
            presence_mode=data["presence_mode"],
        )
        if preview.decision is None:
            raise exceptions.ValidationError(preview.errors)
        return Response({"decision": preview.decision.as_dict(), "twiml": preview.twiml})


class CoverageQuerySerializer(serializers.Serializer):
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["draft", "published"], default="draft"
    )


@extend_schema_view(
    get=extend_schema(
        summary="Who answers each hour of the week",
        parameters=[LOCATION_ID, CoverageQuerySerializer],
        responses=CoverageSerializer,
    )
)
class CoverageView(RoutingAPIView):
    """The 24 × 7 coverage grid in the location's wall-clock time."""

    capabilities_by_method = {"GET": VIEW}
    url_objects = LOCATION
    location: Location
    serializer_class = CoverageSerializer

    def get(self, request: Request, location_id: int) -> Response:
        query = CoverageQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        source = query.validated_data["source"]
        if source == "published":
            config = loading.published_config(self.location.pk)
            if config is None:
                raise exceptions.ValidationError({"source": ["Nothing is published yet."]})
        else:
            config, errors = services.draft_config(self.location)
            if config is None:
                raise exceptions.ValidationError({"rules": errors})
        grid = coverage_grid(config)
        return Response(
            {
                "source": source,
                "uncovered_hours": grid.uncovered_hours,
                "voicemail_hours": grid.voicemail_hours,
                "cells": [
                    {
                        "day": cell.day,
                        "hour": cell.hour,
                        "state": cell.state,
                        "label": cell.label,
                        "open_minutes": cell.open_minutes,
                    }
                    for day in range(7)
                    for cell in (row[day] for row in grid.rows)
                ],
            }
        )


def _emergency_state(location: Location) -> dict[str, Any]:
    routing = services.routing_for(location)
    active = services.emergency_active(routing)
    return {
        "active": active,
        "message": routing.emergency_message if active else "",
        "until": routing.emergency_until if active else None,
    }


@extend_schema_view(
    get=extend_schema(summary="The location's emergency closure", parameters=[LOCATION_ID]),
    put=extend_schema(
        summary="Close the location now, until a time (owner, supervisor)",
        description="Takes effect on the next call without publishing: callers hear the "
        "message, then the after-hours behaviour.",
        parameters=[LOCATION_ID],
        request=EmergencySerializer,
    ),
    delete=extend_schema(
        summary="End the emergency closure (owner, supervisor)",
        description="Answers the location's emergency state afterwards (not active).",
        parameters=[LOCATION_ID],
        responses={200: EmergencyStateSerializer},
    ),
)
class EmergencyView(RoutingAPIView):
    """A one-click closure of a location."""

    capabilities_by_method = {"GET": VIEW, "PUT": MANAGE, "DELETE": MANAGE}
    url_objects = LOCATION
    location: Location
    serializer_class = EmergencyStateSerializer

    def get(self, request: Request, location_id: int) -> Response:
        return Response(EmergencyStateSerializer(_emergency_state(self.location)).data)

    def put(self, request: Request, location_id: int) -> Response:
        data = self.parse(EmergencySerializer)
        services.emergency_start(
            actor=self.tenant,
            location=self.location,
            message=data["message"],
            until=data["until"],
        )
        return Response(EmergencyStateSerializer(_emergency_state(self.location)).data)

    def delete(self, request: Request, location_id: int) -> Response:
        services.emergency_end(actor=self.tenant, location=self.location)
        return Response(EmergencyStateSerializer(_emergency_state(self.location)).data)
