"""Calls as Twilio would report them: the webhooks of one call, in the order they happen,
built by hand (``Story``) or drawn by hypothesis (``stories``). Pure, for the call state's
tests; ``fold`` runs them through the real ``call_state.apply_event`` and the real hand-off
rule, after the event store's own duplicate key (``call_event_key``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from hypothesis import strategies as st

from telephony import call_state
from telephony.event_store import call_event_key
from telephony.models import Call, EventKind
from telephony.services.calls import on_unanswered_contact, withdraw_unanswered_contact

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York
SHORT_ABANDON_SECONDS = 5
# Columns that two rows built from the same events may differ in: none of them is read by
# metrics or recovery (handed_off_at is the wall-clock moment of the hand-off).
IDENTITY_COLUMNS = {
    "id",
    "organization_id",
    "call_sid",
    "created_at",
    "updated_at",
    "handed_off_at",
}


@dataclass(frozen=True)
class Event:
    kind: str
    params: dict[str, str]
    at: datetime


@dataclass
class Story:
    """One call's webhooks in the order they happen; ``t`` is seconds since the call began."""

    call_sid: str = "CA" + "0" * 32
    outbound: bool = False
    after_hours: bool = False
    events: list[Event] = field(default_factory=list)
    t: int = 0
    sequence: int = 0

    def _params(self, **params: object) -> dict[str, str]:
        direction = "outbound-api" if self.outbound else "inbound"
        base = {"CallSid": self.call_sid, "AccountSid": "AC" + "a" * 32, "Direction": direction}
        return base | {name: str(value) for name, value in params.items()}

    def add(self, kind: str, at_seconds: int, **params: object) -> Story:
        self.events.append(Event(kind, self._params(**params), T0 + timedelta(seconds=at_seconds)))
        return self

    def incoming(self) -> Story:
        return self.add(EventKind.VOICE_INCOMING, self.t, CallStatus="ringing")

    def status(self, status: str, **params: object) -> Story:
        at = T0 + timedelta(seconds=self.t)
        self.add(
            EventKind.VOICE_STATUS,
            self.t,
            CallStatus=status,
            SequenceNumber=self.sequence,
            Timestamp=format_datetime(at, usegmt=True),
            **params,
        )
        self.sequence += 1
        return self

    def dial(self, dial_status: str, ring: int, talk: int = 0, step: str = "tier:0:0") -> Story:
        """A ``<Dial>`` that rang ``ring`` seconds and, if answered, talked ``talk``."""
        self.t += ring + talk
        params: dict[str, object] = {"DialCallStatus": dial_status, "step": step}
        if dial_status in ("completed", "answered"):
            params["DialCallDuration"] = talk
        return self.add(EventKind.VOICE_DIAL_ACTION, self.t, **params)

    def queue(self, result: str, waited: int, polls: int = 0, talk: int = 0) -> Story:
        """An ``<Enqueue>``: ``polls`` wait-URL requests, then the caller leaves it after
        ``waited`` seconds with ``result`` (bridged: after ``talk`` seconds of talk)."""
        entered = self.t
        for poll in range(polls):
            in_queue = waited * poll // max(polls, 1)
            self.add(
                EventKind.VOICE_QUEUE_WAIT, entered + in_queue, QueueTime=in_queue, QueuePosition=1
            )
        self.t = entered + waited + (talk if result == "bridged" else 0)
        return self.add(EventKind.VOICE_QUEUE_ACTION, self.t, QueueResult=result, QueueTime=waited)

    def keypress(self, digits: str = "1") -> Story:
        return self.add(EventKind.VOICE_CALLBACK_KEYPRESS, self.t, Digits=digits)

    def voicemail(self, seconds: int, *, status: str = "completed") -> Story:
        self.t += seconds
        sid = "RE" + self.call_sid[2:]
        self.add(EventKind.VOICE_RECORD_ACTION, self.t, RecordingSid=sid, RecordingDuration=seconds)
        self.add(
            EventKind.VOICE_RECORDING_STATUS,
            self.t + 1,
            RecordingSid=sid,
            RecordingStatus=status,
            RecordingDuration=seconds,
        )
        if status == "completed":
            self.add(
                EventKind.VOICE_TRANSCRIPTION,
                self.t + 5,
                RecordingSid=sid,
                TranscriptionSid="TR" + self.call_sid[2:],
                TranscriptionStatus="completed",
                TranscriptionText="Please call me back.",
            )
        return self

    def end(self, status: str = "completed", after: int = 0) -> Story:
        self.t += after
        return self.status(status, CallDuration=self.t)


