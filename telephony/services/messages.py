"""Receiving texts and their status callbacks; keyword handling, the text-reply hook
(``telephony.hooks.TextReplyHandler``), and the replies they send."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import transaction

from foundation.phones import e164_from_twilio
from telephony import call_state, selectors, twiml
from telephony.directory import NumberRoute, TenantTelephony, tenant_telephony
from telephony.event_store import (
    message_event_key,
    save_fields,
    store_message_event,
    stored_response,
)
from telephony.hooks import IncomingText, TelephonyHooks, TextReplyHandler, installed
from telephony.keywords import Channels, Intent, classify
from telephony.models import (
    MESSAGE_STATUS_RANK,
    ConsentAction,
    ConsentChannel,
    ConsentSource,
    EventKind,
    Message,
    MessageDirection,
    MessageStatus,
    OutboundPurpose,
)
from telephony.services.consent import consent_grant, consent_revoke
from tenancy.context import tenant_context

if TYPE_CHECKING:
    from telephony.gateway import SendResult

logger = logging.getLogger(__name__)


class Reply(StrEnum):
    """The automatic replies to incoming texts: telephony's own to keyword texts, and the
    text-reply handler's answer (``ANSWER``: the handler's words, sent as it wrote them)."""

    OPT_OUT_CONFIRMATION = "opt_out_confirmation"
    OPT_IN = "opt_in"
    HELP = "help"
    ANSWER = "answer"


@dataclass(frozen=True)
class MessageAnswer:
    body: str
    duplicate: bool
    message: Message | None = None
    reply: Reply | None = None


def receive_sms_event(
    *,
    route: NumberRoute,
    config: TenantTelephony,
    kind: str,
    params: Mapping[str, str],
    received_at: datetime,
    hooks: TelephonyHooks | None = None,
) -> MessageAnswer:
    """Store one messaging webhook and apply it, in the current tenant transaction.

    Incoming texts are checked for consent keywords, then shown to the hooks'
    ``TextReplyHandler`` (``hooks`` defaults to the installed ones); at most one reply goes
    back, after commit. Status callbacks only ever move a message forward
    (``MESSAGE_STATUS_RANK``). A duplicate changes nothing.
    """
    key = message_event_key(kind, params)
    at = call_state.event_time(params, received_at)
    incoming = kind == EventKind.SMS_INCOMING
    status: str
    if incoming:
        status = MessageStatus.RECEIVED
        body = twiml.empty_messaging()
    else:
        status = params.get("MessageStatus", "") or params.get("SmsStatus", "")
        if status not in MESSAGE_STATUS_RANK:
            status = MessageStatus.QUEUED
        body = ""
    fresh = Message(
        organization_id=route.organization_id,
        message_sid=key.provider_sid,
        direction=MessageDirection.INBOUND if incoming else MessageDirection.OUTBOUND,
        status=status,
        status_rank=MESSAGE_STATUS_RANK[status],
        phone_number_id=route.phone_number_id,
        body=params.get("Body", "") if incoming else "",
        num_segments=call_state.int_param(params, "NumSegments"),
        error_code=params.get("ErrorCode", "")[:10],
    )
    # An incoming text's sender as E.164; None for status callbacks and senders without a
    # number, who get no contact and whose keywords change no consent.
    sender = e164_from_twilio(params.get("From", "")) if incoming else None
    stored = store_message_event(
        organization_id=route.organization_id,
        key=key,
        params=dict(params),
        received_at=received_at,
        response_body=body,
        fresh_message=fresh,
        contact_e164=sender,
    )
    if stored is None:
        return MessageAnswer(body=stored_response(key), duplicate=True)
    message = stored.row
    if not stored.inserted:
        _move_forward(message, status=status, error_code=fresh.error_code)
    reply = None
    if sender is not None:
        handler = (hooks or installed()).text_replies
        reply = _answer_text(message, sender=sender, params=params, at=at, handler=handler)
    return MessageAnswer(body=body, duplicate=False, message=message, reply=reply)


def _move_forward(message: Message, *, status: str, error_code: str) -> None:
    rank = MESSAGE_STATUS_RANK.get(status, 0)
    if rank <= message.status_rank:
        return
    message.status, message.status_rank = status, rank
    fields = ["status", "status_rank"]
    if error_code and error_code != message.error_code:
        message.error_code = error_code
        fields.append("error_code")
    save_fields(message, fields)


def _answer_text(
    message: Message,
    *,
    sender: str,
    params: Mapping[str, str],
    at: datetime,
    handler: TextReplyHandler,
) -> Reply | None:
    """Apply the text's consent keyword, show the text to the reply handler, and send one
    reply after commit: telephony's own when it has one, else the handler's, unless the
    text revoked consent (a revocation is answered by its confirmation or not at all)."""
    intent, reply = _apply_keywords(message, sender=sender, params=params, at=at)
    answer = handler.reply(
        IncomingText(
            message=message, sender=sender, at=at, keyword=intent, answered=reply is not None
        )
    )
    text = ""
    if reply is None and answer and intent != Intent.REVOKE:
        reply, text = Reply.ANSWER, answer
    if reply is not None:
        _send_reply_after_commit(message.organization_id, message.pk, reply, text)
    return reply


def _apply_keywords(
    message: Message, *, sender: str, params: Mapping[str, str], at: datetime
) -> tuple[Intent, Reply | None]:
    """Record what the text's consent keyword asks for; return the keyword and telephony's
    reply to it, if any."""
    classified = classify(message.body)
    if classified.intent == Intent.NONE:
        return Intent.NONE, None
    # With Twilio's Advanced Opt-Out, Twilio recognised the keyword and already replied.
    twilio_replied = bool(params.get("OptOutType"))
    before = selectors.consent_state(e164=sender, channel=ConsentChannel.SMS)
    reply: Reply | None = None
    if classified.intent == Intent.REVOKE:
        if classified.plain_language:
            source = ConsentSource.SMS_PLAIN_LANGUAGE
        elif twilio_replied:
            source = ConsentSource.TWILIO_OPT_OUT
        else:
            source = ConsentSource.SMS_KEYWORD
        # Calls and texts alike, unless the person limited it ("stop calling, texts are
        # fine"): "please stop calling me" sent by text must stop the calls.
        consent_revoke(
            e164=sender,
            channel=ConsentChannel(classified.channels.value),
            source=source,
            occurred_at=at,
            message_sid=message.message_sid,
        )
        if classified.needs_review:
            # The text also asked something: the revocation stands, and a person reads the
            # question (selectors.messages_needing_review) instead of it going unanswered.
            message.needs_review = True
            save_fields(message, ["needs_review"])
            logger.warning(
                "revocation with a question needs a person", extra={"message_id": message.pk}
            )
        # One confirmation per revocation: none when already revoked, or when Twilio sent it;
        # none either for a revocation of calls only (its text says texts stop).
        if (
            before != ConsentAction.REVOKE
            and not twilio_replied
            and classified.channels != Channels.VOICE
        ):
            reply = Reply.OPT_OUT_CONFIRMATION
    elif classified.intent == Intent.RESTORE:
        # "YES" also answers reminders, so it restores only a revoked number.
        if before == ConsentAction.REVOKE or (before is None and classified.keyword != "YES"):
            consent_grant(
                e164=sender,
                channel=ConsentChannel.SMS,
                source=ConsentSource.TWILIO_OPT_OUT
                if twilio_replied
                else ConsentSource.SMS_KEYWORD,
                occurred_at=at,
                message_sid=message.message_sid,
            )
            reply = None if twilio_replied else Reply.OPT_IN
    elif classified.intent == Intent.HELP and not twilio_replied:
        reply = Reply.HELP
    return classified.intent, reply


def message_mark_reviewed(*, message: Message) -> None:
    """Record that a person has read a text that needed one (``Message.needs_review``)."""
    if message.needs_review:
        message.needs_review = False
        save_fields(message, ["needs_review"])


def _send_reply_after_commit(
    organization_id: int, message_id: int, reply: Reply, text: str = ""
) -> None:
    def enqueue() -> None:
        from telephony.tasks import send_sms_reply

        try:
            send_sms_reply.delay(organization_id, message_id, str(reply), text)
        except Exception:  # the broker is down: the text is stored, the reply is not sent
            logger.exception("could not enqueue a reply", extra={"reply": str(reply)})

    transaction.on_commit(enqueue)


def sms_reply_send(
    *, organization_id: int, message_id: int, reply: str, text: str = ""
) -> SendResult:
    """Send the automatic reply to an incoming text through the gateway: telephony's own
    answer to a keyword, or (``Reply.ANSWER``) the reply handler's ``text``.

    Idempotent: the reply's idempotency key is derived from the incoming text, so a task
    run twice sends one text (and a text gets one reply).
    """
    from telephony import gateway

    with tenant_context(organization_id):
        message = Message.objects.select_related("contact").get(pk=message_id)
        config = tenant_telephony(organization_id)
        to = message.contact.e164 if message.contact is not None else ""
        from_number_id = message.phone_number_id
        message_sid = message.message_sid
    if reply == Reply.OPT_OUT_CONFIRMATION:
        body, purpose = config.sms_opt_out_reply, OutboundPurpose.OPT_OUT_CONFIRMATION
    elif reply == Reply.OPT_IN:
        body, purpose = config.sms_opt_in_reply, OutboundPurpose.REPLY
    elif reply == Reply.ANSWER:
        body, purpose = text, OutboundPurpose.REPLY
    else:
        body, purpose = config.help_reply, OutboundPurpose.REPLY
    return gateway.send_sms(
        organization_id=organization_id,
        to=to,
        body=body,
        idempotency_key=f"sms-reply:{message_sid}",
        from_number_id=from_number_id,
        purpose=purpose,
    )
