"""VectorStore: incremental generations, removed keys, model change, and a commit killed at
any point leaving the previous generation readable."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.semantic.conftest import REPO, require_extra

require_extra()

import numpy as np  # noqa: E402

from bot.semantic.store import MANIFEST, VectorStore  # noqa: E402

DIM = 8


def vector_of(key: str, dim: int = DIM) -> np.ndarray:
    """A unit vector determined by its key, so any reader can check what it got."""
    seed = int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def vectors_of(keys: list[str], dim: int = DIM) -> np.ndarray:
    return np.vstack([vector_of(k, dim) for k in keys]) if keys else np.zeros((0, dim))


def stored(store: VectorStore) -> dict[str, np.ndarray]:
    """key -> vector of the current generation."""
    current = store.load()
    return {key: np.array(current.matrix[row]) for key, row in current.row_of().items()}


def assert_holds(store: VectorStore, keys: list[str]) -> None:
    got = stored(store)
    assert sorted(got) == sorted(keys)
    for key in keys:
        assert np.array_equal(got[key], vector_of(key))


def fill(store: VectorStore, keys: list[str], live: list[str] | None = None) -> int:
    store.add(keys, vectors_of(keys))
    return store.commit(keys if live is None else live)


def test_an_empty_folder_holds_nothing(tmp_path: Path) -> None:
    store = VectorStore.open(tmp_path / "vectors", "m1", DIM)
    assert len(store.load()) == 0
    assert store.load().nearest(vector_of("a"), 5) == []
    assert store.missing(["a", "b", "a"]) == ["a", "b"]


def test_only_new_keys_are_missing_and_added(tmp_path: Path) -> None:
    store = VectorStore.open(tmp_path / "vectors", "m1", DIM)
    first = fill(store, ["a", "b", "c"])
    assert_holds(store, ["a", "b", "c"])
    assert store.missing(["c", "d", "a", "e"]) == ["d", "e"]
    second = fill(store, ["d", "e"], live=["a", "b", "c", "d", "e"])
    assert second > first
    assert_holds(store, ["a", "b", "c", "d", "e"])
    # Another store object on the same folder (another process) sees the same.
    assert_holds(VectorStore.open(tmp_path / "vectors", "m1", DIM), ["a", "b", "c", "d", "e"])


def test_a_staged_key_is_not_missing_and_a_key_staged_twice_is_kept_once(tmp_path: Path) -> None:
    store = VectorStore.open(tmp_path / "vectors", "m1", DIM)
    store.add(["a"], vectors_of(["a"]))
    assert store.missing(["a", "b"]) == ["b"]
    store.add(["a", "b"], vectors_of(["a", "b"]))
    store.commit(["a", "b"])
    assert len(store.load().keys) == 2
    assert_holds(store, ["a", "b"])


def test_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    store = VectorStore.open(folder, "m1", DIM)
    generation = fill(store, ["a", "b"])
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert store.commit(["a", "b", "not-embedded-yet"]) == generation
    store.add(["a"], vectors_of(["a"]))  # already there
    assert store.commit(["a", "b"]) == generation
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before


def test_keys_no_longer_live_are_removed(tmp_path: Path) -> None:
    store = VectorStore.open(tmp_path / "vectors", "m1", DIM)
    keys = [f"k{i}" for i in range(20)]
    fill(store, keys)
    fill(store, [], live=keys[2:])  # 2 of 20 removed: blanked in place, not compacted
    assert_holds(store, keys[2:])
    current = store.load()
    assert len(current) == 18
    found = [key for key, _ in current.nearest(vector_of("k0"), 20)]
    assert sorted(found) == sorted(keys[2:])
    assert store.missing(keys) == ["k0", "k1"]
    fill(store, ["k0"], live=keys[:1] + keys[2:])  # a removed key can come back
    assert_holds(store, keys[:1] + keys[2:])


def test_many_removed_rows_are_compacted_away(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    store = VectorStore.open(folder, "m1", DIM)
    keys = [f"k{i}" for i in range(40)]
    fill(store, keys)
    data_before = {p.name for p in folder.glob("data-*")}
    fill(store, ["new"], live=[*keys[:10], "new"])
    assert_holds(store, [*keys[:10], "new"])
    assert len(store.load().keys) == 11  # no removed rows left
    assert {p.name for p in folder.glob("data-*")}.isdisjoint(data_before)
    assert len(list(folder.glob("data-*"))) == 1


def test_nearest_ranks_by_cosine(tmp_path: Path) -> None:
    store = VectorStore.open(tmp_path / "vectors", "m1", DIM)
    keys = [f"k{i}" for i in range(50)]
    fill(store, keys)
    query = vector_of("k7")
    found = store.load().nearest(query, 5)
    expected = sorted(keys, key=lambda k: -float(vector_of(k) @ query))[:5]
    assert [k for k, _ in found] == expected
    assert found[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)


def test_another_model_gets_its_own_set_and_the_old_one_goes(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    old = VectorStore.open(folder, "m1", DIM)
    fill(old, ["a", "b"])
    old_files = {p.name for p in folder.iterdir()} - {MANIFEST, "LOCK"}
    new = VectorStore.open(folder, "m2", DIM)
    assert len(new.load()) == 0  # the other model's vectors are not these
    assert new.missing(["a", "b"]) == ["a", "b"]
    fill(new, ["a"], live=["a", "b"])
    assert_holds(new, ["a"])
    assert old_files.isdisjoint(p.name for p in folder.iterdir())
    assert len(VectorStore.open(folder, "m1", DIM).load()) == 0
    assert len(VectorStore.open(folder, "m2", DIM * 2).load()) == 0  # nor another dimension


def test_wrong_shapes_and_keys_are_refused(tmp_path: Path) -> None:
    store = VectorStore.open(tmp_path / "vectors", "m1", DIM)
    with pytest.raises(ValueError):
        store.add(["a", "b"], vectors_of(["a"]))
    with pytest.raises(ValueError):
        store.add(["a"], vectors_of(["a"], DIM + 1))
    with pytest.raises(ValueError):
        store.add(["two\nlines"], vectors_of(["x"]))
    with pytest.raises(ValueError):
        store.add([""], vectors_of(["x"]))


def test_a_reader_keeps_its_generation_while_commits_go_on(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    store = VectorStore.open(folder, "m1", DIM)
    keys = [f"k{i}" for i in range(40)]
    fill(store, keys)
    reader = VectorStore.open(folder, "m1", DIM)
    held = reader.load()
    fill(store, ["x", "y"], live=[*keys, "x", "y"])  # appended to the same data file
    fill(store, [], live=keys[:5])  # compacted into a new one, the old one removed
    for row, key in enumerate(held.keys):
        assert np.array_equal(held.matrix[row], vector_of(key))
    assert reader.load().generation > held.generation
    assert_holds(reader, keys[:5])


# --- killed commits ----------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import hashlib, os, sys, time
    import numpy as np
    from pathlib import Path
    from bot.semantic import store as store_module
    from bot.semantic.store import VectorStore

    def vector_of(key, dim={dim}):
        seed = int.from_bytes(hashlib.sha1(key.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
        return v / np.linalg.norm(v)

    folder, mode = Path(sys.argv[1]), sys.argv[2]
    if mode.startswith("pause"):
        # Stop just before the commit point, after every other file has been written, and
        # wait to be killed.
        def paused_replace(src, dst):
            print("ready", flush=True)
            time.sleep(60)
        store_module.os.replace = paused_replace
    store = VectorStore.open(folder, "m1", {dim})
    round = 0
    while True:
        round += 1
        if mode == "pause-append":
            live = [f"k{{i}}" for i in range(100)] + ["extra"]
        elif mode == "pause-compact":
            live = ["k1"]
        else:  # rounds of appends and compactions until killed
            live = [f"r{{round}}-{{i}}" for i in range(200)]
            live += [f"k{{i}}" for i in range(round % 50)]
        todo = store.missing(live)
        store.add(todo, np.vstack([vector_of(k) for k in todo]) if todo else np.zeros((0, {dim})))
        store.commit(live)
        print(f"committed {{round}}", flush=True)
    """
).format(dim=DIM)


