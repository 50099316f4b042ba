"""The API's one error shape, and the exception handler that gives every error that shape.

Every error under ``/api/v1/`` answers JSON ``{"error": {"code", "message", "fields"}}``:
``code`` is a stable machine-readable word, ``message`` a sentence for a person, ``fields``
maps each invalid input (``name``, ``members.2``, ``non_field_errors``) to its messages.
``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` names ``exception_handler``; the API's URLconf
ends with ``not_found``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from psycopg import errors as pg_errors
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from tenancy.context import get_current_organization_id

logger = logging.getLogger(__name__)

NON_FIELD_ERRORS_KEY: str = api_settings.NON_FIELD_ERRORS_KEY
INVALID_MESSAGE = "Some fields are invalid; error.fields names each one with what to change."


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Another request changed the same record at the same time; try again."
    default_code = "conflict"


def _flatten(detail: Any, path: str, out: dict[str, list[str]]) -> None:
    """Flatten DRF's nested error detail into ``{"field.0.sub": [messages]}``."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = str(key)
            if name in (NON_FIELD_ERRORS, NON_FIELD_ERRORS_KEY):
                child = path or NON_FIELD_ERRORS_KEY
            else:
                child = f"{path}.{name}" if path else name
            _flatten(value, child, out)
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in detail):
            out.setdefault(path or NON_FIELD_ERRORS_KEY, []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    _flatten(item, f"{path}.{index}" if path else str(index), out)
    else:
        out.setdefault(path or NON_FIELD_ERRORS_KEY, []).append(str(detail))


def validation_fields(detail: Any) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    _flatten(detail, "", fields)
    return fields


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(
    code: str, message: str, http_status: int, fields: dict[str, list[str]] | None = None
) -> Response:
    return Response(error_body(code, message, fields), status=http_status)


def _roll_back_tenant_work() -> None:
    # A request that fails writes nothing: the tenant middleware runs the view inside the
    # organisation's transaction (or savepoint) and commits whatever a view wrote before
    # raising, unless it is marked for rollback here. Outside a tenant context there is no
    # such block, and marking an enclosing one would poison it.
    if get_current_organization_id() is not None and connection.in_atomic_block:
        transaction.set_rollback(True)


def _django_validation_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {NON_FIELD_ERRORS_KEY: exc.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error as ``{"error": {"code", "message", "fields"}}``.

    Domain ``ValidationError``s from services become 400s with their fields, a unique
    violation lost to a concurrent writer a 409, anything unexpected a logged 500 in the
    same shape (in DEBUG the exception propagates to Django's debug page instead).
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, IntegrityError) and isinstance(exc.__cause__, pg_errors.UniqueViolation):
        exc = Conflict()
    response = drf_exception_handler(exc, context)
    _roll_back_tenant_work()
    if response is None:
        if settings.DEBUG:
            return None
        logger.error("Unhandled error in an API view", exc_info=exc)
        return error_response(
            "server_error",
            "Something went wrong on our side; nothing was saved. Try again later.",
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        return error_response(
            "invalid", INVALID_MESSAGE, status.HTTP_400_BAD_REQUEST, validation_fields(exc.detail)
        )
    assert isinstance(exc, exceptions.APIException)
    detail = exc.detail
    message = str(detail) if not isinstance(detail, dict | list) else "The request failed."
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    result = error_response(str(code), message, response.status_code)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    return result


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any path under ``/api/v1/`` that names no endpoint: a 404 in the error shape (not
    Django's HTML page), with a hint when only the trailing slash is missing."""
    message = "No API endpoint at this path."
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            message += f" Did you mean {request.path_info}/ (with the trailing slash)?"
    return JsonResponse(error_body("not_found", message), status=status.HTTP_404_NOT_FOUND)
