"""The language the bot speaks to each user (bot/chat/language.py): the user's own, when the
bot has a catalog for it and the library holds documents in it."""

from __future__ import annotations

import pytest

from tests.botapi import private_chat
from tests.harness import ADMIN, MEMBER, STRANGER, Running

pytestmark = pytest.mark.timeout(90)

GERMAN = (
    "Die Bibliothek\n\nDie Bibliothek des Instituts befindet sich im dritten Stock des "
    "Hauptgebäudes. Studierende können dort Bücher ausleihen und in Lesesälen arbeiten.\n"
)


def speaking(who: dict, code: str) -> dict:
    return {**who, "language_code": code}


def test_users_are_answered_in_their_language_once_the_library_holds_it(bot: Running) -> None:
    german_member = speaking(MEMBER, "de")
    _, before = bot.ask(private_chat(german_member), german_member, "zzqx")
    assert before.text.startswith("Nothing found for")  # no German documents yet: English

    upload = bot.api.document(private_chat(ADMIN), ADMIN, GERMAN.encode(), "bibliothek.txt")
    bot.api.wait_reply(upload)
    _, nothing = bot.ask(private_chat(german_member), german_member, "zzqx")
    assert nothing.text.startswith("Nichts gefunden für <i>zzqx</i>")
    _, found = bot.ask(private_chat(german_member), german_member, "Bibliothek")
    assert found.text.startswith("Ergebnisse 1") and "Abschnitt 1" in found.text
    _, english = bot.ask(private_chat(MEMBER), MEMBER, "Bibliothek")
    assert english.text.startswith("Results 1") and "passage 1" in english.text
    _, french = bot.ask(private_chat(speaking(MEMBER, "fr")), speaking(MEMBER, "fr"), "zzqx")
    assert french.text.startswith("Nothing found")  # a catalog, but no French documents


def test_a_stranger_is_refused_in_their_language(bot: Running) -> None:
    upload = bot.api.document(private_chat(ADMIN), ADMIN, GERMAN.encode(), "bibliothek.txt")
    bot.api.wait_reply(upload)
    stranger = speaking(STRANGER, "de-AT")
    _, refusal = bot.ask(private_chat(stranger), stranger, "Bibliothek")
    assert refusal.text.startswith("Sie stehen leider nicht auf der Zugangsliste")
    assert str(STRANGER["id"]) in refusal.text
