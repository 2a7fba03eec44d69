"""A Bot API stand-in: a real HTTP server on 127.0.0.1 that PTB talks to through `base_url`.

It is strict where Telegram is strict (HTML must parse, text at most 4096 characters,
callback_data at most 64 bytes, "message is not modified", a callback answered once), records
every request the bot makes, queues updates for getUpdates (honouring `offset` and `timeout`) and
can be told to fail the next calls of a method with 429 (retry_after) or 500.

Documents: `document()` sends a message with a file whose bytes the stand-in keeps; `getFile`
answers for it (refusing files over the cloud Bot API's 20 MB download limit, as Telegram does)
and GET <base_file_url>/<token>/<file_path> serves the bytes, or hangs up after `fail_after`
bytes. Each download is recorded as a call of the pseudo-method "download".
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, quote, unquote

log = logging.getLogger(__name__)

MAX_POLL = 5.0  # seconds a getUpdates may hang, whatever timeout it asks for
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the cloud Bot API's getFile limit
STRING_PARAMS = frozenset(
    {"text", "caption", "callback_query_id", "parse_mode", "url", "data", "description"}
)
ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
        "span", "tg-spoiler", "tg-emoji", "blockquote",
    }
)  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_COMMAND = re.compile(r"^/\w+(?:@\w+)?", re.ASCII)
_MENTION = re.compile(r"(?<!\w)@\w{5,32}", re.ASCII)


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description, optional parameters."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class Call:
    """One request the bot made, with its parameters decoded."""

    method: str
    params: dict[str, Any]
    status: int | None = None  # None while the request is still being answered
    result: Any = None
    at: float = field(default_factory=time.monotonic)  # when it arrived
    done: float | None = None  # when it was answered

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def reply_to(self) -> int | None:
        """The message this one replies to, in either of the Bot API's spellings."""
        params = self.params.get("reply_parameters")
        if isinstance(params, dict):
            return params.get("message_id")
        value = self.params.get("reply_to_message_id")
        return int(value) if value is not None else None

    @property
    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class StoredFile:
    """A file a user sent: its bytes, the size its messages declare, and how to fail."""

    file_id: str
    file_unique_id: str
    data: bytes
    declared_size: int | None  # what Message.document and getFile say; a test may make it lie
    file_path: str
    fail_after: int | None = None  # hang up after this many bytes of the download


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_html(text: str) -> str:
    """Parse Telegram HTML like the Bot API does; the plain text, or ApiError 400."""
    stack: list[str] = []
    plain: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            match = _TAG.match(text, i)
            if match is None:
                raise ApiError(400, f"Bad Request: can't parse entities: unexpected < at {i}")
            closing, name = match.group(1), match.group(2).lower()
            if name not in ALLOWED_TAGS:
                raise ApiError(400, f"Bad Request: can't parse entities: unsupported tag {name}")
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(
                        400, f"Bad Request: can't parse entities: unmatched end tag {name}"
                    )
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif ch == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                raise ApiError(400, f"Bad Request: can't parse entities: bare & at {i}")
            plain.append(html.unescape(match.group(0)))
            i = match.end()
        elif ch == ">":
            raise ApiError(400, f"Bad Request: can't parse entities: unexpected > at {i}")
        else:
            plain.append(ch)
            i += 1
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed tag {stack[-1]}")
    return "".join(plain)


