"""The call state's rules one by one, without the database: how each webhook's facts merge,
and the edges of the columns metrics read (wait, talk, outcome, the short-abandon limit)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from telephony.call_state import apply_event
from telephony.models import Call, CallOutcome, EventKind
from tests.telephony.call_stories import T0, Story, fold


def at(seconds: int):
    return T0 + timedelta(seconds=seconds)


def answered_on_second_tier() -> Story:
    return (
        Story()
        .incoming()
        .dial("no-answer", ring=20, step="tier:0:0")
        .dial("completed", ring=8, talk=95, step="tier:1:0")
        .end()
    )


def test_dial_status_rank_a_late_no_answer_never_overwrites_an_answered_second_tier():
    # Catches the rank of dial statuses ignored (the survivor of the hand-made mutations):
    # delivered after the second tier's "completed", the first tier's "no-answer" would turn a
    # served caller into "rang out", and recovery would chase them.
    incoming, first_tier, second_tier, ended = answered_on_second_tier().events
    call = fold([incoming, second_tier, first_tier, ended])
    assert (call.dial_call_status, call.outcome) == ("completed", CallOutcome.ANSWERED)
    assert (call.talk_seconds, call.wait_seconds) == (95, 28)
    assert call.answered_at == at(28)


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        ("busy", "no-answer", "no-answer"),
        ("failed", "busy", "busy"),
        ("no-answer", "canceled", "canceled"),
        ("canceled", "answered", "answered"),
    ],
)
def test_dial_status_rank_the_more_telling_result_wins_in_either_order(first, second, kept):
    # Catches a rank table out of order: reached a person > caller gave up > no answer >
    # busy > failed, whichever arrives last.
    story = Story().incoming().dial(first, ring=10).dial(second, ring=10, talk=3).end()
    incoming, one, two, ended = story.events
    assert fold([incoming, one, two, ended]).dial_call_status == kept
    assert fold([incoming, two, one, ended]).dial_call_status == kept


def test_caller_hanging_up_while_the_second_tier_rings_abandoned_not_rang_out():
    # Catches "canceled" ranked below "no-answer": the caller gave up after 30 s of ringing,
    # an abandon the service level counts, not a call nobody picked up.
    story = Story().incoming().dial("no-answer", ring=20).dial("canceled", ring=10).end()
    incoming, one, two, ended = story.events
    call = fold([incoming, two, one, ended])
    assert (call.outcome, call.wait_seconds) == (CallOutcome.ABANDONED, 30)


@pytest.mark.parametrize(
    ("rang", "outcome"),
    [(4, CallOutcome.SHORT_ABANDON), (5, CallOutcome.SHORT_ABANDON), (6, CallOutcome.ABANDONED)],
)
def test_short_abandon_is_a_hang_up_after_at_most_the_limit_while_ringing(rang, outcome):
    # Catches `wait < limit` for `wait <= limit` (docs/metrics.md: wait ≤ threshold).
    call = fold(Story().incoming().dial("canceled", ring=rang).end().events)
    assert (call.outcome, call.wait_seconds) == (outcome, rang)


@pytest.mark.parametrize(
    ("waited", "outcome"),
    [(5, CallOutcome.SHORT_ABANDON), (6, CallOutcome.ABANDONED)],
)
def test_short_abandon_is_a_hang_up_after_at_most_the_limit_in_the_queue(waited, outcome):
    # Catches the queue's hang-up measured from something other than the queue time.
    call = fold(Story().incoming().queue("hangup", waited=waited, polls=2).end(after=1).events)
    assert (call.outcome, call.wait_seconds, call.queue_seconds) == (outcome, waited, waited)


def test_short_abandon_limit_is_the_organisations():
    # Catches the limit hard-coded: with a 10 s limit, an 8 s hang-up is a short abandon.
    story = Story().incoming().dial("canceled", ring=8).end()
    assert fold(story.events, short_abandon_seconds=10).outcome == CallOutcome.SHORT_ABANDON
    assert fold(story.events, short_abandon_seconds=7).outcome == CallOutcome.ABANDONED


def test_hang_up_before_any_dial_or_queue_is_measured_from_the_start():
    # Catches a caller who hung up during the greeting counted as waiting 0 s (a short
    # abandon) when they listened for 40 s.
    call = fold(Story().incoming().end(after=40).events)
    assert (call.outcome, call.wait_seconds, call.started_at) == (
        CallOutcome.ABANDONED,
        None,
        T0,
    )
    assert fold(Story().incoming().end(after=5).events).outcome == CallOutcome.SHORT_ABANDON


def test_bridged_queue_call_is_answered_after_its_queue_time():
    # Catches the answer time taken from the queue action's arrival (after the talk) rather
    # than entry + queue time, which would inflate the wait by the whole conversation.
    story = Story().incoming().queue("bridged", waited=40, polls=2, talk=120).end(after=1)
    call = fold(story.events)
    assert call.outcome == CallOutcome.ANSWERED
    assert (call.queued_at, call.answered_at) == (at(0), at(40))
    assert (call.wait_seconds, call.talk_seconds) == (40, 121)


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        ("redirected", CallOutcome.OVERFLOWED),
        ("queue-full", CallOutcome.OVERFLOWED),
        ("leave", CallOutcome.OVERFLOWED),
        ("system-error", CallOutcome.OVERFLOWED),
        ("hangup", CallOutcome.ABANDONED),
    ],
)
def test_leaving_the_queue_without_a_person_is_overflow_unless_the_caller_hung_up(result, outcome):
    # Catches an overflowed caller counted as an abandon (or the reverse).
    call = fold(Story().incoming().queue(result, waited=60).end(after=30).events)
    assert (call.outcome, call.wait_seconds) == (outcome, 60)


def test_queue_result_rank_bridged_beats_a_later_hangup_and_ties_keep_the_longer_wait():
    # Catches a late "hangup" of the same call overwriting "bridged" (an answered call
    # reported abandoned).
    story = Story().incoming().queue("bridged", waited=30, talk=50)
    story.add(EventKind.VOICE_QUEUE_ACTION, 90, QueueResult="hangup", QueueTime=90)
    incoming, bridged, hangup = story.end().events[:3]
    call = fold([incoming, hangup, bridged, story.events[-1]])
    assert (call.queue_result, call.queue_seconds, call.outcome) == (
        "bridged",
        30,
        CallOutcome.ANSWERED,
    )
    two = Story().incoming().queue("leave", waited=20)
    two.add(EventKind.VOICE_QUEUE_ACTION, 45, QueueResult="leave", QueueTime=45)
    assert fold(two.events[::-1]).queue_seconds == 45


def test_voicemail_counts_only_a_completed_recording_with_a_length():
    # Catches an absent or empty recording turning a rang-out call into a voicemail, which
    # recovery would try to play.
    left = fold(Story().incoming().dial("no-answer", ring=20).voicemail(30).end().events)
    assert (left.outcome, left.voicemail_seconds) == (CallOutcome.VOICEMAIL, 30)
    absent = Story().incoming().dial("no-answer", ring=20).voicemail(30, status="absent").end()
    without_action = absent.events[:2] + absent.events[3:]  # the status callback alone
    assert fold(without_action).outcome == CallOutcome.RANG_OUT
    empty = fold(Story().incoming().dial("no-answer", ring=20).voicemail(0).end().events)
    assert (empty.outcome, empty.voicemail_seconds) == (CallOutcome.RANG_OUT, None)


def test_after_hours_call_is_after_hours_even_with_a_voicemail():
    # Catches after-hours calls counted in the open-hours service level.
    story = Story(after_hours=True).incoming().voicemail(20).end()
    call = fold(story.events, after_hours=True)
    assert (call.outcome, call.is_after_hours, call.queued_at) == (
        CallOutcome.AFTER_HOURS,
        True,
        None,
    )


@pytest.mark.parametrize(
    ("final", "outcome"),
    [
        ("no-answer", CallOutcome.RANG_OUT),
        ("busy", CallOutcome.BUSY),
        ("failed", CallOutcome.FAILED),
        ("canceled", CallOutcome.FAILED),
    ],
)
def test_outbound_call_outcomes(final, outcome):
    # Catches outbound calls classified by the inbound rules (an unanswered callback to a
    # caller reported as an abandon).
    call = fold(Story(outbound=True).status("initiated").status("ringing").end(final, 25).events)
    assert (call.direction, call.outcome, call.answered_at, call.wait_seconds) == (
        "outbound",
        outcome,
        None,
        None,
    )


def test_outbound_in_progress_is_the_answer_and_inbound_in_progress_is_not():
    # Catches Twilio's own pickup of an inbound call (to run the TwiML) read as a person.
    outbound = Story(outbound=True).status("ringing")
    outbound.t = 12
    call = fold(outbound.status("in-progress").end(after=60).events)
    assert (call.outcome, call.answered_at, call.talk_seconds) == (
        CallOutcome.ANSWERED,
        at(12),
        60,
    )
    inbound = fold(Story().incoming().status("in-progress").end(after=30).events)
    assert (inbound.answered_at, inbound.outcome) == (None, CallOutcome.ABANDONED)


def test_status_never_moves_backwards_and_the_end_is_the_call_duration_before_it():
    # Catches a late "ringing" reopening an ended call, and the start taken from the first
    # event seen rather than the end minus Twilio's CallDuration.
    story = Story().incoming().status("ringing").dial("no-answer", ring=20).end(after=2)
    incoming, ringing, dial, ended = story.events
    call = fold([ended, dial, ringing])
    assert (call.status, call.ended_at, call.started_at) == ("completed", at(22), at(0))
    assert call.last_sequence_number == 1
    assert call.call_duration_seconds == 22
    assert fold([incoming, ringing]).outcome == ""


def test_apply_event_returns_exactly_the_changed_columns():
    # Catches a save that writes nothing (a lost update) or every column (overwriting
    # another writer's hand-off marks).
    call = Call(direction="")
    incoming, dial = Story().incoming().dial("no-answer", ring=20).events
    apply_event(
        call, kind=incoming.kind, params=incoming.params, at=incoming.at, short_abandon_seconds=5
    )
    changed = apply_event(
        call, kind=dial.kind, params=dial.params, at=dial.at, short_abandon_seconds=5
    )
    assert set(changed) == {
        "dial_call_status",
        "dial_ended_at",
        "queued_at",
        "wait_seconds",
        "applied_event_count",
    }
    assert call.applied_event_count == 2
