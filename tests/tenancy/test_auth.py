"""Sign-in: session rotation, throttling and password reset."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_signing_in_rotates_the_session_key(client, org_a):
    # Catches session fixation: a session id planted before sign-in must not survive it.
    client.get("/accounts/login/")
    before = client.session.session_key or client.cookies.get("sessionid")
    client.session.save()
    before = client.session.session_key
    response = client.post(
        "/accounts/login/", {"username": org_a.user().username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.session.get("_auth_user_id") == str(org_a.user().pk)


def test_repeated_wrong_passwords_lock_the_sign_in(client, org_a, settings):
    # Catches login throttling being switched off or misconfigured (guessing attacks).
    username = org_a.user().username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": username, "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_reset_mails_a_working_link(client, org_a):
    # Catches a reset flow that sends no email or a link that does not resolve.
    user = org_a.user()
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(word for word in mail.outbox[0].body.split() if "/accounts/password/reset/" in word)
    path = link[link.index("/accounts/") :]
    confirm = client.get(path, follow=True)
    assert confirm.status_code == 200
    assert "new_password1" in confirm.content.decode()
