"""The index's passages as content keys (bot/semantic/passages.py): live passages only, one key
per text, read per index generation. Needs no model and not the extra."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.index import embedding_text, open_index
from bot.library import Library
from bot.semantic.passages import PassageKeys, read_keys, texts
from tests.conftest import make_settings

PARAGRAPHS = [
    "The north pier was rebuilt in granite after the storm of the previous winter had torn it.",
    "Ferries to the islands leave from the north pier twice a day, weather permitting always.",
    "A small museum beside the harbour keeps the logbooks of every lighthouse keeper there.",
]


def write(seeds: Path, name: str, title: str, paragraphs: list[str]) -> None:
    seeds.mkdir(exist_ok=True)
    (seeds / name).write_text(f"{title}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def keys_of(library: Library) -> dict[str, tuple[int, ...]]:
    ix = open_index(library.settings.index_dir)
    assert ix is not None
    with ix.searcher() as searcher:
        return read_keys(searcher)


def stored_passages(library: Library) -> dict[int, dict]:
    ix = open_index(library.settings.index_dir)
    assert ix is not None
    with ix.searcher() as searcher:
        return {
            doc: searcher.stored_fields(doc)
            for doc in searcher.reader().all_doc_ids()
            if "passage" in searcher.stored_fields(doc)
        }


def test_every_live_passage_has_the_key_of_its_text(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    write(seeds, "harbour.txt", "The Harbour", PARAGRAPHS)
    write(seeds, "copy.txt", "The Harbour", PARAGRAPHS[:1])  # the same text in another file
    library = Library(make_settings(tmp_path))
    library.reindex()
    keys = keys_of(library)
    passages = stored_passages(library)
    expected: dict[str, list[int]] = {}
    for doc, fields in passages.items():
        text = embedding_text(fields["title"], fields.get("section"), fields["body"])
        expected.setdefault(sha1(text), []).append(doc)
    assert {k: sorted(v) for k, v in keys.items()} == {k: sorted(v) for k, v in expected.items()}
    assert len(keys) == 3 and sorted(len(v) for v in keys.values()) == [1, 1, 2]
    library.close()


def test_an_old_version_of_a_changed_file_has_no_keys(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    write(seeds, "harbour.txt", "The Harbour", PARAGRAPHS)
    write(seeds, "other.txt", "Other", ["Nothing of the sea here, only hills and sheep and rain."])
    library = Library(make_settings(tmp_path))
    library.reindex()
    before = keys_of(library)
    changed = [
        *PARAGRAPHS[:2],
        "The museum moved inland last spring, and its old rooms by the harbour stand empty.",
    ]
    write(seeds, "harbour.txt", "The Harbour", changed)
    library.reindex()  # the old segment keeps the old passages, marked deleted
    after = keys_of(library)
    old_third = sha1(embedding_text("The Harbour", None, PARAGRAPHS[2]))
    new_third = sha1(embedding_text("The Harbour", None, changed[2]))
    assert old_third in before and old_third not in after
    assert new_third in after
    assert set(after) == set(before) - {old_third} | {new_third}
    live = set(stored_passages(library))
    assert {doc for docs in after.values() for doc in docs} == live
    ix = open_index(library.settings.index_dir)
    assert ix is not None
    with ix.searcher() as searcher:
        wanted = [new_third]
        assert list(texts(searcher, after, wanted)) == [
            embedding_text("The Harbour", None, changed[2])
        ]
    library.close()


def test_keys_are_read_once_per_index_generation(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    write(seeds, "harbour.txt", "The Harbour", PARAGRAPHS)
    library = Library(make_settings(tmp_path))
    library.reindex()
    cache = PassageKeys()
    ix = open_index(library.settings.index_dir)
    assert ix is not None
    with ix.searcher() as first, ix.searcher() as second:
        assert cache.get(first) is cache.get(second)  # two searchers, one generation
    write(seeds, "more.txt", "More", ["A second file about the tides and the moon and the sea."])
    library.reindex()
    ix = open_index(library.settings.index_dir)
    assert ix is not None
    with ix.searcher() as newer:
        keys = cache.get(newer)
        assert len(keys) == len(PARAGRAPHS) + 1
        assert keys == read_keys(newer)
    library.close()
