"""Who answers (tiers), overflow, after hours, alerts and emergency closures."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from routing import document, selectors, services
from routing.capabilities import RoutingCapability
from routing.forms import (
    AfterHoursForm,
    AlertsForm,
    EmergencyForm,
    OverflowForm,
    TierForm,
    attach_errors,
)
from routing.views.base import (
    LOCATION,
    STALE,
    _done,
    _is_current,
    _is_htmx,
    _location_page,
    _save,
    _tenant,
    _url,
)
from routing.views.publishing import _tier_rows
from tenancy.access.pages import GET_POST, POST, tenant_page
from tenancy.models import Location


def _team_choices() -> list[tuple[int, str]]:
    infos = selectors.team_infos()
    return [
        (
            team.id,
            f"{team.name} ({team.member_count} member{'s' if team.member_count != 1 else ''})",
        )
        for team in sorted(infos.values(), key=lambda t: t.name.lower())
    ]


@tenant_page(RoutingCapability.MANAGE_ROUTING, objects=LOCATION)
def tiers(request: HttpRequest, location: Location) -> HttpResponse:
    return _tiers_page(request, location)


def _tiers_page(
    request: HttpRequest,
    location: Location,
    *,
    tier_form: TierForm | None = None,
    overflow_form: OverflowForm | None = None,
    status: int = 200,
) -> HttpResponse:
    routing = services.routing_for(location)
    region = _tenant(request).organization.country
    return _location_page(
        request,
        location,
        "routing/tiers.html#editor" if _is_htmx(request) else "routing/tiers.html",
        "tiers",
        tiers=_tier_rows(routing.draft),
        tier_form=tier_form or TierForm(teams=_team_choices(), region=region),
        overflow_form=overflow_form
        or OverflowForm(
            initial=OverflowForm.initial_from(routing.draft["overflow"]),
            locations=selectors.location_choices(exclude=location),
            region=region,
        ),
        status=status,
    )


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def tier_add(request: HttpRequest, location: Location) -> HttpResponse:
    region = _tenant(request).organization.country
    form = TierForm(request.POST, teams=_team_choices(), region=region)
    if form.is_valid():
        draft = services.routing_for(location).draft
        index = len(draft["tiers"])
        new_doc = document.with_section(draft, "tiers", [*draft["tiers"], form.as_tier()])

        def field_for(path: str) -> str | None:
            prefix = f"tiers.{index}."
            return path.removeprefix(prefix) if path.startswith(prefix) else None

        if _save(request, location, new_doc, form, field_for):
            if _is_htmx(request):
                messages.success(request, "Tier added to the draft.")
                return _tiers_page(request, location)
            return _done(request, "routing-tiers", location, "Tier added to the draft.")
    return _tiers_page(request, location, tier_form=form, status=400)


def _tiers_stale(request: HttpRequest, location: Location) -> HttpResponse:
    messages.warning(request, STALE)
    if _is_htmx(request):
        return _tiers_page(request, location)
    return redirect(_url(request, "routing-tiers", location.pk))


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def tier_delete(request: HttpRequest, location: Location, index: int) -> HttpResponse:
    draft = services.routing_for(location).draft
    if not _is_current(request, draft["tiers"], index):
        return _tiers_stale(request, location)
    services.draft_save(
        actor=_tenant(request),
        location=location,
        document=document.with_item_removed(draft, "tiers", index),
    )
    if _is_htmx(request):
        return _tiers_page(request, location)
    return _done(request, "routing-tiers", location, "Tier removed from the draft.")


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def tier_move(request: HttpRequest, location: Location, index: int) -> HttpResponse:
    draft = services.routing_for(location).draft
    if not _is_current(request, draft["tiers"], index):
        return _tiers_stale(request, location)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.draft_save(
        actor=_tenant(request),
        location=location,
        document=document.with_tier_moved(draft, index, offset),
    )
    if _is_htmx(request):
        return _tiers_page(request, location)
    return _done(request, "routing-tiers", location, "Tier order changed in the draft.")


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def overflow(request: HttpRequest, location: Location) -> HttpResponse:
    region = _tenant(request).organization.country
    form = OverflowForm(
        request.POST, locations=selectors.location_choices(exclude=location), region=region
    )
    if form.is_valid():
        draft = services.routing_for(location).draft
        new_doc = document.with_section(draft, "overflow", form.as_section())
        if _save(request, location, new_doc, form, OverflowForm.field_for):
            return _done(request, "routing-tiers", location, "Overflow saved in the draft.")
    return _tiers_page(request, location, overflow_form=form, status=400)


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=GET_POST, objects=LOCATION)
def after_hours(request: HttpRequest, location: Location) -> HttpResponse:
    draft = services.routing_for(location).draft
    region = _tenant(request).organization.country
    if request.method == "POST":
        form = AfterHoursForm(request.POST, region=region)
        if form.is_valid():
            new_doc = document.with_section(draft, "after_hours", dict(form.cleaned_data))
            if _save(
                request, location, new_doc, form, lambda path: path.removeprefix("after_hours.")
            ):
                return _done(
                    request,
                    "routing-after-hours",
                    location,
                    "After-hours behaviour saved in the draft.",
                )
        return _location_page(
            request, location, "routing/after_hours.html", "after_hours", form=form, status=400
        )
    form = AfterHoursForm(initial=draft["after_hours"], region=region)
    return _location_page(request, location, "routing/after_hours.html", "after_hours", form=form)


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=GET_POST, objects=LOCATION)
def alerts(request: HttpRequest, location: Location) -> HttpResponse:
    draft = services.routing_for(location).draft
    if request.method == "POST":
        form = AlertsForm(request.POST)
        if form.is_valid():
            new_doc = document.with_section(draft, "alerts", dict(form.cleaned_data))
            if _save(request, location, new_doc, form, lambda p: p.removeprefix("alerts.")):
                return _done(request, "routing-alerts", location, "Alerts saved in the draft.")
        return _location_page(
            request, location, "routing/alerts.html", "alerts", form=form, status=400
        )
    form = AlertsForm(initial=draft["alerts"])
    return _location_page(request, location, "routing/alerts.html", "alerts", form=form)


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=GET_POST, objects=LOCATION)
def emergency(request: HttpRequest, location: Location) -> HttpResponse:
    routing = services.routing_for(location)
    zone = ZoneInfo(routing.draft["time_zone"])
    if request.method == "POST":
        form = EmergencyForm(request.POST)
        if form.is_valid():
            until = form.cleaned_data["until"]
            until = timezone.make_naive(until, timezone.get_current_timezone()).replace(tzinfo=zone)
            try:
                services.emergency_start(
                    actor=_tenant(request),
                    location=location,
                    message=form.cleaned_data["message"],
                    until=until,
                )
            except ValidationError as error:
                attach_errors(form, error, lambda path: path)
            else:
                return _done(
                    request,
                    "routing-emergency",
                    location,
                    "Emergency closure is on: calls hear your message now.",
                )
        return _location_page(
            request,
            location,
            "routing/emergency.html",
            "emergency",
            form=form,
            zone=zone,
            status=400,
        )
    initial_until = (timezone.now() + timedelta(hours=4)).astimezone(zone)
    form = EmergencyForm(
        initial={"until": initial_until.replace(tzinfo=None, second=0, microsecond=0)}
    )
    return _location_page(
        request, location, "routing/emergency.html", "emergency", form=form, zone=zone
    )


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def emergency_end(request: HttpRequest, location: Location) -> HttpResponse:
    services.emergency_end(actor=_tenant(request), location=location)
    return _done(
        request,
        "routing-emergency",
        location,
        "Emergency closure ended: calls follow the published rules again.",
    )
