"""``manage.py seed_demo``: two demo organisations, idempotent.

Each organisation has two locations in different time zones, teams, and a member in every
role with a known password, so a newcomer can sign in as anyone and see isolation at work.
Each also has a (fake) Twilio subaccount, two numbers per location ("Main line", "Google
Ads"), and yesterday's calls and texts, sent through the real webhooks by the simulator,
and intake: an approved script from a built-in template, a QA scorecard and a few
completed intakes (intake/demo.py).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from intake.demo import seed_intake
from routing.demo import seed_routing
from telephony import services as telephony_services
from telephony import simulator
from telephony.models import PhoneNumber, TwilioAccount
from tenancy import services
from tenancy.context import tenant_context
from tenancy.models import Location, Membership, Organization, Team
from tenancy.resolution import Tenant
from tenancy.roles import Role

DEMO_PASSWORD = "demo-pass-2026"

DEMO_ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "name": "Harbor Legal Intake",
        "slug": "harbor-legal",
        "time_zone": "America/New_York",
        "country": "US",
        "locations": [
            ("New York Office", "America/New_York", "+12125550100", "100 Broad St, New York, NY"),
            ("Denver Office", "America/Denver", "+13035550100", "1600 Glenarm Pl, Denver, CO"),
        ],
        "teams": {"Frontline": Role.AGENT, "Specialists": Role.SUPERVISOR},
        "intake_template": "legal_intake",
    },
    {
        "name": "Pinecrest Family Health",
        "slug": "pinecrest-health",
        "time_zone": "America/Los_Angeles",
        "country": "US",
        "locations": [
            (
                "Portland Clinic",
                "America/Los_Angeles",
                "+15035550100",
                "500 SW Main St, Portland, OR",
            ),
            (
                "Phoenix Clinic",
                "America/Phoenix",
                "+16025550100",
                "200 E Van Buren St, Phoenix, AZ",
            ),
        ],
        "teams": {"Front Desk": Role.AGENT, "Nurse Line": Role.SUPERVISOR},
        "intake_template": "healthcare_access",
    },
]


# Calls per location on a weekday in the simulated history (weekends get a third).
DEMO_CALLS_PER_LOCATION = 40
# Each location's Twilio numbers: the forwarding number's last digit replaced, and a label.
DEMO_NUMBER_LABELS = (("1", "Main line"), ("2", "Google Ads"))


def demo_email(role: str, slug: str) -> str:
    return f"{role}@{slug}.demo"


def demo_twilio_credentials(slug: str) -> tuple[str, str]:
    """A fake, stable subaccount SID and auth token per demo organisation."""
    digest = hashlib.sha256(f"demo-twilio|{slug}".encode()).hexdigest()
    return "AC" + digest[:32], digest[32:64]


class Command(BaseCommand):
    help = "Create (or refresh) the demo organisations, locations, teams and members."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        sign_ins: list[tuple[str, str, str]] = []
        for spec in DEMO_ORGANIZATIONS:
            with transaction.atomic():
                owner, _ = User.objects.get_or_create(
                    username=demo_email("owner", spec["slug"]),
                    defaults={"email": demo_email("owner", spec["slug"])},
                )
                organization = Organization.objects.filter(slug=spec["slug"]).first()
                if organization is None:
                    organization = services.organization_create(
                        name=spec["name"],
                        slug=spec["slug"],
                        owner=owner,
                        time_zone=spec["time_zone"],
                        country=spec["country"],
                    )
                with tenant_context(organization):
                    self._populate(organization, spec, sign_ins)
        # One person in both organisations shows the organisation switcher.
        with transaction.atomic():
            both, _ = User.objects.get_or_create(
                username="multi@coverage.demo", defaults={"email": "multi@coverage.demo"}
            )
            both.set_password(DEMO_PASSWORD)
            both.save()
            for spec in DEMO_ORGANIZATIONS:
                organization = Organization.objects.get(slug=spec["slug"])
                with tenant_context(organization):
                    Membership.objects.get_or_create(user=both, defaults={"role": Role.SUPERVISOR})
        sign_ins.append(("both organisations", "supervisor", "multi@coverage.demo"))
        for spec in DEMO_ORGANIZATIONS:
            self._simulate_yesterday(spec)
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Sign in with password " + DEMO_PASSWORD)
        )
        for org, role, email in sign_ins:
            self.stdout.write(f"  {org:<26} {role:<11} {email}")

    def _populate(
        self, organization: Organization, spec: dict[str, Any], sign_ins: list[tuple[str, str, str]]
    ) -> None:
        User = get_user_model()
        members: dict[str, Membership] = {}
        for role in Role:
            email = demo_email(role, organization.slug)
            user, _ = User.objects.get_or_create(username=email, defaults={"email": email})
            user.set_password(DEMO_PASSWORD)
            user.save()
            membership, _ = Membership.objects.get_or_create(user=user, defaults={"role": role})
            members[role] = membership
            sign_ins.append((organization.slug, role, email))
        actor = Tenant(organization=organization, role=Role.OWNER, membership=members[Role.OWNER])
        for name, time_zone, phone, address in spec["locations"]:
            if not Location.objects.filter(name=name).exists():
                services.location_create(
                    actor=actor, name=name, time_zone=time_zone, phone=phone, address=address
                )
        for team_name, role in spec["teams"].items():
            team = Team.objects.filter(name=team_name).first() or services.team_create(
                actor=actor, name=team_name
            )
            services.team_set_members(actor=actor, team=team, memberships=[members[role]])
        self._telephony(organization, actor)
        # Published routing (weekday hours with a lunch gap, the teams as tiers, overflow and
        # voicemail), so the simulated day below goes through the real engine.
        seed_routing(actor=actor)
        # An approved script, a scorecard and a few completed intakes (leads, a case) for
        # agents, QA and leadership to find on their first sign-in.
        agent = Tenant(organization=organization, role=Role.AGENT, membership=members[Role.AGENT])
        seed_intake(actor=actor, agent=agent, template=spec["intake_template"])

    def _telephony(self, organization: Organization, actor: Tenant) -> None:
        account_sid, auth_token = demo_twilio_credentials(organization.slug)
        if not TwilioAccount.objects.filter(account_sid=account_sid).exists():
            telephony_services.twilio_account_set(
                actor=actor, account_sid=account_sid, auth_token=auth_token
            )
        for location in Location.objects.order_by("id"):
            if not location.phone:
                continue
            for last_digit, label in DEMO_NUMBER_LABELS:
                e164 = location.phone[:-1] + last_digit
                if not PhoneNumber.objects.filter(e164=e164).exists():
                    telephony_services.phone_number_create(
                        actor=actor, e164=e164, location=location, source_label=label
                    )

    def _simulate_yesterday(self, spec: dict[str, Any]) -> None:
        day = timezone.now().astimezone(ZoneInfo(spec["time_zone"])).date() - timedelta(days=1)
        public_url = settings.PUBLIC_BASE_URL
        report = simulator.simulate_day(
            spec["slug"],
            day,
            rate=DEMO_CALLS_PER_LOCATION,
            public_url=public_url,
            transport=simulator.InProcessTransport(public_url),
        )
        self.stdout.write(
            f"Simulated {day} for {spec['slug']}: {report.requests} webhooks, "
            f"{report.errors} refused"
        )
