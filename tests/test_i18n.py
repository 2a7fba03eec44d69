"""The bot's own words in other languages (bot/i18n.py, bot/locale/*.po)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.answer import Answer, render_html
from bot.i18n import ENGLISH, available, parse_po, translation

REPO = Path(__file__).resolve().parent.parent
LOCALE = REPO / "bot" / "locale"
PLACEHOLDER = re.compile(r"\{\w+\}")


def messages_in_code() -> set[str]:
    """Every literal the code passes to gettext (`_(...)` or `.gettext(...)`), and the command
    descriptions and admin-only refusals it translates by name."""
    found: set[str] = set()
    for path in (REPO / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            named = (isinstance(func, ast.Name) and func.id == "_") or (
                isinstance(func, ast.Attribute) and func.attr == "gettext"
            )
            if named and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
    from bot.chat.access import ADMINS_ONLY
    from bot.chat.commands import COMMANDS

    return found | set(ADMINS_ONLY.values()) | {text for _, text in COMMANDS}


def test_every_catalog_translates_every_message_and_keeps_its_placeholders() -> None:
    wanted = messages_in_code()
    assert len(wanted) > 30
    assert available() == {"de", "fr", "es", "ru"}
    for path in LOCALE.glob("*.po"):
        catalog = parse_po(path.read_text(encoding="utf-8"))
        assert set(catalog) == wanted, path.name
        same = [msgid for msgid, msgstr in catalog.items() if msgstr == msgid]
        assert len(same) <= 2, (path.name, same)  # "p. {page}" may be right as it is
        for msgid, msgstr in catalog.items():
            assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid))


def test_unknown_languages_get_english() -> None:
    assert translation("pt-br") is ENGLISH and translation(None) is ENGLISH
    german = translation("de-AT").gettext("Results {span} of {total}")
    assert german == "Ergebnisse {span} von {total}"


@pytest.mark.parametrize(
    ("language", "head"),
    [("de", "Nichts gefunden für"), ("ru", "Ничего не найдено"), ("en", "Nothing found for")],
)
def test_answers_speak_the_language_given(language: str, head: str) -> None:
    answer = Answer("zzqx <b>", (), 0, 0)
    message = render_html(answer, language=translation(language))
    assert message.startswith(head) and "zzqx &lt;b&gt;" in message
