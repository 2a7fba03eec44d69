"""Ingestion speed: how fast the product reads each format against the bare extraction library,
and how fast the full index build runs with one and two worker processes, beside a bare
one-field Whoosh writer, measured in the same run.

    python benchmarks/ingest.py [--data ../shared/data] [--pages 200] [--sizes 10000]
                                [--processes 1,2] [--docs PATH] [--profile] [--quick]

Reading. The same text (benchmark passages from speed.py's corpus builder) is written as PDF
(fpdf2: bookmarks, running header, "Page N of M" footer), DOCX, ODT, EPUB, RTF, HTML (with
navigation, share buttons and a footer), Markdown (front matter, lists, tables) and plain text.
Each file is read by the product (`bot.readers.read(data, name)`, in this process) and by the
bare library its reader is built on (see ingest_formats.py); best of --repeat passes, the two
alternating. A page is a real page for PDF and 3,000 characters of the product's text for the
other formats, the same count for both columns, so their ratio is a ratio of times. With
--docs PATH the files under PATH are measured too, per format (a seeded sample of at most
--docs-mb MB and --docs-files files each; best of --docs-repeat timed passes after an untimed
one that finds which files both sides read).

Build. speed.py's corpus (seed .txt files of 20 passages) at each --sizes; for each
--processes value a child process runs `Library.reindex()` on a fresh index (the workers read,
analyse and write segments, the parent commits), then a no-op reindex, then a reindex after one
file changed. Beside it, a bare Whoosh writer: one TEXT field with StemmingAnalyzer, the same
passages, one process. Peak memory is each process's VmHWM (the build's own process, the fork
server and every worker, sampled every 50 ms; the largest child's ru_maxrss checks the sample),
and so is CPU time: on a shared machine, CPU seconds and the cores a run got say more than
wall time alone.
--profile runs the workers' loop (read_seed, add_seed, commit) in this process under cProfile
and prints where a passage's time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import platform
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from common import DEFAULT_DATA, REPO, Doc, print_table
from ingest_formats import FORMATS, PAGE_CHARS, SUFFIXES, Format, Source, by_name, make_sources
from process_watch import Proc, ProcessWatcher, cpu_between, cpu_used, peak_mb, peaks_at
from speed import make_corpus, passages, source_texts, write_corpus

if TYPE_CHECKING:
    from bot.library import Library
    from bot.readers import Article

TODAY = 300.0  # passages/s of the build before issue 8 (README, speed.py at 100k)
TARGET = 1.7 * TODAY  # issue 8's target
SEED = 1729
BARE = "bare Whoosh, 1 field"


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One file to read: its name decides plain text from Markdown from HTML."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Reading:
    """What one format's files cost to read, product and raw, over the same files."""

    label: str
    library: str
    files: int
    pages: float
    bytes: int
    product_s: float
    raw_s: float
    passages_s: float  # reader + corpus.make_documents
    product_chars: int
    raw_chars: int
    refused: tuple[tuple[str, int], ...]  # why docbot refused files, most common first
    raw_failed: int  # files the bare library could not read


def _product_chars(articles: Sequence[Article]) -> int:
    return sum(len(a.title or "") + sum(len(b.text) for b in a.blocks) for a in articles)


