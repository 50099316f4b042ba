"""Handoffs: recipients (email, signed webhook with a secret shown once), one handoff per
recipient of a completed intake as scheduled work, what each recipient may see (never a
health answer), delivery to a real local HTTP server, retries then failure, "try again",
and the signed acknowledge link."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake import due_work
from intake.models import Handoff, HandoffRecipient, HandoffState, Intake, IntakeStatus
from intake.services import handoffs
from scheduling import services as scheduling
from scheduling.models import DueWork, DueWorkStatus
from scheduling.registry import GiveUp
from tenancy.context import tenant_context
from tenancy.models import Location
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake, location

pytestmark = pytest.mark.django_db

HEALTH_WORDS = "broken left femur"
PERSONAL_NAME = "Priya Raman"


@pytest.fixture(autouse=True)
def local_http(settings: Any) -> None:
    settings.INTAKE_HANDOFF_ALLOW_LOCAL_HTTP = True
    settings.PUBLIC_BASE_URL = "https://coverage.example.test"


@dataclass
class Received:
    status: int = 200
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[tuple[str, Received]]:
    """A real HTTP server on 127.0.0.1 standing in for the organisation's own system."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.requests.append((dict(self.headers.items()), body))
            self.send_response(received.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def completed_intake(world: OrgWorld, where: Location | None) -> Intake:
    intake = draft_intake(world, location=where)
    with tenant_context(world.organization):
        intake.status = IntakeStatus.COMPLETED
        intake.completed_at = timezone.now()
        intake.caller_name = PERSONAL_NAME
        intake.caller_phone = "+12125550123"
        intake.answers = {"reason": "Rear-ended on the parkway", "injured": True}
        intake.personal_answers = json.dumps({"full_name": PERSONAL_NAME})
        intake.health_answers = json.dumps({"injuries": HEALTH_WORDS})
        intake.disposition = "new_lead"
        intake.save()
    return intake


def recipient(world: OrgWorld, address: str, *, role: Role = Role.SUPERVISOR, **kw: Any) -> Any:
    with tenant_context(world.organization):
        kind = "webhook" if address.startswith("http") else "email"
        return handoffs.create_recipient(
            actor=world.tenant(), kind=kind, address=address, role=role, **kw
        )


def queue(world: OrgWorld, intake: Intake) -> list[Handoff]:
    with tenant_context(world.organization):
        return handoffs.queue_handoffs(intake=intake)


def state(world: OrgWorld, handoff: Handoff) -> Handoff:
    with tenant_context(world.organization):
        return Handoff.objects.get(pk=handoff.pk)


def deliver(world: OrgWorld, handoff: Handoff) -> None:
    due_work.deliver_handoff(
        organization_id=world.organization.pk, payload={"handoff_id": handoff.pk}
    )


# Recipients and queueing ------------------------------------------------------------------


def test_one_handoff_per_active_recipient_of_the_location_or_all(org_a: OrgWorld) -> None:
    here, there = location(org_a, name="Midtown"), location(org_a, name="Harbor")
    recipient(org_a, "all@example.com")
    recipient(org_a, "here@example.com", location=here)
    recipient(org_a, "there@example.com", location=there)
    off, _ = recipient(org_a, "off@example.com")
    with tenant_context(org_a.organization):
        handoffs.set_recipient_active(actor=org_a.tenant(), recipient=off, is_active=False)
    intake = completed_intake(org_a, here)

    queued = queue(org_a, intake)
    assert sorted(h.address for h in queued) == ["all@example.com", "here@example.com"]
    assert queue(org_a, intake) == []  # again: nothing twice
    with tenant_context(org_a.organization):
        work = DueWork.objects.order_by("pk")
        assert [w.idempotency_key for w in work] == [f"handoff:{h.pk}" for h in queued]
        assert {w.kind for w in work} == {"intake.deliver_handoff"}
        assert [w.payload for w in work] == [{"handoff_id": h.pk} for h in queued]


def test_a_webhook_recipient_gets_a_secret_stored_encrypted(org_a: OrgWorld) -> None:
    created, secret = recipient(org_a, "https://hooks.example.com/intake")
    assert secret.startswith("whsec_") and len(secret) > 30
    with connection.cursor() as cursor, tenant_context(org_a.organization):
        cursor.execute("SELECT secret FROM intake_handoffrecipient WHERE id = %s", [created.pk])
        stored = cursor.fetchone()[0]
    assert secret not in stored
    _, email_secret = recipient(org_a, "desk@example.com")
    assert email_secret == ""


@pytest.mark.parametrize(
    ("kind", "address", "field_name"),
    [
        ("webhook", "http://hooks.example.com/x", "address"),
        ("webhook", "ftp://hooks.example.com/x", "address"),
        ("webhook", "https://user:pw@hooks.example.com/x", "address"),
        ("email", "not an address", "address"),
        ("pigeon", "x", "kind"),
    ],
)
def test_bad_recipients_are_refused_per_field(
    org_a: OrgWorld, kind: str, address: str, field_name: str
) -> None:
    from django.core.exceptions import ValidationError

    with tenant_context(org_a.organization), pytest.raises(ValidationError) as refused:
        handoffs.create_recipient(
            actor=org_a.tenant(), kind=kind, address=address, role=Role.SUPERVISOR
        )
    assert field_name in refused.value.message_dict
    with tenant_context(org_a.organization):
        assert HandoffRecipient.objects.count() == 0


def test_local_http_is_refused_unless_allowed(org_a: OrgWorld, settings: Any) -> None:
    from django.core.exceptions import ValidationError

    settings.INTAKE_HANDOFF_ALLOW_LOCAL_HTTP = False
    settings.DEBUG = False
    with pytest.raises(ValidationError):
        handoffs.check_webhook_url("http://127.0.0.1:9000/hook")
    settings.INTAKE_HANDOFF_ALLOW_LOCAL_HTTP = True
    assert handoffs.check_webhook_url("http://127.0.0.1:9000/hook")


# What a recipient sees --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees_personal"),
    [(Role.SUPERVISOR, True), (Role.QA, True), (Role.LEADERSHIP, False)],
)
def test_the_payload_follows_the_role_and_never_carries_health(
    org_a: OrgWorld, role: Role, sees_personal: bool
) -> None:
    # Catches a notification that leaks what its reader's role may not read.
    recipient(org_a, "desk@example.com", role=role)
    intake = completed_intake(org_a, location(org_a))
    (handoff,) = queue(org_a, intake)
    with tenant_context(org_a.organization):
        payload = handoffs.handoff_payload(
            Handoff.objects.select_related("intake").get(pk=handoff.pk), role=role
        )
    text = json.dumps(payload)
    assert HEALTH_WORDS not in text
    assert "injuries" not in text
    assert (PERSONAL_NAME in text) is sees_personal
    assert "Rear-ended on the parkway" in text
    assert payload["disposition"] == "New lead"
    assert payload["time_zone"] == "America/New_York"
    assert payload["withheld"] == (["health"] if sees_personal else ["personal", "health"])
    assert payload["intake_url"] == f"https://coverage.example.test/o/acme/intake/{intake.pk}/"
    assert payload["acknowledge_url"].startswith("https://coverage.example.test/handoffs/ack/")


