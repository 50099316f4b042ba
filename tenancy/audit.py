"""The audit trail of configuration changes: who, when, before and after.

Tracked models record their own events through database triggers (django-pghistory); every
service that changes configuration runs inside ``audited(actor)`` so each event names the
member or API key that made it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pghistory

if TYPE_CHECKING:
    from tenancy.resolution import Tenant


@contextmanager
def audited(actor: Tenant | None, *, via: str = "web") -> Iterator[None]:
    """Attribute the configuration changes made in the block to ``actor``."""
    if actor is None:
        with pghistory.context(via="system"):
            yield
        return
    metadata: dict[str, object] = {"organization": actor.organization.pk, "via": via}
    if actor.membership is not None:
        metadata["user"] = actor.membership.user_id
        metadata["actor"] = actor.membership.user.get_username()
    if actor.api_key is not None:
        metadata["api_key"] = actor.api_key.pk
        metadata["actor"] = f"API key {actor.api_key.name}"
        metadata["via"] = "api"
    with pghistory.context(**metadata):
        yield
