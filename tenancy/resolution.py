"""Resolving the tenant of a browser or API request, once, from its URL or credentials.

Another organisation's records must be indistinguishable from records that do not exist:
every failure to resolve an organisation the caller belongs to is a 404.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.http import HttpRequest

from tenancy.models import ApiKey, Membership, Organization
from tenancy.roles import AnyCapability, role_can

API_KEY_PREFIX = "cpk"
# cpk_<organisation id>_<secret>: the organisation id lets the key be looked up inside its
# tenant (the key table is under row-level security); the secret is what proves it.
API_KEY_PATTERN = re.compile(
    rf"^{API_KEY_PREFIX}_(?P<organization_id>[1-9][0-9]{{0,18}})_[A-Za-z0-9_-]{{20,}}$"
)


@dataclass(frozen=True)
class Tenant:
    """Who is acting, for which organisation, in which role."""

    organization: Organization
    role: str
    membership: Membership | None = None
    api_key: ApiKey | None = None

    def can(self, capability: AnyCapability) -> bool:
        return role_can(self.role, capability)


def digest_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def organization_id_from_api_key(raw_key: str) -> int | None:
    match = API_KEY_PATTERN.match(raw_key)
    return int(match["organization_id"]) if match else None


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in {"bearer", "token"} or not token.strip():
        return None
    return token.strip()


def active_organization(slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug, is_active=True).first()


def membership_for(user: AbstractBaseUser | AnonymousUser) -> Membership | None:
    """The user's active membership in the organisation in context."""
    if not user.is_authenticated or not user.is_active:
        return None
    return Membership.objects.select_related("user").filter(user_id=user.pk, is_active=True).first()


def api_key_for(raw_key: str) -> ApiKey | None:
    """The unrevoked key with this secret in the organisation in context."""
    return ApiKey.objects.filter(digest=digest_api_key(raw_key), revoked_at__isnull=True).first()


def member_organizations(user: AbstractBaseUser | AnonymousUser) -> list[Organization]:
    """The active organisations where ``user`` is an active member, across tenants.

    Membership rows are under row-level security, so this reads through the narrow
    SECURITY DEFINER function created in tenancy's migrations.
    """
    if not user.is_authenticated:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tenancy_user_organization_ids(%s)", [user.pk])
        ids = [row[0] for row in cursor.fetchall()]
    return list(Organization.objects.filter(pk__in=ids, is_active=True).order_by("name"))
