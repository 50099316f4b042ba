"""A send whose outcome is unknown (Twilio's answer timed out, a 5xx, a connection dropped
mid-answer) is never sent blind again: the retry first asks Twilio whether the first
attempt exists, and sends only if it does not.

Twilio's REST API is stood in for by a small local server speaking its JSON (it accepts a
text and then answers too late, and lists what it accepted), since Prism answers every
list with its own example data; Prism still checks that the list request is one Twilio's
description accepts. Nothing of ours is mocked: the real twilio client makes every request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from telephony import gateway
from telephony.models import Call, Message, OutboundRequest, OutboundStatus
from tenancy.context import tenant_context
from tests.telephony.conftest import answer_json, free_port, local_twilio

pytestmark = pytest.mark.django_db

NEW_YORKER = "+12125550142"
BODY = "We missed your call. Reply to this text or call us back."
MIDDAY = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)
TIMEOUT_SECONDS = 0.3


@dataclass
class TwilioStub:
    """What the local server does: accept each create (and, while ``slow``, answer after
    the client gave up), list what it accepted, or fail the list with ``list_status``."""

    slow: bool = True
    accept_when_slow: bool = True
    list_status: int = 200
    accepted: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, list[str]]] = field(default_factory=list)
    lists: list[dict[str, list[str]]] = field(default_factory=list)
    created_at: datetime = MIDDAY

    def resource(self, kind: str, form: dict[str, list[str]]) -> dict[str, Any]:
        prefix = "SM" if kind == "Messages" else "CA"
        sid = f"{prefix}{len(self.accepted) + 1:032x}"
        created = format_datetime(self.created_at, usegmt=True)
        return {
            "sid": sid,
            "account_sid": "AC" + "a" * 32,
            "to": form["To"][0],
            "from": form["From"][0],
            "body": form.get("Body", [""])[0],
            "status": "queued",
            "direction": "outbound-api",
            "date_created": created,
            "date_updated": created,
            "date_sent": None,
            "kind": kind,
        }


class _Handler(BaseHTTPRequestHandler):
    stub: TwilioStub

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        answer_json(self, status, payload)

    def do_POST(self) -> None:
        kind = "Messages" if self.path.endswith("/Messages.json") else "Calls"
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        self.stub.posts.append(form)
        resource = self.stub.resource(kind, form)
        if self.stub.slow:
            if self.stub.accept_when_slow:
                self.stub.accepted.append(resource)
            time.sleep(TIMEOUT_SECONDS * 4)
        else:
            self.stub.accepted.append(resource)
        self._answer(201, resource)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        self.stub.lists.append(query)
        if self.stub.list_status != 200:
            self._answer(self.stub.list_status, {"code": 20500, "message": "Internal Server Error",
                                                 "status": self.stub.list_status})  # fmt: skip
            return
        kind = "Messages" if parts.path.endswith("/Messages.json") else "Calls"
        rows = [
            row
            for row in reversed(self.stub.accepted)  # newest first, as Twilio lists
            if row["kind"] == kind
            and row["to"] == query.get("To", [""])[0]
            and row["from"] == query.get("From", [""])[0]
        ]
        key = "messages" if kind == "Messages" else "calls"
        self._answer(
            200,
            {
                key: rows,
                "page": 0,
                "page_size": 50,
                "start": 0,
                "end": len(rows),
                "first_page_uri": parts.path,
                "next_page_uri": None,
                "previous_page_uri": None,
                "uri": self.path,
            },
        )

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def twilio_stub(settings: Any) -> Iterator[TwilioStub]:
    stub = TwilioStub()
    settings.TWILIO_HTTP_TIMEOUT_SECONDS = TIMEOUT_SECONDS
    with local_twilio(type("Handler", (_Handler,), {"stub": stub}), settings):
        yield stub


def sms(tel, key: str = "missed-call-text") -> gateway.SendResult:
    return gateway.send_sms(
        organization_id=tel.organization_id,
        to=NEW_YORKER,
        body=BODY,
        idempotency_key=key,
        now=MIDDAY,
    )


def retry(tel, result: gateway.SendResult) -> gateway.SendResult:
    assert result.retry_at is not None
    return gateway.retry_outbound(
        organization_id=tel.organization_id,
        outbound_request_id=result.outbound_request_id,
        now=result.retry_at,
    )


def test_a_text_twilio_accepted_before_the_timeout_is_not_sent_again(tel_a, twilio_stub):
    # Catches the retry after a read timeout re-sending a text Twilio had already
    # accepted: the person got it twice.
    first = sms(tel_a)
    assert (first.status, first.reason) == (OutboundStatus.RETRY, gateway.Reason.NETWORK_ERROR)
    assert len(twilio_stub.posts) == 1
    # The status callback of what Twilio accepted names our send.
    callback = twilio_stub.posts[0]["StatusCallback"][0]
    assert parse_qs(urlsplit(callback).query)["ob"] == [str(first.outbound_request_id)]

    twilio_stub.slow = False
    again = retry(tel_a, first)
    assert again.sent, again
    [accepted] = twilio_stub.accepted
    assert again.provider_sid == accepted["sid"]
    assert len(twilio_stub.posts) == 1  # asked, not sent again
    assert twilio_stub.lists == [{"To": [NEW_YORKER], "From": ["+12125550100"],
                                  "PageSize": ["20"]}]  # fmt: skip
    with tenant_context(tel_a.organization_id):
        message = Message.objects.get()
        assert (message.message_sid, message.body) == (accepted["sid"], BODY)
        assert OutboundRequest.objects.get().unverified_since is None


def test_a_text_twilio_never_created_is_sent_on_the_retry(tel_a, twilio_stub):
    # Catches the check blocking forever (or giving up) when the first attempt never made
    # it: Twilio lists only an older text of the same words and another text, none of them
    # this attempt, so the text is sent.
    twilio_stub.accepted.append(
        {**twilio_stub.resource("Messages", {"To": [NEW_YORKER], "From": ["+12125550100"],
                                             "Body": [BODY]}),
         "date_created": format_datetime(MIDDAY - timedelta(days=2), usegmt=True)}
    )  # fmt: skip
    twilio_stub.accepted.append(
        twilio_stub.resource(
            "Messages", {"To": [NEW_YORKER], "From": ["+12125550100"], "Body": ["Other"]}
        )
    )
    twilio_stub.accept_when_slow = False
    first = sms(tel_a)
    assert first.status == OutboundStatus.RETRY

    twilio_stub.slow = False
    again = retry(tel_a, first)
    assert again.sent, again
    assert len(twilio_stub.posts) == 2 and len(twilio_stub.lists) == 1
    assert again.provider_sid == twilio_stub.accepted[-1]["sid"]


def test_nothing_is_sent_while_twilio_cannot_say_whether_it_has_it(tel_a, twilio_stub):
    # Catches a failed look-up read as "not there" (and the text sent blind a second time).
    first = sms(tel_a)
    twilio_stub.slow, twilio_stub.list_status = False, 503
    still = retry(tel_a, first)
    assert (still.status, still.reason) == (OutboundStatus.RETRY, gateway.Reason.NETWORK_ERROR)
    assert len(twilio_stub.posts) == 1

    twilio_stub.list_status = 200
    finally_ = retry(tel_a, still)
    assert finally_.sent and len(twilio_stub.posts) == 1
    assert finally_.provider_sid == twilio_stub.accepted[0]["sid"]


def test_a_call_twilio_accepted_before_the_timeout_is_not_placed_again(tel_a, twilio_stub):
    # Catches the same double for calls: ringing a person twice for one callback.
    def place() -> gateway.SendResult:
        return gateway.place_call(
            organization_id=tel_a.organization_id,
            to=NEW_YORKER,
            twiml_url="https://coverage.example.test/twiml/callback",
            idempotency_key="callback-call",
            now=MIDDAY,
        )

    first = place()
    assert first.status == OutboundStatus.RETRY
    twilio_stub.slow = False
    again = retry(tel_a, first)
    assert again.sent and len(twilio_stub.posts) == 1
    with tenant_context(tel_a.organization_id):
        assert Call.objects.get().call_sid == twilio_stub.accepted[0]["sid"]


def test_a_refused_connection_is_retried_without_asking(tel_a, twilio_stub, settings):
    # Catches a look-up on every retry: a request that never connected cannot have been
    # accepted, so the retry simply sends.
    stub_url = settings.TWILIO_API_BASE_URL
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{free_port()}"
    first = sms(tel_a)
    assert first.status == OutboundStatus.RETRY
    settings.TWILIO_API_BASE_URL = stub_url
    twilio_stub.slow = False
    assert retry(tel_a, first).sent
    assert twilio_stub.lists == [] and len(twilio_stub.posts) == 1


def test_the_look_up_is_a_request_twilios_description_accepts(
    tel_a, twilio_stub, prism_server, settings
):
    # Catches a list request Twilio would refuse (a wrong parameter name or type): Prism
    # validates it against Twilio's OpenAPI description, then the text is sent since
    # Prism's example messages are not this one.
    first = sms(tel_a)
    assert first.status == OutboundStatus.RETRY
    settings.TWILIO_API_BASE_URL = prism_server.base_url
    again = retry(tel_a, first)
    assert again.sent, again
    assert again.provider_sid.startswith(("SM", "MM"))