def start_child(folder: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), mode],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("mode", ["pause-append", "pause-compact"])
def test_a_commit_killed_before_its_commit_point_leaves_the_previous_generation(
    tmp_path: Path, mode: str
) -> None:
    folder = tmp_path / "vectors"
    store = VectorStore.open(folder, "m1", DIM)
    keys = [f"k{i}" for i in range(100)]
    generation = fill(store, keys)
    child = start_child(folder, mode)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"  # all written but the manifest
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    reader = VectorStore.open(folder, "m1", DIM)
    assert reader.load().generation == generation
    assert_holds(reader, keys)
    # The next commit starts from that generation and clears what the killed one left.
    fill(store, ["after"], live=[*keys, "after"])
    assert_holds(store, [*keys, "after"])
    names = {p.name for p in folder.iterdir()}
    assert len([n for n in names if n.startswith("data-")]) == 1
    assert len([n for n in names if n.startswith("keys-")]) == 1
    assert not [n for n in names if n.endswith(".tmp")]


def test_commits_killed_at_random_moments_always_leave_a_whole_generation(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "vectors"
    rng = np.random.default_rng(11)
    last = 0
    for _ in range(6):
        child = start_child(folder, "loop")
        assert child.stdout is not None
        child.stdout.readline()  # at least one commit of this child done
        time.sleep(float(rng.uniform(0.0, 0.3)))
        child.send_signal(signal.SIGKILL)
        child.wait()
        current = VectorStore.open(folder, "m1", DIM).load()
        assert current.generation > last
        last = current.generation
        assert len(current) >= 200
        for row, key in enumerate(current.keys):
            if key:
                assert np.array_equal(current.matrix[row], vector_of(key)), key
