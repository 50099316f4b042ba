"""The distinct party names the conflict check searches (``PartyName``): kept in step by
every service that writes a party, in the same transaction; a renamed party is found under
its new name and its old name finds nothing; another organisation's names never hit, even
in raw SQL as the application role; the migration's backfill fills them per organisation
under row-level security."""

from __future__ import annotations

import importlib
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import connection

from intake.models import Party, PartyName
from intake.services import conflicts, parties
from intake.services.conflicts import HITS_PER_NAME, check_conflicts, search_names
from intake.services.parties import import_parties, numbered, read_csv, record_prospect
from tenancy.context import tenant_context
from tests.conftest import OrgWorld
from tests.intake.worlds import draft_intake

pytestmark = pytest.mark.django_db


def _import(world: OrgWorld, rows: list[dict[str, str]]) -> parties.ImportResult:
    with tenant_context(world.organization):
        return import_parties(actor=world.tenant(), rows=numbered(rows))


def _names(world: OrgWorld) -> set[str]:
    with tenant_context(world.organization):
        return set(PartyName.objects.values_list("name", flat=True))


def test_an_import_adds_each_distinct_name_once(org_a: OrgWorld) -> None:
    data = b"name,external_ref\nJohn Smith,P-1\nJohn   Smith,\nAcme Trucking,P-2\n"
    with tenant_context(org_a.organization):
        import_parties(actor=org_a.tenant(), rows=read_csv(data, columns=parties.PARTY_COLUMNS))
        assert PartyName.objects.filter(name="John Smith").count() == 1
    assert _names(org_a) == {"John Smith", "Acme Trucking"}
    # Again, with a name already there: nothing is refused or doubled.
    _import(org_a, [{"name": "John Smith"}, {"name": "Maria Garcia"}])
    assert _names(org_a) == {"John Smith", "Acme Trucking", "Maria Garcia"}


def test_a_refused_import_adds_no_name(org_a: OrgWorld) -> None:
    with pytest.raises(parties.ImportRefused):
        _import(org_a, [{"name": "Good Person"}, {"name": "Bad Person", "role": "enemy"}])
    assert _names(org_a) == set()


def test_a_party_renamed_by_an_upsert_is_found_under_its_new_name(org_a: OrgWorld) -> None:
    # Catches a rename that updates the party but not the names the check searches: the
    # party would then be invisible to every later conflict check.
    _import(org_a, [{"name": "Alice Wonderly", "role": "client", "external_ref": "P-1"}])
    result = _import(org_a, [{"name": "Zebulon Quartermaine", "external_ref": "P-1"}])
    assert (result.created, result.updated) == (0, 1)
    # The old name stays (nothing removes it) and finds nothing.
    assert _names(org_a) == {"Alice Wonderly", "Zebulon Quartermaine"}
    with tenant_context(org_a.organization):
        found = search_names(["Zebulon Quartermain", "Alice Wonderly"])
    assert [(h.name, h.matched, h.role) for h in found] == [
        ("Zebulon Quartermain", "Zebulon Quartermaine", "related")
    ]


def test_names_left_by_renamed_parties_do_not_crowd_out_the_hits(org_a: OrgWorld) -> None:
    # Catches a search that takes the ten best names before checking that they still have
    # parties: stale names would then hide real parties further down the list.
    _import(org_a, [{"name": f"John Smith {n}", "external_ref": f"P-{n}"} for n in range(15)])
    _import(org_a, [{"name": f"Zed Quux {n}", "external_ref": f"P-{n}"} for n in range(8)])
    with tenant_context(org_a.organization):
        found = search_names(["John Smith"])
    assert sorted(h.matched for h in found) == sorted(f"John Smith {n}" for n in range(8, 15))


