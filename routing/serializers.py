"""API shapes of routing. The rules document is read here for its types; its rules (no
overlaps, teams with members, no overflow loops, a reachable path) are checked by
``routing.document`` when the service saves or publishes it, with errors by field path."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from foundation.phones import PhoneNumberSerializerField
from routing.config import (
    AfterHoursAction,
    MoveOn,
    OverflowTargetKind,
    RingStrategy,
    TierKind,
)
from routing.models import (
    AgentProfile,
    CallbackRequest,
    Notification,
    Presence,
    RoutingVersion,
)
from routing.services import PresenceMode
from tenancy.access.converters import BIGINT_MAX
from tenancy.serializers import organization_country

TIME_PATTERN = r"^[0-9]{2}:[0-9]{2}$"


# Documented inline, wrapped in allOf so that drf-spectacular's enum hook leaves it there:
# as a shared component named after the field ("StatusEnum") it would collide with every
# other "status" field of the API (a schema warning, which fails the deploy check).
@extend_schema_field({"allOf": [{"type": "string", "enum": Presence.values}]})
class PresenceStatusField(serializers.ChoiceField):
    """A presence status: available, busy, on_break or offline."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Presence.values, **kwargs)


@extend_schema_field({"allOf": [{"type": "string", "enum": CallbackRequest.Status.values}]})
class CallbackStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CallbackRequest.Status.values, **kwargs)


class PeriodSerializer(serializers.Serializer):
    day = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday")
    start = serializers.RegexField(TIME_PATTERN, help_text="HH:MM, local time")
    end = serializers.RegexField(TIME_PATTERN, help_text="HH:MM, local time; 24:00 allowed")


class ClosedDateSerializer(serializers.Serializer):
    date = serializers.DateField()
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=100, allow_blank=True, required=False
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        return {"date": value["date"].isoformat(), "label": value.get("label", "")}


class HolidaysSerializer(serializers.Serializer):
    country = serializers.CharField(
        max_length=3, allow_blank=True, help_text="ISO country code, e.g. US; empty for none"
    )
    subdivision = serializers.CharField(
        max_length=10, allow_blank=True, required=False, help_text="Region code, e.g. NY"
    )
    closed_dates = ClosedDateSerializer(many=True, required=False)


class TierSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[k.value for k in TierKind])
    name = serializers.CharField(max_length=60, allow_blank=True, required=False)
    team_id = serializers.IntegerField(
        min_value=1, max_value=BIGINT_MAX, allow_null=True, required=False
    )
    number = serializers.CharField(
        max_length=32, allow_blank=True, required=False, help_text="E.164, for external tiers"
    )
    strategy = serializers.ChoiceField(choices=[s.value for s in RingStrategy])
    ring_timeout_seconds = serializers.IntegerField(min_value=5, max_value=120)
    move_on = serializers.ListField(
        child=serializers.ChoiceField(choices=[m.value for m in MoveOn]), max_length=3
    )


class OverflowTargetSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[k.value for k in OverflowTargetKind])
    name = serializers.CharField(max_length=60, allow_blank=True, required=False)
    number = serializers.CharField(max_length=32, allow_blank=True, required=False)
    location_id = serializers.IntegerField(
        min_value=1, max_value=BIGINT_MAX, allow_null=True, required=False
    )


class OverflowSerializer(serializers.Serializer):
    max_wait_seconds = serializers.IntegerField(
        min_value=1, max_value=3600, allow_null=True, help_text="null turns the rule off"
    )
    max_queue_depth = serializers.IntegerField(
        min_value=1, max_value=500, allow_null=True, help_text="null turns the rule off"
    )
    when_no_agent_available = serializers.BooleanField()
    callback_offer = serializers.BooleanField()
    hold_audio_url = serializers.CharField(max_length=500, allow_blank=True, required=False)
    target = OverflowTargetSerializer()


class AfterHoursSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[a.value for a in AfterHoursAction])
    message = serializers.CharField(max_length=500, allow_blank=True, required=False)
    name = serializers.CharField(max_length=60, allow_blank=True, required=False)
    number = serializers.CharField(max_length=32, allow_blank=True, required=False)


class AlertsSerializer(serializers.Serializer):
    max_wait_seconds = serializers.IntegerField(min_value=1, max_value=86_400, allow_null=True)
    abandonment_percent = serializers.IntegerField(min_value=1, max_value=100, allow_null=True)
    min_calls = serializers.IntegerField(min_value=1, max_value=10_000)


class RulesSerializer(serializers.Serializer):
    """A location's routing rules (the draft, or a published version's)."""

    schema = serializers.IntegerField(read_only=True)
    time_zone = serializers.CharField(max_length=64, help_text="IANA name, e.g. America/Chicago")
    periods = PeriodSerializer(many=True, max_length=100)  # type: ignore[call-arg]
    holidays = HolidaysSerializer()
    tiers = TierSerializer(many=True, max_length=10)  # type: ignore[call-arg]
    overflow = OverflowSerializer()
    after_hours = AfterHoursSerializer()
    alerts = AlertsSerializer()