# Delivery ---------------------------------------------------------------------------------


def test_an_email_handoff_is_sent_without_health_answers(org_a: OrgWorld) -> None:
    recipient(org_a, "desk@example.com", role=Role.LEADERSHIP)
    (handoff,) = queue(org_a, completed_intake(org_a, location(org_a)))
    deliver(org_a, handoff)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["desk@example.com"]
    assert HEALTH_WORDS not in message.body and PERSONAL_NAME not in message.body
    assert PERSONAL_NAME not in message.subject
    assert "Reason for calling: Rear-ended on the parkway" in message.body
    assert "/handoffs/ack/" in message.body
    done = state(org_a, handoff)
    assert (done.state, done.attempts, done.sent_at is not None) == ("sent", 1, True)
    deliver(org_a, handoff)  # idempotent: a repeated run sends nothing
    assert len(mail.outbox) == 1


def test_a_webhook_is_signed_and_delivered(org_a: OrgWorld, hook: tuple[str, Received]) -> None:
    url, received = hook
    _, secret = recipient(org_a, url, role=Role.AGENT)
    (handoff,) = queue(org_a, completed_intake(org_a, location(org_a)))
    deliver(org_a, handoff)

    ((headers, body),) = received.requests
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Coverage-Signature"] == f"sha256={expected}"
    assert headers["X-Coverage-Delivery"] == str(handoff.pk)
    payload = json.loads(body)
    assert payload["handoff_id"] == handoff.pk
    assert HEALTH_WORDS.encode() not in body
    done = state(org_a, handoff)
    assert done.state == HandoffState.DELIVERED
    assert done.delivered_at is not None


