"""The engine, rule by rule: a pure function, so no database and no clock here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from routing.config import Emergency
from routing.engine import (
    Call,
    CallProgress,
    Dial,
    DialTarget,
    Enqueue,
    Hangup,
    Hold,
    Leave,
    Outcome,
    QueueState,
    Reason,
    Record,
    Say,
    Stage,
    decide,
)
from tests.routing.builders import BACKUP, compile_document, document, tier

NEW_YORK = ZoneInfo("America/New_York")
EVERYONE = {11: "available", 12: "available", 13: "available", 21: "available"}
IDLE = QueueState()


def at(text: str) -> datetime:
    """A New York wall-clock time as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def run(config, when, *, presence=EVERYONE, queue=IDLE, progress=None):
    call = Call(call_sid="CA1", progress=progress or CallProgress())
    return decide(config, now=when, queue_state=queue, presence=presence, call=call)


def test_open_rings_the_first_tier_in_order_with_the_issue_explanation():
    # Catches an engine that ignores the open period or the tier's ring strategy, and an
    # explanation that stops saying why (the issue's own example wording).
    config = compile_document(document())
    decision = run(config, at("2026-06-02T10:15"), presence={11: "available", 12: "available"})
    assert decision.outcome == Outcome.DIAL
    assert decision.is_open
    assert decision.actions == (Dial((DialTarget("Ann", "+12125550111"),), 20, step="tier:0:0"),)
    assert decision.explanation == (
        "Open — Tuesday 09:00–12:00; Frontline has 2 available; dial in order, 20 s each; "
        "overflow after 90 s to Backup Answering"
    )
    assert decision.version_id == 7


def test_simultaneous_tier_rings_every_available_agent_at_once():
    # Catches the ring strategy being ignored: all available agents in one <Dial>.
    config = compile_document(document(tiers=[tier(1, strategy="simultaneous")]))
    decision = run(config, at("2026-06-02T10:15"), presence={11: "available", 13: "available"})
    (dial,) = decision.actions
    assert isinstance(dial, Dial)
    assert dial.targets == (
        DialTarget("Ann", "+12125550111"),
        DialTarget("Cat", client="cat-browser"),
    )
    assert dial.step == "tier:0:-1"
    assert "ring all at once for 20 s" in decision.explanation


def test_agents_who_are_busy_on_break_or_offline_are_not_rung():
    # Catches presence being ignored: only "available" members ring.
    config = compile_document(document())
    decision = run(
        config, at("2026-06-02T10:15"), presence={11: "busy", 12: "on_break", 13: "available"}
    )
    assert decision.actions[0].targets == (DialTarget("Cat", client="cat-browser"),)


def test_lunch_gap_is_closed_and_says_so():
    # Catches a gap between two periods of the same day being treated as open.
    config = compile_document(document())
    decision = run(config, at("2026-06-02T12:30"))
    assert decision.outcome == Outcome.VOICEMAIL
    assert decision.reason == Reason.CLOSED
    assert not decision.is_open
    assert decision.explanation.startswith(
        "Closed — Tuesday 12:30 is in the gap between 09:00–12:00 and 13:00–17:00"
    )
    assert isinstance(decision.actions[-1], Record)


def test_period_boundaries_open_at_start_and_close_at_end():
    # Catches off-by-one at the edges: 09:00 is open, 17:00 is closed.
    config = compile_document(document())
    assert run(config, at("2026-06-02T09:00")).is_open
    assert run(config, at("2026-06-02T16:59")).is_open
    assert not run(config, at("2026-06-02T17:00")).is_open
    assert not run(config, at("2026-06-02T08:59")).is_open


def test_weekend_is_closed():
    # Catches a day without periods treated as open.
    config = compile_document(document())
    decision = run(config, at("2026-06-06T10:00"))
    assert not decision.is_open
    assert "not open on Saturdays" in decision.explanation