class ProblemsField(serializers.DictField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.ListField(child=serializers.CharField()), **kwargs)


class DraftSerializer(serializers.Serializer):
    location_id = serializers.IntegerField()
    rules = RulesSerializer()
    updated_at = serializers.DateTimeField()
    published_version = serializers.IntegerField(allow_null=True)
    unpublished_changes = serializers.BooleanField()
    problems = ProblemsField(
        help_text="What would stop a publish now, by field path (empty when it can publish)."
    )


class DraftWriteSerializer(serializers.Serializer):
    rules = RulesSerializer()


class ChangeSerializer(serializers.Serializer):
    section = serializers.CharField()
    text = serializers.CharField()


class VersionSerializer(serializers.ModelSerializer[RoutingVersion]):
    location_id = serializers.IntegerField()
    rules = RulesSerializer()
    published_by = serializers.CharField(source="published_by_label")

    class Meta:
        model = RoutingVersion
        fields = [
            "id",
            "location_id",
            "number",
            "note",
            "restored_from_number",
            "published_at",
            "published_by",
            "rules",
        ]


class VersionDetailSerializer(VersionSerializer):
    changes = ChangeSerializer(many=True, help_text="What changed from the version before.")
    teams = serializers.DictField(
        help_text="The teams the tiers ring, with their members and dial targets at publish.",
        child=serializers.DictField(),
    )

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "changes", "teams"]


class PublishSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class EmergencySerializer(serializers.Serializer):
    message = serializers.CharField(max_length=500)
    until = serializers.DateTimeField(help_text="Aware ISO 8601; at most 30 days ahead.")


class EmergencyStateSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)
    until = serializers.DateTimeField(allow_null=True)


class LocationRoutingSerializer(serializers.Serializer):
    location_id = serializers.IntegerField(source="location.pk")
    name = serializers.CharField(source="location.name")
    time_zone = serializers.CharField(source="location.time_zone")
    published_version = serializers.IntegerField(allow_null=True)
    unpublished_changes = serializers.BooleanField()
    emergency_active = serializers.BooleanField()


class PreviewRequestSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="The moment of the call (ISO 8601, with offset).")
    waiting = serializers.IntegerField(min_value=0, max_value=10_000, default=0)
    longest_wait_seconds = serializers.IntegerField(min_value=0, max_value=86_400, default=0)
    presence_mode = serializers.ChoiceField(
        choices=[c[0] for c in PresenceMode.CHOICES], default=PresenceMode.LIVE
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["draft", "published"], default="draft"
    )

    def validate_at(self, value: Any) -> Any:
        if not 2000 <= value.year <= 2100:
            raise serializers.ValidationError("Choose a moment between 2000 and 2100.")
        return value


class ActionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["say", "dial", "enqueue", "hold", "leave", "record", "hangup"]
    )


class DecisionSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    reason = serializers.CharField()
    explanation = serializers.CharField()
    is_open = serializers.BooleanField()
    location_id = serializers.IntegerField(allow_null=True)
    version_id = serializers.IntegerField(allow_null=True)
    version_number = serializers.IntegerField(allow_null=True)
    actions = serializers.ListField(
        child=serializers.DictField(), help_text="In order; each has a type and its fields."
    )


class PreviewSerializer(serializers.Serializer):
    decision = DecisionSerializer()
    twiml = serializers.CharField()


class CoverageCellSerializer(serializers.Serializer):
    day = serializers.IntegerField()
    hour = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["person", "voicemail", "uncovered"])
    label = serializers.CharField()  # type: ignore[assignment]
    open_minutes = serializers.IntegerField()


class CoverageSerializer(serializers.Serializer):
    source = serializers.CharField()  # type: ignore[assignment]
    uncovered_hours = serializers.IntegerField()
    voicemail_hours = serializers.IntegerField()
    cells = CoverageCellSerializer(many=True, help_text="168 cells, Monday 00:00 first.")


class PresenceSerializer(serializers.Serializer):
    membership_id = serializers.IntegerField()
    name = serializers.CharField()
    status = PresenceStatusField()


class PresenceWriteSerializer(serializers.Serializer):
    status = PresenceStatusField()


class AgentProfileSerializer(serializers.ModelSerializer[AgentProfile]):
    membership_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = AgentProfile
        fields = ["membership_id", "phone", "client_identity", "updated_at"]
        read_only_fields = ["updated_at"]


class AgentProfileWriteSerializer(serializers.Serializer):
    phone = PhoneNumberSerializerField(
        region=organization_country,
        allow_blank=True,
        required=False,
        default="",
        help_text="Phone number; stored in E.164. A national number is read in the "
        "organisation's country.",
    )
    client_identity = serializers.CharField(
        max_length=120, allow_blank=True, required=False, default=""
    )


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "location", "created_at", "read_at"]


class CallbackRequestSerializer(serializers.ModelSerializer[CallbackRequest]):
    status = CallbackStatusField(read_only=True)

    class Meta:
        model = CallbackRequest
        fields = [
            "id",
            "location",
            "call_sid",
            "caller_number",
            "wait_seconds",
            "status",
            "requested_at",
        ]
