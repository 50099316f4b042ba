"""The audit trail of configuration changes: who, when, before and after.

Tracked tenant models record their own events through database triggers (django-pghistory);
every service that changes configuration runs inside ``audited(actor)`` so each event names
the member or API key that made it.

The shape is the one that works on Citus too (docs/scaling.md): each event row carries its
own context (``PGHISTORY_CONTEXT_FIELD``, no shared context table to write) and a 64-bit id
(``Event`` here), so a trigger on a tenant's shard writes only the event row of the same
tenant, into the co-located shard on the same node. The organisation table is global (a
reference table, copied to every node, where a trigger would fire once per copy): its
events are written by the services that change it (``pghistory.ManualEvent``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pghistory
from django.db import connection, models
from pghistory import models as pghistory_models

if TYPE_CHECKING:
    from tenancy.resolution import Tenant


class Event(pghistory_models.Event):
    """Base of every event model (``PGHISTORY_BASE_MODEL``; named ``Event`` because
    pghistory names event models after it): a bigint id, because on Citus the trigger
    draws it from a worker's own sequence range, which lies beyond a 32-bit integer."""

    pgh_id = models.BigAutoField(primary_key=True)

    class Meta:
        abstract = True


def _share_context(context: pghistory.runtime.Context) -> None:
    """Repeat the audit context as ``SET LOCAL``, which Citus carries to the workers.

    pghistory sets its context with ``set_config`` before each statement, on the node that
    receives the statement only; on Citus the trigger runs on a worker and would record no
    actor. Outside a transaction there is no trigger to reach, and ``SET LOCAL`` would only
    warn, so nothing is sent.
    """
    if not connection.in_atomic_block:
        return
    metadata = json.dumps(context.metadata, cls=pghistory.config.json_encoder())
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL pghistory.context_id = {_literal(str(context.id))}")
        cursor.execute(f"SET LOCAL pghistory.context_metadata = {_literal(metadata)}")


def _literal(value: str) -> str:
    # SET takes no parameters: a standard-conforming string literal, quotes doubled.
    return "'" + value.replace("'", "''") + "'"


@contextmanager
def audited(actor: Tenant | None, *, via: str = "web") -> Iterator[None]:
    """Attribute the configuration changes made in the block to ``actor``."""
    if actor is None:
        with pghistory.context(via="system") as context:
            _share_context(context)
            yield
        _end_context()
        return
    metadata: dict[str, object] = {"organization": actor.organization.pk, "via": via}
    if actor.membership is not None:
        metadata["user"] = actor.membership.user_id
        metadata["actor"] = actor.membership.user.get_username()
    if actor.api_key is not None:
        metadata["api_key"] = actor.api_key.pk
        metadata["actor"] = f"API key {actor.api_key.name}"
        metadata["via"] = "api"
    with pghistory.context(**metadata) as context:
        _share_context(context)
        yield
    _end_context()


def _end_context() -> None:
    """Forget the context once the outermost ``audited`` block ends.

    pghistory sets its context transaction-locally and we repeat it with ``SET LOCAL``: both
    outlive the block, so a later write in the same transaction that nobody audited would
    be attributed to this actor. The triggers read an empty setting as no context. An inner
    block leaves the outer one's context in place."""
    if not connection.in_atomic_block or hasattr(pghistory.runtime._tracker, "value"):
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL pghistory.context_id = ''")
        cursor.execute("SET LOCAL pghistory.context_metadata = ''")
