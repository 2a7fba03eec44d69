"""Vectors follow the index (bot/semantic/follow.py, through the real Library): only new or
changed passages are embedded, removed ones dropped, a model change embeds everything again,
one process embeds at a time, and a build killed while it embeds leaves the two consistent."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.semantic.conftest import (
    REPO,
    prose,
    require_extra,
    semantic_settings,
    write_doc,
)

require_extra()

from whoosh.util.filelock import FileLock  # noqa: E402

from bot.index import embedding_text, open_index  # noqa: E402
from bot.library import Library  # noqa: E402
from bot.semantic.follow import LOCK_NAME  # noqa: E402
from bot.semantic.hybrid import VECTORS_DIR  # noqa: E402
from bot.semantic.model import Embedder  # noqa: E402
from bot.semantic.store import MANIFEST, VectorStore  # noqa: E402

pytestmark = pytest.mark.timeout(180)


class Counted:
    """An embedding progress callback that remembers how many passages each update embedded."""

    def __init__(self) -> None:
        self.totals: list[int] = []

    def __call__(self, done: int, total: int) -> None:
        if done == 0:
            self.totals.append(total)


def live_texts(index_dir: Path) -> set[str]:
    """The embedding texts of the index's live passages, read from its stored fields."""
    ix = open_index(index_dir)
    assert ix is not None
    with ix.searcher() as searcher:
        return {
            embedding_text(f["title"], f.get("section"), f["body"])
            for f in searcher.all_stored_fields()
            if "passage" in f
        }


def stored_vectors(index_dir: Path, embedder: Embedder) -> dict[str, object]:
    current = VectorStore.open(index_dir / VECTORS_DIR, embedder.model_id, embedder.dim).load()
    return {key: current.matrix[row] for key, row in current.row_of().items()}


def text_keys(texts: set[str]) -> set[str]:
    import hashlib

    return {hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts}


def write_corpus(seeds: Path) -> None:
    for f, title in enumerate(["Alpha report", "Bravo report", "Charlie report"]):
        write_doc(
            seeds, f"{title.split()[0].lower()}.txt", title, [prose(10 * f + p) for p in range(4)]
        )


def test_only_new_and_changed_passages_are_embedded(
    tmp_path: Path, model_dir: Path, embedder: Embedder
) -> None:
    seeds = tmp_path / "seeds"
    write_corpus(seeds)
    library = Library(semantic_settings(tmp_path, model_dir))
    counted = Counted()
    library.reindex(embedding=counted)
    index_dir = tmp_path / "index"
    first = live_texts(index_dir)
    assert counted.totals == [len(first)] and len(first) == 12
    vectors = stored_vectors(index_dir, embedder)
    assert set(vectors) == text_keys(first)
    # The vectors are the model's for those texts.
    sample = sorted(first)[0]
    key = next(iter(text_keys({sample})))
    assert float(vectors[key] @ embedder.embed([sample])[0]) == pytest.approx(1.0, abs=1e-4)

    # One paragraph changed, one file added (2 passages), one removed (4 passages).
    paragraphs = [prose(p) for p in range(4)]
    paragraphs[2] = prose(99)
    write_doc(seeds, "alpha.txt", "Alpha report", paragraphs)
    write_doc(seeds, "delta.txt", "Delta report", [prose(40), prose(41)])
    (seeds / "bravo.txt").unlink()
    library.reindex(embedding=counted)
    second = live_texts(index_dir)
    assert counted.totals[-1] == len(second - first) == 3
    assert set(stored_vectors(index_dir, embedder)) == text_keys(second)  # bravo's dropped

    library.reindex(embedding=counted)  # nothing changed: nothing embedded
    assert counted.totals[-1] == 0

    # Documents one at a time go through the same path.
    added = library.add_document("echo.md", f"Echo notes\n\n{prose(50)}\n\n{prose(51)}\n".encode())
    third = live_texts(index_dir)
    assert len(third - second) == added.passages == 2
    assert set(stored_vectors(index_dir, embedder)) == text_keys(third)
    library.remove_document("charlie.txt")
    assert set(stored_vectors(index_dir, embedder)) == text_keys(live_texts(index_dir))
    library.close()


