"""TwiML rendering: what Twilio receives for each kind of action."""

from __future__ import annotations

from xml.etree import ElementTree

from routing.engine import (
    Decision,
    Dial,
    DialTarget,
    Enqueue,
    Hangup,
    Hold,
    Leave,
    Outcome,
    Reason,
    Record,
    Say,
)
from routing.twiml import DEFAULT_HOLD_AUDIO_URL, ActionUrls, render_decision
from telephony import twiml as telephony_twiml
from telephony.twiml import VOICEMAIL_MAX_SECONDS

URLS = ActionUrls(
    dial_action="https://example.test/twilio/voice/dial?x=1",
    queue_wait="https://example.test/twilio/voice/wait",
    queue_action="https://example.test/twilio/voice/queue",
    callback_keypress="https://example.test/twilio/voice/keypress",
    voicemail_action="https://example.test/twilio/voice/voicemail",
    recording_status="https://example.test/twilio/voice/recording",
    transcription="https://example.test/twilio/voice/transcription",
)


def render(*actions):
    decision = Decision(Outcome.DIAL, Reason.OPEN, "", tuple(actions), location_id=5, version_id=9)
    return ElementTree.fromstring(render_decision(decision, action_urls=URLS))


def test_dial_carries_the_step_location_and_version_back_to_telephony():
    # Catches a dial without an action URL: Twilio would fall through to the next verb
    # after a completed call and ring the next agent.
    root = render(
        Dial(
            (DialTarget("Ann", "+12125550111"), DialTarget("Cat", client="cat")),
            20,
            step="tier:0:-1",
        )
    )
    dial = root.find("Dial")
    assert dial.get("timeout") == "20"
    assert dial.get("answerOnBridge") == "true"
    assert dial.get("action") == (
        "https://example.test/twilio/voice/dial?x=1&step=tier%3A0%3A-1&location=5&version=9"
    )
    assert [child.tag for child in dial] == ["Number", "Client"]
    assert dial.find("Number").text == "+12125550111"
    assert dial.find("Client").text == "cat"


def test_enqueue_in_another_locations_queue_does_not_carry_this_version():
    # Catches another location's queue polled with this location's rules.
    root = render(Enqueue("location-7", 7))
    enqueue = root.find("Enqueue")
    assert enqueue.text == "location-7"
    assert enqueue.get("waitUrl") == "https://example.test/twilio/voice/wait?location=7"


def test_hold_with_callback_offer_gathers_one_digit_over_the_music():
    # Catches a callback offer the caller cannot answer while the music plays.
    root = render(Hold("", True, "Press 1"))
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.find("Say").text == "Press 1"
    assert gather.find("Play").text == DEFAULT_HOLD_AUDIO_URL


def test_voicemail_records_with_transcription_and_callbacks():
    # Catches voicemails without transcription or without their callbacks.
    root = render(Say("Leave a message"), Record())
    record = root.find("Record")
    assert record.get("transcribe") == "true"
    assert record.get("transcribeCallback").startswith("https://example.test/twilio/voice/tran")
    assert record.get("recordingStatusCallback").endswith("location=5&version=9")


def test_leave_and_hangup():
    # Catches verbs dropped by the renderer.
    root = render(Leave(), Hangup())
    assert [child.tag for child in root] == ["Leave", "Hangup"]


def test_a_routed_voicemail_sounds_and_records_like_telephonys_own():
    # Catches the voicemail builders drifting apart again: callers hearing one voice on the
    # interim default and another on routed calls, or one of the two recording differently
    # (ended by any key, no status callback method).
    routed = render(Say("Leave a message"), Record(max_length_seconds=VOICEMAIL_MAX_SECONDS))
    interim = ElementTree.fromstring(
        telephony_twiml.voicemail(location_name="Main Office", phone_number_id=3)
    )
    prompt = render(Hold("", True, "Press 1"))
    says = [*routed.iter("Say"), *interim.iter("Say"), *prompt.iter("Say")]
    assert {say.get("voice") for say in says} == {telephony_twiml.VOICE}

    def recorded(response: ElementTree.Element) -> dict[str, str]:
        """The voicemail's <Record> attributes, without the callback URLs (which differ)."""
        [record] = response.iter("Record")
        urls = {"action", "recordingStatusCallback", "transcribeCallback"}
        return {name: value for name, value in record.attrib.items() if name not in urls}

    assert recorded(routed) == recorded(interim)
    assert recorded(routed)["finishOnKey"] == "#"
