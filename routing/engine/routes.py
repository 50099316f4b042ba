"""Decisions the engine builds: ring a tier, queue, overflow, the after-hours behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from routing.config import (
    AfterHoursAction,
    MoveOn,
    OverflowTargetKind,
    RingStrategy,
    RoutingConfig,
    Tier,
    TierKind,
    queue_name_for,
)
from routing.engine.decision import (
    FALLBACK_VOICEMAIL_GREETING,
    FORWARD_TIMEOUT_SECONDS,
    Action,
    Decision,
    Dial,
    DialTarget,
    Enqueue,
    Hangup,
    Outcome,
    Reason,
    Record,
    Say,
)


def _decision(
    config: RoutingConfig,
    outcome: Outcome,
    reason: Reason,
    explanation: str,
    actions: tuple[Action, ...],
    *,
    is_open: bool,
) -> Decision:
    return Decision(
        outcome=outcome,
        reason=reason,
        explanation=explanation,
        actions=actions,
        location_id=config.location_id,
        version_id=config.version_id,
        version_number=config.version_number,
        is_open=is_open,
    )


def _closed(
    config: RoutingConfig, reason: Reason, explanation: str, *, lead: Say | None = None
) -> Decision:
    after = config.after_hours
    leading: tuple[Action, ...] = (lead,) if lead is not None else ()
    if after.action == AfterHoursAction.FORWARD:
        actions: tuple[Action, ...] = (
            *leading,
            Dial(
                (DialTarget(after.name or "On-call", number=after.number),),
                FORWARD_TIMEOUT_SECONDS,
                step="after_hours",
            ),
        )
        outcome = Outcome.FORWARD
    elif after.action == AfterHoursAction.VOICEMAIL:
        greeting = () if lead is not None else (Say(after.message),) if after.message else ()
        actions = (*leading, *greeting, Record())
        outcome = Outcome.VOICEMAIL
    else:
        message = () if lead is not None else (Say(after.message),)
        actions = (*leading, *message, Hangup())
        outcome = Outcome.MESSAGE
    return _decision(
        config,
        outcome,
        reason,
        f"{explanation}; after hours: {after.label}",
        actions,
        is_open=False,
    )


def _overflow_suffix(config: RoutingConfig) -> str:
    overflow = config.overflow
    rules = []
    if overflow.max_wait_seconds is not None:
        rules.append(f"after {overflow.max_wait_seconds} s")
    if overflow.max_queue_depth is not None:
        rules.append(f"when more than {overflow.max_queue_depth} wait")
    if not rules:
        return ""
    return f"; overflow {' or '.join(rules)} to {overflow.target.label}"


def _ring_from(
    config: RoutingConfig,
    opening: str,
    presence: Mapping[int, str],
    *,
    first_tier: int,
    after_position: int = -1,
) -> Decision:
    """Ring the first tier from ``first_tier`` on that has someone available; tiers with
    nobody available are skipped when they move on for that reason."""
    notes: list[str] = []
    for tier in config.tiers[first_tier:]:
        start_after = after_position if tier.index == first_tier else -1
        if tier.kind == TierKind.EXTERNAL:
            return _dial_external(config, opening, notes, tier)
        available = [
            (position, agent)
            for position, agent in enumerate(tier.agents)
            if position > start_after and presence.get(agent.membership_id) == "available"
        ]
        if available:
            return _dial_tier(config, opening, notes, tier, available)
        if MoveOn.NO_AGENT_AVAILABLE not in tier.move_on:
            notes.append(f"{tier.name} has nobody available")
            return _wait_for(config, opening, notes)
        notes.append(f"{tier.name} has nobody available, skipped")
    if config.overflow.when_no_agent_available or not config.tiers:
        notes.append("no agent available")
        return _overflow(config, Reason.OVERFLOW_NO_AGENT, "; ".join([opening, *notes]))
    return _wait_for(config, opening, notes)


def _dial_tier(
    config: RoutingConfig,
    opening: str,
    notes: list[str],
    tier: Tier,
    available: list[tuple[int, Any]],
) -> Decision:
    count = len(available)
    head = f"{tier.name} has {count} available"
    if tier.strategy == RingStrategy.SIMULTANEOUS:
        targets = tuple(DialTarget(a.name, a.number, a.client) for _, a in available)
        how = f"ring all at once for {tier.ring_timeout_seconds} s"
        step = f"tier:{tier.index}:-1"
    else:
        position, agent = available[0]
        targets = (DialTarget(agent.name, agent.number, agent.client),)
        how = f"dial in order, {tier.ring_timeout_seconds} s each"
        step = f"tier:{tier.index}:{position}"
    explanation = "; ".join([opening, *notes, head, how]) + _overflow_suffix(config)
    decision = _decision(
        config,
        Outcome.DIAL,
        Reason.OPEN,
        explanation,
        (Dial(targets, tier.ring_timeout_seconds, step=step),),
        is_open=True,
    )
    rung = available if tier.strategy == RingStrategy.SIMULTANEOUS else available[:1]
    return replace(decision, tried=tuple(agent.membership_id for _, agent in rung))


def _dial_external(config: RoutingConfig, opening: str, notes: list[str], tier: Tier) -> Decision:
    explanation = "; ".join(
        [opening, *notes, f"ring {tier.name} for {tier.ring_timeout_seconds} s"]
    ) + _overflow_suffix(config)
    return _decision(
        config,
        Outcome.DIAL,
        Reason.OPEN,
        explanation,
        (
            Dial(
                (DialTarget(tier.name, number=tier.number),),
                tier.ring_timeout_seconds,
                step=f"tier:{tier.index}:-1",
            ),
        ),
        is_open=True,
    )


def _wait_for(config: RoutingConfig, opening: str, notes: list[str]) -> Decision:
    return _enqueue(config, Reason.QUEUE_NO_AGENT, "; ".join([opening, *notes]))


def _enqueue(config: RoutingConfig, reason: Reason, explanation: str) -> Decision:
    hold = "queue with hold music" + (
        ", offering a callback" if config.overflow.callback_offer else ""
    )
    return _decision(
        config,
        Outcome.QUEUE,
        reason,
        f"{explanation}; {hold}{_overflow_suffix(config)}",
        (Enqueue(config.queue_name, config.location_id),),
        is_open=True,
    )


def _overflow(config: RoutingConfig, reason: Reason, explanation: str) -> Decision:
    target = config.overflow.target
    text = f"{explanation}; overflow to {target.label}"
    if target.kind == OverflowTargetKind.NUMBER:
        return _decision(
            config,
            Outcome.FORWARD,
            reason,
            text,
            (
                Dial(
                    (DialTarget(target.name, number=target.number),),
                    FORWARD_TIMEOUT_SECONDS,
                    step="overflow",
                ),
            ),
            is_open=True,
        )
    if target.kind == OverflowTargetKind.LOCATION and target.location_id is not None:
        return _decision(
            config,
            Outcome.QUEUE,
            reason,
            text,
            (Enqueue(queue_name_for(target.location_id), target.location_id),),
            is_open=True,
        )
    return _decision(
        config,
        Outcome.VOICEMAIL,
        reason,
        f"{text} with transcription",
        (Say(FALLBACK_VOICEMAIL_GREETING), Record()),
        is_open=True,
    )
