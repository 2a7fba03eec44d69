"""Security and hostile input: strangers get the refusal and nothing else, non-admins cannot
reindex by any route, the token is never written anywhere, and nothing a user sends makes the
product touch a path outside seeds/ and index/. Also malformed seed files and names, bad
configuration and odd chat input.

The path test runs the real `python -m bot run` (and `ask`, `index`) under a Python audit hook
(sys.addaudithook) that records every file the process opens, lists, creates, renames or
deletes; the bot is driven through the Bot API stand-in on 127.0.0.1.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.config import settings_from_mapping
from bot.library import Library
from tests.botapi import BotAPI, Call, entities_for, private_chat, user
from tests.conftest import REPO, SEEDS
from tests.harness import (
    ADMIN,
    ELSEWHERE,
    MEMBER,
    QUESTION,
    SETTLE,
    STRANGER,
    TEAM,
    TOKEN,
    FlakyAPI,
    Running,
    build_root,
    running_bot,
    token_leaks,
)

pytestmark = pytest.mark.timeout(120)

STRANGER2 = user(1004, "Mal", "mal")
TEAMMATE = user(1005, "Tia", "tia")  # not listed, but may ask in TEAM (access.chats)
ANONYMOUS_ADMIN = {  # what Telegram sends for "remain anonymous" group admins
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
REFUSAL = "not on this bot's access list"


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_root(tmp_path_factory.mktemp("security-built"), SEEDS)


@pytest.fixture
def root(built: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Path]:
    caplog.set_level("DEBUG")
    target = tmp_path / "bot"
    shutil.copytree(built, target)
    yield target
    assert token_leaks(caplog.records) == []


def settle(bot: Running, chat: dict, sender: dict) -> None:
    """Let the bot finish what it was sent: a question from an allowed user is answered
    (updates are handled concurrently, so also give the rest a moment)."""
    bot.ask(chat, sender, "Idlib")
    time.sleep(SETTLE)


def edited(chat: dict, sender: dict, text: str, message_id: int = 90_000) -> dict:
    now = int(time.time())
    message = {
        "message_id": message_id,
        "from": sender,
        "chat": chat,
        "date": now - 60,
        "edit_date": now,
        "text": text,
    }
    if entities_for(text):
        message["entities"] = entities_for(text)
    return {"edited_message": message}


def forwarded_from(sender: dict) -> dict:
    return {"forward_origin": {"type": "user", "sender_user": sender, "date": int(time.time())}}


def button(call: Call, label_start: str) -> str:
    return next(b["callback_data"] for b in call.buttons if b["text"].startswith(label_start))


def to_chat(api: BotAPI, chat_id: int) -> list[Call]:
    return [c for c in api.requests("sendMessage") if c.chat_id == chat_id]


def answered(api: BotAPI, query_id: str) -> Call:
    return api.wait_for(
        "answerCallbackQuery", lambda c: c.params["callback_query_id"] == query_id, 10
    )


def index_state(index_dir: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in index_dir.iterdir()}


# ---------------------------------------------------------------------------------------------
# Strangers and admins


def test_strangers_get_nothing_but_the_refusal(root: Path) -> None:
    with running_bot(root) as bot:
        api, me = bot.api, bot.username
        _, member_answer = bot.ask(private_chat(MEMBER), MEMBER, QUESTION)
        answer_message = api.bot_message(member_answer)
        more = button(member_answer, "More")

        chat = private_chat(STRANGER)
        for text in (
            "Baghouz",
            "/start",
            "/help",
            "/sources",
            "/ask Baghouz",
            f"/ask@{me} Baghouz",
            "/reindex",
            f"/reindex@{me}",
            "/frobnicate",
            f"@{me} Baghouz",
            "<b>hello</b> & ../../etc/passwd",
        ):
            api.message(chat, STRANGER, text)
        api.photo(chat, STRANGER)
        api.push(edited(chat, STRANGER, "/reindex"))
        api.message(chat, STRANGER, "Baghouz", **forwarded_from(ADMIN))
        presses = [
            api.press(STRANGER, answer_message, more),  # a member's real button
            api.press(STRANGER, answer_message, "pg:../../etc/passwd:1"),
            api.press(STRANGER, answer_message, "reindex"),
        ]
        # A group the bot does not serve: mentions, commands, a reply to the bot.
        group_texts = (f"@{me} Baghouz", f"/ask@{me} Baghouz", f"/reindex@{me}", "Baghouz?")
        for text in group_texts:
            api.message(ELSEWHERE, STRANGER2, text)

        refusal = api.wait_for("sendMessage", lambda c: c.chat_id == STRANGER["id"])
        group_refusal = api.wait_for("sendMessage", lambda c: c.chat_id == ELSEWHERE["id"])
        api.message(ELSEWHERE, STRANGER2, "and now?", reply_to=api.bot_message(group_refusal))
        for query in presses:
            call = answered(api, query)
            assert REFUSAL in call.params["text"] and "1003" in call.params["text"]
            assert call.params.get("show_alert") is True
        settle(bot, private_chat(MEMBER), MEMBER)

        # One refusal each, with the id an admin needs, and nothing else.
        assert [c.text for c in to_chat(api, STRANGER["id"])] == [refusal.text]
        assert REFUSAL in refusal.text and "1003" in refusal.text
        assert "parse_mode" not in refusal.params
        assert [c.text for c in to_chat(api, ELSEWHERE["id"])] == [group_refusal.text]
        assert "1004" in group_refusal.text and str(ELSEWHERE["id"]) in group_refusal.text
        assert api.requests("editMessageText") == []
        assert bot.library.questions == [QUESTION, "Idlib"]  # strangers never reached search
        assert bot.library.reindex_calls == 0
        assert {c.method for c in api.calls} <= {
            "getMe",
            "deleteWebhook",
            "setMyCommands",
            "getUpdates",
            "sendMessage",
            "answerCallbackQuery",
        }


def test_non_admins_cannot_reindex_by_any_route(root: Path) -> None:
    (root / "seeds" / "new.txt").write_text(
        "New\n\nA paragraph that a reindex would add to the index, about the okapi enclosure.\n"
    )
    before = index_state(root / "index")
    with running_bot(root) as bot:
        api, me = bot.api, bot.username
        chat = private_chat(MEMBER)
        _, member_answer = bot.ask(chat, MEMBER, QUESTION)
        answer_message = api.bot_message(member_answer)
        commands = [
            "/reindex",
            f"/reindex@{me}",
            "/REINDEX",
            f"/Reindex@{me.upper()}",
            "/reindex now please",
            "/reindex\n/reindex",
            f"/reindex@{me} ../../seeds",
        ]
        refused = [api.message(chat, MEMBER, text) for text in commands]
        refused.append(api.message(TEAM, MEMBER, f"/reindex@{me}"))
        refused.append(api.message(TEAM, TEAMMATE, f"/reindex@{me}"))
        refused.append(api.message(TEAM, TEAMMATE, "/reindex"))
        refused.append(api.message(TEAM, ANONYMOUS_ADMIN, f"/reindex@{me}", sender_chat=TEAM))
        # Routes that are not a command from an admin at all.
        api.push(edited(chat, MEMBER, "/reindex"))
        api.push(edited(TEAM, MEMBER, f"/reindex@{me}", message_id=90_001))
        api.message(chat, MEMBER, "/reindex", **forwarded_from(ADMIN))
        size = {"file_id": "AgAD-photo", "file_unique_id": "uniq", "width": 90, "height": 90}
        api.message(
            chat,
            MEMBER,
            photo=[size],
            caption="/reindex",
            caption_entities=entities_for("/reindex"),
        )
        api.push(
            {
                "channel_post": {
                    "message_id": 777,
                    "chat": {"id": -100999, "type": "channel", "title": "News"},
                    "date": int(time.time()),
                    "text": "/reindex",
                    "entities": entities_for("/reindex"),
                }
            }
        )
        presses = [
            api.press(MEMBER, answer_message, data)
            for data in ("reindex", "/reindex", "pg:reindex:1", f"/reindex@{me}")
        ]
        for msg in refused:
            reply = api.wait_reply(msg)
            assert "Only admins can /reindex" in reply.text, msg["text"]
        for query in presses:
            text = answered(api, query).params["text"]
            assert "not valid" in text or "expired" in text, text
        settle(bot, chat, MEMBER)
        assert bot.library.reindex_calls == 0
        assert not [c for c in api.requests("sendMessage") if "Re-reading" in c.text]
        assert index_state(root / "index") == before

        # The same route works for an admin, so the checks above could have seen a reindex.
        msg = api.message(TEAM, ADMIN, f"/reindex@{me}")
        done = api.wait_for(
            "sendMessage", lambda c: c.reply_to == msg["message_id"] and "done" in c.text, 20
        )
        assert "1 added" in done.text and bot.library.reindex_calls == 1


# ---------------------------------------------------------------------------------------------
# A hostile session against the real process, under an audit hook

# Installed as sitecustomize, so that every Python process of the session is audited: the
# bot, and the fork server and worker processes that read the documents. Each appends to the
# log named by AUDIT_LOG; paths given relative to a folder descriptor are resolved.
AUDIT = r"""
import os, sys
WATCHED = {
    "open", "os.listdir", "os.scandir", "os.mkdir", "os.remove", "os.rename", "os.replace",
    "os.rmdir", "os.symlink", "os.link", "os.truncate", "os.chmod", "os.chown", "os.utime",
    "shutil.copyfile", "shutil.copytree", "shutil.rmtree", "shutil.move", "os.chdir",
    "glob.glob", "os.exec", "os.posix_spawn", "subprocess.Popen",
}
DIR_FD = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 2, "os.rename": 2, "os.replace": 2}
LOG = os.environ.get("AUDIT_LOG")
log = os.open(LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if LOG else None

def hook(event, args):
    if event not in WATCHED or not args or isinstance(args[0], int):
        return
    paths = [args[0]]
    if event in ("os.rename", "os.replace", "os.link", "os.symlink", "shutil.copyfile"):
        paths.append(args[1])
    fd = args[DIR_FD[event]] if event in DIR_FD and len(args) > DIR_FD[event] else None
    for path in paths:
        try:
            path = os.fsdecode(path)
        except Exception:
            path = repr(path)
        if isinstance(fd, int) and fd >= 0 and not os.path.isabs(path):
            path = os.path.join(os.readlink(f"/proc/self/fd/{fd}"), path)
        mode = args[1] if event == "open" and len(args) > 1 else None
        flags = args[2] if event == "open" and len(args) > 2 else None
        line = repr((event, path, mode if isinstance(mode, (str, type(None))) else str(mode),
                     flags if isinstance(flags, int) else None)) + "\n"
        os.write(log, line.encode("utf-8", "backslashreplace"))

if log is not None:
    sys.addaudithook(hook)
"""

# Things users send that look like paths (questions, command arguments, button data).
PATHLIKE = [
    "../../etc/passwd",
    "/etc/passwd",
    "../outside/secret.txt",
    "file:///etc/passwd",
    "seeds/../../outside/secret.txt",
    "~/.ssh/id_rsa",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..\\..\\windows\\win.ini",
    "index/../../outside",
    "/proc/self/environ",
]


@dataclass
class Session:
    top: Path
    project: Path
    outside: Path
    events: list[tuple[str, str, str | None, int | None]]
    outputs: list[str]
    bot_texts: list[str]
    calls: list[Call]
    returncode: int
    cli_stdout: str


def audited(env: dict[str, str], top: Path, log: str) -> dict[str, str]:
    """The environment of one audited command, writing its events to top/log."""
    return {**env, "AUDIT_LOG": str(top / log)}


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """One hostile session: `index` and `ask --json -` with path-like input, then `run` driven
    by members, strangers and an admin sending path-like questions, commands and button data,
    with Bot API faults on the way. Every file event of every process is recorded."""
    top = tmp_path_factory.mktemp("hostile")
    (top / "audit").mkdir()
    (top / "audit" / "sitecustomize.py").write_text(AUDIT)
    project = top / "project"
    shutil.copytree(SEEDS, project / "seeds")
    outside = top / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nThe quagmirecanary password is swordfish.\n")
    seeds = project / "seeds"
    (seeds / "leak.txt").symlink_to(outside / "secret.txt")  # a file link out
    (seeds / "outdir").symlink_to(outside, target_is_directory=True)  # a folder link out
    (seeds / "outdir.txt").symlink_to(outside, target_is_directory=True)
    (seeds / "alias.txt").symlink_to(seeds / "000_0bb3462efa02c320.txt")  # inside: fine
    config = project / "config.yaml"
    config.write_text(
        "seeds_dir: seeds\nindex_dir: index\n"
        f"access:\n  admins: [{ADMIN['id']}]\n  users: [{MEMBER['id']}]\n"
    )
    tmpdir = top / "tmp"
    tmpdir.mkdir()
    api = FlakyAPI().start()
    env = {k: v for k, v in os.environ.items() if k != "BOT_CONFIG"}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_BASE_URL=api.base_url,
        PYTHONPATH=os.pathsep.join((str(top / "audit"), str(REPO))),
        PYTHONDONTWRITEBYTECODE="1",
        TMPDIR=str(tmpdir),
    )
    bot = [sys.executable, "-m", "bot"]
    outputs = []
    try:
        index = subprocess.run(
            [*bot, "--config", "config.yaml", "index"],
            cwd=project,
            env=audited(env, top, "index.log"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert index.returncode == 0, index.stderr
        outputs += [index.stdout, index.stderr]
        ask = subprocess.run(
            [*bot, "--config", "config.yaml", "ask", "--json", "-"],
            cwd=project,
            env=audited(env, top, "ask.log"),
            input="\n".join(PATHLIKE) + "\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ask.returncode == 0, ask.stderr
        outputs += [ask.stdout, ask.stderr]

        (seeds / "added.txt").write_text(
            "Added\n\nA paragraph the admin's reindex adds, about the tapir house.\n"
        )
        proc = subprocess.Popen(
            [*bot, "--config", str(config), "run"],
            cwd=project,
            env=audited(env, top, "run.log"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            api.wait_for("getUpdates", pending=True, timeout=30)
            chat = private_chat(MEMBER)
            msg = api.message(chat, MEMBER, QUESTION)
            answer = api.wait_reply(msg, timeout=15)
            answer_message = api.bot_message(answer)
            for text in PATHLIKE:
                msg = api.message(chat, MEMBER, text)
                api.wait_reply(msg, timeout=15)
                msg = api.message(chat, MEMBER, f"/ask {text}")
                api.wait_reply(msg, timeout=15)
                query = api.press(MEMBER, answer_message, f"pg:{text}"[:64])
                answered(api, query)
            api.fail_next("sendMessage", 500)  # an error path, logged
            api.garble_next("getUpdates", b"<html>502</html>", status=502)
            msg = api.message(private_chat(STRANGER), STRANGER, "../../etc/passwd")
            api.wait_reply(msg, timeout=15)
            for text in ("/sources", "/reindex ../../outside", "/reindex /etc"):
                msg = api.message(private_chat(ADMIN), ADMIN, text)
                api.wait_reply(msg, timeout=30)
            api.wait_for("sendMessage", lambda c: "Reindex done" in c.text, 30)
            # Documents with path-like names, and removals of path-like names.
            admin = private_chat(ADMIN)
            upload = b"Upload\n\nA paragraph about the capybara pond, sent from the chat.\n"
            for text in PATHLIKE:
                msg = api.document(admin, ADMIN, upload, text)
                api.wait_reply(msg, timeout=30)
                msg = api.message(admin, ADMIN, f"/remove {text}")
                api.wait_reply(msg, timeout=30)
            for text in ("leak.txt", "outdir/secret.txt", "outdir.txt", "../outside/secret.txt"):
                api.wait_reply(api.message(admin, ADMIN, f"/remove {text}"), timeout=30)
            msg = api.document(private_chat(MEMBER), MEMBER, upload, "../../member.md")
            api.wait_reply(msg, timeout=15)
            api.wait_reply(api.message(admin, ADMIN, "/remove uploads/passwd.txt"), timeout=30)
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=10)
        outputs.append(output)
        events = []
        for log in ("index.log", "ask.log", "run.log"):
            events += [ast.literal_eval(line) for line in (top / log).read_text().splitlines()]
        yield Session(
            top=top,
            project=project,
            outside=outside,
            events=events,
            outputs=outputs,
            bot_texts=[str(c.params) for c in api.calls],
            calls=list(api.calls),
            returncode=proc.returncode,
            cli_stdout=ask.stdout,
        )
    finally:
        api.stop()


def test_hostile_session_was_answered(session: Session) -> None:
    """The session did what the path and token tests below rely on."""
    assert session.returncode == 0, session.outputs[-1]
    index_err = session.outputs[1]
    assert "leak.txt" in index_err and "outdir.txt" in index_err  # warned, naming the links
    lines = [json.loads(line) for line in session.cli_stdout.splitlines()]
    assert [line["question"] for line in lines] == PATHLIKE
    assert not any("quagmirecanary" in json.dumps(line) for line in lines)
    assert "Reindex done" in " ".join(session.bot_texts)
    assert not any("quagmirecanary" in text for text in session.bot_texts)
    texts = [c.text for c in session.calls if c.method == "sendMessage"]
    added = [t for t in texts if t.startswith(("Added", "Replaced"))]
    refused = [t for t in texts if t.startswith("I cannot add")]
    assert len(added) + len(refused) == len(PATHLIKE)  # one reply each
    assert all(re.search(r"<code>uploads/[^/<]+</code>", t) for t in added)  # plain names
    assert refused == ["I cannot add <b>..\\..\\windows\\win.ini</b>: unsupported type (.ini)."]
    # Each /remove found nothing, or an upload of exactly that name (never a path).
    removed = [t for t in texts if t.startswith("Removed")]
    not_found = [t for t in texts if "no document is named" in t]
    assert len(removed) + len(not_found) == len(PATHLIKE) + 4 + 1
    assert all(re.search(r"File: <code>uploads/[^/<]+</code>", t) for t in removed)
    assert any("<code>uploads/passwd.txt</code>" in t for t in removed)
    assert any("Only admins can add documents" in t for t in texts)
    uploads = session.project / "seeds" / "uploads"
    assert not (uploads / "passwd.txt").exists() and len(os.listdir(uploads)) >= 3
    assert (session.outside / "secret.txt").exists()


def stray_events(
    events: list[tuple[str, str, str | None, int | None]], top: Path, project: Path, outside: Path
) -> list[tuple]:
    """File events outside what the product may touch: reads of seeds/, index/, its config and
    Python's own files (imports), writes only in index/, seeds/uploads/ (documents sent
    through the chat) and the process's own temporary folder (the socket of the fork server
    that starts the reading workers), and never anything under `outside` or any path a user
    named."""
    seeds, index = project / "seeds", project / "index"
    temp = top / "tmp"  # TMPDIR of the session
    uploads = seeds / "uploads"
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def under(path: Path, *roots: Path) -> bool:
        return any(path == r or path.is_relative_to(r) for r in roots)

    stray = []
    for event, raw, mode, flags in events:
        path = Path(os.path.normpath(project / raw))  # relative paths are from the cwd
        real = Path(os.path.realpath(path))
        if (
            under(path, outside)
            or under(real, outside)
            or "/etc/" in raw
            or Path(raw).name == "passwd"
        ):
            stray.append((event, raw))
            continue
        writes = event not in ("open", "os.listdir", "os.scandir", "glob.glob", "os.chdir")
        if event == "open":
            writes = bool(mode and set(mode) & set("wax+")) or bool(flags and flags & write_flags)
        if writes:
            if not under(real, index, uploads, temp):
                stray.append((event, raw, mode))
            continue
        readable = (
            under(real, seeds, index, temp, project / "config.yaml", REPO / "bot", *prefixes)
            or real in (project, REPO, top, top / "audit")  # sys.path entries, for imports
            or str(real).startswith("/dev/")
        )
        if not readable:
            stray.append((event, raw, mode))
    return stray


def test_nothing_outside_seeds_and_index_is_touched(session: Session) -> None:
    project = session.project
    stray = stray_events(session.events, session.top, project, session.outside)
    assert stray == [], stray[:20]
    opened = {Path(os.path.normpath(project / raw)) for _, raw, _, _ in session.events}
    assert project / "seeds" / "000_0bb3462efa02c320.txt" in opened  # the hook saw real reads
    assert any(p.parent == project / "index" and p.suffix == ".seg" for p in opened)


def test_the_path_check_can_fail(session: Session) -> None:
    top, project, outside = session.top, session.project, session.outside
    bad = [
        ("open", str(outside / "secret.txt"), "r", 0),
        ("open", str(project / "seeds" / "leak.txt"), "r", 0),  # the link out, followed
        ("open", "/etc/passwd", "r", 0),
        ("open", str(top / "elsewhere.txt"), "r", 0),
        ("open", str(project / "seeds" / "x.txt"), "w", None),  # a write into seeds/
        ("os.replace", str(project / "seeds" / "uploads" / ".." / "x.txt"), None, None),
        ("os.remove", str(project / "seeds" / "000_0bb3462efa02c320.txt"), None, None),
        ("os.remove", str(project / "config.yaml"), None, None),
        ("os.mkdir", str(top / "new"), None, None),
    ]
    assert len(stray_events(bad, top, project, outside)) == len(bad)


def test_the_token_never_appears_in_output_files_or_messages(session: Session) -> None:
    forms = [TOKEN, quote(TOKEN, safe=""), TOKEN.split(":", 1)[1]]
    for output in session.outputs:
        assert not [f for f in forms if f in output]
    for text in session.bot_texts:
        assert not [f for f in forms if f in text]
    written = [p for p in session.top.rglob("*") if p.is_file() and not p.is_symlink()]
    assert any(p.suffix == ".seg" for p in written)
    for path in written:
        data = path.read_bytes()
        assert not [f for f in forms if f.encode() in data], path


def test_a_rejected_token_is_reported_without_showing_it(tmp_path: Path, built: Path) -> None:
    shutil.copytree(built, tmp_path / "b")
    config = tmp_path / "b" / "config.yaml"
    config.write_text("seeds_dir: seeds\nindex_dir: index\n")
    with BotAPI("999999:a-different-token") as api:  # answers 401 to our token
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "PYTHONPATH": str(REPO),
        }
        result = subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "rejected the bot token" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert TOKEN.split(":", 1)[1] not in result.stderr + result.stdout


# ---------------------------------------------------------------------------------------------
# Seed files


def cli(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_CONFIG", "TELEGRAM_BOT_TOKEN")}
    env.update(PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


# name -> a word only that file holds (files that must be indexed despite their names)
ODD_NAMES = {
    "with spaces.txt": "aardvarkone",
    "ünïcödé ✓.txt": "aardvarktwo",
    "-leading-dash.txt": "aardvarkthree",
    "new\nline.txt": "aardvarkfour",
    "tab\tname.md": "aardvarkfive",
    "UPPER.TXT": "aardvarksix",
    "emoji 😀.md": "aardvarkseven",
    "quote'\"name.txt": "aardvarkeight",
    "folder.txt/inside.txt": "aardvarknine",
    "sub/deeper/nested.md": "aardvarkten",
}


def test_bad_seed_files_are_skipped_with_a_warning_and_the_rest_indexed(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (tmp_path / "config.yaml").write_text("seeds_dir: seeds\nindex_dir: index\n")
    for name, word in ODD_NAMES.items():
        (seeds / name).parent.mkdir(parents=True, exist_ok=True)
        (seeds / name).write_text(f"Odd {word}\n\nThe {word} file has a strange name indeed.\n")
    bad = {
        "binary.txt": "image (PNG)",
        "noise.txt": "binary",
        "empty.txt": "empty",
        "blank.md": "no text",
        "huge.txt": "too big",
        "loop.txt": "broken or looping link",
        "ping.txt": "broken or looping link",
        "dangling.txt": "broken or looping link",
        "outside.txt": "links outside the seeds folder",
        "bad\udcffname.txt": "not valid UTF-8",
        "notes.pdf": "corrupt PDF",
        "table.csv": "unsupported type",
    }
    (seeds / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    (seeds / "noise.txt").write_bytes(bytes(range(256)) * 50)
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "blank.md").write_bytes(b"  \n\n\t\n")
    with (seeds / "huge.txt").open("wb") as f:
        f.truncate(60 * 1024 * 1024)  # 60 MB (sparse: a size check, not a read, must catch it)
    (seeds / "loop.txt").symlink_to(seeds / "loop.txt")
    (seeds / "ping.txt").symlink_to(seeds / "pong.txt")
    (seeds / "pong.txt").symlink_to(seeds / "ping.txt")
    (seeds / "dangling.txt").symlink_to(seeds / "nowhere.txt")
    (tmp_path / "secret.txt").write_text("Secret\n\nThe zebracanary passage must not be read.\n")
    (seeds / "outside.txt").symlink_to(tmp_path / "secret.txt")
    (seeds / os.fsdecode(b"bad\xffname.txt")).write_text("Bad\n\nA name that is not UTF-8.\n")
    (seeds / "table.csv").write_text("name,value\nzebracanary,1\n")
    # Other encodings are read, not skipped.
    (seeds / "latin1.txt").write_bytes("Café\n\nCrème brûlée, naïve gnuwombat.".encode("latin-1"))
    (seeds / "utf16.txt").write_text("Title\n\nSome text about the ocelotfinch.", encoding="utf-16")
    # One enormous line (~1 MB) without sentence ends.
    (seeds / "oneline.txt").write_text("One line\n\n" + "the capybara ledger entry " * 40_000)
    (seeds / ".hidden.txt").write_text("Hidden\n\nHidden files are not seeds.\n")
    (seeds / "~$report.docx").write_bytes(b"an Office lock file")
    (seeds / "notes.pdf").write_bytes(b"%PDF-1.4")

    result = cli(tmp_path, "index")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for name, reason in bad.items():
        shown = name.replace("\udcff", "\\xff")
        line = next((x for x in result.stderr.splitlines() if shown in x and reason in x), None)
        assert line is not None, f"no warning naming {shown!r} ({reason}): {result.stderr}"
    good = 5 + len(ODD_NAMES) + 3  # shipped, odd names, one enormous line, Latin-1, UTF-16
    assert f"{good} documents" in result.stdout and f"{good} added" in result.stdout

    assert "hidden" not in result.stderr and "~$report" not in result.stderr
    questions = [*ODD_NAMES.values(), "capybara ledger", "zebracanary", "gnuwombat", "ocelotfinch"]
    asked = cli(tmp_path, "ask", "--json", "--limit", "1", "-", stdin="\n".join(questions))
    assert asked.returncode == 0, asked.stderr
    hits = {line["question"]: line["hits"] for line in map(json.loads, asked.stdout.splitlines())}
    for name, word in ODD_NAMES.items():
        assert [h["doc"] for h in hits[word]] == [name]
    assert hits["capybara ledger"][0]["doc"] == "oneline.txt"
    assert hits["gnuwombat"][0]["doc"] == "latin1.txt"
    assert hits["ocelotfinch"][0]["doc"] == "utf16.txt"
    assert hits["zebracanary"] == []


def test_one_enormous_line_of_sentences_is_read_in_linear_work(monkeypatch) -> None:
    """Work is counted, not timed: characters handed to the regex engine per character of
    text. A spy on bot.text's `re` module passes every call through unchanged."""
    import re

    import bot.text
    from bot.corpus import make_documents
    from bot.readers.plaintext import parse

    scanned = [0]

    class CountingRe:
        def __getattr__(self, name: str):
            return getattr(re, name)

        def search(self, pattern, string, *args, **kwargs):
            scanned[0] += len(string)
            return re.search(pattern, string, *args, **kwargs)

    monkeypatch.setattr(bot.text, "re", CountingRe())
    text = "One line\n\n" + "The capybara ledger records one more entry, without a break. " * 400
    (article,) = make_documents("oneline.txt", parse(text))
    assert len(article.passages) > 10
    assert scanned[0] <= 20 * len(text), scanned[0] / len(text)


