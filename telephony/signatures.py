"""Checking ``X-Twilio-Signature``: Twilio's HMAC-SHA1, keyed with the organisation's auth
token, over the URL it requested (the public one, ``settings.PUBLIC_BASE_URL`` + path and
query: behind a TLS-terminating proxy the request Django sees is not the one Twilio made)
and the sorted form parameters."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


class _Form(dict[str, Any]):
    """A form of single values as the validator reads it. It asks each parameter for
    ``getall`` (Flask), then ``getlist`` (Django), then plain indexing, catching an
    AttributeError at each miss: on a plain dict, two exceptions per parameter, most of
    the signature check's cost."""

    def getall(self, name: str) -> list[Any]:
        return [self[name]]


def signature_is_valid(
    validator: RequestValidator, *, url: str, params: Mapping[str, Any], signature: str
) -> bool:
    """One HMAC in the common case: the exact URL first; the library's variants (with and
    without the default port, which Twilio's signing has not always agreed on) only when
    that fails."""
    form = params if isinstance(params, QueryDict) else _Form(params)
    expected = validator.compute_signature(url, form)
    if hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return True
    return bool(validator.validate(url, params, signature))
