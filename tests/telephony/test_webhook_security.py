"""Who may call the webhooks: only Twilio, signing with the owning organisation's token."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from twilio.request_validator import RequestValidator

from telephony import counters
from telephony.models import Call, CallEvent, Contact
from tenancy.context import tenant_context
from tests.telephony.conftest import TwilioSigner

pytestmark = pytest.mark.django_db

INCOMING = "/twilio/voice/incoming"


def incoming_params(tel, *, call_sid: str = "CA" + "1" * 32, to: str | None = None) -> dict:
    return {
        "AccountSid": tel.account_sid,
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": "+13125550123",
        "To": to or tel.main_number.e164,
        "ApiVersion": "2010-04-01",
    }


def stored_rows(organization_id: int) -> tuple[int, int, int]:
    with tenant_context(organization_id):
        return Call.objects.count(), CallEvent.objects.count(), Contact.objects.count()


def test_a_correctly_signed_call_is_accepted_and_stored(tel_a, twilio):
    # Catches a validator wired to the wrong token or URL: Twilio's real requests refused.
    response = twilio.post(INCOMING, incoming_params(tel_a), token=tel_a.auth_token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert stored_rows(tel_a.organization_id) == (1, 1, 1)


@pytest.mark.parametrize(
    ("signature", "reason"),
    [(None, "missing_signature"), ("bm90IGEgc2lnbmF0dXJl", "bad_signature")],
)
def test_a_missing_or_bad_signature_is_refused_and_nothing_is_stored(
    tel_a, twilio, signature, reason
):
    # Catches a webhook that trusts unsigned or forged requests (anyone could fake calls).
    response = twilio.post(INCOMING, incoming_params(tel_a), token=None, signature=signature)
    assert response.status_code == 403
    assert stored_rows(tel_a.organization_id) == (0, 0, 0)
    assert counters.rejected_webhooks(reason) == 1


def test_a_signature_over_changed_parameters_is_refused(tel_a, twilio):
    # Catches checking only the header's presence or only the URL: a replayed signature
    # on altered parameters (another caller's number) must fail.
    params = incoming_params(tel_a)
    signature = twilio.sign(tel_a.auth_token, INCOMING, params)
    params["From"] = "+13125550999"
    response = twilio.post(INCOMING, params, token=None, signature=signature)
    assert response.status_code == 403
    assert stored_rows(tel_a.organization_id) == (0, 0, 0)


def test_signature_is_computed_over_the_public_url_behind_a_proxy(tel_a, twilio):
    # Catches building the URL from the request (http://testserver/…): behind a TLS proxy
    # that URL differs from the https one Twilio signed, and every real webhook would fail.
    params = incoming_params(tel_a)
    internal = RequestValidator(tel_a.auth_token).compute_signature(
        "http://testserver" + INCOMING, params
    )
    assert twilio.post(INCOMING, params, token=None, signature=internal).status_code == 403
    assert twilio.post(INCOMING, params, token=tel_a.auth_token).status_code == 200


def test_the_default_port_variant_of_the_public_url_is_accepted(tel_a, twilio):
    # Catches dropping the library's fallback: Twilio has signed URLs with an explicit
    # :443, and such a request must still pass (on the slow path).
    params = incoming_params(tel_a)
    with_port = RequestValidator(tel_a.auth_token).compute_signature(
        "https://coverage.example.test:443" + INCOMING, params
    )
    assert twilio.post(INCOMING, params, token=None, signature=with_port).status_code == 200


@pytest.mark.parametrize(
    "change",
    [{"To": "+19995550100"}, {"AccountSid": "AC" + "c" * 32}],
    ids=["unknown number", "unknown subaccount"],
)
def test_an_unknown_pair_is_refused_exactly_as_a_bad_signature_is(tel_a, twilio, change):
    # Catches the webhook telling a stranger which (subaccount, number) pairs are customers:
    # an unknown pair used to answer 200 "not in service", a known one with a forged
    # signature 403, so probing with any signature enumerated the customers' numbers.
    forged = "bm90IGEgc2lnbmF0dXJl"
    unknown = twilio.post(INCOMING, incoming_params(tel_a) | change, token=None, signature=forged)
    known = twilio.post(INCOMING, incoming_params(tel_a), token=None, signature=forged)
    assert (unknown.status_code, unknown["Content-Type"], unknown.content) == (
        known.status_code,
        known["Content-Type"],
        known.content,
    )
    assert known.status_code == 403
    # Even signed with a real token, an unknown pair is not served.
    signed = twilio.post(INCOMING, incoming_params(tel_a) | change, token=tel_a.auth_token)
    assert signed.status_code == 403
    assert stored_rows(tel_a.organization_id) == (0, 0, 0)
    assert counters.rejected_webhooks("unknown_number") == 2


def test_a_webhook_for_org_a_never_touches_org_b(tel_a, tel_b, twilio):
    # Catches resolving the tenant from the account alone, or leaking the tenant setting
    # between requests: org A's call lands in A, and B sees nothing of it.
    assert twilio.post(INCOMING, incoming_params(tel_a), token=tel_a.auth_token).status_code == 200
    assert stored_rows(tel_a.organization_id) == (1, 1, 1)
    assert stored_rows(tel_b.organization_id) == (0, 0, 0)
    # And org B's own call afterwards lands only in B.
    params_b = incoming_params(tel_b, call_sid="CA" + "2" * 32)
    assert twilio.post(INCOMING, params_b, token=tel_b.auth_token).status_code == 200
    assert stored_rows(tel_a.organization_id) == (1, 1, 1)
    assert stored_rows(tel_b.organization_id) == (1, 1, 1)


def test_org_b_token_cannot_sign_for_org_a_number(tel_a, tel_b, twilio):
    # Catches verifying against "any known token" or the token of the AccountSid claimed:
    # org B knows its own token, not A's, and must not be able to inject calls into A.
    params = incoming_params(tel_a)
    response = twilio.post(INCOMING, params, token=tel_b.auth_token)
    assert response.status_code == 403
    # Claiming B's subaccount with A's number resolves to no organisation at all.
    params["AccountSid"] = tel_b.account_sid
    response = twilio.post(INCOMING, params, token=tel_b.auth_token)
    assert response.status_code == 403
    assert stored_rows(tel_a.organization_id) == (0, 0, 0)
    assert stored_rows(tel_b.organization_id) == (0, 0, 0)


def test_callback_urls_tagged_with_another_orgs_number_id_are_refused(tel_a, tel_b, twilio):
    # Catches trusting the ?pn= number id without tying it to the subaccount: A's account
    # with B's number id resolves to nothing; B's account and id need B's token.
    path = f"/twilio/voice/recording-status?pn={tel_b.main_number.pk}"
    params = {
        "AccountSid": tel_a.account_sid,
        "CallSid": "CA" + "3" * 32,
        "RecordingSid": "RE" + "1" * 32,
    }
    assert twilio.post(path, params, token=tel_a.auth_token).status_code == 403
    params["AccountSid"] = tel_b.account_sid
    assert twilio.post(path, params, token=tel_a.auth_token).status_code == 403
    assert stored_rows(tel_a.organization_id)[1] == 0
    assert stored_rows(tel_b.organization_id)[1] == 0


def test_webhooks_need_no_csrf_token_and_accept_only_post(tel_a):
    # Catches the CSRF middleware rejecting Twilio (it sends no token) and GET being served.
    strict = Client(enforce_csrf_checks=True)
    response = TwilioSigner(strict).post(INCOMING, incoming_params(tel_a), token=tel_a.auth_token)
    assert response.status_code == 200
    assert strict.get(INCOMING).status_code == 405


def test_the_route_function_is_not_executable_by_other_roles():
    # Catches a definer function left executable by PUBLIC: it reads across tenants.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_function_privilege('public', "
            "'telephony_number_route(text, text, bigint)', 'EXECUTE')"
        )
        assert cursor.fetchone() == (False,)
