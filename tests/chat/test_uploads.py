"""Documents sent by admins (bot/chat/uploads.py): checked, downloaded through PTB from the
stand-in's file route, added to the library and confirmed; refused with one short reply when
they cannot be; one at a time per admin; waiting for a reindex."""

from __future__ import annotations

import html
import io
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.chat import uploads
from bot.index import open_index
from tests.botapi import Call, private_chat
from tests.harness import (
    ADMIN,
    MEMBER,
    QUESTION,
    TEAM,
    WAIT,
    ProbeLibrary,
    Running,
    button,
    wait_log,
)

pytestmark = pytest.mark.timeout(90)

NOTE = (
    "Zanzibar Notes\n\nby Test Writer\n\n"
    "The zanzibar ferry leaves at dawn every day from the old harbour, and the crossing "
    "takes two hours when the sea is calm.\n\n"
    "Spices from zanzibar are sold in the old town market every morning: cloves, nutmeg "
    "and cinnamon, weighed by hand.\n"
)
MB = 1024 * 1024


def send(bot: Running, data: bytes, name: str | None, chat: dict | None = None, **extra) -> dict:
    return bot.api.document(chat or private_chat(ADMIN), ADMIN, data, name, **extra)


def reply_to(bot: Running, msg: dict, timeout: float = WAIT) -> Call:
    return bot.api.wait_reply(msg, timeout=timeout)


def passage_keys(bot: Running) -> set[tuple[str, int, int]]:
    ix = open_index(bot.root / "index")
    with ix.searcher() as s:
        return {
            (f["doc"], f["part"], f["passage"]) for f in s.all_stored_fields() if "passage" in f
        }