def test_unreadable_seed_file() -> None:
    if os.geteuid() == 0:
        pytest.skip(
            "the tests run as root here, and chmod 000 does not stop root reading a file; "
            "read_seed turns any OSError into 'skipped NAME: cannot be read (...)'"
        )
    with pytest.raises(AssertionError):  # pragma: no cover - only as a non-root user
        raise AssertionError("run tests/test_corpus.py::test_unreadable_file_is_skipped")


@pytest.mark.parametrize("where", [".team/seeds", "../.team/seeds", "../docs"])
def test_seeds_folder_under_a_hidden_folder_or_given_with_dotdot(
    tmp_path: Path, where: str
) -> None:
    """Only names inside the seeds folder make a file hidden; this indexed nothing before."""
    base = tmp_path / "conf"
    base.mkdir()
    seeds = Path(os.path.normpath(base / where))
    shutil.copytree(SEEDS, seeds)
    raw = {"seeds_dir": where, "index_dir": "index"}
    library = Library(settings_from_mapping(raw, base, {}))
    try:
        assert library.reindex().added == 5
        assert library.ask("Baghouz").results
    finally:
        library.close()


# ---------------------------------------------------------------------------------------------
# Configuration (tests/test_config.py and tests/test_cli.py cover the rest)


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("seeds_dir: seeds\nindex_dir: config.yaml\n", ["index_dir", "not a folder"]),
        ("seeds_dir: seeds\nindex_dir: config.yaml/index\n", ["index_dir", "not a folder"]),
        ("seeds_dir: config.yaml\n", ["seeds_dir", "not found"]),
        ("answers: 3\n", ["answers", "mapping"]),
        ("access:\n  admins: [1.5]\n", ["access.admins"]),
        ("telegram:\n  base_url: 5\n", ["telegram.base_url"]),
        ("index_wait_seconds: '10'\n", ["index_wait_seconds"]),
        ("seeds_dir: seeds\n\tindex_dir: index\n", ["not valid YAML"]),
        ("seeds_dir: seeds\nseeds_dir: [a\n", ["not valid YAML"]),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    tmp_path: Path, config: str, words: list[str]
) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    (tmp_path / "config.yaml").write_text(config)
    result = cli(tmp_path, "index")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(word in lines[0] for word in words), lines


