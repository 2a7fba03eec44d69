"""Who may talk to the bot, decided in one place for every update.

`Gate` runs first (handler group -1) and lets through only what is addressed to the bot by
someone allowed to do it; everything else stops there, so no handler can forget a check and
handlers never check access themselves. Asking (questions, /sources, paging) needs a place on
the access lists; adding a document (any file sent to the bot), /remove and /reindex need an
admin.
"""

from __future__ import annotations

import gettext
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from telegram import Message, MessageEntity, Update, User
from telegram.constants import ChatType
from telegram.error import NetworkError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.chat.commands import ADMIN_COMMANDS, COMMAND, KNOWN_COMMANDS, command_of
from bot.chat.replies import describe_update, reply
from bot.config import AccessSettings
from bot.i18n import ENGLISH

log = logging.getLogger(__name__)

GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
REFUSAL_COOLDOWN = 15 * 60.0  # seconds: a stranger is told once, not on every message
REFUSAL_MEMORY = 4096
ADMINS_ONLY = {
    "add": "Only admins can add documents. Your user id is {id}.",
    "remove": "Only admins can remove documents. Your user id is {id}.",
    "reindex": "Only admins can /reindex. Your user id is {id}.",
}


class Gate:
    """The access decision: who may ask, who is an admin, what is addressed to the bot."""

    def __init__(
        self,
        access: AccessSettings,
        language: Callable[[User | None], gettext.NullTranslations] = lambda user: ENGLISH,
    ) -> None:
        self.access = access
        self.language = language  # the language to refuse a user in
        self._refused: OrderedDict[int, float] = OrderedDict()

    def may_ask(self, user_id: int, chat_id: int, chat_type: str) -> bool:
        access = self.access
        return (
            access.public
            or user_id in access.admins
            or user_id in access.users
            or (chat_type in GROUPS and chat_id in access.chats)
        )

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.access.admins

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first for every update; raises ApplicationHandlerStop for what may not pass.

        Fails closed: PTB hands an exception from this group to the error handler and then goes
        on to the next group, so a refusal that cannot be sent (Bot API down) must still stop
        the update, or the stranger would be answered after all.
        """
        try:
            await self._check(update, context)
        except ApplicationHandlerStop:
            raise
        except NetworkError as exc:
            log.warning("access check could not reply%s: %s", describe_update(update), exc)
            raise ApplicationHandlerStop from None
        except Exception:
            log.exception("access check failed%s; update dropped", describe_update(update))
            raise ApplicationHandlerStop from None

    async def _check(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        bot = context.bot
        query = update.callback_query
        if query is not None:
            message = query.message
            chat = message.chat if message is not None else None
            chat_id = chat.id if chat else query.from_user.id
            chat_type = chat.type if chat else ChatType.PRIVATE
            if not self.may_ask(query.from_user.id, chat_id, chat_type):
                log.info("refused a button press from user %s", query.from_user.id)
                _ = self.language(query.from_user).gettext
                await query.answer(self._refusal(query.from_user.id, None, _), show_alert=True)
                raise ApplicationHandlerStop
            return

        if update.my_chat_member is not None:
            change = update.my_chat_member
            log.info(
                "bot is now %s in %s chat %r (chat id %s)",
                change.new_chat_member.status,
                change.chat.type,
                change.chat.title or change.chat.full_name,
                change.chat.id,
            )
            raise ApplicationHandlerStop

        message = update.message
        if message is None or message.from_user is None or message.chat.type == ChatType.CHANNEL:
            raise ApplicationHandlerStop
        if message.chat.type in GROUPS and not self._for_us(message, bot.id, bot.username):
            raise ApplicationHandlerStop  # group chatter: not for us, not even a refusal

        user = message.from_user
        upload = message.document is not None  # a file, whatever its caption says
        wanted = "add" if upload else command_of(message, bot.username)
        if not self.may_ask(user.id, message.chat.id, message.chat.type):
            if self._should_refuse(user.id):
                log.info("refused user %s in chat %s", user.id, message.chat.id)
                group_id = message.chat.id if message.chat.type in GROUPS else None
                _ = self.language(user).gettext
                text = (
                    _(ADMINS_ONLY["add"]).format(id=user.id)
                    if upload
                    else self._refusal(user.id, group_id, _)
                )
                await reply(message, text, as_html=False)
            raise ApplicationHandlerStop

        if wanted in ADMIN_COMMANDS and not self.is_admin(user.id):
            log.info("refused /%s from non-admin user %s", wanted, user.id)
            text = self.language(user).gettext(ADMINS_ONLY[wanted]).format(id=user.id)
            await reply(message, text, as_html=False)
            raise ApplicationHandlerStop

    @staticmethod
    def _refusal(user_id: int, group_id: int | None, _: Callable[[str], str]) -> str:
        if group_id is not None:
            text = _(
                "Sorry, you are not on this bot's access list. Ask an admin to add your "
                "user id: {id} (or this group's chat id: {group})."
            )
            return text.format(id=user_id, group=group_id)
        text = _(
            "Sorry, you are not on this bot's access list. Ask an admin to add your user id: {id}."
        )
        return text.format(id=user_id)

    def _should_refuse(self, user_id: int) -> bool:
        """One refusal per stranger per cooldown: a bot must not answer spam with spam."""
        now = time.monotonic()
        last = self._refused.get(user_id)
        if last is not None and now - last < REFUSAL_COOLDOWN:
            return False
        self._refused[user_id] = now
        self._refused.move_to_end(user_id)
        while len(self._refused) > REFUSAL_MEMORY:
            self._refused.popitem(last=False)
        return True

    @classmethod
    def _for_us(cls, message: Message, bot_id: int, username: str) -> bool:
        """In a group, a file is ours only with /add (or /add@us) as its caption; anything
        else is ours when it is addressed to us."""
        if message.document is not None:
            return command_of(message, username) == "add"
        return cls._addressed(message, bot_id, username)

    @staticmethod
    def _addressed(message: Message, bot_id: int, username: str) -> bool:
        """In a group: /ask (bare or @us), a mention of @us, or a reply to one of our messages."""
        text = message.text or message.caption or ""
        match = COMMAND.match(text)
        if match is not None and (match.group(2) or "").lower() == username.lower():
            return True
        if match is not None and match.group(2) is None:
            return match.group(1).lower() in KNOWN_COMMANDS
        entities = message.parse_entities() or message.parse_caption_entities()
        for entity, value in entities.items():
            if entity.type == MessageEntity.MENTION and value[1:].lower() == username.lower():
                return True
            mentioned = entity.user.id if entity.user else None
            if entity.type == MessageEntity.TEXT_MENTION and mentioned == bot_id:
                return True
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
            return False
        # In forum topics every message "replies" to the topic's first message; that is no reply.
        return not (message.is_topic_message and replied.message_id == message.message_thread_id)
