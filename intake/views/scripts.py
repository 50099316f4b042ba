"""Intake pages: scripts — the list, a script's page and history, the builder of its draft,
the preview of what agents see, approving and retiring versions.

Each edit in the builder makes the whole next definition and hands it to the service, which
reads it with ``parse_definition``: a bad edit is refused with every problem shown and
nothing saved. htmx swaps the builder in place; without it every form posts and redirects.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import URLPattern, path, reverse

from intake.capabilities import IntakeCapability
from intake.models import Script, ScriptVersion, VersionStatus
from intake.scripts.answers import visible_field_ids
from intake.scripts.definition import (
    CHOICE_TYPES,
    ID_FORM,
    TEXT_TYPES,
    Condition,
    ConditionKind,
    Definition,
    DefinitionError,
    Field,
    FieldType,
    Sensitivity,
    approval_problems,
    is_number,
    parse_definition,
)
from intake.scripts.templates import TEMPLATES
from intake.selectors import scripts as selectors
from intake.services import scripts as services
from tenancy.access.pages import GET, GET_POST, POST, TenantRequest, tenant_page
from tenancy.models import Location

MANAGE = IntakeCapability.MANAGE_SCRIPTS
APPROVE = IntakeCapability.APPROVE_SCRIPTS

SCRIPT = {"script_id": Script}
VERSION = {"version_id": lambda: ScriptVersion.objects.select_related("script")}

FIELD_TYPE_LABELS: dict[str, str] = {
    FieldType.SHORT_TEXT: "Short text",
    FieldType.LONG_TEXT: "Long text",
    FieldType.PHONE: "Phone number",
    FieldType.EMAIL: "Email address",
    FieldType.DATE: "Date",
    FieldType.DATETIME: "Date and time",
    FieldType.NUMBER: "Number",
    FieldType.YES_NO: "Yes / no",
    FieldType.SINGLE_CHOICE: "Single choice",
    FieldType.MULTIPLE_CHOICE: "Multiple choice",
    FieldType.ADDRESS: "Address",
}
SENSITIVITY_LABELS: dict[str, str] = {
    Sensitivity.ORDINARY: "Ordinary",
    Sensitivity.PERSONAL: "Personal",
    Sensitivity.HEALTH: "Health",
}
SENSITIVITY_HELP: dict[str, str] = {
    Sensitivity.ORDINARY: "Shown to everyone who sees the intake.",
    Sensitivity.PERSONAL: "Names, numbers, dates of birth: encrypted, only for roles allowed them.",
    Sensitivity.HEALTH: "Health information: encrypted, and every read is logged.",
}
AGENT_FORM_TEMPLATE = "intake/workspace/_script_form.html"


# Forms ------------------------------------------------------------------------------------


class ScriptForm(forms.Form):
    name = forms.CharField(max_length=services.MAX_NAME)
    description = forms.CharField(
        max_length=services.MAX_DESCRIPTION,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The queryset is the tenant's, set per form (no tenant exists at import time).
    locations: forms.ModelMultipleChoiceField[Location] = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only for these locations",
        help_text="Leave all unticked to offer the script at every location.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["locations"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Location.objects.order_by("name")


class NewScriptForm(ScriptForm):
    template = forms.ChoiceField(
        choices=[("", "Blank"), *[(t.key, t.name) for t in TEMPLATES.values()]],
        required=False,
        widget=forms.RadioSelect,
        label="Start from",
    )


class FieldForm(forms.Form):
    label = forms.CharField(max_length=200, label="Question or label")
    type = forms.ChoiceField(choices=list(FIELD_TYPE_LABELS.items()), label="Answer type")
    help = forms.CharField(
        max_length=500,
        required=False,
        label="Help for the agent",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    required = forms.BooleanField(required=False, label="An answer is required")
    sensitivity = forms.ChoiceField(
        choices=[
            (key, f"{label} — {SENSITIVITY_HELP[key]}") for key, label in SENSITIVITY_LABELS.items()
        ],
        initial=Sensitivity.ORDINARY,
        widget=forms.RadioSelect,
        label="Sensitivity",
    )
    min_length = forms.IntegerField(
        required=False, min_value=0, label="Shortest answer (characters)"
    )
    max_length = forms.IntegerField(
        required=False, min_value=0, label="Longest answer (characters)"
    )
    pattern = forms.CharField(
        max_length=200,
        required=False,
        label="Pattern",
        help_text="A regular expression the whole answer must match, e.g. [A-Z]{2}[0-9]{6}.",
    )
    min = forms.CharField(
        max_length=40,
        required=False,
        label="Lowest",
        help_text="A number, a date (2026-12-31) or a date and time (2026-12-31T17:00).",
    )
    max = forms.CharField(max_length=40, required=False, label="Highest")
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Choices",
        help_text="One per line. Write “value | Label” to choose the stored value; "
        "otherwise it is made from the label.",
    )
    min_choices = forms.IntegerField(required=False, min_value=0, label="Tick at least")
    max_choices = forms.IntegerField(required=False, min_value=0, label="Tick at most")
    condition_field = forms.ChoiceField(
        required=False, label="Show only when", choices=[("", "Always show")]
    )
    condition_value = forms.CharField(
        max_length=500,
        required=False,
        label="has the answer",
        help_text="Leave empty for “any answer”; for a yes / no question write yes or no; "
        "separate several accepted choices with commas.",
    )

    def __init__(self, *args: Any, defn: Definition, exclude: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["condition_field"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Always show")] + [
            (f.id, f"{f.label} ({FIELD_TYPE_LABELS[f.type].lower()})")
            for f in defn.fields
            if f.id != exclude
        ]
        self.defn = defn

    def to_json(self) -> dict[str, Any] | None:
        """The field as definition JSON, or ``None`` with the form's errors set."""
        data = self.cleaned_data
        kind = FieldType(data["type"])
        validation: dict[str, Any] = {}
        if kind in TEXT_TYPES:
            for key in ("min_length", "max_length"):
                if data.get(key) is not None:
                    validation[key] = data[key]
            if data.get("pattern"):
                validation["pattern"] = data["pattern"]
        if kind in (FieldType.NUMBER, FieldType.DATE, FieldType.DATETIME):
            for key in ("min", "max"):
                raw = (data.get(key) or "").strip()
                if raw:
                    validation[key] = _bound(raw, kind) if kind == FieldType.NUMBER else raw
                    if validation[key] is None:
                        self.add_error(key, "Write a number, such as 0 or 2.5.")
        if kind in CHOICE_TYPES:
            choices = _choices(data.get("choices") or "")
            if not choices:
                self.add_error("choices", "Give at least one choice.")
            validation["choices"] = choices
            if kind == FieldType.MULTIPLE_CHOICE:
                for key in ("min_choices", "max_choices"):
                    if data.get(key) is not None:
                        validation[key] = data[key]
        condition = self._condition()
        if self.errors:
            return None
        return {
            "type": kind.value,
            "label": data["label"],
            "help": data.get("help", ""),
            "required": bool(data.get("required")),
            "sensitivity": data["sensitivity"],
            "validation": validation,
            "condition": condition,
        }

    def _condition(self) -> dict[str, Any] | None:
        target_id = self.cleaned_data.get("condition_field")
        if not target_id:
            return None
        target = self.defn.field(target_id)
        raw = (self.cleaned_data.get("condition_value") or "").strip()
        if not raw:
            return {"field": target_id, "answered": True}
        values, error = _condition_values(target, raw)
        if error:
            self.add_error("condition_value", error)
            return None
        if len(values) == 1:
            return {"field": target_id, "equals": values[0]}
        return {"field": target_id, "in": values}


