"""The short path through Django for machine-to-machine endpoints (Twilio's webhooks)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import resolve


class WebhookPathMiddleware:
    """Sends requests under ``settings.WEBHOOK_PATH_PREFIXES`` straight to their view,
    past every middleware below this one.

    Sessions, CSRF, authentication, messages, clickjacking and security headers, htmx,
    lockouts and the tenant resolver serve people in browsers and API clients. A webhook is
    signed, names its own tenant and sets no cookie; on the busiest path in the product
    that stack cost about a tenth of each request. It sits right after the request id, so
    webhook log lines keep theirs; Django still turns an exception into a 500 here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.WEBHOOK_PATH_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(self.prefixes):
            return self.get_response(request)
        match = resolve(request.path_info)
        request.resolver_match = match
        response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        return response
