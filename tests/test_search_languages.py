"""Search in the team's own languages (bot/search.py with bot/question.py, bot/languages.py,
bot/analysis.py and bot/spelling.py): documents in German, French, Spanish, Russian and Chinese
beside the shipped English seeds, in one real index; questions in each language."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.library import Library
from tests.conftest import SEEDS, make_settings

DOCUMENTS = {
    "bibliothek.md": """# Die Bibliothek

Die Bibliothek des Instituts befindet sich im dritten Stock des Hauptgebäudes. Studierende
können dort Bücher ausleihen, in ruhigen Lesesälen arbeiten und Zeitschriften lesen.

## Öffnungszeiten

Von Montag bis Freitag ist die Bibliothek von acht bis zwanzig Uhr geöffnet. Am Wochenende
bleiben die Türen geschlossen, außer während der Prüfungszeit.

## Schmuggel

Die Polizei berichtete, dass die Schmuggler für jede Überfahrt zweitausend Euro verlangten
und die Flüchtlinge in kleinen Booten über den Fluss brachten.
""",
    "cuisine.txt": """La cuisine lyonnaise

Les chevaux du village mangeaient du foin pendant que les cuisiniers préparaient les quenelles
pour le grand marché du dimanche matin.

La recette traditionnelle des quenelles demande de la semoule, des œufs, du beurre et beaucoup
de patience, selon les chefs de la ville.
""",
    "desierto.txt": """Operación en el desierto

Los últimos militantes fueron capturados cerca de la frontera después de una larga operación
militar que duró varias semanas en el desierto.

Las autoridades anunciaron que los detenidos serán juzgados por tribunales especiales en la
capital durante los próximos meses.
""",
    "sobaki.txt": """Собаки в городе

Жители города часто гуляют с собаками в центральном парке, особенно по вечерам, когда
становится прохладнее и на улицах меньше машин.

Городской совет решил построить новую площадку для собак рядом с рекой, чтобы животные могли
свободно бегать.
""",
    "tushuguan.txt": """图书馆指南

学校的图书馆在主楼的三楼，学生可以在那里借书、在安静的阅览室学习和阅读杂志。

