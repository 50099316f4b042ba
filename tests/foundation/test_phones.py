"""The one phone-number parser: what it accepts, what it refuses and with which message, and
that nothing else in the code base parses numbers."""

from __future__ import annotations

import re
from pathlib import Path

import phonenumbers
import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat
from rest_framework import serializers

from foundation.phones import (
    E164_FORM,
    MAX_INPUT_LENGTH,
    MESSAGES,
    InvalidPhoneNumber,
    PhoneNumberField,
    PhoneNumberSerializerField,
    Problem,
    e164_from_twilio,
    phone_message,
    time_zones_of,
    to_e164,
    validate_e164,
)

REPOSITORY = Path(__file__).resolve().parents[2]
US_EXAMPLE = "+1 201-555-0123"

# Table tests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("+12125550100", None, "+12125550100"),
        ("(212) 555-0100", "US", "+12125550100"),
        ("212.555.0100", "US", "+12125550100"),
        ("1-212-555-0100", "US", "+12125550100"),
        ("  +1 212 555 0100  ", "US", "+12125550100"),
        ("212\u00a0555\u00a00100", "US", "+12125550100"),  # pasted with no-break spaces
        ("212\u2013555\u20130100", "US", "+12125550100"),  # en dashes
        (
            "\uff0b\uff11\uff12\uff11\uff12\uff15\uff15\uff15\uff10\uff11\uff10\uff10",
            None,
            "+12125550100",
        ),
        ("020 7946 0018", "GB", "+442079460018"),
        ("(+44) 20 7946 0018", "US", "+442079460018"),
        ("011 44 20 7946 0018", "US", "+442079460018"),  # the US international prefix
        ("+44 20 7946 0018", "", "+442079460018"),  # an empty region is no region
        ("030/1234567", "DE", "+49301234567"),
    ],
)
def test_accepted_input_becomes_e164(text: str, region: str | None, e164: str) -> None:
    # Catches the usual ways of writing a number being refused, or read in the wrong region.
    assert to_e164(text, region=region) == e164


@pytest.mark.parametrize(
    ("text", "region", "problem", "message"),
    [
        ("", "US", Problem.EMPTY, "Enter a phone number."),
        ("   ", None, Problem.EMPTY, "Enter a phone number."),
        (
            "9" * 10_000,
            "US",
            Problem.TOO_LONG,
            "That is too long to be a phone number (at most 40 characters). Enter just the "
            f"number, for example {US_EXAMPLE}.",
        ),
        (
            "not a phone",
            "US",
            Problem.NOT_A_NUMBER,
            "Enter a phone number using digits, spaces and ( ) - . / only, for example "
            f"{US_EXAMPLE}.",
        ),
        ("\x00" * 12, "US", Problem.NOT_A_NUMBER, None),
        ("212\x00555 0100", "US", Problem.NOT_A_NUMBER, None),
        ("call me on 212 555 0100", "US", Problem.NOT_A_NUMBER, None),
        ("1-800-FLOWERS", "US", Problem.NOT_A_NUMBER, None),
        ("client:alice", None, Problem.NOT_A_NUMBER, None),
        ("+", "US", Problem.NOT_A_NUMBER, None),
        ("()", "US", Problem.NOT_A_NUMBER, None),
        ("1+212 555 0100", "US", Problem.NOT_A_NUMBER, None),
        (
            "+1 212 555 0100 ext. 12",
            "US",
            Problem.EXTENSION,
            "Leave out the extension: calls can only ring the number itself, for example "
            f"{US_EXAMPLE}.",
        ),
        ("212 555 0100 x12", "US", Problem.EXTENSION, None),
        (
            "2125550100",
            None,
            Problem.NO_COUNTRY_CODE,
            f"Start the number with + and its country code, for example {US_EXAMPLE}.",
        ),
        ("00 44 20 7946 0018", None, Problem.NO_COUNTRY_CODE, None),
        ("2125550100", "ZZ", Problem.NO_COUNTRY_CODE, None),
        ("12", "US", Problem.INVALID, f"Enter a valid phone number, for example {US_EXAMPLE}."),
        ("555-12", "US", Problem.INVALID, None),
        ("+1", "US", Problem.INVALID, None),
        ("+15555550100", None, Problem.INVALID, None),  # 555 is no US area code
        ("+999 123 4567", None, Problem.INVALID, None),  # no country has code 999
        ("+1234567890123456789", None, Problem.INVALID, None),
    ],
)
def test_refused_input_raises_one_exception_with_its_message(
    text: str, region: str | None, problem: Problem, message: str | None
) -> None:
    # Catches junk accepted (and stored) as a number, a crash on absurd input, or a message
    # that does not say what is wrong.
    with pytest.raises(InvalidPhoneNumber) as raised:
        to_e164(text, region=region)
    assert raised.value.problem == problem
    assert raised.value.code == problem.value
    assert str(raised.value) == raised.value.message
    if message is not None:
        assert raised.value.message == message


