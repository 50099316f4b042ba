"""Strict JSON types for request bodies: a string where a string is documented, ``true`` or
``false`` for a boolean, a number (not ``"5"``, not ``true``) for an integer.

DRF coerces on writes (``0`` becomes ``false``, ``5`` becomes ``"5"``, ``"5"`` becomes
``5``), so a client's mistake is stored as something it did not mean, and the API accepts
what its own schema says is invalid. It has no switch for that; ``json_type_errors`` walks
a serializer's writable fields (nested serializers, lists and dicts included) and reports
every value of the wrong JSON type and every key that is none of its fields.
``TenantAPIView.parse`` runs it on every body before the serializer sees it, so every app's
input serializers are strict without a field of their own; query-string filters (always
strings) are not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from foundation.phones import PhoneNumberSerializerField

NOT_A_STRING = "Must be a string."
NOT_A_BOOLEAN = "Must be true or false."
NOT_AN_INTEGER = "Must be a whole number (not a string or a boolean)."
NOT_A_NUMBER = "Must be a number."
NOT_A_LIST = "Must be a list."
NOT_AN_OBJECT = "Must be an object."
UNKNOWN_FIELD = "Unknown field: leave it out."

# Field classes read from a JSON string (dates and times are ISO 8601 text).
_STRING_FIELDS = (
    serializers.CharField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.UUIDField,
)


def _error(field: serializers.Field[Any, Any, Any, Any], value: Any) -> Any:
    """The error for ``value`` in ``field`` (a message, or nested errors), or ``None``."""
    if value is None:
        return None  # allow_null is the serializer's to judge.
    if isinstance(field, PhoneNumberSerializerField):
        return None  # Refuses every non-string itself, with the shared phone message.
    if isinstance(field, serializers.ListSerializer):
        if not isinstance(value, list) or field.child is None:
            return None if isinstance(value, list) else [NOT_A_LIST]
        items = [_error(field.child, item) for item in value]
        return items if any(items) else None
    if isinstance(field, serializers.Serializer):
        if not isinstance(value, Mapping):
            return None  # DRF answers a non-object itself, in its own words.
        return json_type_errors(field, value) or None
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return [NOT_A_LIST]
        child = field.child
        if child is None:
            return None
        items = [_error(child, item) for item in value]
        return {str(n): e for n, e in enumerate(items) if e} or None
    if isinstance(field, serializers.DictField):
        if not isinstance(value, Mapping):
            return [NOT_AN_OBJECT]
        if field.child is None:
            return None
        values = {str(key): _error(field.child, item) for key, item in value.items()}
        return {key: e for key, e in values.items() if e} or None
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else [NOT_A_BOOLEAN]
    if isinstance(field, serializers.IntegerField):
        return None if type(value) is int else [NOT_AN_INTEGER]
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if isinstance(field, serializers.DecimalField):
            ok = ok or isinstance(value, str)
        return None if ok else [NOT_A_NUMBER]
    if isinstance(field, serializers.ChoiceField) and not isinstance(
        field, serializers.MultipleChoiceField
    ):
        if all(isinstance(choice, str) for choice in field.choices):
            return None if isinstance(value, str) else [NOT_A_STRING]
        return None
    if isinstance(field, _STRING_FIELDS):
        return None if isinstance(value, str) else [NOT_A_STRING]
    return None


def json_type_errors(
    serializer: serializers.Serializer[Any], data: Mapping[str, Any]
) -> dict[str, Any]:
    """Every writable field of ``serializer`` whose value in ``data`` has the wrong JSON
    type, and every key of ``data`` that is none of its fields, as DRF's nested error
    detail (``{"rules": {"tiers": [{}, {"name": [...]}]}}``)."""
    errors: dict[str, Any] = {}
    for name, field in serializer.fields.items():
        if field.read_only or field.source == "*" or name not in data:
            continue
        error = _error(field, data[name])
        if error:
            errors[name] = error
    # Every body is closed (the schema says additionalProperties: false): a key that is no
    # field at all is a client's mistake, never silently dropped. A read-only field sent
    # back (a document fetched, edited and put again) is ignored, as DRF does.
    for name in data:
        if name not in serializer.fields:
            errors[str(name)] = [UNKNOWN_FIELD]
    return errors
