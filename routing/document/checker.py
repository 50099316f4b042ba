"""Collecting a document's errors by field path while reading its values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from foundation.phones import InvalidPhoneNumber, to_e164
from routing.document.schema import Errors


class FieldChecker:
    """Collects errors by path while reading a raw document into its clean form."""

    def __init__(self) -> None:
        self.errors: Errors = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def section(self, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, Mapping):
            self.add(key, "Expected an object.")
            return {}
        return value

    def integer(
        self,
        raw: Mapping[str, Any],
        key: str,
        path: str,
        *,
        low: int,
        high: int,
        default: int | None = None,
        nullable: bool = False,
        low_message: str | None = None,
    ) -> int | None:
        value = raw.get(key, default)
        if value is None or value == "":
            if nullable:
                return None
            self.add(path, "This field is required.")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, "Enter a whole number.")
            return default
        if value < low:
            self.add(path, low_message or f"Must be at least {low}.")
            return default
        if value > high:
            self.add(path, f"Must be at most {high}.")
            return default
        return value

    def boolean(self, raw: Mapping[str, Any], key: str, path: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            self.add(path, "Expected true or false.")
            return False
        return value

    def text(
        self, raw: Mapping[str, Any], key: str, path: str, *, max_length: int, required: bool
    ) -> str:
        value = raw.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(path, "Expected text.")
            return ""
        value = value.strip()
        if "\x00" in value:
            self.add(path, "Null characters are not allowed.")
            return ""
        if required and not value:
            self.add(path, "This field is required.")
        elif len(value) > max_length:
            self.add(path, f"At most {max_length} characters.")
            return value[:max_length]
        return value

    def number(
        self, raw: Mapping[str, Any], key: str, path: str, *, own_number: str, required: bool
    ) -> str:
        value = raw.get(key, "")
        if value in (None, "") and not required:
            return ""
        # International numbers only: the document is compiled and stored apart from any
        # organisation's country, and the forms have already normalised what people typed.
        try:
            number = to_e164(value, region=None)
        except InvalidPhoneNumber as error:
            self.add(path, error.message)
            return ""
        if own_number and number == own_number:
            self.add(path, "This is the location's own number: calls would loop back here.")
        return number

    def choice(
        self, raw: Mapping[str, Any], key: str, path: str, choices: Iterable[str], default: str
    ) -> str:
        value = raw.get(key, default)
        allowed = list(choices)
        if value not in allowed:
            self.add(path, f"Choose one of: {', '.join(allowed)}.")
            return default
        return str(value)
