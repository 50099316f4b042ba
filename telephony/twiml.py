"""TwiML documents answered to Twilio, built with the twilio library.

Callback URLs carry the number's id (``pn``) so callbacks that do not name the organisation's
number (recording status, for one) still resolve to their tenant; the URL is signed by
Twilio, so the id cannot be changed in transit. URLs are relative: Twilio resolves them
against the URL it requested, which is the public one.

The documents depend only on their arguments, so they are cached: building XML is a fair
share of a webhook's own work.

Every ``<Say>`` of the platform speaks with one voice (``VOICE``), and every voicemail is
recorded by one builder (``record_voicemail``), which routing's TwiML uses too.
"""

from __future__ import annotations

from functools import cache, lru_cache

from django.urls import reverse
from twilio.twiml import TwiML
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

# The voice of every <Say>, so that a caller hears one voice whichever app wrote the TwiML:
# Amazon Polly's Joanna, which routing's documents already used; Twilio's basic default
# voice sounded different on the interim default's voicemail.
VOICE = "Polly.Joanna"
VOICEMAIL_MAX_SECONDS = 120
QUEUE_HOLD_PAUSE_SECONDS = 15


@cache
def _path(name: str) -> str:
    return reverse(f"telephony:{name}")


def callback_url(name: str, phone_number_id: int) -> str:
    """The path of one of our webhooks, tagged with the number it is about."""
    return f"{_path(name)}?pn={phone_number_id}"


@lru_cache(maxsize=1024)
def dial(*, forwarding_e164: str, timeout_seconds: int, phone_number_id: int) -> str:
    """Ring the forwarding number; the dial action decides what happens if nobody answers."""
    response = VoiceResponse()
    response.dial(
        forwarding_e164,
        timeout=timeout_seconds,
        action=callback_url("voice-dial-action", phone_number_id),
        method="POST",
    )
    return str(response)


def say(parent: TwiML, text: str) -> None:
    """Add ``<Say>`` in the platform's voice to ``parent`` (a response or a ``<Gather>``)."""
    parent.say(text, voice=VOICE)


def record_voicemail(
    response: VoiceResponse,
    *,
    action: str,
    recording_status_callback: str,
    transcribe_callback: str,
    max_length_seconds: int = VOICEMAIL_MAX_SECONDS,
    transcribe: bool = True,
) -> None:
    """Add the ``<Record>`` of a voicemail to ``response``: a beep, then up to
    ``max_length_seconds`` of message, ended by silence, a hang-up or "#"; Twilio posts the
    result to ``action``, the recording's progress to ``recording_status_callback`` and, when
    ``transcribe``, the transcript to ``transcribe_callback``."""
    response.record(
        action=action,
        method="POST",
        max_length=max_length_seconds,
        play_beep=True,
        finish_on_key="#",
        recording_status_callback=recording_status_callback,
        recording_status_callback_method="POST",
        transcribe=transcribe,
        transcribe_callback=transcribe_callback,
    )


@lru_cache(maxsize=1024)
def voicemail(*, location_name: str, phone_number_id: int, after_hours: bool = False) -> str:
    """Ask for a message and record it with a transcription."""
    response = VoiceResponse()
    if after_hours:
        greeting = f"Thank you for calling {location_name}. We are closed right now."
    else:
        greeting = f"Thank you for calling {location_name}. Nobody can take your call right now."
    say(response, greeting + " Please leave a message after the tone and we will call you back.")
    record_voicemail(
        response,
        action=callback_url("voice-record-action", phone_number_id),
        recording_status_callback=callback_url("voice-recording-status", phone_number_id),
        transcribe_callback=callback_url("voice-transcription", phone_number_id),
    )
    return str(response)


@cache
def goodbye() -> str:
    response = VoiceResponse()
    say(response, "Thank you. Goodbye.")
    response.hangup()
    return str(response)


@cache
def hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


@cache
def queue_hold() -> str:
    """Played to a caller waiting in a queue, between Twilio's wait-URL requests."""
    response = VoiceResponse()
    say(response, "Thank you for waiting. The next available person will be with you shortly.")
    response.pause(length=QUEUE_HOLD_PAUSE_SECONDS)
    return str(response)


@cache
def unknown_number() -> str:
    """For a call to a number no organisation owns (or a misconfigured one)."""
    response = VoiceResponse()
    say(
        response,
        "Sorry, this number is not in service at the moment. Please check the number and "
        "try again. Goodbye.",
    )
    response.hangup()
    return str(response)


@cache
def empty_messaging() -> str:
    return str(MessagingResponse())


@cache
def empty_voice() -> str:
    return str(VoiceResponse())