def test_non_text_is_refused_with_the_same_exception() -> None:
    # Catches a TypeError escaping when a caller passes what JSON decoded (None, a list).
    for value in (None, 12125550100, ["+12125550100"], b"+12125550100"):
        with pytest.raises(InvalidPhoneNumber) as raised:
            to_e164(value, region="US")  # type: ignore[arg-type]
        assert raised.value.problem == Problem.NOT_A_NUMBER


def test_messages_give_an_example_of_the_region_being_read() -> None:
    # Catches a British user told to type a US number.
    assert phone_message(Problem.INVALID, region="GB") == (
        "Enter a valid phone number, for example +44 121 234 5678."
    )
    assert phone_message(Problem.NOT_E164, region=None) == (
        "Store the number in E.164 form: + and digits only, for example +12015550123."
    )
    # A region without an example number falls back to the US one rather than failing.
    assert phone_message(Problem.INVALID, region="ZZ").endswith(f"{US_EXAMPLE}.")


@pytest.mark.parametrize(
    ("value", "e164"),
    [
        ("+12125550100", "+12125550100"),
        ("+15555550100", "+15555550100"),  # canonical: trusted without the plan check
        ("+442079460018", "+442079460018"),
        ("+1 212 555 0100", "+12125550100"),  # not canonical: read by to_e164
        ("anonymous", None),
        ("Anonymous", None),
        ("client:alice", None),
        ("sip:alice@example.com", None),
        ("sip:+12125550100@example.com", None),
        ("266696687", None),
        ("", None),
        ("\x00", None),
        ("+1" + "9" * 10_000, None),
        (None, None),
    ],
)
def test_twilio_numbers_are_e164_or_none(value: str, e164: str | None) -> None:
    # Catches a webhook failing (a 500 to Twilio) on a caller with no number, or a non-number
    # stored as the caller's contact.
    assert e164_from_twilio(value) == e164


def test_model_validator_accepts_only_canonical_e164() -> None:
    # Catches a stored number in a form routing and the directory would not match.
    validate_e164("+12125550100")
    for value in ("12125550100", "+1 212 555 0100", "+12125550100\n", "+0123456789", "+1"):
        with pytest.raises(ValidationError) as raised:
            validate_e164(value)
        assert raised.value.messages == [phone_message(Problem.NOT_E164, region=None)]


def test_time_zones_come_from_the_numbers_area() -> None:
    # Catches the calling window losing the recipient's zone when the contact has none.
    assert time_zones_of("+12125550100") == ("America/New_York",)
    assert time_zones_of("not a number") == ()


# Properties -----------------------------------------------------------------------------

_NUMBER_TYPES = range(11)  # phonenumbers.PhoneNumberType: FIXED_LINE … VOICEMAIL


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    """A region and a valid number of it: one of the region's example numbers with its last
    digits redrawn, kept only when the numbering plan still calls it valid."""
    region = draw(st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
    kinds = [t for t in _NUMBER_TYPES if phonenumbers.example_number_for_type(region, t)]
    assume(kinds)
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(kinds)))
    assert example is not None
    national = phonenumbers.national_significant_number(example)
    tail = draw(st.integers(min_value=0, max_value=min(4, len(national) - 2)))
    digits = draw(st.text(alphabet="0123456789", min_size=tail, max_size=tail))
    text = f"+{example.country_code}{national[: len(national) - tail]}{digits}"
    number = phonenumbers.parse(text, None)
    assume(phonenumbers.is_valid_number(number))
    return region, number


_WRITTEN_FORMS = (
    PhoneNumberFormat.E164,
    PhoneNumberFormat.INTERNATIONAL,
    PhoneNumberFormat.NATIONAL,
)


@given(valid_numbers(), st.sampled_from(_WRITTEN_FORMS))
def test_a_valid_number_in_any_written_form_reads_back_to_its_e164(
    drawn: tuple[str, phonenumbers.PhoneNumber], form: int
) -> None:
    # Catches a way numbers are commonly written (national, international, E.164) being
    # refused or read as another number.
    region, number = drawn
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    text = phonenumbers.format_number(number, form)
    assert to_e164(text, region=region) == e164
    if form != PhoneNumberFormat.NATIONAL:
        assert to_e164(text, region=None) == e164
        assert e164_from_twilio(text) == e164


