"""Managers that make unscoped access to tenant tables hard to write by accident, and the
tenant foreign key that keeps joins inside one tenant."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models.base import ModelBase
from django.db.models.expressions import Col
from django.db.models.lookups import Exact

from tenancy.context import current_organization_id, get_current_organization_id

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


class TenantBaseManager(models.Manager[M]):
    """The manager Django uses behind the scenes (``save()``'s UPDATE, a related object,
    ``refresh_from_db``, deletion): filtered by the organisation in context when there is
    one, so each of those statements names its tenant and Citus routes it to one shard
    instead of asking every shard. Without a tenant it does not raise, unlike
    ``TenantManager``: row-level security still decides what it reaches."""

    def get_queryset(self) -> models.QuerySet[M]:
        queryset = super().get_queryset()
        organization_id = get_current_organization_id()
        if organization_id is None:
            return queryset
        return queryset.filter(organization_id=organization_id)


def _is_tenant_model(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, TenantModel)


class TenantForeignKey(models.ForeignKey):
    """A foreign key between two tenant models that joins on the organisation too.

    ``JOIN … ON a.x_id = b.id AND a.organization_id = b.organization_id`` and a related
    object fetched by ``id`` and organisation: with both, Citus sees that every table of a
    query is in the same tenant and routes it to one shard group (a join on ``id`` alone
    is a query across all shards, and an outer one it refuses). The database key is the
    composite one either way (tenancy/distribution.py). To a global model it is a plain
    foreign key.
    """

    def _between_tenants(self) -> bool:
        return _is_tenant_model(self.model) and _is_tenant_model(self.related_model)

    def get_extra_restriction(self, alias: str, related_alias: str) -> Any:
        if not self._between_tenants():
            return None
        target = self.related_model._meta.get_field("organization")
        source = self.model._meta.get_field("organization")
        assert isinstance(target, models.Field) and isinstance(source, models.Field)
        return Exact(Col(alias, target), Col(related_alias, source))

    def get_extra_descriptor_filter(self, instance: Any) -> dict[str, Any]:
        if not self._between_tenants():
            return {}
        return {"organization_id": instance.organization_id}

    def deconstruct(self) -> Any:
        # Query behaviour only: migrations keep a plain ForeignKey, so none is generated.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ForeignKey", args, kwargs


class _TenantModelBase(ModelBase):
    """Makes every ``ForeignKey`` declared on a tenant model a ``TenantForeignKey``, so a
    new model gets single-tenant joins without having to remember them."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any], **kwargs: Any):
        for value in attrs.values():
            if type(value) is models.ForeignKey:
                # The subclass adds behaviour and no state: the declared field, its
                # arguments and its place in the field order stay as they are.
                value.__class__ = TenantForeignKey
        return super().__new__(mcs, name, bases, attrs, **kwargs)


class TenantModel(models.Model, metaclass=_TenantModelBase):
    """Base of every tenant-owned table: a non-null organisation, scoped by default.

    Subclasses must add ``organization`` to every unique constraint and start every screen
    index with it (docs/architecture.md); the schema test checks both. Their foreign keys to other
    tenant models join on the organisation too (``TenantForeignKey``).
    """

    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects: TenantManager[Any] = TenantManager()
    tenant_base: TenantBaseManager[Any] = TenantBaseManager()

    class Meta:
        abstract = True
        base_manager_name = "tenant_base"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.organization_id is None:
            self.organization_id = current_organization_id()
        super().save(*args, **kwargs)
