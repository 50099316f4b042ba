"""Resolves the tenant of browser and API requests and runs the view inside it."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse

from foundation.observability import log_context
from tenancy import resolution
from tenancy.context import tenant_context
from tenancy.resolution import Tenant

BROWSER_PREFIX = "/o/"
API_PREFIX = "/api/v1/"
SESSION_ORGANIZATION_KEY = "organization_slug"


class TenantMiddleware:
    """Browser pages under ``/o/<slug>/`` and API calls under ``/api/v1/`` run inside their
    organisation's tenant context and transaction; a 5xx response rolls that transaction
    back, since Django turns view exceptions into responses before middleware sees them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None  # type: ignore[attr-defined]
        path = request.path_info
        if path.startswith(BROWSER_PREFIX):
            return self._browser(request, path)
        if path.startswith(API_PREFIX):
            return self._api(request)
        return self.get_response(request)

    def _browser(self, request: HttpRequest, path: str) -> HttpResponse:
        slug = path[len(BROWSER_PREFIX) :].split("/", 1)[0]
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        organization = resolution.active_organization(slug)
        if organization is None:
            raise Http404("No such organisation.")
        with tenant_context(organization), log_context(organization_id=organization.pk):
            membership = resolution.membership_for(request.user)
            if membership is None:
                raise Http404("No such organisation.")
            request.tenant = Tenant(  # type: ignore[attr-defined]
                organization=organization, role=membership.role, membership=membership
            )
            if request.session.get(SESSION_ORGANIZATION_KEY) != slug:
                request.session[SESSION_ORGANIZATION_KEY] = slug
            return self._respond(request)

    def _api(self, request: HttpRequest) -> HttpResponse:
        token = resolution.bearer_token(request)
        if token is not None:
            organization_id = resolution.organization_id_from_api_key(token)
            if organization_id is None:
                # Malformed keys fail authentication in the API layer with a 401.
                return self.get_response(request)
            # The key is verified by ApiKeyAuthentication, inside this organisation's scope:
            # a key of another organisation cannot be found there.
            with tenant_context(organization_id), log_context(organization_id=organization_id):
                return self._respond(request)
        slug = request.session.get(SESSION_ORGANIZATION_KEY)
        organization = resolution.active_organization(slug) if slug else None
        if organization is None or not request.user.is_authenticated:
            return self.get_response(request)
        with tenant_context(organization), log_context(organization_id=organization.pk):
            membership = resolution.membership_for(request.user)
            if membership is not None:
                request.tenant = Tenant(  # type: ignore[attr-defined]
                    organization=organization, role=membership.role, membership=membership
                )
            return self._respond(request)

    def _respond(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            transaction.set_rollback(True)
        return response