def _bound(raw: str, kind: FieldType) -> int | float | None:
    try:
        number: int | float = int(raw)
    except ValueError:
        try:
            number = float(raw)
        except ValueError:
            return None
    return number if is_number(number) else None


def _choices(raw: str) -> list[dict[str, str]]:
    choices = []
    seen: set[str] = set()
    for line in raw.splitlines():
        line = line.strip()
        if not line:
            continue
        value, bar, label = line.partition("|")
        if bar:
            value, label = value.strip(), label.strip()
        else:
            label = line
            value = re.sub(r"[^a-z0-9]+", "_", line.lower()).strip("_") or line
        if value in seen:
            continue
        seen.add(value)
        choices.append({"value": value, "label": label})
    return choices


def _condition_values(target: Field, raw: str) -> tuple[list[Any], str]:
    """The values typed for a condition on ``target``, read as its answers are."""
    kind = target.type
    if kind in (FieldType.PHONE, FieldType.EMAIL, FieldType.ADDRESS):
        return [], (
            f"A field can be shown only when “{target.label}” is answered at all: leave the "
            "answer empty."
        )
    if kind == FieldType.YES_NO:
        word = raw.lower()
        if word in ("yes", "y", "true"):
            return [True], ""
        if word in ("no", "n", "false"):
            return [False], ""
        return [], "Write yes or no."
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if kind == FieldType.NUMBER:
        numbers = [_bound(part, kind) for part in parts]
        if any(n is None for n in numbers):
            return [], "Write a number, or numbers separated by commas."
        return numbers, ""
    if kind in CHOICE_TYPES:
        by_text = {}
        for choice in target.validation.choices:
            by_text[choice.value.lower()] = choice.value
            by_text[choice.label.lower()] = choice.value
        values = []
        for part in parts:
            if part.lower() not in by_text:
                names = ", ".join(c.label for c in target.validation.choices[:8])
                return [], f"“{part}” is not one of the choices ({names})."
            values.append(by_text[part.lower()])
        return values, ""
    return [raw], ""


