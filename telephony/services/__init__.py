"""Everything that writes telephony data (docs/architecture.md: ``verb_noun(*, …)``).

Where the apps above telephony come in (``telephony.hooks``, wired in
``coverage_platform/composition.py``):

- ``receive_voice_event`` asks the hooks' ``CallRouter`` how to answer a call whenever
  Twilio asks; ``incoming_call_twiml`` and its siblings are the interim default for calls
  it does not route.
- ``on_unanswered_contact`` and ``withdraw_unanswered_contact`` hand an inbound call that
  ended without reaching a person to the ``UnansweredContactHandler`` (recovery, later).
- ``receive_sms_event`` shows each incoming text to the ``TextReplyHandler`` and sends its
  reply.
"""

from telephony.hooks import CallRouter
from telephony.services.accounts import (
    contact_update,
    phone_number_create,
    phone_number_update,
    telephony_settings_update,
    twilio_account_set,
)
from telephony.services.calls import (
    WebhookAnswer,
    needs_handoff_withdrawal,
    needs_unanswered_handoff,
    on_unanswered_contact,
    receive_voice_event,
    withdraw_unanswered_contact,
)
from telephony.services.consent import consent_grant, consent_record, consent_revoke
from telephony.services.messages import (
    MessageAnswer,
    Reply,
    message_mark_reviewed,
    receive_sms_event,
    sms_reply_send,
)
from telephony.services.routing import (
    CallDecision,
    CallMoment,
    IncomingCall,
    incoming_call_twiml,
)

__all__ = [
    "CallDecision",
    "CallMoment",
    "CallRouter",
    "IncomingCall",
    "MessageAnswer",
    "Reply",
    "WebhookAnswer",
    "consent_grant",
    "consent_record",
    "consent_revoke",
    "contact_update",
    "incoming_call_twiml",
    "message_mark_reviewed",
    "needs_handoff_withdrawal",
    "needs_unanswered_handoff",
    "on_unanswered_contact",
    "phone_number_create",
    "phone_number_update",
    "receive_sms_event",
    "receive_voice_event",
    "sms_reply_send",
    "telephony_settings_update",
    "twilio_account_set",
    "withdraw_unanswered_contact",
]
