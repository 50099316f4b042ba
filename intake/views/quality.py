"""Intake pages: QA (scorecards, the review queue, reviewing an intake or a case, the
accuracy report) and the log of health-answer reads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from intake.capabilities import IntakeCapability
from intake.models import Case, CaseStatus, Intake, IntakeStatus, Scorecard
from intake.scripts.definition import FieldType
from intake.selectors import cases as case_selectors
from intake.selectors import quality as selectors
from intake.services import answers as answer_services
from intake.services import quality as services
from tenancy.access.pages import GET_POST, POST, TenantRequest, tenant_page
from tenancy.models import Membership

REVIEW = IntakeCapability.REVIEW_QUALITY
VIEW_QUALITY = IntakeCapability.VIEW_QUALITY
SENSITIVE = IntakeCapability.VIEW_SENSITIVE_READS

NEW_QUESTION_ROWS = 5
READS_PER_PAGE = 50


def _completed_intakes() -> QuerySet[Intake]:
    # Only completed work is reviewed: a draft is not there to be scored.
    return Intake.objects.filter(status=IntakeStatus.COMPLETED).select_related(
        "script_version__script", "agent__user", "location"
    )


def _resolved_cases() -> QuerySet[Case]:
    return Case.objects.filter(status=CaseStatus.RESOLVED).select_related(
        "owner__user", "location", "tier"
    )


SCORECARD = {"scorecard_id": Scorecard}
REVIEW_INTAKE = {"intake_id": _completed_intakes}
REVIEW_CASE = {"case_id": _resolved_cases}


def _url(request: TenantRequest, name: str, *args: Any) -> str:
    return reverse(name, args=[request.tenant.organization.slug, *args])


# Scorecards ------------------------------------------------------------------------------


def _question_rows(data: Any, count: int) -> list[dict[str, Any]]:
    return [
        {
            "n": n,
            "text": data.get(f"q-{n}-text", "") if data else "",
            "weight": data.get(f"q-{n}-weight", "") if data else "",
            "critical": bool(data and data.get(f"q-{n}-critical")),
        }
        for n in range(count)
    ]


def _row_count(data: Any) -> int:
    try:
        asked = int(data.get("rows", NEW_QUESTION_ROWS))
    except (TypeError, ValueError):
        asked = NEW_QUESTION_ROWS
    return max(1, min(asked, services.MAX_QUESTIONS))


def _posted_questions(data: Any, count: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The rows that were filled in, as the service's shape, and row number by position."""
    questions: list[dict[str, Any]] = []
    positions: dict[str, int] = {}
    for n in range(count):
        text = data.get(f"q-{n}-text", "").strip()
        weight_text = data.get(f"q-{n}-weight", "").strip()
        if not text and not weight_text:
            continue
        weight: Any = weight_text
        if weight_text.isdigit() and len(weight_text) <= 4:
            weight = int(weight_text)
        positions[str(len(questions))] = n
        questions.append(
            {"text": text, "weight": weight, "critical": bool(data.get(f"q-{n}-critical"))}
        )
    return questions, positions


