"""Organisations (the tenant), their locations, members, teams and API keys."""

from __future__ import annotations

import zoneinfo
from typing import Any

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction

from tenancy.managers import TenantModel
from tenancy.roles import Role

TIME_ZONE_CHOICES = sorted((name, name) for name in zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not a known time zone; use an IANA name such as America/New_York.",
            params={"value": value},
            code="invalid_time_zone",
        )


# A global table (a reference table on Citus, where a trigger would fire on every node's
# copy): the services that change it record its events (tenancy/audit.py).
@pghistory.track(pghistory.ManualEvent("insert"), pghistory.ManualEvent("update"))
class Organization(models.Model):
    """The tenant. A global table: it is what every tenant row points at."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    country = models.CharField(
        max_length=2, default="US", help_text="ISO 3166 country for phone numbers and holidays."
    )
    sms_help_text = models.CharField(
        max_length=320,
        blank=True,
        help_text="Answer to HELP or INFO texts.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Location(TenantModel):
    name = models.CharField(max_length=120)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +12125550100.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="location_unique_name"),
        ]
        indexes = [models.Index(fields=["organization", "name"], name="location_org_name")]

    def __str__(self) -> str:
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Membership(TenantModel):
    """A user's role in one organisation; a user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_user"),
        ]
        indexes = [models.Index(fields=["organization", "role"], name="membership_org_role")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The directory is written here, not only by the services, because factories,
        # ``seed_demo`` and the webhook benchmark create memberships directly; every save
        # that can change who belongs where keeps it, in the same transaction.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not {"user", "user_id", "is_active"} & set(update_fields):
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            super().save(*args, **kwargs)
            MembershipDirectoryEntry.record(self)


class MembershipDirectoryEntry(models.Model):
    """Which organisations a user belongs to, readable across tenants: the one table the
    organisation switcher's SECURITY DEFINER function (``tenancy_user_organization_ids``)
    reads.

    A coordinator directory (docs/scaling.md): on Citus it is neither distributed nor a
    reference table, so the definer function reads it on the coordinator without opening
    worker connections as its NOLOGIN owner. It has no foreign keys (a key to a reference
    table would make Citus convert it) and holds nothing but the lookup; row-level security
    lets the application write only its own tenant's rows. ``Membership.save`` keeps it.
    """

    pk = models.CompositePrimaryKey("organization_id", "user_id")
    organization_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    is_active = models.BooleanField()

    class Meta:
        db_table = "tenancy_membershipdirectory"
        indexes = [models.Index(fields=["user_id"], name="membershipdirectory_user")]

    def __str__(self) -> str:
        return f"user {self.user_id} in organisation {self.organization_id}"

    @staticmethod
    def record(membership: Membership) -> None:
        MembershipDirectoryEntry.objects.bulk_create(
            [
                MembershipDirectoryEntry(
                    organization_id=membership.organization_id,
                    user_id=membership.user_id,
                    is_active=membership.is_active,
                )
            ],
            update_conflicts=True,
            unique_fields=["organization_id", "user_id"],
            update_fields=["is_active"],
        )


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Team(TenantModel):
    """A named group of members that routing rings as one tier."""

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    members: models.ManyToManyField[Membership, TeamMember] = models.ManyToManyField(
        Membership, through="TeamMember", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class TeamMember(TenantModel):
    """Explicit through table, so the many-to-many rows carry the organisation too."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "team", "membership"], name="teammember_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership} in {self.team}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class ApiKey(TenantModel):
    """An integrator's key: shown once, stored as a SHA-256 digest, revocable."""

    name = models.CharField(max_length=120)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SUPERVISOR)
    prefix = models.CharField(
        max_length=32, help_text="The key's first characters, to recognise it."
    )
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "digest"], name="apikey_unique_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