def _field_initial(f: Field) -> dict[str, Any]:
    v = f.validation
    initial: dict[str, Any] = {
        "label": f.label,
        "type": f.type.value,
        "help": f.help,
        "required": f.required,
        "sensitivity": f.sensitivity.value,
        "min_length": v.min_length,
        "max_length": v.max_length,
        "pattern": v.pattern or "",
        "min": "" if v.min is None else str(v.min),
        "max": "" if v.max is None else str(v.max),
        "choices": "\n".join(f"{c.value} | {c.label}" for c in v.choices),
        "min_choices": v.min_choices,
        "max_choices": v.max_choices,
    }
    if f.condition is not None:
        initial["condition_field"] = f.condition.field
        initial["condition_value"] = ", ".join(_show_value(v) for v in f.condition.values)
    return initial


def _show_value(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


class ReadAloudForm(forms.Form):
    greeting = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    disclaimers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, read in order.",
    )
    closing = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    notices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Notices for the agent (not read aloud)",
        help_text="One per line.",
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class JsonForm(forms.Form):
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}))


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=services.MAX_NOTE)


# Helpers ----------------------------------------------------------------------------------


def _url(request: TenantRequest, name: str, *args: Any) -> str:
    return reverse(name, args=[request.tenant.organization.slug, *args])