def test_a_refusing_webhook_is_retried_then_failed_with_its_error(
    org_a: OrgWorld, hook: tuple[str, Received]
) -> None:
    url, received = hook
    received.status = 503
    recipient(org_a, url)
    (handoff,) = queue(org_a, completed_intake(org_a, location(org_a)))
    for attempt in range(1, handoffs.MAX_ATTEMPTS):
        with pytest.raises(handoffs.DeliveryFailed):
            deliver(org_a, handoff)
        waiting = state(org_a, handoff)
        assert (waiting.state, waiting.attempts) == ("pending", attempt)
    with pytest.raises(GiveUp):
        deliver(org_a, handoff)
    failed = state(org_a, handoff)
    assert failed.state == HandoffState.FAILED
    assert failed.last_error == "The webhook answered HTTP 503."
    assert len(received.requests) == handoffs.MAX_ATTEMPTS


def test_through_the_dispatcher_retries_back_off_then_the_work_dies(
    org_a: OrgWorld, hook: tuple[str, Received]
) -> None:
    url, received = hook
    received.status = 500
    recipient(org_a, url)
    start = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        (handoff,) = queue(org_a, completed_intake(org_a, location(org_a)))
    now = start
    outcomes = []
    for _ in range(handoffs.MAX_ATTEMPTS):
        for claim in scheduling.dispatch_due_work(now=now):
            outcomes.append(
                scheduling.run_work(
                    organization_id=claim.organization_id,
                    work_id=claim.work_id,
                    lease_token=claim.lease_token,
                    now=now,
                )
            )
        with tenant_context(org_a.organization):
            now = DueWork.objects.get().due_at
    assert outcomes == ["retry"] * (handoffs.MAX_ATTEMPTS - 1) + ["dead"]
    with tenant_context(org_a.organization):
        work = DueWork.objects.get()
    assert work.status == DueWorkStatus.DEAD
    assert state(org_a, handoff).state == HandoffState.FAILED


def test_a_later_success_delivers(org_a: OrgWorld, hook: tuple[str, Received]) -> None:
    url, received = hook
    received.status = 500
    recipient(org_a, url)
    (handoff,) = queue(org_a, completed_intake(org_a, location(org_a)))
    with pytest.raises(handoffs.DeliveryFailed):
        deliver(org_a, handoff)
    received.status = 204
    deliver(org_a, handoff)
    done = state(org_a, handoff)
    assert (done.state, done.attempts, done.last_error) == ("delivered", 2, "")


def test_an_unreachable_webhook_times_out_as_an_error(org_a: OrgWorld) -> None:
    recipient(org_a, "http://127.0.0.1:9/nothing-listens")
    (handoff,) = queue(org_a, completed_intake(org_a, location(org_a)))
    with pytest.raises(handoffs.DeliveryFailed):
        deliver(org_a, handoff)
    assert state(org_a, handoff).last_error.startswith("The webhook could not be reached")


# The pages --------------------------------------------------------------------------------


def _browser(world: OrgWorld, role: Role = Role.OWNER) -> Client:
    client = Client()
    client.force_login(world.user(role))
    return client


def _failed(world: OrgWorld) -> Handoff:
    recipient(world, "desk@example.com")
    (handoff,) = queue(world, completed_intake(world, location(world)))
    with tenant_context(world.organization):
        Handoff.objects.filter(pk=handoff.pk).update(
            state=HandoffState.FAILED, attempts=6, last_error="The webhook answered HTTP 503."
        )
    return handoff


