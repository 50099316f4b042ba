"""The decorator of every browser page under ``/o/<org_slug>/``.

``TenantMiddleware`` has resolved ``request.tenant`` (an organisation the user is not an
active member of is a 404 before any view runs). ``tenant_page`` then applies the kit's
order: the URL's organisation is the tenant's, the URL's objects are found in it (404),
the role holds the capability (403), the method is allowed (405). The view receives the
objects, not their ids::

    @tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects={"location_id": Location})
    def publish(request: TenantRequest, location: Location) -> HttpResponse: ...
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django_htmx.middleware import HtmxDetails

from tenancy.access.objects import ID_SUFFIX, ObjectSources, check_sources, find_objects
from tenancy.resolution import Tenant
from tenancy.roles import AnyCapability

GET = ("GET", "HEAD")
POST = ("POST",)
GET_POST = ("GET", "HEAD", "POST")


class TenantRequest(HttpRequest):
    """What the middleware (the tenant's and django-htmx's) adds to a request, for type
    checking."""

    tenant: Tenant
    htmx: HtmxDetails


TenantView = Callable[Concatenate[TenantRequest, ...], HttpResponse]


def tenant_page(
    capability: AnyCapability,
    *,
    methods: tuple[str, ...] = GET,
    objects: ObjectSources | None = None,
) -> Callable[[TenantView], Callable[..., HttpResponse]]:
    """Let the view run only for a member of the URL's organisation whose role holds
    ``capability``, with the URL's objects (``objects``, see ``tenancy.access.objects``)
    found in that organisation and passed in by name (``location_id`` → ``location``).

    Every URL parameter ending in ``_id`` must be declared in ``objects``: a view cannot
    receive a bare id and forget to look it up in the tenant.
    """
    sources = dict(objects or {})
    check_sources(sources)

    def decorator(view: TenantView) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, org_slug: str, **kwargs: Any) -> HttpResponse:
            tenant: Tenant | None = getattr(request, "tenant", None)
            if tenant is None or tenant.organization.slug != org_slug:
                raise Http404("No such organisation.")
            undeclared = [k for k in kwargs if k.endswith(ID_SUFFIX) and k not in sources]
            if undeclared:
                raise ImproperlyConfigured(
                    f"{view.__qualname__} must declare the URL objects {undeclared} in objects."
                )
            found = find_objects(sources, kwargs)
            if not tenant.can(capability):
                raise PermissionDenied
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            rest = {name: value for name, value in kwargs.items() if name not in sources}
            return view(request, **rest, **found)  # type: ignore[arg-type]

        return wrapped

    return decorator
