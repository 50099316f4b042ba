"""Path converter for routing object ids: a positive bigint, so anything else (``abc``, a
number past the bigint range) is a 404 like any unknown path, not a database error."""

from __future__ import annotations

from django.urls import register_converter

BIGINT_MAX = 2**63 - 1


class RoutingIdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= BIGINT_MAX:
            raise ValueError("Object id out of range.")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RoutingIdConverter, "routing_id")