def entities_for(text: str) -> list[dict]:
    """The entities Telegram would attach: a leading /command and @mentions (UTF-16 offsets)."""
    found = []
    command = _COMMAND.match(text)
    if command:
        found.append(("bot_command", command.start(), command.end()))
    found += [("mention", m.start(), m.end()) for m in _MENTION.finditer(text)]
    return [
        {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        for kind, start, end in found
    ]


def user(user_id: int, first_name: str = "User", username: str | None = None) -> dict:
    data = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        data["username"] = username
    return data


def private_chat(who: dict) -> dict:
    return {"id": who["id"], "type": "private", "first_name": who["first_name"]}


def group_chat(chat_id: int, title: str = "Team", kind: str = "supergroup") -> dict:
    return {"id": chat_id, "type": kind, "title": title}


class BotAPI:
    """The stand-in server plus helpers to feed it updates and to inspect what the bot sent."""

    def __init__(self, token: str, bot_id: int = 4242, username: str = "docs_test_bot") -> None:
        self.token = token
        self.port = 0  # any free port at first start; kept, so a restart comes back on it
        self.me = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Docs",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.commands: list[dict] = []
        self._cond = threading.Condition()
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], dict] = {}
        self._chats: dict[int, dict] = {}
        self._answered: set[str] = set()
        self._queries: set[str] = set()
        self._faults: dict[str, list[tuple[int, int | None]]] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_ids = itertools.count(1)
        self.download_limit = DOWNLOAD_LIMIT
        self._closed = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                api._serve(self)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                # The default writes the path, token included, to stderr.
                log.debug("stand-in: " + format, *(api.redact(str(a)) for a in args))

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """What PTB wants as base_url: it appends the token and /method."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def redact(self, text: str) -> str:
        return text.replace(self.token, "<token>").replace(quote(self.token, safe=""), "<token>")

    # -- feeding updates ----------------------------------------------------------------------

    def push(self, update: dict) -> dict:
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._cond.notify_all()
        return update

    def message(
        self,
        chat: dict,
        sender: dict,
        text: str | None = None,
        reply_to: dict | None = None,
        **extra: Any,
    ) -> dict:
        """A user's message arrives; returns the Message JSON (its message_id is the reply key)."""
        with self._cond:
            self._chats[chat["id"]] = chat
            msg: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "from": sender,
                "chat": chat,
                "date": int(time.time()),
            }
            if text is not None:
                msg["text"] = text
                entities = entities_for(text)
                if entities:
                    msg["entities"] = entities
            if reply_to is not None:
                msg["reply_to_message"] = reply_to
            msg.update(extra)
            self._messages[(chat["id"], msg["message_id"])] = msg
        self.push({"message": msg})
        return msg

    def photo(self, chat: dict, sender: dict) -> dict:
        """A photo without a caption."""
        size = {"file_id": "AgAD-photo", "file_unique_id": "uniq", "width": 90, "height": 90}
        return self.message(chat, sender, photo=[size])

    def document(
        self,
        chat: dict,
        sender: dict,
        data: bytes,
        file_name: str | None,
        caption: str | None = None,
        mime_type: str | None = "text/plain",
        file_size: int | None = -1,
        fail_after: int | None = None,
        **extra: Any,
    ) -> dict:
        """A user sends a file. `file_size` is the declared size (-1: the true size, None: not
        declared); `fail_after` makes its download hang up after that many bytes."""
        declared = len(data) if file_size == -1 else file_size
        with self._cond:
            number = next(self._file_ids)
            stored = StoredFile(
                file_id=f"BQACAgIAAxkB-doc-{number}",
                file_unique_id=f"AgADdoc{number}",
                data=data,
                declared_size=declared,
                file_path=f"documents/file_{number}",
                fail_after=fail_after,
            )
            self._files[stored.file_id] = stored
        document: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if file_name is not None:
            document["file_name"] = file_name
        if mime_type is not None:
            document["mime_type"] = mime_type
        if declared is not None:
            document["file_size"] = declared
        if caption is not None:
            extra["caption"] = caption
            entities = entities_for(caption)
            if entities:
                extra["caption_entities"] = entities
        return self.message(chat, sender, document=document, **extra)

    def downloads(self) -> list[Call]:
        """Every download request, answered or not."""
        return self.requests("download")

    def press(self, sender: dict, message: dict, data: str) -> str:
        """A user presses an inline button under `message`; returns the callback query id."""
        query_id = f"cq{next(self._query_ids)}"
        with self._cond:
            self._queries.add(query_id)
        self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": sender,
                    "message": message,
                    "chat_instance": f"ci{message['chat']['id']}",
                    "data": data,
                }
            }
        )
        return query_id

    def bot_message(self, call: Call) -> dict:
        """The Message the bot created (or last edited) with this call."""
        with self._cond:
            return dict(self._messages[(call.result["chat"]["id"], call.result["message_id"])])

    def pending_updates(self) -> int:
        with self._cond:
            return len(self._updates)

    # -- fault injection ----------------------------------------------------------------------

    def fail_next(
        self, method: str, status: int = 500, times: int = 1, retry_after: int | None = None
    ) -> None:
        """The next `times` calls of `method` fail with `status` (429 carries retry_after)."""
        with self._cond:
            self._faults.setdefault(method, []).extend([(status, retry_after)] * times)

    # -- inspecting ---------------------------------------------------------------------------

    def requests(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if method is None or c.method == method]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] = lambda call: True,
        timeout: float = 5.0,
        status: int | None = 200,
        pending: bool = False,
    ) -> Call:
        """The first call of `method` answered with `status` (any status: None) and matching
        `predicate`; with pending=True also one still open. AssertionError after `timeout`
        seconds, listing the last calls seen."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for call in self.calls:
                    if call.method != method or not predicate(call):
                        continue
                    if call.status is None:
                        if pending:
                            return call
                    elif status is None or call.status == status:
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.status, c.params) for c in self.calls[-10:]]
                    raise AssertionError(f"no matching {method} within {timeout} s; last: {seen}")
                self._cond.wait(left)

    def replies_to(self, message: dict) -> list[Call]:
        """Successful sendMessage calls that reply to `message`."""
        return [
            c
            for c in self.requests("sendMessage")
            if c.status == 200 and c.reply_to == message["message_id"]
        ]

    def wait_reply(self, message: dict, timeout: float = 5.0) -> Call:
        return self.wait_for(
            "sendMessage", lambda c: c.reply_to == message["message_id"], timeout=timeout
        )

    # -- the HTTP side ------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        prefix = f"/bot{self.token}/"
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        file_prefix = f"/file/bot{self.token}/"
        if unquote(path).startswith(file_prefix):  # PTB percent-encodes the token's colon
            self._serve_file(handler, unquote(path)[len(file_prefix) :])
            return
        if not path.startswith(prefix):
            self._respond(
                handler, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            return
        method = path[len(prefix) :]
        params = self._decode(body, handler.headers.get("Content-Type") or "")
        call = Call(method, params)
        self._record(call)  # on arrival, so a test can see a long poll that is still open
        try:
            fault = self._take_fault(method)
            if fault is not None:
                raise fault
            result = self._dispatch(method, params)
        except ApiError as err:
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": err.status,
                "description": err.description,
            }
            if err.parameters:
                payload["parameters"] = err.parameters
            self._finish(call, err.status, None)
            self._respond(handler, err.status, payload)
            return
        self._finish(call, 200, result)
        self._respond(handler, 200, {"ok": True, "result": result})

    def _serve_file(self, handler: BaseHTTPRequestHandler, file_path: str) -> None:
        """The file download route: the bytes, all of them or the first `fail_after`."""
        call = Call("download", {"file_path": file_path})
        self._record(call)
        with self._cond:
            stored = next((f for f in self._files.values() if f.file_path == file_path), None)
        if stored is None:
            self._finish(call, 404, None)
            self._respond(
                handler, 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
            return
        data = stored.data
        sent = data if stored.fail_after is None else data[: stored.fail_after]
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/octet-stream")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(sent)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        if stored.fail_after is not None:
            # The connection drops midway: the client has fewer bytes than Content-Length.
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            self._finish(call, 499, len(sent))
            return
        self._finish(call, 200, len(sent))

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _finish(self, call: Call, status: int, result: Any) -> None:
        with self._cond:
            call.status, call.result, call.done = status, result, time.monotonic()
            self._cond.notify_all()

    @staticmethod
    def _respond(handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the bot gave up waiting; fine
            pass

    @staticmethod
    def _decode(body: bytes, content_type: str) -> dict[str, Any]:
        """PTB sends form fields whose non-string values are JSON; decode those."""
        if not body:
            return {}
        if "json" in content_type:
            return json.loads(body)
        raw = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if key in STRING_PARAMS:
                params[key] = value
                continue
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        return params

    def _take_fault(self, method: str) -> ApiError | None:
        with self._cond:
            queue = self._faults.get(method)
            if not queue:
                return None
            status, retry_after = queue.pop(0)
        if status == 429:
            return ApiError(
                429,
                f"Too Many Requests: retry after {retry_after or 1}",
                {"retry_after": retry_after or 1},
            )
        return ApiError(status, "Internal Server Error" if status >= 500 else "Bad Request")

    # -- methods ------------------------------------------------------------------------------

    def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.me
        if method == "getUpdates":
            return self._get_updates(params)
        if method == "sendMessage":
            return self._send_message(params)
        if method == "editMessageText":
            return self._edit_message_text(params)
        if method == "answerCallbackQuery":
            return self._answer_callback_query(params)
        if method == "setMyCommands":
            commands = params.get("commands") or []
            for command in commands:
                if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                    raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            self.commands = commands
            return True
        if method == "getMyCommands":
            return self.commands
        if method == "getFile":
            return self._get_file(params)
        return True  # deleteWebhook, sendChatAction, and anything else

    def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), MAX_POLL)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if offset:
                    # Telegram forgets confirmed updates (those below offset) for good.
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._closed:
                    return self._updates[:limit]
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self._cond.wait(left)

    def _get_file(self, params: dict[str, Any]) -> dict:
        with self._cond:
            stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = stored.declared_size if stored.declared_size is not None else len(stored.data)
        if size > self.download_limit:
            raise ApiError(400, "Bad Request: file is too big")
        result = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
        }
        if stored.declared_size is not None:
            result["file_size"] = stored.declared_size
        return result

    def _chat(self, chat_id: Any) -> dict:
        chat_id = int(chat_id)
        known = self._chats.get(chat_id)
        if known is not None:
            return known
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        return {"id": chat_id, "type": "supergroup", "title": "Group"}

    def _checked_text(self, params: dict[str, Any]) -> str:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        mode = (params.get("parse_mode") or "").upper()
        plain = check_html(text) if mode == "HTML" else text
        if mode not in ("", "HTML"):
            raise ApiError(400, f"Bad Request: unsupported parse_mode {mode}")
        if utf16_len(plain) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        for button in Call("", params).buttons:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return plain

    def _send_message(self, params: dict[str, Any]) -> dict:
        plain = self._checked_text(params)
        with self._cond:
            chat = self._chat(params["chat_id"])
            msg: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "from": self.me,
                "chat": chat,
                "date": int(time.time()),
                "text": plain,
            }
            reply = params.get("reply_parameters") or {}
            replied = self._messages.get((chat["id"], reply.get("message_id")))
            if reply and replied is None and not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            if replied is not None:
                msg["reply_to_message"] = replied
            if params.get("reply_markup"):
                msg["reply_markup"] = params["reply_markup"]
            self._messages[(chat["id"], msg["message_id"])] = msg
            return msg

    def _edit_message_text(self, params: dict[str, Any]) -> dict:
        plain = self._checked_text(params)
        with self._cond:
            key = (int(params["chat_id"]), int(params["message_id"]))
            msg = self._messages.get(key)
            if msg is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if msg["from"]["id"] != self.me["id"]:
                raise ApiError(400, "Bad Request: message can't be edited")
            markup = params.get("reply_markup")
            if msg.get("text") == plain and msg.get("reply_markup") == markup:
                raise ApiError(400, "Bad Request: message is not modified")
            msg = {**msg, "text": plain, "edit_date": int(time.time())}
            msg.pop("reply_markup", None)
            if markup:
                msg["reply_markup"] = markup
            self._messages[key] = msg
            return msg

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params.get("callback_query_id")
        with self._cond:
            if query_id not in self._queries or query_id in self._answered:
                raise ApiError(400, "Bad Request: query is too old and response timeout expired")
            self._answered.add(query_id)
        text = params.get("text") or ""
        if len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True