def test_public_holiday_closes_an_open_day():
    # Catches the country calendar not being consulted (Thanksgiving is a Thursday).
    config = compile_document(document())
    decision = run(config, at("2026-11-26T10:00"))
    assert decision.reason == Reason.HOLIDAY
    assert "Thanksgiving" in decision.explanation


def test_organisation_closed_date_closes_an_open_day():
    # Catches the organisation's own closed dates being ignored, or closing other days.
    holidays = {
        "country": "",
        "subdivision": "",
        "closed_dates": [{"date": "2026-06-02", "label": "Staff training"}],
    }
    config = compile_document(document(holidays=holidays))
    decision = run(config, at("2026-06-02T10:00"))
    assert decision.reason == Reason.HOLIDAY
    assert "Staff training" in decision.explanation
    assert run(config, at("2026-06-03T10:00")).is_open


def test_emergency_closure_plays_its_message_until_its_end_then_routing_resumes():
    # Catches an emergency closure that is ignored, or one that never ends.
    until = at("2026-06-02T14:00").astimezone(UTC)
    config = compile_document(document(), emergency=Emergency("The office is flooded.", until))
    during = run(config, at("2026-06-02T10:00"))
    assert during.reason == Reason.EMERGENCY
    assert during.actions[0] == Say("The office is flooded.")
    assert isinstance(during.actions[-1], Record)
    assert "emergency closure until Tuesday 02 Jun 14:00" in during.explanation
    assert run(config, at("2026-06-02T14:00")).outcome == Outcome.DIAL


def test_after_hours_forward_dials_the_on_call_number():
    # Catches the forward after-hours behaviour not dialling its number.
    after = {"action": "forward", "name": "Night Line", "number": "+13125550150", "message": ""}
    config = compile_document(document(after_hours=after))
    decision = run(config, at("2026-06-02T20:00"))
    assert decision.outcome == Outcome.FORWARD
    assert decision.actions == (
        Dial((DialTarget("Night Line", "+13125550150"),), 30, step="after_hours"),
    )
    assert decision.explanation.endswith("after hours: forward to Night Line")


def test_after_hours_message_plays_and_hangs_up():
    # Catches the message behaviour leaving callers in silence instead of hanging up.
    after = {"action": "message", "name": "", "number": "", "message": "We open at nine."}
    config = compile_document(document(after_hours=after))
    decision = run(config, at("2026-06-02T20:00"))
    assert decision.outcome == Outcome.MESSAGE
    assert decision.actions == (Say("We open at nine."), Hangup())


def test_after_hours_voicemail_greets_then_records_with_transcription():
    # Catches voicemail without its greeting or without transcription.
    config = compile_document(document())
    decision = run(config, at("2026-06-02T20:00"))
    assert isinstance(decision.actions[0], Say)
    assert decision.actions[-1] == Record(transcribe=True)


def test_overflow_when_more_than_m_callers_wait():
    # Catches the queue-depth rule being ignored (or off by one: "more than M").
    overflow = {**document()["overflow"], "max_queue_depth": 4}
    config = compile_document(document(overflow=overflow))
    assert run(config, at("2026-06-02T10:00"), queue=QueueState(4, 10)).outcome == Outcome.QUEUE
    decision = run(config, at("2026-06-02T10:00"), queue=QueueState(5, 10))
    assert decision.reason == Reason.OVERFLOW_DEPTH
    assert decision.actions == (
        Dial((DialTarget("Backup Answering", "+13125550199"),), 30, step="overflow"),
    )
    assert "5 callers waiting, more than 4" in decision.explanation


def test_overflow_when_callers_already_wait_longer_than_n_seconds():
    # Catches the wait rule ignored for new callers when the queue is already slow.
    config = compile_document(document())
    decision = run(config, at("2026-06-02T10:00"), queue=QueueState(2, 95))
    assert decision.reason == Reason.OVERFLOW_WAIT
    assert "callers already wait 95 s, longer than 90 s" in decision.explanation


