"""Everything that writes telephony data (DESIGN.md §1: ``verb_noun(*, …)``).

The two seams later issues hook into are here by name:

- ``CallRouter`` — how a call is answered whenever Twilio asks; the webhook edge passes the
  routing engine in, and ``incoming_call_twiml`` and its siblings are the interim default
  for calls it does not route.
- ``on_unanswered_contact`` — where an inbound call that ended without reaching a person is
  handed off; recovery hooks in there.
"""

from telephony.services.accounts import (
    contact_update,
    encrypted_fields_rotate,
    normalise_e164,
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
from telephony.services.messages import MessageAnswer, Reply, receive_sms_event, sms_reply_send
from telephony.services.routing import (
    CallDecision,
    CallMoment,
    CallRouter,
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
    "encrypted_fields_rotate",
    "incoming_call_twiml",
    "needs_handoff_withdrawal",
    "needs_unanswered_handoff",
    "normalise_e164",
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
