"""Faults: a reindex killed or starved of disk at any moment, two reindexes at once, questions
during a reindex, and a Bot API that fails in every way it can.

Everything is real: `python -m bot index` processes killed with SIGKILL, a Whoosh index on disk,
an OS that refuses writes (a file size limit on the process, or a tiny tmpfs where mounting is
permitted), and the PTB Application polling a stand-in on 127.0.0.1 that hangs up, stalls,
answers garbage or stops listening for a while.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.answer import render_html, to_json
from bot.chat import BUSY
from bot.config import settings_from_mapping
from bot.index import open_index
from bot.library import Library
from tests.botapi import private_chat
from tests.conftest import REPO, SEEDS, make_settings
from tests.harness import (
    ADMIN,
    MEMBER,
    QUESTION,
    TOKEN,
    FlakyAPI,
    build_root,
    running_bot,
    token_leaks,
)
from tests.test_index import write_big_corpus

pytestmark = pytest.mark.timeout(150)

# Questions whose best passage is in a shipped seed that no test here changes.
PROBES = {
    "who smuggled mohamed to syria": "000_0bb3462efa02c320.txt",
    "why did the fighters surrender in Baghouz?": "002_0ebec296f594075f.txt",
    "Milad Che Guevara": "001_06ad27bca32811ca.txt",
}
# Runs `python -m bot` with a file size limit (RLIMIT_FSIZE): writes past it fail with EFBIG, a
# real OS error from the real file layer. Python ignores SIGXFSZ, so the write just fails.
LIMITED = (
    "import resource, runpy, sys; n = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); sys.argv = ['bot', *sys.argv[2:]]; "
    "runpy.run_module('bot', run_name='__main__', alter_sys=True)"
)


# ---------------------------------------------------------------------------------------------
# Helpers


def cli(config: Path, *args: str, file_limit: int | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_CONFIG", "TELEGRAM_BOT_TOKEN")}
    env.update(PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    prefix = [sys.executable, "-m", "bot"]
    if file_limit is not None:
        prefix = [sys.executable, "-c", LIMITED, str(file_limit)]
    return subprocess.Popen(
        [*prefix, "--config", str(config), *args],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=10)
        raise
    return proc.returncode, out, err


def write_config(root: Path, name: str = "config.yaml", **extra: object) -> Path:
    lines = ["seeds_dir: seeds", "index_dir: index", *(f"{k}: {v}" for k, v in extra.items())]
    path = root / name
    path.write_text("\n".join(lines) + "\n")
    return path


def snapshot(library: Library) -> list[dict]:
    """Everything a user could see for the probe questions (scores included)."""
    return [to_json(library.ask(q, limit=5)) for q in PROBES]


def keys_of(index_dir: Path) -> list[tuple[str, int, int]]:
    """Every passage in the live generation, duplicates kept (a duplicate is corruption)."""
    ix = open_index(index_dir)
    assert ix is not None, "no index"
    with ix.searcher() as s:
        stored = list(s.all_stored_fields())
        keys = [(f["doc"], f["part"], f["passage"]) for f in stored if "passage" in f]
        # Besides passages, each seed file has exactly one vocabulary document.
        assert s.doc_count() == len(keys) + len({f["doc"] for f in stored})
    return sorted(keys)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def wait_for_new_files(
    index_dir: Path, before: set[str], proc: subprocess.Popen[str], ready: Callable[[set], bool]
) -> bool:
    """Poll the index folder until `ready(new file names)`; False if the process ended first."""
    deadline = time.monotonic() + 90
    while proc.poll() is None:
        new = set(os.listdir(index_dir)) - before
        if ready(new):
            return True
        assert time.monotonic() < deadline, "the build never reached the expected stage"
        time.sleep(0.001)
    return False


@contextlib.contextmanager
def holding_the_lock(
    proc: subprocess.Popen[str], index_dir: Path
) -> Iterator[subprocess.Popen[str]]:
    """Freeze `python -m bot index` (SIGSTOP) as soon as it holds the writer lock (its first
    segment files appear right after it took the lock), so another reindex meets a held lock
    however fast this machine is; SIGCONT on leaving."""
    before = set(os.listdir(index_dir))
    try:
        assert wait_for_new_files(index_dir, before, proc, bool), "the index never started"
        proc.send_signal(signal.SIGSTOP)
        yield proc
    except BaseException:
        proc.kill()
        proc.communicate(timeout=10)
        raise
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGCONT)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped seeds and their index, built once; tests work on copies."""
    return build_root(tmp_path_factory.mktemp("faults-built"), SEEDS)


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A copy of seeds and index with a config file (index_wait_seconds: 0, so a stale lock
    would show up as 'busy')."""
    target = tmp_path / "project"
    shutil.copytree(built, target)
    write_config(target, index_wait_seconds=0)
    return target


# ---------------------------------------------------------------------------------------------
# A reindex killed at any moment


# Moments of a build, told by the files Whoosh writes (see bot/index.py): postings being
# written; the commit finishing the segment (column files); the compound segment or the new
# table of contents appearing (the switch itself, a window of milliseconds).
STAGES: dict[str, Callable[[set], bool]] = {
    "switch": lambda new: any(n.endswith(".seg") or ".toc" in n for n in new),
    "postings": lambda new: any(n.endswith((".pst", ".trm")) for n in new),
    "commit": lambda new: any(n.endswith(".col") for n in new),
}


def test_sigkill_at_each_stage_of_a_build_then_the_next_build_completes(project: Path) -> None:
    index_dir = project / "index"
    config = project / "config.yaml"
    library = Library(make_settings(project))
    old_answers, old_keys = snapshot(library), keys_of(index_dir)
    library.close()
    backup = project / "index.backup"
    shutil.copytree(index_dir, backup)
    write_big_corpus(project / "seeds", files=12, paragraphs=30)

    outcome: dict[str, str] = {}
    completed_states: list[list] = []
    for stage, ready in STAGES.items():
        before = set(os.listdir(index_dir))
        proc = cli(config, "index")
        reached = wait_for_new_files(index_dir, before, proc, ready)
        proc.send_signal(signal.SIGKILL)
        finish(proc, timeout=30)
        fresh = Library(make_settings(project))
        try:
            if keys_of(index_dir) == old_keys:
                outcome[stage] = "old"
                # The previous generation answers exactly as before, scores and all.
                assert snapshot(fresh) == old_answers, stage
            else:
                # Killed after the switch: then the new generation must be whole.
                outcome[stage] = "new" if reached else "finished"
                completed_states.append(keys_of(index_dir))
        finally:
            fresh.close()
        if outcome[stage] != "old":  # start the next stage from the old generation again
            shutil.rmtree(index_dir)
            shutil.copytree(backup, index_dir)
    assert outcome["postings"] == "old" and outcome["commit"] == "old", outcome

    # The lock died with the process (index_wait_seconds is 0: a stale lock would be 'busy'),
    # and the next build completes over the debris of the killed ones.
    code, out, err = finish(cli(config, "index"))
    assert code == 0, err
    assert "12 added" in out
    final = Library(make_settings(project))
    try:
        keys = keys_of(index_dir)
        assert set(old_keys) < set(keys) and len(keys) == len(old_keys) + 12 * 30
        assert all(state == keys for state in completed_states)
        assert final.ask("marker7 ends here").results[0].doc == "bulk_0007.txt"
    finally:
        final.close()
    # The successful commit swept away every file the killed builds left behind.
    names = os.listdir(index_dir)
    assert not [n for n in names if n.endswith((".tmp", ".pst", ".trm", ".col"))], names
    ix = open_index(index_dir)
    assert ix is not None
    with ix.reader() as reader:
        live_segments = len(list(reader.leaf_readers()))
    assert len([n for n in names if n.endswith(".seg")]) == live_segments
    assert len([n for n in names if n.endswith(".toc")]) == 1


# ---------------------------------------------------------------------------------------------
# Two reindexes at once


def added(output: str) -> int:
    match = re.search(r"(\d+) added", output)
    assert match, output
    return int(match.group(1))


def test_two_index_processes_at_once_do_the_work_once(project: Path) -> None:
    index_dir = project / "index"
    old_keys = keys_of(index_dir)
    waiting = write_config(project, "wait.yaml", index_wait_seconds=60)
    write_big_corpus(project / "seeds", files=8, paragraphs=30)

    # Started together, both willing to wait: one builds, the other then finds nothing to do.
    first, second = cli(waiting, "index"), cli(waiting, "index")
    results = [finish(first), finish(second)]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    assert sorted(added(out) for _, out, _ in results) == [0, 8]
    keys = keys_of(index_dir)  # asserts doc_count == stored passages
    assert len(set(keys)) == len(keys) == len(old_keys) + 8 * 30

    # One holds the lock; another that may not wait is told so, and changes nothing.
    (project / "seeds" / "bulk_0000.txt").unlink()
    (project / "seeds" / "more").mkdir()
    write_big_corpus(project / "seeds" / "more", files=3, paragraphs=30)
    with holding_the_lock(cli(waiting, "index"), index_dir) as holder:
        code, out, err = finish(cli(project / "config.yaml", "index"))
        assert code == 1 and "busy" in err and "Traceback" not in err, err
        assert len(err.strip().splitlines()) == 1
    code, out, err = finish(holder)
    assert code == 0, err
    assert "3 added, 0 changed, 1 removed" in out
    keys = keys_of(index_dir)
    assert len(set(keys)) == len(keys) == len(old_keys) + (8 - 1 + 3) * 30
    assert not any(doc == "bulk_0000.txt" for doc, _, _ in keys)


# ---------------------------------------------------------------------------------------------
# Questions while a reindex runs


def test_questions_asked_continuously_during_reindexes_all_succeed(project: Path) -> None:
    """One thread asks without pause while the same Library reindexes (as /reindex does) and
    then while another process reindexes (as `python -m bot index` beside a running bot)."""
    library = Library(make_settings(project))
    seeds = project / "seeds"
    phase = "before"
    counts: dict[str, int] = {}
    failures: list[str] = []
    stop = threading.Event()

    def asker() -> None:
        while not stop.is_set():
            for question, doc in PROBES.items():
                current = phase
                try:
                    answer = library.ask(question, limit=3)
                    if not answer.results or answer.results[0].doc != doc:
                        failures.append(f"{current}: {question!r} -> {to_json(answer)['hits']}")
                    render_html(answer)
                except Exception as exc:  # counted, not raised: the count is the result
                    failures.append(f"{current}: {question!r} raised {exc!r}")
                counts[current] = counts.get(current, 0) + 1

    thread = threading.Thread(target=asker, name="asker", daemon=True)
    thread.start()
    try:
        wait_until(lambda: counts.get("before", 0) >= 3, 30, "the first answers")
        write_big_corpus(seeds, files=8, paragraphs=30)
        (seeds / "003_8bcd5ffcf3b6bc76.txt").unlink()
        changed = seeds / "004_8c313a039cfc1ceb.txt"
        changed.write_text(changed.read_text() + "\nA closing line about the marmot census.\n")
        phase = "in-process reindex"
        summary = library.reindex()
        assert (summary.added, summary.changed, summary.removed) == (8, 1, 1)

        (seeds / "bulk_0001.txt").unlink()
        (seeds / "extra.txt").write_text(
            "Extra\n\nThe narwhal exhibit opens on the first floor of the museum next spring.\n"
        )
        phase = "other process reindex"
        proc = cli(project / "config.yaml", "index")
        code, _, err = finish(proc)
        assert code == 0, err
        phase = "after"
        # The long-lived searchers pick up the other process's generation by themselves.
        wait_until(
            lambda: any(r.doc == "extra.txt" for r in library.ask("narwhal exhibit").results),
            15,
            "the new generation",
        )
        wait_until(lambda: counts.get("after", 0) >= 3, 30, "answers after the reindexes")
    finally:
        stop.set()
        thread.join(timeout=30)
        library.close()
    assert failures == [], failures[:5]
    assert counts["in-process reindex"] >= 3 and counts["other process reindex"] >= 3, counts


# ---------------------------------------------------------------------------------------------
# The disk refusing writes during a reindex


def test_write_failures_during_index_leave_the_old_index_and_the_next_run_completes(
    project: Path,
) -> None:
    """Writes fail (EFBIG from RLIMIT_FSIZE) while documents are added (small limit) and while
    the commit writes the segment (larger limit)."""
    config = project / "config.yaml"
    library = Library(make_settings(project))
    old_answers, old_keys = snapshot(library), keys_of(project / "index")
    library.close()
    write_big_corpus(project / "seeds", files=12, paragraphs=30)
    for limit in (60_000, 150_000):
        code, out, err = finish(cli(config, "index", file_limit=limit))
        assert code == 1, (limit, out, err)
        assert "File too large" in err and len(err.strip().splitlines()) == 1, err
        fresh = Library(make_settings(project))
        try:
            assert keys_of(project / "index") == old_keys
            assert snapshot(fresh) == old_answers
        finally:
            fresh.close()
    code, out, err = finish(cli(config, "index"))
    assert code == 0, err
    assert "12 added" in out


def test_a_write_failure_is_reported_as_what_it_is(project: Path) -> None:
    write_big_corpus(project / "seeds", files=12, paragraphs=30)
    code, _, err = finish(cli(project / "config.yaml", "index", file_limit=150_000))
    assert code == 1
    assert "File too large" in err and "closed" not in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_a_reindex_that_does_not_commit_leaves_no_files(project: Path) -> None:
    index_dir = project / "index"
    before = set(os.listdir(index_dir))
    library = Library(make_settings(project))
    try:
        for _ in range(2):
            assert not library.reindex().changed_anything
    finally:
        library.close()
    write_big_corpus(project / "seeds", files=8, paragraphs=30)
    code, _, err = finish(cli(project / "config.yaml", "index", file_limit=60_000))
    assert code == 1, err
    assert set(os.listdir(index_dir)) == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs, if this machine lets us mount one (root in CI containers usually may)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    tried = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if tried.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({tried.stderr.strip()}); see the RLIMIT tests")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_disk_full_during_reindex_in_chat(
    small_disk: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """/reindex on a full disk: the admin is told it failed, everyone keeps getting the same
    answers, and once space is freed the next /reindex goes through (the lock was released)."""
    root = tmp_path / "bot"
    shutil.copytree(SEEDS, root / "seeds")
    api = FlakyAPI().start()
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": api.base_url}
    raw = {
        "seeds_dir": "seeds",
        "index_dir": str(small_disk / "index"),
        "access": {"admins": [ADMIN["id"]], "users": [MEMBER["id"]]},
    }
    settings = settings_from_mapping(raw, root, env)
    builder = Library(settings)
    builder.reindex()
    builder.close()
    free = shutil.disk_usage(small_disk).free
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * max(0, free - 150_000))  # leaves ~150 KB
    write_big_corpus(root / "seeds", files=12, paragraphs=30)
    with running_bot(root, api, settings=settings) as bot:
        chat = private_chat(MEMBER)
        _, before = bot.ask(chat, MEMBER, QUESTION)
        msg = bot.api.message(private_chat(ADMIN), ADMIN, "/reindex")
        failed = bot.api.wait_for(
            "sendMessage",
            lambda c: c.reply_to == msg["message_id"] and "failed" in c.text,
            timeout=60,
        )
        assert "previous index keeps answering" in failed.text
        _, after = bot.ask(chat, MEMBER, QUESTION)
        assert after.text == before.text

        ballast.unlink()
        msg = bot.api.message(private_chat(ADMIN), ADMIN, "/reindex")
        done = bot.api.wait_for(
            "sendMessage",
            lambda c: c.reply_to == msg["message_id"] and "Reindex done" in c.text,
            timeout=60,
        )
        assert "12 added" in done.text
        _, new = bot.ask(chat, MEMBER, "marker3 ends here")
        assert "Bulk file 3" in new.text
    assert token_leaks(caplog.records) == []


# ---------------------------------------------------------------------------------------------
# The Bot API failing


@pytest.fixture
def root(built: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Path]:
    """A private copy of seeds and index for one bot; afterwards no log line held the token."""
    caplog.set_level("DEBUG")
    target = tmp_path / "bot"
    shutil.copytree(built, target)
    yield target
    assert token_leaks(caplog.records) == []


def log_count(caplog: pytest.LogCaptureFixture, needle: str) -> int:
    return sum(1 for r in list(caplog.records) if needle in r.getMessage())


def test_api_refusing_connections_for_a_while(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    with running_bot(root) as bot:
        chat = private_chat(MEMBER)
        bot.ask(chat, MEMBER, "Baghouz")
        bot.api.go_down()
        queued = bot.api.message(chat, MEMBER, "Kurdish forces")  # Telegram keeps it for us
        wait_until(
            lambda: log_count(caplog, "Bot API unreachable") >= 2, 20, "failed polls while down"
        )
        bot.api.come_back()
        reply = bot.api.wait_reply(queued, timeout=30)
        assert "<b>Kurdish</b>" in reply.text
        _, reply = bot.ask(chat, MEMBER, "Idlib")
        assert "<b>Idlib</b>" in reply.text
        assert bot.app.updater.running and bot.app.running


def test_api_answering_after_the_timeout(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A sendMessage answered after PTB's 5 s read timeout: the user gets an apology (the
    late reply may arrive too; timeouts are not retried, to avoid duplicates) and the next
    question is answered normally."""
    with running_bot(root) as bot:
        chat = private_chat(MEMBER)
        bot.api.stall_next("sendMessage", 6.5)
        msg = bot.api.message(chat, MEMBER, "Baghouz")
        bot.api.wait_for(
            "sendMessage", lambda c: c.reply_to == msg["message_id"] and "Sorry" in c.text, 20
        )
        assert log_count(caplog, "Timed out") >= 1
        _, reply = bot.ask(chat, MEMBER, "Idlib", timeout=15)
        assert "<b>Idlib</b>" in reply.text
        assert [r for r in caplog.records if r.levelname == "CRITICAL"] == []


