"""Language identification of passages and of short questions, restricted to a library's
languages, with a default for text too short to tell."""

from __future__ import annotations

import pytest

from bot.languages import (
    detect,
    guess,
    known_languages,
    passage_languages,
    question_language,
)

PASSAGES = {
    "en": "The border guards patrol the river every night, and the smugglers have learned to "
    "cross it further north where the water is shallow.",
    "de": "Die Grenzschützer patrouillieren jede Nacht am Fluss, und die Schmuggler haben "
    "gelernt, ihn weiter nördlich zu überqueren, wo das Wasser flach ist.",
    "fr": "Les gardes-frontières patrouillent le fleuve chaque nuit, et les contrebandiers ont "
    "appris à le traverser plus au nord, là où l'eau est peu profonde.",
    "es": "Los guardias fronterizos patrullan el río cada noche, y los contrabandistas han "
    "aprendido a cruzarlo más al norte, donde el agua es poco profunda.",
    "ru": "Пограничники каждую ночь патрулируют реку, а контрабандисты научились переходить "
    "её севернее, где вода мельче.",
    "zh": "边防警卫每天晚上都在河边巡逻，走私者已经学会在更北边水浅的地方过河。",
    "ja": "国境警備隊は毎晩川を巡回しているが、密輸業者は水の浅い北の方で川を渡ることを覚えた。",
}

QUESTIONS = {
    "de": "Wie viel haben die Saudis den Schmugglern gezahlt?",
    "es": "¿Dónde fueron capturados los últimos militantes?",
    "ru": "Сколько заплатили контрабандистам?",
    "fr": "Où les militants ont-ils été arrêtés ?",
    "en": "how much did the Saudis pay the smugglers?",
}
LIBRARY = ("en", "de", "fr", "es", "ru")


@pytest.mark.parametrize("lang", sorted(PASSAGES))
def test_a_passage_is_recognised(lang: str) -> None:
    assert detect(PASSAGES[lang]) == lang


@pytest.mark.parametrize("lang", sorted(QUESTIONS))
def test_a_short_question_is_recognised_among_the_library_languages(lang: str) -> None:
    found = question_language(QUESTIONS[lang], LIBRARY)
    assert found.lang == lang
    assert 0.5 < found.confidence <= 1.0


def test_restricting_the_candidates_decides_a_short_ambiguous_text() -> None:
    # Among every language, three words may be anything; among two, they are German.
    assert guess("die Schmuggler gezahlt", ["en", "de"]).lang == "de"


def test_too_little_text_takes_the_default() -> None:
    for text in ("", "42", "?!", "ok"):
        found = guess(text, LIBRARY, default="es")
        assert found.lang == "es" and found.confidence == 0.0


def test_a_single_candidate_needs_no_guess() -> None:
    assert guess(PASSAGES["de"], ["ru"]).lang == "ru"


def test_unknown_languages_are_refused() -> None:
    with pytest.raises(ValueError, match="xx"):
        guess("text", ["en", "xx"])
    assert {"en", "de", "ru", "zh", "ja", "ar", "fa"} <= known_languages()


def test_a_mixed_document_is_split_by_passage_and_short_lines_follow_it() -> None:
    passages = [
        PASSAGES["en"],
        "Berlin 2024",  # a heading of names: the document's language
        PASSAGES["en"].replace("night", "morning"),
        PASSAGES["de"],
    ]
    langs = passage_languages(passages, ["en", "de", "fr"])
    assert langs == ["en", "en", "en", "de"]


def test_one_letter_of_another_script_is_enough() -> None:
    assert guess("ค. 2008", ["en", "th"]).lang == "th"
    assert guess("a. 2008", ["en", "th"], default="th").confidence == 0.0


def test_code_and_lists_take_their_documents_language() -> None:
    from bot.languages import passage_languages

    german = (
        "Die Bibliothek des Instituts befindet sich im dritten Stock des Hauptgebäudes, und "
        "Studierende können dort Bücher ausleihen und in ruhigen Lesesälen arbeiten."
    )
    code = "Or, $ git clone https://anonscm.debian.org/git/debian-live/live-manual.git"
    listing = "fonts-crosextracaladea I:171 347 - 55 - Chrome OS: Caladea (Google; MCM:Cambria)"
    rows = "apt upgrade aptitude\n    safe-upgrade\n    apt-get\n    upgrade"
    assert passage_languages([german, code, listing, rows, german]) == ["de"] * 5
