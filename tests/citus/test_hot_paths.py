"""The hot paths on a real Citus cluster (bin/test-citus), each statement on one shard
group: the incoming-call webhook and a status callback (which find their tenant in the
number directory on the coordinator, then read only that tenant's shards), the routing
pages a supervisor opens, and the routing API's list and detail endpoints.

Every request runs under ``citus.multi_task_query_log_level = 'error'``: a statement that
Citus sends to every shard (a query that forgot its tenant, a cross-tenant lookup that
reads distributed tables) fails the request and the test. Another tenant with data of its
own is present in each test, so a fan-out would also have rows to find."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from routing import loading
from tenancy import services as tenancy_services
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.routing.test_views import page_cases, url
from tests.telephony.test_webhook_security import INCOMING, incoming_params

pytestmark = pytest.mark.django_db

STATUS = "/twilio/voice/status"
API = "/api/v1/routing"


@contextmanager
def single_shard_only() -> Iterator[None]:
    """Fail any statement in the block that Citus sends to more than one shard."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL citus.multi_task_query_log_level = 'error'")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL citus.multi_task_query_log_level = 'off'")


def test_the_incoming_call_and_its_status_callback_touch_one_shard_group(tel_a, tel_b, twilio):
    # Catches the webhook's tenant lookup reading distributed tables (it fanned out to every
    # shard, and on Citus failed as the NOLOGIN definer), or a webhook statement without
    # the tenant. The first call fills the route cache, the second uses it.
    call_sid = "CA" + "2" * 32
    with single_shard_only():
        response = twilio.post(
            INCOMING, incoming_params(tel_a, call_sid=call_sid), token=tel_a.auth_token
        )
        assert response.status_code == 200, response.content
        again = "CA" + "3" * 32
        response = twilio.post(
            INCOMING, incoming_params(tel_a, call_sid=again), token=tel_a.auth_token
        )
        assert response.status_code == 200, response.content
        status = {**incoming_params(tel_a, call_sid=call_sid), "CallStatus": "completed"}
        status["CallDuration"] = "42"
        assert twilio.post(STATUS, status, token=tel_a.auth_token).status_code in (200, 204)
    with tenant_context(tel_b.world.organization), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM telephony_call")
        assert cursor.fetchone() == (0,)


def test_every_routing_page_a_supervisor_opens_touches_one_shard_group(
    client, routing_a, routing_b
):
    # Catches a routing page with a query that does not name its tenant (a join on id
    # alone, a subquery without the organisation): Citus would ask every shard.
    client.force_login(routing_a.world.user(Role.SUPERVISOR))
    for name, args, allowed in page_cases(routing_a):
        if Role.SUPERVISOR not in allowed:
            continue
        loading.clear_cache()
        with single_shard_only():
            response = client.get(url(routing_a, name, *args))
        assert response.status_code == 200, (name, response.status_code)


def _api_client(world: Any) -> Client:
    with tenant_context(world.organization):
        _, raw = tenancy_services.api_key_create(
            actor=world.tenant(Role.OWNER), name="Citus key", role=Role.SUPERVISOR
        )
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_routing_api_lists_and_details_touch_one_shard_group(routing_a, routing_b):
    # Catches an API list or detail endpoint whose queryset fans out to every shard.
    api = _api_client(routing_a)
    location = routing_a.location.pk
    draft = api.get(f"{API}/locations/{location}/draft/").json()["rules"]
    draft["tiers"] = routing_a.tiers()
    saved = api.put(
        f"{API}/locations/{location}/draft/", {"rules": draft}, content_type="application/json"
    )
    assert saved.status_code == 200
    published = api.post(
        f"{API}/locations/{location}/publish/", {}, content_type="application/json"
    )
    assert published.status_code == 201
    paths = [
        "/locations/",
        f"/locations/{location}/draft/",
        f"/locations/{location}/versions/",
        f"/versions/{published.json()['id']}/",
        f"/locations/{location}/coverage/",
        "/presence/",
        f"/presence/{routing_a.member(Role.AGENT).pk}/",
        "/agents/",
        "/notifications/",
        "/callbacks/",
    ]
    for path in paths:
        loading.clear_cache()
        with single_shard_only():
            response = api.get(API + path)
        assert response.status_code == 200, (path, response.status_code)
