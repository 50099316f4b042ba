"""Scheduled work as rows: what to do, when, and how it went."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tenancy.managers import TenantModel


class DueWorkStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    LEASED = "leased", "Running"
    DONE = "done", "Done"
    DEAD = "dead", "Gave up"


OPEN_STATUSES = (DueWorkStatus.PENDING, DueWorkStatus.LEASED)


class DueWork(TenantModel):
    """One piece of work due at ``due_at``: ``kind`` names the registered function that does
    it (scheduling/registry.py), ``payload`` its arguments. ``idempotency_key`` makes
    scheduling the same work twice a no-op. A dispatcher leases due rows (``lease_token``
    until ``lease_expires_at``); a lease that runs out without a result, because a message
    was lost or a worker killed, is claimed again, so the broker may lose messages without
    losing work."""

    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=160)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=8, choices=DueWorkStatus.choices, default=DueWorkStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=8)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replayed_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="scheduling_duework_key_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "due_at"], name="scheduling_duework_status"
            ),
        ]

    @property
    def label(self) -> str:
        from scheduling.registry import label_for

        return label_for(self.kind)

    def __str__(self) -> str:
        return f"{self.kind} due {self.due_at:%Y-%m-%d %H:%M} ({self.status})"


class DueOrganization(models.Model):
    """When each organisation next has work to claim, readable across tenants: the one
    table the dispatcher's SECURITY DEFINER function (``scheduling_due_organizations``)
    reads.

    ``next_due_at`` is never later than the organisation's earliest claimable row (a
    pending row's ``due_at``, a leased row's lease expiry): writes that make work claimable
    lower it in the same transaction, and each claim recomputes it from the rows
    (scheduling/services.py). It may be earlier than needed (a row finished since), which
    only costs the dispatcher one empty claim, after which it is recomputed.

    A coordinator directory (docs/scaling.md): on Citus it is neither distributed nor a
    reference table, so the definer function reads it on the coordinator without opening
    worker connections as its NOLOGIN owner. It has no foreign keys (a key to a reference
    table would make Citus convert it); row-level security lets the application write only
    its own tenant's row.
    """

    organization_id = models.BigIntegerField(primary_key=True)
    next_due_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "scheduling_dueorganization"
        indexes = [
            models.Index(
                fields=["next_due_at"],
                name="dueorganization_next",
                condition=Q(next_due_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"organisation {self.organization_id} next due {self.next_due_at}"
