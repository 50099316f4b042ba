"""The tenancy REST API (``/api/v1/``): the organisation, locations, members and teams.

Thin views: the tenant is already resolved (TenantMiddleware and ApiKeyAuthentication) and
every queryset is scoped to it; a view validates input with a serializer, calls one service
and renders. Object routes look the object up before checking the role, so another
organisation's id is a 404 for every caller, never a 403 that would tell it exists.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from tenancy import services
from tenancy.models import Location, Membership, Team, TeamMember
from tenancy.resolution import Tenant
from tenancy.roles import CAPABILITIES, Capability
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


class TenantAPIView(generics.GenericAPIView[Any]):
    # Base of tenancy API views: role per method, the acting tenant, input parsing. Comments
    # rather than docstrings on the bases: drf-spectacular publishes a view's (inherited)
    # docstring as its operations' description.

    capabilities_by_method: ClassVar[dict[str, Capability]] = {}
    required_capability: ClassVar[Capability] = READ

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # HEAD runs the GET handler, so it needs GET's capability (HasTenantRole would
        # otherwise fall back to required_capability and answer 200 where GET is a 403).
        if "GET" in cls.capabilities_by_method:
            cls.capabilities_by_method = {"HEAD": cls.capabilities_by_method["GET"]} | dict(
                cls.capabilities_by_method
            )

    @property
    def tenant(self) -> Tenant:
        tenant: Tenant | None = getattr(self.request._request, "tenant", None)
        if tenant is None:  # HasTenantRole refuses such requests before any handler runs.
            raise RuntimeError("API view reached without a resolved tenant.")
        return tenant

    def check_permissions(self, request: Request) -> None:
        # Object first, role second: a foreign id is a 404 whatever the caller's role.
        has_tenant = getattr(request._request, "tenant", None) is not None
        if has_tenant and self.lookup_url_kwarg_name() in self.kwargs:
            self.get_object()
        super().check_permissions(request)

    def lookup_url_kwarg_name(self) -> str:
        return self.lookup_url_kwarg or self.lookup_field

    def get_object(self) -> Any:
        if not hasattr(self, "_object"):
            self._object = super().get_object()
        return self._object

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> NoReturn:
        tenant: Tenant | None = getattr(request._request, "tenant", None)
        if tenant is not None and message is None:
            capability = self.capabilities_by_method.get(request.method or "GET") or (
                self.required_capability
            )
            roles = ", ".join(sorted(CAPABILITIES[capability]))
            message = f"Only these roles may do this: {roles}. This caller's role is {tenant.role}."
        super().permission_denied(request, message=message, code=code)

    def parse(
        self, serializer_class: type[serializers.Serializer[Any]], **kwargs: Any
    ) -> dict[str, Any]:
        """The body, validated by ``serializer_class`` (a 400 with its fields if invalid)."""
        serializer = serializer_class(
            data=self.request.data,
            context={"tenant": self.tenant, "request": self.request},
            **kwargs,
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def filters(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        """The query-string filters, validated by ``serializer_class``."""
        # A plain dict, not the QueryDict: DRF reads a boolean missing from form-like input
        # as False, which would turn "no is_active filter" into "only inactive".
        serializer = serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


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
