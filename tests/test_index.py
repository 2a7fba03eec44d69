"""Incremental indexing, one writer at a time, and a killed build that loses nothing."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.index import IndexBusy, open_index
from bot.library import Library
from tests.conftest import REPO, make_settings


def passage_keys(library: Library) -> set[tuple[str, int, int]]:
    ix = open_index(library.settings.index_dir)
    assert ix is not None
    with ix.searcher() as s:
        return {
            (f["doc"], f["part"], f["passage"]) for f in s.all_stored_fields() if "passage" in f
        }


def test_first_build_then_nothing_to_do(tmp_path: Path, seeds_dir: Path) -> None:
    library = Library(make_settings(tmp_path))
    first = library.reindex()
    assert (first.documents, first.added, first.changed, first.removed) == (5, 5, 0, 0)
    assert first.passages == first.passages_added > 100
    again = library.reindex()
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert again.passages == first.passages
    assert "5 unchanged" in again.describe()


def test_only_new_changed_and_removed_files_are_touched(tmp_path: Path, seeds_dir: Path) -> None:
    library = Library(make_settings(tmp_path))
    library.reindex()
    before = passage_keys(library)
    (seeds_dir / "002_0ebec296f594075f.txt").unlink()
    changed = seeds_dir / "004_8c313a039cfc1ceb.txt"
    changed.write_text(changed.read_text() + "\nA new closing paragraph about quokkas.\n")
    (seeds_dir / "new.md").write_text(
        "# Office guide\n\nThe quokka room is on the second floor, next to the kitchen.\n"
    )
    summary = library.reindex()
    assert (summary.added, summary.changed, summary.removed, summary.unchanged) == (1, 1, 1, 3)
    after = passage_keys(library)
    assert not any(doc == "002_0ebec296f594075f.txt" for doc, _, _ in after)
    # Unchanged files keep exactly their passages and numbers.
    for doc in ("000_0bb3462efa02c320.txt", "001_06ad27bca32811ca.txt"):
        assert {k for k in before if k[0] == doc} == {k for k in after if k[0] == doc}
    answer = library.ask("quokka room")
    assert answer.results[0].doc == "new.md"
    assert answer.results[0].title == "Office guide"


def test_a_file_that_turns_binary_is_removed_and_reported(tmp_path: Path, seeds_dir: Path) -> None:
    library = Library(make_settings(tmp_path))
    library.reindex()
    (seeds_dir / "002_0ebec296f594075f.txt").write_bytes(b"\x00\x01binary now")
    summary = library.reindex()
    assert summary.removed == 1
    assert any("002_0ebec296f594075f.txt" in s and "binary" in s for s in summary.skipped)
    assert library.ask("Baghouz").results == () or all(
        r.doc != "002_0ebec296f594075f.txt" for r in library.ask("Baghouz").results
    )


def test_a_file_changed_once_is_unchanged_at_the_next_reindex(
    tmp_path: Path, seeds_dir: Path
) -> None:
    """A deleted version's terms stay in the lexicon until a merge; reading the version from
    there made the file look changed again whenever the old digest sorted after the new."""
    note = seeds_dir / "note.txt"

    def text(n: int) -> str:
        return f"Note\n\nThe okapi enclosure opens at {n} o'clock on weekdays.\n"

    def digest(n: int) -> str:
        return hashlib.sha256(text(n).encode()).hexdigest()

    # Versions whose digests sort downwards, so the stale one always comes last.
    versions = sorted(range(40), key=digest, reverse=True)[:3]
    note.write_text(text(versions[0]))
    library = Library(make_settings(tmp_path))
    library.reindex()
    for n in versions[1:]:
        note.write_text(text(n))
        assert library.reindex().changed == 1
        again = library.reindex()
        assert (again.changed, again.passages_added) == (0, 0), again.describe()
    library.close()


def test_second_writer_is_refused_not_corrupting(tmp_path: Path, seeds_dir: Path) -> None:
    library = Library(make_settings(tmp_path))
    library.reindex()
    ix = open_index(library.settings.index_dir)
    assert ix is not None
    holder = ix.writer()  # another reindex in progress
    try:
        (seeds_dir / "extra.txt").write_text("Extra\n\nAn extra paragraph about zeppelins here.")
        with pytest.raises(IndexBusy):
            library.reindex()
    finally:
        holder.cancel()
    assert library.reindex().added == 1
    assert library.ask("zeppelins").results[0].doc == "extra.txt"


def write_big_corpus(seeds: Path, files: int, paragraphs: int) -> None:
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    for f in range(files):
        body = "\n\n".join(
            " ".join(f"{words[(f * 7 + p + i) % len(words)]}{i % 50}" for i in range(60))
            + f" marker{f} ends here."
            for p in range(paragraphs)
        )
        (seeds / f"bulk_{f:04d}.txt").write_text(f"Bulk file {f}\n\n{body}\n")


def run_index(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "index"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_killed_build_leaves_the_previous_index_answering(tmp_path: Path, seeds_dir: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("seeds_dir: seeds\nindex_dir: index\n")
    library = Library(make_settings(tmp_path))
    library.reindex()
    question = "who smuggled mohamed to syria"
    expected = [(r.doc, r.passage) for r in library.ask(question).results]
    keys = passage_keys(library)
    write_big_corpus(seeds_dir, files=50, paragraphs=50)

    killed_while_running = 0
    for delay in (0.4, 1.2, 2.4):
        proc = run_index(config)
        time.sleep(delay)
        if proc.poll() is None:
            killed_while_running += 1
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        fresh = Library(make_settings(tmp_path))
        if proc.returncode == -signal.SIGKILL:
            # The old generation answers exactly as before.
            assert passage_keys(fresh) == keys
            assert [(r.doc, r.passage) for r in fresh.ask(question).results] == expected
        fresh.close()
    assert killed_while_running, "the build finished before it could be killed"

    proc = run_index(config)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert "50 added" in out.decode()
    final = Library(make_settings(tmp_path))
    assert final.ask("marker42").results[0].doc == "bulk_0042.txt"
    assert keys < passage_keys(final)
    final.close()
