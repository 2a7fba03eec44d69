"""The Library's writers besides reindex (bot/library.py): add_document, remove_document and
refresh, on real seed folders and Whoosh indexes."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.index import open_index
from bot.library import Ambiguous, DocumentError, Library, NotFound, ReindexBusy
from tests.conftest import make_settings

pytestmark = pytest.mark.timeout(60)

NOTE = (
    "Zanzibar Notes\n\nby Test Writer\n\n"
    "The zanzibar ferry leaves at dawn every day from the old harbour.\n\n"
    "Spices from zanzibar are sold in the old town market every morning.\n"
)


@pytest.fixture
def library(tmp_path: Path, seeds_dir: Path) -> Iterator[Library]:
    library = Library(make_settings(tmp_path))
    library.reindex()
    yield library
    library.close()


def passage_keys(library: Library) -> set[tuple[str, int, int]]:
    ix = open_index(library.settings.index_dir)
    assert ix is not None
    with ix.searcher() as s:
        return {
            (f["doc"], f["part"], f["passage"]) for f in s.all_stored_fields() if "passage" in f
        }


def files_under(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


# Every file opened while `opened()` records (an audit hook: the real opens, nothing mocked).
_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, os.PathLike)):
        _OPENED.append(os.fspath(args[0]))


sys.addaudithook(_audit)


@contextlib.contextmanager
def opened() -> Iterator[list[str]]:
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


# --- add_document ----------------------------------------------------------------------------


def test_a_document_is_stored_indexed_and_answers(library: Library, seeds_dir: Path) -> None:
    added = library.add_document("Zanzibar.md", NOTE.encode())
    assert added.doc == "uploads/Zanzibar.md" and not added.replaced
    assert (added.title, added.pages) == ("Zanzibar Notes", None)
    assert (seeds_dir / "uploads" / "Zanzibar.md").read_text() == NOTE
    assert library.ask("zanzibar ferry").results[0].doc == "uploads/Zanzibar.md"
    listed = [s for s in library.sources() if s.doc == added.doc]
    assert [(s.title, s.byline, s.passages) for s in listed] == [
        ("Zanzibar Notes", "Test Writer", added.passages)
    ]
    assert added.passages >= 1


def test_the_same_name_replaces_the_document(library: Library, seeds_dir: Path) -> None:
    library.add_document("z.md", NOTE.encode())
    before = passage_keys(library)
    newer = NOTE.replace("dawn", "noon").replace("Spices", "Cloves")
    again = library.add_document("z.md", newer.encode())
    assert again.replaced and again.doc == "uploads/z.md"
    answer = library.ask("zanzibar ferry")
    assert answer.total == 1 and "noon" in answer.results[0].text
    assert passage_keys(library) == before  # same passages, new text, nothing twice
    assert os.listdir(seeds_dir / "uploads") == ["z.md"]


REFUSED = [
    ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image (PNG)"),
    ("notes.txt", b"MZ\x90\x00" + bytes(64), "program"),  # a program renamed .txt
    ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
    ("empty.txt", b"", "empty"),
    ("nul.txt", b"text\x00with zeros\x00", "binary"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "legacy Office file"),
    ("blank.md", b"  \n\n\t\n", "no text"),
    ("script.py", b"print('hello')\n", ".py"),
    ("archive.zip", b"PK\x03\x04" + bytes(40), "zip"),
]


@pytest.mark.parametrize(("name", "data", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_unreadable_files_are_refused_and_not_kept(
    library: Library, seeds_dir: Path, name: str, data: bytes, reason: str
) -> None:
    before = passage_keys(library)
    with pytest.raises(DocumentError, match=re.escape(reason)):
        library.add_document(name, data)
    uploads = seeds_dir / "uploads"
    assert not uploads.exists() or os.listdir(uploads) == []  # no temporary files either
    assert passage_keys(library) == before


def test_a_refused_replacement_keeps_the_old_document(library: Library, seeds_dir: Path) -> None:
    library.add_document("z.md", NOTE.encode())
    before = passage_keys(library)
    with pytest.raises(DocumentError, match="binary"):
        library.add_document("z.md", b"\x00\x01\x02 broken")
    assert (seeds_dir / "uploads" / "z.md").read_text() == NOTE
    assert os.listdir(seeds_dir / "uploads") == ["z.md"]
    assert passage_keys(library) == before
    assert library.ask("zanzibar ferry").results[0].doc == "uploads/z.md"


def test_hostile_names_are_cleaned_and_nothing_outside_uploads_changes(
    library: Library, tmp_path: Path, seeds_dir: Path
) -> None:
    (tmp_path / "x.md").write_text("outside the seeds folder")
    before = {k: v for k, v in files_under(tmp_path).items() if not k.startswith("index/")}
    names = [
        "../../x.md",
        "../x.md",
        "/etc/x.md",
        "..\\..\\x.md",
        "seeds/../../x.md",
        "\x00x\x01.md",
        ".x.md",
        "x" * 1000 + ".md",
        "\u202ex.md",
    ]
    docs = {library.add_document(name, NOTE.encode()).doc for name in names}
    assert all(doc.startswith("uploads/") and doc.count("/") == 1 for doc in docs)
    after = {k: v for k, v in files_under(tmp_path).items() if not k.startswith("index/")}
    changed = {k for k in after.keys() | before.keys() if after.get(k) != before.get(k)}
    assert changed == {f"seeds/{doc}" for doc in docs}
    assert (tmp_path / "x.md").read_text() == "outside the seeds folder"


def test_an_upload_waits_for_another_writer_then_gives_up(
    library: Library, seeds_dir: Path
) -> None:
    """Another process (`python -m bot index`) holds the index's write lock."""
    ix = open_index(library.settings.index_dir)
    lock = ix.lock("WRITELOCK")
    assert lock.acquire()
    try:
        with pytest.raises(ReindexBusy):
            library.add_document("z.md", NOTE.encode(), wait=0.3)
        assert os.listdir(seeds_dir / "uploads") == []
        release = threading.Timer(0.5, lock.release)
        release.start()
        added = library.add_document("z.md", NOTE.encode(), wait=20)
        release.join()
    finally:
        with contextlib.suppress(Exception):
            lock.release()
    assert library.ask("zanzibar ferry").results[0].doc == added.doc == "uploads/z.md"


