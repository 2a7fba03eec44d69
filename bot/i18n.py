"""The bot's own fixed messages in its users' languages, through the standard library's gettext.

Catalogs are plain gettext .po files in bot/locale/ (one per language, edited by hand or with any
PO editor). They are read into a `gettext.NullTranslations` subclass, so callers use the usual
`gettext()` and fall back to the English text for any message a catalog lacks. No .mo files are
built or shipped: the .po text is the single source.
"""

from __future__ import annotations

import ast
import gettext
from functools import cache
from importlib import resources

__all__ = ["ENGLISH", "Catalog", "available", "translation"]

ENGLISH = gettext.NullTranslations()


class Catalog(gettext.NullTranslations):
    """One language's messages: msgid -> msgstr, the English text where none is given."""

    def __init__(self, messages: dict[str, str], language: str) -> None:
        super().__init__()
        self._messages = messages
        self.language = language

    def gettext(self, message: str) -> str:
        return self._messages.get(message) or message


@cache
def available() -> frozenset[str]:
    """Languages with a catalog."""
    folder = resources.files("bot") / "locale"
    return frozenset(p.name[:-3] for p in folder.iterdir() if p.name.endswith(".po"))


@cache
def translation(language: str | None) -> gettext.NullTranslations:
    """The catalog of `language` (an ISO 639-1 code, or a Telegram code such as "pt-br"),
    English when there is none."""
    base = (language or "").lower().replace("_", "-").split("-")[0]
    if base not in available():
        return ENGLISH
    text = (resources.files("bot") / "locale" / f"{base}.po").read_text(encoding="utf-8")
    return Catalog(parse_po(text), base)


def parse_po(text: str) -> dict[str, str]:
    """msgid -> msgstr of a .po file (no plurals or contexts: the bot's messages have none)."""
    messages: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                messages[key] = value

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("msgid "):
            flush()
            msgid, msgstr = [ast.literal_eval(line[6:])], None
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [ast.literal_eval(line[7:])]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        elif not line or line.startswith("#"):
            continue
    flush()
    return messages
