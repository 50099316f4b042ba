"""Browser pages of the tenancy app: resolve access, call one service or selector, render.

Each view declares its capability, methods and URL objects with ``tenant_page`` (the access
kit): another organisation's objects are a 404 for every role, a member whose role lacks
the capability gets 403, and the view receives its objects already found in the tenant.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.request import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from tenancy import selectors, services
from tenancy.access.pages import GET_POST, POST, TenantRequest, tenant_page
from tenancy.forms import (
    ApiKeyForm,
    InviteMemberForm,
    LocationForm,
    MemberActiveForm,
    MemberRoleForm,
    OrganizationSettingsForm,
    TeamForm,
    TeamMembersForm,
    add_service_errors,
)
from tenancy.middleware import SESSION_ORGANIZATION_KEY
from tenancy.models import ApiKey, Location, Membership, Organization, Team
from tenancy.resolution import member_organizations
from tenancy.roles import Capability, Role


def _posted(request: HttpRequest) -> QueryDict | None:
    """The submitted data, or ``None`` for a GET: an empty POST must still be validated."""
    return request.POST if request.method == "POST" else None


def _org_redirect(request: TenantRequest, url_name: str) -> HttpResponse:
    return redirect(url_name, org_slug=request.tenant.organization.slug)


# Home ------------------------------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to their organisation: the only one, or the one they used last in
    this session; otherwise let them pick."""
    organizations = member_organizations(request.user)
    last_used = request.session.get(SESSION_ORGANIZATION_KEY)
    if len(organizations) == 1:
        return redirect("org-home", org_slug=organizations[0].slug)
    if last_used and any(org.slug == last_used for org in organizations):
        return redirect("org-home", org_slug=last_used)
    return render(request, "home.html", {"choices": organizations})


@tenant_page(Capability.VIEW_ORGANIZATION)
def org_home(request: TenantRequest) -> HttpResponse:
    return render(request, "tenancy/org_home.html", {"overview": selectors.organization_overview()})


# Members ---------------------------------------------------------------------------------


def _members_page(
    request: TenantRequest,
    *,
    invite_form: InviteMemberForm | None = None,
    row_errors: dict[int, str] | None = None,
) -> HttpResponse:
    return render(
        request,
        "tenancy/members.html",
        {
            "members": selectors.member_list(),
            "invite_form": invite_form or InviteMemberForm(),
            "role_choices": Role.choices,
            "row_errors": row_errors or {},
        },
    )


def _member_row(
    request: TenantRequest, membership: Membership, *, error: str = "", notice: str = ""
) -> HttpResponse:
    return render(
        request,
        "tenancy/members.html#member_row",
        {
            "member": membership,
            "role_choices": Role.choices,
            "row_error": error,
            "row_notice": notice,
        },
    )


@tenant_page(Capability.VIEW_MEMBERS)
def members(request: TenantRequest) -> HttpResponse:
    return _members_page(request)


