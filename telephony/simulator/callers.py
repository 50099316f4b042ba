"""Callers who do what they are told: a planned day played against the real webhooks, each
call's next request following the TwiML its previous one was answered with.

A call starts as a planned caller with an intent (``OPEN_HOURS_MIX``; an after-hours intent
when routing says the location is closed, read from the Call the incoming webhook
recorded). From then on the caller walks the answer's verbs as Twilio would: ``<Say>``
takes a few seconds; ``<Dial>`` rings and, after an answer or the timeout, requests its
``action`` URL; ``<Enqueue>`` puts the caller in the queue, whose ``waitUrl`` is polled every
30 s (``<Leave>`` there, a keypress on a callback offer, the caller hanging up or an agent
taking the call end the stay, reported to the ``action`` URL); ``<Record>`` takes a voicemail
(action, recording status and transcription callbacks) or the caller hangs up;
``<Hangup>``, or the end of the document, ends the call. Every URL comes from the TwiML, so
routing's step, location and version travel back to it exactly as with Twilio.

The intent says what the caller and the people rung will do: ``answered_dial`` — the first
person rung answers; ``answered_queue`` — nobody answers until the caller has waited in the
queue, then an agent takes the call; ``rang_out`` — nobody answers, and the caller gives up
soon after; ``voicemail`` — nobody answers, the caller leaves a message when offered;
``abandoned_queue`` and ``short_abandon`` — the caller hangs up in the queue after a while or
at once; ``overflowed`` — the caller waits until routing sends them on (or asks for a
callback when offered), but leaves no message; ``failed`` — the call fails at once. What
actually happened is reported per call (``SimulationReport.scenarios``).

Status callbacks, recording status and transcriptions are asynchronous, so a few overtake
earlier requests of their call; any request is sometimes sent twice. Everything follows from
the seed and the answers, and answers to repeated requests are the stored ones, so running
the same day twice sends only duplicates.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from django.urls import reverse

from telephony.models import Call
from telephony.simulator.sending import SimulationReport, Transport, signature
from telephony.simulator.traffic import (
    DEFAULT_SEED,
    VOICEMAILS,
    DayPlan,
    PlannedCall,
    SimOrganization,
    SimulatedRequest,
    _sid,
    _timestamp,
    text_label,
)
from tenancy.context import tenant_context

DUPLICATE_SHARE = 0.04
OVERTAKE_SHARE = 0.12
QUEUE_POLL_SECONDS = 30
# A caller with nothing better to do gives up this long after the call began.
PATIENCE_SECONDS = 600
MAX_ANSWERS_PER_CALL = 30
ASYNCHRONOUS = frozenset({"voice.status", "voice.recording-status", "voice.transcription"})
LEAVES_MESSAGE = frozenset({"voicemail", "after_hours_voicemail"})
ASKS_FOR_CALLBACK = frozenset({"overflowed"})

# What happened to a call, as the report names it, and the outcome the call should have.
EXPECTED_OUTCOME = {
    "answered_dial": "answered",
    "answered_queue": "answered",
    "after_hours_answered": "answered",
    "rang_out": "rang_out",
    "voicemail": "voicemail",
    "abandoned_queue": "abandoned",
    "abandoned_unqueued": "abandoned",
    "short_abandon": "short_abandon",
    "overflowed": "overflowed",
    "failed": "failed",
    "after_hours_voicemail": "after_hours",
    "after_hours_hangup": "after_hours",
}


@dataclass(order=True)
class _Send:
    send_at: datetime
    order: int
    request: SimulatedRequest = field(compare=False)
    caller: _Caller | None = field(compare=False, default=None)
    awaited: bool = field(compare=False, default=False)  # the caller acts on its answer


@dataclass(frozen=True)
class _Stay:
    """One stay of a caller in a queue."""

    name: str
    entered_at: datetime
    wait_url: str
    action_url: str


def _path(url: str) -> str:
    """A URL from TwiML as the path (and query) Twilio requests on our host."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class _Caller:
    def __init__(self, day: _Day, plan: PlannedCall) -> None:
        self.day, self.plan = day, plan
        self.rng = random.Random(f"{day.seed}|{plan.call_sid}")
        rng = self.rng
        self.ring_seconds = rng.randint(3, 18)
        self.talk_seconds = rng.randint(40, 600)
        self.bridged_after = rng.randint(5, 150)
        self.abandon_after = rng.randint(12, 240)
        self.short_after = rng.randint(1, 4)
        self.give_up_after = rng.randint(2, 9)
        self.message_seconds = rng.randint(8, 50)
        self.intent = plan.intent
        self.after_hours = False
        self.sequence = 0
        self.answers = 0
        self.stay: _Stay | None = None
        self.last_queue_result = ""
        self.queued_before = False
        self.left_queue_unbridged = False
        self.hung_up_waiting: int | None = None  # seconds waited in the queue stay
        self.dial_unanswered = False
        self.answered_from = ""
        self.voicemail = False
        self.ended_at: datetime | None = None
        self.failed = False
        # When the caller hangs up, at the next moment they can (not while a dial rings).
        self.gives_up_at = plan.start + timedelta(seconds=PATIENCE_SECONDS)

    # Requests -------------------------------------------------------------------------

    def _params(self, at: datetime, **extra: str) -> dict[str, str]:
        plan, org = self.plan, self.day.org
        return {
            "AccountSid": org.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": plan.call_sid,
            "Called": plan.number.e164,
            "Caller": plan.caller,
            "Direction": "inbound",
            "From": plan.caller,
            "To": plan.number.e164,
            "Timestamp": _timestamp(at),
            **extra,
        }

    def _request(
        self, kind: str, url: str, at: datetime, *, awaited: bool, **extra: str
    ) -> tuple[SimulatedRequest, bool]:
        if not url:
            name = kind.removeprefix("voice.")
            url = reverse(f"telephony:voice-{name}") + "?" + urlencode({"pn": self.plan.number.id})
        return SimulatedRequest(at, _path(url), self._params(at, **extra), kind), awaited

    def incoming(self) -> SimulatedRequest:
        return SimulatedRequest(
            self.plan.start,
            reverse("telephony:voice-incoming"),
            self._params(self.plan.start, CallStatus="ringing"),
            "voice.incoming",
        )

    def _status(self, status: str, at: datetime, **extra: str) -> tuple[SimulatedRequest, bool]:
        request = SimulatedRequest(
            at,
            reverse("telephony:voice-status"),
            self._params(
                at,
                CallStatus=status,
                SequenceNumber=str(self.sequence),
                CallbackSource="call-progress-events",
                **extra,
            ),
            "voice.status",
        )
        self.sequence += 1
        return request, False

    # Following answers ----------------------------------------------------------------

    def follow(self, request: SimulatedRequest, body: str) -> list[tuple[SimulatedRequest, bool]]:
        """The requests this answer leads to (and whether each one's answer is awaited)."""
        if self.ended_at is not None:
            return []
        at = request.send_at
        self.answers += 1
        out: list[tuple[SimulatedRequest, bool]] = []
        if request.kind == "voice.incoming":
            out.append(self._status("in-progress", at + timedelta(seconds=1)))
            self.after_hours = self.day.is_after_hours(self.plan.call_sid)
            if self.after_hours:
                self.intent = self.plan.closed_intent
            if self.intent == "failed":
                self.failed = True
                return out + self._end(at + timedelta(seconds=1), status="failed")
        if request.kind == "voice.queue-action" and self.last_queue_result in ("hangup", "bridged"):
            # The caller had hung up, or talked with the agent who took the call: over.
            return out + self._end(at + timedelta(seconds=1))
        try:
            verbs = list(ElementTree.fromstring(body)) if body else []
        except ElementTree.ParseError:
            verbs = []
        if self.answers > MAX_ANSWERS_PER_CALL:
            verbs = []
        in_queue = request.kind in ("voice.queue-wait", "voice.callback-keypress")
        return out + self._walk(verbs, at, in_queue=in_queue)

    def _walk(
        self, verbs: list[ElementTree.Element], at: datetime, *, in_queue: bool
    ) -> list[tuple[SimulatedRequest, bool]]:
        t = at
        for verb in verbs:
            if verb.tag in ("Dial", "Enqueue", "Record") and t >= self.gives_up_at:
                return self._end(t)
            if verb.tag == "Say":
                t += timedelta(seconds=max(2, len((verb.text or "").split()) // 3))
            elif verb.tag == "Pause":
                t += timedelta(seconds=int(verb.get("length", "1")))
            elif verb.tag == "Play" and not in_queue:
                t += timedelta(seconds=10)
            elif verb.tag == "Dial":
                return self._dial(verb, t)
            elif verb.tag == "Enqueue":
                return self._enqueue(verb, t)
            elif verb.tag == "Record":
                return self._record(verb, t)
            elif verb.tag == "Leave" and self.stay is not None:
                return self._leave_queue(t, "leave")
            elif verb.tag == "Hangup":
                return self._end(t + timedelta(seconds=1))
        if in_queue and self.stay is not None:
            return self._hold(verbs, at)
        return self._end(t + timedelta(seconds=1))  # The document ran out: Twilio hangs up.

    def _answers_dial(self) -> bool:
        if self.intent in ("answered_dial", "after_hours_answered"):
            return True
        return self.intent == "answered_queue" and self.queued_before

    def _dial(self, verb: ElementTree.Element, t: datetime) -> list[tuple[SimulatedRequest, bool]]:
        timeout = int(verb.get("timeout", "30"))
        leg = {"DialCallSid": _sid("CA", self.plan.call_sid, "leg", self.answers)}
        if self._answers_dial():
            ring = min(self.ring_seconds, max(1, timeout - 1))
            ended = t + timedelta(seconds=ring + self.talk_seconds)
            self.answered_from = "queue" if self.queued_before else "dial"
            if self.after_hours:
                self.answered_from = "after_hours"
            status = {"DialCallStatus": "completed", "DialCallDuration": str(self.talk_seconds)}
        else:
            ended = t + timedelta(seconds=timeout)
            if self.intent == "rang_out" and not self.dial_unanswered:
                self.gives_up_at = ended + timedelta(seconds=self.give_up_after)
            self.dial_unanswered = True
            status = {"DialCallStatus": "no-answer", "DialCallDuration": "0"}
        return [
            self._request(
                "voice.dial-action", verb.get("action", ""), ended, awaited=True, **status, **leg
            )
        ]

    def _enqueue(
        self, verb: ElementTree.Element, t: datetime
    ) -> list[tuple[SimulatedRequest, bool]]:
        if not self.queued_before:
            waits = {"abandoned_queue": self.abandon_after, "short_abandon": self.short_after}
            if self.intent in waits:
                self.gives_up_at = t + timedelta(seconds=waits[self.intent])
        name = (verb.text or "").strip()
        self.stay = _Stay(name, t, verb.get("waitUrl", ""), verb.get("action", ""))
        self.queued_before = True
        self.day.queues.setdefault(name, []).append(self.plan.call_sid)
        if not self.stay.wait_url:
            return self._hold([], t)
        return [self._poll(t)]

    def _poll(self, at: datetime) -> tuple[SimulatedRequest, bool]:
        stay = self.stay
        assert stay is not None
        waiting = self.day.queues.get(stay.name, [])
        position = waiting.index(self.plan.call_sid) + 1 if self.plan.call_sid in waiting else 1
        return self._request(
            "voice.queue-wait",
            stay.wait_url,
            at,
            awaited=True,
            QueueSid=_sid("QU", self.day.org.slug, stay.name),
            QueueTime=str(round((at - stay.entered_at).total_seconds())),
            QueuePosition=str(position),
            CurrentQueueSize=str(max(len(waiting), position)),
            AvgQueueTime="40",
        )

    def _hold(
        self, verbs: list[ElementTree.Element], at: datetime
    ) -> list[tuple[SimulatedRequest, bool]]:
        """The caller holds in the queue until the next poll, unless their stay ends first."""
        stay = self.stay
        assert stay is not None
        gather = next((v for v in verbs if v.tag == "Gather"), None)
        if gather is not None and gather.get("action") and self.intent in ASKS_FOR_CALLBACK:
            pressed = at + timedelta(seconds=5)
            return [
                self._request(
                    "voice.callback-keypress",
                    gather.get("action", ""),
                    pressed,
                    awaited=True,
                    Digits="1",
                    QueueTime=str(round((pressed - stay.entered_at).total_seconds())),
                )
            ]
        next_poll = at + timedelta(seconds=QUEUE_POLL_SECONDS)
        ends, ends_at = "hangup", max(at, self.gives_up_at)
        if self.intent in ("answered_queue", "answered_dial"):
            bridged_at = stay.entered_at + timedelta(seconds=self.bridged_after)
            if bridged_at < ends_at:
                ends, ends_at = "bridged", max(at, bridged_at)
        if ends_at <= next_poll or not stay.wait_url:
            return self._leave_queue(ends_at, ends)
        return [self._poll(next_poll)]

    def _leave_queue(self, at: datetime, result: str) -> list[tuple[SimulatedRequest, bool]]:
        stay = self.stay
        assert stay is not None
        self.stay = None
        self.last_queue_result = result
        waiting = self.day.queues.get(stay.name, [])
        if self.plan.call_sid in waiting:
            waiting.remove(self.plan.call_sid)
        waited = round((at - stay.entered_at).total_seconds())
        report_at = at
        if result == "bridged":
            self.answered_from = "queue"
            # Twilio reports a bridged call's queue result when the conversation ends.
            report_at = at + timedelta(seconds=self.talk_seconds)
        elif result == "hangup":
            self.hung_up_waiting = waited
        else:
            self.left_queue_unbridged = True
        return [
            self._request(
                "voice.queue-action",
                stay.action_url,
                report_at,
                awaited=True,
                QueueResult=result,
                QueueTime=str(waited),
                QueueSid=_sid("QU", self.day.org.slug, stay.name),
            )
        ]

    def _record(
        self, verb: ElementTree.Element, t: datetime
    ) -> list[tuple[SimulatedRequest, bool]]:
        if self.intent not in LEAVES_MESSAGE:
            return self._end(t + timedelta(seconds=self.give_up_after))
        self.voicemail = True
        seconds = self.message_seconds
        ended = t + timedelta(seconds=seconds + 6)
        recording_sid = _sid("RE", self.plan.call_sid, self.answers)
        recording_url = (
            f"https://api.twilio.com/2010-04-01/Accounts/{self.day.org.account_sid}"
            f"/Recordings/{recording_sid}"
        )
        recording = {"RecordingSid": recording_sid, "RecordingUrl": recording_url}
        out = [
            self._request(
                "voice.record-action",
                verb.get("action", ""),
                ended,
                awaited=True,
                RecordingDuration=str(seconds),
                Digits="hangup",
                **recording,
            ),
            self._request(
                "voice.recording-status",
                verb.get("recordingStatusCallback", ""),
                ended + timedelta(seconds=self.rng.randint(1, 4)),
                awaited=False,
                RecordingStatus="completed",
                RecordingDuration=str(seconds),
                RecordingChannels="1",
                RecordingSource="RecordVerb",
                **recording,
            ),
        ]
        if verb.get("transcribe") == "true":
            out.append(
                self._request(
                    "voice.transcription",
                    verb.get("transcribeCallback", ""),
                    ended + timedelta(seconds=self.rng.randint(20, 90)),
                    awaited=False,
                    TranscriptionSid=_sid("TR", recording_sid),
                    TranscriptionStatus="completed",
                    TranscriptionText=self.rng.choice(VOICEMAILS),
                    TranscriptionType="fast",
                    CallStatus="completed",
                    **recording,
                )
            )
        return out

    def _end(
        self, at: datetime, *, status: str = "completed"
    ) -> list[tuple[SimulatedRequest, bool]]:
        if self.stay is not None:
            # Hanging up in the queue: Twilio reports it to the queue's action URL first.
            return self._leave_queue(at, "hangup")
        self.ended_at = at
        duration = max(0, round((at - self.plan.start).total_seconds()))
        return [self._status(status, at, CallDuration=str(duration))]

    def what_happened(self) -> str:
        """The report's name for this call (see ``EXPECTED_OUTCOME``)."""
        if self.failed:
            return "failed"
        if self.answered_from:
            return {
                "dial": "answered_dial",
                "queue": "answered_queue",
                "after_hours": "after_hours_answered",
            }[self.answered_from]
        if self.after_hours:
            return "after_hours_voicemail" if self.voicemail else "after_hours_hangup"
        if self.voicemail:
            return "voicemail"
        short = self.day.org.short_abandon_seconds
        if self.hung_up_waiting is not None:
            return "short_abandon" if self.hung_up_waiting <= short else "abandoned_queue"
        if self.left_queue_unbridged:
            return "overflowed"
        if self.dial_unanswered:
            return "rang_out"
        ended = self.ended_at or self.plan.start
        waited = round((ended - self.plan.start).total_seconds())
        return "short_abandon" if waited <= short else "abandoned_unqueued"


class _Day:
    def __init__(
        self,
        org: SimOrganization,
        seed: str,
        is_after_hours: Callable[[str], bool],
    ) -> None:
        self.org, self.seed, self.is_after_hours = org, seed, is_after_hours
        self.queues: dict[str, list[str]] = {}
        self.heap: list[_Send] = []
        self.order = itertools.count()

    def push(
        self,
        request: SimulatedRequest,
        *,
        caller: _Caller | None,
        awaited: bool,
        rng: random.Random,
        not_before: datetime,
    ) -> None:
        send_at = request.send_at
        if request.kind in ASYNCHRONOUS and rng.random() < OVERTAKE_SHARE:
            send_at = max(not_before, send_at - timedelta(seconds=rng.randint(2, 20)))
        placed = SimulatedRequest(send_at, request.path, request.params, request.kind)
        heapq.heappush(self.heap, _Send(send_at, next(self.order), placed, caller, awaited))
        if rng.random() < DUPLICATE_SHARE:
            # Twilio retries a request it saw no answer to: the same request, later.
            later = send_at + timedelta(seconds=rng.randint(1, 15))
            again = SimulatedRequest(later, request.path, request.params, request.kind)
            heapq.heappush(self.heap, _Send(later, next(self.order), again, caller, False))


def after_hours_from_calls(organization_id: int) -> Callable[[str], bool]:
    """Whether the incoming webhook recorded the call as after hours (routing's decision,
    or the interim default's), read from the Call."""

    def is_after_hours(call_sid: str) -> bool:
        with tenant_context(organization_id):
            flags = Call.objects.filter(call_sid=call_sid).values_list("is_after_hours", flat=True)
            return bool(flags.first())

    return is_after_hours


def run_day(
    org: SimOrganization,
    plan: DayPlan,
    *,
    token: str,
    public_url: str,
    transport: Transport,
    seed: str = DEFAULT_SEED,
    is_after_hours: Callable[[str], bool] | None = None,
) -> SimulationReport:
    """Play the planned day against the webhooks behind ``transport``, in time order, each
    call following its answers; report what was sent and what happened to each call."""
    day = _Day(org, seed, is_after_hours or after_hours_from_calls(org.organization_id))
    report = SimulationReport()
    callers = []
    for planned in plan.calls:
        caller = _Caller(day, planned)
        callers.append(caller)
        incoming = caller.incoming()
        heapq.heappush(day.heap, _Send(incoming.send_at, next(day.order), incoming, caller, True))
    texts_rng = random.Random(f"{seed}|{org.slug}|texts")
    for text in plan.texts:
        day.push(text, caller=None, awaited=False, rng=texts_rng, not_before=text.send_at)
        report.scenarios[text_label(text.params.get("Body", ""))] += 1
    sent: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    while day.heap:
        item = heapq.heappop(day.heap)
        request = item.request
        answer = transport.post(request.path, request.params, signature(token, public_url, request))
        report.requests += 1
        report.by_status[answer.status] += 1
        sent.add((request.path, tuple(sorted(request.params.items()))))
        if not item.awaited or item.caller is None:
            continue
        body = answer.body if answer.status == 200 else ""
        for follow_up, awaited in item.caller.follow(request, body):
            day.push(
                follow_up,
                caller=item.caller,
                awaited=awaited,
                rng=item.caller.rng,
                not_before=request.send_at,
            )
    report.distinct = len(sent)
    for caller in callers:
        report.scenarios[caller.what_happened()] += 1
    return report