图书馆周一至周五早上八点到晚上八点开放，周末关闭。
""",
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """The shipped English seeds and one document in each of five other languages."""
    root = tmp_path_factory.mktemp("languages")
    shutil.copytree(SEEDS, root / "seeds")
    for name, text in DOCUMENTS.items():
        (root / "seeds" / name).write_text(text, encoding="utf-8")
    library = Library(make_settings(root))
    library.reindex()
    yield library
    library.close()


def top(library: Library, question: str) -> tuple[str, str]:
    (first, *_) = library.ask(question).results
    return first.doc, first.excerpt


def test_each_passage_is_analysed_in_its_language(library: Library) -> None:
    counts = library._searcher.languages()
    assert set(counts) == {"en", "de", "fr", "es", "ru", "zh"}
    assert counts["en"] > 100 and counts["de"] == 3 and counts["zh"] == 1


@pytest.mark.parametrize(
    ("question", "doc", "words"),
    [
        ("Schmugglern", "bibliothek.md", "Schmuggler"),  # German plural dative -> singular
        ("wann ist die Bibliothek geöffnet", "bibliothek.md", "geöffnet"),
        ("cheval", "cuisine.txt", "chevaux"),  # French plural -> singular
        ("capturaron militante", "desierto.txt", "capturados"),  # Spanish verb forms
        ("собака", "sobaki.txt", "собак"),  # Russian cases: собака ~ собаками ~ собак
        ("图书馆", "tushuguan.txt", "图书馆"),  # Chinese, written without spaces
        ("图书馆在哪里", "tushuguan.txt", "三楼"),
    ],
)
def test_inflected_forms_find_their_base_forms(
    library: Library, question: str, doc: str, words: str
) -> None:
    found, excerpt = top(library, question)
    assert found == doc
    assert words in excerpt


def test_matched_words_are_marked_in_their_own_language(library: Library) -> None:
    (result, *_) = library.ask("собака парк").results
    marked = {result.excerpt[s:e] for s, e in result.marks}
    assert {"собаками", "парке"} <= marked


def test_stop_words_are_ignored(library: Library) -> None:
    from bot.question import parse_question

    question = parse_question("Wo ist die Bibliothek?", ["de"])
    assert question.terms("de") == ("bibliothek",)
    answer = library.ask("Wo ist die Bibliothek?")
    assert {r.doc for r in answer.results} == {"bibliothek.md"}  # nothing matched "die" or "ist"


def test_a_question_in_a_language_prefers_passages_in_it(library: Library) -> None:
    # "Saudis" is in the English articles, "Schmugglern" in the German passage.
    assert top(library, "Wie viel haben die Saudis den Schmugglern gezahlt?")[0] == "bibliothek.md"
    assert top(library, "how much did the Saudis pay the smugglers")[0].startswith("004_")


@pytest.mark.parametrize(
    ("typo", "fixed", "imposed"),
    [
        ("surender", "surrender", True),
        ("smuglers idlib", "smugglers idlib", True),
        ("сабаками в парке", "собаками в парке", True),  # Russian, into Russian
        ("Bibliotek öffnungszeiten", "Bibliothek öffnungszeiten", True),  # German, into German
        # A name of the documents no word list holds: offered, and the question as typed is
        # answered, since it finds something ("surrender")...
        ("Baghuz surrender", "Baghouz surrender", False),
        # ...or used when the question as typed finds nothing.
        ("Baghuz", "Baghouz", True),
    ],
)
def test_typos_are_corrected_into_words_of_their_language(
    library: Library, typo: str, fixed: str, imposed: bool
) -> None:
    answer = library.ask(typo)
    assert (answer.suggestion, answer.corrected) == (fixed, imposed)
    assert answer.results


@pytest.mark.parametrize(
    "question",
    [
        "wifi password for the guest network",  # real English words the documents lack
        "is the bot archive online",
        "Wie viel haben die Saudis den Schmugglern gezahlt?",  # German words
        "¿Dónde fueron capturados los últimos militantes?",  # Spanish words
        "IBP DSMs iPhone",  # acronyms and names
    ],
)
def test_real_words_and_other_languages_are_left_alone(library: Library, question: str) -> None:
    assert library.ask(question).suggestion is None


def test_a_question_in_a_language_the_library_lacks_gets_no_corrections(
    shipped_library: Library,
) -> None:
    for question in (
        "¿Dónde fueron capturados los últimos militantes?",
        "Wie viel haben die Saudis den Schmugglern gezahlt?",
    ):
        answer = shipped_library.ask(question)
        assert answer.suggestion is None
        assert "Done" not in answer.question and "Wife" not in answer.question


def test_search_instead_for_the_question_as_typed(library: Library) -> None:
    corrected = library.ask("surender")
    assert corrected.corrected and corrected.results
    typed = library.ask("surender", correct=False)
    assert (typed.suggestion, typed.corrected, typed.results) == (None, False, ())


def test_the_language_setting_restricts_and_rebuilds(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("bibliothek.md", "cuisine.txt"):
        (seeds / name).write_text(DOCUMENTS[name], encoding="utf-8")
    auto = Library(make_settings(tmp_path))
    auto.reindex()
    assert set(auto._searcher.languages()) == {"de", "fr"}
    auto.close()
    fixed = Library(make_settings(tmp_path, languages=["en", "de"], default_language="en"))
    summary = fixed.reindex()  # another analysis: every file read again, in one commit
    assert summary.changed == 2
    assert set(fixed._searcher.languages()) <= {"en", "de"}
    assert fixed.reindex().changed == 0
    fixed.close()
