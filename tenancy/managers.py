"""Managers that make unscoped access to tenant tables hard to write by accident."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from tenancy.context import current_organization_id

M = TypeVar("M", bound=models.Model)


class TenantManager(models.Manager[M]):
    """Default manager of every tenant model: filters by the organisation in context and
    raises ``TenantContextMissing`` when there is none."""

    def get_queryset(self) -> models.QuerySet[M]:
        return super().get_queryset().filter(organization_id=current_organization_id())

    def unscoped(self) -> models.QuerySet[M]:
        """Escape hatch for system jobs: no application-level tenant filter.

        PostgreSQL row-level security still applies, so this only reaches rows of the
        organisation set in the database session (none when no tenant is set).
        """
        return super().get_queryset()

    def create(self, **kwargs: Any) -> M:
        kwargs.setdefault("organization_id", current_organization_id())
        return super().create(**kwargs)


class TenantModel(models.Model):
    """Base of every tenant-owned table: a non-null organisation, scoped by default.

    Subclasses must add ``organization`` to every unique constraint and start every screen
    index with it (DESIGN.md §2); the schema test checks both.
    """

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects: TenantManager[Any] = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.organization_id is None:
            self.organization_id = current_organization_id()
        super().save(*args, **kwargs)
