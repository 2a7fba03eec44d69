"""Settings: defaults, validation with one line naming the key, secrets from the environment."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from bot.config import SEMANTIC_MISSING, ConfigError, load_settings, settings_from_mapping
from bot.semantic import available


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    s = settings_from_mapping({}, tmp_path, {})
    assert s.seeds_dir == tmp_path / "seeds" and s.index_dir == tmp_path / "index"
    assert s.telegram.base_url == "https://api.telegram.org/bot"
    assert s.telegram.token is None
    assert not s.access.public and s.access.admins == frozenset()
    assert (s.answers.per_page, s.answers.excerpt_chars) == (3, 350)
    assert s.uploads.max_mb == 20 and s.uploads.max_bytes == 20 * 1024 * 1024
    assert s.index.check_seconds == 60


def test_upload_limit_and_periodic_check(tmp_path: Path) -> None:
    raw = {"uploads": {"max_mb": 2000}, "index": {"check_seconds": 0}}
    s = settings_from_mapping(raw, tmp_path, {})
    assert s.uploads.max_bytes == 2000 * 1024 * 1024 and s.index.check_seconds == 0


def test_shipped_config_is_valid() -> None:
    repo = Path(__file__).resolve().parent.parent
    s = load_settings(str(repo / "config.yaml"), env={})
    assert s.seeds_dir == repo / "seeds"


def test_config_file_paths_are_relative_to_its_folder(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "c.yaml").write_text("seeds_dir: docs\nindex_dir: /abs/idx\n")
    s = load_settings(str(tmp_path / "conf" / "c.yaml"), env={})
    assert s.seeds_dir == tmp_path / "conf" / "docs"
    assert s.index_dir == Path("/abs/idx")


def test_token_and_base_url_come_from_the_environment(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123:SECRET", "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot"}
    s = settings_from_mapping({"telegram": {"base_url": "https://x.example/bot"}}, tmp_path, env)
    assert s.telegram.token == "123:SECRET"
    assert s.telegram.base_url == "http://127.0.0.1:9/bot"
    assert "SECRET" not in repr(s)


def test_access_lists(tmp_path: Path) -> None:
    raw = {"access": {"admins": [1], "users": [2, 3], "chats": [-100], "public": True}}
    s = settings_from_mapping(raw, tmp_path, {})
    assert s.access.admins == {1} and s.access.users == {2, 3} and s.access.chats == {-100}
    assert s.access.public is True


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"seeds_dir": 5}, "seeds_dir"),
        ({"seeds_dir": ""}, "seeds_dir"),
        ({"telegram": "x"}, "telegram"),
        ({"access": {"users": "1,2"}}, "access.users"),
        ({"access": {"chats": [True]}}, "access.chats"),
        ({"access": {"public": "true"}}, "access.public"),
        ({"answers": {"excerpt_chars": 5}}, "answers.excerpt_chars"),
        ({"answers": {"max_results": 1.5}}, "answers.max_results"),
        ({"index_wait_seconds": -1}, "index_wait_seconds"),
        ({"uploads": {"max_mb": 0}}, "uploads.max_mb"),
        ({"uploads": {"max_mb": 2001}}, "uploads.max_mb"),
        ({"uploads": {"max_mb": "20MB"}}, "uploads.max_mb"),
        ({"uploads": 20}, "uploads"),
        ({"index": {"check_seconds": -5}}, "index.check_seconds"),
        ({"index": {"check_seconds": True}}, "index.check_seconds"),
        ({"semantic": "on"}, "semantic"),
        ({"semantic": {"model": ""}}, "semantic.model"),
        ({"semantic": {"model": 7}}, "semantic.model"),
        ({"semantic": {"weight": 1.5}}, "semantic.weight"),
        ({"semantic": {"weight": "half"}}, "semantic.weight"),
        ({"semantic": {"threshold": True}}, "semantic.threshold"),
        ({"semantic": {"threshold": 2}}, "semantic.threshold"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, raw: dict, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_from_mapping(raw, tmp_path, {})
    message = str(err.value)
    assert message.startswith(f"{key}:") and "\n" not in message


def test_unknown_keys_are_warned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        settings_from_mapping({"seed_dir": "x", "access": {"admin": [1]}}, tmp_path, {})
    assert "seed_dir" in caplog.text and "access.admin" in caplog.text


def test_missing_default_config_means_defaults(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_CONFIG", raising=False)
    assert load_settings(None, env={}).seeds_dir == tmp_path / "seeds"


def test_invalid_yaml_and_wrong_shape(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("access: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(str(bad), env={})
    bad.write_text("just a string\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(str(bad), env={})
    bad.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ConfigError):
        load_settings(str(bad), env={})


def test_semantic_layer_is_off_by_default_with_measured_defaults(tmp_path: Path) -> None:
    semantic = settings_from_mapping({}, tmp_path, {}).semantic
    assert semantic.model is None
    assert (semantic.weight, semantic.threshold) == (0.4, 0.40)
    off = settings_from_mapping({"semantic": {"model": None, "weight": 0}}, tmp_path, {})
    assert off.semantic.model is None and off.semantic.weight == 0.0


@pytest.mark.skipif(not available(), reason="the semantic extra is not installed")
def test_semantic_model_is_a_folder_relative_to_the_config_or_a_hub_name(tmp_path: Path) -> None:
    (tmp_path / "models" / "mini").mkdir(parents=True)

    def model(value: str) -> str | None:
        return settings_from_mapping({"semantic": {"model": value}}, tmp_path, {}).semantic.model

    assert model("models/mini") == str(tmp_path / "models" / "mini")  # an existing folder
    assert model("./not-yet") == str(tmp_path / "not-yet")  # says it is a path
    assert model("/abs/model") == "/abs/model"
    hub = "sentence-transformers/all-MiniLM-L6-v2"
    assert model(hub) == hub  # no such folder: a hub name
    raw = {"semantic": {"model": hub, "weight": 1, "threshold": 0.5}}
    semantic = settings_from_mapping(raw, tmp_path, {}).semantic
    assert (semantic.weight, semantic.threshold) == (1.0, 0.5)


def test_semantic_model_without_the_extra_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    with pytest.raises(ConfigError) as err:
        settings_from_mapping({"semantic": {"model": "some/model"}}, tmp_path, {})
    assert str(err.value) == SEMANTIC_MISSING
    assert "pip install -e '.[semantic]'" in SEMANTIC_MISSING
    assert settings_from_mapping({"semantic": {"model": None}}, tmp_path, {}).semantic.model is None
