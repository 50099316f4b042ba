"""The one intake page outside any organisation's pages: a handoff's acknowledge link.

Its recipient may have no account (an answering service's desk, a partner firm), so the
link carries a signed token naming the organisation and the handoff, and the page trusts
nothing else: a bad, expired or altered token is a 404, and the page enters that
organisation's tenant itself. GET only shows what is being acknowledged (link scanners
fetch links); the button posts.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from intake.models import Handoff
from intake.services import handoffs
from tenancy.context import tenant_context


@require_http_methods(["GET", "POST"])
def handoff_ack(request: HttpRequest, token: str) -> HttpResponse:
    found = handoffs.read_ack_token(token)
    if found is None:
        raise Http404("No such handoff.")
    organization_id, handoff_id = found
    with tenant_context(organization_id):
        handoff = (
            Handoff.objects.select_related("intake__location", "organization")
            .filter(pk=handoff_id)
            .first()
        )
        if handoff is None:
            raise Http404("No such handoff.")
        if request.method == "POST":
            if handoffs.acknowledge_handoff(handoff=handoff):
                messages.success(request, "Thank you: the handoff is acknowledged.")
            else:
                messages.info(request, "This handoff was already acknowledged.")
            return redirect("intake-handoff-ack", token)
        return render(request, "intake/setup/ack.html", {"handoff": handoff})


urlpatterns = [path("<str:token>/", handoff_ack, name="intake-handoff-ack")]
