"""``manage.py seed_demo``: two demo organisations, idempotent.

Each organisation has two locations in different time zones, teams, and a member in every
role with a known password, so a newcomer can sign in as anyone and see isolation at work.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

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
    },
]


def demo_email(role: str, slug: str) -> str:
    return f"{role}@{slug}.demo"


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
