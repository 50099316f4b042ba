"""Everything that writes routing data, and the decision for a call.

The call path (``routing/call_router.py``, telephony's call router) runs on
``decide_incoming_call`` (a decision for a call, from the published rules and live state;
``routing.services.calls``) and ``routing.twiml.render_decision``. Configuration changes
run inside ``audited(actor)`` so the audit trail names who made them."""

from __future__ import annotations

from routing.services.agents import CLIENT_IDENTITY, agent_profile_set, presence_map, presence_set
from routing.services.calls import (
    PresenceMode,
    Preview,
    call_progress_from_twilio,
    decide_incoming_call,
    draft_config,
    preview_action_urls,
    preview_call,
    request_callback,
)
from routing.services.rules import (
    MAX_EMERGENCY_DAYS,
    draft_discard,
    draft_save,
    emergency_active,
    emergency_end,
    emergency_start,
    logger,
    routing_for,
    routing_publish,
    version_restore,
)
from routing.services.spikes import (
    SpikeChange,
    SpikeResult,
    evaluate_spike,
    evaluate_spike_from_calls,
    notification_mark_read,
    notify_supervisors_by_text,
)

__all__ = [
    "CLIENT_IDENTITY",
    "MAX_EMERGENCY_DAYS",
    "PresenceMode",
    "Preview",
    "SpikeChange",
    "SpikeResult",
    "agent_profile_set",
    "call_progress_from_twilio",
    "decide_incoming_call",
    "draft_config",
    "draft_discard",
    "draft_save",
    "emergency_active",
    "emergency_end",
    "emergency_start",
    "evaluate_spike",
    "evaluate_spike_from_calls",
    "logger",
    "notification_mark_read",
    "notify_supervisors_by_text",
    "presence_map",
    "presence_set",
    "preview_action_urls",
    "preview_call",
    "request_callback",
    "routing_for",
    "routing_publish",
    "version_restore",
]