def measure_reading(label: str, fmt: Format, samples: Sequence[Sample], repeat: int) -> Reading:
    """An untimed pass finds the files both sides read and counts pages and text; then
    `repeat` timed passes of product, raw, product + passages, each keeping its best."""
    from bot.corpus import make_documents
    from bot.readers import Unreadable, read

    ok: list[Sample] = []
    refused: Counter[str] = Counter()
    raw_failed = size = product_chars = raw_chars = 0
    pages = 0.0
    for sample in samples:
        try:
            articles = read(sample.data, sample.name)
        except Unreadable as exc:  # the reason without its detail: "corrupt PDF"
            refused[str(exc).split(" (")[0].split(":")[0][:40]] += 1
            continue
        try:
            text, pdf_pages = fmt.raw(sample.data)
        except Exception:  # a file the bare library cannot read: not comparable
            raw_failed += 1
            continue
        ok.append(sample)
        chars = _product_chars(articles)
        pages += pdf_pages if pdf_pages is not None else chars / PAGE_CHARS
        size += len(sample.data)
        product_chars += chars
        raw_chars += len(" ".join(text.split()))
    steps: dict[str, Callable[[Sample], object]] = {
        "product": lambda s: read(s.data, s.name),
        "raw": lambda s: fmt.raw(s.data),
        "passages": lambda s: make_documents(s.name, read(s.data, s.name)),
    }
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(repeat if ok else 0):
        for step, run in steps.items():
            started = time.perf_counter()
            for sample in ok:
                run(sample)
            best[step] = min(best[step], time.perf_counter() - started)
    return Reading(
        label,
        fmt.library,
        len(ok),
        pages,
        size,
        best["product"],
        best["raw"],
        best["passages"],
        product_chars,
        raw_chars,
        tuple(refused.most_common()),
        raw_failed,
    )


def generated_samples(fmt: Format, sources: Sequence[Source], keep: Path | None) -> list[Sample]:
    """The sources written in this format (kept under keep/documents/ when asked)."""
    samples = [Sample(s.name + fmt.suffix, fmt.write(s)) for s in sources]
    if keep is not None:
        folder = keep / "documents"
        folder.mkdir(parents=True, exist_ok=True)
        for s in samples:
            (folder / s.name).write_bytes(s.data)
    return samples


def real_samples(root: Path, fmt: Format, max_mb: float, max_files: int) -> list[Sample]:
    """A seeded sample of the files under root with this format's suffixes."""
    paths = sorted(
        p
        for p in root.rglob("*")
        if SUFFIXES.get(p.suffix.lower()) == fmt.name and p.is_file() and not p.is_symlink()
    )
    random.Random(SEED).shuffle(paths)
    chosen: list[Sample] = []
    total = 0
    for path in paths:
        size = path.stat().st_size
        if len(chosen) >= max_files or (chosen and total + size > max_mb * 1e6):
            continue
        chosen.append(Sample(path.name, path.read_bytes()))
        total += size
    return chosen


def reading_table(rows: Sequence[Reading]) -> None:
    headers = [
        "format", "files", "pages", "MB", "docbot pages/s", "raw pages/s", "docbot/raw",
        "docbot MB/s", "raw MB/s", "+passages pages/s", "text kept", "raw library",
    ]  # fmt: skip
    table = []
    for r in rows:
        if not r.files:
            table.append([r.label, 0, *["n/a"] * 9, r.library])
            continue
        mb = r.bytes / 1e6
        table.append(
            [
                r.label,
                r.files,
                _num(r.pages),
                _num(mb),
                _rate(r.pages / r.product_s),
                _rate(r.pages / r.raw_s),
                _num(r.raw_s / r.product_s),
                _num(mb / r.product_s),
                _num(mb / r.raw_s),
                _rate(r.pages / r.passages_s),
                f"{r.product_chars / r.raw_chars:.2f}" if r.raw_chars else "n/a",
                r.library,
            ]
        )
    print_table(headers, table)
    for r in rows:
        if r.refused or r.raw_failed:
            reasons = ", ".join(f"{why} x{n}" for why, n in r.refused[:4])
            print(f"  {r.label}: refused by docbot {sum(n for _, n in r.refused)} ({reasons}); "
                  f"bare library failed {r.raw_failed}; neither counted above")  # fmt: skip


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _num(value: float) -> str:
    """Three significant digits, without an exponent: 0.00123, 0.41, 4.34, 297."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}" if value >= 0.001 else f"{value:.6f}"


# --- build: child processes ------------------------------------------------------------------


def _library(seeds: Path, index_dir: Path, processes: int) -> Library:
    """A product Library as a user's config.yaml would set it, with index.processes."""
    from bot.config import settings_from_mapping
    from bot.library import Library

    raw = {"seeds_dir": str(seeds), "index_dir": str(index_dir), "index": {"processes": processes}}
    return Library(settings_from_mapping(raw, seeds.parent, {}))