@tenant_page(Capability.MANAGE_MEMBERS, methods=POST)
def member_invite(request: TenantRequest) -> HttpResponse:
    form = InviteMemberForm(request.POST)
    if form.is_valid():
        try:
            membership = services.member_invite(actor=request.tenant, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{membership.user.email} was invited.")
            return _org_redirect(request, "members")
    return _members_page(request, invite_form=form)


def _member_change(
    request: TenantRequest,
    membership: Membership,
    change: Callable[[Membership], Membership],
    notice: str,
) -> HttpResponse:
    """Apply ``change`` to one membership; htmx gets the updated table row back, a plain
    form post gets the page (with the error beside the row, or a notice)."""
    try:
        membership = change(membership)
    except ValidationError as error:
        message = " ".join(error.messages)
        membership.refresh_from_db()
        if request.htmx:
            return _member_row(request, membership, error=message)
        return _members_page(request, row_errors={membership.pk: message})
    own = request.tenant.membership is not None and request.tenant.membership.pk == membership.pk
    if own:
        # Changing one's own role may take this page away: start again from the overview.
        messages.success(request, notice)
        url = reverse("org-home", kwargs={"org_slug": request.tenant.organization.slug})
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        return _member_row(request, membership, notice=notice)
    messages.success(request, f"{membership.user.email}: {notice}")
    return _org_redirect(request, "members")


# Members are found with their user, whose email the row and the notices show.
MEMBER = {"membership_id": selectors.member_list}


@tenant_page(Capability.MANAGE_MEMBERS, methods=POST, objects=MEMBER)
def member_role(request: TenantRequest, membership: Membership) -> HttpResponse:
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        message = " ".join(str(message) for message in form.errors["role"])
        if request.htmx:
            return _member_row(request, membership, error=message)
        return _members_page(request, row_errors={membership.pk: message})
    role = form.cleaned_data["role"]
    return _member_change(
        request,
        membership,
        lambda m: services.member_change_role(actor=request.tenant, membership=m, role=role),
        "Role changed.",
    )


@tenant_page(Capability.MANAGE_MEMBERS, methods=POST, objects=MEMBER)
def member_active(request: TenantRequest, membership: Membership) -> HttpResponse:
    form = MemberActiveForm(request.POST)
    form.is_valid()  # A checkbox cannot be invalid: absent means "deactivate".
    active = bool(form.cleaned_data.get("active"))
    return _member_change(
        request,
        membership,
        lambda m: services.member_set_active(actor=request.tenant, membership=m, active=active),
        "Reactivated." if active else "Deactivated.",
    )


# Locations -------------------------------------------------------------------------------


@tenant_page(Capability.VIEW_ORGANIZATION)
def locations(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "tenancy/locations.html",
        {
            "locations": selectors.location_list(),
            "can_manage": request.tenant.can(Capability.MANAGE_LOCATIONS),
        },
    )


@tenant_page(Capability.MANAGE_LOCATIONS, methods=GET_POST)
def location_create(request: TenantRequest) -> HttpResponse:
    organization = request.tenant.organization
    form = LocationForm(
        _posted(request),
        region=organization.country,
        initial={"time_zone": organization.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            location = services.location_create(actor=request.tenant, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Location “{location.name}” was added.")
            return _org_redirect(request, "locations")
    return render(request, "tenancy/location_form.html", {"form": form, "location": None})


@tenant_page(Capability.MANAGE_LOCATIONS, methods=GET_POST, objects={"location_id": Location})
def location_edit(request: TenantRequest, location: Location) -> HttpResponse:
    initial = {
        "name": location.name,
        "time_zone": location.time_zone,
        "address": location.address,
        "phone": location.phone,
        "is_active": location.is_active,
    }
    form = LocationForm(
        _posted(request),
        region=request.tenant.organization.country,
        editing=True,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.location_update(actor=request.tenant, location=location, **changed)
        except ValidationError as error:
            location.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, f"Location “{location.name}” was saved.")
            return _org_redirect(request, "locations")
    return render(request, "tenancy/location_form.html", {"form": form, "location": location})


# Teams -----------------------------------------------------------------------------------


@tenant_page(Capability.MANAGE_TEAMS)
def teams(request: TenantRequest) -> HttpResponse:
    return render(request, "tenancy/teams.html", {"teams": selectors.team_list()})


@tenant_page(Capability.MANAGE_TEAMS, methods=GET_POST)
def team_create(request: TenantRequest) -> HttpResponse:
    form = TeamForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=request.tenant, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Team “{team.name}” was created. Now add its members.")
            return redirect("team-edit", org_slug=request.tenant.organization.slug, team_id=team.pk)
    return render(request, "tenancy/team_create.html", {"form": form})


def _team_page(
    request: TenantRequest,
    team: Team,
    *,
    form: TeamForm | None = None,
    members_form: TeamMembersForm | None = None,
) -> HttpResponse:
    if form is None:
        form = TeamForm(initial={"name": team.name, "description": team.description})
    if members_form is None:
        members_form = TeamMembersForm(
            memberships=selectors.team_member_candidates(team),
            current=selectors.team_members(team),
        )
    return render(
        request,
        "tenancy/team_edit.html",
        {"team": team, "form": form, "members_form": members_form},
    )


@tenant_page(Capability.MANAGE_TEAMS, methods=GET_POST, objects={"team_id": Team})
def team_edit(request: TenantRequest, team: Team) -> HttpResponse:
    if request.method != "POST":
        return _team_page(request, team)
    form = TeamForm(request.POST, initial={"name": team.name, "description": team.description})
    if form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.team_update(actor=request.tenant, team=team, **changed)
        except ValidationError as error:
            team.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, f"Team “{team.name}” was saved.")
            return redirect("team-edit", org_slug=request.tenant.organization.slug, team_id=team.pk)
    return _team_page(request, team, form=form)


@tenant_page(Capability.MANAGE_TEAMS, methods=POST, objects={"team_id": Team})
def team_members(request: TenantRequest, team: Team) -> HttpResponse:
    members_form = TeamMembersForm(
        request.POST,
        memberships=selectors.team_member_candidates(team),
        current=selectors.team_members(team),
    )
    if members_form.is_valid():
        services.team_set_members(
            actor=request.tenant, team=team, memberships=members_form.ordered_memberships()
        )
        messages.success(request, f"Members of “{team.name}” were saved.")
        return redirect("team-edit", org_slug=request.tenant.organization.slug, team_id=team.pk)
    return _team_page(request, team, members_form=members_form)


# API keys --------------------------------------------------------------------------------


@tenant_page(Capability.MANAGE_API_KEYS)
def api_keys(request: TenantRequest) -> HttpResponse:
    return render(request, "tenancy/api_keys.html", {"api_keys": selectors.api_key_list()})


@tenant_page(Capability.MANAGE_API_KEYS, methods=GET_POST)
def api_key_create(request: TenantRequest) -> HttpResponse:
    form = ApiKeyForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            api_key, raw_key = services.api_key_create(actor=request.tenant, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # The secret is in this response only (never stored, never in a redirect or the
            # session): keep it out of every cache.
            response = render(
                request, "tenancy/api_key_created.html", {"api_key": api_key, "raw_key": raw_key}
            )
            add_never_cache_headers(response)
            return response
    return render(request, "tenancy/api_key_form.html", {"form": form})


@tenant_page(Capability.MANAGE_API_KEYS, methods=POST, objects={"key_id": selectors.api_key_list})
def api_key_revoke(request: TenantRequest, key: ApiKey) -> HttpResponse:
    services.api_key_revoke(actor=request.tenant, api_key=key)
    if request.htmx:
        return render(request, "tenancy/api_keys.html#key_row", {"key": key})
    messages.success(request, f"API key “{key.name}” was revoked.")
    return _org_redirect(request, "api-keys")


# Settings and audit ----------------------------------------------------------------------


def _settings_initial(organization: Organization) -> dict[str, str]:
    return {
        "name": organization.name,
        "time_zone": organization.time_zone,
        "country": organization.country,
        "sms_help_text": organization.sms_help_text,
    }


@tenant_page(Capability.MANAGE_ORGANIZATION, methods=GET_POST)
def org_settings(request: TenantRequest) -> HttpResponse:
    organization = request.tenant.organization
    form = OrganizationSettingsForm(_posted(request), initial=_settings_initial(organization))
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.organization_update(actor=request.tenant, **changed)
        except ValidationError as error:
            organization.refresh_from_db()
            add_service_errors(form, error)
        else:
            messages.success(request, "Settings were saved.")
            return _org_redirect(request, "org-settings")
    return render(request, "tenancy/settings.html", {"form": form})


@tenant_page(Capability.VIEW_AUDIT)
def audit(request: TenantRequest) -> HttpResponse:
    page = selectors.audit_page(
        organization=request.tenant.organization, page=request.GET.get("page")
    )
    return render(request, "tenancy/audit.html", {"page": page})