def test_an_upload_waits_for_a_reindex_in_this_process(library: Library, seeds_dir: Path) -> None:
    (seeds_dir / "new.txt").write_text("Okapi\n\nThe okapi enclosure opens at dawn.\n")
    results: list[object] = []
    with library._writing:  # what a running reindex holds
        worker = threading.Thread(
            target=lambda: results.append(library.add_document("z.md", NOTE.encode(), wait=20))
        )
        worker.start()
        worker.join(0.3)
        assert worker.is_alive() and not (seeds_dir / "uploads").exists()
    worker.join(20)
    assert [getattr(r, "doc", r) for r in results] == ["uploads/z.md"]


# --- remove_document -------------------------------------------------------------------------


def test_remove_by_name_as_sources_lists_it(library: Library, seeds_dir: Path) -> None:
    added = library.add_document("z.md", NOTE.encode())
    removed = library.remove_document("z.md")
    assert (removed.doc, removed.title) == (added.doc, "Zanzibar Notes")
    assert removed.passages == added.passages
    assert not (seeds_dir / "uploads" / "z.md").exists()
    assert library.ask("zanzibar ferry").results == ()
    assert all(s.doc != added.doc for s in library.sources())
    # A file with two articles: both go, and their passages are counted together.
    two = [s for s in library.sources() if s.doc == "003_8bcd5ffcf3b6bc76.txt"]
    assert len(two) == 2
    removed = library.remove_document("003_8bcd5ffcf3b6bc76")
    assert (removed.title, removed.passages) == (two[0].title, two[0].passages + two[1].passages)
    assert not (seeds_dir / removed.doc).exists()
    assert all(s.doc != removed.doc for s in library.sources())


def test_remove_no_match_or_several(library: Library, seeds_dir: Path) -> None:
    for folder in ("a", "b"):
        (seeds_dir / folder).mkdir()
        (seeds_dir / folder / "notes.txt").write_text(f"Notes {folder}\n\nThe okapi is fed.\n")
    library.reindex()
    with pytest.raises(Ambiguous) as several:
        library.remove_document("notes.txt")
    assert several.value.candidates == ("a/notes.txt", "b/notes.txt")
    with pytest.raises(NotFound):
        library.remove_document("nothing.txt")
    assert (seeds_dir / "a" / "notes.txt").exists() and (seeds_dir / "b" / "notes.txt").exists()
    assert library.remove_document("b/notes.txt").doc == "b/notes.txt"
    assert library.remove_document("notes.txt").doc == "a/notes.txt"


def test_remove_never_touches_anything_outside_the_seeds_folder(
    library: Library, tmp_path: Path, seeds_dir: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("Outside\n\nThe okapi secret lives here.\n")
    (seeds_dir / "link.txt").symlink_to(outside)  # listed nowhere: it leaves the folder
    before = files_under(tmp_path)
    for name in ("../outside.txt", str(outside), "outside.txt", "link.txt", "../../etc/passwd"):
        with pytest.raises(NotFound):
            library.remove_document(name)
    assert files_under(tmp_path) == before and os.path.lexists(seeds_dir / "link.txt")


def test_remove_a_document_whose_file_is_already_gone(library: Library, seeds_dir: Path) -> None:
    doc = library.sources()[0].doc
    (seeds_dir / doc).unlink()
    assert library.remove_document(doc).passages > 0
    assert all(s.doc != doc for s in library.sources())


# --- refresh ---------------------------------------------------------------------------------


def test_refresh_reads_nothing_when_nothing_changed(library: Library, seeds_dir: Path) -> None:
    assert library.refresh() is None
    library.add_document("z.md", NOTE.encode())
    with opened() as files:
        assert library.refresh() is None
    assert not [f for f in files if f.startswith(str(seeds_dir))]


def test_refresh_notices_files_added_changed_and_deleted(library: Library, seeds_dir: Path) -> None:
    (seeds_dir / "new.txt").write_text("Okapi\n\nThe okapi enclosure opens at dawn.\n")
    changed = seeds_dir / "004_8c313a039cfc1ceb.txt"
    changed.write_text(changed.read_text() + "\nA closing paragraph about quokkas.\n")
    (seeds_dir / "002_0ebec296f594075f.txt").unlink()
    summary = library.refresh()
    assert summary is not None
    assert (summary.added, summary.changed, summary.removed) == (1, 1, 1)
    assert library.ask("okapi enclosure").results[0].doc == "new.txt"
    assert library.ask("quokkas").results[0].doc == changed.name
    assert all(r.doc != "002_0ebec296f594075f.txt" for r in library.ask("Baghouz").results)
    with opened() as files:
        assert library.refresh() is None
    assert not [f for f in files if f.startswith(str(seeds_dir))]


def test_refresh_after_a_touch_without_change_reads_only_that_file(
    library: Library, seeds_dir: Path
) -> None:
    library.refresh()
    touched = seeds_dir / "001_06ad27bca32811ca.txt"
    os.utime(touched, ns=(1, 1))
    with opened() as files:
        assert library.refresh() is None  # read again, found unchanged
    assert [f for f in files if f.startswith(str(seeds_dir))] == [str(touched)]