def test_config_folder_and_unknown_keys(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    (tmp_path / "folder.yaml").mkdir()
    result = cli(tmp_path, "--config", "folder.yaml", "index")
    assert result.returncode == 2 and "is a folder" in result.stderr
    (tmp_path / "config.yaml").write_text(
        "seeds_dir: seeds\nindex_dir: index\nseed_dir: typo\nanswers:\n  perpage: 5\n"
    )
    result = cli(tmp_path, "index")
    assert result.returncode == 0, result.stderr
    assert "'seed_dir'" in result.stderr and "'answers.perpage'" in result.stderr
    assert "5 added" in result.stdout


# ---------------------------------------------------------------------------------------------
# Odd chat input (tests/chat/ covers the common cases)


def test_forged_and_stale_button_data(root: Path) -> None:
    with running_bot(root) as bot:
        api = bot.api
        _, first = bot.ask(private_chat(MEMBER), MEMBER, QUESTION)
        message = api.bot_message(first)
        key = button(first, "More").split(":")[1]
        cases = {
            f"pg:{key}:999": "No more results",
            f"pg:{key}:-1": "expired",
            f"pg:{key}:1:x": "expired",
            f"pg:{key.swapcase()}:1": "expired",
            f"pg:{key}/../../x:1": "expired",
            "pg:": "expired",
            "x" * 64: "not valid",
            "\u202e:gp": "not valid",
        }
        for data, expected in cases.items():
            call = answered(api, api.press(MEMBER, message, data))
            assert expected in call.params["text"], data
        # A button with no data at all (a game button).
        query_id = "cq-game"
        with api._cond:
            api._queries.add(query_id)
        api.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": MEMBER,
                    "message": message,
                    "chat_instance": "ci",
                    "game_short_name": "tetris",
                }
            }
        )
        assert "not valid" in answered(api, query_id).params["text"]
        assert api.requests("editMessageText") == []
        assert all(c.status == 200 for c in api.requests("answerCallbackQuery"))
        # The real button still works after all that.
        answered(api, api.press(MEMBER, message, f"pg:{key}:1"))
        assert api.wait_for("editMessageText").text.startswith("Results 4–6 of ")


