"""Settings from config.yaml plus the environment, validated up front.

A bad value fails with one line naming the key, so `python -m bot` can print it and exit 2
instead of failing later, deep inside a search or a chat handler.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from bot.index import BuildOptions
    from bot.languages import LanguageOptions

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
BASE_URL_ENV = "TELEGRAM_BASE_URL"
CONFIG_ENV = "BOT_CONFIG"


class ConfigError(ValueError):
    """A configuration problem, described in one line that names the key."""


@dataclass(frozen=True)
class TelegramSettings:
    base_url: str = DEFAULT_BASE_URL
    # The token comes from the environment only and is kept out of repr() so that it
    # cannot leak through a log line or a traceback that prints the settings.
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AccessSettings:
    admins: frozenset[int] = frozenset()
    users: frozenset[int] = frozenset()
    chats: frozenset[int] = frozenset()
    public: bool = False


@dataclass(frozen=True)
class AnswerSettings:
    per_page: int = 3
    excerpt_chars: int = 350
    max_results: int = 30


@dataclass(frozen=True)
class IndexSettings:
    check_seconds: int = 60  # how often the bot looks for changed seed files; 0 = never
    processes: int = 0  # worker processes reading files; 0 = one per core
    timeout_seconds: int = 120  # longest time to read one file before it is given up
    max_file_mb: int = 50  # larger files are skipped

    def build_options(self, languages: LanguageOptions) -> BuildOptions:
        from bot.index import BuildOptions  # config stays importable without Whoosh loaded
        from bot.readers import Limits

        return BuildOptions(
            processes=self.processes,
            timeout=float(self.timeout_seconds),
            limits=Limits(max_bytes=self.max_file_mb * 1024 * 1024),
            languages=languages,
        )


@dataclass(frozen=True)
class LanguageSettings:
    # None: recognise any language (automatic); else only these ISO 639-1 codes.
    languages: tuple[str, ...] | None = None
    default: str = "en"  # for text too short to recognise

    def options(self) -> LanguageOptions:
        from bot.languages import LanguageOptions

        return LanguageOptions(self.languages, self.default)


@dataclass(frozen=True)
class UploadSettings:
    # The cloud Bot API lets a bot download files of at most 20 MB; a self-hosted Bot API
    # server (telegram.base_url) allows up to 2000 MB.
    max_mb: int = 20

    @property
    def max_bytes(self) -> int:
        return self.max_mb * 1024 * 1024


@dataclass(frozen=True)
class SemanticSettings:
    """The optional semantic layer (bot/semantic/). Defaults measured with all-MiniLM-L6-v2 on
    SciFact, SQuAD and the seed evaluation (benchmarks/quality.py, benchmarks/eval_seeds.py)."""

    model: str | None = None  # a Hugging Face hub name or a model folder (absolute); None = off
    weight: float = 0.4  # share of the semantic score in the hybrid ranking
    threshold: float = 0.40  # cosine a passage found by meaning alone needs to be an answer


SEMANTIC_MISSING = (
    "semantic.model is set but the semantic extra is not installed: pip install -e '.[semantic]'"
)


@dataclass(frozen=True)
class Settings:
    seeds_dir: Path
    index_dir: Path
    telegram: TelegramSettings = TelegramSettings()
    access: AccessSettings = AccessSettings()
    answers: AnswerSettings = AnswerSettings()
    uploads: UploadSettings = UploadSettings()
    index: IndexSettings = IndexSettings()
    language: LanguageSettings = LanguageSettings()
    semantic: SemanticSettings = SemanticSettings()
    index_wait_seconds: float = 60.0  # how long `index` waits for a reindex already running
    config_path: Path | None = None


_KNOWN: dict[str, Any] = {
    "seeds_dir": None,
    "languages": None,
    "default_language": None,
    "index_dir": None,
    "index_wait_seconds": None,
    "telegram": {"base_url": None},
    "access": {"admins": None, "users": None, "chats": None, "public": None},
    "answers": {"per_page": None, "excerpt_chars": None, "max_results": None},
    "uploads": {"max_mb": None},
    "index": {
        "check_seconds": None,
        "processes": None,
        "timeout_seconds": None,
        "max_file_mb": None,
    },
    "semantic": {"model": None, "weight": None, "threshold": None},
}


def resolve_config_path(cli_path: str | None) -> tuple[Path, bool]:
    """The config file to read and whether the user named it explicitly."""
    if cli_path:
        return Path(cli_path), True
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env), True
    return Path("config.yaml"), False


def load_settings(cli_path: str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings. A missing ./config.yaml means defaults; a missing
    file the user named is an error."""
    env = os.environ if env is None else env
    path, explicit = resolve_config_path(cli_path)
    if path.is_dir():
        raise ConfigError(f"config file {path} is a folder")
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {_reason(exc)}") from None
        raw = parse_yaml(text, path)
        base = path.resolve().parent
    elif explicit:
        raise ConfigError(f"config file {path} not found")
    else:
        raw, base = {}, Path.cwd()
    return settings_from_mapping(raw, base, env, config_path=path if path.exists() else None)


def parse_yaml(text: str, path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"config file {path} is not valid YAML{where}: {problem}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must be a mapping of keys to values")
    return raw


