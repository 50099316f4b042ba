"""Behind a transaction-mode connection pooler (README "Production and scaling").

``DATABASE_POOLER=transaction`` turns off what does not survive a pooler that hands each
transaction to any server connection: server-side cursors, and server-side prepared
statements unless ``DATABASE_PREPARED_STATEMENTS=true`` says the pooler keeps them
(PgBouncer 1.22 or newer). The first test runs everywhere; the others run only through
bin/test-pooled, which puts Debian's PgBouncer (1.18: it keeps no prepared statements) in
front of the test database in transaction mode, and they show both sides: with the
setting, signed webhooks, a page and a real worker work through it; without it, the
webhooks fail as soon as two connections share a server connection.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from coverage_platform.postgresql.base import DatabaseWrapper
from coverage_platform.settings import database
from telephony.models import Call, CallEvent
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.telephony.conftest import (  # noqa: F401 (fixtures)
    PUBLIC_BASE_URL,
    TelephonyWorld,
    tel_a,
    telephony_isolation,
)

# bin/test-pooled names the pooler's port and a database alias on it served by a single
# server connection, where two client connections always meet.
POOLER_PORT = os.environ.get("TEST_POOLER_PORT", "")
SINGLE_SERVER_DATABASE = os.environ.get("TEST_POOLER_SINGLE_DATABASE", "")
through_pooler = pytest.mark.skipif(
    not (POOLER_PORT and SINGLE_SERVER_DATABASE), reason="through bin/test-pooled only"
)

INCOMING = "/twilio/voice/incoming"
STATUS = "/twilio/voice/status"


def test_behind_a_transaction_pooler_prepared_statements_and_server_cursors_are_off():
    # Catches the setting losing its effect on the connection options: behind PgBouncer
    # older than 1.22 every webhook would then fail once connections share servers.
    url = "postgres://coverage_app@pooler:6432/coverage"
    direct = database(url, prepared_statements=True, transaction_pooler=False)
    assert direct["OPTIONS"]["prepare_threshold"] == 5
    assert direct["DISABLE_SERVER_SIDE_CURSORS"] is False
    old_pooler = database(url, prepared_statements=False, transaction_pooler=True)
    assert old_pooler["OPTIONS"]["prepare_threshold"] is None
    assert old_pooler["DISABLE_SERVER_SIDE_CURSORS"] is True
    new_pooler = database(url, prepared_statements=True, transaction_pooler=True)
    assert new_pooler["OPTIONS"]["prepare_threshold"] == 5
    assert new_pooler["DISABLE_SERVER_SIDE_CURSORS"] is True


@pytest.mark.django_db
def test_the_connection_follows_the_pooler_setting():
    # Catches a test run through the pooler that did not turn the setting on (it would
    # prove nothing about the setting), or a direct run that lost prepared statements.
    options = connection.settings_dict["OPTIONS"]
    if POOLER_PORT:
        assert str(connection.settings_dict["PORT"]) == POOLER_PORT
        assert settings.DATABASE_POOLER == "transaction"
        assert options["prepare_threshold"] is None
        assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    else:
        prepared = settings.DATABASE_PREPARED_STATEMENTS
        assert options["prepare_threshold"] == (5 if prepared else None)


def incoming_params(tel: TelephonyWorld, call_sid: str) -> dict[str, str]:
    return {
        "AccountSid": tel.account_sid,
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": "+13125550123",
        "To": tel.main_number.e164,
        "ApiVersion": "2010-04-01",
    }


def status_params(tel: TelephonyWorld, call_sid: str) -> dict[str, str]:
    return {
        **incoming_params(tel, call_sid),
        "CallStatus": "completed",
        "CallDuration": "42",
        "SequenceNumber": "3",
        "Timestamp": "Wed, 25 Nov 2026 15:01:00 +0000",
    }


def post_signed(tel: TelephonyWorld, path: str, params: dict[str, str]) -> Any:
    signature = RequestValidator(tel.auth_token).compute_signature(PUBLIC_BASE_URL + path, params)
    client = Client(HTTP_HOST="coverage.example.test")
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature}, secure=True)


def a_call(tel: TelephonyWorld, call_sid: str) -> None:
    """An incoming call and its final status callback, each in transactions of its own."""
    assert post_signed(tel, INCOMING, incoming_params(tel, call_sid)).status_code == 200
    assert post_signed(tel, STATUS, status_params(tel, call_sid)).status_code in (200, 204)


@contextmanager
def connection_as_default(*, name: str, prepared_statements: bool) -> Iterator[DatabaseWrapper]:
    """A connection of its own to database ``name`` on the pooler, as Django's default for
    the block: what another web process's connection is to the pooler."""
    original = connections[DEFAULT_DB_ALIAS]
    settings_dict = copy.deepcopy(original.settings_dict)
    settings_dict["NAME"] = name
    options = database("postgres://x@h/d", prepared_statements=prepared_statements)["OPTIONS"]
    settings_dict["OPTIONS"]["prepare_threshold"] = options["prepare_threshold"]
    wrapper = DatabaseWrapper(settings_dict, alias=DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        connections[DEFAULT_DB_ALIAS] = original


def server_prepared_statements(name: str) -> int:
    with (
        connection_as_default(name=name, prepared_statements=False) as wrapper,
        wrapper.cursor() as cursor,
    ):
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        (count,) = cursor.fetchone()
    return int(count)


def open_server_connections(count: int) -> None:
    """Have the pooler open ``count`` server connections to the test database: as many
    clients in a transaction at once. bin/test-pooled's PgBouncer hands them out in turn
    (``server_round_robin``), so a client's next transactions land on different ones."""
    d = connection.settings_dict
    clients = [
        psycopg.connect(
            host=d["HOST"], port=d["PORT"], dbname=d["NAME"], user=settings.DATABASE_APP_ROLE
        )
        for _ in range(count)
    ]
    for client in clients:
        client.execute("SELECT 1")
    for client in clients:
        client.commit()  # a client gone mid-transaction would take its server with it
        client.close()


@through_pooler
@pytest.mark.django_db(transaction=True)
def test_signed_webhooks_work_through_the_pooler(tel_a):  # noqa: F811
    # Catches a webhook statement that still asks the server to keep something between
    # transactions: the pooler hands each of them to the next server connection in turn.
    # (With DATABASE_PREPARED_STATEMENTS=true this fails: prepared statement "_pg3_0"
    # does not exist.)
    open_server_connections(3)
    for n in range(3):
        a_call(tel_a, f"CA{n:032d}")
    with tenant_context(tel_a.organization_id):
        assert Call.objects.filter(status="completed").count() == 3
        assert CallEvent.objects.count() == 6


@through_pooler
@pytest.mark.django_db(transaction=True)
def test_two_connections_on_one_server_connection_with_the_setting(tel_a):  # noqa: F811
    # Catches the webhook path preparing statements although the setting says not to:
    # two web processes whose transactions meet on one server connection would collide.
    for call_sid in ("CA" + "1" * 32, "CA" + "2" * 32):
        with connection_as_default(name=SINGLE_SERVER_DATABASE, prepared_statements=False):
            a_call(tel_a, call_sid)
    assert server_prepared_statements(SINGLE_SERVER_DATABASE) == 0
    with tenant_context(tel_a.organization_id):
        assert Call.objects.filter(status="completed").count() == 2


@through_pooler
@pytest.mark.django_db(transaction=True)
def test_without_the_setting_the_webhooks_fail_behind_pgbouncer_before_1_21(tel_a):  # noqa: F811
    # The setting's reason, shown: with prepared statements on, the second web process's
    # first webhook tries to prepare its statement under the name the first one left on
    # the shared server connection, and PgBouncer 1.18 does not keep them apart.
    with connection_as_default(name=SINGLE_SERVER_DATABASE, prepared_statements=True):
        a_call(tel_a, "CA" + "3" * 32)
    with (
        connection_as_default(name=SINGLE_SERVER_DATABASE, prepared_statements=True),
        pytest.raises(DatabaseError, match=r'prepared statement "_pg3_\d+" already exists'),
    ):
        post_signed(tel_a, INCOMING, incoming_params(tel_a, "CA" + "4" * 32))
    with tenant_context(tel_a.organization_id):
        assert list(Call.objects.values_list("call_sid", flat=True)) == ["CA" + "3" * 32]


@through_pooler
@pytest.mark.django_db(transaction=True)
def test_a_signed_in_page_works_through_the_pooler(tel_a):  # noqa: F811
    # Catches the browser path (session, tenant resolution, the page's queries) keeping
    # anything on a server connection between transactions.
    client = Client()
    client.force_login(tel_a.world.user(Role.OWNER))
    slug = tel_a.world.organization.slug
    for name, args in (("routing", ()), ("routing-location", (tel_a.location.pk,))):
        response = client.get(reverse(name, args=[slug, *args]))
        assert response.status_code == 200, (name, response.status_code)
