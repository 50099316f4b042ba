"""Intake pages: setup. Parties and matters (CSV import, search), handoff recipients,
handoffs by state with "try again" (the acknowledge link is public: intake/views/public.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers

from intake.capabilities import IntakeCapability
from intake.models import Handoff, HandoffRecipient, HandoffState, PartyRole, RecipientKind
from intake.selectors import setup as selectors
from intake.services import handoffs, parties
from intake.services.conflicts import role_label
from tenancy.access.pages import GET_POST, POST, TenantRequest, tenant_page
from tenancy.models import Location
from tenancy.roles import Role

MANAGE = IntakeCapability.MANAGE_INTAKE_SETUP
RECIPIENT = {"recipient_id": HandoffRecipient}
HANDOFF = {"handoff_id": Handoff}


def _url(request: TenantRequest, name: str, *args: Any) -> str:
    return reverse(name, args=[request.tenant.organization.slug, *args])


# Parties and matters --------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row; at most 10 MB and 50,000 rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


def _upload(
    request: TenantRequest, *, kind: str, form: UploadForm
) -> tuple[parties.ImportResult | None, list[str]]:
    if not form.is_valid():
        return None, []
    upload = form.cleaned_data["file"]
    if upload.size > parties.MAX_UPLOAD_BYTES:
        return None, [f"The file is larger than {parties.MAX_UPLOAD_BYTES // (1024 * 1024)} MB."]
    data = upload.read(parties.MAX_UPLOAD_BYTES + 1)
    importer = parties.import_parties if kind == "parties" else parties.import_matters
    columns = parties.PARTY_COLUMNS if kind == "parties" else parties.MATTER_COLUMNS
    try:
        rows = parties.read_csv(data, columns=columns)
        return importer(actor=request.tenant, rows=rows), []
    except parties.ImportRefused as refused:
        return None, refused.problems


def _book_page(
    request: TenantRequest,
    *,
    tab: str,
    form: UploadForm | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    hits = selectors.search_book(query) if query else []
    counts = selectors.book_counts()
    context = {
        "tab": tab,
        "form": form or UploadForm(),
        "problems": problems or [],
        "query": query,
        "hits": [{"hit": hit, "role": role_label(hit.role)} for hit in hits],
        "counts": counts,
        "roles": [(str(r.label), counts.by_role.get(r.value, 0)) for r in PartyRole],
        "rows": selectors.recent_parties() if tab == "parties" else selectors.recent_matters(),
        "columns": parties.PARTY_COLUMNS if tab == "parties" else parties.MATTER_COLUMNS,
    }
    return render(request, "intake/setup/book.html", context, status=status)


def _book(request: TenantRequest, kind: str) -> HttpResponse:
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        result, problems = _upload(request, kind=kind, form=form)
        if result is not None:
            messages.success(
                request,
                f"Imported {result.total:,} {kind}: {result.created:,} added, "
                f"{result.updated:,} updated.",
            )
            return redirect(_url(request, f"intake-{kind}"))
        return _book_page(request, tab=kind, form=form, problems=problems, status=400)
    return _book_page(request, tab=kind)


@tenant_page(MANAGE, methods=GET_POST)
def party_list(request: TenantRequest) -> HttpResponse:
    return _book(request, "parties")


@tenant_page(MANAGE, methods=GET_POST)
def matter_list(request: TenantRequest) -> HttpResponse:
    return _book(request, "matters")


# Recipients -----------------------------------------------------------------------------


class RecipientForm(forms.Form):
    kind = forms.ChoiceField(
        label="Send by",
        choices=RecipientKind.choices,
        widget=forms.RadioSelect,
        initial=RecipientKind.EMAIL,
    )
    address = forms.CharField(
        label="Email address or webhook URL",
        max_length=500,
        help_text="A webhook URL must start with https://.",
    )
    role = forms.ChoiceField(
        label="Sees what this role may see",
        choices=Role.choices,
        initial=Role.SUPERVISOR,
        help_text="Personal answers are included only if this role may read them; health "
        "answers are never sent.",
    )
    location = forms.ChoiceField(label="For calls to", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locations = {str(loc.pk): loc for loc in Location.objects.order_by("name")}
        location_field = self.fields["location"]
        assert isinstance(location_field, forms.ChoiceField)
        location_field.choices = [("", "Every location")] + [
            (pk, loc.name) for pk, loc in self.locations.items()
        ]


def _recipients_page(
    request: TenantRequest, form: RecipientForm | None = None, status: int = 200
) -> HttpResponse:
    rows = [
        {
            "recipient": recipient,
            "role": Role(recipient.role).label if recipient.role in Role.values else "",
        }
        for recipient in selectors.recipients()
    ]
    return render(
        request,
        "intake/setup/recipients.html",
        {"form": form or RecipientForm(), "rows": rows},
        status=status,
    )


@tenant_page(MANAGE, methods=GET_POST)
def recipient_list(request: TenantRequest) -> HttpResponse:
    if request.method != "POST":
        return _recipients_page(request)
    form = RecipientForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            recipient, secret = handoffs.create_recipient(
                actor=request.tenant,
                kind=data["kind"],
                address=data["address"],
                role=data["role"],
                location=form.locations.get(data["location"]),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if not secret:
                messages.success(request, f"Handoffs will be emailed to {recipient.address}.")
                return redirect(_url(request, "intake-recipients"))
            # The secret is in this response only (stored encrypted, never shown again, never
            # in a redirect or the session): keep it out of every cache.
            response = render(
                request,
                "intake/setup/recipient_created.html",
                {"recipient": recipient, "secret": secret},
            )
            add_never_cache_headers(response)
            return response
    return _recipients_page(request, form, status=400)


@tenant_page(MANAGE, methods=POST, objects=RECIPIENT)
def recipient_active(request: TenantRequest, recipient: HandoffRecipient) -> HttpResponse:
    turn_on = request.POST.get("active") == "on"
    handoffs.set_recipient_active(actor=request.tenant, recipient=recipient, is_active=turn_on)
    state = "on" if turn_on else "off"
    messages.success(request, f"Handoffs to {recipient.address} are {state}.")
    return redirect(_url(request, "intake-recipients"))


# Handoffs -------------------------------------------------------------------------------


@tenant_page(MANAGE)
def handoff_list(request: TenantRequest) -> HttpResponse:
    counts = selectors.handoff_counts()
    return render(
        request,
        "intake/setup/handoffs.html",
        {
            "counts": [(HandoffState(state).label, state, n) for state, n in counts.items()],
            "failed": selectors.failed_handoffs(),
            "recent": selectors.recent_handoffs(),
        },
    )


@tenant_page(MANAGE, methods=POST, objects=HANDOFF)
def handoff_retry(request: TenantRequest, handoff: Handoff) -> HttpResponse:
    try:
        handoffs.retry_handoff(actor=request.tenant, handoff=handoff)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Trying the handoff to {handoff.address} again now.")
    return redirect(_url(request, "intake-handoffs"))


urlpatterns = [
    path("parties/", party_list, name="intake-parties"),
    path("matters/", matter_list, name="intake-matters"),
    path("recipients/", recipient_list, name="intake-recipients"),
    path(
        "recipients/<id:recipient_id>/active/",
        recipient_active,
        name="intake-recipient-active",
    ),
    path("handoffs/", handoff_list, name="intake-handoffs"),
    path("handoffs/<id:handoff_id>/retry/", handoff_retry, name="intake-handoff-retry"),
]
