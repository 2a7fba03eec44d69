"""Per-language analysis: inflected forms meet their base forms, stop words vanish, accents
typed or not match, scripts without spaces are findable, and analyzers survive pickling (Whoosh
stores them in the index)."""

from __future__ import annotations

import pickle

import pytest
from whoosh import index, query, scoring
from whoosh.fields import ID, TEXT, Schema

from bot.analysis import (
    analyzer_for,
    plain_analyzer_for,
    stemming_analyzer,
    stop_words,
    supported_languages,
)


def terms(lang: str, text: str, mode: str = "index") -> list[str]:
    return [t.text for t in analyzer_for(lang)(text, mode=mode)]


def test_english_is_the_existing_analyzer() -> None:
    assert analyzer_for("en") == stemming_analyzer()
    assert terms("en", "She spoke to the smugglers") == terms("en", "she speaks to a smuggler")


@pytest.mark.parametrize(
    ("lang", "inflected", "base"),
    [
        ("de", "Schmugglern", "Schmuggler"),
        ("de", "Häusern", "Haus"),
        ("de", "gezahlten", "gezahlt"),
        ("fr", "étudiantes", "étudiant"),
        ("fr", "chevaux", "cheval"),
        ("es", "capturados", "capturado"),
        ("es", "canciones", "canción"),
        ("ru", "собаками", "собака"),
        ("ru", "городами", "город"),
        ("tr", "kitaplardan", "kitap"),
        ("el", "πόλεις", "πόλη"),
    ],
)
def test_inflected_forms_meet_their_base_form(lang: str, inflected: str, base: str) -> None:
    assert terms(lang, inflected) == terms(lang, base) != []


@pytest.mark.parametrize(
    ("lang", "typed", "written"),
    [
        ("fr", "etudiants ecole", "étudiants école"),
        ("es", "ultimos militantes", "últimos militantes"),
        ("de", "Hauser", "Häuser"),
        ("tr", "istanbul", "İstanbul"),
        ("tr", "ISTANBUL", "İstanbul"),
        ("el", "πολη", "πόλη"),
        ("ru", "елка", "ёлка"),
    ],
)
def test_words_typed_without_accents_match(lang: str, typed: str, written: str) -> None:
    assert terms(lang, typed) == terms(lang, written) != []


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("de", "Wie viel haben die und der nicht"),
        ("fr", "Où sont les et de la que"),
        ("es", "Dónde fueron los de la que"),
        ("ru", "Где и в не на что"),
        ("it", "Dove sono gli e della che"),
    ],
)
def test_stop_words_are_ignored(lang: str, text: str) -> None:
    content = {
        "de": "Schmuggler",
        "fr": "contrebandiers",
        "es": "contrabandistas",
        "ru": "контрабандисты",
        "it": "contrabbandieri",
    }[lang]
    assert terms(lang, text) == []
    assert terms(lang, f"{text} {content}") == terms(lang, content) != []


def test_every_stop_list_loads_and_is_lower_case() -> None:
    for lang in supported_languages():
        words = stop_words(lang)
        assert all(w == w.lower() for w in words), lang
    assert "und" in stop_words("de") and "и" in stop_words("ru")
    assert "человек" not in stop_words("ru")  # a content word Snowball's list has


def test_marks_stay_inside_words() -> None:
    # Python's \w leaves out Devanagari vowel signs and the virama: one word must stay one.
    assert len(terms("hi", "हिन्दी")) == 1
    assert len(terms("ar", "مُحَمَّد")) == 1
    assert terms("ar", "مُحَمَّد") == terms("ar", "محمد")


def test_chinese_is_cut_into_bigrams_with_unigrams_when_indexing() -> None:
    text = "北京大学"
    assert terms("zh", text, mode="query") == ["北京", "京大", "大学"]
    indexed = terms("zh", text)
    assert {"北京", "京大", "大学", "北", "京", "大", "学"} == set(indexed)
    assert terms("zh", "京", mode="query") == ["京"]


def test_latin_words_inside_chinese_text_stay_words() -> None:
    assert "iphone" in terms("zh", "我的iPhone手机")
    assert "手机" in terms("zh", "我的iPhone手机")


def test_character_offsets_point_at_the_text() -> None:
    text = "他在北京大学 studied 学习"
    for t in analyzer_for("zh")(text, chars=True, mode="query"):
        assert text[t.startchar : t.endchar].lower() == t.text


def _search(lang: str, docs: dict[str, str], question: str, folder) -> list[str]:
    """Ids of the passages a question finds in a fresh index of `docs`."""
    folder.mkdir()
    analyzer = analyzer_for(lang)
    ix = index.create_in(str(folder), Schema(id=ID(stored=True), body=TEXT(analyzer=analyzer)))
    with ix.writer() as w:
        for key, body in docs.items():
            w.add_document(id=key, body=body)
    words = dict.fromkeys(t.text for t in analyzer(question, mode="query"))
    with ix.searcher(weighting=scoring.BM25F()) as s:
        hits = s.search(query.Or([query.Term("body", t) for t in words]), limit=5)
        return [h["id"] for h in hits]


def test_a_chinese_question_finds_its_passage(tmp_path) -> None:
    docs = {
        "univ": "北京大学是中国最早的国立综合性大学。",
        "food": "四川菜以麻辣著称，火锅很受欢迎。",
        "rail": "上海的地铁系统是世界上最长的之一。",
    }
    assert _search("zh", docs, "哪所大学最早？", tmp_path / "a")[0] == "univ"
    assert _search("zh", docs, "火锅", tmp_path / "b")[0] == "food"


def test_a_japanese_question_finds_its_passage(tmp_path) -> None:
    docs = {
        "tokyo": "東京は日本の首都であり、世界最大の都市圏を持つ。",
        "kyoto": "京都には多くの寺院と神社があり、観光客に人気がある。",
    }
    assert _search("ja", docs, "日本の首都はどこですか", tmp_path / "a")[0] == "tokyo"


def test_a_russian_question_in_other_word_forms_finds_its_passage(tmp_path) -> None:
    docs = {
        "dogs": "Пограничники патрулируют границу с собаками.",
        "cats": "Кошки живут в старом доме у реки.",
    }
    assert _search("ru", docs, "Где собака?", tmp_path / "a")[0] == "dogs"


@pytest.mark.parametrize("lang", [*supported_languages(), "vi", "uk"])
def test_analyzers_survive_pickling(lang: str) -> None:
    text = "Der Schmuggler, 北京大学, собаками, étudiants, πόλεις, هذا الكتاب"
    for make in (analyzer_for, plain_analyzer_for):
        analyzer = make(lang)
        copy = pickle.loads(pickle.dumps(analyzer))
        assert copy == analyzer
        assert [t.text for t in copy(text)] == [t.text for t in analyzer(text)]


def test_plain_analyzer_keeps_whole_words() -> None:
    assert [t.text for t in plain_analyzer_for("de")("Den Schmugglern")] == ["den", "schmugglern"]