def _stop_fork_server() -> float:
    """Stop multiprocessing's fork server (it reaps the workers), wait for it, and return the
    largest ru_maxrss among this process's descendants. A private call, for a check only."""
    with contextlib.suppress(Exception):
        from multiprocessing import forkserver

        forkserver._forkserver._stop()  # type: ignore[attr-defined]
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def worker_build(root: Path, processes: int) -> dict:
    """The full build, a no-op reindex and a one-file change, with the memory of every process."""
    index_dir = root / f"index-p{processes}"
    shutil.rmtree(index_dir, ignore_errors=True)
    seeds = root / "seeds"
    lib = _library(seeds, index_dir, processes)
    ticks: list[float] = []  # when each file was done
    marks: dict[str, dict[int, Proc]] = {}

    try:
        with ProcessWatcher() as watcher:

            def progress(done: int, total: int, passages: int) -> None:
                ticks.append(time.perf_counter())
                if done == total:
                    marks["files"] = watcher.snapshot()

            marks["start"] = watcher.snapshot()
            started = time.perf_counter()
            summary = lib.reindex(progress)
            built = time.perf_counter()
            marks["end"] = watcher.snapshot()  # the build's, before the next two reindexes
            noop = lib.reindex()
            noop_s = time.perf_counter() - built
            changed_path = min(seeds.iterdir())
            original = changed_path.read_bytes()
            changed_path.write_bytes(
                original + b"\nA paragraph added to see what a change costs.\n"
            )
            before = time.perf_counter()
            change = lib.reindex()
            change_s = time.perf_counter() - before
            changed_path.write_bytes(original)
    finally:
        lib.close()
    largest_child = _stop_fork_server()
    first, last = (ticks[0], ticks[-1]) if ticks else (built, built)
    end = marks["end"]
    files = marks.get("files", end)  # (no mark if a file failed: all of it counts as files)
    return {
        "passages": summary.passages,
        "documents": summary.documents,
        "failed": len(summary.failed),
        "build_s": built - started,
        "to_first_s": first - started,
        "files_s": last - first,
        "finish_s": built - last,
        "cpu_files": cpu_between(marks["start"], files),
        "cpu_finish": cpu_between(files, end),
        "cpu_s": sum(cpu_used(marks["start"], end).values()),  # every process of the build
        "noop_s": noop_s,
        "noop_changed": noop.changed_anything,
        "change_s": change_s,
        "change_files": change.changed,
        "parent_mb": peaks_at(end, 0)[0],
        "helpers_mb": peaks_at(end, 1),
        "workers_mb": peaks_at(end, 2),
        "largest_child_rusage_mb": largest_child,
    }


