"""Revocation by any reasonable means: the decision for each of many real-world texts, in
any form of writing, English and Spanish. Pure: ``telephony.keywords.classify``, no
database. The webhook side (what the ledger records, the review flag) is in
tests/telephony/test_consent_channels.py."""

from __future__ import annotations

import pytest

from telephony.keywords import Channels, Intent, classify, normalise

REVOKE, RESTORE, HELP, NONE = Intent.REVOKE, Intent.RESTORE, Intent.HELP, Intent.NONE
ALL, SMS, VOICE = Channels.ALL, Channels.SMS, Channels.VOICE

# (text, intent, what a revocation covers, whether a person must read it)
DECISIONS = [
    # Carrier keywords, whole body, in any form of writing
    ("STOP", REVOKE, ALL, False),
    ("stop", REVOKE, ALL, False),
    ("  Stop. ", REVOKE, ALL, False),
    ("Stop!!! 🙏", REVOKE, ALL, False),
    ("ＳＴＯＰ", REVOKE, ALL, False),  # full-width letters
    ("𝐒𝐓𝐎𝐏", REVOKE, ALL, False),  # mathematical bold
    ("S\u200bT\u200dOP", REVOKE, ALL, False),  # zero-width space and joiner inside
    ("\ufeffstop", REVOKE, ALL, False),  # a byte-order mark in front
    ("s.t.o.p", REVOKE, ALL, False),
    ("S T O P", REVOKE, ALL, False),
    ("Stoppp", REVOKE, ALL, False),
    ("stop stop stop", REVOKE, ALL, False),
    ("STOP?", REVOKE, ALL, False),  # only the keyword: nothing else to answer
    ("STOPALL", REVOKE, ALL, False),
    ("unsubscribe", REVOKE, ALL, False),
    ("Cancel", REVOKE, ALL, False),
    ("END", REVOKE, ALL, False),
    ("quit", REVOKE, ALL, False),
    # Politeness around the keyword
    ("stop please", REVOKE, ALL, False),
    ("Please STOP", REVOKE, ALL, False),
    ("stop, thank you", REVOKE, ALL, False),
    ("Hi, stop now please", REVOKE, ALL, False),
    ("stop it", REVOKE, ALL, False),
    ("Stop all", REVOKE, ALL, False),
    # Spanish keywords
    ("PARAR", REVOKE, ALL, False),
    ("Alto", REVOKE, ALL, False),
    ("alto por favor", REVOKE, ALL, False),
    ("BAJA", REVOKE, ALL, False),
    ("Cancelar", REVOKE, ALL, False),
    # Plain English
    ("Please stop texting me", REVOKE, ALL, False),
    ("please stop calling me", REVOKE, ALL, False),  # a call-side wish: still every channel
    ("stop. texting. me.", REVOKE, ALL, False),
    ("do not contact me", REVOKE, ALL, False),
    ("don't text me again", REVOKE, ALL, False),
    ("Don’t call me", REVOKE, ALL, False),  # a typographic apostrophe
    ("never call this number again", REVOKE, ALL, False),
    ("no more calls or texts", REVOKE, ALL, False),
    ("No more messages pls", REVOKE, ALL, False),
    ("stop sending me reminders", REVOKE, ALL, False),
    ("leave me alone", REVOKE, ALL, False),
    ("remove me", REVOKE, ALL, False),
    ("remove me from this list!", REVOKE, ALL, False),
    ("Take me off your list", REVOKE, ALL, False),
    ("take me off please", REVOKE, ALL, False),
    ("wrong number", REVOKE, ALL, False),
    ("You have the wrong number", REVOKE, ALL, False),
    ("I want to opt out", REVOKE, ALL, False),
    ("I revoke my consent", REVOKE, ALL, False),
    ("I no longer want these texts", REVOKE, ALL, False),
    ("I don't want to be contacted", REVOKE, ALL, False),
    ("STOP TEXTING ME!!!", REVOKE, ALL, False),
    ("stooop calling", REVOKE, ALL, False),
    # Plain Spanish
    ("no me llamen más", REVOKE, ALL, False),
    ("No más mensajes", REVOKE, ALL, False),
    ("no mas mensajes por favor", REVOKE, ALL, False),
    ("No quiero recibir más llamadas", REVOKE, ALL, False),
    ("dejen de llamar", REVOKE, ALL, False),
    ("Quiero darme de baja", REVOKE, ALL, False),
    ("número equivocado", REVOKE, ALL, False),
    # Clearly limited to one channel: only that one is revoked
    ("Don't text me, calls are fine", REVOKE, SMS, False),
    ("Stop calling me. Text only please", REVOKE, VOICE, False),
    ("no more calls, just text", REVOKE, VOICE, False),
    ("stop texting me, you can call", REVOKE, SMS, False),
    # A revocation with a question: revoke, and a person reads it
    ("stop texting me, what time is my appointment?", REVOKE, ALL, True),
    ("Who is this? wrong number", REVOKE, ALL, True),
    ("please stop calling. when is my refill ready", REVOKE, ALL, True),
    ("¿Quién es? no me llamen", REVOKE, ALL, True),
    # Not revocations
    ("can I stop by at 3?", NONE, ALL, False),
    ("don't cancel my appointment", NONE, ALL, False),
    ("Can I cancel my appointment?", NONE, ALL, False),
    ("I need to cancel tomorrow", NONE, ALL, False),
    ("yes please, 3pm works", NONE, ALL, False),
    ("I need help with my bill", NONE, ALL, False),
    ("Running late, see you at the end of the day", NONE, ALL, False),
    ("the end", NONE, ALL, False),
    ("Quit smoking program info", NONE, ALL, False),
    ("I can't stop laughing", NONE, ALL, False),
    ("please don't stop texting me reminders", NONE, ALL, False),
    ("why did you stop calling me?", NONE, ALL, False),
    ("call me back please", NONE, ALL, False),
    ("remove me from the 3pm slot and book 4pm", NONE, ALL, False),
    ("take me off the waitlist", NONE, ALL, False),
    ("leave the package, I will be home alone", NONE, ALL, False),
    ("no más preguntas, nos vemos", NONE, ALL, False),
    ("no quiero cancelar mi cita", NONE, ALL, False),
    ("¿Puedo cancelar mi cita?", NONE, ALL, False),
    ("baja la música", NONE, ALL, False),
    ("Estoy en el alto", NONE, ALL, False),
    # Restore and help, politeness allowed
    ("START", RESTORE, ALL, False),
    ("yes", RESTORE, ALL, False),
    ("Unstop", RESTORE, ALL, False),
    ("start please", RESTORE, ALL, False),
    ("HELP", HELP, ALL, False),
    ("info", HELP, ALL, False),
    ("Ayuda por favor", HELP, ALL, False),
]


