"""What an incoming text asks for: to stop, to resume, or for help; and, for a revocation,
which channels it covers and whether a person should read it.

Every body is first put into one plain form (``normalise``): Unicode NFKC (full-width and
mathematical letters become ordinary ones), zero-width and other format characters
dropped, case folded, accents dropped, apostrophes dropped ("don't" → "dont"), every other
punctuation mark, symbol or emoji a space, letters spelled out one by one joined
("S.T.O.P" → "stop"), and a letter repeated three times or more kept once ("stooop").

Carrier keywords (STOP, CANCEL, … and Spanish PARAR, ALTO, BAJA, CANCELAR) match only as the
whole body, though politeness around them is allowed ("stop please", "alto por favor"):
"STOP" revokes, "please stop the reminders for my mother" does not as a keyword, and "don't
cancel my appointment" never does. Plain-language revocations ("stop calling me", "leave me
alone", "take me off your list", "wrong number", "no me llamen", "no más mensajes" …) match
anywhere in the body: a person who asks to stop in their own words has revoked consent
(FCC 2024 revocation rules), and a false positive costs one unsent text while a false
negative is a violation.

A revocation covers every channel (calls and texts) unless the person clearly limits it
("stop calling, texts are fine"): naming one channel ("stop calling me") is not a limit.
A plain-language revocation that also asks something ("stop texting me, what time is my
appointment?") revokes and is marked for a person to read (``needs_review``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    REVOKE = "revoke"
    RESTORE = "restore"
    HELP = "help"
    NONE = "none"


class Channels(StrEnum):
    """What a revocation covers: every channel, or only the one the person limited it to.
    The values are ``telephony.models.ConsentChannel``'s."""

    ALL = "all"
    SMS = "sms"
    VOICE = "voice"


REVOKE_KEYWORDS = frozenset(
    {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "PARAR",
        "ALTO",
        "BAJA",
        "CANCELAR",
        "DETENER",
    }
)
RESTORE_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO", "AYUDA"})

# Words of politeness (or address) that may surround a whole-body keyword: "stop please",
# "STOP thank you", "alto por favor", "hi, stop".
POLITENESS = frozenset(
    {
        "please", "pls", "plz", "plse", "pleas", "kindly", "thanks", "thank", "you", "thankyou",
        "thx", "ty", "tks", "now", "asap", "ok", "okay", "hi", "hello", "hey", "sir", "maam",
        "por", "favor", "porfa", "porfavor", "gracias", "ya", "hola", "senor", "senora",
    }
)  # fmt: skip
# Two-word whole-body revocations (after politeness is removed).
REVOKE_PHRASES = frozenset({"stop all", "stop it", "end all", "unsubscribe all"})

# Words before a revocation phrase that turn it around: "don't stop texting me", "why did
# you stop calling?".
_NOT = r"(?<!dont )(?<!do not )(?<!never )(?<!not )(?<!did you )(?<!didnt )"
_ME = r"(?: me| us| this number| my number| my phone)"
# What may follow "remove me" / "take me off" for it to mean the organisation's list:
# nothing, politeness, or a list ("take me off the schedule" is about an appointment).
_LIST = (
    r"(?= *$| (?:please|pls|plz|thanks|thank|now|asap|immediately|right now)\b"
    r"| (?:from )?(?:your|the|this|ur|all|any|every|these|ya) "
    r"(?:(?:texting|text|sms|mailing|contact|call|calling|messaging|phone|marketing) )?"
    r"(?:list|lists|contacts|database|system|texts|messages|calls)\b)"
)
PLAIN_LANGUAGE_REVOCATIONS = re.compile(
    r"\b(?:"
    # English
    rf"{_NOT}(?:stop|quit|cease) (?:texting|txting|texing|messaging|msging|sending|contacting"
    r"|calling|phoning|ringing|bothering|harassing|spamming)\b"
    rf"|{_NOT}(?:stop|quit|no more) (?:the |these |those |all |your |ur |with the )?"
    r"(?:texts|text messages|messages|msgs|txts|sms|calls|phone calls|robocalls|reminders"
    r"|notifications|alerts|spam)\b"
    r"|opt(?:ing)? ?out|optout|unsubscribe|unsub\b|revoke|withdraw (?:my )?consent"
    rf"|remove{_ME}{_LIST}"
    rf"|take{_ME} off{_LIST}"
    rf"|(?:do not|dont|never|stop|quit) (?:text|txt|message|msg|contact|call|phone|ring|sms"
    rf"|bother|email){_ME}"
    r"|leave me alone|lose (?:my|this) number|delete (?:my|this) number"
    r"|wrong (?:number|person)\b"
    r"|(?:do not|dont|no longer) want (?:any |to (?:get|receive) )?(?:more |any more |anymore )?"
    r"(?:your |these |the )?(?:texts|text messages|messages|calls|phone calls)"
    r"|(?:do not|dont|no longer) want to be (?:contacted|called|texted)"
    # Spanish (accents are dropped by ``normalise``)
    r"|no me (?:llamen|llames|llame|llamar|escriban|escribas|escriba|manden|mandes|envien"
    r"|envies|contacten|contactes|molesten|molestes)\b"
    r"|no (?:mas |quiero (?:recibir )?(?:mas )?|deseo (?:recibir )?(?:mas )?)"
    r"(?:mensajes|llamadas|textos|msjs|sms)\b"
    r"|(?:dejen|deje|deja|dejar) de (?:llamar|escribir|enviar|mandar|contactar|molestar)"
    r"|(?:darme|dame|denme|me doy|dar|dese|den) de baja"
    r"|(?:borren|borra|borrar|eliminen|eliminar) mi numero"
    r"|(?:sacame|saquenme|quitenme|quitame) de (?:la|su|tu|esta) lista"
    r"|numero equivocado|equivocado de numero"
    r")"
)

