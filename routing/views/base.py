"""What every routing page shares: the objects its URLs name, the location page frame,
saving a draft."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from routing import services
from routing.capabilities import RoutingCapability
from routing.config import DAY_NAMES, MINUTES_PER_DAY
from routing.document import parse_minutes
from routing.forms import (
    attach_errors,
)
from routing.models import RoutingVersion
from tenancy.models import Location, Membership
from tenancy.resolution import Tenant


def _versions() -> QuerySet[RoutingVersion]:
    # A version's pages show its location's frame: one query for both.
    return RoutingVersion.objects.select_related("location")


def _agents() -> QuerySet[Membership]:
    # Routing rings active members only; a deactivated member has no dial target to edit.
    return Membership.objects.filter(is_active=True)


# The objects routing URLs name, for tenant_page(objects=…): each is found in the tenant
# before the capability is checked (tenancy.access.objects).
LOCATION = {"location_id": Location}
VERSION = {"version_id": _versions}
AGENT = {"membership_id": _agents}


def _tenant(request: HttpRequest) -> Tenant:
    return request.tenant  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _url(request: HttpRequest, name: str, *args: Any) -> str:
    return reverse(name, args=[_tenant(request).organization.slug, *args])


def _week(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The week at a glance: each day's open periods as positions on a 24-hour bar."""
    days: list[dict[str, Any]] = [{"name": name, "periods": []} for name in DAY_NAMES]
    for index, period in enumerate(doc.get("periods", [])):
        start = parse_minutes(period.get("start"))
        end = parse_minutes(period.get("end"), allow_end_of_day=True)
        if start is None or end is None or end <= start:
            continue
        days[period["day"]]["periods"].append(
            {
                "index": index,
                "label": f"{period['start']}–{period['end']}",
                "left": round(100 * start / MINUTES_PER_DAY, 3),
                "width": round(100 * (end - start) / MINUTES_PER_DAY, 3),
            }
        )
    return days


def _location_page(
    request: HttpRequest, location: Location, template: str, tab: str, **extra: Any
) -> HttpResponse:
    status = extra.pop("status", 200)
    if _is_htmx(request):
        status = 200  # htmx swaps only 2xx answers; errors are shown in the swapped form.
    routing = services.routing_for(location)
    published = routing.published_version
    context = {
        "location": location,
        "routing": routing,
        "draft": routing.draft,
        "published": published,
        "unpublished_changes": published is None or published.rules != routing.draft,
        "emergency_active": services.emergency_active(routing),
        "can_manage": _tenant(request).can(RoutingCapability.MANAGE_ROUTING),
        "tab": tab,
        "week": _week(routing.draft),
        "day_names": DAY_NAMES,
        **extra,
    }
    return render(request, template, context, status=status)


def _save(
    request: HttpRequest,
    location: Location,
    new_doc: dict[str, Any],
    form: Any,
    field_for: Callable[[str], str | None],
) -> bool:
    try:
        services.draft_save(actor=_tenant(request), location=location, document=new_doc)
    except ValidationError as error:
        attach_errors(form, error, field_for)
        return False
    return True


def item_key(item: Any) -> str:
    """A fingerprint of a list item of the draft, posted back with remove and move buttons
    so that a click acts on the item the person saw, not on whatever now has its index."""
    return json.dumps(item, sort_keys=True, separators=(",", ":"))


STALE = "The draft changed in the meantime, so nothing was changed: check the list and try again."


def _is_current(request: HttpRequest, items: list[Any], index: int) -> bool:
    if not 0 <= index < len(items):
        return False
    return request.POST.get("expected") == item_key(items[index])


def _done(request: HttpRequest, url_name: str, location: Location, notice: str) -> HttpResponse:
    messages.success(request, notice)
    return redirect(_url(request, url_name, location.pk))


_SECTION_LABELS = {
    "time_zone": "Schedule",
    "periods": "Schedule",
    "holidays": "Holidays",
    "tiers": "Tiers",
    "overflow": "Overflow",
    "after_hours": "After hours",
    "alerts": "Alerts",
}


def _path_label(path: str) -> str:
    parts = path.split(".")
    label = _SECTION_LABELS.get(parts[0], parts[0])
    if len(parts) > 1 and parts[1].isdigit():
        label += f" {int(parts[1]) + 1}"
    return label
