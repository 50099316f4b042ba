"""Intake pages: the agent's workspace (home with live calls, starting an intake, the
script form with autosave, protocols and completion)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from intake.capabilities import IntakeCapability
from intake.models import (
    LEAD_DISPOSITIONS,
    Channel,
    Disposition,
    Intake,
    IntakeStatus,
    ScriptVersion,
)
from intake.scripts.answers import visible_field_ids
from intake.scripts.definition import FieldType, parse_date
from intake.scripts.protocols import long_date
from intake.selectors import workspace as selectors
from intake.services import answers as answer_service
from intake.services import intakes as services
from telephony.models import Call
from tenancy.access.pages import GET, GET_POST, POST, tenant_page
from tenancy.models import Location
from tenancy.resolution import Tenant

WORK = IntakeCapability.WORK_INTAKES
POLL_SECONDS = 5


def _tenant(request: HttpRequest) -> Tenant:
    return request.tenant  # type: ignore[attr-defined]


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _url(request: HttpRequest, name: str, *args: Any) -> str:
    return reverse(name, args=[_tenant(request).organization.slug, *args])


def _calls() -> QuerySet[Call]:
    return Call.objects.select_related("contact", "location")


INTAKE = {"intake_id": selectors.intake_for_work}
CALL = {"call_id": _calls}


def _own(request: HttpRequest, intake: Intake) -> Intake:
    if not services.may_work(_tenant(request), intake):
        raise PermissionDenied("This intake is another agent's.")
    return intake


# Home ------------------------------------------------------------------------------------


def _live_context(request: HttpRequest) -> dict[str, Any]:
    tenant = _tenant(request)
    location_ids = selectors.agent_location_ids(tenant)
    live, answered = selectors.live_call_rows(tenant, location_ids=location_ids)
    call_locations = {row.call.location_id for row in (*live, *answered) if row.call.location_id}
    scripts = selectors.scripts_by_location(call_locations) if call_locations else {}
    return {
        "live": [(row, scripts.get(row.call.location_id or 0, [])) for row in live],
        "answered": [(row, scripts.get(row.call.location_id or 0, [])) for row in answered],
        "no_locations": location_ids is not None and not location_ids,
        "poll_seconds": POLL_SECONDS,
        "zone": selectors.zone_of(None, tenant.organization),
    }


@tenant_page(WORK, methods=GET)
def home(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    drafts = selectors.intakes_in_progress(tenant)
    zone = selectors.zone_of(None, tenant.organization)
    return render(
        request,
        "intake/workspace/home.html",
        {
            **_live_context(request),
            "drafts": [(draft, selectors.local_time(draft.updated_at, zone)) for draft in drafts],
        },
    )


@tenant_page(WORK, methods=GET)
def live(request: HttpRequest) -> HttpResponse:
    """The calls block of the home, polled by htmx every few seconds."""
    return render(request, "intake/workspace/_live.html", _live_context(request))


# Starting --------------------------------------------------------------------------------


class StartForm(forms.Form):
    location = forms.TypedChoiceField(label="Location", coerce=int)
    script_version = forms.TypedChoiceField(label="Script", coerce=int)
    channel = forms.ChoiceField(
        label="How the person reached you",
        choices=[(c.value, c.label) for c in Channel if c != Channel.CALL],
    )
    caller_phone = forms.CharField(
        label="Their phone number",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    caller_name = forms.CharField(label="Their name", required=False, max_length=200)

    def __init__(self, *args: Any, locations: list[Location], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locations = {location.pk: location for location in locations}
        self.versions = {v.pk: v for v in selectors.approved_versions_for(None)}
        self.fields["location"].choices = [("", "Choose a location")] + [  # type: ignore[attr-defined]
            (location.pk, location.name) for location in locations
        ]
        self.fields["script_version"].choices = [("", "Choose a script")] + [  # type: ignore[attr-defined]
            (v.pk, f"{v.script.name} (version {v.number})") for v in self.versions.values()
        ]


@tenant_page(WORK, methods=GET_POST)
def start(request: HttpRequest) -> HttpResponse:
    """Start an intake by hand: a walk-in, an email, a web form."""
    tenant = _tenant(request)
    locations = list(Location.objects.filter(is_active=True).order_by("name"))
    form = StartForm(request.POST or None, locations=locations)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                intake = services.intake_start(
                    actor=tenant,
                    script_version=form.versions[data["script_version"]],
                    location=form.locations[data["location"]],
                    channel=data["channel"],
                    caller_phone=data["caller_phone"],
                    caller_name=data["caller_name"],
                )
            except ValidationError as error:
                for key, problems in error.message_dict.items():
                    target = {"script_version_id": "script_version"}.get(key, key)
                    for problem in problems:
                        form.add_error(target if target in form.fields else None, problem)
            else:
                messages.success(request, "Intake started: its draft saves as you type.")
                return redirect(_url(request, "intake-work", intake.pk))
        status = 400
    return render(request, "intake/workspace/start.html", {"form": form}, status=status)


@tenant_page(WORK, methods=POST, objects=CALL)
def start_call(request: HttpRequest, call: Call) -> HttpResponse:
    """Open an intake for a call's caller on the chosen approved script (POST, then the
    form)."""
    tenant = _tenant(request)
    raw = request.POST.get("script_version", "")
    version = None
    if raw.isdigit() and len(raw) < 19:
        version = ScriptVersion.objects.select_related("script").filter(pk=int(raw)).first()
    if version is None:
        messages.error(request, "Choose a script for this call, then open the intake.")
        return redirect(_url(request, "intake-home"))
    try:
        intake = services.intake_start(actor=tenant, script_version=version, call=call)
    except ValidationError as error:
        messages.error(request, " ".join(m for ms in error.message_dict.values() for m in ms))
        return redirect(_url(request, "intake-home"))
    return redirect(_url(request, "intake-work", intake.pk))


# Working ---------------------------------------------------------------------------------


def _form_context(
    request: HttpRequest,
    intake: Intake,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    completion_errors: dict[str, list[str]] | None = None,
    completion: dict[str, str] | None = None,
) -> dict[str, Any]:
    tenant = _tenant(request)
    definition = answer_service.definition_of(intake)
    if values is None:
        values = answer_service.typed_answers(actor=tenant, intake=intake)
    clean_values = {
        **(intake.answers or {}),
        **answer_service.decode(intake.personal_answers),
        **answer_service.decode(intake.health_answers),
    }
    if errors is None:
        errors = {}
    protocols = services.protocols_for(definition, clean_values, intake)
    if protocols.has_conflict_check:
        protocols.conflict_check = services.latest_conflict_check(intake)
    zone = selectors.zone_of(intake.location, intake.organization)
    call = selectors.call_for_intake(intake.call_id)
    return {
        "intake": intake,
        "definition": definition,
        "values": values,
        "errors": errors,
        "visible": visible_field_ids(definition, values),
        "read_aloud": True,
        "protocols": protocols,
        "call": call,
        "call_started": selectors.local_time(
            call.answered_at or call.started_at if call else None, zone
        ),
        "started": selectors.local_time(intake.started_at, zone),
        "zone": zone,
        "dispositions": Disposition.choices,
        "lead_dispositions": sorted(LEAD_DISPOSITIONS),
        "completion": completion
        or {"disposition": intake.disposition, "next_step": intake.next_step},
        "completion_errors": completion_errors or {},
        "answer_errors": [
            (f.id, f.label, errors[f.id]) for f in definition.fields if f.id in errors
        ],
        "urgent_case": intake.urgent and selectors.has_urgent_case(intake),
        "form_error": errors.get("__all__", ""),
    }


@tenant_page(WORK, methods=GET, objects=INTAKE)
def work(request: HttpRequest, intake: Intake) -> HttpResponse:
    intake = _own(request, intake)
    if intake.status == IntakeStatus.COMPLETED:
        return _completed_page(request, intake)
    return render(request, "intake/workspace/work.html", _form_context(request, intake))


def _completed_page(request: HttpRequest, intake: Intake, status: int = 200) -> HttpResponse:
    tenant = _tenant(request)
    definition = answer_service.definition_of(intake)
    shown = answer_service.read_answers(actor=tenant, intake=intake, via=answer_service.VIA_PAGE)
    zone = selectors.zone_of(intake.location, intake.organization)
    rows = []
    for section in definition.sections:
        items = [(f, _display(f, shown[f.id])) for f in section.fields if f.id in shown]
        if items:
            rows.append((section, items))
    return render(
        request,
        "intake/workspace/completed.html",
        {
            "intake": intake,
            "sections": rows,
            "completed": selectors.local_time(intake.completed_at, zone),
            "hidden_text": answer_service.HIDDEN,
        },
        status=status,
    )


def _display(f: Any, value: object) -> str:
    """An answer in words: choice labels, yes or no, an address on one line."""
    if value == answer_service.HIDDEN:
        return answer_service.HIDDEN
    labels = {c.value: c.label for c in f.validation.choices}
    if isinstance(value, str) and f.type in (FieldType.DATE, FieldType.DATETIME):
        day = parse_date(value[:10])
        if day is not None:
            return long_date(day) + (f", {value[11:16]}" if f.type == FieldType.DATETIME else "")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v)
    if isinstance(value, str) and value in labels:
        return labels[value]
    return str(value)


def _revision(request: HttpRequest) -> int | None:
    raw = request.POST.get("revision", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@tenant_page(WORK, methods=GET, objects=INTAKE)
def history(request: HttpRequest, intake: Intake) -> HttpResponse:
    """The caller's history beside the form, loaded by htmx after the form (so the form's
    own render stays lean); a page of its own without JavaScript."""
    intake = _own(request, intake)
    found = selectors.caller_history(
        intake.caller_phone,
        organization=_tenant(request).organization,
        location=intake.location,
        exclude_intake_id=intake.pk,
        exclude_call_id=intake.call_id,
    )
    template = "_history.html" if _is_htmx(request) else "history.html"
    return render(request, f"intake/workspace/{template}", {"history": found, "intake": intake})


@tenant_page(WORK, methods=POST, objects=INTAKE)
def autosave(request: HttpRequest, intake: Intake) -> HttpResponse:
    """Save the whole form as the draft. htmx gets the save's status, each field's error and
    the protocols panel as out-of-band swaps (always 200: htmx swaps only 2xx); a plain
    POST (the "Save draft" button without JavaScript) is redirected back to the form."""
    intake = _own(request, intake)
    tenant = _tenant(request)
    revision = _revision(request)
    definition = answer_service.definition_of(intake)
    context: dict[str, Any] = {"intake": intake, "definition": definition}
    if revision is None:
        context["problem"] = "The form was sent without its revision: reload the page."
    else:
        raw = services.answers_from_form(definition, request.POST)
        try:
            result = services.intake_autosave(
                actor=tenant, intake=intake, revision=revision, answers=raw
            )
        except services.StaleRevision as error:
            context["problem"] = str(error)
        except services.IntakeClosed as error:
            context["problem"] = str(error)
        except ValidationError as error:
            context["problem"] = " ".join(error.messages)
        else:
            zone = selectors.zone_of(intake.location, intake.organization)
            context.update(
                urgent_case=result.case_opened
                or (intake.urgent and selectors.has_urgent_case(intake)),
                unknown=result.errors.get("__all__", ""),
                result=result,
                errors=result.errors,
                protocols=result.protocols,
                saved_at=selectors.local_time(result.saved_at, zone, with_date=False),
                fields=definition.fields,
            )
    if not _is_htmx(request):
        if "problem" in context:
            messages.error(request, context["problem"])
        else:
            messages.success(request, "Draft saved.")
        return redirect(_url(request, "intake-work", intake.pk))
    return render(request, "intake/workspace/_autosave.html", context)


@tenant_page(WORK, methods=POST, objects=INTAKE)
def conflicts(request: HttpRequest, intake: Intake) -> HttpResponse:
    """Run the conflict pre-check on the saved answers' names."""
    intake = _own(request, intake)
    names, check = services.intake_check_conflicts(actor=_tenant(request), intake=intake)
    if not _is_htmx(request):
        if not names:
            messages.error(request, "Type the names to check first.")
        elif check is None:
            messages.error(request, "The conflict check is not available yet.")
        else:
            messages.success(request, "Conflict check done: see the panel beside the form.")
        return redirect(_url(request, "intake-work", intake.pk))
    definition = answer_service.definition_of(intake)
    protocols = services.Protocols(
        conflict_names=names, conflict_check=check, has_conflict_check=True
    )
    return render(
        request,
        "intake/workspace/_conflicts.html",
        {
            "intake": intake,
            "definition": definition,
            "protocols": protocols,
            "checked_now": True,
        },
    )


