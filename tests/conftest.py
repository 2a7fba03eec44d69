"""Shared fixtures: real seed files copied to a temp folder, real Whoosh indexes on disk."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings, settings_from_mapping
from bot.library import Library

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def make_settings(tmp: Path, seeds: Path | None = None, **extra: object) -> Settings:
    raw = {"seeds_dir": str(seeds or tmp / "seeds"), "index_dir": str(tmp / "index"), **extra}
    return settings_from_mapping(raw, tmp, {})


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped seeds that a test may change."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def shipped_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """One index of the shipped seeds for tests that only read."""
    tmp = tmp_path_factory.mktemp("shipped")
    shutil.copytree(SEEDS, tmp / "seeds")
    library = Library(make_settings(tmp))
    library.reindex()
    yield library
    library.close()
