"""Retrieval quality on the seed articles: the product (bot.library.Library) against plain bm25s.

Each question in the questions file (JSON lines) names a gold answer: a verbatim piece of one
paragraph of one seed file. A result is correct when the gold answer, whitespace-normalised, is a
substring of the result's whitespace-normalised text. Both systems answer every question in the
same run; the table shows Hit@1, Hit@3, MRR@10 and the median milliseconds per question.

    python benchmarks/eval_seeds.py [--seeds DIR] [--questions FILE] [--limit-questions N]
                                    [--semantic MODEL|none]

The baseline is bm25s (PyStemmer English stemmer, English stop words) over the seed files split
naively: every non-empty line is a paragraph. The product builds its own index over a temporary
copy of the seeds, so nothing in the repository is touched. It is measured as shipped and, on
the same index, with its semantic layer on (`semantic.model: MODEL`; by default
../shared/models/all-MiniLM-L6-v2 when it is there and the `semantic` extra is installed).

Honesty: every system is also asked OFF_TOPIC, questions about nothing in the seeds; the report
counts how many of them got any answer at all (a good system answers none).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SEEDS = REPO / "seeds"
DEFAULT_QUESTIONS = REPO / "benchmarks" / "seeds_eval.jsonl"
SHARED_MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2"
SEED_SUFFIXES = (".txt", ".md")
K = 10

# Questions a team member might ask that nothing in the seeds (nor SciFact or SQuAD) answers.
OFF_TOPIC = [
    "what is the wifi password for the guest network",
    "how do I reset my VPN password",
    "when is the next team offsite",
    "who approves vacation requests",
    "how do I book a meeting room",
    "where can I find the expense report template",
    "what time does the cafeteria close on Fridays",
    "how many days of parental leave do we get",
    "who is on call this weekend",
    "how do I set up two-factor authentication on my laptop",
    "what is the dress code for the client dinner",
    "can I bring my dog to the office",
    "how long should I boil an egg",
    "what's a good recipe for banana bread",
    "how do I remove a red wine stain from a carpet",
    "which tyres are best for winter driving",
    "how often should I water a cactus",
    "what is the best way to learn to play guitar",
    "who won the last Wimbledon final",
    "how many players are on a volleyball team",
    "what is the offside rule in ice hockey",
    "how do I change a bicycle inner tube",
    "what's the weather forecast for tomorrow",
    "recommend a good science fiction novel",
    "how do I convert a spreadsheet to PDF",
    "what is the keyboard shortcut to undo in Photoshop",
    "how do I cancel my gym membership",
    "where is the nearest train station to the office",
    "what is the capital of Mongolia",
    "how tall is the Eiffel Tower",
    "when does daylight saving time start",
    "how do I knit a scarf",
    "what are the rules of chess castling",
    "what's the plot of the movie Inception",
    "how much does a Tesla Model 3 cost",
    "how do I make sourdough starter",
    "which smartphone has the best camera",
    "how do you tie a bow tie",
    "what's the difference between espresso and ristretto",
    "how do I renew my passport",
]


@dataclass(frozen=True)
class Question:
    """One evaluation question with its gold answer."""

    question: str
    answer: str
    doc: str
    kind: str


@dataclass(frozen=True)
class Hit:
    """One ranked result, reduced to what the evaluation needs."""

    doc: str
    label: str
    text: str


@dataclass
class Run:
    """The ranked results and timings of one system over all questions."""

    name: str
    ranks: list[int | None] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    firsts: list[Hit | None] = field(default_factory=list)
    note: str = ""
    off_topic_answered: int = 0  # OFF_TOPIC questions that got any answer


def norm(text: str) -> str:
    """Collapse all whitespace runs to one space and trim."""
    return " ".join(text.split())


def load_questions(path: Path) -> list[Question]:
    """Read the JSON-lines questions file; fail with the line number on a bad row."""
    questions = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                questions.append(Question(row["question"], row["answer"], row["doc"], row["kind"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise SystemExit(f"{path}:{number}: bad question row: {exc}") from None
    return questions


def seed_files(seeds: Path) -> list[Path]:
    """The seed documents, in name order."""
    return sorted(p for p in seeds.iterdir() if p.is_file() and p.suffix in SEED_SUFFIXES)


def line_paragraphs(seeds: Path) -> list[tuple[str, int, str]]:
    """Naive split: (file name, line number, text) for every non-empty line."""
    paragraphs = []
    for path in seed_files(seeds):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                paragraphs.append((path.name, number, line.strip()))
    return paragraphs


def rank_of(answer: str, hits: Sequence[Hit]) -> int | None:
    """1-based rank of the first hit whose text holds the answer, else None."""
    gold = norm(answer)
    for rank, hit in enumerate(hits, 1):
        if gold in norm(hit.text):
            return rank
    return None


def evaluate(name: str, search: Callable[[str], list[Hit]], questions: list[Question]) -> Run:
    """Ask every question, timing each call, and record the gold answer's rank; then the
    off-topic questions, counting those that got any answer."""
    run = Run(name)
    for q in questions:
        start = time.perf_counter()
        hits = search(q.question)
        run.ms.append((time.perf_counter() - start) * 1000)
        run.ranks.append(rank_of(q.answer, hits[:K]))
        run.firsts.append(hits[0] if hits else None)
    run.off_topic_answered = sum(1 for q in OFF_TOPIC if search(q))
    return run


def baseline_run(seeds: Path, questions: list[Question]) -> Run:
    """bm25s with the English Snowball stemmer and English stop words over line paragraphs."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    paragraphs = line_paragraphs(seeds)
    texts = [text for _, _, text in paragraphs]
    start = time.perf_counter()
    retriever = bm25s.BM25()
    corpus_tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever.index(corpus_tokens, show_progress=False)
    build = time.perf_counter() - start

    def search(question: str) -> list[Hit]:
        tokens = bm25s.tokenize(
            [question], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )
        k = min(K, len(texts))
        docs, scores = retriever.retrieve(tokens, k=k, show_progress=False)
        hits = []
        for index, score in zip(docs[0], scores[0], strict=True):
            if score <= 0:  # bm25s pads with zero-score rows; they matched nothing
                continue
            doc, line, text = paragraphs[int(index)]
            hits.append(Hit(doc, f"line {line}", text))
        return hits

    run = evaluate("bm25s baseline (lines)", search, questions)
    run.note = f"{len(texts)} line paragraphs, indexed in {build * 1000:.0f} ms"
    return run


