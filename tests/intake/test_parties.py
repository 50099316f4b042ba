"""Importing parties and matters: CSV (BOM, CRLF, words for roles) and JSON, all or nothing
with a message per bad row, upserts by external reference; the page and the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from intake.models import Matter, Party, PartyRole
from intake.services import parties
from intake.services.parties import ImportRefused, import_matters, import_parties, read_csv
from tenancy.context import tenant_context
from tenancy.roles import Role
from tenancy.services import api_key_create
from tests.conftest import OrgWorld

pytestmark = pytest.mark.django_db

MATTERS_CSV = b"name,matter_type,external_ref,open\r\nSmith v. Jones,personal injury,M-1,yes\r\n"
PARTIES_CSV = (
    "\ufeffName,Role,Matter,External_Ref\r\n"
    "John Smith,Client,M-1,P-1\r\n"
    "Acme Trucking,ADVERSE PARTY,Smith v. Jones,P-2\r\n"
    "Zoë Brontë,,,\r\n"
).encode()


def _matters(world: OrgWorld) -> None:
    with tenant_context(world.organization):
        import_matters(
            actor=world.tenant(), rows=read_csv(MATTERS_CSV, columns=parties.MATTER_COLUMNS)
        )


def _parties(world: OrgWorld, data: bytes) -> parties.ImportResult:
    with tenant_context(world.organization):
        return import_parties(
            actor=world.tenant(), rows=read_csv(data, columns=parties.PARTY_COLUMNS)
        )


def _table(world: OrgWorld) -> list[tuple[str, str, str | None, str]]:
    with tenant_context(world.organization):
        return [
            (p.name, p.role, p.matter.name if p.matter else None, p.external_ref)
            for p in Party.objects.select_related("matter").order_by("name")
        ]


def test_a_csv_with_bom_crlf_and_role_words_is_imported(org_a: OrgWorld) -> None:
    _matters(org_a)
    result = _parties(org_a, PARTIES_CSV)
    assert (result.created, result.updated) == (3, 0)
    assert _table(org_a) == [
        ("Acme Trucking", "adverse", "Smith v. Jones", "P-2"),
        ("John Smith", "client", "Smith v. Jones", "P-1"),
        ("Zoë Brontë", "related", None, ""),
    ]


def test_rows_with_a_reference_update_the_party_that_has_it(org_a: OrgWorld) -> None:
    _matters(org_a)
    _parties(org_a, PARTIES_CSV)
    result = _parties(org_a, b"name,role,external_ref\nJohn Smyth-Jones,prospect,P-1\n")
    assert (result.created, result.updated) == (0, 1)
    assert ("John Smyth-Jones", "prospect", None, "P-1") in _table(org_a)
    assert len(_table(org_a)) == 3


def test_a_file_with_bad_rows_is_refused_whole_with_a_message_per_row(org_a: OrgWorld) -> None:
    # Catches a half-imported file: the good rows saved, the bad ones silently dropped.
    lines = ["name,role,matter,external_ref"]
    lines += [f"Person {n},client,," for n in range(5)]
    lines += ["Bad Person,enemy,,", ",client,,", "Lost,client,No such matter,", "Dup,client,,R"]
    lines += ["Dup again,client,,R"]
    with pytest.raises(ImportRefused) as refused:
        _parties(org_a, "\n".join(lines).encode())
    assert refused.value.problems == [
        "Row 7: role 'enemy' is not one of client, adverse party, related party, "
        "prospective client.",
        "Row 8: name is missing.",
        "Row 9: matter 'No such matter' is not on file (neither a reference nor a name): "
        "import the matters first.",
        "Row 11: external_ref 'R' is also on row 10.",
    ]
    assert _table(org_a) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("name\nJosé\n".encode("latin-1"), "The file is not UTF-8 text"),
        (b"", "The file is empty"),
        (b"nom,role\nA,client\n", "Unknown column 'nom'"),
        (b"role\nclient\n", "The first row must name the columns"),
        (b"name\nA,extra\n", "Row 2: has more cells than the header has columns."),
    ],
)
def test_unreadable_files_are_refused_clearly(org_a: OrgWorld, data: bytes, message: str) -> None:
    with pytest.raises(ImportRefused) as refused:
        _parties(org_a, data)
    assert refused.value.problems[0].startswith(message)
    assert _table(org_a) == []


def test_too_many_rows_are_refused(org_a: OrgWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parties, "MAX_UPLOAD_ROWS", 3)
    with pytest.raises(ImportRefused) as refused:
        _parties(org_a, b"name\nA\nB\nC\nD\n")
    assert "more than 3 rows" in refused.value.problems[0]


def test_matters_named_twice_need_their_reference(org_a: OrgWorld) -> None:
    with tenant_context(org_a.organization):
        Matter.objects.create(name="Estate of Doe", external_ref="E-1")
        Matter.objects.create(name="ESTATE OF DOE", external_ref="E-2")
    with pytest.raises(ImportRefused) as refused:
        _parties(org_a, b"name,matter\nJane Doe,estate of doe\n")
    assert refused.value.problems == [
        "Row 2: 2 matters are named 'estate of doe': give the matter's external reference instead."
    ]
    _parties(org_a, b"name,matter\nJane Doe,E-2\n")
    assert _table(org_a) == [("Jane Doe", "related", "ESTATE OF DOE", "")]


# The page ---------------------------------------------------------------------------------


def _browser(world: OrgWorld, role: Role = Role.OWNER) -> Client:
    client = Client()
    client.force_login(world.user(role))
    return client


def test_the_upload_page_imports_and_redirects(org_a: OrgWorld) -> None:
    _matters(org_a)
    client = _browser(org_a, Role.SUPERVISOR)
    url = reverse("intake-parties", args=["acme"])
    response = client.post(url, {"file": SimpleUploadedFile("book.csv", PARTIES_CSV)})
    assert response.status_code == 302
    assert response["Location"] == url
    page = client.get(url)
    assert "Imported 3 parties: 3 added, 0 updated." in page.content.decode()
    assert len(_table(org_a)) == 3


def test_a_bad_upload_shows_each_row_and_saves_nothing(org_a: OrgWorld) -> None:
    client = _browser(org_a)
    url = reverse("intake-parties", args=["acme"])
    bad = b"name,role\nGood,client\nBad,enemy\n"
    response = client.post(url, {"file": SimpleUploadedFile("book.csv", bad)})
    assert response.status_code == 400
    assert "Row 3: role &#x27;enemy&#x27; is not one of" in response.content.decode()
    assert "Nothing was imported." in response.content.decode()
    assert _table(org_a) == []
    missing = client.post(url, {})
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()


def test_the_page_searches_by_similarity_and_counts(org_a: OrgWorld, org_b: OrgWorld) -> None:
    _matters(org_a)
    _parties(org_a, PARTIES_CSV)
    _parties(org_b, b"name\nJon Smith Foreign\n")
    page = _browser(org_a).get(reverse("intake-parties", args=["acme"]), {"q": "Jon Smyth"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "John Smith" in html
    assert "Foreign" not in html
    assert "Adverse party" in html  # role words, not codes


def test_the_matters_page_imports_matters(org_a: OrgWorld) -> None:
    client = _browser(org_a)
    url = reverse("intake-matters", args=["acme"])
    response = client.post(url, {"file": SimpleUploadedFile("m.csv", MATTERS_CSV)})
    assert response.status_code == 302
    with tenant_context(org_a.organization):
        assert list(Matter.objects.values_list("name", "is_open")) == [("Smith v. Jones", True)]


# The API ----------------------------------------------------------------------------------


@pytest.fixture
def api(org_a: OrgWorld) -> Client:
    with tenant_context(org_a.organization):
        _, raw = api_key_create(actor=org_a.tenant(), name="import", role=Role.SUPERVISOR)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _post(api: Client, name: str, body: Any, content_type: str = "application/json") -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body)
    return api.post(reverse(name), data, content_type=content_type)


def test_the_api_imports_a_json_list_and_a_csv_body(org_a: OrgWorld, api: Client) -> None:
    response = _post(
        api, "api-intake-matters-import", [{"name": "Smith v. Jones", "external_ref": "M-1"}]
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 0}
    rows = [{"name": "John Smith", "role": "Client", "matter": "M-1", "external_ref": "P-1"}]
    assert _post(api, "api-intake-parties-import", rows).json() == {"created": 1, "updated": 0}
    csv_body = _post(api, "api-intake-parties-import", PARTIES_CSV, "text/csv")
    assert csv_body.json() == {"created": 2, "updated": 1}
    assert _table(org_a)[1] == ("John Smith", "client", "Smith v. Jones", "P-1")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Send a JSON list of rows"),
        ([{"name": 5}], "Row 1: name must be text."),
        ([{"name": "A", "colour": "red"}], "Row 1: unknown field 'colour'."),
        (["A"], "Row 1: must be an object"),
        ([], "There are no rows to import."),
    ],
)
def test_the_api_refuses_bad_rows_with_their_numbers(
    org_a: OrgWorld, api: Client, body: Any, message: str
) -> None:
    response = _post(api, "api-intake-parties-import", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["rows"][0].startswith(message)
    assert _table(org_a) == []


def test_the_api_takes_at_most_five_thousand_json_rows(org_a: OrgWorld, api: Client) -> None:
    rows = [{"name": f"P {n}"} for n in range(parties.MAX_API_ROWS + 1)]
    response = _post(api, "api-intake-parties-import", rows)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["rows"] == [
        "Send at most 5,000 rows at a time (got 5,001)."
    ]
    assert _table(org_a) == []


def test_the_api_refuses_a_csv_that_is_not_utf8(org_a: OrgWorld, api: Client) -> None:
    response = _post(api, "api-intake-parties-import", "name\nJosé\n".encode("cp1252"), "text/csv")
    assert response.status_code == 400
    assert "not UTF-8" in response.json()["error"]["fields"]["rows"][0]


def test_the_api_search_returns_similar_names(org_a: OrgWorld, api: Client) -> None:
    _matters(org_a)
    _parties(org_a, PARTIES_CSV)
    found = api.get(reverse("api-intake-parties"), {"q": "Jon Smyth"}).json()["results"]
    assert {"matched": "John Smith", "kind": "party", "role": "client"}.items() <= next(
        hit for hit in found if hit["kind"] == "party"
    ).items()
    listed = api.get(reverse("api-intake-parties")).json()["results"]
    assert {p["name"] for p in listed} == {"John Smith", "Acme Trucking", "Zoë Brontë"}


def test_roles_are_checked_case_insensitively_in_words_and_values() -> None:
    for word, role in [("PROSPECTIVE CLIENT", "prospect"), ("adverse", "adverse")]:
        row, problems = parties._party_row(1, {"name": "A", "role": word})
        assert problems == []
        assert row is not None and row.role == role
    related, _ = parties._party_row(1, {"name": "A"})
    assert related is not None and related.role == PartyRole.RELATED


def test_a_name_with_a_nul_or_control_character_is_refused_by_row_and_nothing_is_saved(
    org_a: OrgWorld,
) -> None:
    # Catches a 500: PostgreSQL's text holds no NUL, and a control character is never part
    # of a name (found by schemathesis on the matters import).
    rows = [(1, {"name": "Good matter"}), (2, {"name": "Bad\x00matter"}), (3, {"name": "A\x9bB"})]
    with tenant_context(org_a.organization):
        with pytest.raises(ImportRefused) as refused:
            import_matters(actor=org_a.tenant(), rows=rows)
        assert not Matter.objects.exists()
    text = " ".join(refused.value.messages)
    assert "Row 2: name contains control characters" in text
    assert "Row 3: name contains control characters" in text
