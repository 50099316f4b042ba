"""What a day holds (calls and texts at each location, their callers and intents), and the
scripted requests of single calls (see the package)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.urls import reverse

from telephony.directory import LocationConfig
from telephony.models import PhoneNumber, TelephonySettings, TwilioAccount
from tenancy.context import tenant_context
from tenancy.models import Location, Organization

DEFAULT_SEED = "coverage-simulator-v1"
DEFAULT_RATE = 60.0

# Relative call volume per local hour on a weekday: quiet nights, a ramp from 7, the lunch
# peak at 12-13, a slower afternoon, evenings tapering off.
HOURLY_PROFILE = [
    0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.25, 0.7, 1.5, 2.1, 2.3, 2.2,
    2.9, 2.6, 2.0, 1.9, 1.8, 1.5, 1.0, 0.7, 0.5, 0.35, 0.2, 0.1,
]  # fmt: skip
WEEKEND_FACTOR = 0.3

# What callers (and the people they reach) will do when the location is open, by weight;
# how it plays out depends on what routing answers (telephony.simulator.callers).
OPEN_HOURS_MIX = {
    "answered_dial": 46,
    "answered_queue": 16,
    "rang_out": 9,
    "voicemail": 10,
    "abandoned_queue": 10,
    "short_abandon": 4,
    "overflowed": 3,
    "failed": 2,
}
AFTER_HOURS_VOICEMAIL_SHARE = 0.55
TEXTS_PER_LOCATION = 8.0

VOICEMAILS = [
    "Hi, this is a message about my appointment next week, please call me back.",
    "Hello, I was hoping to ask about your opening hours on Saturday. Thanks.",
    "Calling back about the paperwork you sent. Give me a ring when you can.",
    "Hi, I need to reschedule, something came up. Please call me back today.",
]
TEXTS = [
    "Hi, can someone call me back?",
    "What time do you open tomorrow?",
    "Thanks, see you then",
    "Running 10 minutes late",
]


@dataclass(frozen=True)
class SimNumber:
    id: int
    e164: str
    source_label: str


@dataclass(frozen=True)
class SimLocation:
    config: LocationConfig
    numbers: tuple[SimNumber, ...]


@dataclass(frozen=True)
class SimOrganization:
    slug: str
    account_sid: str
    auth_token: str = field(repr=False)
    locations: tuple[SimLocation, ...]
    organization_id: int = 0
    short_abandon_seconds: int = 5


@dataclass(frozen=True)
class SimulatedRequest:
    send_at: datetime
    path: str  # with the query string
    params: dict[str, str]
    kind: str  # the webhook, e.g. "voice.status"


def load_organization(slug: str) -> SimOrganization:
    """The organisation's subaccount, token and numbers by location, read in its tenant."""
    organization = Organization.objects.get(slug=slug)
    with tenant_context(organization):
        account = TwilioAccount.objects.get()
        settings = TelephonySettings.objects.first() or TelephonySettings()
        locations = []
        for location in Location.objects.filter(is_active=True).order_by("id"):
            numbers = tuple(
                SimNumber(number.pk, number.e164, number.source_label)
                for number in PhoneNumber.objects.filter(
                    location=location, is_active=True
                ).order_by("id")
            )
            if numbers:
                config = LocationConfig(
                    location.pk, location.name, location.time_zone, location.phone
                )
                locations.append(SimLocation(config, numbers))
        return SimOrganization(
            slug,
            account.account_sid,
            account.auth_token,
            tuple(locations),
            organization.pk,
            settings.short_abandon_seconds,
        )


def _sid(prefix: str, *parts: object) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return prefix + digest[:32]


