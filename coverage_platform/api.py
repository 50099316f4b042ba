"""The API's shared contract: one error shape, cursor pagination, object ids in paths, and the
OpenAPI documentation of the errors every operation can answer.

Every error under ``/api/v1/`` answers JSON ``{"error": {"code", "message", "fields"}}``:
``code`` is a stable machine-readable word, ``message`` a sentence for a person, ``fields``
maps each invalid input (``name``, ``members.2``, ``non_field_errors``) to its messages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
)
from django.core.exceptions import (
    ValidationError as DjangoValidationError,
)
from django.db import IntegrityError, connection, models, transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from psycopg import errors as pg_errors
from rest_framework import exceptions, pagination, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from tenancy.context import get_current_organization_id

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
BIGINT_MAX = 2**63 - 1
NON_FIELD_ERRORS_KEY: str = api_settings.NON_FIELD_ERRORS_KEY
INVALID_MESSAGE = "Some fields are invalid; error.fields names each one with what to change."


class ObjectIdConverter:
    """Path converter for object ids: a positive bigint. Anything else (``abc``, ``-1``, a
    number past the bigint range) does not match, so it is a 404 like any unknown path
    rather than a database error. Documented by PATH_CONVERTER_OVERRIDES in settings."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= BIGINT_MAX:
            raise ValueError("Object id out of range.")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Another request changed the same record at the same time; try again."
    default_code = "conflict"


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination whose bad cursors are a 400 on the ``cursor`` field.

    DRF answers an undecodable cursor with a 404 and passes the decoded position straight
    into the query, where a non-number or a number past the column's range is a database
    error (a 500); both are checked here against the ordering field.
    """

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "This cursor is not valid: use the next or previous link as given."

    _model: type[models.Model] | None = None

    def paginate_queryset(
        self,
        queryset: models.QuerySet[Any, Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        self._model = getattr(queryset, "model", None)
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(str(cursor.position))
        return cursor

    def _invalid(self) -> exceptions.ValidationError:
        return exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def _check_position(self, position: str) -> None:
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        if self._model is None:
            return
        try:
            field = self._model._meta.get_field(ordering.lstrip("-"))
        except FieldDoesNotExist:
            return
        if not isinstance(field, models.Field):
            return
        try:
            value = field.to_python(position)
        except DjangoValidationError:
            raise self._invalid() from None
        if isinstance(field, models.IntegerField):
            low, high = connection.ops.integer_field_range(field.get_internal_type())
            if (low is not None and value < low) or (high is not None and value > high):
                raise self._invalid()


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


# OpenAPI documentation of the error responses, added to every /api/v1/ operation by the
# postprocessing hook below, so each endpoint documents them whichever view class it uses.
ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The one shape of every API error.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {
                    "type": "string",
                    "description": "Machine-readable: invalid, not_authenticated, "
                    "authentication_failed, permission_denied, not_found, method_not_allowed, "
                    "unsupported_media_type, parse_error, conflict, …",
                },
                "message": {"type": "string", "description": "What went wrong, for a person."},
                "fields": {
                    "type": "object",
                    "description": "For code `invalid`: each invalid input (nested ones as "
                    "`members.2`; errors not tied to one field under `non_field_errors`) "
                    "with its messages. Empty otherwise.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input (body or query parameters); nothing was written. "
    "`error.fields` says what to change.",
    "401": "Missing, malformed, unknown or revoked credentials.",
    "403": "The caller's role may not do this.",
    "404": "No such object in the caller's organisation.",
    "409": "A concurrent request changed the same record; retry.",
    "415": "The body is not JSON (send `Content-Type: application/json`).",
}
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _error_status_codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    codes = ["401", "403"]
    if has_body or has_query:
        codes.append("400")
    if "{" in path:
        codes.append("404")
    if method in {"post", "put", "patch"}:
        codes.append("409")
    if has_body:
        codes.append("415")
    return sorted(codes)


def document_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool, **kwargs: Any
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error responses of every API operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, item in result.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in item.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in _error_status_codes(path, method, operation):
                responses.setdefault(
                    code,
                    {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result
