"""Speed and how it grows: indexing throughput, search latency, cold start and peak memory of the
product at about 1k, 10k and 100k passages, beside tantivy and bm25s on the same corpus and
questions, measured in the same run.

    python benchmarks/speed.py [--data ../shared/data] [--sizes 1000,10000,100000]
                               [--questions 200] [--limit 10] [--profile]
                               [--semantic MODEL|none]

The corpus is made from the benchmark texts (SQuAD paragraphs, SciFact abstracts, Cranfield
abstracts): first the texts themselves (cut at sentence ends to at most 1,200 characters), then
windows of 2, 3 or 4 consecutive sentences, until the size is reached. Passages are written as
seed files of 20 paragraphs under a title, which is what the product ingests; the peers index the
same (title, passage) pairs. Questions are a seeded mix of SQuAD questions and SciFact claims.

Each system runs in its own worker process, so its peak memory (VmHWM, else ru_maxrss) is its own:
- product: `Library.reindex()` over the seeds folder (parse, analyse, write, commit), then
  `Library.ask(question, limit)` for every question with a warm searcher: the real question path,
  spelling check and excerpts included, default settings otherwise;
- +semantic: the product with its semantic layer on (`semantic.model: MODEL`, by default
  ../shared/models/all-MiniLM-L6-v2 when it is there and the extra is installed), on the index
  the product built: `Library.reindex()` then only embeds every passage (its "index s" is the
  product's plus that), and the same questions are asked; disk counts the vectors too;
- tantivy: one writer thread, title and body with the en_stem tokenizer, top 10 with stored
  fields read back;
- bm25s: Snowball stemmer and English stop words, top 10 with texts read back.
Cold start is the wall time of `python -m bot --config ... ask --json QUESTION` on the built index
(median of --cold-runs). Ratios are peer / product: below 1 means the peer takes less time or
memory, above 1 in passages/s means it indexes faster.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from common import (
    DEFAULT_DATA,
    REPO,
    Bm25sReference,
    Doc,
    default_model,
    folder_mb,
    load_cranfield,
    load_scifact,
    load_squad,
    open_library,
    percentile,
    print_table,
    semantic_option,
)

SEED = 1729
PER_FILE = 20  # passages per seed file
MAX_CHARS = 1200  # below the product's 1,500-character split, so passages stay whole
MIN_WORDS = 15
WARMUP = 10  # questions asked before timing (opens the searcher, fills caches)
SYSTEMS = ("product", "semantic", "tantivy", "bm25s")
LABELS = {"semantic": "+semantic"}  # table headings
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


# --- corpus ------------------------------------------------------------------------------------


def source_texts(data: Path) -> list[Doc]:
    """Every benchmark text once, sources interleaved so that a small corpus has all three."""
    groups = [load_squad(data).docs, load_scifact(data).docs, load_cranfield(data).docs]
    for docs in groups:
        random.Random(SEED).shuffle(docs)
    mixed: list[Doc] = []
    for i in range(max(len(g) for g in groups)):
        mixed += [g[i] for g in groups if i < len(g) and g[i].text]
    return mixed


def _ok(text: str) -> bool:
    return len(text) <= MAX_CHARS and len(text.split()) >= MIN_WORDS


def _chunks(sentences: Sequence[str]) -> Iterator[str]:
    """Consecutive sentences packed into pieces of at most MAX_CHARS."""
    piece = ""
    for s in sentences:
        if piece and len(piece) + 1 + len(s) > MAX_CHARS:
            yield piece
            piece = ""
        piece = f"{piece} {s}".strip()
    if piece:
        yield piece


def passages(docs: Sequence[Doc]) -> Iterator[tuple[str, str]]:
    """(title, passage) without end: the texts, then ever different sentence windows."""
    split = [(d.title, _SENTENCE.split(d.text)) for d in docs]
    for title, sents in split:
        for piece in _chunks(sents):
            if _ok(piece):
                yield title, piece
    for r in range(1000):  # offsets cycle, so a tiny corpus repeats windows
        width, offset = 2 + r % 3, 1 + r // 3
        for title, sents in split:
            for start in range(offset % width, len(sents) - width + 1, width):
                window = " ".join(sents[start : start + width])
                if _ok(window):
                    yield title, window


def make_corpus(docs: Sequence[Doc], size: int) -> list[tuple[str, list[str]]]:
    """`size` passages grouped as seed files: [(title, [passage, ...]), ...]."""
    files: list[tuple[str, list[str]]] = []
    for n, (title, text) in enumerate(passages(docs)):
        if n >= size:
            break
        if n % PER_FILE == 0:
            files.append((title or "Untitled", []))
        files[-1][1].append(text)
    return files


def write_corpus(files: Sequence[tuple[str, list[str]]], root: Path) -> None:
    """Seed files for the product, a JSON-lines copy for the peers, a config for cold starts."""
    seeds = root / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    with (root / "passages.jsonl").open("w", encoding="utf-8") as out:
        for i, (title, texts) in enumerate(files):
            body = "\n\n".join(texts)
            (seeds / f"{i:06d}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
            for text in texts:
                out.write(json.dumps({"title": title, "text": text}) + "\n")
    (root / "config.yaml").write_text("seeds_dir: seeds\nindex_dir: index\n", encoding="utf-8")


def write_semantic_config(root: Path, model: str) -> Path:
    """The same folders with the semantic layer on, for +semantic's cold starts."""
    path = root / "config-semantic.yaml"
    path.write_text(
        f"seeds_dir: seeds\nindex_dir: index\nsemantic:\n  model: {json.dumps(model)}\n",
        encoding="utf-8",
    )
    return path


