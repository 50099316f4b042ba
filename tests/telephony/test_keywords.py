"""Reply keywords: which texts revoke, restore or ask for help. A missed revocation is a
violation (FCC 2024 revocation rules); a keyword matched inside a sentence is a false stop."""

from __future__ import annotations

import pytest

from telephony.keywords import Classified, Intent, classify


@pytest.mark.parametrize(
    "body", ["STOP", "stop", " Stop! ", "STOPALL", "unsubscribe.", "Cancel", "END", "quit!!"]
)
def test_carrier_revoke_keywords_match_as_the_whole_body_ignoring_case_and_punctuation(body):
    # Catches a keyword compared with its case, spaces or trailing "!" and "." intact.
    result = classify(body)
    assert result == Classified(Intent.REVOKE, keyword=body.strip().rstrip(".!").upper())


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("START", Intent.RESTORE),
        ("yes", Intent.RESTORE),
        ("Unstop", Intent.RESTORE),
        ("HELP", Intent.HELP),
        ("info.", Intent.HELP),
    ],
)
def test_restore_and_help_keywords(body, intent):
    # Catches START/YES not restoring consent, or HELP answered as an ordinary message.
    result = classify(body)
    assert (result.intent, result.keyword, result.plain_language) == (
        intent,
        body.rstrip(".").upper(),
        False,
    )


@pytest.mark.parametrize(
    "body",
    [
        "Please stop texting me",
        "STOP CALLING ME!!",
        "I want to opt out",
        "opting out of this",
        "I revoke my consent",
        "unsubscribe me please",
        "remove me from your list",
        "take me off this list",
        "don't text me again",
        "do not contact me",
        "never call me",
        "no more texts",
    ],
)
def test_plain_language_revocations_match_anywhere_in_the_body(body):
    # Catches a person's own words for "stop" ignored (a revocation missed is a violation).
    result = classify(body)
    assert (result.intent, result.plain_language, result.keyword) == (Intent.REVOKE, True, "")


@pytest.mark.parametrize(
    "body",
    [
        "Yes, Tuesday works",
        "help me find the address",
        "STOP by the office?",
        "don't cancel my appointment",
        "I'll call you",
        "",
    ],
)
def test_sentences_that_only_contain_a_keyword_are_not_keywords(body):
    # Catches a keyword matched inside a sentence ("YES, Tuesday works" is a reply, not a
    # restore; "stop by" is not a revocation).
    assert classify(body) == Classified(Intent.NONE)
