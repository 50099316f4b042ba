"""A day of realistic Twilio traffic for one organisation, sent to the real webhooks.

``plan_day`` plans a day of calls and texts at each of the organisation's locations: an
hourly profile (quiet nights, a morning ramp, a lunch peak, a slower afternoon and evening,
weekends at a third), callers with intents (answered by the first person rung or from the
queue, giving up, leaving a voicemail, hanging up in the queue — some at once —, waiting
until sent on, failing), and inbound texts including STOP, START and HELP.

``run_day`` plays it against the webhooks as Twilio would: every call follows the TwiML it
is answered with (telephony.simulator.callers), so the day takes whatever routes the
location's published routing (or telephony's interim default) gives — its opening hours,
tiers, queue and overflow — and reports what happened to each call. Status callbacks
arrive in a realistic order, a few duplicated and a few overtaking each other. Everything
follows from a seed, the organisation, the day and the answers: running the same day twice
sends only duplicates, which the webhooks ignore.

``scenario_requests`` scripts the requests of a single call of a given kind, answers
regardless (for tests and the load benchmark's request bodies); ``send`` posts such a script.
Requests are signed with the organisation's auth token over the public URL
(RequestValidator.compute_signature, as Twilio does) and posted over HTTP to a running
server, or in process through Django's test client when no server is given.
"""

from __future__ import annotations

from datetime import date

from telephony.simulator.callers import EXPECTED_OUTCOME, after_hours_from_calls, run_day
from telephony.simulator.sending import (
    Answer,
    HttpTransport,
    InProcessTransport,
    SimulationReport,
    Transport,
    send,
    signature,
)
from telephony.simulator.traffic import (
    DEFAULT_RATE,
    DEFAULT_SEED,
    HOURLY_PROFILE,
    OPEN_HOURS_MIX,
    DayPlan,
    PlannedCall,
    SimLocation,
    SimNumber,
    SimOrganization,
    SimulatedRequest,
    load_organization,
    plan_day,
    scenario_requests,
)

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_SEED",
    "EXPECTED_OUTCOME",
    "HOURLY_PROFILE",
    "OPEN_HOURS_MIX",
    "Answer",
    "DayPlan",
    "HttpTransport",
    "InProcessTransport",
    "PlannedCall",
    "SimLocation",
    "SimNumber",
    "SimOrganization",
    "SimulatedRequest",
    "SimulationReport",
    "Transport",
    "after_hours_from_calls",
    "load_organization",
    "plan_day",
    "run_day",
    "scenario_requests",
    "send",
    "signature",
    "simulate_day",
]


def simulate_day(
    slug: str,
    day: date,
    *,
    rate: float = DEFAULT_RATE,
    seed: str = DEFAULT_SEED,
    public_url: str,
    transport: Transport,
) -> SimulationReport:
    """Plan and play a day of traffic for the organisation ``slug``."""
    org = load_organization(slug)
    plan = plan_day(org, day, rate=rate, seed=seed)
    return run_day(
        org, plan, token=org.auth_token, public_url=public_url, transport=transport, seed=seed
    )
