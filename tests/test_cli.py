"""The command-line contract: JSON shape, batch mode, exit codes, one-line errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.config import SEMANTIC_MISSING
from bot.index import INDEX_NAME
from bot.semantic import available
from tests.conftest import REPO


def run_bot(
    *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    inherited = {
        k: v for k, v in os.environ.items() if k not in ("BOT_CONFIG", "TELEGRAM_BOT_TOKEN")
    }
    full_env = {**inherited, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
    )


@pytest.fixture
def project(tmp_path: Path, seeds_dir: Path) -> Path:
    (tmp_path / "config.yaml").write_text("seeds_dir: seeds\nindex_dir: index\n")
    return tmp_path


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_ask_builds_the_index_and_answers_as_json(project: Path) -> None:
    result = run_bot("ask", "--json", "--limit", "2", "how", "did", "milad", "escape", cwd=project)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.strip().splitlines()
    data = json.loads(line)
    assert data["question"] == "how did milad escape"
    assert data["suggestion"] is None
    assert 1 <= len(data["hits"]) <= 2
    for h in data["hits"]:
        assert isinstance(h["doc"], str) and h["doc"].endswith(".txt")
        assert isinstance(h["passage"], int) and h["passage"] >= 1
        assert isinstance(h["score"], float)
        assert h["excerpt"].strip("…")[:20] in h["text"]
        assert h["byline"] is None or isinstance(h["byline"], str)
        assert h["section"] is None or isinstance(h["section"], str)
    scores = [h["score"] for h in data["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert (project / "index").is_dir()


def test_ask_text_output_cites(project: Path) -> None:
    result = run_bot("ask", "Baghouz", cwd=project)
    assert result.returncode == 0
    assert "Defeated ISIS Militants Recount" in result.stdout
    assert "passage" in result.stdout


def test_batch_mode_one_json_object_a_line(project: Path) -> None:
    questions = "milad enginner\n\nwho is olaf scholz\nzzzzqqqq\n"
    result = run_bot("ask", "--json", "-", cwd=project, stdin=questions)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.strip().splitlines()]
    assert [x["question"] for x in lines] == ["milad enginner", "who is olaf scholz", "zzzzqqqq"]
    assert lines[0]["suggestion"] == "milad engineer"
    assert lines[1]["hits"][0]["doc"] == "003_8bcd5ffcf3b6bc76.txt"
    assert lines[2]["hits"] == []  # no match is a success


def test_index_prints_a_summary_and_is_incremental(project: Path) -> None:
    first = run_bot("index", cwd=project)
    assert first.returncode == 0, first.stderr
    assert "5 documents" in first.stdout and "5 added" in first.stdout
    again = run_bot("index", cwd=project)
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in again.stdout


def test_index_warns_about_bad_files_and_indexes_the_rest(project: Path) -> None:
    (project / "seeds" / "photo.txt").write_bytes(b"\x89PNG\x00\x00")
    result = run_bot("index", cwd=project)
    assert result.returncode == 0
    assert "photo.txt" in result.stderr and "image (PNG)" in result.stderr
    assert "5 added" in result.stdout


def test_config_from_env_and_relative_paths(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_bot(
        "ask", "--json", "Idlib", cwd=elsewhere, env={"BOT_CONFIG": str(project / "config.yaml")}
    )
    assert result.returncode == 0, result.stderr
    assert (project / "index").is_dir() and not (elsewhere / "index").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["ask"], ["question"]),
        (["ask", "--limit", "0", "x"], ["--limit"]),
        (["ask", "--limit", "many", "x"], ["--limit"]),
        (["frobnicate"], ["frobnicate"]),
        ([], ["command"]),
        (["--config", "nope.yaml", "ask", "x"], ["nope.yaml", "not found"]),
    ],
)
def test_bad_usage_exits_2_with_one_line(project: Path, args: list[str], words: list[str]) -> None:
    assert_one_line_error(run_bot(*args, cwd=project), *words)


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("seeds_dir: [unclosed\n", ["not valid YAML"]),
        ("- a\n- list\n", ["mapping"]),
        ("access:\n  admins: 12345\n", ["access.admins"]),
        ("access:\n  admins: [alice]\n", ["access.admins"]),
        ("access:\n  public: yes please\n", ["access.public"]),
        ("answers:\n  per_page: 0\n", ["answers.per_page"]),
        ("telegram:\n  base_url: ftp://x\n", ["telegram.base_url"]),
        ("seeds_dir: no-such-folder\n", ["seeds_dir", "not found"]),
    ],
)
def test_bad_config_exits_2_with_one_line_naming_the_key(
    project: Path, config: str, words: list[str]
) -> None:
    (project / "config.yaml").write_text(config)
    assert_one_line_error(run_bot("ask", "x", cwd=project), *words)
    assert not (project / "index").exists()


def test_run_without_token_exits_2(project: Path) -> None:
    assert_one_line_error(run_bot("run", cwd=project), "TELEGRAM_BOT_TOKEN")


def test_index_busy_exits_with_a_clear_message(project: Path) -> None:
    (project / "config.yaml").write_text(
        "seeds_dir: seeds\nindex_dir: index\nindex_wait_seconds: 0\n"
    )
    assert run_bot("index", cwd=project).returncode == 0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from whoosh import index; "
            "ix = index.open_dir(sys.argv[1], indexname=sys.argv[2]); w = ix.writer(); "
            "print('locked', flush=True); time.sleep(30)",
            str(project / "index"),
            INDEX_NAME,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},  # the index's schema names bot.analysis
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        (project / "seeds" / "new.txt").write_text("New\n\nA brand new paragraph on lemurs.")
        busy = run_bot("index", cwd=project)
        assert busy.returncode == 1
        assert "busy" in busy.stderr and "Traceback" not in busy.stderr
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert "1 added" in run_bot("index", cwd=project).stdout


def test_output_closed_early_is_not_an_error(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_CONFIG"}
    env["PYTHONPATH"] = str(REPO)
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "-"],
        cwd=project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert bot.stdin is not None and bot.stdout is not None
    bot.stdin.write(b"syria\n" * 2000)
    bot.stdin.close()
    bot.stdout.readline()
    bot.stdout.close()  # like `| head -1`
    assert bot.wait(timeout=120) == 0
    assert bot.stderr is not None and b"Traceback" not in bot.stderr.read()


# --- the optional semantic layer -----------------------------------------------------------------

LOADED = """
import sys
from bot.cli import main
status = main(sys.argv[1:])
heavy = ("bot.semantic", "numpy", "onnxruntime", "tokenizers", "huggingface_hub")
print(status, sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith(heavy)))
"""


def test_without_a_model_nothing_of_the_semantic_layer_is_loaded(project: Path) -> None:
    for args in (["index"], ["ask", "--json", "syria"]):
        result = subprocess.run(
            [sys.executable, "-c", LOADED, *args],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == "0 []", result.stdout


def test_a_model_without_the_extra_exits_2_saying_how_to_install_it(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "config.yaml").write_text(
        "seeds_dir: seeds\nindex_dir: index\nsemantic:\n  model: some/model\n"
    )
    monkeypatch.chdir(project)
    monkeypatch.delenv("BOT_CONFIG", raising=False)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    assert cli.main(["ask", "x"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err == SEMANTIC_MISSING + "\n"
    assert not (project / "index").exists()


@pytest.mark.skipif(not available(), reason="the semantic extra is not installed")
def test_a_model_folder_that_is_not_there_exits_2(project: Path) -> None:
    (project / "config.yaml").write_text(
        "seeds_dir: seeds\nindex_dir: index\nsemantic:\n  model: ./no-such-model\n"
    )
    assert_one_line_error(run_bot("ask", "x", cwd=project), "semantic.model", "no-such-model")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_index_progress_shows_embedding_on_a_terminal_only() -> None:
    terminal, piped = Terminal(), io.StringIO()
    for stream in (terminal, piped):
        progress = cli.Progress(stream)
        progress(1, 1, 40)
        progress.embedding(0, 0)  # nothing to embed: nothing shown
        progress.embedding(0, 300)
        progress.embedding(300, 300)
    assert piped.getvalue() == ""
    lines = terminal.getvalue().split("\r\x1b[K")
    assert lines[1].startswith("1/1 files, 40 passages") and lines[1].endswith("\n")
    assert lines[2] == "embedding 300 passages"
    assert lines[3].startswith("embedded 300 passages in ") and lines[3].endswith("/s)\n")