# Text shaped like numbers reaches deep into phonenumbers (North American ones are often
# valid, so the accepted path is exercised too); arbitrary text covers the rest.
_number_like = st.from_regex(r"\A\(?\+?[0-9 ().\-/]{0,30}(ext\.? ?[0-9]{1,4})?\Z")
_north_american = st.from_regex(
    r"\A(\+?1)?[ (]{0,2}[2-9][0-9]{2}[) .\-]{0,2}[2-9][0-9]{2}[ .\-]?[0-9]{4}\Z"
)
_any_text = st.one_of(
    _number_like, _north_american, st.text(max_size=60), st.text(max_size=MAX_INPUT_LENGTH * 3)
)
_regions = st.one_of(st.none(), st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))


@given(_any_text, _regions)
def test_parsing_raises_only_its_own_exception_and_is_idempotent(
    text: str, region: str | None
) -> None:
    # Catches any input crashing a form or an API call (a 500), a refusal without one of
    # the shared messages, and an answer that does not read back as itself.
    try:
        e164 = to_e164(text, region=region)
    except InvalidPhoneNumber as error:
        assert error.message == phone_message(error.problem, region=region or None)
        return
    assert E164_FORM.fullmatch(e164)
    assert to_e164(e164, region=None) == e164
    assert to_e164(e164, region=region) == e164
    assert e164_from_twilio(e164) == e164


@given(_any_text)
def test_twilio_reading_never_raises_and_answers_only_e164(value: str) -> None:
    # Catches a webhook failing on an odd From or To instead of treating it as no number.
    answer = e164_from_twilio(value)
    assert answer is None or E164_FORM.fullmatch(answer)


# The edges ------------------------------------------------------------------------------


class _PhoneForm(forms.Form):
    phone = PhoneNumberField(region="GB")
    backup = PhoneNumberField(required=False)


def test_form_field_cleans_to_e164_and_shows_the_shared_message() -> None:
    # Catches a form keeping its own messages, or storing the number as typed.
    form = _PhoneForm(data={"phone": "020 7946 0018", "backup": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"phone": "+442079460018", "backup": ""}

    form = _PhoneForm(data={"phone": "12", "backup": "nope"})
    assert not form.is_valid()
    assert form.errors["phone"] == [phone_message(Problem.INVALID, region="GB")]
    assert form.errors["backup"] == [phone_message(Problem.NOT_A_NUMBER, region="US")]
    assert form.errors.as_data()["phone"][0].code == Problem.INVALID.value

    form = _PhoneForm(data={"phone": ""})
    assert not form.is_valid()
    assert form.errors["phone"] == [MESSAGES[Problem.EMPTY]]


class _PhoneSerializer(serializers.Serializer[dict[str, str]]):
    phone = PhoneNumberSerializerField(region=lambda context: context["country"])
    backup = PhoneNumberSerializerField(required=False, allow_blank=True)


def test_serializer_field_reads_the_region_from_context_and_shows_the_shared_message() -> None:
    # Catches an API that reads national numbers in a fixed country, or answers a bad number
    # with a message of its own.
    ok = _PhoneSerializer(data={"phone": "020 7946 0018", "backup": ""}, context={"country": "GB"})
    assert ok.is_valid(), ok.errors
    assert dict(ok.validated_data) == {"phone": "+442079460018", "backup": ""}

    bad = _PhoneSerializer(
        data={"phone": "\x00" * 10_000, "backup": "2125550100"}, context={"country": "GB"}
    )
    assert not bad.is_valid()
    assert bad.errors["phone"] == [phone_message(Problem.TOO_LONG, region="GB")]
    assert bad.errors["backup"] == [phone_message(Problem.NO_COUNTRY_CODE, region=None)]

    for value, problem in (("", Problem.EMPTY), (["+12125550100"], Problem.NOT_A_NUMBER)):
        wrong = _PhoneSerializer(data={"phone": value}, context={"country": "US"})
        assert not wrong.is_valid()
        assert wrong.errors["phone"] == [phone_message(problem, region="US")]


# One parser -----------------------------------------------------------------------------

_APPS = ("coverage_platform", "tenancy", "telephony", "routing")
_SECOND_PARSER = re.compile(r"\bphonenumbers\b|\\\+\[1-9\]")


def test_no_other_module_parses_phone_numbers() -> None:
    # Catches a second copy of phone parsing (an import of phonenumbers, an E.164 regex)
    # creeping back into an app, with messages of its own.
    offenders = [
        str(path.relative_to(REPOSITORY))
        for app in _APPS
        for path in (REPOSITORY / app).rglob("*.py")
        if "migrations" not in path.parts and _SECOND_PARSER.search(path.read_text())
    ]
    assert offenders == []
