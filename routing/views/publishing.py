"""The overview, preview, publishing, version history and coverage of a location."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from routing import document, loading, selectors, services
from routing.capabilities import RoutingCapability
from routing.config import AfterHoursAction
from routing.coverage import coverage_grid
from routing.diff import rules_diff
from routing.engine import QueueState
from routing.forms import (
    PreviewForm,
    PublishForm,
    attach_errors,
)
from routing.models import RoutingVersion
from routing.views.base import (
    LOCATION,
    VERSION,
    _done,
    _is_htmx,
    _location_page,
    _path_label,
    _tenant,
    _url,
    _week,
    item_key,
)
from tenancy.access.pages import GET_POST, POST, tenant_page
from tenancy.models import Location, Team


@tenant_page(RoutingCapability.VIEW_ROUTING, objects=LOCATION)
def location_overview(request: HttpRequest, location: Location) -> HttpResponse:
    config, draft_errors = services.draft_config(location)
    routing = services.routing_for(location)
    publish_errors: dict[str, list[str]] = {}
    if not draft_errors:
        ctx = selectors.validation_context(location, today=timezone.localdate())
        publish_errors = document.clean_document(routing.draft, ctx, for_publish=True)[1]
    published = routing.published_version
    changes = rules_diff(
        published.rules if published else None,
        routing.draft,
        before_snapshot=published.snapshot if published else None,
        team_names={str(t.pk): t.name for t in Team.objects.all()},
    )
    return _location_page(
        request,
        location,
        "routing/location.html",
        "overview",
        grid=coverage_grid(config) if config else None,
        problems=draft_errors or publish_errors,
        changes=changes,
        publish_form=PublishForm(),
        tiers=_tier_rows(routing.draft),
        after_hours_label=_after_hours_label(routing.draft),
    )


def _tier_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    teams = {t.pk: t.name for t in Team.objects.all()}
    rows = []
    for index, tier in enumerate(doc.get("tiers", [])):
        if tier["kind"] == "team":
            name = tier["name"] or teams.get(tier["team_id"], "A deleted team")
            who = teams.get(tier["team_id"], "deleted team")
        else:
            name, who = tier["name"], tier["number"]
        rows.append({**tier, "index": index, "name": name, "who": who, "key": item_key(tier)})
    return rows


def _after_hours_label(doc: dict[str, Any]) -> str:
    after = doc.get("after_hours", {})
    action = after.get("action")
    if action == AfterHoursAction.FORWARD:
        return f"Forward to {after.get('name') or after.get('number')} ({after.get('number')})"
    if action == AfterHoursAction.VOICEMAIL:
        return "Voicemail with transcription"
    return "Play a message and hang up"


@tenant_page(RoutingCapability.VIEW_ROUTING, methods=GET_POST, objects=LOCATION)
def preview(request: HttpRequest, location: Location) -> HttpResponse:
    routing = services.routing_for(location)
    zone = ZoneInfo(routing.draft["time_zone"])
    result = None
    status = 200
    if request.method == "POST":
        form = PreviewForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            result = services.preview_call(
                location=location,
                at=form.moment(zone),
                queue_state=QueueState(data["waiting"], data["longest_wait_seconds"]),
                source=data["source"],
                presence_mode=data["presence_mode"],
            )
            if result.errors:
                attach_errors(form, ValidationError(result.errors), lambda path: path)
        else:
            status = 400
    else:
        now = timezone.now().astimezone(zone)
        form = PreviewForm(initial={"date": now.date(), "time": now.strftime("%H:%M")})
    template = "routing/preview.html#panel" if _is_htmx(request) else "routing/preview.html"
    return _location_page(
        request, location, template, "preview", form=form, result=result, zone=zone, status=status
    )


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def publish(request: HttpRequest, location: Location) -> HttpResponse:
    form = PublishForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        version = services.routing_publish(actor=_tenant(request), location=location, note=note)
    except ValidationError as error:
        for path, problems in error.message_dict.items():
            for problem in problems:
                messages.error(request, f"Not published — {_path_label(path)}: {problem}")
        url = _url(request, "routing-location", location.pk)
        return HttpResponseClientRedirect(url) if _is_htmx(request) else redirect(url)
    messages.success(request, f"Version {version.number} is live: new calls use it now.")
    return redirect(_url(request, "routing-location", location.pk))


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def discard(request: HttpRequest, location: Location) -> HttpResponse:
    services.draft_discard(actor=_tenant(request), location=location)
    return _done(request, "routing-location", location, "Draft changes discarded.")


@tenant_page(RoutingCapability.VIEW_ROUTING, objects=LOCATION)
def versions(request: HttpRequest, location: Location) -> HttpResponse:
    rows = list(selectors.versions_of(location)[:100])
    history = []
    for index, version in enumerate(rows):
        previous = rows[index + 1] if index + 1 < len(rows) else None
        history.append(
            {
                "version": version,
                "changes": rules_diff(
                    previous.rules if previous else None,
                    version.rules,
                    before_snapshot=previous.snapshot if previous else None,
                    after_snapshot=version.snapshot,
                ),
            }
        )
    return _location_page(request, location, "routing/versions.html", "history", history=history)


@tenant_page(RoutingCapability.VIEW_ROUTING, objects=VERSION)
def version_detail(request: HttpRequest, version: RoutingVersion) -> HttpResponse:
    location = version.location
    previous = selectors.previous_version(version)
    config = loading.version_config(version.pk)
    return _location_page(
        request,
        location,
        "routing/version.html",
        "history",
        version=version,
        previous=previous,
        changes=rules_diff(
            previous.rules if previous else None,
            version.rules,
            before_snapshot=previous.snapshot if previous else None,
            after_snapshot=version.snapshot,
        ),
        grid=coverage_grid(config) if config else None,
        version_week=_week(version.rules),
    )


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=VERSION)
def version_restore(request: HttpRequest, version: RoutingVersion) -> HttpResponse:
    location = version.location
    try:
        restored = services.version_restore(actor=_tenant(request), version=version)
    except ValidationError as error:
        for path, problems in error.message_dict.items():
            for problem in problems:
                messages.error(request, f"Not restored — {_path_label(path)}: {problem}")
        return redirect(_url(request, "routing-version", version.pk))
    messages.success(
        request, f"Version {version.number} restored as version {restored.number}; it is live."
    )
    return redirect(_url(request, "routing-location", location.pk))


@tenant_page(RoutingCapability.VIEW_ROUTING, objects=LOCATION)
def coverage(request: HttpRequest, location: Location) -> HttpResponse:
    source = request.GET.get("source", "draft")
    if source == "published":
        config = loading.published_config(location.pk)
    else:
        source = "draft"
        config, _ = services.draft_config(location)
    return _location_page(
        request,
        location,
        "routing/coverage.html",
        "coverage",
        grid=coverage_grid(config) if config else None,
        source=source,
    )
