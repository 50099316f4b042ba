"""The tenancy REST API (``/api/v1/``): the organisation, locations, members and teams.

Thin views on the access kit's ``TenantAPIView``: the tenant is already resolved
(TenantMiddleware and ApiKeyAuthentication) and every queryset is scoped to it; a view
validates input with a serializer, calls one service and renders. Object routes look the
object up before checking the role, so another organisation's id is a 404 for every caller,
never a 403 that would tell it exists.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from tenancy import services
from tenancy.access.api import TenantAPIView
from tenancy.models import Location, Membership, Team, TeamMember
from tenancy.roles import Capability
from tenancy.serializers import (
    LocationCreateSerializer,
    LocationFilterSerializer,
    LocationSerializer,
    LocationUpdateSerializer,
    MemberFilterSerializer,
    MemberInviteSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    TeamCreateSerializer,
    TeamFilterSerializer,
    TeamSerializer,
    TeamUpdateSerializer,
)

READ = Capability.VIEW_ORGANIZATION


class TenantListView(mixins.ListModelMixin, TenantAPIView):
    # A cursor-paginated list (newest first) with validated filters.

    filter_serializer_class: ClassVar[type[serializers.Serializer[Any]]]

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return self.apply_filters(queryset, self.filters(self.filter_serializer_class))

    def apply_filters(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if "is_active" in filters:
            queryset = queryset.filter(is_active=filters["is_active"])
        if filters.get("search"):
            queryset = queryset.filter(name__icontains=filters["search"])
        return queryset


# Organisation


@extend_schema_view(
    get=extend_schema(summary="The caller's organisation", responses=OrganizationSerializer),
    patch=extend_schema(
        summary="Change the organisation's settings (owner)",
        request=OrganizationUpdateSerializer(partial=True),
        responses=OrganizationSerializer,
        examples=[
            OpenApiExample(
                "Settings",
                value={
                    "name": "Acme Legal",
                    "time_zone": "America/New_York",
                    "country": "US",
                    "sms_help_text": "Acme Legal: call us at +12125550100. Reply STOP to opt out.",
                },
                request_only=True,
            )
        ],
    ),
)
class OrganizationView(TenantAPIView):
    """The organisation the API key (or signed-in member) belongs to."""

    capabilities_by_method = {"GET": READ, "PATCH": Capability.MANAGE_ORGANIZATION}
    serializer_class = OrganizationSerializer

    def get(self, request: Request) -> Response:
        return Response(OrganizationSerializer(self.tenant.organization).data)

    def patch(self, request: Request) -> Response:
        fields = self.parse(OrganizationUpdateSerializer, partial=True)
        organization = services.organization_update(actor=self.tenant, **fields)
        return Response(OrganizationSerializer(organization).data)


# Locations


@extend_schema_view(
    get=extend_schema(summary="List locations", parameters=[LocationFilterSerializer]),
    post=extend_schema(
        summary="Create a location (owner, supervisor)",
        request=LocationCreateSerializer,
        responses={201: LocationSerializer},
        examples=[
            OpenApiExample(
                "Location",
                value={
                    "name": "Downtown office",
                    "time_zone": "America/New_York",
                    "address": "1 Main St, New York, NY 10001",
                    "phone": "(212) 555-0100",
                },
                request_only=True,
            )
        ],
    ),
)
class LocationListView(TenantListView):
    """Locations: the sites of the organisation, each with its own time zone. Lists are
    cursor-paginated, newest first."""

    capabilities_by_method = {"GET": READ, "POST": Capability.MANAGE_LOCATIONS}
    serializer_class = LocationSerializer
    filter_serializer_class = LocationFilterSerializer

    def get_queryset(self) -> QuerySet[Location]:
        return Location.objects.all()

    def post(self, request: Request) -> Response:
        fields = self.parse(LocationCreateSerializer)
        location = services.location_create(actor=self.tenant, **fields)
        return Response(LocationSerializer(location).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="A location"),
    patch=extend_schema(
        summary="Change a location (owner, supervisor); deactivate with is_active",
        request=LocationUpdateSerializer(partial=True),
        responses=LocationSerializer,
        examples=[
            OpenApiExample("Deactivate", value={"is_active": False}, request_only=True),
            OpenApiExample(
                "Move", value={"address": "5 Park Ave", "phone": "+12125550199"}, request_only=True
            ),
        ],
    ),
)
class LocationDetailView(TenantAPIView):
    """One location. Locations are not deleted: set is_active to false instead."""

    capabilities_by_method = {"GET": READ, "PATCH": Capability.MANAGE_LOCATIONS}
    serializer_class = LocationSerializer

    def get_queryset(self) -> QuerySet[Location]:
        return Location.objects.all()

    def get(self, request: Request, pk: int) -> Response:
        return Response(LocationSerializer(self.get_object()).data)

    def patch(self, request: Request, pk: int) -> Response:
        location = self.get_object()
        fields = self.parse(LocationUpdateSerializer, instance=location, partial=True)
        location = services.location_update(actor=self.tenant, location=location, **fields)
        return Response(LocationSerializer(location).data)


# Members


def members() -> QuerySet[Membership]:
    return Membership.objects.select_related("user")


@extend_schema_view(
    get=extend_schema(
        summary="List members (owner, supervisor, leadership)",
        parameters=[MemberFilterSerializer],
    ),
    post=extend_schema(
        summary="Invite a person by email with a role (owner)",
        description="A new person gets an email with a link to choose a password; an existing "
        "user is added directly. Inviting a current member again is a 400 on email.",
        request=MemberInviteSerializer,
        responses={201: MemberSerializer},
        examples=[
            OpenApiExample(
                "Invite", value={"email": "pat@example.com", "role": "agent"}, request_only=True
            )
        ],
    ),
)
class MemberListView(TenantListView):
    """Members: people with a role in the organisation. Lists are cursor-paginated, newest
    first."""

    capabilities_by_method = {"GET": Capability.VIEW_MEMBERS, "POST": Capability.MANAGE_MEMBERS}
    serializer_class = MemberSerializer
    filter_serializer_class = MemberFilterSerializer

    def get_queryset(self) -> QuerySet[Membership]:
        return members()

    def apply_filters(self, queryset: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
        if "is_active" in filters:
            queryset = queryset.filter(is_active=filters["is_active"])
        if "role" in filters:
            queryset = queryset.filter(role=filters["role"])
        if search := filters.get("search"):
            queryset = queryset.filter(
                Q(user__email__icontains=search)
                | Q(user__first_name__icontains=search)
                | Q(user__last_name__icontains=search)
            )
        return queryset

    def post(self, request: Request) -> Response:
        fields = self.parse(MemberInviteSerializer)
        membership = services.member_invite(actor=self.tenant, **fields)
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="A member (owner, supervisor, leadership)"),
    patch=extend_schema(
        summary="Change a member's role or access (owner)",
        request=MemberUpdateSerializer(partial=True),
        responses=MemberSerializer,
        examples=[
            OpenApiExample("Promote", value={"role": "supervisor"}, request_only=True),
            OpenApiExample("Remove access", value={"is_active": False}, request_only=True),
        ],
    ),
)
class MemberDetailView(TenantAPIView):
    """One member. Members are not deleted: set is_active to false to remove access."""

    capabilities_by_method = {"GET": Capability.VIEW_MEMBERS, "PATCH": Capability.MANAGE_MEMBERS}
    serializer_class = MemberSerializer

    def get_queryset(self) -> QuerySet[Membership]:
        return members()

    def get(self, request: Request, pk: int) -> Response:
        return Response(MemberSerializer(self.get_object()).data)

    def patch(self, request: Request, pk: int) -> Response:
        membership = self.get_object()
        fields = self.parse(MemberUpdateSerializer, partial=True)
        with transaction.atomic():
            if "role" in fields:
                services.member_change_role(
                    actor=self.tenant, membership=membership, role=fields["role"]
                )
            if "is_active" in fields:
                services.member_set_active(
                    actor=self.tenant, membership=membership, active=fields["is_active"]
                )
        return Response(MemberSerializer(membership).data)


# Teams


def teams() -> QuerySet[Team]:
    ordered = TeamMember.objects.order_by("position", "id")
    return Team.objects.prefetch_related(Prefetch("teammember_set", queryset=ordered))


@extend_schema_view(
    get=extend_schema(summary="List teams", parameters=[TeamFilterSerializer]),
    post=extend_schema(
        summary="Create a team (owner, supervisor)",
        request=TeamCreateSerializer,
        responses={201: TeamSerializer},
        examples=[
            OpenApiExample(
                "Team",
                value={"name": "Front desk", "description": "First tier", "members": [12, 7]},
                request_only=True,
            )
        ],
    ),
)
class TeamListView(TenantListView):
    """Teams: named groups of members that routing rings as one tier, in the order of
    members. Lists are cursor-paginated, newest first."""

    capabilities_by_method = {"GET": READ, "POST": Capability.MANAGE_TEAMS}
    serializer_class = TeamSerializer
    filter_serializer_class = TeamFilterSerializer

    def get_queryset(self) -> QuerySet[Team]:
        return teams()

    def post(self, request: Request) -> Response:
        fields = self.parse(TeamCreateSerializer)
        memberships = fields.pop("members", None)
        with transaction.atomic():
            team = services.team_create(actor=self.tenant, **fields)
            if memberships:
                services.team_set_members(actor=self.tenant, team=team, memberships=memberships)
        return Response(
            TeamSerializer(teams().get(pk=team.pk)).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    get=extend_schema(summary="A team"),
    patch=extend_schema(
        summary="Change a team (owner, supervisor); members replaces the whole list",
        request=TeamUpdateSerializer(partial=True),
        responses=TeamSerializer,
        examples=[
            OpenApiExample("Reorder", value={"members": [7, 12]}, request_only=True),
            OpenApiExample("Rename", value={"name": "Second tier"}, request_only=True),
        ],
    ),
    delete=extend_schema(summary="Delete a team (owner, supervisor)"),
)
class TeamDetailView(TenantAPIView):
    """One team."""

    capabilities_by_method = {
        "GET": READ,
        "PATCH": Capability.MANAGE_TEAMS,
        "DELETE": Capability.MANAGE_TEAMS,
    }
    serializer_class = TeamSerializer

    def get_queryset(self) -> QuerySet[Team]:
        return teams()

    def get(self, request: Request, pk: int) -> Response:
        return Response(TeamSerializer(self.get_object()).data)

    def patch(self, request: Request, pk: int) -> Response:
        team = self.get_object()
        fields = self.parse(TeamUpdateSerializer, instance=team, partial=True)
        memberships = fields.pop("members", None)
        with transaction.atomic():
            if fields:
                services.team_update(actor=self.tenant, team=team, **fields)
            if memberships is not None:
                services.team_set_members(actor=self.tenant, team=team, memberships=memberships)
        return Response(TeamSerializer(teams().get(pk=team.pk)).data)

    def delete(self, request: Request, pk: int) -> Response:
        services.team_delete(actor=self.tenant, team=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