def worker_bare(root: Path) -> dict:
    """A bare Whoosh writer: one TEXT field, StemmingAnalyzer, one process, the same passages."""
    from whoosh import index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import TEXT, Schema

    rows = [
        json.loads(line)["text"]
        for line in (root / "passages.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    folder = root / "index-bare"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    started, cpu = time.perf_counter(), time.process_time()
    ix = index.create_in(str(folder), Schema(body=TEXT(analyzer=StemmingAnalyzer())))
    writer = ix.writer()
    for text in rows:
        writer.add_document(body=text)
    writer.commit()
    return {
        "passages": len(rows),
        "build_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "parent_mb": peak_mb("self") or 0.0,
    }


def run_worker(args: argparse.Namespace) -> int:
    root = Path(args.dir)
    if args.worker == "bare":
        result, name = worker_bare(root), "bare"
    else:
        result, name = worker_build(root, args.procs), f"p{args.procs}"
    (root / f"result-{name}.json").write_text(json.dumps(result), encoding="utf-8")
    return 0


# --- build: the parent -----------------------------------------------------------------------


def spawn(root: Path, name: str, *extra: str) -> dict | None:
    """Run one measurement in a fresh interpreter (so its memory is its own); its result."""
    cmd = [sys.executable, __file__, "--dir", str(root), *extra]
    out = root / f"result-{name}.json"
    out.unlink(missing_ok=True)
    load = os.getloadavg()[0]
    proc = subprocess.run(cmd, check=False)
    if proc.returncode != 0 or not out.exists():
        print(f"  {name}: worker failed (exit {proc.returncode})", file=sys.stderr)
        return None
    result = json.loads(out.read_text(encoding="utf-8"))
    result["load"] = load
    return result


def measure_build(
    size: int, texts: Sequence[Doc], processes: Sequence[int], base: Path
) -> dict[str, dict | None]:
    root = base / f"n{size}"
    shutil.rmtree(root / "seeds", ignore_errors=True)
    write_corpus(make_corpus(texts, size), root)
    results: dict[str, dict | None] = {}
    for n in processes:
        print(f"{size}: docbot build, {n} process{'es' if n > 1 else ''} ...", flush=True)
        results[f"docbot, {n} proc"] = spawn(root, f"p{n}", "--worker", "build", "--procs", str(n))
    print(f"{size}: bare Whoosh writer ...", flush=True)
    results[BARE] = spawn(root, "bare", "--worker", "bare")
    return results


def _corpus_chars(root: Path) -> float:
    """Mean characters of a passage: the corpus's first texts are longer than its later
    sentence windows, so passages/s of different sizes differ in what a passage is."""
    lines = (root / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    return sum(len(json.loads(line)["text"]) for line in lines) / max(1, len(lines))


def _joined(values: Sequence[float], digits: int = 0) -> str:
    return "+".join(f"{v:.{digits}f}" for v in values) if values else "-"


def _cpu(used: dict[str, list[float]]) -> str:
    return f"{_joined(used['parent'], 1)} / {_joined(used['workers'], 1)}"


def build_tables(per_size: dict[int, dict[str, dict | None]], base: Path) -> None:
    """Speed, then memory, then where the time goes."""
    speed, memory, phases = [], [], []
    for size, results in per_size.items():
        chars = f"{_corpus_chars(base / f'n{size}'):.0f}"
        bare = results.get(BARE)
        bare_rate = bare["passages"] / bare["build_s"] if bare else float("nan")
        bare_cpu_rate = bare["passages"] / bare["cpu_s"] if bare else float("nan")
        for run, r in results.items():
            if r is None:
                speed.append([size, run, *["n/a"] * 13])
                continue
            product = run != BARE
            rate, cpu_rate = r["passages"] / r["build_s"], r["passages"] / r["cpu_s"]
            speed.append(
                [
                    size,
                    run,
                    r["passages"],
                    chars,
                    _num(r["build_s"]),
                    f"{rate:.0f}",
                    f"{rate / bare_rate:.2f}",
                    f"{rate / TARGET:.2f}",
                    _num(r["cpu_s"]),
                    f"{r['cpu_s'] / r['build_s']:.2f}",
                    f"{cpu_rate:.0f}",
                    f"{cpu_rate / bare_cpu_rate:.2f}",
                    _num(r["noop_s"]) if product else "-",
                    _num(r["change_s"]) if product else "-",
                    f"{r['load']:.2f}",
                ]
            )
            workers, helpers = r.get("workers_mb", []), r.get("helpers_mb", [])
            memory.append(
                [
                    size,
                    run,
                    f"{r['parent_mb']:.0f}",
                    _joined(workers),
                    _joined(helpers),
                    f"{r['parent_mb'] + sum(helpers) + sum(workers):.0f}",
                    f"{r['largest_child_rusage_mb']:.0f}" if product else "-",
                ]
            )
            if not product:
                continue
            phases.append(
                [
                    size,
                    run,
                    f"{r['to_first_s']:.2f}",
                    f"{r['files_s']:.1f}",
                    _cpu(r["cpu_files"]),
                    f"{r['finish_s']:.1f}",
                    _cpu(r["cpu_finish"]),
                ]
            )
            if r["noop_changed"] or r["change_files"] != 1 or r["failed"]:
                print(
                    f"  warning: {size} {run}: the no-op changed something, or the one-file "
                    f"change changed {r['change_files']} files, or {r['failed']} failed"
                )
    print_table(
        ["size", "run", "passages", "chars/passage", "build s", "passages/s", "x bare",
         "x target", "CPU s", "cores used", "passages/CPU s", "x bare/CPU s", "no-op s",
         "1-file s", "load"],
        speed,
    )  # fmt: skip
    print(
        f"x target: passages/s / {TARGET:.0f} (1.7 x the {TODAY:.0f}/s of before). x bare: / the "
        "bare writer's at the same size, in wall time and per CPU second (CPU s: every process "
        "of the build; cores used = CPU s / build s, below the processes asked for when the "
        "machine is busy). no-op and 1-file: Library.reindex() right after the build, with "
        "nothing changed and with one file changed."
    )
    print("\npeak memory of the build (VmHWM, sampled; before the no-op and one-file reindexes):")
    print_table(
        ["size", "run", "parent MB", "workers MB", "helpers MB", "all MB",
         "largest child MB (ru_maxrss)"],
        memory,
    )  # fmt: skip
    print(
        "helpers: multiprocessing's fork server and resource tracker. all = parent + helpers + "
        "workers, each at its own peak, pages shared after fork counted in each (an upper "
        "bound). ru_maxrss: exact, the largest of all children over the whole run."
    )
    if phases:
        print(
            "\nwhere the build's time goes: start to first file done; files (first to last "
            "done); finish (last file done to the end: workers write their segments, the parent "
            "commits). CPU s: parent / each worker, from the start and in the finish (sampled):"
        )
        print_table(
            ["size", "run", "to 1st file s", "files s", "CPU s so far", "finish s",
             "finish CPU s"],
            phases,
        )  # fmt: skip


# --- profile -----------------------------------------------------------------------------------


def profile_build(seeds: Path, work: Path, max_passages: int) -> None:
    """The workers' loop in this process: read_seed, add_seed into a segment writer, commit.
    First timed bare (phases per passage), then under cProfile (per source file)."""
    from bot.corpus import SeedFile, read_seed
    from bot.index import WORKER_POOL_MB, add_seed, open_or_create
    from bot.languages import LanguageOptions

    paths = sorted(seeds.iterdir())[: max(1, max_passages // 20)]

    def run(index_dir: Path) -> tuple[int, float, float, float]:
        shutil.rmtree(index_dir, ignore_errors=True)
        writer = open_or_create(index_dir).writer(limitmb=WORKER_POOL_MB)
        n, reading, adding = 0, 0.0, 0.0
        for path in paths:
            started = time.perf_counter()
            seed = read_seed(path, seeds)
            middle = time.perf_counter()
            if isinstance(seed, SeedFile):
                n += add_seed(writer, seed, LanguageOptions())
            reading, adding = reading + middle - started, adding + time.perf_counter() - middle
        started = time.perf_counter()
        writer.commit()
        return n, reading, adding, time.perf_counter() - started

    n, reading, adding, commit = run(work / "profile-timed")
    total = reading + adding + commit
    print(f"\nprofile: the workers' loop in one process, {len(paths)} files, {n} passages")
    print_table(
        ["phase", "ms/passage", "share"],
        [
            ["read_seed (read, decode, parse, passages)", f"{reading / n * 1000:.3f}",
             f"{reading / total:.0%}"],
            ["add_seed (analyse, postings, stored fields, spelling words)",
             f"{adding / n * 1000:.3f}", f"{adding / total:.0%}"],
            ["commit (write the segment)", f"{commit / n * 1000:.3f}", f"{commit / total:.0%}"],
            ["total", f"{total / n * 1000:.3f}", f"{n / total:.0f} passages/s"],
        ],
    )  # fmt: skip
    prof = cProfile.Profile()
    prof.enable()
    run(work / "profile-cprofile")
    prof.disable()
    stats = pstats.Stats(prof)
    by_file: Counter[str] = Counter()
    for (filename, _, func), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_file[_where(filename, func)] += tottime
    spent = sum(by_file.values())
    print("\nown time per source file under cProfile (which inflates Python-heavy code):")
    print_table(
        ["where", "ms/passage", "share"],
        [[w, f"{s / n * 1000:.3f}", f"{s / spent:.0%}"] for w, s in by_file.most_common(18)],
    )
    bot = str(REPO / "bot")
    own = [
        (f"{Path(filename).relative_to(REPO)}:{func}", cum, calls)
        for (filename, _, func), (_, calls, _, cum, _) in stats.stats.items()  # type: ignore[attr-defined]
        if filename.startswith(bot)
    ]
    print("\nthe product's functions by cumulative time (callees included):")
    print_table(
        ["function", "calls", "ms/passage", "share"],
        [
            [func, calls, f"{cum / n * 1000:.3f}", f"{cum / spent:.0%}"]
            for func, cum, calls in sorted(own, key=lambda x: -x[1])[:15]
        ],
    )


def _where(filename: str, func: str) -> str:
    if filename == "~":
        return f"builtin {func}"
    for marker in ("site-packages/", "lib/python3."):
        if marker in filename:
            tail = filename.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker.startswith("lib/") else tail
    with contextlib.suppress(ValueError):
        return str(Path(filename).relative_to(REPO))
    return filename


# --- main --------------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, load average {load}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark data folder")
    parser.add_argument("--pages", type=int, default=200, help="generated pages per format")
    parser.add_argument("--formats", default=",".join(f.name for f in FORMATS))
    parser.add_argument("--repeat", type=int, default=3, help="reading passes (best kept)")
    parser.add_argument("--docs", type=Path, default=None, help="also read the files under PATH")
    parser.add_argument("--docs-mb", type=float, default=10.0, help="at most MB per format")
    parser.add_argument("--docs-files", type=int, default=200, help="at most files per format")
    parser.add_argument("--docs-repeat", type=int, default=2, help="passes over --docs (best)")
    parser.add_argument("--sizes", default="10000", help="passages per build, comma-separated")
    parser.add_argument("--processes", default="1,2", help="index.processes values to build with")
    parser.add_argument("--profile", action="store_true", help="cProfile the workers' loop")
    parser.add_argument("--profile-passages", type=int, default=2000)
    parser.add_argument("--skip", default="", help="comma-separated: reading, build")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test)")
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the files")
    parser.add_argument("--worker", choices=("build", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--procs", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return run_worker(args)
    if args.quick:
        args.pages, args.repeat, args.sizes = 3, 1, "60"
        args.docs_mb, args.docs_files, args.docs_repeat, args.profile_passages = 1.0, 5, 1, 60
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    processes = [int(s) for s in args.processes.split(",") if s.strip()]
    formats = by_name([s.strip() for s in args.formats.split(",") if s.strip()])

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        texts = source_texts(args.data)
        if "reading" not in skip:
            print(f"\nreading {args.pages} generated pages per format ...", flush=True)
            documents = max(1, min(8, args.pages // 25))
            sources = make_sources(passages(texts), args.pages * PAGE_CHARS, documents)
            rows = [
                measure_reading(f.name, f, generated_samples(f, sources, args.keep), args.repeat)
                for f in formats
            ]
            print(
                f"\nREADING generated documents (best of {args.repeat}; page = a real page "
                f"for PDF, {PAGE_CHARS:,} characters of docbot's text otherwise; docbot/raw = "
                "raw time / docbot time)"
            )
            reading_table(rows)
            if args.docs is not None:
                print(f"\nreading files under {args.docs} ...", flush=True)
                real = [
                    measure_reading(
                        f.name,
                        f,
                        real_samples(args.docs, f, args.docs_mb, args.docs_files),
                        args.docs_repeat,
                    )
                    for f in formats
                ]
                print(
                    f"\nREADING files under {args.docs} (a seeded sample of at most "
                    f"{args.docs_mb:g} MB / {args.docs_files} files per format; best of "
                    f"{args.docs_repeat})"
                )
                reading_table(real)
        if "build" not in skip:
            per_size = {size: measure_build(size, texts, processes, base) for size in sizes}
            print(
                f"\nBUILD: Library.reindex of seed .txt files (20 passages each) into a fresh "
                f"index; target >= {TARGET:.0f} passages/s and faster than the bare writer"
            )
            build_tables(per_size, base)
            if args.profile:
                profile_build(base / f"n{sizes[0]}" / "seeds", base, args.profile_passages)
    print(f"\nafter: load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
