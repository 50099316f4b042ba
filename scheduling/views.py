"""The scheduled-work page: what is waiting, and the work that gave up, with a replay."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from scheduling import selectors, services
from scheduling.capabilities import SchedulingCapability
from scheduling.models import DueWork
from tenancy.access.pages import GET, POST, TenantRequest, tenant_page

MANAGE = SchedulingCapability.MANAGE_SCHEDULED_WORK


@tenant_page(MANAGE, methods=GET)
def scheduled_work(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "scheduling/scheduled_work.html",
        {"summary": selectors.work_summary(), "dead": selectors.dead_work()},
    )


@tenant_page(MANAGE, methods=POST, objects={"work_id": DueWork})
def replay(request: TenantRequest, work: DueWork) -> HttpResponse:
    try:
        services.replay_work(actor=request.tenant, work=work)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Replayed: the work is due again now, with fresh attempts.")
    return redirect("scheduled-work", org_slug=request.tenant.organization.slug)
