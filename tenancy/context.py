"""The tenant context: which organisation the current unit of work belongs to.

Set once per request, webhook or task by its resolver, read by every tenant manager and
mirrored into PostgreSQL (``app.organization_id``, transaction-local) so that row-level
security filters the same rows even for raw SQL.

The setting is made with ``SET LOCAL``, not ``set_config``: on Citus, with
``citus.propagate_set_commands = 'local'`` (tenancy/distribution.py), ``SET LOCAL`` is
repeated on every worker the transaction reaches, where row-level security filters the
shards; a ``set_config`` stays on the coordinator and the workers would see no tenant. On
plain PostgreSQL the two are the same transaction-local setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import psycopg
from django.db import connections, transaction
from psycopg import pq

if TYPE_CHECKING:
    from tenancy.models import Organization

_current_organization_id: ContextVar[int | None] = ContextVar(
    "current_organization_id", default=None
)


class TenantContextMissing(RuntimeError):
    """A tenant table was queried with no organisation in context."""


def current_organization_id() -> int:
    """The organisation of this unit of work; raises when none was resolved."""
    organization_id = _current_organization_id.get()
    if organization_id is None:
        raise TenantContextMissing(
            "No organisation in context: resolve the tenant (tenant_context) before "
            "touching tenant data, or use the named escape hatch for system jobs."
        )
    return organization_id


def get_current_organization_id() -> int | None:
    return _current_organization_id.get()


def _begin_as_tenant(organization_id: int, using: str) -> bool:
    """Open the transaction and set the tenant in one round trip; ``False`` when this
    connection cannot (the caller then sets the tenant with a statement of its own).

    ``atomic()`` only turns autocommit off: psycopg then sends ``BEGIN`` by itself before
    the first statement, and the tenant's setting went after it, two round trips
    where one does, on every webhook, request and task. Sent together as one simple query
    (the id is an int, formatted here), psycopg finds the transaction open and sends no
    ``BEGIN`` of its own; ``COMMIT`` and ``ROLLBACK`` stay psycopg's and Django's. A
    connection with its own transaction characteristics (isolation, read-only) keeps
    psycopg's ``BEGIN``, which carries them.
    """
    wrapper = connections[using]
    raw = wrapper.connection
    if (
        raw is None
        or raw.isolation_level is not None
        or raw.read_only is not None
        or raw.deferrable is not None
        or raw.pgconn.transaction_status != pq.TransactionStatus.IDLE
    ):
        return False
    query = f"BEGIN; {_set_tenant_sql(organization_id)}"
    with wrapper.wrap_database_errors:
        result = raw.pgconn.exec_(query.encode())
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise psycopg.errors.error_from_result(result, encoding=raw.info.encoding)
    return True


def _set_tenant_sql(organization_id: int | None) -> str:
    """``SET LOCAL`` takes no parameters: the id is formatted here, as an int, so nothing
    but digits reaches the statement."""
    value = "" if organization_id is None else str(int(organization_id))
    return f"SET LOCAL app.organization_id = '{value}'"


def _set_database_tenant(organization_id: int | None, using: str) -> None:
    # Its own statement: in a CTE before a SELECT the setting did not apply.
    with connections[using].cursor() as cursor:
        cursor.execute(_set_tenant_sql(organization_id))


@contextmanager
def tenant_context(organization: Organization | int, *, using: str = "default") -> Iterator[int]:
    """Run the block as ``organization``, inside a transaction.

    The PostgreSQL setting is transaction-local, so the block always runs in ``atomic()``;
    a nested context restores the outer tenant on exit because a setting made inside a
    savepoint outlives it.
    """
    organization_id = organization if isinstance(organization, int) else organization.pk
    outer_id = _current_organization_id.get()
    was_in_transaction = connections[using].in_atomic_block
    token = _current_organization_id.set(organization_id)
    try:
        with transaction.atomic(using=using):
            if was_in_transaction or not _begin_as_tenant(organization_id, using):
                _set_database_tenant(organization_id, using)
            yield organization_id
            restore = was_in_transaction and outer_id != organization_id
            if restore and not transaction.get_rollback(using=using):
                _set_database_tenant(outer_id, using)
    finally:
        _current_organization_id.reset(token)