def _scorecards_page(
    request: TenantRequest,
    *,
    name: str = "",
    rows: list[dict[str, Any]] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    count = _row_count(request.GET)
    return render(
        request,
        "intake/quality/scorecards.html",
        {
            "scorecards": Scorecard.objects.order_by("-is_active", "name"),
            "name": name,
            "rows": rows if rows is not None else _question_rows(None, count),
            "row_count": len(rows) if rows is not None else count,
            "more_rows": min(
                (len(rows) if rows is not None else count) + NEW_QUESTION_ROWS,
                services.MAX_QUESTIONS,
            ),
            "errors": errors or {},
            "max_questions": services.MAX_QUESTIONS,
        },
        status=status,
    )


@tenant_page(REVIEW, methods=GET_POST)
def scorecards(request: TenantRequest) -> HttpResponse:
    if request.method == "GET":
        return _scorecards_page(request)
    count = _row_count(request.POST)
    rows = _question_rows(request.POST, count)
    name = request.POST.get("name", "")
    questions, positions = _posted_questions(request.POST, count)
    try:
        scorecard = services.scorecard_create(actor=request.tenant, name=name, questions=questions)
    except ValidationError as error:
        errors: dict[str, list[str]] = {}
        for key, problems in error.message_dict.items():
            parts = key.split(".")
            if parts[0] == "questions" and len(parts) == 3 and parts[1] in positions:
                rows[positions[parts[1]]].setdefault("errors", []).extend(problems)
            else:
                errors.setdefault(key, []).extend(problems)
        return _scorecards_page(request, name=name, rows=rows, errors=errors, status=400)
    note = " It is the active scorecard." if scorecard.is_active else ""
    messages.success(request, f"Scorecard “{scorecard.name}” saved.{note}")
    return redirect(_url(request, "intake-qa-scorecards"))


@tenant_page(REVIEW, methods=POST, objects=SCORECARD)
def scorecard_activate(request: TenantRequest, scorecard: Scorecard) -> HttpResponse:
    services.scorecard_activate(actor=request.tenant, scorecard=scorecard)
    messages.success(request, f"The review queue now uses “{scorecard.name}”.")
    return redirect(_url(request, "intake-qa-scorecards"))


# The review queue and reviews ------------------------------------------------------------


@tenant_page(REVIEW)
def queue(request: TenantRequest) -> HttpResponse:
    scorecard = services.active_scorecard()
    items = []
    if scorecard is not None:
        items = [
            {"item": item, "when": case_selectors.in_zone(item.finished_at, item.zone)}
            for item in selectors.review_queue(scorecard)
        ]
    return render(request, "intake/quality/queue.html", {"scorecard": scorecard, "items": items})


class ReviewForm(forms.Form):
    """One pass/fail choice per question of ``scorecard``, and a comment."""

    comment = forms.CharField(
        max_length=services.COMMENT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, scorecard: Scorecard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions: list[dict[str, Any]] = list(scorecard.questions)
        for question in self.questions:
            self.fields[f"q_{question['id']}"] = forms.ChoiceField(
                choices=[("pass", "Pass"), ("fail", "Fail")],
                widget=forms.RadioSelect,
                label=question["text"],
                error_messages={"required": "Mark this question passed or failed."},
            )
        self.order_fields([f"q_{q['id']}" for q in self.questions] + ["comment"])

    def rows(self) -> list[dict[str, Any]]:
        return [{"question": q, "field": self[f"q_{q['id']}"]} for q in self.questions]

    def answers(self) -> dict[str, bool]:
        return {q["id"]: self.cleaned_data[f"q_{q['id']}"] == "pass" for q in self.questions}


def _display(field_type: str, value: Any, choices: dict[str, str]) -> str:
    if value == answer_services.HIDDEN:
        return value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(choices.get(str(v), str(v)) for v in value)
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v)
    if field_type == FieldType.SINGLE_CHOICE:
        return choices.get(str(value), str(value))
    return str(value)


def _answer_rows(request: TenantRequest, intake: Intake) -> list[dict[str, Any]]:
    """The intake's answers as the reviewer's role may see them, labelled. Read through the
    workspace's ``read_answers``, which hides what the role may not read and logs any
    health answer it returns."""
    values = answer_services.read_answers(
        actor=request.tenant, intake=intake, via=answer_services.VIA_PAGE
    )
    definition = answer_services.definition_of(intake)
    rows = []
    for f in definition.fields:
        if f.id not in values:
            continue
        choices = {c.value: c.label for c in f.validation.choices}
        rows.append(
            {
                "label": f.label,
                "value": _display(f.type, values[f.id], choices),
                "hidden": values[f.id] == answer_services.HIDDEN,
            }
        )
    return rows


def _review_page(
    request: TenantRequest,
    *,
    intake: Intake | None = None,
    case: Case | None = None,
    form: ReviewForm | None = None,
    status: int = 200,
) -> HttpResponse:
    scorecard = services.active_scorecard()
    zone = request.tenant.organization.time_zone
    context: dict[str, Any] = {"scorecard": scorecard, "intake": intake, "case": case}
    if intake is not None:
        zone = case_selectors.zone_of(intake.location, zone)
        context.update(
            answers=_answer_rows(request, intake),
            agent=case_selectors.member_name(intake.agent),
            finished=case_selectors.in_zone(intake.completed_at, zone),
            action=_url(request, "intake-qa-review-intake", intake.pk),
        )
    elif case is not None:
        zone = case_selectors.zone_of(case.location, zone)
        context.update(
            agent=case_selectors.member_name(case.owner),
            finished=case_selectors.in_zone(case.resolved_at, zone),
            events=[
                {"event": e, "when": case_selectors.in_zone(e.at, zone)}
                for e in case_selectors.case_events(case)
            ],
            action=_url(request, "intake-qa-review-case", case.pk),
        )
    context["zone"] = zone
    if scorecard is not None:
        context["form"] = form or ReviewForm(scorecard=scorecard)
    return render(request, "intake/quality/review.html", context, status=status)


def _review(
    request: TenantRequest, *, intake: Intake | None = None, case: Case | None = None
) -> HttpResponse:
    scorecard = services.active_scorecard()
    if request.method == "GET" or scorecard is None:
        return _review_page(
            request, intake=intake, case=case, status=200 if request.method == "GET" else 400
        )
    form = ReviewForm(request.POST, scorecard=scorecard)
    if form.is_valid():
        try:
            review = services.review_create(
                actor=request.tenant,
                scorecard=scorecard,
                intake=intake,
                case=case,
                answers=form.answers(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            for key, problems in error.message_dict.items():
                for problem in problems:
                    name = f"q_{key.split('.', 1)[1]}" if key.startswith("answers.") else key
                    form.add_error(name if name in form.fields else None, problem)
        else:
            note = " A critical question failed." if review.critical_failed else ""
            messages.success(request, f"Review saved: score {review.score}.{note}")
            return redirect(_url(request, "intake-qa"))
    return _review_page(request, intake=intake, case=case, form=form, status=400)


@tenant_page(REVIEW, methods=GET_POST, objects=REVIEW_INTAKE)
def review_intake(request: TenantRequest, intake: Intake) -> HttpResponse:
    return _review(request, intake=intake)


@tenant_page(REVIEW, methods=GET_POST, objects=REVIEW_CASE)
def review_case(request: TenantRequest, case: Case) -> HttpResponse:
    return _review(request, case=case)


# The accuracy report ---------------------------------------------------------------------


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        choices=[(d, f"Last {d} days") for d in selectors.PERIODS],
        coerce=int,
        required=False,
        label="Period",
    )


@tenant_page(VIEW_QUALITY)
def accuracy(request: TenantRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    days, status = 30, 200
    if form.is_bound:
        if form.is_valid():
            days = form.cleaned_data["days"] or 30
        else:
            status = 400
    zone = request.tenant.organization.time_zone
    report = selectors.accuracy(days=days, zone=zone)
    return render(
        request,
        "intake/quality/accuracy.html",
        {
            "form": form,
            "days": days,
            "periods": selectors.PERIODS,
            "report": report,
            "since": case_selectors.in_zone(report.since, zone),
            "zone": zone,
        },
        status=status,
    )


# The sensitive-read log ------------------------------------------------------------------


class ReaderFilterForm(forms.Form):
    member: forms.ModelChoiceField[Membership] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every member"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        field.queryset = selectors.readers()  # type: ignore[attr-defined]
        field.label_from_instance = case_selectors.member_name  # type: ignore[attr-defined]


@tenant_page(SENSITIVE)
def sensitive_reads(request: TenantRequest) -> HttpResponse:
    form = ReaderFilterForm({"member": request.GET.get("member", "")})
    member, status = None, 200
    if form.is_valid():
        member = form.cleaned_data["member"]
    else:
        status = 400
    zone = request.tenant.organization.time_zone
    paginator = Paginator(selectors.sensitive_reads(member=member), READS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = []
    for read in page.object_list:
        definition = answer_services.definition_of(read.intake)
        labels = [
            definition.field(fid).label if definition.has_field(fid) else fid
            for fid in read.field_ids
            if isinstance(fid, str)
        ]
        rows.append(
            {
                "read": read,
                "when": case_selectors.in_zone(read.at, zone),
                "fields": labels,
                "who": read.reader_label or case_selectors.member_name(read.reader),
            }
        )
    return render(
        request,
        "intake/quality/sensitive_reads.html",
        {"form": form, "page": page, "rows": rows, "zone": zone, "member": member},
        status=status,
    )


urlpatterns = [
    path("qa/", queue, name="intake-qa"),
    path("qa/scorecards/", scorecards, name="intake-qa-scorecards"),
    path(
        "qa/scorecards/<id:scorecard_id>/activate/",
        scorecard_activate,
        name="intake-qa-scorecard-activate",
    ),
    path("qa/intakes/<id:intake_id>/", review_intake, name="intake-qa-review-intake"),
    path("qa/cases/<id:case_id>/", review_case, name="intake-qa-review-case"),
    path("qa/accuracy/", accuracy, name="intake-qa-accuracy"),
    path("sensitive-reads/", sensitive_reads, name="intake-sensitive-reads"),
]
