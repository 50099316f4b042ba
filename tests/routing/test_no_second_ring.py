"""An agent who let a call ring out is not rung again for that call: the engine counts the
members already tried (``CallProgress.tried``, carried in every callback URL as ``tried``)
as not available for the rest of the call. Pure engine and TwiML: no database."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

from routing.engine import CallProgress, Dial, Enqueue, Hold, Leave, Outcome, Stage
from routing.twiml import ActionUrls, render_decision
from tests.routing.builders import compile_document, document, tier
from tests.routing.test_engine import at, run

TUESDAY_10 = at("2026-06-02T10:15")
ONLY_ANN = {11: "available"}
ANN_AND_BOB = {11: "available", 12: "available"}


def frontline_only():
    return compile_document(document(tiers=[tier(1)]))


def test_a_dial_records_who_it_rings():
    # Catches a dial that does not say whom it rang, so the next callback cannot know.
    decision = run(frontline_only(), TUESDAY_10, presence=ONLY_ANN)
    assert decision.outcome == Outcome.DIAL and decision.tried == (11,)
    everyone = run(compile_document(document(tiers=[tier(1, strategy="simultaneous")])), TUESDAY_10,
                   presence={11: "available", 13: "available"})  # fmt: skip
    assert everyone.tried == (11, 13)


def test_after_a_no_answer_the_same_agent_is_not_dialled_again():
    # Catches the engine ringing Ann again because she is still "available": the caller
    # waits another 20 s on a phone nobody picks up.
    ended = CallProgress(
        stage=Stage.DIAL_ENDED, step="tier:0:0", dial_status="no-answer", tried=frozenset({11})
    )
    decision = run(frontline_only(), TUESDAY_10, presence=ONLY_ANN, progress=ended)
    assert decision.outcome == Outcome.QUEUE
    assert isinstance(decision.actions[0], Enqueue)
    assert decision.tried == (11,)  # still carried, for the queue's callbacks


def test_the_queue_does_not_leave_to_ring_an_agent_who_already_let_it_ring_out():
    # Catches the loop: queue poll sees Ann available, leaves the queue, rings Ann, who
    # does not answer, queue again, and so on until the caller gives up.
    waiting = CallProgress(
        stage=Stage.QUEUE_WAIT, queue_seconds=20, queue_position=1, tried=frozenset({11})
    )
    decision = run(frontline_only(), TUESDAY_10, presence=ONLY_ANN, progress=waiting)
    assert isinstance(decision.actions[0], Hold)
    left = CallProgress(
        stage=Stage.QUEUE_LEFT, queue_result="leave", queue_seconds=21, tried=frozenset({11})
    )
    again = run(frontline_only(), TUESDAY_10, presence=ONLY_ANN, progress=left)
    assert not any(isinstance(action, Dial) for action in again.actions)


def test_another_agent_who_frees_up_is_still_rung():
    # Catches the fix going too far: Bob, who was not tried, is rung when he is free.
    waiting = CallProgress(
        stage=Stage.QUEUE_WAIT, queue_seconds=20, queue_position=1, tried=frozenset({11})
    )
    decision = run(frontline_only(), TUESDAY_10, presence=ANN_AND_BOB, progress=waiting)
    assert isinstance(decision.actions[0], Leave)
    left = CallProgress(
        stage=Stage.QUEUE_LEFT, queue_result="leave", queue_seconds=21, tried=frozenset({11})
    )
    ring_bob = run(frontline_only(), TUESDAY_10, presence=ANN_AND_BOB, progress=left)
    dial = ring_bob.actions[0]
    assert isinstance(dial, Dial) and [t.name for t in dial.targets] == ["Bob"]
    assert ring_bob.tried == (11, 12)


def test_every_callback_url_carries_who_was_tried():
    # Catches the list dropped between callbacks (the dial's action, the queue's wait and
    # action URLs), which would bring the second ring back one step later.
    urls = ActionUrls(*(f"https://x.test/{name}?pn=5" for name in "abcdefg"))
    dial = run(frontline_only(), TUESDAY_10, presence=ONLY_ANN)
    [dial_element] = ElementTree.fromstring(render_decision(dial, action_urls=urls))
    assert _query(dial_element.get("action", ""))["tried"] == "11"
    ended = CallProgress(
        stage=Stage.DIAL_ENDED, step="tier:0:0", dial_status="no-answer", tried=frozenset({11})
    )
    queued = run(frontline_only(), TUESDAY_10, presence=ONLY_ANN, progress=ended)
    [enqueue] = ElementTree.fromstring(render_decision(queued, action_urls=urls))
    assert _query(enqueue.get("waitUrl", ""))["tried"] == "11"
    assert _query(enqueue.get("action", ""))["tried"] == "11"


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
