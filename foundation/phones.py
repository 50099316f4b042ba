"""The platform's one phone-number parser, on ``phonenumbers``.

Every number a person types, an API client sends or Twilio posts becomes an E.164 string
(``+12125550100``) here, and every complaint about a number is one of ``MESSAGES``. Nothing
else in the code base imports ``phonenumbers``: forms use ``PhoneNumberField``, serializers
``PhoneNumberSerializerField``, services and documents ``to_e164``, webhooks
``e164_from_twilio``, and models ``validate_e164``.

Two readings share the same rules:

- ``to_e164`` reads input from people and API clients. National numbers are read in the
  region given (the organisation's country), international ones start with ``+``; the result
  must be a valid number of the numbering plan. Anything else raises ``InvalidPhoneNumber``
  with one of the plain-language messages.
- ``e164_from_twilio`` reads a webhook's ``From`` or ``To``, which is canonical E.164 or not a
  number at all (``anonymous``, ``client:alice``, ``sip:…``). It answers E.164 or ``None`` and
  never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from functools import cache
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from phonenumbers import geocoder
from phonenumbers import timezone as phonenumber_timezones
from rest_framework import serializers

# Longer than any number written out with spaces and a country code; more than this is not
# a phone number, and refusing it early keeps absurd input cheap.
MAX_INPUT_LENGTH = 40

# Canonical E.164: what this module answers, and what Twilio sends. ``[0-9]`` rather than
# ``\d`` because ``\d`` also matches other scripts' digits.
E164_FORM = re.compile(r"\+[1-9][0-9]{6,14}")

# What people type: an optional plus (or a bracketed one, "(+44) 20 …"), then digits, spaces
# and the punctuation numbers are written with. Letters are refused rather than handed to
# ``phonenumbers``, which would otherwise read "call me on 212 555 0100" as a number.
_SEPARATORS = " ().\\-/\u2010\u2011\u2012\u2013\u2014\u2212"
_TYPED = re.compile(rf"\(?[+\uff0b]?[\d{_SEPARATORS}]+")
_EXTENSION = re.compile(r"(?P<number>.+?)[\s,;]*(?:ext\.?|extension|x|#)\s*\d{1,10}", re.I)

# Used in messages when the region has no example number, or none is given: the example
# ``phonenumbers`` gives for the US.
_FALLBACK_REGION = "US"
_FALLBACK_EXAMPLE = phonenumbers.parse("+12015550123", None)


class Problem(StrEnum):
    """Why a text is not a phone number; the value is the error code forms and APIs show."""

    EMPTY = "phone_empty"
    TOO_LONG = "phone_too_long"
    NOT_A_NUMBER = "phone_not_a_number"
    EXTENSION = "phone_extension"
    NO_COUNTRY_CODE = "phone_no_country_code"
    INVALID = "phone_invalid"
    NOT_E164 = "phone_not_e164"


# The one set of messages about phone numbers. ``{example}`` is an example number of the
# region being read, written as people write it; ``{e164}`` the same number in E.164.
MESSAGES: Mapping[Problem, str] = {
    Problem.EMPTY: "Enter a phone number.",
    Problem.TOO_LONG: (
        f"That is too long to be a phone number (at most {MAX_INPUT_LENGTH} characters). "
        "Enter just the number, for example {example}."
    ),
    Problem.NOT_A_NUMBER: (
        "Enter a phone number using digits, spaces and ( ) - . / only, for example {example}."
    ),
    Problem.EXTENSION: (
        "Leave out the extension: calls can only ring the number itself, for example {example}."
    ),
    Problem.NO_COUNTRY_CODE: "Start the number with + and its country code, for example {example}.",
    Problem.INVALID: "Enter a valid phone number, for example {example}.",
    Problem.NOT_E164: "Store the number in E.164 form: + and digits only, for example {e164}.",
}


@cache
def phone_message(problem: Problem, *, region: str | None) -> str:
    """The message for ``problem``, its example taken from ``region`` when it has one."""
    example = phonenumbers.example_number(region or _FALLBACK_REGION) or _FALLBACK_EXAMPLE
    return MESSAGES[problem].format(
        example=phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        e164=phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164),
    )


class InvalidPhoneNumber(ValueError):
    """A text that is not a usable phone number; ``message`` says why, for the person."""

    def __init__(self, problem: Problem, *, region: str | None) -> None:
        self.problem = problem
        self.code = problem.value
        self.message = phone_message(problem, region=region)
        super().__init__(self.message)


def to_e164(text: str, *, region: str | None) -> str:
    """``text`` as E.164, read as a national number of ``region`` when it has no ``+``.

    ``region`` is an ISO 3166 code (the organisation's country); ``None`` accepts only
    international numbers. Raises ``InvalidPhoneNumber`` for anything that is not a valid
    number, whatever the input (empty, binary, ten thousand characters, an extension).
    """
    region = region or None
    if not isinstance(text, str):
        raise InvalidPhoneNumber(Problem.NOT_A_NUMBER, region=region)
    text = text.strip()
    if not text:
        raise InvalidPhoneNumber(Problem.EMPTY, region=region)
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidPhoneNumber(Problem.TOO_LONG, region=region)
    # Pasted numbers carry no-break and other Unicode spaces; they are spaces here.
    text = " ".join(text.split())
    if not _TYPED.fullmatch(text):
        extension = _EXTENSION.fullmatch(text)
        if extension and _TYPED.fullmatch(extension["number"]):
            raise InvalidPhoneNumber(Problem.EXTENSION, region=region)
        raise InvalidPhoneNumber(Problem.NOT_A_NUMBER, region=region)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(_problem_of(error, text), region=region) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(Problem.INVALID, region=region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _problem_of(error: phonenumbers.NumberParseException, text: str) -> Problem:
    if not any(character.isdigit() for character in text):
        return Problem.NOT_A_NUMBER
    international = text.lstrip("(").startswith(("+", "\uff0b"))
    if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
        # Without a plus the reader had no region to read a national number in; with one,
        # the country code itself is unknown.
        return Problem.INVALID if international else Problem.NO_COUNTRY_CODE
    return Problem.INVALID


def e164_from_twilio(value: str) -> str | None:
    """A number Twilio sent (a webhook's ``From`` or ``To``) as E.164, or ``None`` when it is
    not a phone number (``anonymous``, ``client:alice``, ``sip:…``). Never raises.

    Canonical E.164 is taken as it is, without ``to_e164``'s numbering-plan check: Twilio
    only sends numbers the telephone network has connected, ``phonenumbers``' metadata can
    lag behind newly opened ranges, and the webhook path cannot spend ~60 µs on every
    request. Anything else goes through ``to_e164`` with no default region.
    """
    if not isinstance(value, str):
        return None
    if E164_FORM.fullmatch(value):
        return value
    try:
        return to_e164(value, region=None)
    except InvalidPhoneNumber:
        return None


def validate_e164(value: str) -> None:
    """Model-field validator: ``value`` is canonical E.164 (the form ``to_e164`` and
    ``e164_from_twilio`` answer in)."""
    if not isinstance(value, str) or not E164_FORM.fullmatch(value):
        raise ValidationError(
            phone_message(Problem.NOT_E164, region=None), code=Problem.NOT_E164.value
        )


# Regions and places -------------------------------------------------------------------


# ISO 3166 regions whose national numbers can be read.
SUPPORTED_COUNTRIES: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS)


def is_known_region(code: str) -> bool:
    """Whether ``code`` is an ISO 3166 region whose national numbers can be read."""
    return code in SUPPORTED_COUNTRIES


@cache
def region_choices() -> list[tuple[str, str]]:
    """Every region national numbers can be read in, as (code, "Name (code, +calling code)")
    pairs sorted by name, for a choice field."""
    choices = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        name = geocoder.country_name_for_number(example, "en") if example else ""
        calling_code = phonenumbers.country_code_for_region(region)
        choices.append((region, f"{name or region} ({region}, +{calling_code})"))
    return sorted(choices, key=lambda choice: choice[1])


def time_zones_of(e164: str) -> tuple[str, ...]:
    """The IANA time zones the number's area lies in, per ``phonenumbers``' data; empty when
    ``e164`` is not a number. A zone may be ``Etc/Unknown``: check it before use."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    return tuple(phonenumber_timezones.time_zones_for_number(number))


# Edges: a form field and a serializer field ---------------------------------------------

RegionSource = str | None | Callable[[Mapping[str, Any]], str | None]


class PhoneNumberField(forms.CharField):
    """A phone number typed into a form, cleaned to E.164 by ``to_e164``; national numbers
    are read in ``region`` (set it per form, e.g. to the organisation's country). Empty
    input cleans to ``""`` when the field is optional."""

    default_error_messages = {"required": MESSAGES[Problem.EMPTY]}

    def __init__(self, *, region: str | None = _FALLBACK_REGION, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.region = region

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {
            **super().widget_attrs(widget),
            "maxlength": str(MAX_INPUT_LENGTH),
            "inputmode": "tel",
            "autocomplete": "off",
        }

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if not text:
            return str(self.empty_value)
        try:
            return to_e164(text, region=self.region)
        except InvalidPhoneNumber as error:
            raise ValidationError(error.message, code=error.code) from error


def read_phones_in(form: forms.BaseForm, *, region: str | None) -> None:
    """Have every ``PhoneNumberField`` of ``form`` read national numbers as numbers of
    ``region``; call it from the form's ``__init__`` (fields are copied per form)."""
    for field in form.fields.values():
        if isinstance(field, PhoneNumberField):
            field.region = region


class PhoneNumberSerializerField(serializers.CharField):
    """A phone number in an API body, validated to E.164 by ``to_e164``.

    ``region`` reads national numbers: a code, ``None`` (international numbers only), or a
    function of the serializer context (for the caller's organisation's country).
    """

    default_error_messages = {"blank": MESSAGES[Problem.EMPTY], "null": MESSAGES[Problem.EMPTY]}

    def __init__(self, *, region: RegionSource = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.region = region

    def to_internal_value(self, data: Any) -> str:
        # A number sent as a JSON number is refused like any other non-string (the API's
        # schema says string; ``to_e164`` answers it with the shared "not a number").
        region = self.region(self.context) if callable(self.region) else self.region
        try:
            return to_e164(data, region=region)
        except InvalidPhoneNumber as error:
            raise serializers.ValidationError(error.message, code=error.code) from error


# What the API's schema says a phone number looks like: the characters ``to_e164`` reads
# (``_TYPED``), a digit among them, at most ``MAX_INPUT_LENGTH`` of them. Whether they form a
# valid number of the numbering plan is beyond a pattern; that refusal is one of ``MESSAGES``.
_OPENAPI_SEPARATORS = r" ().\-/\u2010-\u2014\u2212"
OPENAPI_PATTERN = rf"^ *\(?[+\uff0b]?[{_OPENAPI_SEPARATORS}]*[0-9][0-9{_OPENAPI_SEPARATORS}]* *$"
