"""Telephony's interfaces to the apps above it (telephony/hooks.py), exercised through the
signed webhooks with small plug-ins defined here, the way recovery will plug in: an
unanswered-contact handler that writes a row, and a text-reply handler that answers
"Confirmed". The routing plug-in is covered by tests/telephony/test_routed_calls.py, which
goes through the composition module. Each test names the regression it catches."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from coverage_platform.composition import telephony_hooks
from routing.call_router import RoutingCallRouter
from telephony import hooks, simulator
from telephony.hooks import IncomingText
from telephony.keywords import Intent
from telephony.models import (
    Call,
    CallEvent,
    CallOutcome,
    ConsentEvent,
    Contact,
    OutboundPurpose,
    OutboundRequest,
    OutboundStatus,
)
from tenancy.context import get_current_organization_id, tenant_context
from tests.telephony.conftest import PUBLIC_BASE_URL

pytestmark = pytest.mark.django_db

TEXTER = "+13125550177"


class HandoffFailed(Exception):
    pass


class RecordingHandoffs:
    """An unanswered-contact handler that does what recovery will: write a row of the
    tenant's for each hand-off (here it renames the caller's contact), and undo it on a
    withdrawal. It can be told to fail once, after its write."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self.fail_next = False

    def hand_off(self, *, call: Call) -> None:
        Contact.objects.filter(pk=call.contact_id).update(name=f"handed off: {call.outcome}")
        if self.fail_next:
            self.fail_next = False
            raise HandoffFailed("recovery could not take the call")
        self.seen.append(("hand_off", call.call_sid, call.outcome))

    def withdraw(self, *, call: Call, outcome: str) -> None:
        Contact.objects.filter(pk=call.contact_id).update(name="")
        self.seen.append(("withdraw", call.call_sid, outcome))


