"""The seeds folder as storage (bot/seeds.py): clean upload names, atomic writes that can be
undone, removal that never leaves the folder, name matching; listing and scanning."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import seeds
from bot.seeds import Ambiguous, DocumentError, NotFound, SeedsMissing, list_seed_paths, scan


def stored_name(name: str, suffix: str = ".md") -> str:
    return seeds.upload_name(seeds.clean_base(name), suffix)


@pytest.mark.parametrize(
    ("sent", "suffix", "stored"),
    [
        ("notes.txt", ".txt", "notes.txt"),
        ("Notes.TXT", ".txt", "Notes.txt"),
        ("report.markdown", ".md", "report.md"),
        ("v1.2", ".txt", "v1.2.txt"),
        ("../../x.md", ".md", "x.md"),
        ("..\\..\\windows\\x.md", ".md", "x.md"),
        ("/etc/passwd", ".txt", "passwd.txt"),
        (".hidden.md", ".md", "hidden.md"),
        ("...", ".txt", "document.txt"),
        ("", ".md", "document.md"),
        ("a\x00b\x1fc\x7f.md", ".md", "ab c.md"),  # \x1f is a separator: a space
        ("evil\u202egpj.md", ".md", "evilgpj.md"),  # a bidi override hides the real suffix
        ("tab\tand\nnewline  spaces.md", ".md", "tab and newline spaces.md"),
        ('a<b>:"c|?*.md', ".md", "a_b___c___.md"),
        ("- dash.md", ".md", "dash.md"),
        ("trailing dots...", ".txt", "trailing dots.txt"),
    ],
)
def test_upload_names(sent: str, suffix: str, stored: str) -> None:
    assert stored_name(sent, suffix) == stored


def test_long_names_are_cut_by_characters_and_bytes() -> None:
    name = stored_name("a" * 500 + ".md")
    assert name.endswith(".md") and len(name) == seeds.MAX_STEM_CHARS + 3
    wide = stored_name("😀" * 300 + ".md")  # 4 bytes each
    assert wide.endswith(".md") and len(wide.encode()) <= seeds.MAX_NAME_BYTES
    assert wide.startswith("😀") and "\ufffd" not in wide


@settings(max_examples=300, deadline=None)
@given(name=st.text(max_size=400), suffix=st.sampled_from([".txt", ".md", ".pdf"]))
def test_any_name_becomes_one_plain_visible_file_name(name: str, suffix: str) -> None:
    stored = stored_name(name, suffix)
    assert stored.endswith(suffix) and len(stored) > len(suffix)
    assert "/" not in stored and "\\" not in stored and stored not in (".", "..")
    assert not stored.startswith((".", " ")) and stored == stored.strip()
    assert not any(unicodedata.category(ch).startswith("C") for ch in stored)
    assert len(stored.encode("utf-8")) <= seeds.MAX_NAME_BYTES
    folder = Path("/srv/seeds/uploads")
    assert (folder / stored).parent == folder


def test_store_commit_and_undo(tmp_path: Path) -> None:
    folder = seeds.uploads_folder(tmp_path)
    first = seeds.store(folder, "a.md", b"one")
    assert not first.replaced and (folder / "a.md").read_bytes() == b"one"
    seeds.commit(first)
    second = seeds.store(folder, "a.md", b"two")
    assert second.replaced and (folder / "a.md").read_bytes() == b"two"
    seeds.undo(second)  # the replaced file comes back
    assert (folder / "a.md").read_bytes() == b"one"
    third = seeds.store(folder, "b.md", b"three")
    seeds.undo(third)  # a new file goes
    assert sorted(os.listdir(folder)) == ["a.md"]  # no temporary or backup files left
    assert (folder / "a.md").stat().st_mode & 0o777 == 0o644


def test_store_replaces_a_link_and_never_writes_through_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_bytes(b"precious")
    seeds_dir = tmp_path / "seeds"
    seeds_dir.mkdir()
    folder = seeds.uploads_folder(seeds_dir)
    (folder / "a.md").symlink_to(outside)
    stored = seeds.store(folder, "a.md", b"upload")
    assert not (folder / "a.md").is_symlink() and (folder / "a.md").read_bytes() == b"upload"
    assert outside.read_bytes() == b"precious"
    seeds.undo(stored)
    assert (folder / "a.md").is_symlink() and outside.read_bytes() == b"precious"


def test_an_uploads_folder_that_is_a_link_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    seeds_dir = tmp_path / "seeds"
    seeds_dir.mkdir()
    (seeds_dir / seeds.UPLOADS).symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(DocumentError, match="link"):
        seeds.uploads_folder(seeds_dir)
    assert os.listdir(elsewhere) == []


def test_a_folder_in_the_way_is_refused(tmp_path: Path) -> None:
    folder = seeds.uploads_folder(tmp_path)
    (folder / "a.md").mkdir()
    with pytest.raises(DocumentError, match="folder"):
        seeds.store(folder, "a.md", b"x")
    assert os.listdir(folder) == ["a.md"]


def test_delete_stays_inside_the_seeds_folder(tmp_path: Path) -> None:
    seeds_dir = tmp_path / "seeds"
    (seeds_dir / "sub").mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x.txt").write_text("keep me too")
    (seeds_dir / "out").symlink_to(tmp_path / "dir", target_is_directory=True)
    (seeds_dir / "link.txt").symlink_to(outside)
    for doc in ("../outside.txt", "/etc/passwd", "sub/../../outside.txt", "out/x.txt", ""):
        with pytest.raises(DocumentError):
            seeds.delete(seeds_dir, doc)
    seeds.delete(seeds_dir, "link.txt")  # the link goes, not what it points to
    assert not os.path.lexists(seeds_dir / "link.txt")
    assert outside.read_text() == "keep me" and (tmp_path / "dir" / "x.txt").exists()


def test_find_by_path_file_name_case_and_stem() -> None:
    docs = ["uploads/Handbook.md", "a/notes.txt", "b/notes.txt", "plan.txt", "plan.md"]
    assert seeds.find("uploads/Handbook.md", docs) == "uploads/Handbook.md"
    assert seeds.find("Handbook.md", docs) == "uploads/Handbook.md"
    assert seeds.find("  `handbook.MD` ", docs) == "uploads/Handbook.md"
    assert seeds.find("handbook", docs) == "uploads/Handbook.md"
    assert seeds.find("a/notes.txt", docs) == "a/notes.txt"
    with pytest.raises(Ambiguous) as several:
        seeds.find("notes.txt", docs)
    assert several.value.candidates == ("a/notes.txt", "b/notes.txt")
    with pytest.raises(Ambiguous):
        seeds.find("plan", docs)
    for name in ("../../plan.txt", "nothing", "", "uploads"):
        with pytest.raises(NotFound):
            seeds.find(name, docs)


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