def test_new_caller_queues_behind_callers_already_waiting():
    # Catches a new caller jumping the queue when agents free up.
    config = compile_document(document())
    decision = run(config, at("2026-06-02T10:00"), queue=QueueState(1, 30))
    assert decision.reason == Reason.QUEUE_BEHIND_OTHERS
    assert decision.actions == (Enqueue("location-100", 100),)


def test_queue_wait_leaves_for_overflow_once_the_caller_waited_longer_than_n():
    # Catches callers held past the overflow wait.
    config = compile_document(document())
    waiting = CallProgress(stage=Stage.QUEUE_WAIT, queue_seconds=60, queue_position=2)
    hold = run(config, at("2026-06-02T10:00"), presence={}, progress=waiting)
    assert hold.outcome == Outcome.HOLD
    assert isinstance(hold.actions[0], Hold)
    too_long = CallProgress(stage=Stage.QUEUE_WAIT, queue_seconds=91, queue_position=2)
    assert run(config, at("2026-06-02T10:00"), presence={}, progress=too_long).actions == (Leave(),)
    left = CallProgress(stage=Stage.QUEUE_LEFT, queue_result="leave", queue_seconds=91)
    overflowed = run(config, at("2026-06-02T10:00"), presence={}, progress=left)
    assert overflowed.reason == Reason.OVERFLOW_WAIT
    assert overflowed.actions[0].targets[0].name == "Backup Answering"


def test_queue_releases_the_first_caller_when_an_agent_becomes_available():
    # Catches callers kept on hold while an agent is free.
    config = compile_document(document())
    first = CallProgress(stage=Stage.QUEUE_WAIT, queue_seconds=20, queue_position=1)
    decision = run(config, at("2026-06-02T10:00"), presence={12: "available"}, progress=first)
    assert decision.reason == Reason.AGENT_FREED
    left = CallProgress(stage=Stage.QUEUE_LEFT, queue_result="leave", queue_seconds=21)
    rung = run(config, at("2026-06-02T10:00"), presence={12: "available"}, progress=left)
    assert rung.actions[0].targets == (DialTarget("Bob", "+12125550112"),)


def test_no_agent_available_skips_to_the_next_tier():
    # Catches "no agent available" not moving on: Specialists ring when Frontline is out.
    config = compile_document(document())
    decision = run(config, at("2026-06-02T10:00"), presence={21: "available"})
    assert decision.actions[0].targets == (DialTarget("Dee", "+12125550121"),)
    assert "Frontline has nobody available, skipped" in decision.explanation


def test_no_agent_available_anywhere_overflows_when_configured():
    # Catches the no-agent overflow rule being ignored.
    overflow = {**document()["overflow"], "when_no_agent_available": True}
    config = compile_document(document(overflow=overflow))
    decision = run(config, at("2026-06-02T10:00"), presence={})
    assert decision.reason == Reason.OVERFLOW_NO_AGENT
    assert decision.actions[0].step == "overflow"


def test_no_agent_available_anywhere_queues_when_overflow_is_not_configured_for_it():
    # Catches callers overflowed (or dropped) when they should wait.
    config = compile_document(document())
    decision = run(config, at("2026-06-02T10:00"), presence={})
    assert decision.reason == Reason.QUEUE_NO_AGENT
    assert decision.actions == (Enqueue("location-100", 100),)


def test_tier_that_does_not_move_on_without_agents_holds_callers_for_it():
    # Catches a tier's move-on condition being ignored.
    tiers = [tier(1, move_on=["no_answer"]), tier(2)]
    config = compile_document(document(tiers=tiers))
    decision = run(config, at("2026-06-02T10:00"), presence={21: "available"})
    assert decision.outcome == Outcome.QUEUE


