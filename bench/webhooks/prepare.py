"""Prepares the webhook benchmark: two organisations in the bench database, and signed
request bodies for wrk (one request per line: path, signature, form body, tab-separated).
The "bench" organisation's location has published routing (routing.demo.seed_routing: a
team with an available agent), so the incoming-call webhook runs the routing engine, as in
production; the "burst" organisation stays on telephony's interim default routing.

Bodies come from the traffic simulator (telephony.simulator.scenario_requests), so they are
the parameters Twilio sends, signed the way Twilio signs them.

    python bench/webhooks/prepare.py OUT_DIR COUNT
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coverage_platform.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402

from routing.demo import seed_routing  # noqa: E402
from telephony import services as telephony_services  # noqa: E402
from telephony import simulator  # noqa: E402
from tenancy import services  # noqa: E402
from tenancy.context import tenant_context  # noqa: E402
from tenancy.models import Location, Membership, Organization  # noqa: E402
from tenancy.resolution import Tenant  # noqa: E402
from tenancy.roles import Role  # noqa: E402

ORGS = {
    # slug: (account SID hex digit, area code); "bench" serves wrk, "burst" the burst.
    "bench": ("c", "212"),
    "burst": ("d", "646"),
}
# Wednesday 15:00 UTC (10:00 in New York): open, so incoming calls are dialled.
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def organization(slug: str) -> simulator.SimOrganization:
    digit, area = ORGS[slug]
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        owner = get_user_model().objects.create_user(username=f"owner@{slug}.bench")
        org = services.organization_create(
            name=f"Bench {slug}", slug=slug, owner=owner, time_zone="America/New_York"
        )
        with tenant_context(org):
            actor = Tenant(organization=org, role=Role.OWNER)
            location = Location.objects.create(
                name="Bench Office", time_zone="America/New_York", phone=f"+1{area}5550199"
            )
            telephony_services.twilio_account_set(
                actor=actor, account_sid="AC" + digit * 32, auth_token=(digit * 4 + "0" * 4) * 4
            )
            telephony_services.phone_number_create(
                actor=actor, e164=f"+1{area}5550100", location=location, source_label="Main line"
            )
            if slug == "bench":
                _routing(actor, slug)
    return simulator.load_organization(slug)


def _routing(actor: Tenant, slug: str) -> None:
    """A team with one agent, and published routing for the location: weekdays 09:00–12:00
    and 13:00–17:00, the team in order, overflow and voicemail (routing.demo)."""
    agent_user = get_user_model().objects.create_user(username=f"agent@{slug}.bench")
    agent = Membership.objects.create(user=agent_user, role=Role.AGENT)
    team = services.team_create(actor=actor, name="Frontline")
    services.team_set_members(actor=actor, team=team, memberships=[agent])
    seed_routing(actor=actor)


def call_sid(slug: str, index: int) -> str:
    return f"CA{slug[:2].encode().hex()}{index:028x}"


def line(org: simulator.SimOrganization, request: simulator.SimulatedRequest) -> str:
    signature = simulator.signature(org.auth_token, settings.PUBLIC_BASE_URL, request)
    return f"{request.path}\t{signature}\t{urlencode(request.params)}\n"


def _with(
    request: simulator.SimulatedRequest, params: dict[str, str]
) -> simulator.SimulatedRequest:
    return simulator.SimulatedRequest(
        request.send_at, request.path, {**request.params, **params}, request.kind
    )


def main() -> None:
    out, count = Path(sys.argv[1]), int(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    bench, burst = organization("bench"), organization("burst")
    number = bench.locations[0].numbers[0]
    template = simulator.scenario_requests(
        bench, number, scenario="answered_dial", start=START, call_sid="CA" + "0" * 32
    )
    incoming = next(r for r in template if r.kind == "voice.incoming")
    # Status callbacks: "in-progress" (Twilio answered to run the TwiML) and "completed" for
    # each call, alternating. No dial action is sent, so every completed call ends
    # unanswered and goes through the hand-off: the heavier status callback.
    statuses = [r for r in template if r.kind == "voice.status"]
    with (
        (out / "incoming.requests").open("w") as incoming_file,
        (out / "status.requests").open("w") as status_file,
    ):
        for index in range(count):
            sid = call_sid("bench", index)
            caller = f"+1312555{index % 10000:04d}"
            at = START + timedelta(seconds=index % 3600)
            stamp = at.strftime("%a, %d %b %Y %H:%M:%S GMT")
            who = {"CallSid": sid, "From": caller, "Caller": caller}
            incoming_file.write(line(bench, _with(incoming, {**who, "Timestamp": stamp})))
            for status in statuses:
                status_file.write(line(bench, _with(status, who)))
    print(f"prepared {count} calls' webhooks for {bench.slug}; burst organisation {burst.slug}")


if __name__ == "__main__":
    main()