def test_api_answering_garbage(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    with running_bot(root) as bot:
        chat = private_chat(MEMBER)
        api = bot.api
        api.garble_next("getUpdates", b'{"ok": tru')
        api.garble_next("getUpdates", b"<html><body>502 Bad Gateway</body></html>", status=502)
        api.garble_next("getUpdates", b'{"ok": true, "result": {"not": "a list"}}')
        api.garble_next("getUpdates", b"", status=500)
        _, reply = bot.ask(chat, MEMBER, "Baghouz", timeout=30)
        assert "<b>Baghouz</b>" in reply.text
        # The question may ride on a poll already waiting; the garbled ones follow it.
        deadline = time.monotonic() + 30
        while api.played.count(("getUpdates", "garble")) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert api.played.count(("getUpdates", "garble")) == 4

        api.garble_next("sendMessage", b"definitely not json")
        msg = api.message(chat, MEMBER, "Kurdish forces")
        apology = api.wait_reply(msg, timeout=15)
        assert "Sorry" in apology.text
        _, reply = bot.ask(chat, MEMBER, "Idlib")
        assert "<b>Idlib</b>" in reply.text


def test_api_rejecting_a_poll_with_401_or_404(root: Path, caplog) -> None:
    """A 401 or 404 to getUpdates (a proxy or a self-hosted Bot API server restarting, a token
    revoked and restored) made PTB end polling for good while the process ran on, deaf: no
    answer and no exit for a supervisor to see. The bot now retries like any outage."""
    with running_bot(root) as bot:
        chat = private_chat(MEMBER)
        bot.ask(chat, MEMBER, "Baghouz")
        for status in (401, 404):
            bot.api.fail_next("getUpdates", status)
            bot.ask(chat, MEMBER, "Idlib")  # ends the poll in flight; the next one fails
            bot.api.wait_for("getUpdates", status=status, timeout=15)
            msg = bot.api.message(chat, MEMBER, "Kurdish forces")
            assert "<b>Kurdish</b>" in bot.api.wait_reply(msg, timeout=15).text
            assert log_count(caplog, f"answered {status} to getUpdates") == 1


def test_api_rate_limits_and_5xx_on_every_method(root: Path) -> None:
    with running_bot(root) as bot:
        chat = private_chat(MEMBER)
        api = bot.api
        api.fail_next("getUpdates", 429, retry_after=1)
        _, first = bot.ask(chat, MEMBER, QUESTION, timeout=20)
        assert api.count("getUpdates", 429) == 1
        more = next(b["callback_data"] for b in first.buttons if b["text"].startswith("More"))

        api.fail_next("editMessageText", 502)
        api.fail_next("answerCallbackQuery", 429, retry_after=1)
        query = api.press(MEMBER, api.bot_message(first), more)
        api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query, 20)
        edit = api.wait_for("editMessageText")
        assert edit.text.startswith("Results 4–6 of ")
        assert api.count("editMessageText", 502) == 1

        api.fail_next("sendMessage", 503, times=2)  # the answer and its one retry
        msg = api.message(chat, MEMBER, "Kurdish forces")
        api.wait_for("sendMessage", lambda c: c.reply_to == msg["message_id"] and "Sorry" in c.text)
        _, reply = bot.ask(chat, MEMBER, "Idlib")
        assert "<b>Idlib</b>" in reply.text