def test_the_handoffs_page_counts_states_and_lists_failures(org_a: OrgWorld) -> None:
    handoff = _failed(org_a)
    with tenant_context(org_a.organization):
        org_a.organization.time_zone = "America/Chicago"
        org_a.organization.save()
    page = _browser(org_a, Role.SUPERVISOR).get(reverse("intake-handoffs", args=["acme"]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Times in America/Chicago" in html
    assert "The webhook answered HTTP 503." in html
    assert "Failed" in html and "Waiting to send" in html
    assert f'action="/o/acme/intake/handoffs/{handoff.pk}/retry/"' in html


def test_try_again_reschedules_with_a_new_key(org_a: OrgWorld) -> None:
    handoff = _failed(org_a)
    client = _browser(org_a)
    response = client.post(reverse("intake-handoff-retry", args=["acme", handoff.pk]))
    assert response.status_code == 302
    again = state(org_a, handoff)
    assert (again.state, again.attempts, again.last_error) == ("pending", 0, "")
    with tenant_context(org_a.organization):
        keys = list(DueWork.objects.order_by("pk").values_list("idempotency_key", flat=True))
    assert keys[0] == f"handoff:{handoff.pk}"
    assert keys[1].startswith(f"handoff:{handoff.pk}:again:")
    second = client.post(reverse("intake-handoff-retry", args=["acme", handoff.pk]), follow=True)
    assert "Only a failed handoff can be tried again." in second.content.decode()


def test_recipients_page_shows_a_webhook_secret_once(org_a: OrgWorld, hook: Any) -> None:
    client = _browser(org_a)
    url = reverse("intake-recipients", args=["acme"])
    response = client.post(
        url, {"kind": "webhook", "address": hook[0], "role": "supervisor", "location": ""}
    )
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    with tenant_context(org_a.organization):
        secret = HandoffRecipient.objects.get().secret
    assert secret in response.content.decode()
    assert secret not in client.get(url).content.decode()
    bad = client.post(url, {"kind": "webhook", "address": "http://x.example", "role": "agent"})
    assert bad.status_code == 400
    assert "Use an https:// URL" in bad.content.decode()


def test_a_recipient_can_be_turned_off(org_a: OrgWorld) -> None:
    created, _ = recipient(org_a, "desk@example.com")
    client = _browser(org_a)
    response = client.post(reverse("intake-recipient-active", args=["acme", created.pk]))
    assert response.status_code == 302
    with tenant_context(org_a.organization):
        assert HandoffRecipient.objects.get().is_active is False


# The acknowledge link ---------------------------------------------------------------------


def _ack_url(handoff: Handoff, token: str | None = None) -> str:
    return reverse("intake-handoff-ack", args=[token or handoffs.ack_token(handoff)])


def test_the_ack_link_works_once(org_a: OrgWorld) -> None:
    recipient(org_a, "desk@example.com")
    (handoff,) = queue(org_a, completed_intake(org_a, location(org_a)))
    deliver(org_a, handoff)
    link = mail.outbox[0].body.split("Acknowledge that you have it: ")[1].strip()
    path = link.removeprefix("https://coverage.example.test")
    client = _browser(org_a, Role.AGENT)
    assert client.get(path).status_code == 200
    assert state(org_a, handoff).state == HandoffState.SENT  # a GET changes nothing
    first = client.post(path, follow=True)
    assert "the handoff is acknowledged" in first.content.decode()
    acknowledged = state(org_a, handoff)
    assert acknowledged.state == HandoffState.ACKNOWLEDGED
    second = client.post(path, follow=True)
    assert "already acknowledged" in second.content.decode()
    assert state(org_a, handoff).acknowledged_at == acknowledged.acknowledged_at


def test_a_tampered_token_is_a_404_and_a_genuine_one_reaches_only_its_handoff(
    org_a: OrgWorld, org_b: OrgWorld
) -> None:
    recipient(org_a, "desk@example.com")
    (mine,) = queue(org_a, completed_intake(org_a, location(org_a)))
    recipient(org_b, "desk@example.com")
    (theirs,) = queue(org_b, completed_intake(org_b, location(org_b)))
    token = handoffs.ack_token(mine)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged = handoffs.ack_token(mine).replace(":", ";", 1)
    client = _browser(org_a)
    for url in (
        _ack_url(mine, token=tampered),
        _ack_url(mine, token=forged),
    ):
        assert client.post(url).status_code == 404, url
    assert state(org_a, mine).state == HandoffState.PENDING
    # Another organisation's genuine token acknowledges that organisation's handoff only.
    assert client.post(_ack_url(theirs)).status_code == 302
    assert state(org_a, mine).state == HandoffState.PENDING
    assert state(org_b, theirs).state == HandoffState.ACKNOWLEDGED


def test_an_expired_token_is_a_404(org_a: OrgWorld) -> None:
    recipient(org_a, "desk@example.com")
    (handoff,) = queue(org_a, completed_intake(org_a, location(org_a)))
    url = _ack_url(handoff)
    later = timezone.now() + timedelta(seconds=handoffs.ACK_MAX_AGE_SECONDS + 60)
    with time_machine.travel(later):
        assert _browser(org_a).get(url).status_code == 404


def test_a_recipient_without_an_account_acknowledges_with_the_link_alone(org_a: OrgWorld) -> None:
    # Catches a link that only works for members: the recipient is often an answering
    # service's desk or a partner firm with no account here.
    recipient(org_a, "desk@example.com")
    (handoff,) = queue(org_a, completed_intake(org_a, location(org_a)))
    url = _ack_url(handoff)
    anonymous = Client()
    page = anonymous.get(url)
    assert page.status_code == 200 and "Acknowledge a handoff" in page.content.decode()
    assert state(org_a, handoff).state == HandoffState.PENDING
    assert anonymous.post(url).status_code == 302
    assert state(org_a, handoff).state == HandoffState.ACKNOWLEDGED


# The API ----------------------------------------------------------------------------------


@pytest.fixture
def api(org_a: OrgWorld) -> Client:
    from tenancy.services import api_key_create

    with tenant_context(org_a.organization):
        _, raw = api_key_create(actor=org_a.tenant(), name="setup", role=Role.SUPERVISOR)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_api_adds_recipients_and_shows_a_secret_once(
    org_a: OrgWorld, org_b: OrgWorld, api: Client
) -> None:
    url = reverse("api-intake-recipients")
    where = location(org_a)
    created = api.post(
        url,
        {
            "kind": "webhook",
            "address": "https://h.example.com/x",
            "role": "qa",
            "location_id": where.pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["location_id"] == where.pk
    assert created["Cache-Control"] == "no-store"
    listed = api.get(url).json()["results"]
    assert [set(r) for r in listed] == [set(body) - {"secret"}]
    foreign = location(org_b)
    refused = api.post(
        url,
        {"kind": "email", "address": "a@example.com", "role": "qa", "location_id": foreign.pk},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"location_id": ["No such location."]}
    wrong = api.post(
        url, {"kind": "email", "address": 5, "role": "boss"}, content_type="application/json"
    )
    assert wrong.status_code == 400
    assert set(wrong.json()["error"]["fields"]) == {"address"}  # JSON types first
    boss = api.post(
        url,
        {"kind": "email", "address": "a@example.com", "role": "boss"},
        content_type="application/json",
    )
    assert set(boss.json()["error"]["fields"]) == {"role"}
    off = api.patch(
        reverse("api-intake-recipient", args=[body["id"]]),
        {"is_active": False},
        content_type="application/json",
    )
    assert off.json()["is_active"] is False


def test_the_api_lists_handoffs_by_state_and_tries_again(org_a: OrgWorld, api: Client) -> None:
    handoff = _failed(org_a)
    failed = api.get(reverse("api-intake-handoffs"), {"state": "failed"}).json()["results"]
    assert [(h["id"], h["state_label"]) for h in failed] == [(handoff.pk, "Failed")]
    assert api.get(reverse("api-intake-handoffs"), {"state": "delivered"}).json()["results"] == []
    assert api.get(reverse("api-intake-handoffs"), {"state": "lost"}).status_code == 400
    again = api.post(reverse("api-intake-handoff-retry", args=[handoff.pk]))
    assert again.status_code == 200
    assert again.json()["state"] == "pending"
    twice = api.post(reverse("api-intake-handoff-retry", args=[handoff.pk]))
    assert twice.status_code == 400
