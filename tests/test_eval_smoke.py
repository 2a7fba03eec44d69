"""The seed questions file is valid, and benchmarks/eval_seeds.py runs end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bot.semantic import available

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
QUESTIONS = REPO / "benchmarks" / "seeds_eval.jsonl"
SCRIPT = REPO / "benchmarks" / "eval_seeds.py"
KINDS = {"fact", "paraphrase", "typo", "second_article", "short"}


def _rows() -> list[dict[str, str]]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _text(doc: str) -> str:
    return (SEEDS / doc).read_text(encoding="utf-8")


def _paragraphs(doc: str) -> list[str]:
    """Every non-empty line of a seed file is a paragraph."""
    return [line for line in _text(doc).splitlines() if line.strip()]


def test_questions_file_is_valid() -> None:
    rows = _rows()
    assert len(rows) >= 50
    kinds = Counter(row["kind"] for row in rows)
    assert set(kinds) <= KINDS, kinds
    assert kinds["typo"] >= 8
    assert kinds["second_article"] >= 6
    docs = {p.name for p in SEEDS.glob("*.txt")}
    assert {row["doc"] for row in rows} == docs, "every seed file should have questions"
    assert len({row["question"] for row in rows}) == len(rows), "duplicate question"
    for row in rows:
        assert set(row) == {"question", "answer", "doc", "kind"}, row
        assert row["question"].strip(), row
        assert 30 <= len(row["answer"]) <= 120, row
        found = [p for p in _paragraphs(row["doc"]) if row["answer"] in p]
        assert len(found) == 1, f"{row['answer']!r} is in {len(found)} paragraphs of {row['doc']}"
        elsewhere = [d for d in docs - {row["doc"]} if row["answer"] in _text(d)]
        assert not elsewhere, f"{row['answer']!r} also occurs in {elsewhere}"


def test_eval_script_runs_on_a_subset() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--limit-questions", "5"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "questions: 5 " in out
    assert "Hit@1" in out and "Hit@3" in out and "MRR@10" in out and "median ms" in out
    assert any(line.startswith("bm25s baseline") for line in out.splitlines()), out
    if (REPO / "bot" / "library.py").is_file():
        product = [line for line in out.splitlines() if line.startswith("product (bot Library)")]
        assert product and "skipped" not in product[0], out
        assert "Product misses at rank 3:" in out
        model = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2"
        if available() and (model / "onnx").is_dir():  # the semantic layer, measured beside
            assert any(line.startswith("product+semantic ") for line in out.splitlines()), out
            assert "Hit@1/Hit@3 by kind" in out, out
