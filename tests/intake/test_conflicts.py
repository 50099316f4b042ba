"""The conflict pre-check: similar names found by trigram similarity on the organisation's
own parties and matters (never another organisation's, even in raw SQL as the application
role), on the trigram indexes, recorded every time; and the prospective client a completed
intake adds."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from intake.models import ConflictCheck, Matter, Party, PartyRole
from intake.services.conflicts import (
    HITS_PER_NAME,
    MAX_NAMES,
    check_conflicts,
    search_names,
)
from intake.services.parties import record_names, record_prospect
from tenancy.context import tenant_context
from tenancy.roles import Role
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake

pytestmark = pytest.mark.django_db


def _book(world: OrgWorld) -> None:
    with tenant_context(world.organization):
        matter = Matter.objects.create(name="Smith v. Northwind Freight", external_ref="M-1")
        Party.objects.create(name="John Smith", role=PartyRole.CLIENT, matter=matter)
        Party.objects.create(name="Northwind Freight LLC", role=PartyRole.ADVERSE, matter=matter)
        Party.objects.create(name="Maria Garcia", role=PartyRole.RELATED)
        # What the services do for every party they write (the search reads these names).
        record_names(Party.objects.values_list("name", flat=True))


def test_a_misspelt_name_finds_the_party_with_its_role_and_matter(org_a: OrgWorld) -> None:
    # Catches an exact-match search: callers' names are heard, not spelt.
    _book(org_a)
    intake = draft_intake(org_a)
    with tenant_context(org_a.organization):
        check = check_conflicts(
            actor=org_a.tenant(Role.AGENT), intake=intake, names=["  Jon   Smyth ", ""]
        )
        stored = ConflictCheck.objects.get(pk=check.pk)

    assert stored.names == ["Jon Smyth"]
    assert stored.checked_by_id == org_a.members[Role.AGENT].pk
    assert stored.intake_id == intake.pk
    party_hits = [h for h in stored.hits if h["kind"] == "party"]
    assert party_hits[0] == {
        "name": "Jon Smyth",
        "matched": "John Smith",
        "kind": "party",
        "role": "client",
        "matter": "Smith v. Northwind Freight",
        "score": party_hits[0]["score"],
    }
    assert 0.3 <= party_hits[0]["score"] <= 1
    assert "Maria Garcia" not in {h["matched"] for h in stored.hits}


def test_matters_are_searched_too_and_hits_are_ranked(org_a: OrgWorld) -> None:
    _book(org_a)
    intake = draft_intake(org_a)
    with tenant_context(org_a.organization):
        check = check_conflicts(
            actor=org_a.tenant(), intake=intake, names=["Northwind Freight", "Nobody Atall"]
        )
    kinds = {(h["kind"], h["matched"]) for h in check.hits}
    assert ("party", "Northwind Freight LLC") in kinds
    assert ("matter", "Smith v. Northwind Freight") in kinds
    scores = [h["score"] for h in check.hits if h["name"] == "Northwind Freight"]
    assert scores == sorted(scores, reverse=True)
    assert not [h for h in check.hits if h["name"] == "Nobody Atall"]


def test_every_check_is_recorded_even_without_hits(org_a: OrgWorld) -> None:
    intake = draft_intake(org_a)
    with tenant_context(org_a.organization):
        check_conflicts(actor=org_a.tenant(), intake=intake, names=["Zebediah Quux"])
        check_conflicts(actor=org_a.tenant(), intake=intake, names=["Zebediah Quux"])
        assert list(ConflictCheck.objects.values_list("hits", flat=True)) == [[], []]


def test_another_organisations_party_never_hits(org_a: OrgWorld, org_b: OrgWorld) -> None:
    # Catches a search that forgets the organisation: a conflict check would then leak
    # another firm's clients to this one's agents.
    _book(org_b)
    intake = draft_intake(org_a)
    with tenant_context(org_a.organization):
        check = check_conflicts(actor=org_a.tenant(), intake=intake, names=["John Smith"])
    assert check.hits == []


def test_row_level_security_hides_other_organisations(org_a: OrgWorld, org_b: OrgWorld) -> None:
    # The database's own guard, as the application role: another organisation's parties
    # are never candidates, whatever the query asks for.
    _book(org_b)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "coverage_app"
    with tenant_context(org_a.organization), connection.cursor() as cursor:
        assert search_names(["John Smith"]) == []
        cursor.execute("SELECT count(*) FROM intake_party WHERE name %% %s", ["John Smith"])
        assert cursor.fetchone() == (0,)
    with tenant_context(org_b.organization):
        found = search_names(["John Smith"])
    assert "John Smith" in {h.matched for h in found}


def test_the_similarity_operator_may_be_answered_by_the_index_under_row_level_security():
    # Catches a database where pg_trgm's similarity operator is not LEAKPROOF (bin/setup-db
    # marks it): row-level security then keeps the condition out of the trigram index and
    # the check reads every party of the organisation (seconds on a large book; the bench
    # shows the plan at scale).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proleakproof FROM pg_proc WHERE oid = 'similarity_op(text, text)'::regprocedure"
        )
        assert cursor.fetchone() == (True,)


def test_the_search_leaves_the_planner_settings_of_the_transaction_as_they_were(
    org_a: OrgWorld,
) -> None:
    # The search turns plain index and sequential scans off for itself only: the rest of
    # the request's transaction must plan as usual.
    _book(org_a)
    with tenant_context(org_a.organization), connection.cursor() as cursor:
        search_names(["John Smith"])
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan')"
        )
        assert cursor.fetchone() == ("on", "on")


def test_at_most_ten_hits_per_name(org_a: OrgWorld) -> None:
    with tenant_context(org_a.organization):
        Party.objects.bulk_create(
            Party(organization_id=org_a.organization.pk, name=f"John Smith {n}") for n in range(15)
        )
        record_names(f"John Smith {n}" for n in range(15))
    intake = draft_intake(org_a)
    with tenant_context(org_a.organization):
        check = check_conflicts(actor=org_a.tenant(), intake=intake, names=["John Smith"])
    assert len(check.hits) == HITS_PER_NAME


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ([f"Name {n}" for n in range(MAX_NAMES + 1)], "Check at most 20 names"),
        (["x" * 201], "Name 1 is longer than 200 characters."),
        (["Ann", 5], "Name 2 must be text."),
        ("John Smith", "Give a list of names."),
    ],
)
def test_unusable_names_are_refused_before_any_lookup_and_nothing_is_recorded(
    org_a: OrgWorld, names: object, message: str
) -> None:
    intake = draft_intake(org_a)
    with tenant_context(org_a.organization):
        with pytest.raises(ValidationError) as refused:
            check_conflicts(actor=org_a.tenant(), intake=intake, names=names)  # type: ignore[arg-type]
        assert ConflictCheck.objects.count() == 0
    assert any(m.startswith(message) for m in refused.value.message_dict["names"])


def test_twenty_names_with_blanks_and_repeats_are_fine(org_a: OrgWorld) -> None:
    intake = draft_intake(org_a)
    names = [f"Person {n}" for n in range(MAX_NAMES)] + ["", "   ", "person 1"]
    with tenant_context(org_a.organization):
        check = check_conflicts(actor=org_a.tenant(), intake=intake, names=names)
    assert len(check.names) == MAX_NAMES


def test_a_completed_intake_adds_its_caller_as_a_prospect_once(org_a: OrgWorld) -> None:
    intake = draft_intake(org_a)
    with tenant_context(org_a.organization):
        first = record_prospect(intake=intake, name="Jane  Doe")
        again = record_prospect(intake=intake, name="Jane Doe-Ray")
        assert Party.objects.filter(external_ref=f"intake:{intake.pk}").count() == 1
        party = Party.objects.get(pk=first.pk)
    assert again.pk == first.pk
    assert party.role == PartyRole.PROSPECT
    assert party.name == "Jane Doe-Ray"
    later = draft_intake(org_a)
    with tenant_context(org_a.organization):
        check = check_conflicts(actor=org_a.tenant(), intake=later, names=["Jane Doe Ray"])
    assert [h["role"] for h in check.hits] == ["prospect"]