def test_odd_commands_edits_and_forwards(root: Path) -> None:
    with running_bot(root) as bot:
        api, me = bot.api, bot.username
        chat = private_chat(MEMBER)
        expectations = {
            f"/ask@{me}": "question in words",
            "/ask" + " " * 100: "question in words",
            "/ask " + "😀" * 3000: "question in words",
            "/ASK Baghouz": "<b>Baghouz</b>",
            "/ask\nBaghouz": "<b>Baghouz</b>",
            f"/ask@{me}@evil Baghouz": "<b>Baghouz</b>",
            "/start deep-link-payload": "How to ask",
            "/help me please": "How to ask",
            "/sources of everything": "articles",
            "/ask " + "q" * 5000: "Nothing found",
        }
        for text, expected in expectations.items():
            _, reply = bot.ask(chat, MEMBER, text)
            assert expected in reply.text, (text[:40], reply.text[:200])
        ignored = [api.message(chat, MEMBER, "/help@other_bot")]
        api.push(edited(chat, MEMBER, "Baghouz"))
        api.push(edited(TEAM, MEMBER, f"@{me} Baghouz", message_id=90_002))
        channel = {"type": "channel", "chat": {"id": -100777, "type": "channel", "title": "N"},
                   "message_id": 5, "date": int(time.time())}  # fmt: skip
        _, reply = bot.ask(chat, MEMBER, "Kurdish forces", forward_origin=channel)
        assert "<b>Kurdish</b>" in reply.text
        settle(bot, chat, MEMBER)
        for msg in ignored:
            assert api.replies_to(msg) == []
        assert not [c for c in api.requests("sendMessage") if c.reply_to == 90_000]
        assert bot.library.questions.count("Baghouz") == 2  # /ASK and /ask + newline
        assert "@evil Baghouz" in bot.library.questions


def test_html_and_markdown_in_questions_are_escaped(root: Path) -> None:
    with running_bot(root) as bot:
        chat = private_chat(MEMBER)
        hostile = '[zzqx](http://evil.example) *qwpl* <a href="http://evil.example">x</a> &lt;'
        _, reply = bot.ask(chat, MEMBER, hostile)  # the stand-in rejects invalid HTML
        assert reply.text.startswith("Nothing found")
        assert "<a " not in reply.text and "&lt;a href=" in reply.text
        assert "[zzqx](http://evil.example) *qwpl*" in reply.text  # Markdown stays literal
        assert "&amp;lt;" in reply.text

        _, reply = bot.ask(chat, MEMBER, "smuglers <b>idlib</b> `code` _x_")
        assert "<i>smugglers &lt;b&gt;idlib" in reply.text and "search instead for" in reply.text
        assert "&lt;b&gt;" in reply.text

        for text in ("Baghouz " + "🙂" * 4000, "\u202eBaghouz\u200b\u2066 & <>"):
            _, reply = bot.ask(chat, MEMBER, text)
            assert "<b>Baghouz</b>" in reply.text
        assert [c.status for c in bot.api.requests("sendMessage")] == [200] * 4
