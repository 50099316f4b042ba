"""What an incoming text asks for: to stop, to resume, or for help.

Carrier keywords (the ones Twilio recognises) match only as the whole body, ignoring case,
surrounding spaces and trailing punctuation: "stop" and "STOP!" revoke, "please stop the
reminders for my mother" does not (as a keyword). Plain-language revocations ("stop texting
me", "opt out", "revoke", "remove me from this list"…) match anywhere in the body: a person
who asks to stop in their own words has revoked consent (FCC 2024 revocation rules), and a
false positive costs one unsent text while a false negative is a violation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    REVOKE = "revoke"
    RESTORE = "restore"
    HELP = "help"
    NONE = "none"


REVOKE_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
RESTORE_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})

PLAIN_LANGUAGE_REVOCATIONS = re.compile(
    r"\b("
    r"stop (texting|txting|messaging|sending|contacting|calling|msging)"
    r"|opt(ing)? ?out|optout"
    r"|revoke"
    r"|unsubscribe"
    r"|remove me|take me off"
    r"|(do not|dont|don t|never) (text|txt|message|contact|call) me"
    r"|no more (texts|messages|txts)"
    r")\b"
)


@dataclass(frozen=True)
class Classified:
    intent: Intent
    keyword: str = ""
    plain_language: bool = False


def _whole_body_keyword(body: str) -> str:
    return body.strip().rstrip(".!").strip().upper()


def _plain(body: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", body.lower()).split())


def classify(body: str) -> Classified:
    """The intent of an incoming text's body."""
    keyword = _whole_body_keyword(body)
    if keyword in REVOKE_KEYWORDS:
        return Classified(Intent.REVOKE, keyword=keyword)
    if keyword in RESTORE_KEYWORDS:
        return Classified(Intent.RESTORE, keyword=keyword)
    if keyword in HELP_KEYWORDS:
        return Classified(Intent.HELP, keyword=keyword)
    if PLAIN_LANGUAGE_REVOCATIONS.search(_plain(body)):
        return Classified(Intent.REVOKE, plain_language=True)
    return Classified(Intent.NONE)
