"""The routing home, agents' presence and dial targets, notifications."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from routing import selectors, services
from routing.capabilities import RoutingCapability
from routing.forms import (
    AgentProfileForm,
    PresenceForm,
    attach_errors,
)
from routing.views.base import AGENT, _is_htmx, _tenant, _url
from tenancy.access.pages import GET_POST, POST, tenant_page
from tenancy.models import Membership


@tenant_page(RoutingCapability.VIEW_ROUTING)
def home(request: HttpRequest) -> HttpResponse:
    membership = _tenant(request).membership
    return render(
        request,
        "routing/home.html",
        {
            "rows": selectors.location_rows(),
            "board": selectors.presence_board(),
            "notifications": selectors.notifications_for(membership, limit=5),
            "unread": selectors.unread_count(membership),
            "callbacks": selectors.open_callbacks()[:20],
            "can_manage": _tenant(request).can(RoutingCapability.MANAGE_ROUTING),
        },
    )


@tenant_page(RoutingCapability.SET_OWN_PRESENCE, methods=GET_POST)
def presence(request: HttpRequest) -> HttpResponse:
    membership = _tenant(request).membership
    if membership is None:
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        form = PresenceForm(request.POST)
        if form.is_valid():
            services.presence_set(membership=membership, status=form.cleaned_data["status"])
        else:
            error = "Choose one of the statuses."
    context = {
        "current": selectors.presence_of(membership),
        "statuses": PresenceForm.base_fields["status"].choices,  # type: ignore[attr-defined]
        "error": error,
    }
    if _is_htmx(request):
        return render(request, "routing/presence.html#panel", context)
    if request.method == "POST" and not error:
        return redirect(_url(request, "routing-presence"))
    return render(request, "routing/presence.html", context, status=400 if error else 200)


@tenant_page(RoutingCapability.MANAGE_ROUTING)
def agents(request: HttpRequest) -> HttpResponse:
    return _agents_page(request)


def _agents_page(
    request: HttpRequest, *, errors: dict[int, AgentProfileForm] | None = None, status: int = 200
) -> HttpResponse:
    region = _tenant(request).organization.country
    rows = []
    for row in selectors.agent_rows():
        form = (errors or {}).get(row.membership.pk) or AgentProfileForm(
            region=region,
            prefix=f"m{row.membership.pk}",
            initial={
                "phone": row.profile.phone if row.profile else "",
                "client_identity": row.profile.client_identity if row.profile else "",
            },
        )
        rows.append({"row": row, "form": form})
    return render(request, "routing/agents.html", {"rows": rows}, status=status)


@tenant_page(RoutingCapability.MANAGE_ROUTING, methods=POST, objects=AGENT)
def agent_edit(request: HttpRequest, membership: Membership) -> HttpResponse:
    region = _tenant(request).organization.country
    form = AgentProfileForm(request.POST, region=region, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            services.agent_profile_set(
                actor=_tenant(request), membership=membership, **form.cleaned_data
            )
        except ValidationError as error:
            attach_errors(form, error, lambda path: path)
        else:
            messages.success(
                request,
                f"Dial target saved for {selectors.member_name(membership)}. Publish the "
                "locations that ring them to use it.",
            )
            return redirect(_url(request, "routing-agents"))
    return _agents_page(request, errors={membership.pk: form}, status=400)


@tenant_page(RoutingCapability.VIEW_ROUTING)
def notifications(request: HttpRequest) -> HttpResponse:
    membership = _tenant(request).membership
    return render(
        request,
        "routing/notifications.html",
        {"notifications": selectors.notifications_for(membership, limit=200)},
    )


@tenant_page(RoutingCapability.VIEW_ROUTING, methods=POST)
def notifications_read(request: HttpRequest) -> HttpResponse:
    membership = _tenant(request).membership
    if membership is not None:
        services.notification_mark_read(membership=membership)
    return redirect(_url(request, "routing-notifications"))
