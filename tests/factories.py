"""Factories that keep related objects inside one tenant."""

from __future__ import annotations

import factory
import pghistory
from django.contrib.auth import get_user_model

from tenancy.context import tenant_context
from tenancy.models import Location, Membership, Organization, Team

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.test")
    email = factory.LazyAttribute(lambda u: u.username)
    password = factory.django.Password(PASSWORD)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    time_zone = "America/New_York"

    @factory.post_generation
    def audit(obj: Organization, create: bool, extracted: object, **kwargs: object) -> None:
        # As organization_create does: the organisation's events are written by its
        # services (tenancy/audit.py), and a later change is shown against this one.
        if not create:
            return
        with tenant_context(obj):
            if not obj.events.exists():  # type: ignore[attr-defined]
                pghistory.create_event(obj, label="insert")


class MembershipFactory(factory.django.DjangoModelFactory):
    """Create inside ``tenant_context(organization)``."""

    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = "agent"


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Location {n}")
    time_zone = "America/Chicago"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