def test_python_m_bot_run_started_while_the_api_is_down(built: Path, tmp_path: Path) -> None:
    """The real entry point: the Bot API refuses connections at start-up for a while; the bot
    retries (bootstrap_retries), comes up, answers, and stops cleanly on SIGTERM."""
    shutil.copytree(built, tmp_path / "b")
    config = tmp_path / "b" / "config.yaml"
    config.write_text("seeds_dir: seeds\nindex_dir: index\naccess:\n  users: [1002]\n")
    api = FlakyAPI().start()
    api.go_down()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "PYTHONPATH": str(REPO),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(2.5)  # a bounded outage, long enough for a few refused connections
        assert proc.poll() is None, "the bot gave up while the API was down"
        api.come_back()
        api.wait_for("getUpdates", pending=True, timeout=30)
        msg = api.message(private_chat(MEMBER), MEMBER, "Baghouz")
        assert "<b>Baghouz</b>" in api.wait_reply(msg, timeout=15).text
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
        api.stop()
    assert proc.returncode == 0, output
    assert TOKEN not in output


def test_reindex_in_chat_while_the_cli_reindexes(root: Path) -> None:
    """Two reindexes from two faces at once: the chat's is told one is running; questions are
    answered meanwhile; afterwards a /reindex finds the other's work done, nothing twice."""
    write_big_corpus(root / "seeds", files=4, paragraphs=30)
    config = write_config(root, index_wait_seconds=0)
    index_dir = root / "index"
    with running_bot(root) as bot:
        admin = private_chat(ADMIN)
        with holding_the_lock(cli(config, "index"), index_dir) as proc:
            msg = bot.api.message(admin, ADMIN, "/reindex")
            busy = bot.api.wait_for(
                "sendMessage", lambda c: c.reply_to == msg["message_id"] and c.text == BUSY, 20
            )
            assert busy.status == 200
            _, reply = bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")
            assert "<b>Baghouz</b>" in reply.text
        code, out, err = finish(proc)
        assert code == 0 and "4 added" in out, err
        msg = bot.api.message(admin, ADMIN, "/reindex")
        done = bot.api.wait_for(
            "sendMessage", lambda c: c.reply_to == msg["message_id"] and "done" in c.text, 30
        )
        assert "0 added, 0 changed, 0 removed, 9 unchanged" in done.text
    keys = keys_of(index_dir)
    assert len(set(keys)) == len(keys)
