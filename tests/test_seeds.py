"""The seeds folder: what is listed, and what a scan hashes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot import seeds
from bot.seeds import SeedsMissing, list_seed_paths, scan


def test_listing_skips_hidden_files_editor_leftovers_and_links_out(tmp_path: Path) -> None:
    root = tmp_path / "seeds"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    for name in ("a.txt", "sub/b.pdf", "noext", ".hidden.md", ".git/x.txt", "~$lock.docx", "b~"):
        (root / name).write_text("x")
    (tmp_path / "secret.txt").write_text("x")
    (root / "out.txt").symlink_to(tmp_path / "secret.txt")
    (root / "in.txt").symlink_to(root / "a.txt")
    refused: dict[str, str] = {}
    names = [p.relative_to(root).as_posix() for p in list_seed_paths(root, refused)]
    assert names == ["a.txt", "in.txt", "noext", "sub/b.pdf"]
    assert refused == {"out.txt": "links outside the seeds folder"}


def test_a_missing_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(SeedsMissing):
        scan(tmp_path / "nowhere")


def test_scan_hashes_only_files_that_look_changed(tmp_path: Path, monkeypatch) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(name)
    first = scan(tmp_path)
    hashed: list[str] = []
    real = seeds.digest_of
    monkeypatch.setattr(seeds, "digest_of", lambda p: hashed.append(p.name) or real(p))
    assert scan(tmp_path, first.files).files == first.files
    assert hashed == []
    (tmp_path / "b.txt").write_text("changed")
    os.utime(tmp_path / "c.txt", ns=(1, 1))
    again = scan(tmp_path, first.files)
    assert sorted(hashed) == ["b.txt", "c.txt"]
    assert again.files["b.txt"].digest != first.files["b.txt"].digest
    assert again.files["c.txt"].digest == first.files["c.txt"].digest


def test_broken_links_are_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    found = scan(tmp_path)
    assert found.files == {}
    assert set(found.unreadable) == {"loop.txt", "gone.txt"}
