"""The number directory (``NumberDirectoryEntry``), the one table the webhook resolver reads
before any tenant is known: the services that change numbers and accounts keep it in the
same transaction, its lookup function hands out nothing but an organisation and a number
id, and a tenant can write only its own rows (docs/scaling.md, "Coordinator directories")."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from telephony import directory, services
from telephony.models import NumberDirectoryEntry, PhoneNumber
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def _route_rows(account_sid: str, e164: str | None, number_id: int | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM telephony_number_route(%s, %s, %s)", [account_sid, e164, number_id]
        )
        return cursor.fetchall()


def _resolve(tel, e164: str):
    directory.clear_local_cache()
    return directory.route_for(account_sid=tel.account_sid, e164=e164)


def test_the_lookup_returns_the_organisation_and_number_only(tel_a, tel_b):
    # Catches the definer function handing out the auth token, location or label again:
    # anything it returns is readable by every request before the tenant is known.
    number = tel_a.main_number
    assert _route_rows(tel_a.account_sid, number.e164) == [(tel_a.organization_id, number.pk)]
    assert _route_rows(tel_a.account_sid, None, number.pk) == [(tel_a.organization_id, number.pk)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM telephony_number_route(%s, %s, NULL)", ["", ""])
        assert [column.name for column in cursor.description] == [
            "organization_id",
            "phone_number_id",
        ]


def test_another_subaccount_finds_nothing_for_the_same_number(tel_a, tel_b):
    # Catches a lookup by number alone: org B's subaccount must not resolve org A's number.
    assert _route_rows(tel_b.account_sid, tel_a.main_number.e164) == []
    assert _route_rows(tel_b.account_sid, None, tel_a.main_number.pk) == []


def test_a_deactivated_number_stops_routing_and_comes_back(tel_a):
    # Catches phone_number_update leaving the directory row active (or never restoring it).
    number = tel_a.main_number
    with tenant_context(tel_a.world.organization):
        services.phone_number_update(actor=tel_a.world.tenant(), number=number, is_active=False)
    assert _resolve(tel_a, number.e164) is None
    with tenant_context(tel_a.world.organization):
        services.phone_number_update(actor=tel_a.world.tenant(), number=number, is_active=True)
    route = _resolve(tel_a, number.e164)
    assert route is not None and route.phone_number_id == number.pk


def test_a_changed_number_routes_under_its_new_e164_only(tel_a):
    # Catches the directory keeping the old number after an update.
    number = tel_a.ads_number
    with tenant_context(tel_a.world.organization):
        services.phone_number_update(actor=tel_a.world.tenant(), number=number, e164="+12125550122")
    assert _resolve(tel_a, "+12125550111") is None
    route = _resolve(tel_a, "+12125550122")
    assert route is not None and (route.phone_number_id, route.source_label) == (
        number.pk,
        "Google Ads",
    )


def test_a_new_subaccount_moves_every_number_and_the_old_one_routes_nowhere(tel_a):
    # Catches twilio_account_set leaving the numbers under the old subaccount SID.
    old_sid, new_sid = tel_a.account_sid, "AC" + "c" * 32
    with tenant_context(tel_a.world.organization):
        services.twilio_account_set(
            actor=tel_a.world.tenant(), account_sid=new_sid, auth_token="d" * 32
        )
    directory.clear_local_cache()
    assert directory.route_for(account_sid=old_sid, e164=tel_a.main_number.e164) is None
    route = directory.route_for(account_sid=new_sid, e164=tel_a.main_number.e164)
    assert route is not None and route.organization_id == tel_a.organization_id


def test_the_directory_matches_the_numbers_after_the_services_ran(tel_a, tel_b):
    # Catches a service that writes numbers without rewriting their directory rows.
    for tel in (tel_a, tel_b):
        with tenant_context(tel.world.organization):
            expected = {
                (tel.organization_id, n.pk, tel.account_sid, n.e164, n.is_active)
                for n in PhoneNumber.objects.all()
            }
            stored = set(
                NumberDirectoryEntry.objects.values_list(
                    "organization_id", "phone_number_id", "account_sid", "e164", "is_active"
                )
            )
        assert stored == expected and len(expected) == 2


def test_a_tenant_can_neither_read_nor_write_another_tenants_directory_rows(tel_a, tel_b):
    # Catches the directory without its row-level security: the application role could
    # point org B's number at org A, or list every tenant's numbers.
    with tenant_context(tel_a.world.organization):
        assert set(NumberDirectoryEntry.objects.values_list("organization_id", flat=True)) == {
            tel_a.organization_id
        }
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            NumberDirectoryEntry.objects.create(
                organization_id=tel_b.organization_id,
                phone_number_id=tel_a.main_number.pk,
                account_sid=tel_b.account_sid,
                e164="+14155550199",
                is_active=True,
            )
        assert (
            NumberDirectoryEntry.objects.filter(organization_id=tel_b.organization_id).update(
                is_active=False
            )
            == 0
        )
    assert _route_rows(tel_b.account_sid, tel_b.main_number.e164) != []


def test_a_directory_row_the_tables_do_not_back_routes_nowhere(tel_a):
    # Catches route_for trusting the directory alone: the number and account are checked
    # again inside the tenant, so a stale row cannot route to a deactivated number.
    with tenant_context(tel_a.world.organization):
        PhoneNumber.objects.filter(pk=tel_a.main_number.pk).update(is_active=False)
    assert _route_rows(tel_a.account_sid, tel_a.main_number.e164) != []
    assert _resolve(tel_a, tel_a.main_number.e164) is None
