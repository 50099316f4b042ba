"""Routing data: each location's draft and published rules, immutable versions, agents'
dial targets and presence, spike episodes, notifications and callback requests."""

from __future__ import annotations

from typing import Any

import pghistory
import pgtrigger
from django.db import models

from routing.config import PresenceStatus
from tenancy.managers import TenantModel
from tenancy.models import Location, Membership


class Presence(models.TextChoices):
    AVAILABLE = PresenceStatus.AVAILABLE.value, "Available"
    BUSY = PresenceStatus.BUSY.value, "Busy"
    ON_BREAK = PresenceStatus.ON_BREAK.value, "On break"
    OFFLINE = PresenceStatus.OFFLINE.value, "Offline"


# The audit trail records who published which version and why; the rules themselves are
# in the (immutable) version row, not copied into every event.
@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent(), exclude=["rules", "snapshot"])
@pgtrigger.register(
    pgtrigger.Protect(name="routing_version_immutable", operation=pgtrigger.Update),
)
class RoutingVersion(TenantModel):
    """One published set of rules: never changed after it is written (a database trigger
    refuses updates). ``snapshot`` holds the rules plus the teams' members and dial
    targets at publish time, so the version routes calls exactly as it did then."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    rules = models.JSONField()
    snapshot = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    restored_from_number = models.PositiveIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(auto_now_add=True)
    # No database constraint and no cascade: a version row is never updated, not even to
    # clear the publisher when their membership is deleted.
    published_by = models.ForeignKey(
        Membership,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    published_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "location", "number"], name="routingversion_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"Version {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("A published routing version is immutable.")
        super().save(*args, **kwargs)


# Audited: which version is live, the generation and emergency closures. Draft edits are
# not configuration in force; they reach the audit trail as the version they publish.
@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), exclude=["draft", "draft_updated_at"]
)
class LocationRouting(TenantModel):
    """A location's routing state: the draft being edited, the version in force, the
    emergency closure, and a generation number that every change to what calls get bumps
    (processes compare it to decide whether their cached rules are stale)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    draft = models.JSONField()
    draft_updated_at = models.DateTimeField(auto_now_add=True)
    published_version = models.ForeignKey(
        RoutingVersion, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    generation = models.PositiveBigIntegerField(default=0)
    emergency_message = models.CharField(max_length=500, blank=True)
    emergency_until = models.DateTimeField(null=True, blank=True)
    emergency_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "location"], name="locationrouting_unique_location"
            ),
        ]

    def __str__(self) -> str:
        return f"Routing of location {self.location_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AgentProfile(TenantModel):
    """Where routing rings a member: a phone number (E.164) or a Twilio Client identity."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +12125550100.")
    client_identity = models.CharField(
        max_length=120, blank=True, help_text="Twilio Client identity (browser or app softphone)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "membership"], name="agentprofile_unique_membership"
            ),
        ]

    def __str__(self) -> str:
        return f"Dial target of membership {self.membership_id}"


class AgentPresence(TenantModel):
    """An agent's status as they set it; mirrored to Redis for the call path."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Presence.choices, default=Presence.OFFLINE)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "membership"], name="agentpresence_unique_membership"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.status}"


class SpikeEpisode(TenantModel):
    """A stretch of time when a location's queue wait or abandonment was over its alert
    threshold: supervisors are notified when it opens, not for every call inside it."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300)
    peak_wait_seconds = models.PositiveIntegerField(default=0)
    peak_abandonment_percent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "location"],
                condition=models.Q(closed_at__isnull=True),
                name="spikeepisode_one_open_per_location",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "location", "-opened_at"], name="spike_org_loc")
        ]

    def __str__(self) -> str:
        return f"Spike at location {self.location_id} from {self.opened_at:%Y-%m-%d %H:%M}"


class Notification(TenantModel):
    """A message for one member, shown in the app."""

    class Kind(models.TextChoices):
        SPIKE_OPENED = "spike_opened", "Queue spike"
        SPIKE_CLOSED = "spike_closed", "Queue back to normal"

    recipient = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    episode = models.ForeignKey(
        SpikeEpisode, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "recipient", "-created_at"], name="notification_inbox"
            )
        ]

    def __str__(self) -> str:
        return self.title


class CallbackRequest(TenantModel):
    """A caller who chose, in the queue, to be called back instead of waiting. Recovery
    takes these over; until then they are listed on the routing pages."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    call_sid = models.CharField(max_length=64)
    caller_number = models.CharField(max_length=20)
    wait_seconds = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "call_sid"], name="callbackrequest_unique_call"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "-requested_at"], name="callback_org_status"
            )
        ]

    def __str__(self) -> str:
        return f"Callback for call {self.call_sid}"
