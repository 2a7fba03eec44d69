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

from bot.index import INDEX_NAME, IndexBusy, open_index
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


def test_a_file_that_turns_unreadable_keeps_its_previous_version(
    tmp_path: Path, seeds_dir: Path
) -> None:
    library = Library(make_settings(tmp_path))
    library.reindex()
    before = [(r.doc, r.passage) for r in library.ask("Baghouz").results]
    broken = seeds_dir / "002_0ebec296f594075f.txt"
    broken.write_bytes(b"\x00\x01binary now")
    summary = library.reindex()
    assert summary.removed == 0 and summary.changed == 0
    (note,) = summary.skipped
    assert "002_0ebec296f594075f.txt" in note and "binary" in note and "previous" in note
    assert [(r.doc, r.passage) for r in library.ask("Baghouz").results] == before
    # Reported again on the next reindex (it is retried), and gone once the file is.
    assert library.reindex().skipped == summary.skipped
    broken.unlink()
    assert library.reindex().removed == 1
    assert all(r.doc != broken.name for r in library.ask("Baghouz").results)


def test_refresh_reindexes_only_when_the_folder_changed(tmp_path: Path, seeds_dir: Path) -> None:
    library = Library(make_settings(tmp_path))
    assert library.refresh() is not None  # no index yet: built
    assert library.refresh() is None
    (seeds_dir / "zeppelin.txt").write_text("Zeppelins\n\nA paragraph about airships here.\n")
    summary = library.refresh()
    assert summary is not None and summary.added == 1
    assert library.ask("zeppelins").results[0].doc == "zeppelin.txt"
    os.utime(seeds_dir / "zeppelin.txt", ns=(1, 1))  # touched, same bytes: hashed, not re-read
    assert library.refresh() is None
    assert library.refresh() is None
    (seeds_dir / "zeppelin.txt").unlink()
    assert library.refresh().removed == 1
    assert not library.ask("zeppelins").results


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


def descendants(pid: int) -> set[int]:
    """Child processes, recursively (Linux /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; its parent just has not reaped it yet


def wait_until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_killed_build_leaves_the_previous_index_answering(tmp_path: Path, seeds_dir: Path) -> None:
    """SIGKILL `index` while its workers write segments: the old generation answers exactly as
    before, no worker outlives it, and the next build completes and cleans up."""
    config = tmp_path / "config.yaml"
    config.write_text("seeds_dir: seeds\nindex_dir: index\n")
    library = Library(make_settings(tmp_path))
    library.reindex()
    library.close()
    question = "who smuggled mohamed to syria"
    fresh = Library(make_settings(tmp_path))
    expected = [(r.doc, r.passage) for r in fresh.ask(question).results]
    keys = passage_keys(fresh)
    fresh.close()
    write_big_corpus(seeds_dir, files=50, paragraphs=50)
    writing = tmp_path / "index" / f"{INDEX_NAME}.tmp"  # the workers' scratch folder

    killed = 0
    for delay in (0.2, 0.6, 1.2):
        proc = run_index(config)
        # The fork server and at least one worker: the build is reading and writing.
        assert wait_until(lambda p=proc: len(descendants(p.pid)) >= 2 or p.poll() is not None)
        time.sleep(delay)
        children = descendants(proc.pid)
        if proc.poll() is not None:
            continue  # finished before the kill: nothing to check at this stage
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        killed += 1
        assert wait_until(lambda c=children: not any(map(alive, c)), timeout=10), "orphans"
        fresh = Library(make_settings(tmp_path))
        assert passage_keys(fresh) == keys
        assert [(r.doc, r.passage) for r in fresh.ask(question).results] == expected
        fresh.close()

    assert killed, "every build finished before it could be killed"
    proc = run_index(config)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert "55 documents" in out.decode()
    final = Library(make_settings(tmp_path))
    assert final.ask("marker42").results[0].doc == "bulk_0042.txt"
    assert keys < passage_keys(final)
    final.close()
    assert not writing.exists()
    ix = open_index(tmp_path / "index")
    live = {s.segment_id() for s in ix._segments()}
    files = [p.name for p in (tmp_path / "index").glob(f"{INDEX_NAME}_*.*")]  # segment files
    assert files and all(name.partition(".")[0] in live for name in files), "files left"
