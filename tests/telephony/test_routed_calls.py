"""Calls routed by the routing app through telephony's webhooks: the incoming call gets the
published decision, callbacks keep the version the call started with, the queue offers a
callback and feeds spike alerts, the preview shows exactly what the webhook answers, a
publish reaches other processes, and a simulated day follows the published rules. Each test
names the regression it catches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from celery.signals import task_prerun
from django.db import connection
from django.test.utils import CaptureQueriesContext

from routing import loading
from routing import services as routing_services
from routing.demo import seed_routing
from routing.document import default_document
from routing.engine import QueueState
from routing.models import CallbackRequest, RoutingVersion, SpikeEpisode
from telephony import directory, services, simulator
from telephony.models import (
    Call,
    CallEvent,
    OutboundPurpose,
    OutboundRequest,
    OutboundStatus,
    PhoneNumber,
    Recording,
)
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.routing.worlds import RoutingWorld
from tests.telephony.conftest import PUBLIC_BASE_URL, TEST_ROUTING_REDIS_URL, TwilioSigner

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
NEW_YORK = ZoneInfo("America/New_York")
TUESDAY_10 = datetime(2026, 6, 2, 10, 0, tzinfo=NEW_YORK)
TUESDAY_LUNCH = datetime(2026, 6, 2, 12, 30, tzinfo=NEW_YORK)
INCOMING = "/twilio/voice/incoming"
CALLER = "+13125550123"
BACKUP = {
    "kind": "number",
    "name": "Backup Answering",
    "number": "+13125550199",
    "location_id": None,
}


@dataclass
class Routed:
    """RoutingWorld's Main Office with a Twilio number; its Second Office has a number but
    no published rules."""

    world: RoutingWorld
    account_sid: str
    auth_token: str
    number: PhoneNumber
    other_number: PhoneNumber

    @property
    def organization_id(self) -> int:
        return int(self.world.organization.pk)


@pytest.fixture
def routed(org_a: Any) -> Routed:
    world = RoutingWorld(org_a)
    account_sid, auth_token = "AC" + "e" * 32, "e" * 32
    with tenant_context(world.organization):
        actor = world.tenant(Role.OWNER)
        services.twilio_account_set(actor=actor, account_sid=account_sid, auth_token=auth_token)
        number = services.phone_number_create(
            actor=actor, e164="+12125550150", location=world.location
        )
        other = services.phone_number_create(
            actor=actor, e164="+13035550150", location=world.other_location
        )
    directory.clear_local_cache()
    return Routed(world, account_sid, auth_token, number, other)


def rules(world: RoutingWorld, **changes: Any) -> dict[str, Any]:
    """Weekdays 09:00–12:00 and 13:00–17:00 in New York (a lunch gap), Frontline in order
    then Specialists at once, overflow after 90 s to Backup Answering, voicemail after
    hours."""
    doc = default_document(time_zone="America/New_York", country="US")
    doc["periods"] = [
        {"day": day, "start": start, "end": end}
        for day in range(5)
        for start, end in (("09:00", "12:00"), ("13:00", "17:00"))
    ]
    doc["tiers"] = world.tiers()
    doc["overflow"]["max_wait_seconds"] = 90
    doc["overflow"]["target"] = dict(BACKUP)
    for section, values in changes.items():
        if isinstance(values, dict) and isinstance(doc.get(section), dict):
            doc[section] = {**doc[section], **values}
        else:
            doc[section] = values
    return doc


ALWAYS_OPEN = [{"day": day, "start": "00:00", "end": "24:00"} for day in range(7)]


def publish(world: RoutingWorld, doc: dict[str, Any] | None = None) -> RoutingVersion:
    actor = world.tenant(Role.SUPERVISOR)
    with tenant_context(world.organization):
        routing_services.draft_save(
            actor=actor, location=world.location, document=doc or rules(world)
        )
        return routing_services.routing_publish(actor=actor, location=world.location)


@pytest.fixture
def available(django_capture_on_commit_callbacks: Any) -> Any:
    """Make members available (their Redis mirror written after commit, as in production)."""

    def run(world: RoutingWorld, *roles: Role) -> None:
        with django_capture_on_commit_callbacks(execute=True), tenant_context(world.organization):
            for role in roles:
                routing_services.presence_set(membership=world.member(role), status="available")

    return run


def stamp(at: datetime) -> str:
    return format_datetime(at.astimezone(UTC), usegmt=True)


def voice_params(routed: Routed, call_sid: str, *, at: datetime | None = None, **extra: str):
    params = {
        "AccountSid": routed.account_sid,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "From": CALLER,
        "To": routed.number.e164,
        **extra,
    }
    if at is not None:
        params["Timestamp"] = stamp(at)
    return params


def post(twilio: TwilioSigner, routed: Routed, path: str, params: dict[str, str]) -> Any:
    response = twilio.post(path, params, token=routed.auth_token)
    assert response.status_code in (200, 204), (path, response.status_code)
    return response


def ring(twilio: TwilioSigner, routed: Routed, call_sid: str, at: datetime | None = None):
    params = voice_params(routed, call_sid, at=at, CallStatus="ringing")
    return ElementTree.fromstring(post(twilio, routed, INCOMING, params).content)


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def call_row(routed: Routed, call_sid: str) -> Call:
    with tenant_context(routed.organization_id):
        return Call.objects.get(call_sid=call_sid)


def test_an_incoming_call_gets_the_published_decision_and_records_its_version(
    routed, twilio, available
):
    # Catches the webhook still answering with the interim default, the version not
    # recorded on the call, and routing's callback URLs missing the number (pn) that
    # resolves their tenant.
    version = publish(routed.world)
    available(routed.world, Role.AGENT, Role.SUPERVISOR)
    root = ring(twilio, routed, "CA" + "10" * 16, TUESDAY_10)
    [dial] = list(root)
    assert dial.tag == "Dial"
    assert [(n.tag, n.text) for n in dial] == [("Number", "+12125550111")]
    assert dial.get("timeout") == "20"
    action = dial.get("action", "")
    assert urlsplit(action).path == "/twilio/voice/dial-action"
    assert query(action) == {
        "pn": str(routed.number.pk),
        "step": "tier:0:0",
        "location": str(routed.world.location.pk),
        "version": str(version.pk),
        # The agent this dial rings, so that if they let it ring out they are not rung
        # again on this call.
        "tried": str(routed.world.member(Role.AGENT).pk),
    }
    call = call_row(routed, "CA" + "10" * 16)
    assert call.routing_version_id == version.pk
    assert not call.is_after_hours


def test_after_hours_comes_from_the_decision_and_recording_callbacks_find_their_tenant(
    routed, twilio
):
    # Catches is_after_hours still taken from the interim Monday–Friday 08:00–18:00 rule
    # (12:30 on a Tuesday is open there, closed for lunch here), and recording-status or
    # transcription callbacks (which name no number) that cannot find their organisation.
    version = publish(routed.world)
    call_sid = "CA" + "11" * 16
    root = ring(twilio, routed, call_sid, TUESDAY_LUNCH)
    assert [child.tag for child in root] == ["Say", "Record"]
    record = root.find("Record")
    assert record is not None and record.get("transcribe") == "true"
    for name in ("action", "recordingStatusCallback", "transcribeCallback"):
        assert query(record.get(name, ""))["pn"] == str(routed.number.pk)
        assert query(record.get(name, ""))["version"] == str(version.pk)
    call = call_row(routed, call_sid)
    assert call.is_after_hours and call.routing_version_id == version.pk

    recording = {"RecordingSid": "RE" + "11" * 16, "RecordingDuration": "14"}
    nameless = {"AccountSid": routed.account_sid, "CallSid": call_sid, **recording}
    status_url = record.get("recordingStatusCallback", "")
    assert post(twilio, routed, status_url, {**nameless, "RecordingStatus": "completed"})
    transcript = {"TranscriptionSid": "TR" + "11" * 16, "TranscriptionText": "Call me back"}
    assert post(twilio, routed, record.get("transcribeCallback", ""), {**nameless, **transcript})
    with tenant_context(routed.organization_id):
        stored = Recording.objects.get(recording_sid=recording["RecordingSid"])
        assert (stored.call.call_sid, stored.duration_seconds) == (call_sid, 14)
        assert stored.transcriptions.count() == 1


def test_a_location_without_published_rules_keeps_the_interim_default(routed, twilio):
    # Catches routing's "nothing published" voicemail replacing telephony's default for
    # locations nobody has configured yet, and a version recorded for them.
    publish(routed.world)  # Main Office only; the Second Office has nothing published.
    params = voice_params(routed, "CA" + "12" * 16, at=TUESDAY_10, CallStatus="ringing")
    params["To"] = routed.other_number.e164
    root = ElementTree.fromstring(post(twilio, routed, INCOMING, params).content)
    record = root.find("Record")
    assert record is not None
    assert record.get("action") == f"/twilio/voice/record-action?pn={routed.other_number.pk}"
    assert "Nobody can take your call" in (root.findtext("Say") or "")
    assert call_row(routed, "CA" + "12" * 16).routing_version_id is None


def test_callbacks_keep_the_version_the_call_started_with(routed, twilio, available):
    # Catches callbacks decided with whatever is published now: a publish while a call
    # rings would make it jump to another version's tiers (or drop it).
    first = publish(routed.world)
    available(routed.world, Role.AGENT, Role.SUPERVISOR, Role.OWNER)
    call_sid = "CA" + "13" * 16
    dial = ring(twilio, routed, call_sid, TUESDAY_10).find("Dial")
    assert dial is not None
    # Version 2 rings Specialists only; the call in progress stays on version 1.
    publish(routed.world, rules(routed.world, tiers=routed.world.tiers()[1:]))
    action = dial.get("action", "")
    params = voice_params(routed, call_sid, DialCallStatus="no-answer", DialCallDuration="0")
    root = ElementTree.fromstring(post(twilio, routed, action, params).content)
    next_dial = root.find("Dial")
    assert next_dial is not None
    assert [n.text for n in next_dial] == ["+12125550112"]  # Frontline's next agent
    assert query(next_dial.get("action", ""))["version"] == str(first.pk)
    assert query(next_dial.get("action", ""))["step"] == "tier:0:1"
    # A new call gets version 2: Specialists (the owner's browser).
    fresh = ring(twilio, routed, "CA" + "14" * 16, TUESDAY_10).find("Dial")
    assert fresh is not None and [n.tag for n in fresh] == ["Client"]


def test_the_queue_offers_a_callback_and_the_keypress_webhook_is_stored_once(routed, twilio):
    # Catches the callback-keypress route missing, unsigned or not stored like the other
    # webhooks, a repeated keypress creating two callback requests, and queue callbacks
    # falling back to the interim default instead of routing.
    doc = rules(routed.world, overflow={"callback_offer": True})
    version = publish(routed.world, doc)  # nobody is available: the caller is queued
    call_sid = "CA" + "15" * 16
    enqueue = ring(twilio, routed, call_sid, TUESDAY_10).find("Enqueue")
    assert enqueue is not None
    wait_url, queue_action = enqueue.get("waitUrl", ""), enqueue.get("action", "")
    assert query(wait_url)["version"] == str(version.pk)
    waiting = voice_params(routed, call_sid, QueueTime="20", QueuePosition="1")
    hold = ElementTree.fromstring(post(twilio, routed, wait_url, waiting).content)
    gather = hold.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    keypress_url = gather.get("action", "")
    assert urlsplit(keypress_url).path == "/twilio/voice/callback-keypress"
    assert query(keypress_url)["pn"] == str(routed.number.pk)

    pressed = voice_params(routed, call_sid, Digits="1", QueueTime="25")
    first = post(twilio, routed, keypress_url, pressed)
    again = post(twilio, routed, keypress_url, pressed)
    assert first.content == again.content
    assert [child.tag for child in ElementTree.fromstring(first.content)] == ["Leave"]
    unsigned = TwilioSigner(twilio.client).post(keypress_url, pressed, token=None)
    assert unsigned.status_code == 403
    with tenant_context(routed.organization_id):
        assert CallbackRequest.objects.filter(call_sid=call_sid).count() == 1
        kinds = Counter(
            CallEvent.objects.filter(provider_sid=call_sid).values_list("kind", flat=True)
        )
    assert kinds["voice.callback-keypress"] == 1

    left = voice_params(routed, call_sid, QueueResult="leave", QueueTime="26")
    goodbye = ElementTree.fromstring(post(twilio, routed, queue_action, left).content)
    assert [child.tag for child in goodbye] == ["Say", "Hangup"]
    assert "call you back" in (goodbye.findtext("Say") or "")


@pytest.fixture
def started_tasks() -> Any:
    """Names of the Celery tasks run (inline in these tests), in order."""
    names: list[str] = []

    def record(sender: Any = None, **kwargs: Any) -> None:
        names.append(sender.name)

    task_prerun.connect(record, weak=False)
    yield names
    task_prerun.disconnect(record)


def test_leaving_the_queue_publishes_one_spike_evaluation_that_texts_the_supervisors(
    routed, twilio, prism, started_tasks, django_capture_on_commit_callbacks
):
    # Catches a Celery publish on every webhook (the hot path) or none when a call leaves
    # the queue, a duplicate queue callback evaluating twice, and spike texts not sent as
    # staff alerts through the gateway.
    doc = rules(
        routed.world,
        periods=ALWAYS_OPEN,
        alerts={"max_wait_seconds": 60, "abandonment_percent": None},
    )
    publish(routed.world, doc)  # nobody available: the caller is queued
    call_sid = "CA" + "16" * 16
    with django_capture_on_commit_callbacks(execute=True):
        enqueue = ring(twilio, routed, call_sid).find("Enqueue")
        assert enqueue is not None
        post(twilio, routed, enqueue.get("waitUrl", ""), voice_params(routed, call_sid))
    assert "routing.evaluate_spike" not in started_tasks

    hung_up = voice_params(routed, call_sid, QueueResult="hangup", QueueTime="200")
    with django_capture_on_commit_callbacks(execute=True):
        post(twilio, routed, enqueue.get("action", ""), hung_up)
    with django_capture_on_commit_callbacks(execute=True):
        post(twilio, routed, enqueue.get("action", ""), hung_up)  # Twilio's retry
    assert started_tasks.count("routing.evaluate_spike") == 1
    assert started_tasks.count("routing.send_spike_texts") == 1
    with tenant_context(routed.organization_id):
        episode = SpikeEpisode.objects.get()
        assert episode.peak_wait_seconds == 200
        [text] = OutboundRequest.objects.all()
    assert (text.purpose, text.status) == (OutboundPurpose.STAFF_ALERT, OutboundStatus.SENT)
    assert text.to_e164 == "+12125550112"  # the supervisor's phone


def normalised(element: ElementTree.Element) -> Any:
    """A TwiML tree with callback URLs reduced to their path and routing's parameters:
    the preview shows absolute URLs without a number (pn), the webhook relative ones with
    the number that was called."""

    def value(name: str, raw: str) -> Any:
        parts = urlsplit(raw)
        if parts.path.startswith("/twilio/"):
            params = {k: v for k, v in parse_qs(parts.query).items() if k != "pn"}
            return (parts.path, sorted(params.items()))
        return raw

    return (
        element.tag,
        (element.text or "").strip(),
        sorted((name, value(name, raw)) for name, raw in element.attrib.items()),
        [normalised(child) for child in element],
    )


@pytest.mark.parametrize(
    ("moment", "waiting", "outcome"),
    [
        (TUESDAY_LUNCH, [], "voicemail"),
        (TUESDAY_10, [], "dial"),
        (TUESDAY_10, [65, 20], "forward"),  # waited 75 s > 60 s: overflow to the backup
        (TUESDAY_10, [10], "queue"),  # someone already waits: join the queue
    ],
)
def test_the_preview_shows_what_the_signed_webhook_answers(
    routed, twilio, available, moment, waiting, outcome
):
    # Catches the preview and the call path drifting apart: other rules, another clock,
    # other presence, or queue state read differently by the webhook than the supervisor
    # enters it in the preview.
    publish(routed.world, rules(routed.world, overflow={"max_wait_seconds": 60}))
    available(routed.world, Role.AGENT)
    for index, waited in enumerate(waiting):
        # Callers already in the queue, polled 10 s before the moment.
        queued = voice_params(
            routed, f"CA{index:032x}", at=moment - timedelta(seconds=10), QueueTime=str(waited)
        )
        post(twilio, routed, f"/twilio/voice/queue-wait?pn={routed.number.pk}", queued)
    longest = max(waiting, default=0) + 10 if waiting else 0
    with tenant_context(routed.organization_id):
        preview = routing_services.preview_call(
            location=routed.world.location,
            at=moment,
            queue_state=QueueState(len(waiting), longest),
            source="published",
        )
    assert preview.decision is not None and preview.decision.outcome == outcome
    webhook = ring(twilio, routed, "CA" + "17" * 16, moment)
    assert normalised(webhook) == normalised(ElementTree.fromstring(preview.twiml))
    assert call_row(routed, "CA" + "17" * 16).routing_version_id == preview.decision.version_id


# A process of its own that asks for the published rules on request and says which
# version it got and how many SQL queries that took.
_OTHER_PROCESS = """
import json, sys
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.test.utils import CaptureQueriesContext
from routing import loading
from tenancy.context import tenant_context
organization_id, location_id = int(sys.argv[1]), int(sys.argv[2])
for _ in sys.stdin:
    with tenant_context(organization_id), CaptureQueriesContext(connection) as queries:
        config = loading.published_config(location_id)
        count = len(queries)
    number = config.version_number if config else None
    print(json.dumps({"version": number, "queries": count}), flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_a_publish_reaches_another_process_within_seconds_without_a_query_per_call(org_a):
    # Catches a cache that is invalidated only in the publishing process (another web
    # worker would route calls with the old rules until it restarts), and the per-call
    # generation query coming back on the hot path.
    world = RoutingWorld(org_a)
    publish(world)
    database = connection.settings_dict["NAME"]
    # The server the suite runs on (a Citus coordinator under bin/test-citus), not a fixed one.
    host = connection.settings_dict["HOST"] or "localhost"
    port = connection.settings_dict["PORT"] or 5432
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coverage_platform.settings",
        "DATABASE_URL": f"postgres://coverage_app@{host}:{port}/{database}",
        "REDIS_URL": TEST_ROUTING_REDIS_URL,
        "CACHE_KEY_PREFIX": "cp-test",
        "DJANGO_ENV": "development",
    }
    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _OTHER_PROCESS,
            str(world.organization.pk),
            str(world.location.pk),
        ],
        cwd=ROOT,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdin is not None and other.stdout is not None

    def ask() -> dict[str, Any]:
        assert other.stdin is not None and other.stdout is not None
        other.stdin.write("\n")
        other.stdin.flush()
        return dict(json.loads(other.stdout.readline()))

    try:
        assert ask()["version"] == 1
        cached = ask()
        assert cached == {"version": 1, "queries": 0}
        publish(world, rules(world, periods=[]))  # committed: transaction=True
        published_at = time.monotonic()
        seen = ask()
        while seen["version"] != 2 and time.monotonic() - published_at < 10:
            time.sleep(0.1)
            seen = ask()
        waited = time.monotonic() - published_at
        assert seen["version"] == 2
        assert waited < loading.VERSION_CHECK_SECONDS + 1.5
        assert ask() == {"version": 2, "queries": 0}
    finally:
        other.stdin.close()
        other.wait(timeout=30)