class ConfirmingReplies:
    """A text-reply handler that answers every text with "Confirmed", noting what it saw
    and in which tenant it ran."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.seen: list[tuple[str, Intent, bool, int | None]] = []

    def reply(self, text: IncomingText) -> str | None:
        self.seen.append(
            (text.message.body, text.keyword, text.answered, get_current_organization_id())
        )
        return "Confirmed"


HANDOFFS = RecordingHandoffs()
REPLIES = ConfirmingReplies()
# Routing stays wired as in production; the two handlers recovery will fill are plugged in.
PLUGGED = dataclasses.replace(telephony_hooks, unanswered_contacts=HANDOFFS, text_replies=REPLIES)
NOT_HOOKS = object()


@pytest.fixture
def plugged(settings):
    HANDOFFS.reset()
    REPLIES.reset()
    settings.TELEPHONY_HOOKS = f"{__name__}.PLUGGED"
    return HANDOFFS, REPLIES


def post(tel, requests):
    transport = simulator.InProcessTransport(PUBLIC_BASE_URL)
    for request in requests:
        answer = transport.post(
            request.path,
            request.params,
            simulator.signature(tel.auth_token, PUBLIC_BASE_URL, request),
        )
        assert answer.status in (200, 204), (request.kind, answer.status)


def scenario(tel, name: str, call_sid: str):
    org = simulator.load_organization(tel.world.organization.slug)
    start = datetime.fromisoformat("2026-11-25T15:00:00+00:00")  # a Wednesday, 10:00 there
    return simulator.scenario_requests(
        org, org.locations[0].numbers[0], scenario=name, start=start, call_sid=call_sid
    )


def ended_first(requests, *late_kinds: str):
    """The requests with the call's final status moved before the ``late_kinds``, as when
    Twilio's callbacks about the call's end overtake those about what happened in it."""
    late = [r for r in requests if r.kind in late_kinds]
    return [r for r in requests if r not in late] + late


def caller_contact_name(tel) -> str:
    with tenant_context(tel.organization_id):
        return Contact.objects.get().name


def test_the_installed_hooks_are_the_composition_modules(settings):
    # Catches telephony silently falling back to its interim default (every call ignoring
    # the published rules) because TELEPHONY_HOOKS is unset or names the wrong thing.
    assert isinstance(hooks.installed().call_router, RoutingCallRouter)
    settings.TELEPHONY_HOOKS = ""
    defaults = hooks.installed()
    assert isinstance(defaults.call_router, hooks.InterimRouting)
    assert isinstance(defaults.unanswered_contacts, hooks.NoUnansweredHandling)
    settings.TELEPHONY_HOOKS = f"{__name__}.NOT_HOOKS"
    with pytest.raises(ImproperlyConfigured):
        hooks.installed()
    settings.TELEPHONY_HOOKS = f"{__name__}.MISSING"
    with pytest.raises(ImproperlyConfigured):
        hooks.installed()


def test_an_unanswered_call_reaches_the_handler_once_per_outcome(tel_a, plugged):
    # Catches a hand-off repeated by later callbacks or retries (duplicate recovery items),
    # and a voicemail recorded after the hang-up never reaching the handler as one.
    handoffs, _ = plugged
    call_sid = "CA" + "51" * 16
    requests = ended_first(
        scenario(tel_a, "voicemail", call_sid),
        "voice.record-action",
        "voice.recording-status",
        "voice.transcription",
    )
    post(tel_a, requests)
    post(tel_a, requests)  # Twilio's retries of every callback
    assert handoffs.seen == [
        ("hand_off", call_sid, CallOutcome.RANG_OUT),
        ("hand_off", call_sid, CallOutcome.VOICEMAIL),
    ]
    assert caller_contact_name(tel_a) == "handed off: voicemail"


def test_the_handler_runs_in_the_events_transaction(tel_a, plugged):
    # Catches the hand-off moved out of the event's transaction (a recovery item for an
    # event that was never stored, or an ended call whose hand-off was lost), and a failing
    # handler swallowed instead of failing the webhook so that Twilio retries it.
    handoffs, _ = plugged
    call_sid = "CA" + "52" * 16
    *before_end, completed = scenario(tel_a, "rang_out", call_sid)
    post(tel_a, before_end)
    handoffs.fail_next = True
    with pytest.raises(HandoffFailed):
        post(tel_a, [completed])
    with tenant_context(tel_a.organization_id):
        call = Call.objects.get()
        stored = list(CallEvent.objects.values_list("kind", flat=True))
    assert (call.ended_at, call.handoff_outcome) == (None, "")
    assert stored.count("voice.status") == 1  # the in-progress one only
    assert caller_contact_name(tel_a) == ""  # the handler's write rolled back with it
    assert handoffs.seen == []

    post(tel_a, [completed])  # Twilio retries
    assert handoffs.seen == [("hand_off", call_sid, CallOutcome.RANG_OUT)]
    assert caller_contact_name(tel_a) == "handed off: rang_out"


def test_a_call_answered_after_all_is_withdrawn_from_the_handler(tel_a, plugged):
    # Catches a queue call bridged to a person staying in recovery because the bridged
    # result arrived after the hang-up.
    handoffs, _ = plugged
    call_sid = "CA" + "53" * 16
    post(tel_a, ended_first(scenario(tel_a, "answered_queue", call_sid), "voice.queue-action"))
    [(_, _, outcome)] = [seen for seen in handoffs.seen if seen[0] == "hand_off"]
    assert outcome != CallOutcome.ANSWERED
    assert handoffs.seen == [("hand_off", call_sid, outcome), ("withdraw", call_sid, outcome)]
    assert caller_contact_name(tel_a) == ""


def incoming_text(tel, body: str, sid: str) -> simulator.SimulatedRequest:
    params = {
        "AccountSid": tel.account_sid,
        "MessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "From": TEXTER,
        "To": tel.main_number.e164,
        "Body": body,
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    return simulator.SimulatedRequest(
        datetime.fromisoformat("2026-11-25T15:00:00+00:00"),
        "/twilio/sms/incoming",
        params,
        "sms.incoming",
    )


def texts_back(tel) -> list[tuple[str, str, str, str]]:
    with tenant_context(tel.organization_id):
        return list(
            OutboundRequest.objects.order_by("id").values_list(
                "to_e164", "body", "purpose", "status"
            )
        )


def test_the_reply_handlers_answer_is_texted_back(
    tel_a, plugged, prism, django_capture_on_commit_callbacks
):
    # Catches a reminder's "C" read by nobody, or the handler's answer not sent (or sent
    # through anything but the gateway, which keeps consent and rate limits).
    _, replies = plugged
    text = incoming_text(tel_a, "C", "SM" + "51" * 16)
    with django_capture_on_commit_callbacks(execute=True):
        post(tel_a, [text, text])  # and Twilio's retry
    assert replies.seen == [("C", Intent.NONE, False, tel_a.organization_id)]
    assert texts_back(tel_a) == [(TEXTER, "Confirmed", OutboundPurpose.REPLY, OutboundStatus.SENT)]


def test_yes_confirms_without_subscribing_and_gets_the_handlers_answer(
    tel_a, plugged, prism, django_capture_on_commit_callbacks
):
    # Catches keyword texts hidden from the handler: "YES" is both a carrier keyword and
    # the answer to a reminder.
    _, replies = plugged
    with django_capture_on_commit_callbacks(execute=True):
        post(tel_a, [incoming_text(tel_a, "YES", "SM" + "52" * 16)])
    assert replies.seen == [("YES", Intent.RESTORE, False, tel_a.organization_id)]
    with tenant_context(tel_a.organization_id):
        assert not ConsentEvent.objects.exists()
    assert [body for _, body, _, _ in texts_back(tel_a)] == ["Confirmed"]


@pytest.mark.parametrize(
    ("body", "intent", "purpose"),
    [
        ("HELP", Intent.HELP, OutboundPurpose.REPLY),
        ("STOP", Intent.REVOKE, OutboundPurpose.OPT_OUT_CONFIRMATION),
    ],
)
def test_a_keyword_text_gets_only_telephonys_own_reply(
    tel_a, plugged, prism, django_capture_on_commit_callbacks, body, intent, purpose
):
    # Catches two replies to one text, and anything but the confirmation texted to a
    # number that has just revoked consent.
    _, replies = plugged
    with django_capture_on_commit_callbacks(execute=True):
        post(tel_a, [incoming_text(tel_a, body, "SM" + "53" * 16)])
    assert replies.seen == [(body, intent, True, tel_a.organization_id)]
    [(to, text, sent_as, status)] = texts_back(tel_a)
    assert (to, sent_as, status) == (TEXTER, purpose, OutboundStatus.SENT)
    assert text != "Confirmed"
