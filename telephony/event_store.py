"""Stores a webhook event and upserts the call or message it belongs to, in one statement.

This is the hot path of every webhook (docs/architecture.md, "An incoming call": "store the
raw event and upsert the Call in one transaction"), so it is written as a single SQL
statement per event: a data-modifying CTE inserts the event (``ON CONFLICT DO NOTHING`` — a
retried webhook inserts nothing), then, only if the event is new, upserts the caller's
contact and the call row and returns the call, locked for this transaction. A duplicate
returns no row and touches nothing else.

Runs inside ``tenant_context``: row-level security applies to every statement here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from telephony.models import Call, CallEvent, EventKind, Message
from telephony.statuses import CallStatus, MessageStatus

# json.dumps with any option builds a new encoder on every call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


@dataclass(frozen=True)
class EventKey:
    provider_sid: str
    kind: str
    sequence: int


@dataclass
class StoredRow[M: models.Model]:
    """The call or message row after the upsert; ``inserted`` when this event created it."""

    row: M
    inserted: bool


@cache
def _columns(model: type[models.Model]) -> tuple[tuple[models.Field[Any, Any], ...], str]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    return fields, names


@cache
def _casts(model: type[models.Model]) -> tuple[str, ...]:
    # With server-side parameters, a SELECT list needs each parameter's type spelled out.
    fields, _ = _columns(model)
    return tuple(f"CAST(%s AS {f.db_type(connection)})" for f in fields)


@cache
def _all_attnames(model: type[models.Model]) -> tuple[list[str], str]:
    fields = model._meta.concrete_fields
    names = ", ".join(
        f"{model._meta.db_table}.{connection.ops.quote_name(str(f.column))}" for f in fields
    )
    return [f.attname for f in fields], names


@cache
def _value_plan(model: type[models.Model]) -> tuple[tuple[models.Field[Any, Any], str], ...]:
    """How each column's value is produced: read as is (the common case, and cheap),
    stamped with the current time (auto_now fields), or prepared by the field."""
    fields, _ = _columns(model)
    plan = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            plan.append((f, "now"))
        elif isinstance(
            f,
            models.CharField
            | models.TextField
            | models.IntegerField
            | models.BooleanField
            | models.DateTimeField
            | models.ForeignKey,
        ) and type(f).__module__.startswith("django."):
            plan.append((f, "plain"))
        else:
            plan.append((f, "prepare"))
    return tuple(plan)


def _row_values(obj: models.Model) -> list[Any]:
    # Field.get_db_prep_save for every column costs more than the rest of the webhook's
    # Python; plain columns need no preparation for psycopg.
    now = timezone.now()
    values: list[Any] = []
    for f, how in _value_plan(type(obj)):
        if how == "plain":
            values.append(getattr(obj, f.attname))
        elif how == "now":
            if getattr(f, "auto_now", False) or getattr(obj, f.attname) is None:
                setattr(obj, f.attname, now)
            values.append(getattr(obj, f.attname))
        else:
            values.append(f.get_db_prep_save(f.pre_save(obj, True), connection))
    return values


def _event_cte(
    organization_id: int,
    key: EventKey,
    params: Mapping[str, Any],
    received_at: datetime,
    response_body: str,
) -> tuple[str, list[Any]]:
    sql = (
        "ev AS (INSERT INTO telephony_callevent "
        "(organization_id, provider_sid, kind, sequence, params, received_at, response_body) "
        "VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s) "
        "ON CONFLICT (organization_id, provider_sid, kind, sequence) DO NOTHING RETURNING 1)"
    )
    return sql, [
        organization_id,
        key.provider_sid,
        key.kind,
        key.sequence,
        _COMPACT_JSON.encode(params),
        received_at,
        response_body,
    ]


def _contact_cte(organization_id: int, e164: str, now: datetime) -> tuple[str, list[Any]]:
    sql = (
        "ct AS (INSERT INTO telephony_contact "
        "(organization_id, e164, name, time_zone, created_at, updated_at) "
        "SELECT %s::bigint, %s::varchar, '', '', %s::timestamptz, %s::timestamptz "
        "WHERE EXISTS (SELECT 1 FROM ev) "
        "ON CONFLICT (organization_id, e164) DO UPDATE SET updated_at = EXCLUDED.updated_at "
        "RETURNING id)"
    )
    return sql, [organization_id, e164, now, now]


def _upsert(
    *,
    model: type[models.Model],
    fresh: models.Model,
    conflict: str,
    organization_id: int,
    key: EventKey,
    params: Mapping[str, Any],
    received_at: datetime,
    response_body: str,
    contact_e164: str | None,
) -> tuple[bool, list[Any]] | None:
    table = model._meta.db_table
    fields, column_list = _columns(model)
    values = _row_values(fresh)
    ctes = [_event_cte(organization_id, key, params, received_at, response_body)]
    select_list = list(_casts(model))
    on_conflict = f"{conflict} = EXCLUDED.{conflict}"
    if contact_e164:
        ctes.append(_contact_cte(organization_id, contact_e164, received_at))
        contact_index = [f.attname for f in fields].index("contact_id")
        select_list[contact_index] = "(SELECT id FROM ct)"
        del values[contact_index]
        on_conflict = f"contact_id = COALESCE({table}.contact_id, EXCLUDED.contact_id)"
    _, returning = _all_attnames(model)
    sql = (
        "WITH "
        + ", ".join(cte for cte, _ in ctes)
        + f" INSERT INTO {table} ({column_list}) SELECT {', '.join(select_list)} "
        "WHERE EXISTS (SELECT 1 FROM ev) "
        f"ON CONFLICT (organization_id, {conflict}) DO UPDATE SET {on_conflict} "
        f"RETURNING (xmax = 0), {returning}"
    )
    params_list = [value for _, cte_params in ctes for value in cte_params] + values
    row = execute_prepared(sql, params_list)
    if row is None:
        return None
    return bool(row[0]), list(row[1:])


def execute_prepared(sql: str, params: list[Any], *, fetch: bool = True) -> tuple[Any, ...] | None:
    """Run the statement as a server-side prepared statement and return its row.

    Django's cursors interpolate parameters into the SQL text, so PostgreSQL parses and
    plans this statement on every webhook; planning alone cost about as much as executing
    it. A psycopg cursor with server-side parameters keeps the text constant per shape, so
    the statement is prepared once per connection. Errors are Django's, as usual.

    It runs on Django's own connection inside the webhook's tenant context, so row-level
    security applies exactly as to the ORM (every statement here also names the
    organisation); tests/telephony/test_webhook_security.py holds org B out of org A.
    """
    wrapper = connections[DEFAULT_DB_ALIAS]
    cursor = _cursor(wrapper)
    with wrapper.wrap_database_errors:
        cursor.execute(sql.encode(), params, prepare=True)
        row = cursor.fetchone() if fetch else None
    return row


def _cursor(wrapper: BaseDatabaseWrapper) -> psycopg.Cursor[Any]:
    """One psycopg cursor per connection, kept on Django's connection and reused: setting a
    cursor up cost as much Python as running the statement. A new connection gets a new one.
    A cursor carries no tenant: each statement runs under the transaction's
    ``app.organization_id`` like any other (tests/telephony/test_webhook_security.py)."""
    wrapper.ensure_connection()
    raw = wrapper.connection
    cursor: psycopg.Cursor[Any] | None = getattr(wrapper, _CURSOR_ATTRIBUTE, None)
    if cursor is None or cursor.connection is not raw or cursor.closed:
        cursor = psycopg.Cursor(raw)
        setattr(wrapper, _CURSOR_ATTRIBUTE, cursor)
    return cursor


_CURSOR_ATTRIBUTE = "_telephony_prepared_cursor"


def save_fields(obj: models.Model, fields: list[str]) -> None:
    """``obj.save(update_fields=fields)`` for the webhook hot path: one prepared UPDATE,
    without the ORM's per-save machinery (which cost more than the statement). Stamps
    ``updated_at`` when the model has it. Row-level security applies as to any UPDATE."""
    model = type(obj)
    meta = model._meta
    names = list(dict.fromkeys(fields))
    if any(f.attname == "updated_at" for f in meta.concrete_fields):
        obj.updated_at = timezone.now()  # type: ignore[attr-defined]
        names.append("updated_at")
    by_name = {f.name: f for f in meta.concrete_fields}
    by_name.update({f.attname: f for f in meta.concrete_fields})
    columns = list({id(f): f for f in (by_name[name] for name in names)}.values())
    assignments = ", ".join(f"{connection.ops.quote_name(str(f.column))} = %s" for f in columns)
    values: list[Any] = [getattr(obj, f.attname) for f in columns]
    # The organisation as well as the id: on Citus an UPDATE by id alone is sent to every
    # shard (tests/citus/test_hot_paths.py); with it, to the tenant's shard only.
    execute_prepared(
        f"UPDATE {meta.db_table} SET {assignments} WHERE organization_id = %s AND id = %s",
        [*values, obj.organization_id, obj.pk],  # type: ignore[attr-defined]
        fetch=False,
    )


def store_call_event(
    *,
    organization_id: int,
    key: EventKey,
    params: Mapping[str, Any],
    received_at: datetime,
    response_body: str,
    fresh_call: Call,
    contact_e164: str | None = None,
) -> StoredRow[Call] | None:
    """Insert the event; if it is new, upsert the call (``fresh_call`` when it does not exist
    yet, with the caller's contact when ``contact_e164`` is given) and return it locked.
    ``None`` means the event was already stored: a duplicate."""
    result = _upsert(
        model=Call,
        fresh=fresh_call,
        conflict="call_sid",
        organization_id=organization_id,
        key=key,
        params=params,
        received_at=received_at,
        response_body=response_body,
        contact_e164=contact_e164,
    )
    if result is None:
        return None
    inserted, values = result
    attnames, _ = _all_attnames(Call)
    return StoredRow(row=_row(Call, fresh_call, inserted, attnames, values), inserted=inserted)


def store_message_event(
    *,
    organization_id: int,
    key: EventKey,
    params: Mapping[str, Any],
    received_at: datetime,
    response_body: str,
    fresh_message: Message,
    contact_e164: str | None = None,
) -> StoredRow[Message] | None:
    """As ``store_call_event``, for a text message."""
    result = _upsert(
        model=Message,
        fresh=fresh_message,
        conflict="message_sid",
        organization_id=organization_id,
        key=key,
        params=params,
        received_at=received_at,
        response_body=response_body,
        contact_e164=contact_e164,
    )
    if result is None:
        return None
    inserted, values = result
    attnames, _ = _all_attnames(Message)
    return StoredRow(
        row=_row(Message, fresh_message, inserted, attnames, values), inserted=inserted
    )


def _row[M: models.Model](
    model: type[M], fresh: M, inserted: bool, attnames: list[str], values: list[Any]
) -> M:
    """The stored row: the fresh object itself when this event inserted it (the database
    only added the id and the contact), else the existing row as returned."""
    if not inserted:
        return model.from_db(connection.alias, attnames, values)
    returned = dict(zip(attnames, values, strict=True))
    fresh.pk = returned["id"]
    if "contact_id" in returned:
        fresh.contact_id = returned["contact_id"]  # type: ignore[attr-defined]
    fresh._state.adding = False
    fresh._state.db = connection.alias
    return fresh


def stored_response(key: EventKey) -> str:
    """The answer given to the first delivery of an event (for its duplicates)."""
    body = (
        CallEvent.objects.filter(
            provider_sid=key.provider_sid, kind=key.kind, sequence=key.sequence
        )
        .values_list("response_body", flat=True)
        .first()
    )
    return body or ""


# A status's place in these lists is part of its stored delivery key, so the lists are
# spelled out here (not taken from the enums' order) and only ever grow at the end.
_CALL_STATUS_ORDER: list[str] = [
    CallStatus.QUEUED,
    CallStatus.INITIATED,
    CallStatus.RINGING,
    CallStatus.IN_PROGRESS,
    CallStatus.COMPLETED,
    CallStatus.BUSY,
    CallStatus.NO_ANSWER,
    CallStatus.CANCELED,
    CallStatus.FAILED,
]
_MESSAGE_STATUS_ORDER: list[str] = [
    MessageStatus.ACCEPTED,
    MessageStatus.SCHEDULED,
    MessageStatus.QUEUED,
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
    MessageStatus.CANCELED,
    MessageStatus.READ,
    MessageStatus.PARTIALLY_DELIVERED,
    MessageStatus.RECEIVING,
    MessageStatus.RECEIVED,
]
# Status callbacks without a SequenceNumber are numbered apart from those with one.
UNSEQUENCED_STATUS_BASE = 1_000_000


def params_digest(params: Mapping[str, Any]) -> int:
    """A stable 63-bit number for a set of parameters: a retried webhook repeats them
    exactly, so it gets the same number."""
    canonical = _COMPACT_JSON.encode(sorted(params.items()))
    return int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big") >> 1


def _position(order: list[str], value: str) -> int:
    return order.index(value) if value in order else len(order)


def call_event_key(kind: str, params: Mapping[str, str]) -> EventKey:
    """The delivery key of a voice webhook: CallSid, kind, and a sequence."""
    call_sid = params.get("CallSid", "")
    if kind == EventKind.VOICE_INCOMING:
        sequence = 0
    elif kind == EventKind.VOICE_STATUS:
        raw = params.get("SequenceNumber", "")
        if raw.isdigit():
            sequence = int(raw)
        else:
            status = params.get("CallStatus", "")
            sequence = UNSEQUENCED_STATUS_BASE + _position(_CALL_STATUS_ORDER, status)
    else:
        sequence = params_digest(params)
    return EventKey(provider_sid=call_sid, kind=kind, sequence=sequence)


def message_event_key(kind: str, params: Mapping[str, str]) -> EventKey:
    """The delivery key of a messaging webhook: MessageSid, kind, and the status's place."""
    message_sid = params.get("MessageSid", "") or params.get("SmsSid", "")
    if kind == EventKind.SMS_INCOMING:
        sequence = 0
    else:
        status = params.get("MessageStatus", "") or params.get("SmsStatus", "")
        sequence = _position(_MESSAGE_STATUS_ORDER, status)
    return EventKey(provider_sid=message_sid, kind=kind, sequence=sequence)
