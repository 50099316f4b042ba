"""``decide``: which route a call takes at each of its moments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from routing.config import (
    DAY_NAMES,
    MoveOn,
    Period,
    RingStrategy,
    RoutingConfig,
    TierKind,
)
from routing.engine.decision import (
    CALLBACK_CONFIRMATION,
    CALLBACK_PROMPT,
    FALLBACK_VOICEMAIL_GREETING,
    Call,
    CallProgress,
    Decision,
    Hangup,
    Hold,
    Leave,
    Outcome,
    QueueState,
    Reason,
    Record,
    Say,
    Stage,
)
from routing.engine.routes import _closed, _decision, _enqueue, _overflow, _ring_from, _wait_for
from telephony.statuses import DIAL_ANSWERED, DialCallStatus, QueueResult


def decide(
    config: RoutingConfig,
    *,
    now: datetime,
    queue_state: QueueState,
    presence: Mapping[int, str],
    call: Call,
) -> Decision:
    """The decision for ``call`` at ``now`` (aware) under ``config``.

    ``presence`` maps membership ids to their status; only ``available`` members are rung,
    and none of those already rung for this call without answering (``progress.tried``).
    """
    progress = call.progress
    if progress.tried:
        # An agent who let this call ring out is not offered it again: counted as not
        # available for the rest of the call (not rung, and no reason to leave the queue).
        presence = {m: s for m, s in presence.items() if m not in progress.tried}
    decision = _decide(config, now, queue_state, presence, progress)
    tried = progress.tried.union(decision.tried)
    return replace(decision, tried=tuple(sorted(tried))) if tried else decision


def _decide(
    config: RoutingConfig,
    now: datetime,
    queue_state: QueueState,
    presence: Mapping[int, str],
    progress: CallProgress,
) -> Decision:
    if progress.stage == Stage.DIAL_ENDED:
        return _after_dial(config, progress, presence)
    if progress.stage == Stage.QUEUE_WAIT:
        return _queue_wait(config, progress, presence)
    if progress.stage == Stage.QUEUE_LEFT:
        return _queue_left(config, progress, presence)
    if progress.stage == Stage.CALLBACK_KEYPRESS:
        return _callback_keypress(config, progress)
    return _incoming(config, now, queue_state, presence)


def _incoming(
    config: RoutingConfig, now: datetime, queue: QueueState, presence: Mapping[int, str]
) -> Decision:
    local = now.astimezone(config.time_zone)
    day = local.weekday()
    when = f"{DAY_NAMES[day]} {local:%H:%M}"
    emergency = config.emergency
    if emergency is not None and now < emergency.until:
        until = emergency.until.astimezone(config.time_zone)
        return _closed(
            config,
            Reason.EMERGENCY,
            f"Closed — emergency closure until {DAY_NAMES[until.weekday()]} {until:%d %b %H:%M}",
            lead=Say(emergency.message),
        )
    holiday = config.holidays.closed_because(local.date())
    if holiday is not None:
        return _closed(config, Reason.HOLIDAY, f"Closed — {when} is a holiday ({holiday})")
    minute = local.hour * 60 + local.minute
    periods = config.periods[day]
    period = _period_at(periods, minute)
    if period is None:
        return _closed(config, Reason.CLOSED, "Closed — " + _closed_reason(periods, minute, when))
    opening = f"Open — {DAY_NAMES[day]} {period.label}"
    overflow = config.overflow
    if overflow.max_queue_depth is not None and queue.waiting > overflow.max_queue_depth:
        return _overflow(
            config,
            Reason.OVERFLOW_DEPTH,
            f"{opening}; {queue.waiting} callers waiting, more than {overflow.max_queue_depth}",
        )
    if overflow.max_wait_seconds is not None and (
        queue.waiting > 0 and queue.longest_wait_seconds > overflow.max_wait_seconds
    ):
        return _overflow(
            config,
            Reason.OVERFLOW_WAIT,
            f"{opening}; callers already wait {queue.longest_wait_seconds} s, longer than "
            f"{overflow.max_wait_seconds} s",
        )
    if queue.waiting > 0:
        return _enqueue(
            config,
            Reason.QUEUE_BEHIND_OTHERS,
            f"{opening}; {queue.waiting} caller{'s' if queue.waiting != 1 else ''} already "
            "waiting, so this caller joins the queue",
        )
    return _ring_from(config, opening, presence, first_tier=0)


def _period_at(periods: tuple[Period, ...], minute: int) -> Period | None:
    for period in periods:
        if period.start <= minute < period.end:
            return period
    return None


def _closed_reason(periods: tuple[Period, ...], minute: int, when: str) -> str:
    before = [p for p in periods if p.end <= minute]
    after = [p for p in periods if p.start > minute]
    if before and after:
        return f"{when} is in the gap between {before[-1].label} and {after[0].label}"
    if after:
        return f"{when} is before opening ({after[0].label})"
    if before:
        return f"{when} is after closing ({before[-1].label})"
    return f"{when}: not open on {when.split(' ')[0]}s"


def _parse_step(step: str) -> tuple[int, int] | None:
    kind, _, rest = step.partition(":")
    if kind != "tier":
        return None
    index, _, position = rest.partition(":")
    try:
        return int(index), int(position or "-1")
    except ValueError:
        return None


_STATUS_MOVE_ON: dict[str, MoveOn] = {
    DialCallStatus.NO_ANSWER: MoveOn.NO_ANSWER,
    DialCallStatus.FAILED: MoveOn.NO_ANSWER,
    DialCallStatus.CANCELED: MoveOn.NO_ANSWER,
    DialCallStatus.BUSY: MoveOn.BUSY,
}


def _after_dial(
    config: RoutingConfig, progress: CallProgress, presence: Mapping[int, str]
) -> Decision:
    if progress.dial_status in DIAL_ANSWERED:
        return _decision(
            config,
            Outcome.HANGUP,
            Reason.ANSWERED,
            "Answered; the call is over",
            (Hangup(),),
            is_open=True,
        )
    parsed = _parse_step(progress.step)
    if parsed is None or not 0 <= parsed[0] < len(config.tiers):
        # The backup number or the after-hours number did not answer: take a message.
        return _decision(
            config,
            Outcome.VOICEMAIL,
            Reason.BACKUP_UNANSWERED,
            "The forwarded call was not answered; voicemail with transcription",
            (Say(FALLBACK_VOICEMAIL_GREETING), Record()),
            is_open=False,
        )
    index, position = parsed
    tier = config.tiers[index]
    status = progress.dial_status or DialCallStatus.NO_ANSWER
    opening = f"{tier.name} did not answer ({status})"
    if (
        tier.kind == TierKind.TEAM
        and tier.strategy == RingStrategy.IN_ORDER
        and position >= 0
        and any(
            presence.get(agent.membership_id) == "available"
            for agent in tier.agents[position + 1 :]
        )
    ):
        return _ring_from(config, opening, presence, first_tier=index, after_position=position)
    condition = _STATUS_MOVE_ON.get(status, MoveOn.NO_ANSWER)
    if condition in tier.move_on:
        return _ring_from(config, opening + "; next tier", presence, first_tier=index + 1)
    return _wait_for(config, opening, [f"{tier.name} does not move on when {status}"])


def _queue_wait(
    config: RoutingConfig, progress: CallProgress, presence: Mapping[int, str]
) -> Decision:
    overflow = config.overflow
    waited = progress.queue_seconds
    if overflow.max_wait_seconds is not None and waited > overflow.max_wait_seconds:
        return _decision(
            config,
            Outcome.LEAVE_QUEUE,
            Reason.OVERFLOW_WAIT,
            f"Waited {waited} s, longer than {overflow.max_wait_seconds} s: leave the queue "
            f"for {overflow.target.label}",
            (Leave(),),
            is_open=True,
        )
    if progress.queue_position <= 1 and _someone_to_ring(config, presence):
        return _decision(
            config,
            Outcome.LEAVE_QUEUE,
            Reason.AGENT_FREED,
            "First in the queue and an agent is available: leave the queue to ring them",
            (Leave(),),
            is_open=True,
        )
    prompt = CALLBACK_PROMPT if overflow.callback_offer else ""
    return _decision(
        config,
        Outcome.HOLD,
        Reason.QUEUE_NO_AGENT,
        f"Waiting {waited} s (position {progress.queue_position}); hold music"
        + (", callback offered" if overflow.callback_offer else ""),
        (Hold(overflow.hold_audio_url, overflow.callback_offer, prompt),),
        is_open=True,
    )


def _someone_to_ring(config: RoutingConfig, presence: Mapping[int, str]) -> bool:
    for tier in config.tiers:
        if tier.kind == TierKind.EXTERNAL:
            return False
        if tier.available_agents(presence):
            return True
        if MoveOn.NO_AGENT_AVAILABLE not in tier.move_on:
            return False
    return False


def _queue_left(
    config: RoutingConfig, progress: CallProgress, presence: Mapping[int, str]
) -> Decision:
    result = progress.queue_result
    if progress.callback_requested:
        return _decision(
            config,
            Outcome.CALLBACK,
            Reason.CALLBACK_REQUESTED,
            "The caller asked to be called back; a callback request was created",
            (Say(CALLBACK_CONFIRMATION), Hangup()),
            is_open=True,
        )
    if result == QueueResult.HANGUP:
        return _decision(
            config,
            Outcome.HANGUP,
            Reason.ABANDONED,
            "The caller hung up in the queue",
            (Hangup(),),
            is_open=True,
        )
    if result == QueueResult.BRIDGED:
        return _decision(
            config,
            Outcome.HANGUP,
            Reason.ANSWERED,
            "Answered from the queue",
            (Hangup(),),
            is_open=True,
        )
    waited = progress.queue_seconds
    limit = config.overflow.max_wait_seconds
    if result == QueueResult.LEAVE and not (limit is not None and waited > limit):
        return _ring_from(config, f"Left the queue after {waited} s", presence, first_tier=0)
    if result == QueueResult.LEAVE:
        return _overflow(config, Reason.OVERFLOW_WAIT, f"Waited {waited} s, longer than {limit} s")
    return _overflow(
        config, Reason.OVERFLOW_QUEUE_ERROR, f"The queue could not hold the call ({result})"
    )


def _callback_keypress(config: RoutingConfig, progress: CallProgress) -> Decision:
    if config.overflow.callback_offer and progress.digits.strip() == "1":
        return _decision(
            config,
            Outcome.LEAVE_QUEUE,
            Reason.CALLBACK_REQUESTED,
            "The caller pressed 1: leave the queue with a callback request",
            (Leave(),),
            is_open=True,
        )
    return _decision(
        config,
        Outcome.HOLD,
        Reason.QUEUE_NO_AGENT,
        "Keep waiting",
        (Hold(config.overflow.hold_audio_url, config.overflow.callback_offer, CALLBACK_PROMPT),),
        is_open=True,
    )


def next_opening(config: RoutingConfig, now: datetime, *, days: int = 8) -> datetime | None:
    """When the location next opens after ``now`` (aware), skipping holidays; for display."""
    local = now.astimezone(config.time_zone)
    for offset in range(days):
        day = (local + timedelta(days=offset)).date()
        if config.holidays.closed_because(day) is not None:
            continue
        for period in config.periods[day.weekday()]:
            start = datetime(
                day.year,
                day.month,
                day.day,
                period.start // 60,
                period.start % 60,
                tzinfo=config.time_zone,
            )
            if start > local:
                return start
    return None