def model_copy(model_dir: Path, tmp_path: Path) -> Path:
    """The same weights with another max_seq_length: another model as far as vectors go."""
    target = tmp_path / "other-model"
    shutil.copytree(model_dir, target, ignore=shutil.ignore_patterns("onnx"))
    (target / "onnx").mkdir()
    (target / "onnx" / "model.onnx").symlink_to(model_dir / "onnx" / "model.onnx")
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (target / "sentence_bert_config.json").write_text(
        '{"max_seq_length": 128, "do_lower_case": false}'
    )
    return target


def test_a_model_change_embeds_everything_again(
    tmp_path: Path, model_dir: Path, embedder: Embedder
) -> None:
    seeds = tmp_path / "seeds"
    write_corpus(seeds)
    other = model_copy(model_dir, tmp_path)
    counted = Counted()
    for model in (model_dir, other, model_dir):
        library = Library(semantic_settings(tmp_path, model))
        library.reindex(embedding=counted)
        library.close()
    assert counted.totals == [12, 12, 12]
    folder = tmp_path / "index" / VECTORS_DIR
    assert set(stored_vectors(tmp_path / "index", embedder)) == text_keys(
        live_texts(tmp_path / "index")
    )
    other_id = Embedder(other).model_id
    assert other_id != embedder.model_id
    assert len(VectorStore.open(folder, other_id, embedder.dim).load()) == 0  # its set is gone
    assert len(list(folder.glob("data-*"))) == 1


def test_one_process_embeds_at_a_time(
    tmp_path: Path, model_dir: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    seeds = tmp_path / "seeds"
    write_corpus(seeds)
    library = Library(semantic_settings(tmp_path, model_dir))
    (tmp_path / "index").mkdir()
    other = FileLock(str(tmp_path / "index" / LOCK_NAME))  # as another process would hold it
    assert other.acquire()
    try:
        with caplog.at_level(logging.WARNING):
            summary = library.reindex()
    finally:
        other.release()
    assert summary.passages == 12  # the index itself is built
    assert stored_vectors(tmp_path / "index", embedder) == {}
    assert "another process is embedding" in caplog.text
    counted = Counted()
    library.reindex(embedding=counted)  # the next update embeds what was left
    assert counted.totals == [12]
    library.close()


# --- a build killed while it embeds -------------------------------------------------------------


def run_index(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "index"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_build_killed_while_embedding_leaves_index_and_vectors_consistent(
    tmp_path: Path, model_dir: Path, embedder: Embedder
) -> None:
    seeds = tmp_path / "seeds"
    write_corpus(seeds)
    config = tmp_path / "config.yaml"
    config.write_text(f"seeds_dir: seeds\nindex_dir: index\nsemantic:\n  model: {model_dir}\n")
    library = Library(semantic_settings(tmp_path, model_dir))
    library.reindex()
    question = "Alpha report"
    before = [(r.doc, r.passage) for r in library.ask(question).results]
    library.close()
    # Enough new passages that embedding them takes several chunks: the first is committed at
    # once, and the kill comes then, while the others are being embedded.
    for f in range(40):
        paragraphs = [prose(1000 + 20 * f + p, sentences=5) for p in range(20)]
        write_doc(seeds, f"bulk_{f:02d}.txt", f"Bulk file {f}", paragraphs)
    manifest = tmp_path / "index" / VECTORS_DIR / MANIFEST

    def generation() -> tuple[int, int]:
        stat = manifest.stat()  # a commit replaces the manifest: a new inode
        return stat.st_ino, stat.st_mtime_ns

    first_commit = generation()

    proc = run_index(config)
    deadline = time.monotonic() + 120
    while generation() == first_commit and proc.poll() is None:
        assert time.monotonic() < deadline, "no commit of new vectors"
        time.sleep(0.01)
    assert proc.poll() is None, "the build finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    index_dir = tmp_path / "index"
    live = text_keys(live_texts(index_dir))
    vectors = set(stored_vectors(index_dir, embedder))
    assert len(live) == 12 + 40 * 20  # the index was committed before embedding began
    assert 12 < len(vectors) < len(live)  # some new vectors committed, not all
    assert vectors <= live  # and none without its passage
    library = Library(semantic_settings(tmp_path, model_dir))
    assert [(r.doc, r.passage) for r in library.ask(question).results][:1] == before[:1]
    counted = Counted()
    library.reindex(embedding=counted)  # the next build embeds only what is missing
    assert counted.totals == [len(live - vectors)]
    assert set(stored_vectors(index_dir, embedder)) == live
    library.close()
