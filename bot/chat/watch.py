"""The periodic check that keeps the index in line with the seeds folder by itself.

A file copied in, edited or deleted outside the bot reaches the index within one interval,
without anyone sending /reindex. `Library.refresh` is cheap when nothing changed (a listing and
a stat per file), and runs in a worker thread so the event loop never waits for it. A plain
asyncio task, started after start-up and cancelled at shutdown (PTB's JobQueue would need an
extra dependency for one timer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.chat.paging import PageMemory
from bot.library import Library

log = logging.getLogger(__name__)


class Watcher:
    """Calls library.refresh() every `interval` seconds until stopped."""

    def __init__(self, library: Library, pages: PageMemory, interval: float) -> None:
        self.library = library
        self.pages = pages
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="seeds-check")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check()

    async def check(self) -> None:
        """One check; a failure is logged and the next interval tries again."""
        try:
            summary = await asyncio.to_thread(self.library.refresh)
        except Exception as exc:
            log.warning("checking the seeds folder failed: %s: %s", type(exc).__name__, exc)
            return
        if summary is not None:
            self.pages.library_changed()
            log.info("the seeds folder changed: %s", summary.describe())