# The channel a person says they still accept ("texts are fine", "call only", "solo
# mensajes"): a revocation that says so covers only the other one.
_TEXT_WORD = r"(?:texts?|texting|txts?|messages?|msgs?|sms|mensajes?|textos?)"
_CALL_WORD = r"(?:calls?|calling|phone calls?|llamadas?)"
_OK = r"(?:are|is|r) (?:ok|okay|fine|good|alright|still ok|still fine)"


def _still_fine(word: str, verb: str) -> re.Pattern[str]:
    return re.compile(
        rf"\b(?:{word} {_OK}|{word} only|only {word}|just {word}|solo {word}"
        rf"|(?:you can|u can|feel free to) (?:still |just )?{verb}"
        rf"|{verb} me instead|{verb} (?:me )?only|only {verb}|just {verb})\b"
    )


TEXTS_STILL_FINE = _still_fine(_TEXT_WORD, r"(?:text|txt|message|escribir|escribanme)")
CALLS_STILL_FINE = _still_fine(_CALL_WORD, r"(?:call|phone|ring|llamar|llamenme)")

# A question in the text: a question mark, or a sentence that starts like one.
_QUESTION = re.compile(
    r"(?:^| )(?:what|when|where|how|why|who|which|whats|can i|could i|can you|could you"
    r"|do i|did i|do you|is my|is the|is it|are you|will i|will you|should i|cuando|donde"
    r"|como|que hora|puedo|por que)\b"
)


@dataclass(frozen=True)
class Classified:
    intent: Intent
    keyword: str = ""
    plain_language: bool = False
    # What a revocation covers (``Channels.ALL`` unless the person limited it).
    channels: Channels = Channels.ALL
    # A revocation that also asks something: revoke, and have a person read it.
    needs_review: bool = False


_FORMAT_CATEGORY = "Cf"  # zero-width spaces and joiners, soft hyphens, byte-order marks
_APOSTROPHES = str.maketrans("", "", "'’‘ʼ`´")


def normalise(body: str) -> str:
    """``body`` in the one plain form every match is made on (see the module docstring)."""
    text = unicodedata.normalize("NFKC", body)
    text = "".join(ch for ch in text if unicodedata.category(ch) != _FORMAT_CATEGORY)
    text = text.casefold()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = text.translate(_APOSTROPHES)
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    text = " ".join(_join_spelled_out(text.split()))
    return re.sub(r"([a-z])\1{2,}", r"\1", text)


def _join_spelled_out(tokens: list[str]) -> list[str]:
    """Join runs of three or more one-letter tokens: "s t o p" → "stop"."""
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        joined.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if token:
            joined.append(token)
    return joined


def _squeeze(word: str) -> str:
    """A word with each run of one letter kept once ("stopp" → "stop"), so a doubled
    letter still matches a keyword."""
    return re.sub(r"(.)\1+", r"\1", word)


_KEYWORDS: dict[str, tuple[Intent, str]] = {
    _squeeze(word.casefold()): (intent, word)
    for words, intent in (
        (REVOKE_KEYWORDS, Intent.REVOKE),
        (RESTORE_KEYWORDS, Intent.RESTORE),
        (HELP_KEYWORDS, Intent.HELP),
    )
    for word in words
}


def _whole_body_keyword(plain: str) -> tuple[Intent, str] | None:
    """The keyword the body consists of, politeness aside; ``None`` when it is more."""
    core = [token for token in plain.split() if token not in POLITENESS]
    if not core:
        return None
    if " ".join(core) in REVOKE_PHRASES:
        return Intent.REVOKE, "STOP"
    found = [_KEYWORDS.get(_squeeze(token)) for token in core]
    first = found[0]
    # "stop stop", "STOP STOP STOP": the same intent throughout.
    if first is None or any(item is None or item[0] != first[0] for item in found):
        return None
    return first


def _limited_to(plain: str) -> Channels:
    texts_fine = bool(TEXTS_STILL_FINE.search(plain))
    calls_fine = bool(CALLS_STILL_FINE.search(plain))
    if texts_fine and not calls_fine:
        return Channels.VOICE
    if calls_fine and not texts_fine:
        return Channels.SMS
    return Channels.ALL


def _asks_something(body: str, plain: str) -> bool:
    text = unicodedata.normalize("NFKC", body)
    return "?" in text or "¿" in text or bool(_QUESTION.search(plain))


def classify(body: str) -> Classified:
    """The intent of an incoming text's body; for a revocation, what it covers and whether
    a person should read it."""
    plain = normalise(body)
    keyword = _whole_body_keyword(plain)
    if keyword is not None:
        return Classified(keyword[0], keyword=keyword[1])
    if PLAIN_LANGUAGE_REVOCATIONS.search(plain):
        return Classified(
            Intent.REVOKE,
            plain_language=True,
            channels=_limited_to(plain),
            needs_review=_asks_something(body, plain),
        )
    return Classified(Intent.NONE)