def test_the_table_is_large_and_covers_both_sides():
    # Catches the table shrinking below the bar (at least 60 texts, both those that
    # revoke and those that must not).
    assert len(DECISIONS) >= 60
    assert sum(intent == REVOKE for _, intent, _, _ in DECISIONS) >= 30
    assert sum(intent == NONE for _, intent, _, _ in DECISIONS) >= 20


@pytest.mark.parametrize(("body", "intent", "channels", "review"), DECISIONS)
def test_each_text_gets_its_decision(body, intent, channels, review):
    # Catches a revocation missed because of how it is written (full-width or bold letters,
    # zero-width characters, spelled out, politeness, Spanish) or because it names one
    # channel; a false revocation from a substring ("stop by", "don't cancel"); a limit to
    # one channel ignored; and a revocation that also asks something not put in front of
    # a person.
    classified = classify(body)
    assert (classified.intent, classified.channels, classified.needs_review) == (
        intent,
        channels,
        review,
    )


def test_normalisation_makes_every_form_of_writing_one():
    # Catches a normaliser that keeps what a person cannot see (zero-width characters),
    # confuses look-alike forms, or turns "don't" into two words.
    forms = ["STOP", "ｓｔｏｐ", "𝐬𝐭𝐨𝐩", "s\u200btop", "S\u00adTOP", "  stop!! ", "S-T-O-P"]
    assert {normalise(form) for form in forms} == {"stop"}
    assert normalise("Don’t   CALL me ¡ya!") == "dont call me ya"
    assert normalise("No MÁS mensajes") == "no mas mensajes"
