"""The weekly schedule, holidays and closed dates of a location."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from routing import document, services
from routing.capabilities import RoutingCapability
from routing.config import DAY_NAMES
from routing.forms import (
    BreakForm,
    ClosedDateForm,
    HolidayCalendarForm,
    PeriodForm,
    TimeZoneForm,
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
    item_key,
)
from tenancy.access.pages import GET_POST, POST, tenant_page
from tenancy.models import Location


@tenant_page(RoutingCapability.MANAGE_ROUTING, objects=LOCATION)
def schedule(request: HttpRequest, location: Location) -> HttpResponse:
    return _schedule_page(request, location)


def _schedule_page(
    request: HttpRequest,
    location: Location,
    *,
    period_form: PeriodForm | None = None,
    break_form: BreakForm | None = None,
    tz_form: TimeZoneForm | None = None,
    status: int = 200,
) -> HttpResponse:
    routing = services.routing_for(location)
    context = {
        "period_form": period_form or PeriodForm(prefix="period"),
        "break_form": break_form or BreakForm(prefix="break"),
        "tz_form": tz_form or TimeZoneForm(initial={"time_zone": routing.draft["time_zone"]}),
        "periods": [
            {**p, "index": i, "day": DAY_NAMES[p["day"]], "key": item_key(p)}
            for i, p in enumerate(routing.draft["periods"])
        ],
        "status": status,
    }
    if _is_htmx(request):
        return _location_page(
            request, location, "routing/schedule.html#editor", "schedule", **context
        )
    return _location_page(request, location, "routing/schedule.html", "schedule", **context)


def _periods_field(first_new: int) -> Callable[[str], str | None]:
    def field_for(path: str) -> str | None:
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "periods" and int(parts[1]) >= first_new:
            return {"day": "days"}.get(parts[2], parts[2])
        return None

    return field_for


def _schedule_saved(request: HttpRequest, location: Location, notice: str) -> HttpResponse:
    if _is_htmx(request):
        messages.success(request, notice)
        return _schedule_page(request, location)
    return _done(request, "routing-schedule", location, notice)


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def period_add(request: HttpRequest, location: Location) -> HttpResponse:
    form = PeriodForm(request.POST, prefix="period")
    if form.is_valid():
        draft = services.routing_for(location).draft
        data = form.cleaned_data
        days = [int(day) for day in data["days"]]
        new_doc = document.with_periods_added(draft, days, data["start"], data["end"])
        if _save(request, location, new_doc, form, _periods_field(len(draft["periods"]))):
            return _schedule_saved(request, location, "Open period added to the draft.")
    return _schedule_page(request, location, period_form=form, status=400)


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def break_add(request: HttpRequest, location: Location) -> HttpResponse:
    form = BreakForm(request.POST, prefix="break")
    if form.is_valid():
        draft = services.routing_for(location).draft
        data = form.cleaned_data
        days = [int(day) for day in data["days"]]
        new_doc = document.with_break(draft, days, data["start"], data["end"])
        if new_doc["periods"] == draft["periods"]:
            form.add_error("start", "No open period of those days covers this time.")
        elif _save(request, location, new_doc, form, lambda path: None):
            return _schedule_saved(request, location, "Break added to the draft.")
    return _schedule_page(request, location, break_form=form, status=400)


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def period_delete(request: HttpRequest, location: Location, index: int) -> HttpResponse:
    draft = services.routing_for(location).draft
    if not _is_current(request, draft["periods"], index):
        messages.warning(request, STALE)
        return (
            _schedule_page(request, location)
            if _is_htmx(request)
            else redirect(_url(request, "routing-schedule", location.pk))
        )
    new_doc = document.with_item_removed(draft, "periods", index)
    services.draft_save(actor=_tenant(request), location=location, document=new_doc)
    return _schedule_saved(request, location, "Open period removed from the draft.")


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def time_zone(request: HttpRequest, location: Location) -> HttpResponse:
    form = TimeZoneForm(request.POST)
    if form.is_valid():
        draft = services.routing_for(location).draft
        new_doc = document.with_section(draft, "time_zone", form.cleaned_data["time_zone"])
        if _save(request, location, new_doc, form, lambda path: path):
            return _schedule_saved(request, location, "Time zone changed in the draft.")
    return _schedule_page(request, location, tz_form=form, status=400)


def _holidays_page(
    request: HttpRequest,
    location: Location,
    *,
    calendar_form: HolidayCalendarForm | None = None,
    date_form: ClosedDateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    draft = services.routing_for(location).draft
    holidays = draft["holidays"]
    upcoming: list[tuple[Any, str]] = []
    config, _ = services.draft_config(location)
    if config is not None:
        today = timezone.localdate()
        for offset in range(366):
            day = today + timedelta(days=offset)
            name = config.holidays.closed_because(day)
            if name is not None:
                upcoming.append((day, name))
            if len(upcoming) >= 12:
                break
    return _location_page(
        request,
        location,
        "routing/holidays.html",
        "holidays",
        calendar_form=calendar_form
        or HolidayCalendarForm(
            initial={"country": holidays["country"], "subdivision": holidays["subdivision"]}
        ),
        date_form=date_form or ClosedDateForm(),
        closed_dates=[
            (index, item, item_key(item)) for index, item in enumerate(holidays["closed_dates"])
        ],
        subdivisions=document.subdivisions_of(holidays["country"]),
        upcoming=upcoming,
        status=status,
    )


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=GET_POST, objects=LOCATION)
def holidays(request: HttpRequest, location: Location) -> HttpResponse:
    if request.method == "POST":
        form = HolidayCalendarForm(request.POST)
        if form.is_valid():
            draft = services.routing_for(location).draft
            section = {**draft["holidays"], **form.cleaned_data}
            section["subdivision"] = section["subdivision"].strip().upper()
            new_doc = document.with_section(draft, "holidays", section)
            if _save(request, location, new_doc, form, lambda path: path.removeprefix("holidays.")):
                return _done(
                    request, "routing-holidays", location, "Holiday calendar saved in the draft."
                )
        return _holidays_page(request, location, calendar_form=form, status=400)
    return _holidays_page(request, location)


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def closed_date_add(request: HttpRequest, location: Location) -> HttpResponse:
    form = ClosedDateForm(request.POST)
    if form.is_valid():
        draft = services.routing_for(location).draft
        index = len(draft["holidays"]["closed_dates"])
        new_doc = document.with_closed_date_added(
            draft, form.cleaned_data["date"].isoformat(), form.cleaned_data["label"]
        )

        def field_for(path: str) -> str | None:
            prefix = f"holidays.closed_dates.{index}."
            return path.removeprefix(prefix) if path.startswith(prefix) else None

        if _save(request, location, new_doc, form, field_for):
            return _done(request, "routing-holidays", location, "Closed date added to the draft.")
    return _holidays_page(request, location, date_form=form, status=400)


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=LOCATION)
def closed_date_delete(request: HttpRequest, location: Location, index: int) -> HttpResponse:
    draft = services.routing_for(location).draft
    if not _is_current(request, draft["holidays"]["closed_dates"], index):
        messages.warning(request, STALE)
        return redirect(_url(request, "routing-holidays", location.pk))
    services.draft_save(
        actor=_tenant(request),
        location=location,
        document=document.with_closed_date_removed(draft, index),
    )
    return _done(request, "routing-holidays", location, "Closed date removed from the draft.")
