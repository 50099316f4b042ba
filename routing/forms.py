"""Browser forms of the routing pages. They parse input at the edge; the rules themselves
are checked by ``routing.document`` when the draft is saved, and each error it reports by
path (``tiers.2.team_id``) is shown next to the form field it belongs to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from foundation.phones import PhoneNumberField, read_phones_in
from routing.config import (
    AFTER_HOURS_LABELS,
    DAY_NAMES,
    MOVE_ON_LABELS,
    OVERFLOW_TARGET_LABELS,
    RING_STRATEGY_LABELS,
    MoveOn,
    minutes_label,
)
from routing.document import supported_countries
from routing.models import Presence
from routing.services import PresenceMode
from tenancy.models import TIME_ZONE_CHOICES

DAY_CHOICES = [(str(index), name) for index, name in enumerate(DAY_NAMES)]
WEEKDAYS = ["0", "1", "2", "3", "4"]
TIME_CHOICES = [(minutes_label(m), minutes_label(m)) for m in range(0, 24 * 60 + 1, 15)]
START_CHOICES = TIME_CHOICES[:-1]
END_CHOICES = TIME_CHOICES[1:]
EARLIEST_PREVIEW = dt.date(2000, 1, 1)
LATEST_PREVIEW = dt.date(2100, 12, 31)

PathMap = Callable[[str], str | None]


def attach_errors(form: forms.Form, error: ValidationError, field_for: PathMap) -> None:
    """Show a service's errors (keyed by document path) beside the form's fields; errors
    about parts of the rules this form does not show become form-wide errors."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for path, messages in error.message_dict.items():
        name = field_for(path)
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message if target else f"{path}: {message}")


class RegionForm(forms.Form):
    """A form with phone numbers, which reads national numbers in ``region`` (the
    organisation's country)."""

    def __init__(self, *args: Any, region: str = "US", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        read_phones_in(self, region=region)


class PeriodForm(forms.Form):
    days = forms.MultipleChoiceField(
        choices=DAY_CHOICES, widget=forms.CheckboxSelectMultiple, initial=WEEKDAYS
    )
    start = forms.ChoiceField(choices=START_CHOICES, initial="09:00")
    end = forms.ChoiceField(choices=END_CHOICES, initial="17:00")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start and end != "24:00":
            self.add_error("end", "The end must be after the start.")
        return data


class BreakForm(PeriodForm):
    """A gap cut out of the open periods, such as lunch."""

    start = forms.ChoiceField(choices=START_CHOICES, initial="12:00")
    end = forms.ChoiceField(choices=END_CHOICES, initial="13:00")


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        help_text="Open periods are wall-clock times in this zone; daylight saving follows it.",
    )


