"""Which language the bot speaks to a user: the user's Telegram language, when the bot has a
catalog for it and the library holds documents in it; English otherwise.

Only languages the documents are in: a team whose documents are English gets the bot's words in
English whatever their phones are set to, so answers and the bot's own words match.
"""

from __future__ import annotations

import gettext

from telegram import User

from bot.i18n import ENGLISH, translation
from bot.library import Library


def language_for(user: User | None, library: Library) -> gettext.NullTranslations:
    found = translation(user.language_code if user is not None else None)
    if found is ENGLISH or getattr(found, "language", None) not in library.languages():
        return ENGLISH
    return found
