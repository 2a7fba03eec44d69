"""Typo decisions: real words the documents lack are left alone, typos are corrected into
words of the same language and script that the documents hold."""

from __future__ import annotations

import pytest

from bot.analysis import analyzer_for
from bot.spelling import (
    edit_distance,
    has_word_list,
    is_real_word,
    looks_like_typo,
    script,
    suggest,
)


class Documents:
    """What a library's index knows: the stems and the words of some passages."""

    def __init__(self, lang: str, *texts: str) -> None:
        self.lang = lang
        self.analyzer = analyzer_for(lang)
        self.stems = {t.text for text in texts for t in self.analyzer(text)}
        self.words = {w.strip(".,?!").lower() for text in texts for w in text.split()}

    def known(self, word: str) -> bool:
        return any(t.text in self.stems for t in self.analyzer(word))

    def close(self, word: str) -> list[str]:
        return [w for w in self.words if w.isalpha() and edit_distance(w, word) <= 2]


ENGLISH = Documents(
    "en",
    "The guest left his wife at the border; the boy was active in the network.",
    "Militants surrendered to the army after the smugglers were paid by the Saudis.",
    "Her passport was checked twice.",
)


@pytest.mark.parametrize("word", ["wifi", "password", "archive", "online", "guest", "network"])
def test_real_english_words_are_never_corrected(word: str) -> None:
    assert is_real_word(word, "en")
    assert not looks_like_typo(word, "en", ENGLISH.known)
    assert suggest(word, "en", ENGLISH.close(word), ENGLISH.known) is None


@pytest.mark.parametrize(("typed", "meant"), [("surender", "surrender"), ("smuglers", "smugglers")])
def test_english_typos_are_corrected_into_words_the_documents_hold(typed: str, meant: str) -> None:
    assert looks_like_typo(typed, "en", ENGLISH.known)
    found = suggest(typed, "en", ENGLISH.close(typed), ENGLISH.known)
    assert found is not None and found.word == meant
    assert ENGLISH.known(found.word)


def test_surender_is_found_although_the_documents_only_say_surrendered() -> None:
    # "surrendered" is three edits from "surender": the documents' words alone miss it.
    assert edit_distance("surender", "surrendered") == 3
    assert "surrender" not in ENGLISH.words
    assert suggest("surender", "en", ENGLISH.close("surender"), ENGLISH.known).word == "surrender"


def test_a_word_the_documents_hold_is_never_a_typo() -> None:
    documents = Documents("en", "The smuglers cafe is open.")
    assert not looks_like_typo("smuglers", "en", documents.known)


def test_short_words_and_acronyms_in_lower_case_are_left_alone() -> None:
    for word in ("ssid", "smtp", "teh", "wifi"):
        assert not looks_like_typo(word, "en", ENGLISH.known)


GERMAN = Documents("de", "Die Saudis haben den Schmugglern viel Geld gezahlt.")
SPANISH = Documents("es", "Los últimos militantes fueron capturados en la frontera.")
RUSSIAN = Documents("ru", "Пограничники патрулируют границу с собаками.")


@pytest.mark.parametrize(
    ("docs", "question"),
    [
        (GERMAN, "Wie viel haben die Saudis den Schmugglern gezahlt"),
        (SPANISH, "Dónde fueron capturados los últimos militantes"),
        (RUSSIAN, "Где патрулируют пограничники с собаками"),
    ],
)
def test_correct_questions_in_other_languages_are_left_alone(
    docs: Documents, question: str
) -> None:
    for word in question.split():
        assert suggest(word, docs.lang, docs.close(word.lower()), docs.known) is None, word


@pytest.mark.parametrize(
    ("docs", "typed", "meant"),
    [
        (GERMAN, "Schmuglern", "schmugglern"),
        (SPANISH, "capturdos", "capturados"),
        (RUSSIAN, "сабаками", "собаками"),
    ],
)
def test_typos_in_other_languages_are_corrected_in_their_language(
    docs: Documents, typed: str, meant: str
) -> None:
    found = suggest(typed, docs.lang, docs.close(typed.lower()), docs.known)
    assert found is not None and found.word == meant


def test_a_word_of_another_library_language_is_not_a_typo() -> None:
    # "militants" in a Spanish question is English, not a misspelt "militantes".
    assert looks_like_typo("militants", "es", SPANISH.known)
    assert not looks_like_typo("militants", "es", SPANISH.known, others=["en"])


def test_corrections_keep_the_script_of_the_word_typed() -> None:
    assert script("собака") == "CYRILLIC" and script("sobaka") == "LATIN"
    assert script("北京") == script("ひらがな") == "CJK"
    # A look-alike of another script (a Latin "c" in a Cyrillic word) is never offered.
    lookalike = "cобака"
    assert script(lookalike) == "LATIN"
    assert suggest("сабака", "ru", [lookalike], lambda w: w == lookalike) is None
    assert suggest("сабака", "ru", ["собака"], lambda w: w == "собака").word == "собака"


def test_a_language_without_a_word_list_is_corrected_conservatively() -> None:
    lang = "eu"  # Basque: a Snowball stemmer, no word list
    assert not has_word_list(lang)
    held = {"etxeetan", "mendia"}
    assert not looks_like_typo("mendi", lang)  # short: never
    found = suggest("etxeetam", lang, ["etxeetan"], held.__contains__)
    assert found is not None and found.word == "etxeetan"
    assert suggest("etxeatam", lang, ["etxeetan"], held.__contains__) is None  # two edits


def test_edit_distance_counts_a_swap_as_one_edit() -> None:
    assert edit_distance("recieve", "receive") == 1
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3
