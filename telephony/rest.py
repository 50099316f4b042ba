"""The real twilio REST client, pointed at ``settings.TWILIO_API_BASE_URL``.

In production that is Twilio itself; in development and tests it is Prism serving Twilio's
OpenAPI description (telephony/prism.py). The twilio library builds absolute
``https://api.twilio.com/…`` URLs, so the HTTP client rewrites that prefix.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_API_ORIGIN = "https://api.twilio.com"


class BaseUrlHttpClient(TwilioHttpClient):
    """twilio's own HTTP client, sending to ``TWILIO_API_BASE_URL`` instead of Twilio."""

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        base = settings.TWILIO_API_BASE_URL.rstrip("/")
        if base != TWILIO_API_ORIGIN and url.startswith(TWILIO_API_ORIGIN):
            url = base + url[len(TWILIO_API_ORIGIN) :]
        return super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout if timeout is not None else settings.TWILIO_HTTP_TIMEOUT_SECONDS,
            allow_redirects=allow_redirects,
        )


_http_client: dict[str, Any] = {}


def http_client() -> BaseUrlHttpClient:
    """One pooled HTTP client per process."""
    if "client" not in _http_client:
        _http_client["client"] = BaseUrlHttpClient(pool_connections=True)
    client: BaseUrlHttpClient = _http_client["client"]
    return client


def twilio_client(*, account_sid: str, auth_token: str) -> Client:
    """A client acting as the organisation's own subaccount."""
    return Client(account_sid, auth_token, http_client=http_client())
