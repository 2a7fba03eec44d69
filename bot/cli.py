"""`python -m bot index | ask | run`: the terminal face of the Library.

Exit status: 0 on success (no match is a success), 2 for bad usage or configuration, with one
line on stderr and no traceback for a user's mistake.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import NoReturn, TextIO

from bot.answer import render_text, to_json
from bot.config import ConfigError, Settings, load_settings
from bot.library import Library, ReindexBusy
from bot.seeds import SeedsMissing

log = logging.getLogger("bot")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bot", description="Ask your documents, with citations.")
    parser.add_argument("--config", help="config file (default: $BOT_CONFIG or ./config.yaml)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("index", help="build or update the index from the seeds folder")
    ask = sub.add_parser("ask", help="answer a question from the index")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--limit", type=_limit, default=5, help="results per question (default 5)")
    ask.add_argument("question", nargs="+", help="the question, or - to read one a line from stdin")
    sub.add_parser("run", help="run the Telegram bot (long polling)")
    return parser


def _limit(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not 1 <= n <= 100:
        raise argparse.ArgumentTypeError("expected a number from 1 to 100")
    return n


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        args = make_parser().parse_args(argv)
        settings = load_settings(args.config)
        if not settings.seeds_dir.is_dir():
            raise ConfigError(f"seeds_dir: folder {settings.seeds_dir} not found")
        _check_index_dir(settings)
        if args.command == "index":
            return cmd_index(settings)
        if args.command == "ask":
            return cmd_ask(settings, args, stdin or sys.stdin)
        return cmd_run(settings)
    except (UsageError, ConfigError, SeedsMissing) as exc:
        print(str(exc).splitlines()[0] if str(exc) else "error", file=sys.stderr)
        return EXIT_USAGE
    except ReindexBusy as exc:
        print(f"index is busy: {exc}; try again when it has finished", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `python -m bot ask ... | head`: the reader left; that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        # A full disk or a file size limit during a reindex is no bug of ours and no user
        # mistake: say what the system said, in one line (tests/test_faults.py).
        print(f"failed: {exc}; the previous index keeps answering", file=sys.stderr)
        return EXIT_FAILED


def _check_index_dir(settings: Settings) -> None:
    """index_dir may be missing (it is created) but not be, or lie under, a file: otherwise
    the first write fails deep in Whoosh with a traceback (tests/test_security.py)."""
    path = settings.index_dir
    while not path.exists() and path.parent != path:
        path = path.parent
    if not path.is_dir():
        raise ConfigError(f"index_dir: {path} is not a folder")


def cmd_index(settings: Settings) -> int:
    library = Library(settings, lock_timeout=settings.index_wait_seconds)
    progress = Progress(sys.stderr)
    try:
        summary = library.reindex(progress=progress, embedding=progress.embedding)
    finally:
        library.close()
    for note in summary.skipped:
        print(f"warning: {note}", file=sys.stderr)
    print(summary.describe())
    return EXIT_OK


class Progress:
    """'120/5000 files, 3,400 passages, 210 passages/s' on one terminal line, redrawn at most
    five times a second; then, with the semantic layer, 'embedding 1,024/9,000 passages, 48/s,
    3 min left'. Nothing at all when the output is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.shown = 0.0
        self.embedding_started = 0.0

    def __call__(self, done: int, total: int, passages: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.shown < 0.2 and done < total:
            return
        self.shown = now
        rate = passages / max(now - self.started, 1e-3)
        line = f"{done}/{total} files, {passages:,} passages, {rate:,.0f} passages/s"
        self._show(line, done >= total)

    def embedding(self, done: int, total: int) -> None:
        """The semantic layer's embedding of new passages (the slow part of a first build)."""
        if not self.enabled or not total:
            return
        now = time.monotonic()
        if not done:
            self.embedding_started = now
        if now - self.shown < 0.2 and 0 < done < total:
            return
        self.shown = now
        elapsed = now - self.embedding_started
        rate = done / max(elapsed, 1e-3)
        if done >= total:
            line = f"embedded {total:,} passages in {_duration(elapsed)} ({rate:,.0f}/s)"
        elif done:
            left = (total - done) / max(rate, 1e-3)
            line = f"embedding {done:,}/{total:,} passages, {rate:,.0f}/s, {_duration(left)} left"
        else:
            line = f"embedding {total:,} passages"
        self._show(line, done >= total)

    def _show(self, line: str, last: bool) -> None:
        end = "\n" if last else ""
        self.stream.write(f"\r\x1b[K{line}{end}")
        self.stream.flush()


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def cmd_ask(settings: Settings, args: argparse.Namespace, stdin: TextIO) -> int:
    library = Library(settings, lock_timeout=settings.index_wait_seconds)
    try:
        _bring_up_to_date(library)
        if args.question == ["-"]:
            for line in stdin:
                if line.strip():
                    _answer(library, line.strip(), args)
        else:
            _answer(library, " ".join(args.question), args)
    finally:
        library.close()
    return EXIT_OK


def _bring_up_to_date(library: Library) -> None:
    """Build the index if there is none, and take in files changed since the last build. While
    another process reindexes, answer from the index as it is."""
    try:
        summary = library.refresh(wait=None if not library.has_index() else 0.0)
    except ReindexBusy:
        if not library.has_index():
            raise
        print("(the index is being updated; answering from the current one)", file=sys.stderr)
        return
    if summary is not None and (summary.changed_anything or summary.skipped):
        for note in summary.skipped:
            print(f"warning: {note}", file=sys.stderr)
        print(f"(indexed: {summary.describe()})", file=sys.stderr)


def _answer(library: Library, question: str, args: argparse.Namespace) -> None:
    answer = library.ask(question, limit=args.limit)
    if args.json:
        print(json.dumps(to_json(answer), ensure_ascii=False), flush=True)
    else:
        bold = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")
        print(render_text(answer, bold=bold), flush=True)


def cmd_run(settings: Settings) -> int:
    if not settings.telegram.token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export it"
        )
    from bot import chat  # the Telegram layer is only imported when the bot runs

    # A running bot says what it does: INFO with timestamps (the token is redacted by chat).
    logging.getLogger().handlers[0].setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.getLogger("bot").setLevel(logging.INFO)
    library = Library(settings)
    try:
        return chat.run(settings, library)
    finally:
        library.close()
