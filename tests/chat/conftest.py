"""Fixtures for the chat tests: an index of the shipped seeds built once, and bots started on
copies of it (tests/harness.py starts and stops them as run_polling does)."""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEEDS
from tests.harness import Running, build_root, running_bot


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeds and an index built once; each bot gets a copy (many tests change theirs)."""
    return build_root(tmp_path_factory.mktemp("chat-built"), SEEDS)


@pytest.fixture
def start_bot(
    built: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Callable[..., Running]]:
    """start_bot(**config) starts the real Application against a fresh stand-in over a copy
    of `built`; every bot started is stopped afterwards."""
    caplog.set_level(logging.DEBUG)
    with contextlib.ExitStack() as stack:
        count = 0

        def start(**raw: Any) -> Running:
            nonlocal count
            root = tmp_path / f"bot{count}"
            count += 1
            shutil.copytree(built, root)
            return stack.enter_context(running_bot(root, **raw))

        yield start


@pytest.fixture
def bot(start_bot: Callable[..., Running]) -> Running:
    return start_bot()
