"""The bot's commands: the menu Telegram shows, and recognising a command meant for us."""

from __future__ import annotations

import re

from telegram import Message

COMMANDS = (
    ("ask", "Ask the documents a question"),
    ("sources", "List the documents I know"),
    ("help", "What I know and how to ask"),
    ("add", "Add a document: send it as a file (admins only)"),
    ("remove", "Remove a document by its file name (admins only)"),
    ("reindex", "Re-read the documents (admins only)"),
)
KNOWN_COMMANDS = frozenset(name for name, _ in COMMANDS) | {"start"}
ADMIN_COMMANDS = frozenset({"add", "remove", "reindex"})

COMMAND = re.compile(r"^/(\w+)(?:@(\w+))?", re.ASCII)


def command_of(message: Message, username: str) -> str | None:
    """The command at the start of the message (or of a file's caption) if it is for us:
    /cmd or /cmd@us."""
    text = message.text or message.caption or ""
    match = COMMAND.match(text)
    if match is None:
        return None
    target = match.group(2)
    if target is not None and target.lower() != username.lower():
        return None
    return match.group(1).lower()


def argument_of(message: Message) -> str:
    """What follows the command, whitespace kept inside (a file name may have spaces)."""
    text = message.text or ""
    return COMMAND.sub("", text, count=1).strip() if COMMAND.match(text) else text.strip()
