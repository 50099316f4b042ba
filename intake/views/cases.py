"""Intake pages: leads, appointments, cases with their escalation, and the escalation path.

Every form posts, then redirects (post/redirect/get); a form with errors is shown again
with its messages (400). Times are shown in the location's time zone (the organisation's
for records without a location), with the zone named.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse

from foundation.phones import PhoneNumberField, read_phones_in
from intake.capabilities import IntakeCapability
from intake.models import (
    Case,
    CaseCategory,
    CasePriority,
    EscalationTier,
    Intake,
    Lead,
    LeadStatus,
)
from intake.selectors import cases as selectors
from intake.services import cases as case_services
from intake.services import leads as lead_services
from tenancy.access.pages import GET_POST, POST, TenantRequest, tenant_page
from tenancy.models import Location, Membership

VIEW = IntakeCapability.VIEW_INTAKES
WORK = IntakeCapability.WORK_CASES
SETUP = IntakeCapability.MANAGE_INTAKE_SETUP

LEAD = {"lead_id": Lead}
CASE = {"case_id": Case}
TIER = {"tier_id": EscalationTier}

DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def _url(request: TenantRequest, name: str, *args: Any) -> str:
    return reverse(name, args=[request.tenant.organization.slug, *args])


def _zone(request: TenantRequest) -> str:
    return request.tenant.organization.time_zone


def _intake_url(request: TenantRequest, intake: Intake | None) -> str:
    """The intake's page in the workspace (``intake-work``), for roles that may open it."""
    if intake is None or not request.tenant.can(IntakeCapability.WORK_INTAKES):
        return ""
    try:
        return _url(request, "intake-work", intake.pk)
    except NoReverseMatch:
        return ""


def _apply(form: forms.Form, error: ValidationError) -> None:
    """A service's errors beside the form's fields (others at the top of the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


# Forms: shapes are checked here, before any lookup or service call ------------------------


class LocalDateTimeField(forms.CharField):
    """A wall-clock date and time (``<input type="datetime-local">``), kept naive: the
    service reads it in the location's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        for form in DATETIME_FORMATS:
            try:
                return datetime.strptime(text, form)
            except ValueError:
                continue
        raise ValidationError("Enter a date and time, like 2026-12-03 14:30.")


class LeadFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Every status"), *LeadStatus.choices], required=False)
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every location"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.locations()  # type: ignore[attr-defined]


class LeadMoveForm(forms.Form):
    status = forms.ChoiceField(choices=LeadStatus.choices, label="Move to")
    lost_reason = forms.CharField(
        max_length=lead_services.LOST_REASON_LIMIT,
        required=False,
        label="Why was it lost?",
        help_text="Needed when the lead is lost.",
    )


