"""Every routing threshold pinned at its edge: one second (or one caller) either side, with the
rule in the test's name. These boundaries become the numbers leadership reads (service level,
short abandons, alerts), so an off-by-one here is a wrong report, not a cosmetic slip.

Pure: the engine and the spike rules take the clock as an argument.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing.config import Alerts
from routing.engine import CallProgress, Leave, Outcome, QueueState, Reason, Stage
from routing.spikes import WINDOW, QueueOutcome, SpikeMetrics, breaches, spike_metrics
from tests.routing.builders import compile_document, document
from tests.routing.test_engine import run

# A Tuesday at 10:00 in New York: open (weekdays 09:00-12:00 and 13:00-17:00).
OPEN = datetime(2026, 6, 2, 10, 0, tzinfo=ZoneInfo("America/New_York"))
MAX_WAIT = 90  # the builders' document overflows after 90 s
NOW = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)


def depth_config(max_queue_depth: int):
    overflow = {**document()["overflow"], "max_queue_depth": max_queue_depth}
    return compile_document(document(overflow=overflow))


# Overflow by depth: "more than M callers waiting" overflows; exactly M queues.


@pytest.mark.parametrize(
    ("waiting", "reason"),
    [(3, Reason.QUEUE_BEHIND_OTHERS), (4, Reason.QUEUE_BEHIND_OTHERS), (5, Reason.OVERFLOW_DEPTH)],
)
def test_incoming_overflows_by_depth_when_waiting_is_more_than_max_depth(waiting, reason):
    # Catches `waiting >= max_queue_depth` (overflowing a queue that is exactly full) and
    # `waiting > max_queue_depth + 1`.
    decision = run(depth_config(4), OPEN, queue=QueueState(waiting, 10))
    assert decision.reason == reason


def test_incoming_without_a_depth_limit_never_overflows_by_depth():
    # Catches an unset limit (None) read as 0, which would overflow every queued caller.
    decision = run(compile_document(document()), OPEN, queue=QueueState(50, 10))
    assert decision.reason == Reason.QUEUE_BEHIND_OTHERS


# Overflow by wait, for a new caller: callers already waiting longer than N seconds.


@pytest.mark.parametrize(
    ("longest_wait", "reason"),
    [
        (MAX_WAIT - 1, Reason.QUEUE_BEHIND_OTHERS),
        (MAX_WAIT, Reason.QUEUE_BEHIND_OTHERS),
        (MAX_WAIT + 1, Reason.OVERFLOW_WAIT),
    ],
)
def test_incoming_overflows_by_wait_when_longest_wait_is_more_than_max_wait(longest_wait, reason):
    # Catches `longest_wait >= max_wait` (the survivor of the hand-made mutations): a caller
    # waiting exactly N seconds is within the promise, so a new caller still queues.
    decision = run(compile_document(document()), OPEN, queue=QueueState(2, longest_wait))
    assert decision.reason == reason


def test_incoming_wait_rule_needs_someone_waiting():
    # Catches a stale longest-wait figure overflowing a caller into an empty queue.
    decision = run(compile_document(document()), OPEN, queue=QueueState(0, MAX_WAIT + 50))
    assert decision.outcome == Outcome.DIAL


# Overflow by wait, for a caller in the queue: leaves once waited more than N seconds.


@pytest.mark.parametrize(
    ("waited", "leaves"), [(MAX_WAIT - 1, False), (MAX_WAIT, False), (MAX_WAIT + 1, True)]
)
def test_queue_wait_leaves_when_waited_is_more_than_max_wait(waited, leaves):
    # Catches `waited >= max_wait`: held exactly N seconds, the caller keeps their place.
    progress = CallProgress(stage=Stage.QUEUE_WAIT, queue_seconds=waited, queue_position=2)
    decision = run(compile_document(document()), OPEN, presence={}, progress=progress)
    if leaves:
        assert (decision.reason, decision.actions) == (Reason.OVERFLOW_WAIT, (Leave(),))
    else:
        assert decision.outcome == Outcome.HOLD


@pytest.mark.parametrize(
    ("waited", "reason"), [(MAX_WAIT, None), (MAX_WAIT + 1, Reason.OVERFLOW_WAIT)]
)
def test_queue_left_overflows_when_waited_is_more_than_max_wait_else_rings(waited, reason):
    # Catches `waited >= max_wait` where the caller left the queue: at exactly N seconds
    # they left because an agent freed up, so the tiers ring rather than the overflow.
    progress = CallProgress(stage=Stage.QUEUE_LEFT, queue_result="leave", queue_seconds=waited)
    decision = run(compile_document(document()), OPEN, progress=progress)
    if reason is None:
        assert decision.outcome == Outcome.DIAL
        assert decision.actions[0].step == "tier:0:0"
    else:
        assert decision.reason == reason


# The short-abandon limit in the spike metrics: a hang-up within N seconds (inclusive).


@pytest.mark.parametrize(("wait", "short", "abandoned"), [(4, 1, 0), (5, 1, 0), (6, 0, 1)])
def test_spike_short_abandon_is_wait_at_most_the_limit(wait, short, abandoned):
    # Catches `wait < N` (the survivor of the hand-made mutations): docs/metrics.md counts a
    # caller who hung up after exactly N seconds as a short abandon, left out of the rate.
    metrics = spike_metrics(
        [QueueOutcome(NOW - timedelta(minutes=1), wait, True)], now=NOW, short_abandon_seconds=5
    )
    assert (metrics.short_abandons, metrics.abandoned, metrics.offered) == (short, abandoned, 1)


def test_spike_short_abandon_limit_is_the_organisations_not_the_default():
    # Catches the organisation's short-abandon setting ignored for the default of 5 s.
    outcome = QueueOutcome(NOW - timedelta(minutes=1), 8, True)
    assert spike_metrics([outcome], now=NOW, short_abandon_seconds=8).short_abandons == 1
    assert spike_metrics([outcome], now=NOW, short_abandon_seconds=7).short_abandons == 0


def test_spike_answered_call_is_never_a_short_abandon():
    # Catches a quick answer counted as a hang-up.
    metrics = spike_metrics([QueueOutcome(NOW - timedelta(minutes=1), 2, False)], now=NOW)
    assert (metrics.offered, metrics.abandoned, metrics.short_abandons) == (1, 0, 0)


# The spike window: (now − 15 min, now], open at its start, closed at now.


@pytest.mark.parametrize(
    ("ended_at", "counted"),
    [
        (NOW - WINDOW, False),
        (NOW - WINDOW + timedelta(seconds=1), True),
        (NOW, True),
        (NOW + timedelta(seconds=1), False),
    ],
)
def test_spike_window_is_after_now_minus_15_minutes_up_to_now(ended_at, counted):
    # Catches `since <= ended_at` (a call counted in two windows) and a window that takes
    # calls ending after now (a clock skew read as a spike).
    metrics = spike_metrics([QueueOutcome(ended_at, 30, True)], now=NOW)
    assert metrics.offered == (1 if counted else 0)
    assert timedelta(minutes=15) == WINDOW


def test_spike_longest_wait_is_the_largest_of_ended_and_still_waiting():
    # Catches min for max, or the callers still waiting ignored, or a negative figure kept.
    ended = [QueueOutcome(NOW - timedelta(minutes=m), w, False) for m, w in ((1, 40), (2, 70))]
    assert spike_metrics(ended, now=NOW, current_longest_wait_seconds=50).max_wait_seconds == 70
    assert spike_metrics(ended, now=NOW, current_longest_wait_seconds=80).max_wait_seconds == 80
    assert spike_metrics([], now=NOW, current_longest_wait_seconds=-5).max_wait_seconds == 0


# Spike thresholds: wait alert above N seconds; abandonment alert at P % with at least M calls.


@pytest.mark.parametrize(("longest", "alerts"), [(119, False), (120, False), (121, True)])
def test_spike_wait_alert_when_longest_wait_is_more_than_the_threshold(longest, alerts):
    # Catches `>=` for `>`: a caller who waited exactly the threshold raises no alert.
    metrics = SpikeMetrics(offered=1, abandoned=0, short_abandons=0, max_wait_seconds=longest)
    reasons = breaches(metrics, Alerts(max_wait_seconds=120, abandonment_percent=None))
    assert reasons == ([f"a caller waited {longest} s (alert above 120 s)"] if alerts else [])


@pytest.mark.parametrize(("abandoned", "alerts"), [(2, False), (3, True), (4, True)])
def test_spike_abandonment_alert_when_percent_is_at_least_the_threshold(abandoned, alerts):
    # 3 of 10 is exactly 30 %: catches `>` for `>=`, and the percentage computed over the
    # offered calls including short abandons (3 of 12 would be 25 %).
    metrics = SpikeMetrics(offered=12, abandoned=abandoned, short_abandons=2, max_wait_seconds=0)
    reasons = breaches(metrics, Alerts(max_wait_seconds=None, abandonment_percent=30, min_calls=5))
    expected = f"{round(100 * abandoned / 10)}% of 10 callers hung up waiting (alert at 30%)"
    assert reasons == ([expected] if alerts else [])


@pytest.mark.parametrize(("offered", "alerts"), [(5, False), (6, True)])
def test_spike_abandonment_alert_needs_at_least_min_calls_after_short_abandons(offered, alerts):
    # Catches `counted > min_calls` for `>=`, and min_calls compared with the offered calls
    # before short abandons are taken out (6 offered − 1 short = 5 = min_calls alerts; 5 − 1 = 4
    # does not).
    metrics = SpikeMetrics(offered=offered, abandoned=4, short_abandons=1, max_wait_seconds=0)
    reasons = breaches(metrics, Alerts(max_wait_seconds=None, abandonment_percent=50, min_calls=5))
    assert bool(reasons) is alerts


def test_spike_abandonment_percent_rounds_to_nearest_and_is_zero_without_counted_calls():
    # Catches truncation (2 of 3 is 67 %, not 66 %) and a division by zero when every caller
    # was a short abandon.
    assert SpikeMetrics(3, 2, 0, 0).abandonment_percent == 67
    assert SpikeMetrics(4, 1, 1, 0).abandonment_percent == 33
    assert SpikeMetrics(2, 0, 2, 0).abandonment_percent == 0


def test_spike_both_alerts_are_reported_together():
    # Catches the wait alert short-circuiting the abandonment alert.
    metrics = SpikeMetrics(offered=10, abandoned=5, short_abandons=0, max_wait_seconds=300)
    reasons = breaches(metrics, Alerts(max_wait_seconds=120, abandonment_percent=30, min_calls=5))
    assert len(reasons) == 2
