"""Test-wide fixtures: the application role, and two organisations with a member per role.

The test database is created and migrated by the owner role; every connection then switches
to the application role, so row-level security applies to tests exactly as in production.
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created

from tenancy.context import tenant_context
from tenancy.models import Membership, Organization
from tenancy.resolution import Tenant
from tenancy.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory

DEMO_PASSWORD = "correct-horse-battery"


def drop_connection(raw: Any) -> None:
    """Have the server close a psycopg connection (as a restart or an idle timeout would)
    and wait until its socket shows it."""
    with psycopg.connect(settings.DATABASE_OWNER_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [raw.info.backend_pid])
    select.select([raw.pgconn.socket], [], [], 5)


def _assume_app_role(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "postgresql" and connection.settings_dict["NAME"] != "postgres":
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(settings.DATABASE_APP_ROLE)}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    app_role = connection.ops.quote_name(settings.DATABASE_APP_ROLE)
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # transaction=True tests flush with TRUNCATE and may reset sequences: test-only grants.
        # On Citus (bin/test-citus) a grant on many tables at once must go one node
        # connection at a time; elsewhere the setting is an unused placeholder.
        cursor.execute("SET citus.multi_shard_modify_mode = 'sequential'")
        cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {app_role}")
        cursor.execute(f"GRANT UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app_role}")
    with django_db_blocker.unblock():
        connection.close()
    connection_created.connect(_assume_app_role)
    yield
    connection_created.disconnect(_assume_app_role)
    with django_db_blocker.unblock():
        connection.close()


class OrgWorld:
    """One organisation with an active member in every role."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.members: dict[Role, Membership] = {}
        with tenant_context(organization):
            for role in Role:
                self.members[role] = MembershipFactory.create(
                    organization=organization,
                    role=role,
                    user__username=f"{role}@{organization.slug}.test",
                )

    def tenant(self, role: Role = Role.OWNER) -> Tenant:
        membership = self.members[role]
        return Tenant(organization=self.organization, role=membership.role, membership=membership)

    def user(self, role: Role = Role.OWNER) -> Any:
        return self.members[role].user


@pytest.fixture
def org_a(db: None) -> OrgWorld:
    return OrgWorld(OrganizationFactory.create(slug="acme", name="Acme Legal"))


@pytest.fixture
def org_b(db: None) -> OrgWorld:
    """The standing foreign tenant: nothing of it may ever reach org_a's users."""
    return OrgWorld(OrganizationFactory.create(slug="globex", name="Globex Health"))


@pytest.fixture(autouse=True)
def empty_sign_in_counters() -> None:
    """Each test starts with no failed sign-ins counted (tenancy/sign_in.py), whatever
    earlier tests or runs within the hour did from the same test address."""
    redis.Redis.from_url(settings.SIGN_IN_REDIS_URL).flushdb()
