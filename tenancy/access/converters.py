"""The one path converter for object ids, registered under the name ``id``.

An object id in a URL is a positive bigint: anything else (``abc``, ``0``, ``-1``, a number
past the bigint range) does not match, so it is a 404 like any unknown path rather than a
database error. ``TenancyConfig.ready`` imports this module, which registers the converter
once for every URLconf; ``SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"]`` publishes
``OPENAPI_SCHEMA`` for it.
"""

from __future__ import annotations

from typing import Any

from django.urls import register_converter

BIGINT_MAX = 2**63 - 1
NAME = "id"
OPENAPI_SCHEMA: dict[str, Any] = {
    "type": "integer",
    "format": "int64",
    "minimum": 1,
    "maximum": BIGINT_MAX,
}


class ObjectIdConverter:
    # Nineteen digits cover BIGINT_MAX; the range check below refuses the rest.
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= BIGINT_MAX:
            raise ValueError("Object id out of range.")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(ObjectIdConverter, NAME)