def _timestamp(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is fine for the small hourly means used here.
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    threshold, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


class _CallBuilder:
    """The requests of one call, in the order Twilio sends them."""

    def __init__(
        self,
        *,
        org: SimOrganization,
        number: SimNumber,
        caller: str,
        call_sid: str,
        start: datetime,
    ) -> None:
        self.org, self.number, self.caller, self.call_sid, self.start = (
            org,
            number,
            caller,
            call_sid,
            start,
        )
        self.requests: list[SimulatedRequest] = []
        self.sequence = 0

    def _base(self, at: datetime) -> dict[str, str]:
        return {
            "AccountSid": self.org.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "Called": self.number.e164,
            "Caller": self.caller,
            "Direction": "inbound",
            "From": self.caller,
            "To": self.number.e164,
            "Timestamp": _timestamp(at),
        }

    def add(self, name: str, kind: str, at: datetime, tagged: bool = True, **params: str) -> None:
        path = reverse(f"telephony:{name}")
        if tagged:
            path += "?" + urlencode({"pn": self.number.id})
        self.requests.append(SimulatedRequest(at, path, {**self._base(at), **params}, kind))

    def incoming(self) -> None:
        self.add("voice-incoming", "voice.incoming", self.start, tagged=False, CallStatus="ringing")
        self.status("in-progress", self.start + timedelta(seconds=1))

    def status(self, call_status: str, at: datetime, **extra: str) -> None:
        self.add(
            "voice-status",
            "voice.status",
            at,
            tagged=False,
            CallStatus=call_status,
            SequenceNumber=str(self.sequence),
            CallbackSource="call-progress-events",
            **extra,
        )
        self.sequence += 1

    def completed(self, at: datetime, status: str = "completed") -> None:
        duration = max(0, round((at - self.start).total_seconds()))
        self.status(status, at, CallDuration=str(duration))

    def queue_waits(self, entered: datetime, waited: int) -> None:
        for offset in range(0, waited + 1, 30):
            self.add(
                "voice-queue-wait",
                "voice.queue-wait",
                entered + timedelta(seconds=offset),
                QueueSid=_sid("QU", self.org.slug, "queue"),
                QueueTime=str(offset),
                QueuePosition="1",
                CurrentQueueSize="2",
                AvgQueueTime="40",
            )

    def voicemail(self, at: datetime, rng: random.Random) -> datetime:
        seconds = rng.randint(8, 50)
        ended = at + timedelta(seconds=seconds + 6)
        recording_sid = _sid("RE", self.call_sid)
        url = f"https://api.twilio.com/2010-04-01/Accounts/{self.org.account_sid}/Recordings/{recording_sid}"
        self.add(
            "voice-record-action",
            "voice.record-action",
            ended,
            RecordingSid=recording_sid,
            RecordingUrl=url,
            RecordingDuration=str(seconds),
            Digits="hangup",
        )
        self.add(
            "voice-recording-status",
            "voice.recording-status",
            ended + timedelta(seconds=rng.randint(1, 4)),
            RecordingSid=recording_sid,
            RecordingUrl=url,
            RecordingStatus="completed",
            RecordingDuration=str(seconds),
            RecordingChannels="1",
            RecordingSource="RecordVerb",
        )
        self.add(
            "voice-transcription",
            "voice.transcription",
            ended + timedelta(seconds=rng.randint(20, 90)),
            TranscriptionSid=_sid("TR", self.call_sid),
            TranscriptionStatus="completed",
            TranscriptionText=rng.choice(VOICEMAILS),
            TranscriptionType="fast",
            RecordingSid=recording_sid,
            RecordingUrl=url,
            CallStatus="completed",
        )
        return ended


def _call_requests(
    scenario: str, builder: _CallBuilder, rng: random.Random
) -> list[SimulatedRequest]:
    start = builder.start
    builder.incoming()
    if scenario == "after_hours_voicemail":
        ended = builder.voicemail(start + timedelta(seconds=12), rng)
        builder.completed(ended + timedelta(seconds=1))
    elif scenario == "after_hours_hangup":
        builder.completed(start + timedelta(seconds=rng.randint(5, 15)))
    elif scenario == "answered_dial":
        ring, talk = rng.randint(3, 18), rng.randint(40, 600)
        end = start + timedelta(seconds=1 + ring + talk)
        builder.add(
            "voice-dial-action",
            "voice.dial-action",
            end,
            DialCallStatus="completed",
            DialCallDuration=str(talk),
            DialCallSid=_sid("CA", builder.call_sid, "leg"),
        )
        builder.completed(end + timedelta(seconds=1))
    elif scenario in ("rang_out", "voicemail"):
        rung = start + timedelta(seconds=21)
        builder.add(
            "voice-dial-action",
            "voice.dial-action",
            rung,
            DialCallStatus="no-answer",
            DialCallDuration="0",
            DialCallSid=_sid("CA", builder.call_sid, "leg"),
        )
        if scenario == "voicemail":
            ended = builder.voicemail(rung + timedelta(seconds=8), rng)
        else:
            ended = rung + timedelta(seconds=rng.randint(2, 9))
        builder.completed(ended + timedelta(seconds=1))
    elif scenario in ("answered_queue", "abandoned_queue", "short_abandon", "overflowed"):
        entered = start + timedelta(seconds=2)
        waited = {
            "answered_queue": rng.randint(5, 150),
            "abandoned_queue": rng.randint(12, 240),
            "short_abandon": rng.randint(1, 4),
            "overflowed": 300,
        }[scenario]
        builder.queue_waits(entered, waited)
        left = entered + timedelta(seconds=waited)
        queue_sid = _sid("QU", builder.org.slug, "queue")
        if scenario == "answered_queue":
            talk = rng.randint(40, 500)
            end = left + timedelta(seconds=talk)
            builder.add(
                "voice-queue-action",
                "voice.queue-action",
                end,
                QueueResult="bridged",
                QueueTime=str(waited),
                QueueSid=queue_sid,
            )
            builder.completed(end + timedelta(seconds=1))
        elif scenario == "overflowed":
            builder.add(
                "voice-queue-action",
                "voice.queue-action",
                left,
                QueueResult="queue-full",
                QueueTime=str(waited),
                QueueSid=queue_sid,
            )
            builder.completed(left + timedelta(seconds=rng.randint(3, 9)))
        else:
            builder.add(
                "voice-queue-action",
                "voice.queue-action",
                left,
                QueueResult="hangup",
                QueueTime=str(waited),
                QueueSid=queue_sid,
            )
            builder.completed(left + timedelta(seconds=1))
    elif scenario == "failed":
        builder.completed(start + timedelta(seconds=1), status="failed")
    return builder.requests


def scenario_requests(
    org: SimOrganization,
    number: SimNumber,
    *,
    scenario: str,
    start: datetime,
    call_sid: str,
    caller: str = "+13125550123",
    seed: str = DEFAULT_SEED,
) -> list[SimulatedRequest]:
    """The requests of one call of ``scenario`` (a key of ``OPEN_HOURS_MIX``, or
    ``after_hours_voicemail`` / ``after_hours_hangup``) in the order Twilio sends them.
    Durations depend on ``seed`` only, so two calls with one seed differ only in SIDs."""
    builder = _CallBuilder(org=org, number=number, caller=caller, call_sid=call_sid, start=start)
    return _call_requests(scenario, builder, random.Random(f"{seed}|{scenario}"))


def _caller(rng: random.Random, regulars: list[str]) -> str:
    """A third of calls come from repeat callers."""
    if rng.random() < 0.35:
        return rng.choice(regulars)
    return f"+1{rng.choice(['212', '303', '503', '602', '312'])}555{rng.randint(0, 9999):04d}"


@dataclass(frozen=True)
class PlannedCall:
    """A call of the day before it is answered: who calls which number when, and what the
    caller will do (``intent``, a key of ``OPEN_HOURS_MIX``, if the location is open;
    ``closed_intent`` if it is not — routing decides which, when the call rings)."""

    number: SimNumber
    caller: str
    call_sid: str
    start: datetime
    intent: str
    closed_intent: str


@dataclass(frozen=True)
class DayPlan:
    calls: tuple[PlannedCall, ...]
    texts: tuple[SimulatedRequest, ...]


def plan_day(
    org: SimOrganization, day: date, *, rate: float = DEFAULT_RATE, seed: str = DEFAULT_SEED
) -> DayPlan:
    """The day's calls (in start order) and inbound texts; the same for the same seed."""
    calls: list[PlannedCall] = []
    texts: list[SimulatedRequest] = []
    mix_names = list(OPEN_HOURS_MIX)
    mix_weights = list(OPEN_HOURS_MIX.values())
    total_weight = sum(HOURLY_PROFILE)
    for location in org.locations:
        rng = random.Random(f"{seed}|{org.slug}|{day.isoformat()}|{location.config.id}")
        zone = ZoneInfo(location.config.time_zone)
        weekend = day.weekday() >= 5
        call_index = 0
        regulars = [f"+1312555{rng.randint(0, 9999):04d}" for _ in range(25)]
        for hour, weight in enumerate(HOURLY_PROFILE):
            mean = rate * weight / total_weight * (WEEKEND_FACTOR if weekend else 1.0)
            for _ in range(_poisson(rng, mean)):
                local = datetime.combine(day, time(hour), tzinfo=zone) + timedelta(
                    seconds=rng.randint(0, 3599)
                )
                number = location.numbers[0] if rng.random() < 0.7 else rng.choice(location.numbers)
                caller = _caller(rng, regulars)
                call_sid = _sid("CA", seed, org.slug, day, location.config.id, call_index)
                call_index += 1
                intent = rng.choices(mix_names, mix_weights)[0]
                closed_intent = (
                    "after_hours_voicemail"
                    if rng.random() < AFTER_HOURS_VOICEMAIL_SHARE
                    else "after_hours_hangup"
                )
                calls.append(
                    PlannedCall(
                        number, caller, call_sid, local.astimezone(UTC), intent, closed_intent
                    )
                )
        texts.extend(_texts(org, location, day, rng, seed, weekend))
    calls.sort(key=lambda call: call.start)
    texts.sort(key=lambda text: text.send_at)
    return DayPlan(tuple(calls), tuple(texts))


TEXT_LABELS = {"STOP": "stop", "HELP": "help", "START": "start", "stop texting me": "stop_plain"}


def text_label(body: str) -> str:
    """The report's name for an inbound text: ``text_stop``, ``text_help``, … or
    ``text_other``."""
    return "text_" + TEXT_LABELS.get(body, "other")


def _texts(
    org: SimOrganization,
    location: SimLocation,
    day: date,
    rng: random.Random,
    seed: str,
    weekend: bool,
) -> list[SimulatedRequest]:
    requests: list[SimulatedRequest] = []
    zone = ZoneInfo(location.config.time_zone)
    count = _poisson(rng, TEXTS_PER_LOCATION * (WEEKEND_FACTOR if weekend else 1.0))
    bodies = ["STOP", "HELP", "stop texting me", "START", *TEXTS]
    for index in range(count):
        body = bodies[index] if index < 4 else rng.choice(TEXTS)
        local = datetime.combine(day, time(rng.randint(8, 20)), tzinfo=zone) + timedelta(
            seconds=rng.randint(0, 3599)
        )
        at = local.astimezone(UTC)
        number = location.numbers[0]
        sender = f"+1646555{rng.randint(0, 9999):04d}"
        if body == "START":
            sender = requests[0].params["From"] if requests else sender  # resubscribes
        params = {
            "AccountSid": org.account_sid,
            "ApiVersion": "2010-04-01",
            "MessageSid": _sid("SM", seed, org.slug, day, location.config.id, index),
            "SmsSid": _sid("SM", seed, org.slug, day, location.config.id, index),
            "SmsStatus": "received",
            "From": sender,
            "To": number.e164,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "Timestamp": _timestamp(at),
        }
        requests.append(
            SimulatedRequest(at, reverse("telephony:sms-incoming"), params, "sms.incoming")
        )
    return requests