def test_record_prospect_adds_the_name_and_a_new_name_when_it_changes(org_a: OrgWorld) -> None:
    intake = draft_intake(org_a)
    with tenant_context(org_a.organization):
        record_prospect(intake=intake, name="Jane  Doe")
        assert _names(org_a) == {"Jane Doe"}
        record_prospect(intake=intake, name="Priya Raman-Okafor")
        record_prospect(intake=intake, name="Priya Raman-Okafor")
        found = search_names(["Priya Ramen Okafor"])
    assert _names(org_a) == {"Jane Doe", "Priya Raman-Okafor"}
    assert [(h.matched, h.role) for h in found] == [("Priya Raman-Okafor", "prospect")]


def test_another_organisations_names_never_hit(org_a: OrgWorld, org_b: OrgWorld) -> None:
    # Catches a name search that forgets the organisation, or a join from a name to the
    # parties of another organisation that has the same name.
    _import(org_b, [{"name": "John Smith", "role": "client"}, {"name": "Acme Trucking"}])
    _import(org_a, [{"name": "Acme Trucking", "role": "adverse"}])
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "coverage_app"
    intake = draft_intake(org_a)
    with tenant_context(org_a.organization), connection.cursor() as cursor:
        check = check_conflicts(
            actor=org_a.tenant(), intake=intake, names=["John Smith", "Acme Trucking"]
        )
        cursor.execute("SELECT name FROM intake_partyname WHERE name %% %s", ["John Smith"])
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT count(*) FROM intake_partyname WHERE organization_id = %s",
            [org_b.organization.pk],
        )
        assert cursor.fetchone() == (0,)
    assert [(h["name"], h["matched"], h["role"]) for h in check.hits] == [
        ("Acme Trucking", "Acme Trucking", "adverse")
    ]


def test_the_migration_backfills_every_organisations_names_under_row_level_security(
    org_a: OrgWorld, org_b: OrgWorld
) -> None:
    # Parties written without the services (as before the names existed): the backfill sets
    # each organisation as the tenant in turn, else row-level security shows it nothing.
    for world, name in ((org_a, "Maria Garcia"), (org_b, "Wei Zhang")):
        with tenant_context(world.organization):
            Party.objects.create(name=name)
            Party.objects.create(name=name)
    migration = importlib.import_module("intake.migrations.0002_party_names")
    migration.backfill(None, SimpleNamespace(connection=connection))
    migration.backfill(None, SimpleNamespace(connection=connection))  # again: no duplicates
    assert _names(org_a) == {"Maria Garcia"}
    assert _names(org_b) == {"Wei Zhang"}
    with tenant_context(org_a.organization):
        assert [h.matched for h in search_names(["Maria Garcia"])] == ["Maria Garcia"] * 2


def test_searching_first_at_the_higher_threshold_changes_no_result(
    org_a: OrgWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Catches a shortcut that is not exact: whether a name is answered by the first, higher
    # threshold or searched again at 0.3, the hits must be those of one search at 0.3.
    firsts = ["John", "Jon", "Joan", "Carol", "Caroline", "Maria"]
    lasts = ["Smith", "Smyth", "Smithers", "Garcia", "Garza"]
    rows = [{"name": f"{f} {ln}", "role": "client"} for f in firsts for ln in lasts]
    rows += [{"name": f"{f} {i}. {ln}"} for f in firsts for ln in lasts for i in "AB"]
    rows += [{"name": "John Smith", "role": "adverse"}, {"name": "Smith Trucking LLC"}]
    _import(org_a, rows)
    queries = ["John Smith", "Jon Smyth", "Caroline Garza", "Smith Truckin", "Mari Garcia-Lee"]
    with tenant_context(org_a.organization):
        tiered = search_names(queries)
        monkeypatch.setattr(conflicts, "FIRST_THRESHOLD", conflicts.SIMILARITY_THRESHOLD)
        single = search_names(queries)
    assert tiered == single
    per_name = Counter(hit.name for hit in tiered)
    # Both paths taken: names answered at the first threshold, and names searched again.
    assert per_name["John Smith"] == HITS_PER_NAME
    assert 0 < per_name["Smith Truckin"] < HITS_PER_NAME