def test_without_redis_every_call_checks_the_published_generation(routed, settings):
    # Catches trusting the in-process cache while the shared publish counter cannot be
    # read: a publish made by another process would then go unseen for a minute.
    version = publish(routed.world)
    settings.ROUTING_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    loading.clear_cache()
    with tenant_context(routed.organization_id):
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                config = loading.published_config(routed.world.location.pk)
            assert config is not None and config.version_id == version.pk
            assert any("generation" in query["sql"] for query in queries.captured_queries)


TUESDAY = date(2026, 6, 2)


def test_a_simulated_day_follows_the_published_rules(
    routed, prism, django_capture_on_commit_callbacks
):
    # Catches the simulator playing its own idea of opening hours and flows instead of the
    # routed TwiML (calls at lunch treated as open; dial actions and queue callbacks sent to
    # URLs without routing's step, location and version), and routed days losing or
    # misclassifying calls.
    world = routed.world
    with django_capture_on_commit_callbacks(execute=True), tenant_context(world.organization):
        [version, _] = seed_routing(actor=world.tenant(Role.OWNER))
    slug = world.organization.slug
    with django_capture_on_commit_callbacks(execute=True):
        report = simulator.simulate_day(
            slug,
            TUESDAY,
            rate=60,
            public_url=PUBLIC_BASE_URL,
            transport=simulator.InProcessTransport(PUBLIC_BASE_URL),
        )
    assert report.errors == 0
    with tenant_context(routed.organization_id):
        every_call = list(Call.objects.all())
        calls = [call for call in every_call if call.location_id == world.location.pk]
        kinds = Counter(CallEvent.objects.values_list("kind", flat=True))
        events = CallEvent.objects.count()
    expected: Counter[str] = Counter()
    for name, count in report.scenarios.items():
        if not name.startswith("text_"):
            expected[simulator.EXPECTED_OUTCOME[name]] += count
    assert Counter(call.outcome for call in every_call) == expected
    assert {call.routing_version_id for call in calls} == {version.pk}
    for call in calls:
        local = call.started_at.astimezone(NEW_YORK).time()
        assert call.is_after_hours == (
            not (local.hour in (9, 10, 11) or local.hour in (13, 14, 15, 16))
        ), (local, call.outcome)
    # Rung, queued and sent on by routing, not by a script.
    assert kinds["voice.dial-action"] and kinds["voice.queue-wait"] and kinds["voice.queue-action"]
    assert {"answered_dial", "after_hours_voicemail"} <= set(report.scenarios)

    with django_capture_on_commit_callbacks(execute=True):
        again = simulator.simulate_day(
            slug,
            TUESDAY,
            rate=60,
            public_url=PUBLIC_BASE_URL,
            transport=simulator.InProcessTransport(PUBLIC_BASE_URL),
        )
    assert again.scenarios == report.scenarios
    with tenant_context(routed.organization_id):
        assert CallEvent.objects.count() == events
