"""Signing the generated requests as Twilio does and sending them to the webhooks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from telephony.simulator.traffic import SimulatedRequest


@dataclass
class SimulationReport:
    """What was sent: requests (``distinct`` of them, the rest Twilio-like resends), the
    answers by HTTP status, and what happened to the calls and texts (by name)."""

    requests: int = 0
    distinct: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    scenarios: Counter[str] = field(default_factory=Counter)

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.by_status.items() if status >= 400)


def signature(token: str, public_url: str, request: SimulatedRequest) -> str:
    """The X-Twilio-Signature Twilio would send for this request."""
    return str(
        RequestValidator(token).compute_signature(
            public_url.rstrip("/") + request.path, request.params
        )
    )


@dataclass(frozen=True)
class Answer:
    """The webhook's answer: HTTP status and body (TwiML, or empty)."""

    status: int
    body: str


class Transport(Protocol):
    def post(self, path: str, params: dict[str, str], signature: str) -> Answer: ...


class InProcessTransport:
    """Through Django's test client: the whole middleware stack, no server needed. Requests
    carry the public URL's host and scheme, as they would arrive through the proxy."""

    def __init__(self, public_url: str = "") -> None:
        from django.test import Client

        parsed = urlsplit(public_url)
        self.secure = parsed.scheme == "https"
        self.client = Client(HTTP_HOST=parsed.netloc) if parsed.netloc else Client()

    def post(self, path: str, params: dict[str, str], signature: str) -> Answer:
        response = self.client.post(
            path, data=params, headers={"X-Twilio-Signature": signature}, secure=self.secure
        )
        return Answer(int(response.status_code), response.content.decode())


class HttpTransport:
    """Over HTTP to a running server (keep-alive), as if through the TLS proxy."""

    def __init__(self, base_url: str, public_url: str = "") -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        # Sent straight to the application server, as a TLS-terminating proxy would pass it.
        self.headers = {"X-Forwarded-Proto": "https"} if public_url.startswith("https:") else {}

    def post(self, path: str, params: dict[str, str], signature: str) -> Answer:
        response = self.session.post(
            self.base_url + path,
            data=params,
            headers={"X-Twilio-Signature": signature, **self.headers},
            timeout=30,
            allow_redirects=False,
        )
        return Answer(int(response.status_code), response.text)


def send(
    requests: Iterable[SimulatedRequest],
    *,
    token: str,
    public_url: str,
    transport: Transport,
) -> SimulationReport:
    """Sign and send each request in order (a script, whatever the answers); count them."""
    report = SimulationReport()
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for request in requests:
        answer = transport.post(request.path, request.params, signature(token, public_url, request))
        report.requests += 1
        report.by_status[answer.status] += 1
        seen.add((request.path, tuple(sorted(request.params.items()))))
    report.distinct = len(seen)
    return report
