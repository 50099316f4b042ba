"""A day of realistic Twilio traffic for one organisation, sent to the real webhooks.

``generate_day`` builds the webhook requests Twilio would send for a day of calls and texts
at each of the organisation's locations: an hourly profile (quiet nights, a morning ramp, a
lunch peak, a slower afternoon and evening, weekends at a third), a mix of outcomes
(answered from a ring or a queue, rang out, voicemail with transcription, abandoned in the
queue — some within the short-abandon threshold —, overflowed, after hours), status
callbacks in a realistic order with a few duplicated and a few overtaking each other, and
inbound texts including STOP, START and HELP.

The flows model what routing will produce (queues included), not only the interim default
routing, so every webhook and outcome is exercised. Everything is derived from a seed, the
organisation and the day: SIDs, times and choices are the same on every run, so running the
same day twice sends only duplicates, which the webhooks ignore.

``send`` signs each request with the organisation's auth token over the public URL
(RequestValidator.compute_signature, as Twilio does) and posts it over HTTP to a running
server, or in process through Django's test client when no server is given.
"""

from __future__ import annotations

from datetime import date

from telephony.simulator.sending import (
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
    SimLocation,
    SimNumber,
    SimOrganization,
    SimulatedRequest,
    generate_day,
    load_organization,
    scenario_requests,
)

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_SEED",
    "HOURLY_PROFILE",
    "OPEN_HOURS_MIX",
    "HttpTransport",
    "InProcessTransport",
    "SimLocation",
    "SimNumber",
    "SimOrganization",
    "SimulatedRequest",
    "SimulationReport",
    "Transport",
    "generate_day",
    "load_organization",
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
    """Generate and send a day of traffic for the organisation ``slug``."""
    org = load_organization(slug)
    requests, scenarios = generate_day(org, day, rate=rate, seed=seed)
    report = send(requests, token=org.auth_token, public_url=public_url, transport=transport)
    report.scenarios = scenarios
    return report
