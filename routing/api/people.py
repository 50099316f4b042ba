"""API for presence, agents' dial targets, notifications and callback requests."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from routing import selectors, services
from routing.api.base import MANAGE, MEMBER, MEMBERSHIP_ID, PRESENCE, VIEW, RoutingAPIView
from routing.models import AgentProfile, CallbackRequest, Notification
from routing.serializers import (
    AgentProfileSerializer,
    AgentProfileWriteSerializer,
    CallbackRequestSerializer,
    NotificationSerializer,
    PresenceSerializer,
    PresenceWriteSerializer,
)
from tenancy.models import Membership


@extend_schema_view(
    get=extend_schema(summary="Every agent's presence", responses=PresenceSerializer(many=True))
)
class PresenceListView(RoutingAPIView):
    """Presence of the members routing can ring (owners, supervisors, agents)."""

    capabilities_by_method = {"GET": VIEW}
    serializer_class = PresenceSerializer
    pagination_class = None

    def get(self, request: Request) -> Response:
        rows = [
            {"membership_id": row.membership.pk, "name": row.name, "status": row.status}
            for row in selectors.presence_board()
        ]
        return Response(PresenceSerializer(rows, many=True).data)


@extend_schema_view(
    get=extend_schema(summary="One member's presence", parameters=[MEMBERSHIP_ID]),
    put=extend_schema(
        summary="Set a member's presence",
        description="Owners and supervisors (and their API keys) may set anyone's presence; "
        "an agent signed in may set their own. Changes reach the next call at once.",
        parameters=[MEMBERSHIP_ID],
        request=PresenceWriteSerializer,
    ),
)
class PresenceDetailView(RoutingAPIView):
    """A member's presence: available, busy, on break or offline."""

    capabilities_by_method = {"GET": PRESENCE, "PUT": PRESENCE}
    url_objects = MEMBER
    membership: Membership
    serializer_class = PresenceSerializer

    def _allowed(self) -> Membership:
        own = self.tenant.membership is not None and self.tenant.membership.pk == (
            self.membership.pk
        )
        if not own and not self.tenant.can(MANAGE):
            raise exceptions.PermissionDenied(
                "Only owners and supervisors may see or set another member's presence."
            )
        return self.membership

    def _payload(self, membership: Membership) -> dict[str, Any]:
        return {
            "membership_id": membership.pk,
            "name": selectors.member_name(membership),
            "status": selectors.presence_of(membership),
        }

    def get(self, request: Request, membership_id: int) -> Response:
        return Response(PresenceSerializer(self._payload(self._allowed())).data)

    def put(self, request: Request, membership_id: int) -> Response:
        membership = self._allowed()
        status_value = self.parse(PresenceWriteSerializer)["status"]
        services.presence_set(membership=membership, status=status_value)
        return Response(PresenceSerializer(self._payload(membership)).data)


@extend_schema_view(
    get=extend_schema(
        summary="Agents' dial targets (owner, supervisor)",
        responses=AgentProfileSerializer(many=True),
    )
)
class AgentProfileListView(RoutingAPIView):
    """Where routing rings each member (cursor-paginated)."""

    capabilities_by_method = {"GET": MANAGE}
    serializer_class = AgentProfileSerializer

    def get_queryset(self) -> QuerySet[AgentProfile]:
        return AgentProfile.objects.all()

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AgentProfileSerializer(page, many=True).data)


@extend_schema_view(
    put=extend_schema(
        summary="Set a member's dial target (owner, supervisor)",
        description="`phone` (stored as E.164; a national number is read in the "
        "organisation's country) and/or a Twilio Client `client_identity`. Published "
        "versions keep their targets: publish again.",
        parameters=[MEMBERSHIP_ID],
        request=AgentProfileWriteSerializer,
    )
)
class AgentProfileView(RoutingAPIView):
    """One member's dial target."""

    capabilities_by_method = {"PUT": MANAGE}
    url_objects = MEMBER
    membership: Membership
    serializer_class = AgentProfileSerializer

    def put(self, request: Request, membership_id: int) -> Response:
        data = self.parse(AgentProfileWriteSerializer)
        profile = services.agent_profile_set(actor=self.tenant, membership=self.membership, **data)
        return Response(AgentProfileSerializer(profile).data)


@extend_schema_view(
    get=extend_schema(
        summary="The caller's spike notifications",
        responses=NotificationSerializer(many=True),
    )
)
class NotificationListView(RoutingAPIView):
    """Queue spike alerts sent to the signed-in member, newest first (cursor-paginated)."""

    capabilities_by_method = {"GET": VIEW}
    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.all()

    def get(self, request: Request) -> Response:
        membership = self.tenant.membership
        queryset = (
            self.get_queryset().filter(recipient=membership)
            if membership
            else (self.get_queryset().none())
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


@extend_schema_view(
    get=extend_schema(
        summary="Open callback requests", responses=CallbackRequestSerializer(many=True)
    )
)
class CallbackRequestListView(RoutingAPIView):
    """Callers who chose to be called back instead of waiting (cursor-paginated)."""

    capabilities_by_method = {"GET": VIEW}
    serializer_class = CallbackRequestSerializer

    def get_queryset(self) -> QuerySet[CallbackRequest]:
        return CallbackRequest.objects.all()

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(
            self.get_queryset().filter(status=CallbackRequest.Status.OPEN)
        )
        return self.get_paginated_response(CallbackRequestSerializer(page, many=True).data)
