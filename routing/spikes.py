"""Queue spike detection: the last 15 minutes of a location's queue against its alert
thresholds. Pure; ``routing.services.evaluate_spike`` turns it into episodes and alerts.

Abandonment follows docs/metrics.md: abandoned ÷ (offered − short abandons), where a caller who
hangs up within the short-abandon threshold is a short abandon and left out of both sides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.config import Alerts

WINDOW = timedelta(minutes=15)
DEFAULT_SHORT_ABANDON_SECONDS = 5


@dataclass(frozen=True, slots=True)
class QueueOutcome:
    """One call that went through a location's queue: when it ended there, how long the
    caller waited, and whether they hung up waiting (rather than being answered,
    overflowed or called back)."""

    ended_at: datetime
    wait_seconds: int
    abandoned: bool


@dataclass(frozen=True, slots=True)
class SpikeMetrics:
    offered: int
    abandoned: int
    short_abandons: int
    max_wait_seconds: int

    @property
    def abandonment_percent(self) -> int:
        counted = self.offered - self.short_abandons
        return round(100 * self.abandoned / counted) if counted > 0 else 0


def spike_metrics(
    outcomes: Iterable[QueueOutcome],
    *,
    now: datetime,
    current_longest_wait_seconds: int = 0,
    short_abandon_seconds: int = DEFAULT_SHORT_ABANDON_SECONDS,
) -> SpikeMetrics:
    """The queue's last 15 minutes up to ``now``; a caller still waiting counts towards the
    longest wait through ``current_longest_wait_seconds``."""
    since = now - WINDOW
    offered = abandoned = short = 0
    longest = max(current_longest_wait_seconds, 0)
    for outcome in outcomes:
        if not since < outcome.ended_at <= now:
            continue
        offered += 1
        longest = max(longest, outcome.wait_seconds)
        if outcome.abandoned:
            if outcome.wait_seconds <= short_abandon_seconds:
                short += 1
            else:
                abandoned += 1
    return SpikeMetrics(offered, abandoned, short, longest)


def breaches(metrics: SpikeMetrics, alerts: Alerts) -> list[str]:
    """Why the queue is over its thresholds (empty when it is not)."""
    reasons = []
    if alerts.max_wait_seconds is not None and metrics.max_wait_seconds > alerts.max_wait_seconds:
        reasons.append(
            f"a caller waited {metrics.max_wait_seconds} s (alert above "
            f"{alerts.max_wait_seconds} s)"
        )
    counted = metrics.offered - metrics.short_abandons
    if (
        alerts.abandonment_percent is not None
        and counted >= alerts.min_calls
        and metrics.abandonment_percent >= alerts.abandonment_percent
    ):
        reasons.append(
            f"{metrics.abandonment_percent}% of {counted} callers hung up waiting (alert at "
            f"{alerts.abandonment_percent}%)"
        )
    return reasons
