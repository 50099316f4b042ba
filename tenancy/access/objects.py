"""Objects named in a URL, found inside the tenant: the first check of every view.

A view declares each object id its URL carries and where to look for it::

    objects={"location_id": Location}
    objects={"version_id": lambda: RoutingVersion.objects.select_related("location")}

A model is searched through its default manager, which tenant models scope to the
organisation in context; a callable returns a queryset (built per request, since a tenant
queryset cannot be built before a tenant is set). Another organisation's id and a missing
one are then the same 404, checked before any capability, so that a role without access
learns nothing from the answer either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.shortcuts import get_object_or_404

ObjectSource = type[models.Model] | Callable[[], "models.QuerySet[Any, Any]"]
ObjectSources = Mapping[str, ObjectSource]

ID_SUFFIX = "_id"


def object_name(url_kwarg: str) -> str:
    """The name a view receives an object under: its URL parameter without ``_id``."""
    if not url_kwarg.endswith(ID_SUFFIX) or url_kwarg == ID_SUFFIX:
        raise ImproperlyConfigured(
            f"URL object parameters are named <thing>_id (got {url_kwarg!r})."
        )
    return url_kwarg.removesuffix(ID_SUFFIX)


def check_sources(sources: ObjectSources) -> None:
    """Fail at import time, not on the first request, on a misnamed parameter."""
    for url_kwarg in sources:
        object_name(url_kwarg)


def _queryset(source: ObjectSource) -> models.QuerySet[Any, Any]:
    if isinstance(source, type):
        return cast(type[models.Model], source)._default_manager.all()
    return source()


def find_objects(sources: ObjectSources, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Each declared object of the URL by its name (``location_id`` → ``location``); a 404
    for the first id that is not in the tenant's scope."""
    found: dict[str, Any] = {}
    for url_kwarg, source in sources.items():
        if url_kwarg not in kwargs:
            raise ImproperlyConfigured(f"The URL has no {url_kwarg!r} parameter.")
        found[object_name(url_kwarg)] = get_object_or_404(_queryset(source), pk=kwargs[url_kwarg])
    return found