@tenant_page(WORK, methods=POST, objects=INTAKE)
def complete(request: HttpRequest, intake: Intake) -> HttpResponse:
    intake = _own(request, intake)
    tenant = _tenant(request)
    if intake.status != IntakeStatus.DRAFT:
        messages.error(request, services.CLOSED_MESSAGE)
        return redirect(_url(request, "intake-work", intake.pk))
    definition = answer_service.definition_of(intake)
    raw = services.answers_from_form(definition, request.POST)
    disposition = request.POST.get("disposition", "")
    next_step = request.POST.get("next_step", "")
    version_raw = request.POST.get("script_version_id", "")
    version_id: int | None = None
    if version_raw:
        version_id = int(version_raw) if version_raw.isdigit() and len(version_raw) < 19 else -1
    revision = _revision(request)
    completion = {"disposition": disposition, "next_step": next_step}
    try:
        done = services.intake_complete(
            actor=tenant,
            intake=intake,
            disposition=disposition,
            next_step=next_step,
            answers=raw,
            revision=intake.revision if revision is None else revision,
            script_version_id=version_id,
        )
    except services.IntakeClosed as error:
        messages.error(request, str(error))
        return redirect(_url(request, "intake-work", intake.pk))
    except services.StaleRevision as error:
        messages.error(request, str(error))
        return redirect(_url(request, "intake-work", intake.pk))
    except ValidationError as error:
        problems = error.message_dict
        completion_errors = {
            key: value for key, value in problems.items() if key in ("disposition", "next_step")
        }
        answer_errors = {
            key: " ".join(value) for key, value in problems.items() if definition.has_field(key)
        }
        other = [
            message
            for key, value in problems.items()
            if key not in completion_errors and not definition.has_field(key)
            for message in value
        ]
        if other:
            answer_errors["__all__"] = " ".join(other)
        intake.refresh_from_db()
        context = _form_context(
            request,
            intake,
            values=raw,
            errors=answer_errors,
            completion_errors=completion_errors,
            completion=completion,
        )
        context["refused"] = True
        return render(request, "intake/workspace/work.html", context, status=400)
    notes = {
        "lead": "a lead was created",
        "case": "a case was opened",
        "handoffs": "handoffs are on their way",
    }
    done_words = [notes[key] for key in done.follow_ups if key in notes]
    label = Disposition(done.intake.disposition).label
    text = f"Intake completed as “{label}”"
    text += f": {', '.join(done_words)}." if done_words else "."
    messages.success(request, text)
    return redirect(_url(request, "intake-home"))


urlpatterns: list[URLPattern] = [
    path("", home, name="intake-home"),
    path("live/", live, name="intake-live"),
    path("start/", start, name="intake-start"),
    path("calls/<id:call_id>/start/", start_call, name="intake-start-call"),
    path("<id:intake_id>/", work, name="intake-work"),
    path("<id:intake_id>/history/", history, name="intake-history"),
    path("<id:intake_id>/autosave/", autosave, name="intake-autosave"),
    path("<id:intake_id>/conflicts/", conflicts, name="intake-conflicts"),
    path("<id:intake_id>/complete/", complete, name="intake-complete"),
]