def _is_htmx(request: TenantRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _zone(request: TenantRequest) -> Any:
    return selectors.org_zone(request.tenant.organization)


def _agent_form_template() -> str | None:
    try:
        get_template(AGENT_FORM_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return AGENT_FORM_TEMPLATE


def _condition_text(defn: Definition, c: Condition) -> str:
    target = defn.field(c.field) if defn.has_field(c.field) else None
    name = f"“{target.label}”" if target else f"the missing field {c.field!r}"
    if c.kind == ConditionKind.ANSWERED:
        return f"Shown when {name} is answered"

    def word(value: object) -> str:
        if value is True:
            return "Yes"
        if value is False:
            return "No"
        if target is not None:
            for choice in target.validation.choices:
                if choice.value == value:
                    return choice.label
        return str(value)

    words = [word(v) for v in c.values]
    if c.kind == ConditionKind.EQUALS:
        return f"Shown when {name} is {words[0]}"
    return f"Shown when {name} is one of {', '.join(words)}"


def _validation_text(f: Field) -> str:
    v = f.validation
    parts = []
    if v.min_length is not None or v.max_length is not None:
        parts.append(
            f"{v.min_length or 0}–{v.max_length if v.max_length is not None else '…'} characters"
        )
    if v.pattern:
        parts.append("must match a pattern")
    if v.min is not None or v.max is not None:
        parts.append(
            f"from {v.min if v.min is not None else '…'} to {v.max if v.max is not None else '…'}"
        )
    if v.choices:
        shown = ", ".join(c.label for c in v.choices[:5])
        more = f" and {len(v.choices) - 5} more" if len(v.choices) > 5 else ""
        parts.append(f"choices: {shown}{more}")
    return "; ".join(parts)


def _sections_view(defn: Definition) -> list[dict[str, Any]]:
    rows = []
    for s_index, section in enumerate(defn.sections):
        fields = []
        for f_index, f in enumerate(section.fields):
            fields.append(
                {
                    "field": f,
                    "type_label": FIELD_TYPE_LABELS[f.type],
                    "sensitivity_label": SENSITIVITY_LABELS[f.sensitivity],
                    "condition": _condition_text(defn, f.condition) if f.condition else "",
                    "validation": _validation_text(f),
                    "first": s_index == 0 and f_index == 0,
                    "last": s_index == len(defn.sections) - 1
                    and f_index == len(section.fields) - 1,
                }
            )
        rows.append(
            {
                "section": section,
                "fields": fields,
                "first": s_index == 0,
                "last": s_index == len(defn.sections) - 1,
            }
        )
    return rows


def _read_definition(version: ScriptVersion) -> tuple[Definition | None, list[str]]:
    try:
        return parse_definition(version.definition), []
    except DefinitionError as error:
        return None, error.problems


# The list --------------------------------------------------------------------------------


@tenant_page(MANAGE, methods=GET_POST)
def script_list(request: TenantRequest) -> HttpResponse:
    form = NewScriptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            script = services.script_create(
                actor=request.tenant,
                name=data["name"],
                description=data["description"],
                template=data["template"] or None,
                locations=data["locations"],
            )
        except ValidationError as error:
            _attach(form, error)
        except DefinitionError as error:
            for problem in error.problems:
                form.add_error(None, problem)
        else:
            messages.success(request, f"“{script.name}” created: its first draft is ready to edit.")
            return redirect(_url(request, "intake-script-builder", script.pk))
    return render(
        request,
        "intake/scripts/list.html",
        {
            "rows": selectors.script_rows(_zone(request)),
            "form": form,
            "templates": list(TEMPLATES.values()),
            "open_form": request.method == "POST",
        },
        status=400 if form.errors else 200,
    )


def _attach(form: forms.Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, problems in error.message_dict.items():
        target = key if key in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


# A script's page -------------------------------------------------------------------------


@tenant_page(MANAGE, methods=GET_POST, objects=SCRIPT)
def script_detail(request: TenantRequest, script: Script) -> HttpResponse:
    if request.method == "POST":
        form = ScriptForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.script_update(
                    actor=request.tenant,
                    script=script,
                    name=data["name"],
                    description=data["description"],
                    locations=data["locations"],
                )
            except ValidationError as error:
                _attach(form, error)
            else:
                messages.success(request, "Script details saved.")
                return redirect(_url(request, "intake-script", script.pk))
        script.refresh_from_db()
    else:
        form = ScriptForm(
            initial={
                "name": script.name,
                "description": script.description,
                "locations": selectors.location_ids_of(script),
            }
        )
    zone = _zone(request)
    versions = selectors.versions_of(script)
    draft = next((v for v in versions if v.status == VersionStatus.DRAFT), None)
    approved = next((v for v in versions if v.status == VersionStatus.APPROVED), None)
    history = [
        {
            "version": v,
            "approved_at": selectors.when(v.approved_at, zone),
            "retired_at": selectors.when(v.retired_at, zone),
            "created_at": selectors.when(v.created_at, zone),
        }
        for v in versions
    ]
    return render(
        request,
        "intake/scripts/script.html",
        {
            "script": script,
            "form": form,
            "history": history,
            "draft": draft,
            "approved": approved,
            "status": selectors.status_text(approved, draft, zone),
            "locations": selectors.location_names(script),
            "draft_problems": services.problems_of(draft) if draft else [],
            "can_approve": request.tenant.can(APPROVE),
            "zone_name": str(zone),
        },
        status=400 if form.errors else 200,
    )


@tenant_page(MANAGE, methods=POST, objects=SCRIPT)
def draft_new(request: TenantRequest, script: Script) -> HttpResponse:
    had = services.draft_of(script)
    draft = services.draft_start(actor=request.tenant, script=script)
    if had is None:
        messages.success(
            request, f"Version {draft.number} started as a draft: a copy of the last version."
        )
    return redirect(_url(request, "intake-script-builder", script.pk))


# The builder ------------------------------------------------------------------------------


def _builder(
    request: TenantRequest,
    script: Script,
    draft: ScriptVersion,
    *,
    add_form: FieldForm | None = None,
    add_section: str = "",
    read_form: ReadAloudForm | None = None,
    refused: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    defn, broken = _read_definition(draft)
    context: dict[str, Any] = {
        "script": script,
        "draft": draft,
        "broken": broken,
        "refused": refused or [],
        "add_section": add_section,
    }
    if defn is not None:
        sections = _sections_view(defn)
        for row in sections:
            section_id = row["section"].id
            row["add_form"] = (
                add_form
                if add_form is not None and add_section == section_id
                else FieldForm(defn=defn, prefix=_add_prefix(section_id))
            )
        context.update(
            sections=sections,
            defn=defn,
            problems=approval_problems(defn),
            read_form=read_form
            or ReadAloudForm(
                initial={
                    "greeting": defn.read_aloud.greeting,
                    "disclaimers": "\n".join(defn.read_aloud.disclaimers),
                    "closing": defn.read_aloud.closing,
                    "notices": "\n".join(defn.notices),
                }
            ),
        )
    template = "intake/scripts/builder.html"
    if _is_htmx(request):
        return render(request, template + "#editor", context)  # htmx swaps 2xx answers only.
    return render(request, template, context, status=status)


def _add_prefix(section_id: str) -> str:
    return f"new-{section_id}"


def _no_draft(request: TenantRequest, script: Script) -> HttpResponse:
    messages.warning(request, "This script has no draft. Start a new draft to change it.")
    return redirect(_url(request, "intake-script", script.pk))


@tenant_page(MANAGE, methods=GET_POST, objects=SCRIPT)
def builder(request: TenantRequest, script: Script) -> HttpResponse:
    draft = services.draft_of(script)
    if draft is None:
        return _no_draft(request, script)
    if request.method != "POST":
        return _builder(request, script, draft)
    defn, _broken = _read_definition(draft)
    if defn is None:
        messages.error(request, "Fix the definition in the JSON editor first.")
        return redirect(_url(request, "intake-script-json", script.pk))
    action = request.POST.get("action", "")
    handler = _ACTIONS.get(action)
    if handler is None:
        messages.error(request, "Nothing was changed: that is not something the builder does.")
        return _builder(request, script, draft, status=400)
    return handler(request, script, draft, defn)


def _save(
    request: TenantRequest,
    script: Script,
    draft: ScriptVersion,
    doc: dict[str, Any],
    notice: str,
    **on_error: Any,
) -> HttpResponse:
    try:
        services.version_definition_set(actor=request.tenant, version=draft, definition=doc)
    except DefinitionError as error:
        form = on_error.get("add_form") or on_error.get("read_form")
        if form is not None:
            for problem in error.problems:
                form.add_error(None, problem)
            return _builder(request, script, draft, status=400, **on_error)
        return _builder(request, script, draft, refused=error.problems, status=400, **on_error)
    except services.VersionFrozen as error:
        messages.error(request, str(error))
        return redirect(_url(request, "intake-script", script.pk))
    messages.success(request, notice)
    if _is_htmx(request):
        return _builder(request, script, draft)
    return redirect(
        _url(request, "intake-script-builder", script.pk) + request.POST.get("anchor", "")
    )


def _posted_id(request: TenantRequest, key: str) -> str:
    value = request.POST.get(key, "")
    return value if ID_FORM.fullmatch(value) else ""


def _section_title(request: TenantRequest) -> str:
    return request.POST.get("title", "").strip()


def _missing(
    request: TenantRequest, script: Script, draft: ScriptVersion, what: str
) -> HttpResponse:
    return _builder(
        request,
        script,
        draft,
        refused=[
            f"Nothing was changed: that {what} is no longer in the draft. Check and try again."
        ],
        status=400,
    )


def _section_add(
    request: TenantRequest, script: Script, draft: ScriptVersion, defn: Definition
) -> HttpResponse:
    title = _section_title(request)
    if not title:
        return _builder(
            request, script, draft, refused=["Give the new section a title."], status=400
        )
    doc = services.with_section_added(draft.definition, title)
    return _save(request, script, draft, doc, f"Section “{title}” added.")


def _section_rename(
    request: TenantRequest, script: Script, draft: ScriptVersion, defn: Definition
) -> HttpResponse:
    section_id = _posted_id(request, "section")
    if section_id not in {s.id for s in defn.sections}:
        return _missing(request, script, draft, "section")
    title = _section_title(request)
    doc = services.with_section_title(draft.definition, section_id, title)
    return _save(request, script, draft, doc, "Section renamed.")


def _section_delete(
    request: TenantRequest, script: Script, draft: ScriptVersion, defn: Definition
) -> HttpResponse:
    section_id = _posted_id(request, "section")
    if section_id not in {s.id for s in defn.sections}:
        return _missing(request, script, draft, "section")
    doc = services.with_section_removed(draft.definition, section_id)
    return _save(request, script, draft, doc, "Section removed, with its fields.")


def _section_move(
    request: TenantRequest, script: Script, draft: ScriptVersion, defn: Definition
) -> HttpResponse:
    section_id = _posted_id(request, "section")
    if section_id not in {s.id for s in defn.sections}:
        return _missing(request, script, draft, "section")
    step = -1 if request.POST.get("direction") == "up" else 1
    doc = services.with_section_moved(draft.definition, section_id, step)
    return _save(request, script, draft, doc, "Section moved.")


def _field_add(
    request: TenantRequest, script: Script, draft: ScriptVersion, defn: Definition
) -> HttpResponse:
    section_id = _posted_id(request, "section")
    if section_id not in {s.id for s in defn.sections}:
        return _missing(request, script, draft, "section")
    form = FieldForm(request.POST, defn=defn, prefix=_add_prefix(section_id))
    field = form.to_json() if form.is_valid() else None
    if field is None:
        return _builder(request, script, draft, add_form=form, add_section=section_id, status=400)
    doc = services.with_field_added(draft.definition, section_id, field)
    return _save(
        request,
        script,
        draft,
        doc,
        f"Field “{field['label']}” added.",
        add_form=form,
        add_section=section_id,
    )


def _field_delete(
    request: TenantRequest, script: Script, draft: ScriptVersion, defn: Definition
) -> HttpResponse:
    field_id = _posted_id(request, "field")
    if not defn.has_field(field_id):
        return _missing(request, script, draft, "field")
    label = defn.field(field_id).label
    doc = services.with_field_removed(draft.definition, field_id)
    return _save(request, script, draft, doc, f"Field “{label}” removed.")


def _field_move(
    request: TenantRequest, script: Script, draft: ScriptVersion, defn: Definition
) -> HttpResponse:
    field_id = _posted_id(request, "field")
    if not defn.has_field(field_id):
        return _missing(request, script, draft, "field")
    step = -1 if request.POST.get("direction") == "up" else 1
    doc = services.with_field_moved(draft.definition, field_id, step)
    return _save(request, script, draft, doc, f"Field “{defn.field(field_id).label}” moved.")


def _read_aloud(
    request: TenantRequest, script: Script, draft: ScriptVersion, defn: Definition
) -> HttpResponse:
    form = ReadAloudForm(request.POST)
    if not form.is_valid():
        return _builder(request, script, draft, read_form=form, status=400)
    data = form.cleaned_data
    doc = services.with_read_aloud(
        draft.definition,
        greeting=data["greeting"],
        disclaimers=_lines(data["disclaimers"]),
        closing=data["closing"],
        notices=_lines(data["notices"]),
    )
    return _save(request, script, draft, doc, "Read-aloud texts saved.", read_form=form)


_ACTIONS = {
    "section_add": _section_add,
    "section_rename": _section_rename,
    "section_delete": _section_delete,
    "section_move": _section_move,
    "field_add": _field_add,
    "field_delete": _field_delete,
    "field_move": _field_move,
    "read_aloud": _read_aloud,
}


@tenant_page(MANAGE, methods=GET_POST, objects=SCRIPT)
def field_edit(request: TenantRequest, script: Script) -> HttpResponse:
    draft = services.draft_of(script)
    if draft is None:
        return _no_draft(request, script)
    defn, _ = _read_definition(draft)
    source = request.POST if request.method == "POST" else request.GET
    field_id = source.get("field", "")
    if defn is None or not ID_FORM.fullmatch(field_id) or not defn.has_field(field_id):
        messages.error(request, "That field is no longer in the draft.")
        return redirect(_url(request, "intake-script-builder", script.pk))
    current = defn.field(field_id)
    status = 200
    if request.method == "POST":
        form = FieldForm(request.POST, defn=defn, exclude=field_id)
        field = form.to_json() if form.is_valid() else None
        if field is not None:
            doc = services.with_field_replaced(draft.definition, field_id, field)
            try:
                services.version_definition_set(actor=request.tenant, version=draft, definition=doc)
            except DefinitionError as error:
                for problem in error.problems:
                    form.add_error(None, problem)
            except services.VersionFrozen as error:
                messages.error(request, str(error))
                return redirect(_url(request, "intake-script", script.pk))
            else:
                messages.success(request, f"Field “{field['label']}” saved.")
                return redirect(
                    _url(request, "intake-script-builder", script.pk) + f"#field-{field_id}"
                )
        status = 400
    else:
        form = FieldForm(initial=_field_initial(current), defn=defn, exclude=field_id)
    return render(
        request,
        "intake/scripts/field.html",
        {"script": script, "draft": draft, "field": current, "form": form},
        status=status,
    )


@tenant_page(MANAGE, methods=GET_POST, objects=SCRIPT)
def json_edit(request: TenantRequest, script: Script) -> HttpResponse:
    draft = services.draft_of(script)
    if draft is None:
        return _no_draft(request, script)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        form = JsonForm(request.POST)
        if form.is_valid():
            try:
                data = json.loads(form.cleaned_data["definition"])
            except (ValueError, RecursionError) as error:
                problems = [f"This is not JSON: {error}."]
            else:
                try:
                    services.version_definition_set(
                        actor=request.tenant, version=draft, definition=data
                    )
                except DefinitionError as error:
                    problems = error.problems
                except services.VersionFrozen as error:
                    messages.error(request, str(error))
                    return redirect(_url(request, "intake-script", script.pk))
                else:
                    messages.success(request, "Definition saved.")
                    return redirect(_url(request, "intake-script-builder", script.pk))
        status = 400
    else:
        form = JsonForm(
            initial={"definition": json.dumps(draft.definition, indent=2, ensure_ascii=False)}
        )
    defn, broken = _read_definition(draft)
    return render(
        request,
        "intake/scripts/json.html",
        {
            "script": script,
            "draft": draft,
            "form": form,
            "problems": problems,
            "broken": broken,
            "approval": approval_problems(defn) if defn else [],
        },
        status=status,
    )


# Preview, versions, approval ---------------------------------------------------------------


def _preview_context(version: ScriptVersion) -> dict[str, Any]:
    defn, broken = _read_definition(version)
    return {
        "definition": defn,
        "broken": broken,
        "values": {},
        "errors": {},
        "visible": visible_field_ids(defn, {}) if defn else set(),
        "read_aloud": True,
        "sections": _sections_view(defn) if defn else [],
        "agent_form": _agent_form_template(),
    }


@tenant_page(MANAGE, methods=GET, objects=SCRIPT)
def preview(request: TenantRequest, script: Script) -> HttpResponse:
    draft = services.draft_of(script)
    if draft is None:
        approved = services.approved_of(script)
        if approved is None:
            return _no_draft(request, script)
        return redirect(_url(request, "intake-script-version", approved.pk))
    return _version_page(request, draft)


@tenant_page(MANAGE, methods=GET, objects=VERSION)
def version_detail(request: TenantRequest, version: ScriptVersion) -> HttpResponse:
    return _version_page(request, version)


def _version_page(request: TenantRequest, version: ScriptVersion) -> HttpResponse:
    zone = _zone(request)
    return render(
        request,
        "intake/scripts/version.html",
        {
            "script": version.script,
            "version": version,
            "approved_at": selectors.when(version.approved_at, zone),
            "retired_at": selectors.when(version.retired_at, zone),
            "problems": services.problems_of(version)
            if version.status == VersionStatus.DRAFT
            else [],
            "can_approve": request.tenant.can(APPROVE),
            **_preview_context(version),
        },
    )


@tenant_page(APPROVE, methods=POST, objects=VERSION)
def approve(request: TenantRequest, version: ScriptVersion) -> HttpResponse:
    back = request.POST.get("back") == "version"
    target = (
        _url(request, "intake-script-version", version.pk)
        if back
        else _url(request, "intake-script", version.script_id)
    )
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            f"Not approved: the note is at most {services.MAX_NOTE} characters "
            f"(it has {len(request.POST.get('note', ''))}).",
        )
        return redirect(target)
    try:
        approved = services.version_approve(
            actor=request.tenant, version=version, note=form.cleaned_data["note"]
        )
    except services.ApprovalRefused as error:
        for problem in error.problems:
            messages.error(request, f"Not approved — {problem}")
        return redirect(target)
    except services.VersionFrozen as error:
        messages.error(request, str(error))
        return redirect(target)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, f"Not approved — {problem}")
        return redirect(target)
    messages.success(
        request,
        f"Version {approved.number} of “{version.script.name}” approved: agents get it from "
        "their next intake.",
    )
    return redirect(_url(request, "intake-script", version.script_id))


@tenant_page(APPROVE, methods=POST, objects=VERSION)
def retire(request: TenantRequest, version: ScriptVersion) -> HttpResponse:
    try:
        services.version_retire(actor=request.tenant, version=version)
    except services.VersionFrozen as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Version {version.number} retired: agents no longer get “{version.script.name}” "
            "until a new version is approved.",
        )
    return redirect(_url(request, "intake-script", version.script_id))


_SCRIPT = "scripts/<id:script_id>/"
_VERSION = "scripts/versions/<id:version_id>/"

urlpatterns: list[URLPattern] = [
    path("scripts/", script_list, name="intake-scripts"),
    path(_SCRIPT, script_detail, name="intake-script"),
    path(_SCRIPT + "draft/", draft_new, name="intake-script-draft-new"),
    path(_SCRIPT + "builder/", builder, name="intake-script-builder"),
    path(_SCRIPT + "builder/field/", field_edit, name="intake-script-field"),
    path(_SCRIPT + "builder/json/", json_edit, name="intake-script-json"),
    path(_SCRIPT + "preview/", preview, name="intake-script-preview"),
    path(_VERSION, version_detail, name="intake-script-version"),
    path(_VERSION + "approve/", approve, name="intake-script-approve"),
    path(_VERSION + "retire/", retire, name="intake-script-retire"),
]
