"""The bot's commands: the menu Telegram shows, and recognising a command meant for us."""

from __future__ import annotations

import re

from telegram import Message

COMMANDS = (
    ("ask", "Ask the documents a question"),
    ("sources", "List the articles I know"),
    ("help", "What I know and how to ask"),
    ("reindex", "Re-read the documents (admins only)"),
)
KNOWN_COMMANDS = frozenset(name for name, _ in COMMANDS) | {"start"}

COMMAND = re.compile(r"^/(\w+)(?:@(\w+))?", re.ASCII)


def command_of(message: Message, username: str) -> str | None:
    """The command at the start of the message if it is for us: /cmd or /cmd@us."""
    text = message.text or ""
    match = COMMAND.match(text)
    if match is None:
        return None
    target = match.group(2)
    if target is not None and target.lower() != username.lower():
        return None
    return match.group(1).lower()