class HandoffLog:
    """An ``UnansweredContactHandler`` as recovery will be: what it was told, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def hand_off(self, *, call: Call) -> None:
        self.calls.append(("hand_off", call.outcome))

    def withdraw(self, *, call: Call, outcome: str) -> None:
        self.calls.append(("withdraw", outcome))

    def open_outcome(self) -> str:
        """The outcome recovery is left holding: the last hand-off not withdrawn, or ''."""
        open_outcome = ""
        for action, outcome in self.calls:
            open_outcome = outcome if action == "hand_off" else ""
        return open_outcome


def fold(
    events: list[Event],
    *,
    after_hours: bool = False,
    short_abandon_seconds: int = SHORT_ABANDON_SECONDS,
    log: HandoffLog | None = None,
) -> Call:
    """Deliver ``events`` in this order as ``receive_voice_event`` does, without the database:
    drop repeats of a delivered key, fold each event in, then run the hand-off rule."""
    call = Call(direction="")
    log = log if log is not None else HandoffLog()
    seen = set()
    for event in events:
        key = call_event_key(event.kind, event.params)
        if key in seen:
            continue
        seen.add(key)
        incoming = None
        if event.kind == EventKind.VOICE_INCOMING:
            incoming = call_state.IncomingDecision(
                location_id=None,
                phone_number_id=None,
                source_label="",
                contact_id=None,
                is_after_hours=after_hours,
                routing_version_id=None,
            )
        call_state.apply_event(
            call,
            kind=event.kind,
            params=event.params,
            at=call_state.event_time(event.params, event.at),
            short_abandon_seconds=short_abandon_seconds,
            incoming=incoming,
        )
        on_unanswered_contact(call=call, handler=log) or withdraw_unanswered_contact(
            call=call, handler=log
        )
    return call


def row(call: Call) -> dict[str, object]:
    """Every column metrics and recovery may read."""
    return {
        f.attname: getattr(call, f.attname)
        for f in call._meta.concrete_fields
        if f.attname not in IDENTITY_COLUMNS
    }


DIAL_RESULTS = ["no-answer", "busy", "failed", "completed", "canceled"]
QUEUE_RESULTS = ["bridged", "hangup", "leave", "redirected", "queue-full", "system-error"]


@st.composite
def stories(draw: st.DrawFn) -> Story:
    """A call with several legs: tiers, a queue with a callback offer, dial results,
    voicemail with its recording and transcription, and Twilio's status callbacks."""
    outbound = draw(st.integers(0, 5)) == 0
    story = Story(outbound=outbound, after_hours=not outbound and draw(st.integers(0, 5)) == 0)
    if outbound:
        story.status("initiated").status("ringing")
        story.t += draw(st.integers(1, 40))
        final = draw(st.sampled_from(["completed", "no-answer", "busy", "canceled", "failed"]))
        if final == "completed":
            story.status("in-progress")
            story.t += draw(st.integers(0, 600))
        return story.end(final)

    story.incoming()
    if draw(st.booleans()):
        story.status("in-progress")
    if story.after_hours:
        if draw(st.booleans()):
            story.voicemail(draw(st.integers(0, 120)))
        return story.end(after=draw(st.integers(0, 5)))

    reached = False
    if draw(st.integers(0, 2)) == 0:  # the caller joins a queue behind others
        if draw(st.booleans()):
            story.keypress(draw(st.sampled_from(["1", "2"])))
        result = draw(st.sampled_from(QUEUE_RESULTS))
        story.queue(
            result,
            waited=draw(st.integers(0, 300)),
            polls=draw(st.integers(0, 3)),
            talk=draw(st.integers(1, 600)),
        )
        reached = result == "bridged"
        if result in ("bridged", "hangup"):
            return story.end(after=draw(st.integers(0, 2)))
    for index in range(draw(st.integers(0 if reached else 1, 3))):
        result = draw(st.sampled_from(DIAL_RESULTS))
        talk = draw(st.integers(0, 600)) if result == "completed" else 0
        story.dial(result, ring=draw(st.integers(1, 30)), talk=talk, step=f"tier:{index}:0")
        if result in ("completed", "canceled"):
            return story.end(after=draw(st.integers(0, 2)))
    if draw(st.booleans()):
        story.voicemail(
            draw(st.integers(0, 120)), status=draw(st.sampled_from(["completed", "absent"]))
        )
    return story.end(
        draw(st.sampled_from(["completed", "completed", "canceled", "no-answer", "busy"])),
        after=draw(st.integers(0, 5)),
    )
