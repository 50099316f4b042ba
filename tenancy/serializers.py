"""The tenancy API's input and output shapes.

Input serializers validate at the edge (types, lengths, time zones, phone numbers, that ids
name records of this organisation) and hand plain values to one service; output serializers
only render. Unknown or read-only fields in a body are an error, so a typo is never silently
ignored.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from foundation.phones import PhoneNumberSerializerField, is_known_region
from tenancy.access.converters import BIGINT_MAX
from tenancy.models import Location, Membership, Organization, Team
from tenancy.resolution import Tenant
from tenancy.roles import Role

TIME_ZONE_HELP = "IANA time zone name, e.g. America/New_York."
PHONE_HELP = (
    "Phone number; stored in E.164 (+12125550100). A national number is read in the "
    "organisation's country. Empty for none."
)
MAX_TEAM_MEMBERS = 500


class InputSerializer(serializers.Serializer[Any]):
    # Base of request bodies: rejects fields the endpoint does not accept. (A comment, not a
    # docstring: drf-spectacular would publish it as every subclass's description.)

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {
                str(name): ["Unknown or read-only field: leave it out."]
                for name in data
                if name not in writable
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                error.detail.update(unknown)  # type: ignore[arg-type]
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value

    def tenant(self) -> Tenant:
        tenant: Tenant = self.context["tenant"]
        return tenant


class FilterSerializer(serializers.Serializer[Any]):
    # Base of query-string filters; unknown parameters are ignored, as usual for URLs.
    pass


def validate_time_zone_name(value: str) -> str:
    if value not in zoneinfo.available_timezones():
        raise serializers.ValidationError(
            f"{value!r} is not a known time zone; use an IANA name such as America/New_York."
        )
    return value


def organization_country(context: Mapping[str, Any]) -> str:
    """The caller's organisation's country, in which national phone numbers are read."""
    tenant: Tenant = context["tenant"]
    return tenant.organization.country


def _name_taken(queryset: Any, name: str, instance: Any) -> bool:
    if instance is not None:
        queryset = queryset.exclude(pk=instance.pk)
    return bool(queryset.filter(name=name).exists())


# Organisation


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "time_zone", "country", "sms_help_text", "created_at"]
        read_only_fields = fields


class OrganizationUpdateSerializer(InputSerializer):
    name = serializers.CharField(max_length=200)
    time_zone = serializers.CharField(max_length=64, help_text=TIME_ZONE_HELP)
    country = serializers.CharField(
        min_length=2,
        max_length=2,
        help_text="ISO 3166 country code (e.g. US), for phone numbers and holidays.",
    )
    sms_help_text = serializers.CharField(
        max_length=320, allow_blank=True, help_text="Answer to HELP or INFO texts."
    )

    def validate_time_zone(self, value: str) -> str:
        return validate_time_zone_name(value)

    def validate_country(self, value: str) -> str:
        country = value.upper()
        if not is_known_region(country):
            raise serializers.ValidationError(
                f"{value!r} is not a known country code; use ISO 3166 alpha-2, e.g. US."
            )
        return country


# Locations


class LocationSerializer(serializers.ModelSerializer[Location]):
    class Meta:
        model = Location
        fields = ["id", "name", "time_zone", "address", "phone", "is_active", "created_at"]
        read_only_fields = fields


class LocationCreateSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    time_zone = serializers.CharField(max_length=64, help_text=TIME_ZONE_HELP)
    address = serializers.CharField(max_length=300, allow_blank=True, required=False)
    phone = PhoneNumberSerializerField(
        region=organization_country, allow_blank=True, required=False, help_text=PHONE_HELP
    )

    def validate_name(self, value: str) -> str:
        if _name_taken(Location.objects.all(), value, self.instance):
            raise serializers.ValidationError("Another location already has this name.")
        return value

    def validate_time_zone(self, value: str) -> str:
        return validate_time_zone_name(value)


class LocationUpdateSerializer(LocationCreateSerializer):
    is_active = serializers.BooleanField(
        required=False, help_text="False takes the location out of service (no delete)."
    )


class LocationFilterSerializer(FilterSerializer):
    is_active = serializers.BooleanField(required=False)
    search = serializers.CharField(
        required=False, max_length=100, help_text="Part of the name, any case."
    )


# Members


class MemberSerializer(serializers.ModelSerializer[Membership]):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "role", "is_active", "created_at"]
        read_only_fields = fields

    def get_name(self, membership: Membership) -> str:
        return str(membership.user.get_full_name())


class MemberInviteSerializer(InputSerializer):
    # The address also becomes the new user's username, which holds at most 150 characters.
    email = serializers.EmailField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class MemberUpdateSerializer(InputSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(
        required=False, help_text="False removes the member's access (no delete)."
    )


class MemberFilterSerializer(FilterSerializer):
    is_active = serializers.BooleanField(required=False)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    search = serializers.CharField(
        required=False, max_length=100, help_text="Part of the email or name, any case."
    )


# Teams


class TeamSerializer(serializers.ModelSerializer[Team]):
    members = serializers.SerializerMethodField(
        help_text="Membership ids in ring order.",
    )

    class Meta:
        model = Team
        fields = ["id", "name", "description", "members", "created_at"]
        read_only_fields = fields

    def get_members(self, team: Team) -> list[int]:
        # Uses the view's prefetch (ordered by position) when there is one.
        return [row.membership_id for row in team.teammember_set.all()]


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX},
        "uniqueItems": True,
    }
)
class MemberIdsField(serializers.ListField):
    """Membership ids, each once (the schema says so; ``validate_members`` refuses repeats)."""


class TeamCreateSerializer(InputSerializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=300, allow_blank=True, required=False)
    members = MemberIdsField(
        child=serializers.IntegerField(min_value=1, max_value=BIGINT_MAX),
        max_length=MAX_TEAM_MEMBERS,
        required=False,
        help_text="Membership ids of this organisation, in ring order; replaces the list.",
    )

    def validate_name(self, value: str) -> str:
        if _name_taken(Team.objects.all(), value, self.instance):
            raise serializers.ValidationError("Another team already has this name.")
        return value

    def validate_members(self, value: list[int]) -> list[Membership]:
        """The memberships, in the given order. An id of another organisation reads as
        "not found", exactly like one that does not exist."""
        twice = sorted(pk for pk, count in Counter(value).items() if count > 1)
        found = Membership.objects.in_bulk(value)
        missing = [pk for pk in dict.fromkeys(value) if pk not in found]
        errors = [f"Member {pk} not found." for pk in missing]
        errors += [f"Member {pk} is listed more than once." for pk in twice]
        if errors:
            raise serializers.ValidationError(errors)
        return [found[pk] for pk in value]


class TeamUpdateSerializer(TeamCreateSerializer):
    pass


class TeamFilterSerializer(FilterSerializer):
    search = serializers.CharField(
        required=False, max_length=100, help_text="Part of the name, any case."
    )