def pick_questions(data: Path, n: int) -> list[str]:
    """Half SQuAD questions, half SciFact claims (all 1,109), seeded."""
    rng = random.Random(SEED)
    squad = list(load_squad(data).queries.values())
    claims = [
        json.loads(line)["text"]
        for line in (data / "scifact" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    mixed = rng.sample(squad, min(len(squad), n - n // 2)) + rng.sample(
        claims, min(len(claims), n // 2)
    )
    rng.shuffle(mixed)
    return mixed


# --- workers (one process per system) ----------------------------------------------------------


def warmup_count(n: int) -> int:
    """Questions asked before timing: WARMUP, or half of a tiny set."""
    return min(WARMUP, n // 2)


def _time_each(questions: Sequence[str], ask) -> list[float]:
    """Milliseconds per question; the first WARMUP questions only warm up (and are not asked
    again, so no per-question cache makes a timed question look fast)."""
    warm = warmup_count(len(questions))
    for q in questions[:warm]:
        ask(q)
    latencies = []
    for q in questions[warm:]:
        started = time.perf_counter()
        ask(q)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _read_passages(root: Path) -> list[dict[str, str]]:
    lines = (root / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def worker_product(root: Path, questions: list[str], args: argparse.Namespace) -> dict:
    limit, profile = args.limit, args.profile
    lib = open_library(root / "seeds", root / "index", max_results=30)  # the default depth
    try:
        started = time.perf_counter()
        summary = lib.reindex()
        seconds = time.perf_counter() - started
        disk = folder_mb(root / "index")
        latencies = _time_each(questions, lambda q: lib.ask(q, limit=limit))
    finally:
        lib.close()
    if profile:
        import cProfile
        import pstats

        # A fresh Library, so that no cache of the timed pass makes the profile look cheap.
        lib = open_library(root / "seeds", root / "index", max_results=30)
        try:
            warm = warmup_count(len(questions))
            for q in questions[:warm]:
                lib.ask(q, limit=limit)
            prof = cProfile.Profile()
            prof.enable()
            for q in questions[warm:]:
                lib.ask(q, limit=limit)
            prof.disable()
            timed = len(questions) - warm
            print(f"\nprofile: product search path, {timed} questions, limit {limit}")
            stats = pstats.Stats(prof, stream=sys.stdout)
            stats.sort_stats("cumulative").print_stats(15)
            stats.sort_stats("tottime").print_stats(10)
        finally:
            lib.close()
    return {
        "passages": summary.passages,
        "index_s": seconds,
        "disk_mb": disk,
        "latencies": latencies,
    }


def worker_semantic(root: Path, questions: list[str], args: argparse.Namespace) -> dict:
    """The product with its semantic layer on, over the index the product worker built: the
    reindex finds no file changed and embeds every passage."""
    lib = open_library(root / "seeds", root / "index", max_results=30, model=args.semantic)
    try:
        started = time.perf_counter()
        summary = lib.reindex()
        seconds = time.perf_counter() - started
        disk = folder_mb(root / "index")
        latencies = _time_each(questions, lambda q: lib.ask(q, limit=args.limit))
    finally:
        lib.close()
    return {
        "passages": summary.passages,
        "embed_s": seconds,
        "whoosh_s": summary.seconds if summary.added else 0.0,  # when no product run built it
        "disk_mb": disk,
        "latencies": latencies,
    }


def worker_tantivy(root: Path, questions: list[str], args: argparse.Namespace) -> dict:
    limit = args.limit
    import tantivy

    rows = _read_passages(root)
    started = time.perf_counter()  # after the import, as for the other systems
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    schema = builder.build()
    (root / "tantivy").mkdir(exist_ok=True)
    index = tantivy.Index(schema, path=str(root / "tantivy"))
    writer = index.writer(heap_size=128_000_000, num_threads=1)
    for row in rows:
        writer.add_document(tantivy.Document(title=row["title"], body=row["text"]))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    seconds = time.perf_counter() - started
    searcher = index.searcher()

    def ask(question: str) -> list[str]:
        words = " ".join(re.findall(r"\w+", question.lower()))  # no query syntax
        if not words:
            return []
        query = index.parse_query(words, ["title", "body"])
        hits = searcher.search(query, limit).hits
        return [searcher.doc(address)["body"][0] for _, address in hits]

    return {
        "passages": len(rows),
        "index_s": seconds,
        "disk_mb": folder_mb(root / "tantivy"),
        "latencies": _time_each(questions, ask),
    }


def worker_bm25s(root: Path, questions: list[str], args: argparse.Namespace) -> dict:
    limit = args.limit
    rows = _read_passages(root)
    ref = Bm25sReference([f"{row['title']} {row['text']}" for row in rows])
    seconds = ref.seconds  # tokenising and indexing, not the import

    def ask(question: str) -> list[str]:
        return [rows[i]["text"] for i in ref.search([question], k=limit)[0]]

    return {"passages": len(rows), "index_s": seconds, "latencies": _time_each(questions, ask)}


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux keeps ru_maxrss across exec, so a worker
    would report at least the parent's size at fork; VmHWM belongs to the new image alone."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


WORKERS = {
    "product": worker_product,
    "semantic": worker_semantic,
    "tantivy": worker_tantivy,
    "bm25s": worker_bm25s,
}


def run_worker(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    questions = json.loads((root / "questions.json").read_text(encoding="utf-8"))
    result = WORKERS[args.worker](root, questions, args)
    result["maxrss_mb"] = peak_rss_mb()
    (root / f"{args.worker}.json").write_text(json.dumps(result), encoding="utf-8")
    return 0


# --- the parent: corpora, workers, cold starts, table ------------------------------------------


def spawn(system: str, root: Path, args: argparse.Namespace) -> dict | None:
    cmd = [sys.executable, __file__, "--worker", system, "--dir", str(root)]
    cmd += ["--limit", str(args.limit), "--semantic", args.semantic or "none"]
    if args.profile and system == "product":
        cmd.append("--profile")
    proc = subprocess.run(cmd, check=False)
    out = root / f"{system}.json"
    if proc.returncode != 0 or not out.exists():
        print(f"  {system}: worker failed (exit {proc.returncode})", file=sys.stderr)
        return None
    return json.loads(out.read_text(encoding="utf-8"))


def cold_start(config: Path, question: str, runs: int) -> tuple[float, float]:
    """Median seconds of `python -m bot ask` in a fresh interpreter on the built index, and
    the peak memory of such a process (MB): what answering takes, without any build."""
    cmd = [sys.executable, "-m", "bot", "--config", str(config), "ask", "--json", question]
    times, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        assert proc.stderr is not None
        error = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own resource usage
        proc.returncode = os.waitstatus_to_exitcode(status)
        times.append(time.perf_counter() - started)
        peaks.append(usage.ru_maxrss / 1024)
        if proc.returncode != 0:
            print(f"  cold start failed: {error.strip()[:200]}", file=sys.stderr)
            return float("nan"), float("nan")
    return statistics.median(times), max(peaks)


def python_start(runs: int) -> float:
    """Median seconds of a bare `python -c pass`: the floor under any cold start."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(
    size: int, docs: Sequence[Doc], questions: list[str], args: argparse.Namespace, tmp: Path
) -> dict[str, dict | None]:
    root = tmp / f"n{size}"
    for stale in ("seeds", "index", "tantivy"):  # a kept folder is rebuilt from scratch
        shutil.rmtree(root / stale, ignore_errors=True)
    write_corpus(make_corpus(docs, size), root)
    (root / "questions.json").write_text(json.dumps(questions), encoding="utf-8")
    results: dict[str, dict | None] = {}
    for system in args.systems:
        print(f"{size}: {system} ...", flush=True)
        results[system] = spawn(system, root, args)
    product, semantic = results.get("product"), results.get("semantic")
    if semantic is not None:
        # Building with the layer on: the product's build plus embedding every passage.
        whoosh = product["index_s"] if product is not None else semantic["whoosh_s"]
        semantic["index_s"] = whoosh + semantic["embed_s"]
    if args.cold_runs > 0:
        if product is not None:
            config = root / "config.yaml"
            product["cold_s"], product["ask_mb"] = cold_start(config, questions[0], args.cold_runs)
        if semantic is not None:
            config = write_semantic_config(root, args.semantic)
            semantic["cold_s"], semantic["ask_mb"] = cold_start(
                config, questions[0], args.cold_runs
            )
    return results


def table(per_size: dict[int, dict[str, dict | None]], systems: Sequence[str]) -> None:
    def value(res: dict | None, metric: str) -> float:
        if res is None:
            return float("nan")
        lat = res.get("latencies") or []
        return {
            "passages": float(res.get("passages", "nan")),
            "index s": res.get("index_s", float("nan")),
            "index passages/s": res["passages"] / res["index_s"] if res.get("index_s") else 0.0,
            "embedding s": res.get("embed_s", float("nan")),
            "disk MB": res.get("disk_mb", float("nan")),
            "search median ms": statistics.median(lat) if lat else float("nan"),
            "search p95 ms": percentile(lat, 95),
            "search p99 ms": percentile(lat, 99),
            "cold start s": res.get("cold_s", float("nan")),
            "ask memory MB": res.get("ask_mb", float("nan")),
            "peak memory MB": res.get("maxrss_mb", float("nan")),
        }[metric]

    peers = [s for s in systems if s != "product"]
    headers = [
        "size",
        "metric",
        *(LABELS.get(s, s) for s in systems),
        *(f"{LABELS.get(p, p)}/product" for p in peers),
    ]
    rows = []
    metrics = [
        "passages",
        "index s",
        "index passages/s",
        "embedding s",
        "disk MB",
        "search median ms",
        "search p95 ms",
        "search p99 ms",
        "cold start s",
        "ask memory MB",
        "peak memory MB",
    ]
    for size, results in per_size.items():
        for metric in metrics:
            if metric == "embedding s" and "semantic" not in systems:
                continue
            values = {s: value(results.get(s), metric) for s in systems}
            base = values.get("product", float("nan"))
            ratios = [values[p] / base if base and base == base else float("nan") for p in peers]
            shown = [_fmt(values[s], metric) for s in systems]
            rows.append([size, metric, *shown, *(_ratio(r) for r in ratios)])
    print_table(headers, rows)


def _fmt(value: float, metric: str) -> str:
    if value != value:  # NaN
        return "n/a"
    if metric == "passages":
        return f"{value:.0f}"
    if metric.endswith("ms"):
        return f"{value:.2f}" if value < 10 else f"{value:.1f}"
    if metric == "index passages/s":
        return f"{value:.0f}"
    return f"{value:.2f}"


def _ratio(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "n/a"
    return f"{value:.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark data folder")
    parser.add_argument("--sizes", default="1000,10000,100000", help="passages per corpus")
    parser.add_argument("--questions", type=int, default=200, help="questions timed per size")
    parser.add_argument("--limit", type=int, default=10, help="results per question")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold starts to take a median of")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset")
    parser.add_argument("--profile", action="store_true", help="cProfile the product's search")
    parser.add_argument("--keep", type=Path, default=None, help="build corpora here, keep them")
    parser.add_argument(
        "--semantic",
        type=semantic_option,
        default=default_model(),
        metavar="MODEL",
        help="the semantic layer's model for +semantic (default: ../shared/models/"
        "all-MiniLM-L6-v2 when present and the extra is installed; 'none': no +semantic)",
    )
    parser.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return run_worker(args)
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if any(s not in SYSTEMS for s in args.systems):
        parser.error(f"--systems: choose from {', '.join(SYSTEMS)}")
    if args.semantic is None and "semantic" in args.systems:
        args.systems.remove("semantic")  # no model: the product and its peers only
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    docs = source_texts(args.data)
    questions = pick_questions(args.data, args.questions + WARMUP)
    per_size: dict[int, dict[str, dict | None]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        base = args.keep or Path(tmp)
        for size in sizes:
            per_size[size] = measure(size, docs, questions, args, base)
    timed = len(questions) - warmup_count(len(questions))
    print(f"\n{timed} questions per size, top {args.limit}; ratios are peer / product")
    if args.cold_runs > 0:
        print(f"bare `python -c pass` start: {python_start(args.cold_runs):.3f} s")
    table(per_size, args.systems)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
