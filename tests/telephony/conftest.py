"""Telephony fixtures: a Twilio subaccount and numbers per test organisation, a client that
signs webhooks the way Twilio does, Prism (Twilio's REST API from its OpenAPI description),
and a tiny local server that answers like Twilio's API does when it refuses a request."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
import redis
from django.test import Client
from twilio.request_validator import RequestValidator

from coverage_platform.celery import app as celery_app
from routing import loading
from telephony import counters, directory, services
from telephony.models import PhoneNumber
from telephony.prism import PrismServer
from tenancy.context import tenant_context
from tenancy.models import Location
from tests.conftest import OrgWorld
from tests.factories import LocationFactory

# Flushed per test: a run beside another one (CI runs the Citus and pooler runs side by
# side) names its own databases.
TEST_TELEPHONY_REDIS_URL = os.environ.get("TEST_TELEPHONY_REDIS_URL", "redis://localhost:6379/14")
TEST_ROUTING_REDIS_URL = os.environ.get("TEST_ROUTING_REDIS_URL", "redis://localhost:6379/12")
PUBLIC_BASE_URL = "https://coverage.example.test"


@pytest.fixture(autouse=True)
def telephony_isolation(settings: Any) -> Iterator[None]:
    """Telephony's Redis (db 14) and routing's (db 12; the webhooks ask routing),
    flushed per test; empty number and routing caches; Celery inline."""
    settings.TELEPHONY_REDIS_URL = TEST_TELEPHONY_REDIS_URL
    settings.ROUTING_REDIS_URL = TEST_ROUTING_REDIS_URL
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "coverage.example.test"]
    counters.client().flushdb()
    redis.Redis.from_url(TEST_ROUTING_REDIS_URL).flushdb()
    directory.clear_local_cache()
    loading.clear_cache()
    eager, propagates = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = eager, propagates
    directory.clear_local_cache()
    loading.clear_cache()


@dataclass
class TelephonyWorld:
    """An organisation with a Twilio subaccount, one location and two numbers there."""

    world: OrgWorld
    account_sid: str
    auth_token: str
    location: Location
    main_number: PhoneNumber
    ads_number: PhoneNumber
    numbers: dict[str, PhoneNumber] = field(default_factory=dict)

    @property
    def organization_id(self) -> int:
        return self.world.organization.pk


def _telephony_world(world: OrgWorld, *, hex_digit: str, area: str) -> TelephonyWorld:
    account_sid = "AC" + hex_digit * 32
    auth_token = (hex_digit * 2 + "0123456789abcdef") * 2
    actor = world.tenant()
    with tenant_context(world.organization):
        location = cast(
            Location,
            LocationFactory(
                organization=world.organization,
                name=f"{world.organization.name} Main Office",
                time_zone="America/New_York",
                phone=f"+1{area}5550199",
            ),
        )
        services.twilio_account_set(actor=actor, account_sid=account_sid, auth_token=auth_token)
        main = services.phone_number_create(
            actor=actor, e164=f"+1{area}5550100", location=location, source_label="Main line"
        )
        ads = services.phone_number_create(
            actor=actor, e164=f"+1{area}5550111", location=location, source_label="Google Ads"
        )
    directory.clear_local_cache()
    return TelephonyWorld(world, account_sid, auth_token, location, main, ads)


@pytest.fixture
def tel_a(org_a: OrgWorld) -> TelephonyWorld:
    return _telephony_world(org_a, hex_digit="a", area="212")


@pytest.fixture
def tel_b(org_b: OrgWorld) -> TelephonyWorld:
    """The foreign tenant, with its own subaccount, token and numbers."""
    return _telephony_world(org_b, hex_digit="b", area="415")


class TwilioSigner:
    """Posts webhooks the way Twilio does: form-encoded, signed over the public URL."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @staticmethod
    def sign(token: str, path: str, params: dict[str, str]) -> str:
        return str(RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, params))

    def post(
        self,
        path: str,
        params: dict[str, str],
        *,
        token: str | None,
        signature: str | None = None,
    ) -> Any:
        headers: dict[str, str] = {}
        if signature is None and token is not None:
            signature = self.sign(token, path, params)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return self.client.post(path, data=params, headers=headers)


@pytest.fixture
def twilio(client: Client) -> TwilioSigner:
    return TwilioSigner(client)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def prism_server() -> Iterator[PrismServer]:
    """Prism serving Twilio's 2010 API description, started once per test session."""
    with PrismServer(free_port()) as server:
        yield server


@pytest.fixture
def prism(prism_server: PrismServer, settings: Any) -> PrismServer:
    settings.TWILIO_API_BASE_URL = prism_server.base_url
    return prism_server


@dataclass
class FakeTwilioError:
    """What the local server answers: an HTTP status and Twilio's error JSON, or silence."""

    status: int = 400
    code: int | None = 21610
    message: str = "Attempt to send to unsubscribed recipient"
    delay_seconds: float = 0.0
    requests: list[str] = field(default_factory=list)


def answer_json(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
    """Answer like Twilio's REST API: a JSON body with its status; a client that timed out
    and left is not an error."""
    body = json.dumps(payload).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


@contextmanager
def local_twilio(handler: type[BaseHTTPRequestHandler], settings: Any) -> Iterator[None]:
    """Serve ``handler`` on 127.0.0.1 as Twilio's REST API for the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


class _TwilioErrorHandler(BaseHTTPRequestHandler):
    answer: FakeTwilioError

    def do_POST(self) -> None:
        self.answer.requests.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.answer.delay_seconds:
            time.sleep(self.answer.delay_seconds)
        answer_json(
            self,
            self.answer.status,
            {
                "code": self.answer.code,
                "message": self.answer.message,
                "more_info": f"https://www.twilio.com/docs/errors/{self.answer.code}",
                "status": self.answer.status,
            },
        )

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def twilio_error(settings: Any) -> Iterator[FakeTwilioError]:
    """A local server standing in for Twilio's API when it refuses: the true boundary."""
    answer = FakeTwilioError()
    with local_twilio(type("Handler", (_TwilioErrorHandler,), {"answer": answer}), settings):
        yield answer


def account_token_ciphertext(organization_id: int) -> str:
    """The stored auth token column, read with raw SQL (what a database dump would show)."""
    from django.db import connection

    with tenant_context(organization_id), connection.cursor() as cursor:
        cursor.execute("SELECT auth_token FROM telephony_twilioaccount")
        return str(cursor.fetchone()[0])