def product_runs(seeds: Path, questions: list[Question], model: str | None = None) -> list[Run]:
    """bot.library.Library over a temporary copy of the seeds, with its own temporary index;
    with `model`, a second run on the same index with the semantic layer on."""
    from bot.config import settings_from_mapping
    from bot.library import Library

    runs = []
    with tempfile.TemporaryDirectory(prefix="eval_seeds_") as tmp:
        base = Path(tmp)
        shutil.copytree(seeds, base / "seeds")
        raw = {"seeds_dir": str(base / "seeds"), "index_dir": str(base / "index")}
        configs = [("product (bot Library)", raw)]
        if model is not None:
            configs.append(("product+semantic", {**raw, "semantic": {"model": model}}))
        for name, config in configs:
            lib = Library(settings_from_mapping(config, base, {}))
            try:
                start = time.perf_counter()
                summary = lib.reindex()  # the second time: only the vectors are added
                build = time.perf_counter() - start

                def search(question: str, lib: Library = lib) -> list[Hit]:
                    answer = lib.ask(question, limit=K)
                    return [Hit(r.doc, f"passage {r.passage}", r.text) for r in answer.results]

                run = evaluate(name, search, questions)
            finally:
                lib.close()
            if model is not None and name.startswith("product+"):
                run.note = f"{Path(model).name}; vectors added in {build * 1000:.0f} ms"
            else:
                run.note = f"{summary.describe()}; built in {build * 1000:.0f} ms"
            runs.append(run)
    return runs


def semantic_model(option: str | None) -> str | None:
    """--semantic as given, or the shared model when it and the extra are there."""
    if option is not None:
        return None if option.strip().lower() in ("", "none", "off") else option
    from bot.semantic import available

    return str(SHARED_MODEL) if available() and (SHARED_MODEL / "onnx").is_dir() else None