def uploads_left(bot: Running) -> list[str]:
    """Everything in seeds/uploads, hidden temporary files included."""
    folder = bot.root / "seeds" / "uploads"
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_an_admins_document_is_added_confirmed_and_answers(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    msg = send(bot, NOTE.encode(), "Zanzibar Notes.md", mime_type="text/markdown")
    reply = reply_to(bot, msg)
    added = [s for s in bot.library.sources() if s.doc == "uploads/Zanzibar Notes.md"]
    assert len(added) == 1
    assert reply.text == (
        "Added <b>Zanzibar Notes</b>\n"
        f"File: <code>uploads/Zanzibar Notes.md</code> · {added[0].passages} passages"
    )
    assert reply.params["parse_mode"] == "HTML"
    assert [c.params["file_id"] for c in bot.api.requests("getFile")] == [
        msg["document"]["file_id"]
    ]
    assert (bot.root / "seeds" / "uploads" / "Zanzibar Notes.md").read_text() == NOTE
    _, answer = bot.ask(private_chat(MEMBER), MEMBER, "when does the zanzibar ferry leave?")
    assert "<i>Zanzibar Notes</i>" in answer.text
    line = wait_log(caplog, "document added by admin")
    assert str(ADMIN["id"]) in line and "uploads/Zanzibar Notes.md" in line


def test_the_same_name_replaces_it_and_old_buttons_go_stale(bot: Running) -> None:
    reply_to(bot, send(bot, NOTE.encode(), "z.md"))
    _, old = bot.ask(private_chat(MEMBER), MEMBER, QUESTION)
    newer = NOTE.replace("dawn", "noon")
    again = reply_to(bot, send(bot, newer.encode(), "z.md"))
    assert again.text.startswith("Replaced <b>Zanzibar Notes</b>")
    assert "<code>uploads/z.md</code>" in again.text
    _, answer = bot.ask(private_chat(MEMBER), MEMBER, "zanzibar ferry dawn noon")
    assert "<b>noon</b>" in answer.text and "dawn" not in answer.text  # old passages gone
    query = bot.api.press(MEMBER, bot.api.bot_message(old), button(old, "More"))
    call = bot.api.wait_for("answerCallbackQuery", lambda c: c.params["callback_query_id"] == query)
    assert "re-indexed" in call.params["text"]


def test_in_a_group_only_files_captioned_add_are_taken(bot: Running) -> None:
    me = bot.username
    ignored = [
        send(bot, NOTE.encode(), "plain.md", chat=TEAM),
        send(bot, NOTE.encode(), "mention.md", chat=TEAM, caption=f"@{me} what is this?"),
        send(bot, NOTE.encode(), "other.md", chat=TEAM, caption="/add@other_helper_bot"),
        send(bot, NOTE.encode(), "ask.md", chat=TEAM, caption=f"/ask@{me} ferry"),
    ]
    bare = reply_to(bot, send(bot, NOTE.encode(), "bare.md", chat=TEAM, caption="/add"))
    named = reply_to(
        bot, send(bot, NOTE.encode(), "named.md", chat=TEAM, caption=f"/add@{me} handbook")
    )
    assert "<code>uploads/bare.md</code>" in bare.text
    assert "<code>uploads/named.md</code>" in named.text
    bot.assert_silent(*ignored)
    assert uploads_left(bot) == ["bare.md", "named.md"]
    assert len(bot.api.requests("getFile")) == 2


def test_a_file_without_a_name_gets_one_from_its_type(bot: Running) -> None:
    reply = reply_to(bot, send(bot, NOTE.encode(), None, mime_type=None))
    assert "<code>uploads/document.txt</code>" in reply.text


def test_hostile_names_are_cleaned_and_nothing_outside_uploads_is_written(bot: Running) -> None:
    outside = bot.root / "x.md"
    outside.write_text("outside")
    names = ["../../x.md", "..\\..\\x.md", "/etc/x.md", "a\x00b\u202e.md", "y" * 600 + ".md"]
    replies = [reply_to(bot, send(bot, NOTE.encode(), name)) for name in names]
    docs = [re.search(r"<code>(.*?)</code>", r.text).group(1) for r in replies]
    assert docs[:4] == ["uploads/x.md", "uploads/x.md", "uploads/x.md", "uploads/ab.md"]
    assert docs[4].startswith("uploads/yyy") and len(docs[4]) < 200
    assert "Replaced" in replies[1].text  # the same clean name
    assert uploads_left(bot) == sorted({d.split("/", 1)[1] for d in docs})
    assert outside.read_text() == "outside"
    assert sorted(p.name for p in bot.root.iterdir()) == ["index", "seeds", "x.md"]


# --- refusals --------------------------------------------------------------------------------


def test_a_declared_size_over_the_limit_is_refused_before_downloading(bot: Running) -> None:
    msg = send(bot, NOTE.encode(), "big.md", file_size=25 * MB)
    reply = reply_to(bot, msg)
    assert "25.0 MB" in reply.text and "up to 20 MB" in reply.text
    assert bot.api.requests("getFile") == [] and bot.api.downloads() == []
    assert uploads_left(bot) == []


def test_a_raised_limit_meets_the_cloud_bot_apis_own(start_bot: Callable[..., Running]) -> None:
    """uploads.max_mb is for a self-hosted Bot API server; the cloud one refuses getFile."""
    bot = start_bot(uploads={"max_mb": 100})
    reply = reply_to(bot, send(bot, NOTE.encode(), "big.md", file_size=30 * MB))
    assert "will not hand" in reply.text and "too big" in reply.text.lower()
    assert bot.api.downloads() == [] and uploads_left(bot) == []


def test_a_file_bigger_than_declared_is_not_downloaded_past_the_limit(
    start_bot: Callable[..., Running],
) -> None:
    bot = start_bot(uploads={"max_mb": 1})
    before = passage_keys(bot)
    data = (NOTE * 20_000).encode()[: int(1.5 * MB)]
    reply = reply_to(bot, send(bot, data, "liar.md", file_size=1000))
    assert "1.5 MB" in reply.text and "up to 1 MB" in reply.text
    assert len(bot.api.downloads()) == 1  # refused on the length, before the body
    assert uploads_left(bot) == [] and passage_keys(bot) == before


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the header of .doc, .xls and .ppt files


@pytest.mark.parametrize(
    ("name", "data", "mime", "reason"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png", "image (PNG)"),
        ("notes.txt", b"MZ\x90\x00" + bytes(200), "text/plain", "program"),
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf", "PDF"),
        ("old.doc", OLE + bytes(200), "application/msword", "legacy Office"),
        ("empty.txt", b"", "text/plain", "empty"),
    ],
)
def test_an_unreadable_file_gets_one_short_reply_and_is_not_kept(
    bot: Running, name: str, data: bytes, mime: str, reason: str
) -> None:
    before = passage_keys(bot)
    msg = send(bot, data, name, mime_type=mime)
    reply = reply_to(bot, msg)
    assert reply.text.startswith(f"I cannot add <b>{html.escape(name)}</b>: ")
    assert html.escape(reason) in reply.text and len(reply.text) < 200
    bot.assert_silent()
    assert len(bot.api.replies_to(msg)) == 1
    assert uploads_left(bot) == [] and passage_keys(bot) == before


def test_a_download_failing_midway_leaves_nothing_behind(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    before = passage_keys(bot)
    msg = send(bot, NOTE.encode(), "z.md", fail_after=40)
    reply = reply_to(bot, msg)
    assert "download" in reply.text and "send it again" in reply.text
    assert bot.api.downloads()[0].result == 40  # the stand-in really hung up midway
    wait_log(caplog, "download of z.md from admin")
    assert uploads_left(bot) == [] and passage_keys(bot) == before
    again = reply_to(bot, send(bot, NOTE.encode(), "z.md"))  # sent again: fine
    assert again.text.startswith("Added")


# --- one at a time ---------------------------------------------------------------------------


def test_a_flood_from_one_admin_is_handled_one_at_a_time_and_bounded(bot: Running) -> None:
    bot.api.stall_next("getFile", 1.5)  # the first file holds the queue while the rest arrive
    count = uploads.MAX_QUEUED + 4
    sent = [
        send(bot, NOTE.replace("Zanzibar", f"Isle{n}").encode(), f"f{n}.md") for n in range(count)
    ]
    replies = [reply_to(bot, msg, timeout=30) for msg in sent]
    _, answer = bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")  # others were never held up
    assert "<b>Baghouz</b>" in answer.text
    added = [r for r in replies if r.text.startswith("Added")]
    refused = [r for r in replies if "still reading" in r.text]
    assert len(added) == uploads.MAX_QUEUED and len(refused) == count - uploads.MAX_QUEUED
    assert all(r.reply_to == m["message_id"] for r, m in zip(replies, sent, strict=True))
    # Serial: each file is fetched only after the previous one was confirmed.
    fetched = bot.api.requests("getFile")
    assert [c.params["file_id"] for c in fetched] == [
        m["document"]["file_id"] for m, r in zip(sent, replies, strict=True) if r in added
    ]
    for previous, following in zip(added, fetched[1:], strict=False):
        assert following.at >= previous.done
    assert len(uploads_left(bot)) == uploads.MAX_QUEUED


class SlowReindex(ProbeLibrary):
    """A reindex that, once it holds the write lock, waits for the test's go."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.go = threading.Event()
        self.holding = threading.Event()

    def _reindex(self, *args, **kwargs):
        self.holding.set()
        assert self.go.wait(WAIT * 3), "the test never let the reindex finish"
        return super()._reindex(*args, **kwargs)


def test_an_upload_during_a_slow_reindex_waits_its_turn(start_bot: Callable[..., Running]) -> None:
    bot = start_bot(library_class=SlowReindex)
    library: SlowReindex = bot.library  # type: ignore[assignment]
    reindex = bot.api.message(private_chat(ADMIN), ADMIN, "/reindex")
    assert library.holding.wait(WAIT)
    msg = send(bot, NOTE.encode(), "z.md")
    bot.api.wait_for("download", status=200)
    _, answer = bot.ask(private_chat(MEMBER), MEMBER, "Baghouz")  # questions go on
    assert "<b>Baghouz</b>" in answer.text
    bot.assert_silent(msg)  # waiting, not failing
    library.go.set()
    added = reply_to(bot, msg, timeout=20)
    done = bot.api.wait_for(
        "sendMessage", lambda c: c.reply_to == reindex["message_id"] and "done" in c.text
    )
    assert added.text.startswith("Added") and done.at <= added.at


def test_an_upload_that_waits_too_long_is_told_so(
    start_bot: Callable[..., Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "UPLOAD_WAIT", 0.3)
    bot = start_bot(library_class=SlowReindex)
    library: SlowReindex = bot.library  # type: ignore[assignment]
    bot.api.message(private_chat(ADMIN), ADMIN, "/reindex")
    assert library.holding.wait(WAIT)
    reply = reply_to(bot, send(bot, NOTE.encode(), "z.md"), timeout=20)
    assert "reindex is still running" in reply.text and "again" in reply.text
    library.go.set()
    assert uploads_left(bot) == []


def test_add_without_a_file_says_how(bot: Running) -> None:
    _, reply = bot.ask(private_chat(ADMIN), ADMIN, "/add")
    assert "as a file" in reply.text and "caption" in reply.text and "20 MB" in reply.text


def test_the_uploaded_bytes_are_what_the_stand_in_served(bot: Running, tmp_path: Path) -> None:
    data = ("Ünïcödé Notes\n\n" + "Zanzibar ferries carry 🚢 passengers daily. " * 50).encode()
    reply_to(bot, send(bot, data, "u.txt"))
    assert (bot.root / "seeds" / "uploads" / "u.txt").read_bytes() == data


def make_pdf() -> bytes:
    """Three pages with a roman front page label and an outline, as a real manual has."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.set_title("Ferry Operations Manual")
    pdf.set_author("Harbour Office")
    for number, text in enumerate(
        [
            "This manual explains how the harbour office runs the island ferries.",
            "The zanzibar ferry leaves at dawn every day from the old harbour, and the "
            "crossing takes two hours when the sea is calm.",
            "Tickets are sold at the pier from five in the morning and cost ten dollars.",
        ]
    ):
        pdf.add_page()
        if number == 0:
            pdf.set_page_label(label_style="r")
        elif number == 1:
            pdf.set_page_label(label_style="D", label_start=1)
            pdf.start_section("Departures")
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Spice Market Guide"
    document.core_properties.author = "Market Board"
    document.add_heading("Opening hours", level=1)
    document.add_paragraph(
        "Spices from zanzibar are sold in the old town market every morning, weighed by hand."
    )
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Spice", "Price"), ("Cloves", "3 dollars")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_pdf_is_added_with_its_pages_and_cited_by_page(bot: Running) -> None:
    msg = send(bot, make_pdf(), "manual.pdf", mime_type="application/pdf")
    reply = reply_to(bot, msg)
    assert reply.text.startswith("Added <b>Ferry Operations Manual</b>")
    assert "<code>uploads/manual.pdf</code>" in reply.text and "from 3 pages" in reply.text
    _, answer = bot.ask(private_chat(MEMBER), MEMBER, "when does the zanzibar ferry leave")
    assert "(uploads/manual.pdf)" in answer.text and "p. 1" in answer.text
    assert "§ Departures" in answer.text and "Harbour Office" in answer.text


def test_a_docx_sent_with_a_wrong_name_is_stored_under_its_type(bot: Running) -> None:
    msg = send(bot, make_docx(), "guide.pdf", mime_type="application/pdf")  # the name lies
    reply = reply_to(bot, msg)
    assert reply.text.startswith("Added <b>Spice Market Guide</b>")
    assert "<code>uploads/guide.docx</code>" in reply.text
    assert (bot.root / "seeds" / "uploads" / "guide.docx").exists()
    _, answer = bot.ask(private_chat(MEMBER), MEMBER, "price of cloves")
    assert "Cloves | 3 dollars" in html.unescape(re.sub("</?b>", "", answer.text))
    assert "§ Opening hours" in answer.text
