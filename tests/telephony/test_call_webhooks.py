"""Voice webhooks: the default routing's TwiML, exactly-once storage, order-independence,
outcomes, and the hand-off of unanswered calls."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.db import DatabaseError, connection, transaction

from telephony import simulator
from telephony.models import Call, CallEvent, CallOutcome, Contact, Recording, Transcription
from telephony.services import telephony_settings_update
from tenancy.context import tenant_context
from tests.telephony.conftest import PUBLIC_BASE_URL

pytestmark = pytest.mark.django_db

# A Wednesday: 15:00 UTC is 10:00 in New York (open), 02:00 UTC is 21:00 the day before.
OPEN_TIME = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
CLOSED_TIME = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

# Columns that legitimately differ between two calls built from the same events.
IDENTITY_COLUMNS = {"id", "call_sid", "created_at", "updated_at", "handed_off_at"}


def sim_org(tel) -> simulator.SimOrganization:
    return simulator.load_organization(tel.world.organization.slug)


def main_number(org: simulator.SimOrganization) -> simulator.SimNumber:
    return org.locations[0].numbers[0]


def send(tel, requests):
    transport = simulator.InProcessTransport(PUBLIC_BASE_URL)
    answers = []
    for request in requests:
        signature = simulator.signature(tel.auth_token, PUBLIC_BASE_URL, request)
        response = transport.client.post(
            request.path,
            data=request.params,
            headers={"X-Twilio-Signature": signature},
            secure=True,
        )
        assert response.status_code in (200, 204), (request.kind, response.status_code)
        answers.append(response.content)
    return answers


def call_row(tel, call_sid: str) -> dict:
    with tenant_context(tel.organization_id):
        call = Call.objects.get(call_sid=call_sid)
        return {
            field.attname: getattr(call, field.attname)
            for field in call._meta.concrete_fields
            if field.attname not in IDENTITY_COLUMNS
        }


def scenario(tel, name: str, call_sid: str, start: datetime = OPEN_TIME):
    org = sim_org(tel)
    return simulator.scenario_requests(
        org, main_number(org), scenario=name, start=start, call_sid=call_sid
    )


def test_open_hours_call_rings_the_forwarding_number_with_a_timeout(tel_a):
    # Catches TwiML that dials nothing, never times out, or loses the dial-action URL (the
    # call would end silently instead of reaching voicemail).
    incoming = scenario(tel_a, "answered_dial", "CA" + "a1" * 16)[0]
    [body] = send(tel_a, [incoming])
    root = ElementTree.fromstring(body)
    assert root.tag == "Response"
    [dial] = list(root)
    assert dial.tag == "Dial"
    assert dial.text == tel_a.location.phone
    assert dial.get("timeout") == "20"
    assert dial.get("action") == f"/twilio/voice/dial-action?pn={tel_a.main_number.pk}"


def test_after_hours_call_goes_to_voicemail_with_transcription(tel_a):
    # Catches the after-hours branch ringing an empty office, or recording without the
    # callbacks that store the voicemail and its transcript.
    incoming = scenario(tel_a, "after_hours_voicemail", "CA" + "a2" * 16, CLOSED_TIME)[0]
    [body] = send(tel_a, [incoming])
    root = ElementTree.fromstring(body)
    assert [child.tag for child in root] == ["Say", "Record"]
    say, record = root[0], root[1]
    assert "closed" in (say.text or "")
    pn = f"?pn={tel_a.main_number.pk}"
    assert record.get("transcribe") == "true"
    assert record.get("transcribeCallback") == "/twilio/voice/transcription" + pn
    assert record.get("recordingStatusCallback") == "/twilio/voice/recording-status" + pn
    assert record.get("action") == "/twilio/voice/record-action" + pn
    assert int(record.get("maxLength", "0")) > 0


def test_unanswered_dial_falls_back_to_voicemail(tel_a):
    # Catches a dial action that hangs up on a caller nobody answered.
    requests = scenario(tel_a, "voicemail", "CA" + "a3" * 16)
    dial_action = next(r for r in requests if r.kind == "voice.dial-action")
    incoming = requests[0]
    answers = send(tel_a, [incoming, dial_action])
    root = ElementTree.fromstring(answers[1])
    assert [child.tag for child in root] == ["Say", "Record"]


def test_a_duplicate_webhook_is_a_no_op_with_the_same_answer(tel_a):
    # Catches retries stored twice, applied twice, or answered differently (a retried
    # incoming call must not be routed a second time).
    requests = scenario(tel_a, "voicemail", "CA" + "a4" * 16)
    incoming, dial_action = requests[0], next(r for r in requests if r.kind == "voice.dial-action")
    first = send(tel_a, [incoming, dial_action])
    before = call_row(tel_a, incoming.params["CallSid"])
    again = send(tel_a, [incoming, dial_action, incoming])
    assert again == [first[0], first[1], first[0]]
    assert call_row(tel_a, incoming.params["CallSid"]) == before
    with tenant_context(tel_a.organization_id):
        assert CallEvent.objects.count() == 2
        assert Call.objects.get().applied_event_count == 2


@pytest.mark.parametrize(
    "name",
    ["answered_dial", "voicemail", "answered_queue", "abandoned_queue", "after_hours_voicemail"],
)
def test_shuffled_and_duplicated_callbacks_give_the_in_order_call(tel_a, name):
    # Catches state that depends on arrival order (a late "ringing" moving a completed call
    # back, a recording arriving after the hang-up losing the voicemail) and duplicates
    # applied twice.
    start = CLOSED_TIME if name.startswith("after_hours") else OPEN_TIME
    in_order = scenario(tel_a, name, "CA" + "0" * 32, start)
    send(tel_a, in_order)
    expected = call_row(tel_a, "CA" + "0" * 32)
    assert expected["outcome"]
    for attempt in range(1, 4):
        call_sid = f"CA{attempt:032d}"
        replay = [r for r in scenario(tel_a, name, call_sid, start)]
        rng = random.Random(attempt)
        replay += rng.sample(replay, k=max(1, len(replay) // 3))
        rng.shuffle(replay)
        send(tel_a, replay)
        assert call_row(tel_a, call_sid) == expected, f"shuffle {attempt}"


@pytest.mark.parametrize(
    ("name", "outcome", "answered"),
    [
        ("answered_dial", CallOutcome.ANSWERED, True),
        ("answered_queue", CallOutcome.ANSWERED, True),
        ("rang_out", CallOutcome.RANG_OUT, False),
        ("voicemail", CallOutcome.VOICEMAIL, False),
        ("abandoned_queue", CallOutcome.ABANDONED, False),
        ("short_abandon", CallOutcome.SHORT_ABANDON, False),
        ("overflowed", CallOutcome.OVERFLOWED, False),
        ("failed", CallOutcome.FAILED, False),
    ],
)
def test_each_kind_of_call_gets_its_outcome(tel_a, name, outcome, answered):
    # Catches misclassification that would corrupt every metric built on outcomes (an
    # answered queue call counted as abandoned, a voicemail as rang out).
    send(tel_a, scenario(tel_a, name, "CA" + "b" * 32))
    call = call_row(tel_a, "CA" + "b" * 32)
    assert call["outcome"] == outcome
    assert (call["answered_at"] is not None) is answered
    assert call["ended_at"] is not None and call["started_at"] is not None
    if answered:
        assert call["talk_seconds"] > 0
        assert call["wait_seconds"] is not None
    # Unanswered inbound calls are handed off exactly with their outcome; answered are not.
    assert call["handoff_outcome"] == ("" if answered else outcome)


def test_after_hours_calls_are_flagged_and_classified(tel_a):
    # Catches after-hours calls counted as ordinary misses (docs/metrics.md: after-hours share).
    send(tel_a, scenario(tel_a, "after_hours_hangup", "CA" + "c" * 32, CLOSED_TIME))
    call = call_row(tel_a, "CA" + "c" * 32)
    assert call["is_after_hours"] is True
    assert call["outcome"] == CallOutcome.AFTER_HOURS


def test_queue_call_records_entry_answer_and_wait(tel_a):
    # Catches wait measured from the call's start instead of queue entry (ASA would include
    # the greeting) or the answer time taken from the bridged call's end.
    requests = scenario(tel_a, "answered_queue", "CA" + "d" * 32)
    send(tel_a, requests)
    call = call_row(tel_a, "CA" + "d" * 32)
    action = next(r for r in requests if r.kind == "voice.queue-action")
    waited = int(action.params["QueueTime"])
    assert call["queued_at"] == OPEN_TIME + timedelta(seconds=2)
    assert call["wait_seconds"] == waited
    assert call["answered_at"] == call["queued_at"] + timedelta(seconds=waited)


def test_short_abandon_threshold_comes_from_the_organisations_settings(tel_a):
    # Catches a hard-coded threshold: an organisation that sets 1 second sees a 3-second
    # hang-up as a real abandon.
    requests = scenario(tel_a, "short_abandon", "CA" + "e" * 32)
    waited = int(next(r for r in requests if r.kind == "voice.queue-action").params["QueueTime"])
    with tenant_context(tel_a.organization_id):
        telephony_settings_update(actor=tel_a.world.tenant(), short_abandon_seconds=waited - 1)
    send(tel_a, requests)
    assert call_row(tel_a, "CA" + "e" * 32)["outcome"] == CallOutcome.ABANDONED


def test_unanswered_call_is_handed_off_once(tel_a):
    # Catches a hand-off repeated by every later callback (duplicate recovery items).
    requests = scenario(tel_a, "rang_out", "CA" + "f" * 32)
    send(tel_a, requests)
    with tenant_context(tel_a.organization_id):
        handed_off_at = Call.objects.get().handed_off_at
    completed = [r for r in requests if r.params.get("CallStatus") == "completed"]
    late = simulator.SimulatedRequest(
        completed[0].send_at,
        completed[0].path,
        {**completed[0].params, "SequenceNumber": "99", "CallStatus": "completed"},
        "voice.status",
    )
    send(tel_a, [late])
    with tenant_context(tel_a.organization_id):
        call = Call.objects.get()
    assert call.handoff_outcome == CallOutcome.RANG_OUT
    assert call.handed_off_at == handed_off_at


def test_voicemail_transcript_is_encrypted_at_rest_and_in_the_event_store(tel_a):
    # Catches the transcript (sensitive: health or legal details) stored in plain text,
    # either in its table or in the raw webhook store.
    requests = scenario(tel_a, "voicemail", "CA" + "9" * 32)
    send(tel_a, requests)
    text = next(r for r in requests if r.kind == "voice.transcription").params["TranscriptionText"]
    with tenant_context(tel_a.organization_id):
        transcription = Transcription.objects.get()
        assert transcription.text == text
        assert Recording.objects.get().status == "completed"
        with connection.cursor() as cursor:
            cursor.execute("SELECT text FROM telephony_transcription")
            [(stored,)] = cursor.fetchall()
            cursor.execute("SELECT params::text FROM telephony_callevent")
            events = " ".join(row[0] for row in cursor.fetchall())
    assert stored != text and stored.startswith("gAAAAA")
    assert text not in events
    assert "TranscriptionText:encrypted" in events


def test_stored_events_cannot_be_changed(tel_a):
    # Catches an event store that can be rewritten after the fact (it is the audit record).
    send(tel_a, scenario(tel_a, "answered_dial", "CA" + "8" * 32)[:1])
    with (
        tenant_context(tel_a.organization_id),
        pytest.raises(DatabaseError),
        transaction.atomic(),
    ):
        CallEvent.objects.update(response_body="rewritten")


@pytest.mark.parametrize(
    ("caller", "contact"),
    [("+13125550123", "+13125550123"), ("anonymous", None), ("client:alice", None)],
)
def test_a_caller_becomes_a_contact_only_when_twilio_sends_a_number(tel_a, twilio, caller, contact):
    # Catches a withheld or browser caller stored as a contact "number" (a callback would be
    # dialled to "anonymous"), or a numbered caller left without one.
    params = {
        "AccountSid": tel_a.account_sid,
        "CallSid": "CA" + "c7" * 16,
        "From": caller,
        "To": tel_a.main_number.e164,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    response = twilio.post("/twilio/voice/incoming", params, token=tel_a.auth_token)
    assert response.status_code == 200
    with tenant_context(tel_a.organization_id):
        call = Call.objects.select_related("contact").get(call_sid=params["CallSid"])
        stored = list(Contact.objects.values_list("e164", flat=True))
    assert (call.contact.e164 if call.contact else None) == contact
    assert stored == ([contact] if contact else [])


@pytest.mark.parametrize("result", ["redirected-from-bridged", "bridging-in-process"])
def test_every_queue_result_twilio_sends_is_stored(tel_a, result):
    # Catches a column narrower than Twilio's words: redirected-from-bridged (23 characters)
    # made the queue-action webhook fail with a database error.
    call_sid = "CA" + "e" * 32
    requests = [
        dataclasses.replace(r, params={**r.params, "QueueResult": result})
        if r.kind == "voice.queue-action"
        else r
        for r in scenario(tel_a, "answered_queue", call_sid)
    ]
    send(tel_a, requests)
    assert call_row(tel_a, call_sid)["queue_result"] == result