def hit_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose gold answer is within the top k."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int | None]) -> float:
    """Mean reciprocal rank, cut at K."""
    return sum(1 / r for r in ranks if r is not None and r <= K) / len(ranks) if ranks else 0.0


def clip(text: str, width: int = 110) -> str:
    """One line of at most width characters."""
    text = norm(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def print_report(runs: list[Run], questions: list[Question], skipped: str | None) -> None:
    """The summary table, Hit@1/Hit@3 per kind, and each product run's misses at rank 3."""
    print(
        f"{'system':<26} {'Hit@1':>6} {'Hit@3':>6} {'MRR@10':>7} {'median ms':>10}"
        f" {'off-topic answered':>19}"
    )
    for run in runs:
        print(
            f"{run.name:<26} {hit_at(run.ranks, 1):6.3f} {hit_at(run.ranks, 3):6.3f} "
            f"{mrr(run.ranks):7.3f} {statistics.median(run.ms):10.2f}"
            f" {f'{run.off_topic_answered}/{len(OFF_TOPIC)}':>19}"
        )
    if skipped:
        print(f"{'product (bot Library)':<26} skipped: {skipped}")
    for run in runs:
        print(f"  {run.name}: {run.note}")

    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(questions):
        by_kind[q.kind].append(i)
    print()
    header = "".join(f" {run.name.split()[0]:>16}" for run in runs)
    print(f"Hit@1/Hit@3 by kind {'n':>4}{header}")
    for kind in sorted(by_kind):
        idx = by_kind[kind]
        cells = ""
        for run in runs:
            ranks = [run.ranks[i] for i in idx]
            cells += f" {f'{hit_at(ranks, 1):.3f}/{hit_at(ranks, 3):.3f}':>16}"
        print(f"{kind:<20}{len(idx):>4}{cells}")

    for run in runs:
        if run.name.startswith("product"):
            print_misses(run, questions)


def print_misses(run: Run, questions: list[Question]) -> None:
    misses = [i for i, r in enumerate(run.ranks) if r is None or r > 3]
    print()
    label = "Product" if run.name.startswith("product (") else run.name.split()[0].capitalize()
    print(f"{label} misses at rank 3: {len(misses)} of {len(questions)}")
    for i in misses:
        q, rank, first = questions[i], run.ranks[i], run.firsts[i]
        where = f"gold at rank {rank}" if rank else f"gold not in top {K}"
        print(f'- [{q.kind}] "{q.question}" ({where})')
        print(f'    expected {q.doc}: "{q.answer}"')
        if first is None:
            print("    got      nothing")
        else:
            print(f'    got #1   {first.doc} {first.label}: "{clip(first.text)}"')


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run both systems, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seed folder")
    parser.add_argument(
        "--questions", type=Path, default=DEFAULT_QUESTIONS, help="questions (JSON lines)"
    )
    parser.add_argument(
        "--limit-questions", type=int, default=0, metavar="N", help="use only the first N"
    )
    parser.add_argument("--baseline-only", action="store_true", help="skip the product")
    parser.add_argument(
        "--semantic",
        default=None,
        metavar="MODEL",
        help="also run the product with its semantic layer on (default: ../shared/models/"
        "all-MiniLM-L6-v2 when present and the extra is installed; 'none': off)",
    )
    args = parser.parse_args(argv)

    if not args.seeds.is_dir():
        parser.error(f"--seeds: {args.seeds} is not a folder")
    if not args.questions.is_file():
        parser.error(f"--questions: {args.questions} not found")
    questions = load_questions(args.questions)
    if args.limit_questions > 0:
        questions = questions[: args.limit_questions]
    if not questions:
        parser.error("no questions")

    print(
        f"seeds: {args.seeds} ({len(seed_files(args.seeds))} files); "
        f"questions: {len(questions)} from {args.questions}"
    )
    print()
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    runs: list[Run] = []
    skipped = None
    if args.baseline_only:
        skipped = "--baseline-only"
    elif not (REPO / "bot" / "library.py").is_file():
        skipped = f"{REPO / 'bot' / 'library.py'} does not exist yet"
    else:
        runs += product_runs(args.seeds, questions, semantic_model(args.semantic))
    runs.append(baseline_run(args.seeds, questions))
    print_report(runs, questions, skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
