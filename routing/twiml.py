"""A routing decision as TwiML, the document Twilio executes for a call.

``render_decision`` is what telephony's webhooks answer with. The URLs Twilio calls back
(when a dial ends, while a caller waits in the queue, when they leave it, when they press a
key, when a voicemail is recorded) belong to telephony and are passed in ``ActionUrls``;
each gets the routing ``step``, ``location`` and ``version`` in its query string, which the
webhook hands back to ``routing.services.decide_incoming_call`` as ``CallProgress``.

A document depends only on the decision and the URLs, and most calls at a location get the
same decision, so rendered documents are cached: building the XML costs more than deciding.
Its ``<Say>`` speaks in telephony's one voice and its voicemail is telephony's
``record_voicemail``, so a routed call sounds and records like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from twilio.twiml.voice_response import VoiceResponse

from routing.engine import Decision, Dial, Enqueue, Hangup, Hold, Leave, Record, Say
from telephony import twiml

# Twilio's own public hold music, used when a location has not chosen its own.
DEFAULT_HOLD_AUDIO_URL = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


@dataclass(frozen=True)
class ActionUrls:
    """Absolute URLs of telephony's callback webhooks (signed by Twilio)."""

    dial_action: str
    queue_wait: str
    queue_action: str
    callback_keypress: str
    voicemail_action: str
    recording_status: str
    transcription: str


def with_query(url: str, **params: object) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def render_decision(decision: Decision, *, action_urls: ActionUrls) -> str:
    """The TwiML for ``decision``.

    Every callback URL carries ``location`` (the location whose rules apply), ``version``
    (the published version that routed the call, when the call stays at that location) and,
    for a dial, ``step`` (where the call was: a tier and agent, the overflow or the
    after-hours number), and ``tried`` (the members rung for this call without answering,
    comma-separated, when there are any). Pass them back unchanged in ``CallProgress``.
    """
    return _render(decision, action_urls)


@lru_cache(maxsize=2048)
def _render(decision: Decision, action_urls: ActionUrls) -> str:
    response = VoiceResponse()
    tried = ",".join(str(member) for member in decision.tried) or None
    own = {"location": decision.location_id, "version": decision.version_id, "tried": tried}
    for action in decision.actions:
        if isinstance(action, Say):
            twiml.say(response, action.text)
        elif isinstance(action, Dial):
            dial = response.dial(
                action=with_query(action_urls.dial_action, step=action.step, **own),
                timeout=action.timeout_seconds,
                answer_on_bridge=True,
            )
            for target in action.targets:
                if target.client:
                    dial.client(target.client)
                else:
                    dial.number(target.number)
        elif isinstance(action, Enqueue):
            same = action.location_id == decision.location_id
            params = own if same else {"location": action.location_id, "tried": tried}
            response.enqueue(
                action.queue_name,
                wait_url=with_query(action_urls.queue_wait, **params),
                action=with_query(action_urls.queue_action, **params),
            )
        elif isinstance(action, Hold):
            audio = action.audio_url or DEFAULT_HOLD_AUDIO_URL
            if action.offer_callback:
                gather = response.gather(
                    num_digits=1,
                    timeout=1,
                    action=with_query(action_urls.callback_keypress, **own),
                )
                if action.prompt:
                    twiml.say(gather, action.prompt)
                gather.play(audio)
            else:
                response.play(audio)
        elif isinstance(action, Leave):
            response.leave()
        elif isinstance(action, Record):
            twiml.record_voicemail(
                response,
                action=with_query(action_urls.voicemail_action, **own),
                recording_status_callback=with_query(action_urls.recording_status, **own),
                transcribe_callback=with_query(action_urls.transcription, **own),
                max_length_seconds=action.max_length_seconds,
                transcribe=action.transcribe,
            )
        elif isinstance(action, Hangup):
            response.hangup()
    return str(response)
