"""API authentication by organisation API key (``Authorization: Bearer cpk_…``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tenancy import resolution
from tenancy.context import get_current_organization_id
from tenancy.models import ApiKey, Organization
from tenancy.resolution import Tenant


class ApiKeyUser:
    """The principal of a request made with an API key: authenticated, not a person."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        token = resolution.bearer_token(request._request)
        if token is None:
            return None
        organization_id = resolution.organization_id_from_api_key(token)
        if organization_id is None or get_current_organization_id() != organization_id:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        api_key = resolution.api_key_for(token)
        organization = Organization.objects.filter(pk=organization_id, is_active=True).first()
        if api_key is None or organization is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        now = timezone.now()
        # One write a minute at most: last-used time is for people, not an audit log.
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            api_key.last_used_at = now
            api_key.save(update_fields=["last_used_at"])
        request._request.tenant = Tenant(  # type: ignore[attr-defined]
            organization=organization, role=api_key.role, api_key=api_key
        )
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenancy.api_auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "Organisation API key"}
