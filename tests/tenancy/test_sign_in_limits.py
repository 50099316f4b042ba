"""Sign-in abuse (issue 9, items 7 and 8): no 500 from a long username, limits per account
across addresses and per address across usernames, the client address taken from a proxy's
header only when it is trusted, and password-reset mail limited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tenancy import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
RESET = "/accounts/password/reset/"


@pytest.fixture(autouse=True)
def sign_in_limits(settings: Any) -> Iterator[None]:
    """Small limits; the counters' own test database is emptied before each test
    (tests/conftest.py)."""
    settings.SIGN_IN_ACCOUNT_FAILURE_LIMIT = 4
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 6
    settings.PASSWORD_RESET_ACCOUNT_LIMIT = 2
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 3
    settings.AXES_FAILURE_LIMIT = 100  # out of the way: these tests are about the others
    yield


def from_address(address: str, *, forwarded: str | None = None) -> Client:
    if forwarded is None:
        return Client(REMOTE_ADDR=address)
    return Client(REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=forwarded)


def test_a_username_longer_than_axes_column_is_refused_not_a_500(client):
    # Catches axes recording the raw username in its varchar(255): a 256-character username
    # was a 500 (Django reports the failure even though the form refuses the username).
    response = client.post(LOGIN, {"username": "a" * 256, "password": "x"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_many_addresses_guessing_one_account_lock_that_account(org_a, settings):
    # Catches credential stuffing going unchecked: axes counts per (username, address),
    # so one try from each of many addresses never locked anything.
    username = org_a.user().username
    for n in range(settings.SIGN_IN_ACCOUNT_FAILURE_LIMIT):
        from_address(f"203.0.113.{n}").post(LOGIN, {"username": username, "password": "no"})
    fresh = from_address("198.51.100.7")
    locked = fresh.post(LOGIN, {"username": username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in fresh.session
    body = locked.content.decode()
    assert "for this account" in body and "try again in 1 hour" in body
    assert 3500 < int(locked["Retry-After"]) <= 3600
    # Another account is not affected.
    other = org_a.user(role="agent").username
    assert fresh.post(LOGIN, {"username": other, "password": PASSWORD}).status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(org_a, settings):
    # Catches password spraying going unchecked: one address trying one password on many
    # usernames never hit axes' per-(username, address) limit.
    sprayer = from_address("203.0.113.50")
    for n in range(settings.SIGN_IN_ADDRESS_FAILURE_LIMIT):
        sprayer.post(LOGIN, {"username": f"person{n}@example.com", "password": "Summer2026!"})
    locked = sprayer.post(LOGIN, {"username": org_a.user().username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "from your network" in locked.content.decode()
    # The account itself is fine from elsewhere.
    elsewhere = from_address("198.51.100.8")
    response = elsewhere.post(LOGIN, {"username": org_a.user().username, "password": PASSWORD})
    assert response.status_code == 302


def test_a_successful_sign_in_clears_its_accounts_count(org_a, settings):
    # Catches a person who mistyped a few times being locked out later by a few more typos.
    username = org_a.user().username
    person = from_address("198.51.100.9")
    for _ in range(settings.SIGN_IN_ACCOUNT_FAILURE_LIMIT - 1):
        person.post(LOGIN, {"username": username, "password": "typo"})
    assert person.post(LOGIN, {"username": username, "password": PASSWORD}).status_code == 302
    person.logout()
    person.post(LOGIN, {"username": username, "password": "typo"})
    assert person.post(LOGIN, {"username": username, "password": PASSWORD}).status_code == 302


def test_the_forwarded_address_counts_only_behind_a_trusted_proxy(rf, settings):
    # Catches trusting X-Forwarded-For by default (anyone could pick an address per try and
    # never be limited) and ignoring it behind a declared proxy (everyone shares the proxy's
    # address and one sprayer locks every user out).
    request = rf.post(LOGIN, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.77")
    settings.TRUSTED_PROXY_COUNT = 0
    assert sign_in.client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert sign_in.client_address(request) == "203.0.113.77"
    settings.TRUSTED_PROXY_COUNT = 2
    assert sign_in.client_address(request) == "1.2.3.4"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer hops than proxies: a proxy is missing
    assert sign_in.client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    garbage = rf.post(LOGIN, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
    assert sign_in.client_address(garbage) == "10.0.0.2"


def test_behind_one_proxy_a_sprayer_does_not_lock_out_everyone(org_a, settings):
    # Catches the address limit keyed on the proxy's address: with TRUSTED_PROXY_COUNT set,
    # one client's failures lock that client only.
    settings.TRUSTED_PROXY_COUNT = 1
    sprayer = from_address("10.0.0.2", forwarded="203.0.113.60")
    for n in range(settings.SIGN_IN_ADDRESS_FAILURE_LIMIT):
        sprayer.post(LOGIN, {"username": f"person{n}@example.com", "password": "x"})
    assert sprayer.post(LOGIN, {"username": "a@example.com", "password": "x"}).status_code == 429
    colleague = from_address("10.0.0.2", forwarded="198.51.100.61")
    response = colleague.post(LOGIN, {"username": org_a.user().username, "password": PASSWORD})
    assert response.status_code == 302


def test_password_reset_mail_is_limited_per_account_and_per_address(org_a, settings):
    # Catches the reset form mailing without limit: it could flood a person's inbox, or
    # send mail in bulk from one address. The limit applies to unknown addresses too, so
    # the answer never tells whether an account exists.
    email = org_a.user().email
    person = from_address("198.51.100.10")
    for _ in range(settings.PASSWORD_RESET_ACCOUNT_LIMIT):
        assert person.post(RESET, {"email": email}).status_code == 302
    assert len(mail.outbox) == settings.PASSWORD_RESET_ACCOUNT_LIMIT
    limited = from_address("198.51.100.11").post(RESET, {"email": email})
    assert limited.status_code == 429
    assert "try again in 1 hour" in limited.content.decode()
    assert len(mail.outbox) == settings.PASSWORD_RESET_ACCOUNT_LIMIT

    bulk = from_address("203.0.113.70")
    for n in range(settings.PASSWORD_RESET_ADDRESS_LIMIT):
        assert bulk.post(RESET, {"email": f"nobody{n}@example.com"}).status_code == 302
    assert bulk.post(RESET, {"email": "nobody-else@example.com"}).status_code == 429
