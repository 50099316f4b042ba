"""The OpenAPI description of the API's contract: the error responses of every operation
(``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) and the object ids in paths."""

from __future__ import annotations

import zoneinfo
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiParameter

from foundation.phones import MAX_INPUT_LENGTH, OPENAPI_PATTERN, SUPPORTED_COUNTRIES
from tenancy.access.converters import OPENAPI_SCHEMA
from tenancy.middleware import API_PREFIX


def id_parameter(name: str, what: str) -> OpenApiParameter:
    """An ``<id:name>`` path parameter with its description (``what``'s id); its type comes
    from the converter's schema, the same one PATH_CONVERTER_OVERRIDES publishes."""
    return OpenApiParameter(
        name, dict(OPENAPI_SCHEMA), OpenApiParameter.PATH, description=f"The {what}'s id."
    )


# Added to every /api/v1/ operation by the postprocessing hook below, so each endpoint
# documents them whichever view class it uses.
ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The one shape of every API error.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Machine-readable: invalid, not_authenticated, "
                    "authentication_failed, permission_denied, not_found, method_not_allowed, "
                    "unsupported_media_type, parse_error, conflict, …",
                },
                "message": {"type": "string", "description": "What went wrong, for a person."},
                "fields": {
                    "type": "object",
                    "description": "For code `invalid`: each invalid input (nested ones as "
                    "`members.2`; errors not tied to one field under `non_field_errors`) "
                    "with its messages. Empty otherwise.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input (body or query parameters); nothing was written. "
    "`error.fields` says what to change.",
    "401": "Missing, malformed, unknown or revoked credentials.",
    "403": "The caller's role may not do this.",
    "404": "No such object in the caller's organisation.",
    "409": "A concurrent request changed the same record; retry.",
    "415": "The body is not JSON (send `Content-Type: application/json`).",
}
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _error_status_codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    codes = ["401", "403"]
    if has_body or has_query:
        codes.append("400")
    if "{" in path:
        codes.append("404")
    if method in {"post", "put", "patch"}:
        codes.append("409")
    if has_body:
        codes.append("415")
    return sorted(codes)


def document_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool, **kwargs: Any
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error responses of every API operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, item in result.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in item.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in _error_status_codes(path, method, operation):
                responses.setdefault(
                    code,
                    {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result


# Request properties whose allowed values are a fixed set the server knows: the property's
# name → (component name, description, values).
def _known_values() -> dict[str, tuple[str, str, list[str]]]:
    return {
        "time_zone": (
            "TimeZone",
            "An IANA time zone name, such as America/New_York.",
            sorted(zoneinfo.available_timezones()),
        ),
        "country": (
            "Country",
            "An ISO 3166 alpha-2 country code whose phone numbers can be read, such as US.",
            sorted(SUPPORTED_COUNTRIES),
        ),
    }


def state_request_rules(
    result: dict[str, Any], generator: Any, request: Any, public: bool, **kwargs: Any
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: say in the schema what the API already refuses.

    Request bodies are closed (``additionalProperties: false``): the strict parser refuses
    unknown keys (tenancy/access/fields.py), so a client generated from the schema learns
    it before the first 400. A time zone and a country are one of the values the server
    knows, each an enum component named once instead of repeated in every body."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    known = _known_values()
    used: set[str] = set()
    for name, schema in list(schemas.items()):
        if not name.endswith("Request") or schema.get("type") != "object":
            continue
        schema["additionalProperties"] = False
        for prop, (component, _, _) in known.items():
            value = schema.get("properties", {}).get(prop)
            if value is None or value.get("type") != "string":
                continue
            schema["properties"][prop] = {
                "allOf": [{"$ref": f"#/components/schemas/{component}"}],
                **({"description": value["description"]} if "description" in value else {}),
            }
            used.add(prop)
    for prop in used:
        component, description, values = known[prop]
        schemas[component] = {"type": "string", "description": description, "enum": values}
    return result


class PhoneNumberSchema(OpenApiSerializerFieldExtension):
    """A phone number in a request body: the characters the parser reads, at most
    ``MAX_INPUT_LENGTH`` of them (foundation/phones.py). Whether they make a valid number of
    the numbering plan is beyond a pattern: that refusal is one of the parser's messages."""

    target_class = "foundation.phones.PhoneNumberSerializerField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["pattern"] = OPENAPI_PATTERN
            schema["maxLength"] = MAX_INPUT_LENGTH
        return schema
