"""Retrieval quality in other languages: XQuAD, the same 240 Wikipedia paragraphs and 1,190
questions professionally translated from SQuAD into 11 languages (and Romanian since).

    python benchmarks/multilingual.py [--data /work/data-extra/xquad] [--only de,ru,zh]
                                      [--systems product,english,language] [--json FILE]

Data: github.com/deepmind/xquad (CC BY-SA 4.0), the files xquad.<lang>.json, kept outside
the repository. For each language every paragraph is one document and every question is
asked; a question hits when its own paragraph ranks. Metrics: Hit@1, Hit@3, MRR@10.

Systems (each a function from the paragraphs to a `rank(question) -> paragraph ids`, so
another system under test is one function more):
  product   the product as it is (Library: its ingestion, English analysis, question words,
            spelling correction), each paragraph a seed file titled "Paragraph N";
  english   plain Whoosh BM25 over one field with the product's English analysis
            (bot.analysis.stemming_analyzer) for paragraphs and questions;
  language  the same BM25 with bot.analysis.analyzer_for(<the language>).
The last two differ only in analysis, so their difference is what the analysis is worth.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from common import REPO, Doc, build_library, mean, print_table, write_seeds

DEFAULT_DATA = REPO.parent / "data-extra" / "xquad"
LANGUAGES = ("en", "de", "es", "ru", "zh", "ar", "tr", "el", "vi", "th", "hi", "ro")
Rank = Callable[[str], list[int]]


def load(data: Path, lang: str) -> tuple[list[str], list[tuple[str, int]]]:
    """Paragraphs, and (question, index of its paragraph) pairs, in file order."""
    raw = json.loads((data / f"xquad.{lang}.json").read_text(encoding="utf-8"))
    paragraphs: list[str] = []
    questions: list[tuple[str, int]] = []
    for article in raw["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                questions.append((qa["question"], len(paragraphs)))
            paragraphs.append(para["context"])
    return paragraphs, questions


def whoosh_system(paragraphs: Sequence[str], analyzer, workdir: Path) -> Rank:
    """BM25 (Whoosh's BM25F, one field) over the paragraphs with the given analysis; every
    analysed word of the question optional."""
    from whoosh import index, query, scoring
    from whoosh.fields import STORED, TEXT, Schema

    ix = index.create_in(str(workdir), Schema(pid=STORED, body=TEXT(analyzer=analyzer)))
    with ix.writer() as writer:
        for i, text in enumerate(paragraphs):
            writer.add_document(pid=i, body=text)
    searcher = ix.searcher(weighting=scoring.BM25F())

    def rank(question: str) -> list[int]:
        terms = dict.fromkeys(t.text for t in analyzer(question, mode="query"))
        if not terms:
            return []
        q = query.Or([query.Term("body", t) for t in terms])
        return [hit["pid"] for hit in searcher.search(q, limit=10)]

    return rank


def product_system(paragraphs: Sequence[str], workdir: Path) -> Rank:
    """The product as a user runs it: seed files, Library.reindex(), Library.ask()."""
    docs = [Doc(f"p{i:04d}", f"Paragraph {i}", text) for i, text in enumerate(paragraphs)]
    names = write_seeds(docs, workdir / "seeds")
    lib, _ = build_library(workdir / "seeds", workdir / "index", max_results=10)
    ids = {name: int(doc_id[1:]) for name, doc_id in names.items()}

    def rank(question: str) -> list[int]:
        answer = lib.ask(question, limit=10)
        return list(dict.fromkeys(ids[r.doc] for r in answer.results if r.doc in ids))

    return rank


def make_system(name: str, lang: str, paragraphs: Sequence[str], workdir: Path) -> Rank:
    from bot.analysis import analyzer_for, stemming_analyzer

    if name == "product":
        return product_system(paragraphs, workdir)
    if name == "english":
        return whoosh_system(paragraphs, stemming_analyzer(), workdir)
    if name == "language":
        return whoosh_system(paragraphs, analyzer_for(lang), workdir)
    raise ValueError(f"unknown system {name!r}")


def evaluate(rank: Rank, questions: Sequence[tuple[str, int]]) -> dict[str, float]:
    firsts = []
    for question, target in questions:
        ranked = rank(question)
        firsts.append(ranked.index(target) + 1 if target in ranked else None)
    return {
        "hit1": mean(1.0 if r == 1 else 0.0 for r in firsts),
        "hit3": mean(1.0 if r is not None and r <= 3 else 0.0 for r in firsts),
        "mrr10": mean(1.0 / r if r is not None and r <= 10 else 0.0 for r in firsts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--only", default=",".join(LANGUAGES))
    parser.add_argument("--systems", default="product,english,language")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    systems = args.systems.split(",")
    results: dict[str, dict[str, dict[str, float]]] = {}
    rows = []
    for lang in args.only.split(","):
        paragraphs, questions = load(args.data, lang)
        results[lang] = {}
        for name in systems:
            started = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                rank = make_system(name, lang, paragraphs, Path(tmp))
                scores = evaluate(rank, questions)
            scores["seconds"] = time.perf_counter() - started
            results[lang][name] = scores
            rows.append([lang, name, scores["hit1"], scores["hit3"], scores["mrr10"]])
            print(f"{lang} {name}: {scores}", flush=True)
    print(f"\nXQuAD: 240 paragraphs, 1,190 questions per language ({args.data})")
    print_table(["lang", "system", "Hit@1", "Hit@3", "MRR@10"], rows)
    if len(systems) > 1:
        print()
        header = ["lang"] + [f"MRR {s}" for s in systems]
        table = [[lang] + [results[lang][s]["mrr10"] for s in systems] for lang in results]
        print_table(header, table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