class AppointmentForm(forms.Form):
    starts_at = LocalDateTimeField(label="Date and time")
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        queryset=None, empty_label=None
    )
    duration_minutes = forms.TypedChoiceField(
        choices=[(m, f"{m} minutes") for m in lead_services.APPOINTMENT_MINUTES],
        coerce=int,
        initial=30,
        label="Length",
    )
    contact_phone = PhoneNumberField(
        required=False, label="Phone", help_text="Leave empty to use the lead's number."
    )

    def __init__(self, *args: Any, region: str = "US", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        places = list(selectors.locations()[:6])
        self.fields["location"].queryset = selectors.locations()  # type: ignore[attr-defined]
        self.fields["starts_at"].help_text = (
            "On the chosen location's clock: "
            + "; ".join(f"{place.name} is in {place.time_zone}" for place in places[:5])
            + ("; …" if len(places) > 5 else "")
            + "."
        )
        read_phones_in(self, region=region)


class CaseFilterForm(forms.Form):
    view = forms.ChoiceField(choices=list(selectors.CASE_VIEWS.items()), required=False)
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every location"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.locations()  # type: ignore[attr-defined]


class CaseForm(forms.Form):
    subject = forms.CharField(max_length=case_services.SUBJECT_LIMIT)
    category = forms.ChoiceField(choices=CaseCategory.choices)
    priority = forms.ChoiceField(
        choices=CasePriority.choices,
        initial=CasePriority.NORMAL,
        help_text="Urgent: 4 hours to resolve. High: 1 day. Normal: 3 days. Low: 7 days.",
    )
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="No location"
    )
    contact_name = forms.CharField(max_length=200, required=False, label="Caller's name")
    contact_phone = PhoneNumberField(required=False, label="Caller's phone")

    def __init__(self, *args: Any, region: str = "US", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.locations()  # type: ignore[attr-defined]
        read_phones_in(self, region=region)


class AssignForm(forms.Form):
    owner: forms.ModelChoiceField[Membership] = forms.ModelChoiceField(
        queryset=None, label="Give to"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.case_owners()  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = selectors.member_name  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=case_services.REASON_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(forms.Form):
    root_cause = forms.ChoiceField(
        choices=[("", "Choose…"), *[(c, c) for c in case_services.ROOT_CAUSES]]
    )
    resolution = forms.CharField(
        max_length=case_services.REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What was done",
    )


class TierAddForm(forms.Form):
    name = forms.CharField(max_length=case_services.TIER_NAME_LIMIT)
    may_decide = forms.CharField(
        max_length=case_services.MAY_DECIDE_LIMIT, required=False, label="May decide"
    )


# Leads ----------------------------------------------------------------------------------


@tenant_page(VIEW)
def leads(request: TenantRequest) -> HttpResponse:
    form = LeadFilterForm(request.GET or None)
    status = 200
    rows = selectors.leads()
    if form.is_bound:
        if form.is_valid():
            rows = selectors.leads(
                status=form.cleaned_data["status"], location=form.cleaned_data["location"]
            )
        else:
            status = 400
            rows = rows.none()
    zone = _zone(request)
    items = []
    for lead in rows[:200]:
        lead_zone = selectors.zone_of(lead.location, zone)
        items.append(
            {
                "lead": lead,
                "created": selectors.in_zone(lead.created_at, lead_zone),
                "zone": lead_zone,
            }
        )
    return render(
        request,
        "intake/cases/leads.html",
        {"form": form, "items": items, "zone": zone},
        status=status,
    )


def _lead_page(
    request: TenantRequest,
    lead: Lead,
    *,
    move_form: LeadMoveForm | None = None,
    book_form: AppointmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    zone = selectors.zone_of(lead.location, _zone(request))
    region = request.tenant.organization.country
    appointments = [
        {
            "appointment": a,
            "when": selectors.in_zone(a.starts_at, a.location.time_zone),
            "zone": a.location.time_zone,
        }
        for a in selectors.lead_appointments(lead)
    ]
    moves = lead_services.allowed_moves(lead)
    if move_form is None:
        move_form = LeadMoveForm()
    move_form.fields["status"].choices = moves  # type: ignore[attr-defined]
    can_book = lead.status not in (LeadStatus.RETAINED, LeadStatus.LOST)
    if book_form is None:
        book_form = AppointmentForm(
            region=region, initial={"location": lead.location_id, "duration_minutes": 30}
        )
    return render(
        request,
        "intake/cases/lead.html",
        {
            "lead": lead,
            "created": selectors.in_zone(lead.created_at, zone),
            "owner": selectors.member_name(lead.owner),
            "intake_url": _intake_url(request, lead.intake),
            "appointments": appointments,
            "moves": moves,
            "move_form": move_form,
            "book_form": book_form if can_book else None,
            "can_work": request.tenant.can(WORK),
            "zone": zone,
        },
        status=status,
    )


@tenant_page(VIEW, objects=LEAD)
def lead_detail(request: TenantRequest, lead: Lead) -> HttpResponse:
    return _lead_page(request, lead)


@tenant_page(WORK, methods=POST, objects=LEAD)
def lead_move(request: TenantRequest, lead: Lead) -> HttpResponse:
    form = LeadMoveForm(request.POST)
    if form.is_valid():
        try:
            lead = lead_services.lead_move(
                actor=request.tenant,
                lead=lead,
                status=form.cleaned_data["status"],
                lost_reason=form.cleaned_data["lost_reason"],
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, f"The lead is now “{lead.get_status_display()}”.")
            return redirect(_url(request, "intake-lead", lead.pk))
    return _lead_page(request, lead, move_form=form, status=400)


@tenant_page(WORK, methods=POST, objects=LEAD)
def lead_book(request: TenantRequest, lead: Lead) -> HttpResponse:
    form = AppointmentForm(request.POST, region=request.tenant.organization.country)
    if form.is_valid():
        data = form.cleaned_data
        try:
            appointment = lead_services.appointment_book(
                actor=request.tenant,
                lead=lead,
                starts_at=data["starts_at"],
                location=data["location"],
                duration_minutes=data["duration_minutes"],
                contact_phone=data["contact_phone"],
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            when = selectors.in_zone(appointment.starts_at, appointment.location.time_zone)
            messages.success(
                request,
                f"Appointment booked for {when} ({appointment.location.time_zone}) at "
                f"{appointment.location.name}.",
            )
            return redirect(_url(request, "intake-lead", lead.pk))
    return _lead_page(request, lead, book_form=form, status=400)


@tenant_page(VIEW)
def appointments(request: TenantRequest) -> HttpResponse:
    form = LeadFilterForm(request.GET or None)
    location = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            location = form.cleaned_data["location"]
        else:
            status = 400
    groups: dict[int, dict[str, Any]] = {}
    for appointment in selectors.upcoming_appointments(location=location)[:500]:
        place = appointment.location
        group = groups.setdefault(place.pk, {"location": place, "rows": []})
        group["rows"].append(
            {
                "appointment": appointment,
                "when": selectors.in_zone(appointment.starts_at, place.time_zone),
            }
        )
    return render(
        request,
        "intake/cases/appointments.html",
        {"form": form, "groups": list(groups.values())},
        status=status,
    )


# Cases ----------------------------------------------------------------------------------


@tenant_page(VIEW)
def cases(request: TenantRequest) -> HttpResponse:
    form = CaseFilterForm(request.GET or None)
    view, location, status = "open", None, 200
    if form.is_bound:
        if form.is_valid():
            view = form.cleaned_data["view"] or "open"
            location = form.cleaned_data["location"]
        else:
            status = 400
    membership = request.tenant.membership
    zone = _zone(request)
    rows = [
        {
            "case": case,
            "zone": selectors.zone_of(case.location, zone),
            "resolve_by": selectors.in_zone(
                case.resolve_by, selectors.zone_of(case.location, zone)
            ),
            "overdue": selectors.is_overdue(case),
            "owner": selectors.member_name(case.owner),
        }
        for case in selectors.cases(view=view, location=location, member=membership)[:200]
    ]
    counts = selectors.case_counts(membership)
    tabs = [
        {"value": value, "label": label, "count": counts.get(value)}
        for value, label in selectors.CASE_VIEWS.items()
    ]
    return render(
        request,
        "intake/cases/cases.html",
        {
            "form": form,
            "rows": rows,
            "view": view,
            "view_label": selectors.CASE_VIEWS[view],
            "tabs": tabs,
            "location": location,
            "can_work": request.tenant.can(WORK),
        },
        status=status,
    )


@tenant_page(WORK, methods=GET_POST)
def case_create(request: TenantRequest) -> HttpResponse:
    region = request.tenant.organization.country
    form = CaseForm(request.POST or None, region=region)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_services.open_case(actor=request.tenant, **data)
        except ValidationError as error:
            _apply(form, error)
        else:
            if case.reopened_count and case.status == "reopened":
                messages.success(
                    request,
                    "This caller had the same kind of case resolved recently: it was reopened "
                    "instead of opening another.",
                )
            else:
                messages.success(request, "Case opened.")
            return redirect(_url(request, "intake-case", case.pk))
    status = 400 if request.method == "POST" else 200
    return render(request, "intake/cases/case_form.html", {"form": form}, status=status)


def _case_page(
    request: TenantRequest,
    case: Case,
    *,
    forms_: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    zone = selectors.zone_of(case.location, _zone(request))
    bound = forms_ or {}
    path_tiers = selectors.escalation_path()
    at_last = bool(path_tiers) and case.tier_id == path_tiers[-1].pk
    events = [
        {"event": event, "when": selectors.in_zone(event.at, zone)}
        for event in selectors.case_events(case)
    ]
    return render(
        request,
        "intake/cases/case.html",
        {
            "case": case,
            "zone": zone,
            "opened": selectors.in_zone(case.created_at, zone),
            "resolve_by": selectors.in_zone(case.resolve_by, zone),
            "resolved_at": selectors.in_zone(case.resolved_at, zone),
            "overdue": selectors.is_overdue(case),
            "owner": selectors.member_name(case.owner),
            "events": events,
            "path": path_tiers,
            "at_last": at_last,
            "intake_url": _intake_url(request, case.intake),
            "is_resolved": case.status == "resolved",
            "can_work": request.tenant.can(WORK),
            "assign_form": bound.get("assign") or AssignForm(initial={"owner": case.owner_id}),
            "escalate_form": bound.get("escalate") or ReasonForm(prefix="escalate"),
            "resolve_form": bound.get("resolve") or ResolveForm(),
            "reopen_form": bound.get("reopen") or ReasonForm(prefix="reopen"),
        },
        status=status,
    )


@tenant_page(VIEW, objects=CASE)
def case_detail(request: TenantRequest, case: Case) -> HttpResponse:
    return _case_page(request, case)


@tenant_page(WORK, methods=POST, objects=CASE)
def case_assign(request: TenantRequest, case: Case) -> HttpResponse:
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            case_services.assign(actor=request.tenant, case=case, owner=form.cleaned_data["owner"])
        except ValidationError as error:
            _apply(form, error)
        else:
            name = selectors.member_name(form.cleaned_data["owner"])
            messages.success(request, f"The case is now {name}'s.")
            return redirect(_url(request, "intake-case", case.pk))
    return _case_page(request, case, forms_={"assign": form}, status=400)


@tenant_page(WORK, methods=POST, objects=CASE)
def case_escalate(request: TenantRequest, case: Case) -> HttpResponse:
    form = ReasonForm(request.POST, prefix="escalate")
    if form.is_valid():
        try:
            case = case_services.escalate(
                actor=request.tenant, case=case, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            tier = case.tier.name if case.tier else ""
            messages.success(request, f"Escalated to {tier}.")
            return redirect(_url(request, "intake-case", case.pk))
    return _case_page(request, case, forms_={"escalate": form}, status=400)


@tenant_page(WORK, methods=POST, objects=CASE)
def case_resolve(request: TenantRequest, case: Case) -> HttpResponse:
    form = ResolveForm(request.POST)
    if form.is_valid():
        if request.POST.get("confirm") != "yes":
            # The confirmation step: the same values, posted again with confirm=yes.
            return render(
                request, "intake/cases/resolve_confirm.html", {"case": case, "form": form}
            )
        try:
            case_services.resolve(actor=request.tenant, case=case, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, "Case resolved.")
            return redirect(_url(request, "intake-case", case.pk))
    return _case_page(request, case, forms_={"resolve": form}, status=400)


@tenant_page(WORK, methods=POST, objects=CASE)
def case_reopen(request: TenantRequest, case: Case) -> HttpResponse:
    form = ReasonForm(request.POST, prefix="reopen")
    if form.is_valid():
        try:
            case_services.reopen(
                actor=request.tenant, case=case, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, "Case reopened.")
            return redirect(_url(request, "intake-case", case.pk))
    return _case_page(request, case, forms_={"reopen": form}, status=400)


# The escalation path ---------------------------------------------------------------------


def _tiers_page(
    request: TenantRequest,
    *,
    errors: dict[str, list[str]] | None = None,
    posted: dict[str, str] | None = None,
    add_form: TierAddForm | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    rows = []
    for tier in selectors.escalation_path():
        prefix = f"tier-{tier.pk}-"
        rows.append(
            {
                "tier": tier,
                "name": (posted or {}).get(prefix + "name", tier.name),
                "may_decide": (posted or {}).get(prefix + "may_decide", tier.may_decide),
                "name_errors": errors.get(prefix + "name", []),
                "may_decide_errors": errors.get(prefix + "may_decide", []),
            }
        )
    return render(
        request,
        "intake/cases/tiers.html",
        {
            "rows": rows,
            "form_errors": errors.get("__all__", []),
            "add_form": add_form or TierAddForm(),
            "defaults": case_services.DEFAULT_TIERS,
        },
        status=status,
    )


@tenant_page(SETUP, methods=GET_POST)
def tiers(request: TenantRequest) -> HttpResponse:
    if request.method == "GET":
        return _tiers_page(request)
    if request.POST.get("action") == "default":
        case_services.tier_default_path(actor=request.tenant)
        messages.success(request, "The default escalation path is set up.")
        return redirect(_url(request, "intake-tiers"))
    changes: dict[int, tuple[str, str]] = {}
    for tier in selectors.escalation_path():
        prefix = f"tier-{tier.pk}-"
        if prefix + "name" in request.POST:
            changes[tier.pk] = (
                request.POST.get(prefix + "name", ""),
                request.POST.get(prefix + "may_decide", ""),
            )
    if not changes:
        return _tiers_page(
            request, errors={"__all__": ["Nothing to save: change a tier first."]}, status=400
        )
    try:
        case_services.tiers_save(actor=request.tenant, changes=changes)
    except ValidationError as error:
        return _tiers_page(
            request, errors=error.message_dict, posted=request.POST.dict(), status=400
        )
    messages.success(request, "Escalation path saved.")
    return redirect(_url(request, "intake-tiers"))


@tenant_page(SETUP, methods=POST)
def tier_add(request: TenantRequest) -> HttpResponse:
    form = TierAddForm(request.POST)
    if form.is_valid():
        try:
            tier = case_services.tier_add(actor=request.tenant, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, f"{tier.name} added as tier {tier.level}.")
            return redirect(_url(request, "intake-tiers"))
    return _tiers_page(request, add_form=form, status=400)


@tenant_page(SETUP, methods=POST, objects=TIER)
def tier_delete(request: TenantRequest, tier: EscalationTier) -> HttpResponse:
    # The button posts the name it showed, so that a click removes the tier the person saw.
    if request.POST.get("expected") != tier.name:
        return _tiers_page(
            request,
            errors={"__all__": ["The path changed in the meantime: check it and try again."]},
            status=400,
        )
    try:
        case_services.tier_remove(actor=request.tenant, tier=tier)
    except ValidationError as error:
        return _tiers_page(request, errors=error.message_dict, status=400)
    messages.success(request, f"{tier.name} removed from the escalation path.")
    return redirect(_url(request, "intake-tiers"))


urlpatterns = [
    path("leads/", leads, name="intake-leads"),
    path("leads/<id:lead_id>/", lead_detail, name="intake-lead"),
    path("leads/<id:lead_id>/status/", lead_move, name="intake-lead-move"),
    path("leads/<id:lead_id>/appointments/", lead_book, name="intake-lead-book"),
    path("appointments/", appointments, name="intake-appointments"),
    path("cases/", cases, name="intake-cases"),
    path("cases/new/", case_create, name="intake-case-create"),
    path("cases/<id:case_id>/", case_detail, name="intake-case"),
    path("cases/<id:case_id>/assign/", case_assign, name="intake-case-assign"),
    path("cases/<id:case_id>/escalate/", case_escalate, name="intake-case-escalate"),
    path("cases/<id:case_id>/resolve/", case_resolve, name="intake-case-resolve"),
    path("cases/<id:case_id>/reopen/", case_reopen, name="intake-case-reopen"),
    path("escalation-path/", tiers, name="intake-tiers"),
    path("escalation-path/add/", tier_add, name="intake-tier-add"),
    path("escalation-path/<id:tier_id>/delete/", tier_delete, name="intake-tier-delete"),
]