def test_in_order_tier_rings_the_next_agent_after_no_answer_then_the_next_tier():
    # Catches tier order and in-order ringing across Twilio's dial callbacks.
    config = compile_document(document())
    first = CallProgress(stage=Stage.DIAL_ENDED, step="tier:0:0", dial_status="no-answer")
    second = run(config, at("2026-06-02T10:00"), progress=first)
    assert second.actions[0].targets == (DialTarget("Bob", "+12125550112"),)
    assert second.actions[0].step == "tier:0:1"
    last = CallProgress(stage=Stage.DIAL_ENDED, step="tier:0:2", dial_status="busy")
    third = run(config, at("2026-06-02T10:00"), progress=last)
    assert third.actions[0].targets == (DialTarget("Dee", "+12125550121"),)
    assert third.actions[0].step == "tier:1:0"


def test_tier_that_does_not_move_on_when_busy_queues_instead():
    # Catches a busy signal moving on when the tier says not to.
    config = compile_document(document(tiers=[tier(1, move_on=["no_answer"]), tier(2)]))
    busy = CallProgress(stage=Stage.DIAL_ENDED, step="tier:0:2", dial_status="busy")
    assert run(config, at("2026-06-02T10:00"), progress=busy).outcome == Outcome.QUEUE


def test_answered_dial_ends_the_call():
    # Catches an answered call ringing the next agent after it ends.
    config = compile_document(document())
    done = CallProgress(stage=Stage.DIAL_ENDED, step="tier:0:0", dial_status="completed")
    assert run(config, at("2026-06-02T10:00"), progress=done).actions == (Hangup(),)


def test_external_backup_tier_rings_its_number():
    # Catches an external backup tier treated as a team with nobody available.
    backup = tier(None, kind="external", name="Backup Answering", number=BACKUP["number"])
    config = compile_document(document(tiers=[tier(1), backup]))
    decision = run(config, at("2026-06-02T10:00"), presence={})
    assert decision.actions[0].targets == (DialTarget("Backup Answering", BACKUP["number"]),)


def test_unanswered_backup_falls_back_to_voicemail():
    # Catches a caller left in silence when the backup does not answer.
    config = compile_document(document())
    ended = CallProgress(stage=Stage.DIAL_ENDED, step="overflow", dial_status="no-answer")
    decision = run(config, at("2026-06-02T10:00"), progress=ended)
    assert decision.reason == Reason.BACKUP_UNANSWERED
    assert isinstance(decision.actions[-1], Record)


def test_callback_offer_keypress_leaves_the_queue_and_confirms():
    # Catches the callback offer not leaving the queue, or leaving without confirming.
    overflow = {**document()["overflow"], "callback_offer": True}
    config = compile_document(document(overflow=overflow))
    hold = run(
        config,
        at("2026-06-02T10:00"),
        presence={},
        progress=CallProgress(stage=Stage.QUEUE_WAIT, queue_seconds=5, queue_position=3),
    )
    assert hold.actions[0].offer_callback
    pressed = CallProgress(stage=Stage.CALLBACK_KEYPRESS, digits="1")
    assert run(config, at("2026-06-02T10:00"), progress=pressed).actions == (Leave(),)
    left = CallProgress(stage=Stage.QUEUE_LEFT, queue_result="leave", callback_requested=True)
    confirmed = run(config, at("2026-06-02T10:00"), progress=left)
    assert confirmed.outcome == Outcome.CALLBACK
    assert confirmed.actions[-1] == Hangup()


def test_overflow_to_another_location_enqueues_in_its_queue():
    # Catches overflow to another location landing in this location's own queue.
    target = {"kind": "location", "location_id": 101, "name": "", "number": ""}
    overflow = {**document()["overflow"], "when_no_agent_available": True, "target": target}
    config = compile_document(document(overflow=overflow))
    decision = run(config, at("2026-06-02T10:00"), presence={})
    assert decision.actions == (Enqueue("location-101", 101),)
    assert "overflow to the queue of Denver Office" in decision.explanation


def test_decide_is_deterministic_for_the_same_inputs():
    # Catches hidden state in the engine (a clock read, a counter): the preview relies on it.
    config = compile_document(document())
    when = at("2026-06-02T10:00") + timedelta(seconds=1)
    assert run(config, when) == run(config, when)