class TierForm(RegionForm):
    kind = forms.ChoiceField(
        choices=[("team", "A team"), ("external", "An external backup number")],
        widget=forms.RadioSelect,
        initial="team",
    )
    team_id = forms.TypedChoiceField(choices=[], coerce=int, required=False, label="Team")
    name = forms.CharField(
        max_length=60, required=False, help_text="For a backup number, e.g. Backup Answering."
    )
    number = PhoneNumberField(required=False, label="Backup phone")
    strategy = forms.ChoiceField(
        choices=[(k.value, v) for k, v in RING_STRATEGY_LABELS.items()],
        widget=forms.RadioSelect,
        initial="in_order",
        label="Ring",
    )
    ring_timeout_seconds = forms.IntegerField(initial=20, label="Ring timeout (seconds)")
    move_on = forms.MultipleChoiceField(
        choices=[(k.value, v) for k, v in MOVE_ON_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=[m.value for m in MoveOn],
        label="Move to the next tier on",
    )

    def __init__(self, *args: Any, teams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team_id"].choices = [("", "Choose a team…"), *teams]  # type: ignore[attr-defined]

    def as_tier(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "name": data["name"],
            "team_id": data["team_id"] if data["kind"] == "team" else None,
            "number": data["number"] if data["kind"] == "external" else "",
            "strategy": data["strategy"],
            "ring_timeout_seconds": data["ring_timeout_seconds"],
            "move_on": data["move_on"],
        }


class OverflowForm(RegionForm):
    max_wait_seconds = forms.IntegerField(
        required=False,
        label="Overflow after waiting (seconds)",
        help_text="Empty turns this rule off. Checked each time the hold audio ends: keep "
        "hold clips short.",
    )
    max_queue_depth = forms.IntegerField(
        required=False,
        label="Overflow when more than this many callers wait",
        help_text="Empty turns this rule off.",
    )
    when_no_agent_available = forms.BooleanField(
        required=False, label="Overflow at once when no agent of any tier is available"
    )
    callback_offer = forms.BooleanField(
        required=False, label="Offer callers in the queue a callback (press 1)"
    )
    hold_audio_url = forms.CharField(
        required=False,
        max_length=500,
        label="Hold audio address",
        help_text="An http(s) address of an MP3 or WAV; empty plays Twilio's hold music.",
    )
    target_kind = forms.ChoiceField(
        choices=[(k.value, v) for k, v in OVERFLOW_TARGET_LABELS.items()],
        widget=forms.RadioSelect,
        label="Overflow to",
    )
    target_name = forms.CharField(max_length=60, required=False, label="Backup name")
    target_number = PhoneNumberField(required=False, label="Backup phone")
    target_location_id = forms.TypedChoiceField(
        choices=[], coerce=int, required=False, label="Location"
    )

    def __init__(self, *args: Any, locations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_location_id"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a location…"),
            *locations,
        ]

    @staticmethod
    def initial_from(section: dict[str, Any]) -> dict[str, Any]:
        target = section.get("target", {})
        return {
            **{
                k: section.get(k)
                for k in (
                    "max_wait_seconds",
                    "max_queue_depth",
                    "when_no_agent_available",
                    "callback_offer",
                    "hold_audio_url",
                )
            },
            "target_kind": target.get("kind"),
            "target_name": target.get("name"),
            "target_number": target.get("number"),
            "target_location_id": target.get("location_id"),
        }

    def as_section(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["target_kind"]
        return {
            "max_wait_seconds": data["max_wait_seconds"],
            "max_queue_depth": data["max_queue_depth"],
            "when_no_agent_available": data["when_no_agent_available"],
            "callback_offer": data["callback_offer"],
            "hold_audio_url": data["hold_audio_url"],
            "target": {
                "kind": kind,
                "name": data["target_name"] if kind == "number" else "",
                "number": data["target_number"] if kind == "number" else "",
                "location_id": data["target_location_id"] if kind == "location" else None,
            },
        }

    @staticmethod
    def field_for(path: str) -> str | None:
        if path.startswith("overflow.target."):
            return "target_" + path.removeprefix("overflow.target.")
        return path.removeprefix("overflow.")


class AfterHoursForm(RegionForm):
    action = forms.ChoiceField(
        choices=[(k.value, v) for k, v in AFTER_HOURS_LABELS.items()],
        widget=forms.RadioSelect,
        label="When closed",
    )
    name = forms.CharField(
        max_length=60,
        required=False,
        label="Name of the service or person",
        help_text="For forwarding, e.g. Night Answering Service.",
    )
    number = PhoneNumberField(required=False, label="Forward to number")
    message = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Message",
        help_text="Played before the voicemail tone, or on its own before hanging up.",
    )


class HolidayCalendarForm(forms.Form):
    country = forms.ChoiceField(required=False, label="Public holidays of")
    subdivision = forms.CharField(
        max_length=10,
        required=False,
        label="Region",
        help_text="Optional state or region code, e.g. NY, for its own holidays.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [  # type: ignore[attr-defined]
            ("", "No public holidays"),
            *((code, f"{name} ({code})") for code, name in supported_countries().items()),
        ]


class ClosedDateForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    label = forms.CharField(max_length=100, required=False, initial="Closed")


class AlertsForm(forms.Form):
    max_wait_seconds = forms.IntegerField(
        required=False,
        label="Alert when a caller waited longer than (seconds)",
        help_text="Over the last 15 minutes. Empty turns this alert off.",
    )
    abandonment_percent = forms.IntegerField(
        required=False,
        label="Alert when abandonment reaches (%)",
        help_text="Abandoned ÷ (offered − short abandons) over the last 15 minutes.",
    )
    min_calls = forms.IntegerField(
        label="Only with at least this many calls",
        initial=5,
        help_text="Keeps one abandoned call out of two from raising an alert.",
    )


class EmergencyForm(forms.Form):
    message = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What callers hear, e.g. We are closed today because of a power cut.",
    )
    until = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        label="Closed until",
        help_text="In the location's time zone; at most 30 days ahead.",
    )


class PreviewForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    waiting = forms.IntegerField(initial=0, label="Callers already waiting")
    longest_wait_seconds = forms.IntegerField(initial=0, label="Longest wait now (seconds)")
    presence_mode = forms.ChoiceField(
        choices=PresenceMode.CHOICES, initial=PresenceMode.LIVE, label="Agents"
    )
    source = forms.ChoiceField(
        choices=[("draft", "The draft (unpublished changes)"), ("published", "What is live")],
        initial="draft",
        label="Rules",
    )

    def clean_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["date"]
        if not EARLIEST_PREVIEW <= value <= LATEST_PREVIEW:
            raise ValidationError("Choose a date between 2000 and 2100.")
        return value

    def clean_waiting(self) -> int:
        value: int = self.cleaned_data["waiting"]
        if not 0 <= value <= 10_000:
            raise ValidationError("Enter a number from 0 to 10000.")
        return value

    def clean_longest_wait_seconds(self) -> int:
        value: int = self.cleaned_data["longest_wait_seconds"]
        if not 0 <= value <= 86_400:
            raise ValidationError("Enter seconds from 0 to 86400.")
        return value

    def moment(self, time_zone: Any) -> dt.datetime:
        data = self.cleaned_data
        return dt.datetime.combine(data["date"], data["time"]).replace(tzinfo=time_zone)


class PublishForm(forms.Form):
    note = forms.CharField(
        max_length=200,
        required=False,
        label="What changed (optional)",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Lunch break from 12:00"}),
    )


class PresenceForm(forms.Form):
    status = forms.ChoiceField(choices=Presence.choices)


class AgentProfileForm(RegionForm):
    phone = PhoneNumberField(required=False, label="Phone")
    client_identity = forms.CharField(max_length=120, required=False, label="Client identity")