def settings_from_mapping(
    raw: Mapping[str, Any],
    base: Path,
    env: Mapping[str, str],
    config_path: Path | None = None,
) -> Settings:
    _warn_unknown(raw, _KNOWN, "")
    telegram = _section(raw, "telegram")
    access = _section(raw, "access")
    answers = _section(raw, "answers")
    uploads = _section(raw, "uploads")
    index = _section(raw, "index")
    semantic = _section(raw, "semantic")

    base_url = env.get(BASE_URL_ENV) or _string(telegram, "telegram.base_url", DEFAULT_BASE_URL)
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"telegram.base_url: expected an http(s) URL, got {base_url!r}")
    token = (env.get(TOKEN_ENV) or "").strip() or None

    return Settings(
        seeds_dir=_path(raw, "seeds_dir", "seeds", base),
        index_dir=_path(raw, "index_dir", "index", base),
        telegram=TelegramSettings(base_url=base_url, token=token),
        access=AccessSettings(
            admins=_ids(access, "access.admins"),
            users=_ids(access, "access.users"),
            chats=_ids(access, "access.chats"),
            public=_bool(access, "access.public", False),
        ),
        answers=AnswerSettings(
            per_page=_int(answers, "answers.per_page", 3, 1, 10),
            excerpt_chars=_int(answers, "answers.excerpt_chars", 350, 80, 1000),
            max_results=_int(answers, "answers.max_results", 30, 1, 100),
        ),
        uploads=UploadSettings(max_mb=_int(uploads, "uploads.max_mb", 20, 1, 2000)),
        index=IndexSettings(
            check_seconds=_int(index, "index.check_seconds", 60, 0, 86400),
            processes=_int(index, "index.processes", 0, 0, 64),
            timeout_seconds=_int(index, "index.timeout_seconds", 120, 1, 3600),
            max_file_mb=_int(index, "index.max_file_mb", 50, 1, 2048),
        ),
        language=_language(raw),
        semantic=SemanticSettings(
            model=_model(semantic, "semantic.model", base),
            weight=_float(semantic, "semantic.weight", 0.4, 0.0, 1.0),
            threshold=_float(semantic, "semantic.threshold", 0.40, -1.0, 1.0),
        ),
        index_wait_seconds=float(_int(raw, "index_wait_seconds", 60, 0, 3600)),
        config_path=config_path,
    )


def _language(raw: Mapping[str, Any]) -> LanguageSettings:
    """`languages: auto` (the default) or a list of ISO 639-1 codes; `default_language`."""
    if raw.get("languages", "auto") == "auto" and raw.get("default_language") in (None, "en"):
        return LanguageSettings()  # the default, without loading the language identifier
    value = raw.get("languages", "auto")
    default = _string(raw, "default_language", "en").lower()
    if value is None or value == "auto":
        chosen = None
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        chosen = tuple(sorted({v.strip().lower() for v in value}))
    else:
        raise ConfigError(f"languages: expected auto or a list of language codes, got {value!r}")
    from bot.languages import known_languages  # loads the identifier only when configured

    for code in (*(chosen or ()), default):
        if code not in known_languages():
            raise ConfigError(f"languages: unknown language code {code!r} (ISO 639-1, e.g. de)")
    if chosen is not None and default not in chosen:
        raise ConfigError(f"default_language: {default!r} is not one of languages")
    return LanguageSettings(chosen, default)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or exc.__class__.__name__


def _warn_unknown(raw: Mapping[str, Any], known: Mapping[str, Any], prefix: str) -> None:
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if key not in known:
            log.warning("config: unknown key %r ignored", name)
        elif isinstance(known[key], dict) and isinstance(value, Mapping):
            _warn_unknown(value, known[key], f"{name}.")


def _section(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: expected a mapping of settings, got {_kind(value)}")
    return value


def _leaf(section: Mapping[str, Any], dotted: str) -> Any:
    return section.get(dotted.rsplit(".", 1)[-1])


def _kind(value: Any) -> str:
    return type(value).__name__


def _string(section: Mapping[str, Any], dotted: str, default: str) -> str:
    value = _leaf(section, dotted)
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{dotted}: expected a non-empty string, got {_kind(value)}")
    return value.strip()


def _path(raw: Mapping[str, Any], key: str, default: str, base: Path) -> Path:
    value = _string(raw, key, default)
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def _bool(section: Mapping[str, Any], dotted: str, default: bool) -> bool:
    value = _leaf(section, dotted)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(f"{dotted}: expected true or false, got {value!r}")
    return value


def _int(section: Mapping[str, Any], dotted: str, default: int, low: int, high: int) -> int:
    value = _leaf(section, dotted)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{dotted}: expected a whole number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{dotted}: expected a number from {low} to {high}, got {value}")
    return value


def _float(
    section: Mapping[str, Any], dotted: str, default: float, low: float, high: float
) -> float:
    value = _leaf(section, dotted)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{dotted}: expected a number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{dotted}: expected a number from {low:g} to {high:g}, got {value}")
    return float(value)


def _model(section: Mapping[str, Any], dotted: str, base: Path) -> str | None:
    """A model folder (relative to the config file's folder, like other paths) or a hub name.

    A relative value that names an existing folder, or starts with ./ ../ or ~, is a folder;
    otherwise it is a hub name such as sentence-transformers/all-MiniLM-L6-v2. The extra must
    be installed (checked without importing it).
    """
    value = _leaf(section, dotted)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{dotted}: expected a model name or folder, got {value!r}")
    from bot.semantic import available  # only now: nothing of the layer is loaded when off

    if not available():
        raise ConfigError(SEMANTIC_MISSING)
    value = value.strip()
    path = Path(value).expanduser()
    if path.is_absolute():
        return str(path)
    if value.startswith(("./", "../", ".\\", "..\\")) or (base / path).is_dir():
        return str(base / path)
    return value


def _ids(section: Mapping[str, Any], dotted: str) -> frozenset[int]:
    value = _leaf(section, dotted)
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise ConfigError(f"{dotted}: expected a list of numeric Telegram ids, got {_kind(value)}")
    ids = set()
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise ConfigError(f"{dotted}: expected numeric Telegram ids, got {item!r}")
        ids.add(item)
    return frozenset(ids)
