"""The telephony tables keep the tenancy rules of docs/architecture.md (checked in the
catalogue)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_every_telephony_tenant_table_has_forced_row_level_security_and_a_policy():
    # Catches a new telephony table added without its EnableRowLevelSecurity line: its rows
    # would be readable by every tenant through raw SQL.
    tables = _rows(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) "
        "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
        "WHERE c.relkind = 'r' AND c.relname LIKE 'telephony\\_%' "
        "AND a.attname = 'organization_id' AND NOT a.attisdropped"
    )
    # Eleven tenant tables and the number directory (telephony_numberdirectory).
    assert len(tables) == 12
    assert [t for t in tables if t[1:] != (True, True, True)] == []


def test_every_telephony_unique_constraint_includes_the_organisation():
    # Catches a global unique constraint (e.g. on CallSid alone): it leaks existence across
    # tenants and cannot be kept when tables are distributed by organisation (Citus).
    offenders = _rows(
        "SELECT con.conname FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
        "WHERE c.relname LIKE 'telephony\\_%' AND con.contype = 'u' AND NOT EXISTS ("
        "  SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
        "  AND a.attnum = ANY (con.conkey) AND a.attname = 'organization_id')"
    )
    assert offenders == []
