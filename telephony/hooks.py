"""What telephony needs from the apps above it, stated as three small interfaces.

Telephony sits below routing, recovery and the apps after them and imports none of them, not
even in its webhooks. Where a call or a text needs a higher app, telephony calls one of
these interfaces:

- ``CallRouter``: how a call is answered whenever Twilio asks (routing's engine), and the
  news that a call it routed has left its queue (routing's spike alerts).
- ``UnansweredContactHandler``: an inbound call ended without reaching a person, or turned
  out to have reached one after all (recovery's items, later).
- ``TextReplyHandler``: a text came in, perhaps a reply to one of ours (recovery's reminders
  will read C, YES and R), and may answer it.

``TelephonyHooks`` bundles one of each. Which ones are plugged in is decided in one place,
the composition module that ``settings.TELEPHONY_HOOKS`` names by dotted path
(``coverage_platform.composition.telephony_hooks``); ``installed()`` resolves it with
``import_string`` on first use, the way Django finds ``AUTHENTICATION_BACKENDS``, so
telephony never imports the module that wires it. The path is read on each call and the
bundle cached per path, so a test that points the setting elsewhere gets its own bundle.

Each interface has a do-nothing default, which is what telephony does on its own: the
interim default routing, a hand-off recorded on the call only, no reply. The defaults read
and write nothing, so a webhook pays for a hook only when an app is plugged in.

The hooks are called directly, never through Django signals, inside the tenant transaction
of the event that causes them: what a hook writes commits or rolls back with the event, and
an exception in a hook fails the webhook (Twilio then retries it) instead of being lost.
Work that must wait for the commit (queueing a task) goes through ``transaction.on_commit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from telephony.keywords import Intent

if TYPE_CHECKING:
    from telephony.directory import TenantTelephony
    from telephony.models import Call, Message
    from telephony.services.routing import CallDecision, CallMoment


class CallRouter(Protocol):
    """Decides calls for telephony (routing's engine, in production)."""

    def route(self, moment: CallMoment, config: TenantTelephony) -> CallDecision | None:
        """The answer to this moment of a call, or ``None`` to leave the call to telephony's
        interim default (telephony/services/routing.py). Called in the tenant's transaction
        before the event is stored, because the answer is stored with it; a duplicate
        delivery is asked again (and answered from the store), so anything it writes must
        be idempotent."""
        ...

    def call_left_queue(self, moment: CallMoment) -> None:
        """A call this router answered has left its queue: a queue-action callback, stored
        and not a duplicate, whose answer came from ``route``. Called in the tenant's
        transaction after the event is stored; what it sets off belongs after the commit."""
        ...


class UnansweredContactHandler(Protocol):
    """Takes inbound calls that ended without reaching a person (recovery, later)."""

    def hand_off(self, *, call: Call) -> None:
        """``call`` ended without reaching a person; ``call.outcome`` says how. Once per
        outcome: a late callback that changes an ended call's outcome (a recording after
        the hang-up turns "rang out" into "voicemail") hands it off again, so the handler
        updates what it made rather than making another. Called inside the event's
        transaction with the call as the event left it; the call's row is saved, with its
        hand-off marks, right after, in the same transaction, so read the call's facts
        from ``call`` rather than from the database."""
        ...

    def withdraw(self, *, call: Call, outcome: str) -> None:
        """``call``, handed off with ``outcome``, turned out to have reached a person (a
        bridged queue result arriving after the hang-up): close what ``hand_off`` opened.
        Called as ``hand_off`` is."""
        ...


@dataclass(frozen=True)
class IncomingText:
    """An incoming text as the reply handler sees it, after telephony's own handling of
    consent keywords (STOP, START, YES, HELP and plain-language opt-outs)."""

    message: Message  # The stored row: its id, sid, body, contact and number.
    sender: str  # E.164
    at: datetime
    # The consent keyword telephony took the text for (``Intent.NONE`` for most texts).
    keyword: Intent = Intent.NONE
    # Telephony answers this text itself (an opt-out confirmation, START's or HELP's
    # reply), so a reply from the handler would be a second one and is not sent.
    answered: bool = False


class TextReplyHandler(Protocol):
    """Reads incoming texts that may answer one of ours (recovery's reminders, later)."""

    def reply(self, text: IncomingText) -> str | None:
        """What to text back, or ``None`` for nothing. Sees every incoming text from a
        valid number once (duplicates never reach it), keyword texts included: "YES" both
        restores consent and confirms a reminder, and a STOP may cancel what the handler
        had planned. Telephony sends the reply through its own reply path (the gateway,
        after commit) unless it answers the text itself (``text.answered``) or the text
        revoked consent. Called inside the event's transaction."""
        ...


class InterimRouting:
    """No router: every call gets telephony's interim default."""

    def route(self, moment: CallMoment, config: TenantTelephony) -> CallDecision | None:
        return None

    def call_left_queue(self, moment: CallMoment) -> None:
        return None


class NoUnansweredHandling:
    """No handler: the hand-off is recorded on the call (and logged) only."""

    def hand_off(self, *, call: Call) -> None:
        return None

    def withdraw(self, *, call: Call, outcome: str) -> None:
        return None


class NoTextReplies:
    """No handler: texts get only telephony's own keyword replies."""

    def reply(self, text: IncomingText) -> str | None:
        return None


@dataclass(frozen=True)
class TelephonyHooks:
    """The higher apps plugged into telephony, one per interface."""

    call_router: CallRouter = field(default_factory=InterimRouting)
    unanswered_contacts: UnansweredContactHandler = field(default_factory=NoUnansweredHandling)
    text_replies: TextReplyHandler = field(default_factory=NoTextReplies)


def installed() -> TelephonyHooks:
    """The hooks that ``settings.TELEPHONY_HOOKS`` names (the defaults when it is unset)."""
    return _load(getattr(settings, "TELEPHONY_HOOKS", ""))


@cache
def _load(path: str) -> TelephonyHooks:
    if not path:
        return TelephonyHooks()
    try:
        hooks = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"TELEPHONY_HOOKS: cannot import {path!r} ({error})") from error
    if not isinstance(hooks, TelephonyHooks):
        raise ImproperlyConfigured(f"TELEPHONY_HOOKS: {path!r} is not a TelephonyHooks")
    return hooks
