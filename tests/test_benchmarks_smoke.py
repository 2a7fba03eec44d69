"""benchmarks/quality.py and benchmarks/speed.py run end to end on a tiny fake data folder
written in each benchmark's real format (CRLF qrels and queries included) and print their tables.

Only that the scripts work is checked, and that the product finds the obvious document: no
timings are asserted, the numbers belong to the benchmark runs, not to the test suite.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.semantic import available

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"

TOPICS = [
    ("Glacier retreat in the Alps", "glaciers", "ice melting on high mountain valleys"),
    ("Honey bee navigation", "bees", "waggle dances that point foragers toward flowers"),
    ("Steam locomotive boilers", "locomotives", "fireboxes heating water into pressurised steam"),
    ("Coral reef bleaching", "corals", "warm seawater expelling symbiotic algae from polyps"),
    ("Medieval bookbinding", "bookbinders", "sewing parchment quires onto leather thongs"),
    ("Volcanic ash and aviation", "volcanoes", "ash clouds that choke jet engine turbines"),
]


def _text(subject: str, detail: str, n: int) -> str:
    """A paragraph long enough to count as body text (25+ words, ending a sentence)."""
    return (
        f"Researchers studied {subject} for many years and described {detail} in careful detail. "
        f"Their report number {n} explains how {subject} behave through the seasons, "
        f"what the measurements showed, and why {detail} matters to the wider field."
    )


def write_fake_data(root: Path) -> None:
    scifact = root / "scifact"
    (scifact / "qrels").mkdir(parents=True)
    with (scifact / "corpus.jsonl").open("w") as f:
        for i, (title, subject, detail) in enumerate(TOPICS):
            row = {"_id": str(100 + i), "title": title, "text": _text(subject, detail, i)}
            f.write(json.dumps({**row, "metadata": {}}) + "\n")
    with (scifact / "queries.jsonl").open("w") as f:
        for i, (_, subject, detail) in enumerate(TOPICS):
            f.write(json.dumps({"_id": str(i), "text": f"{subject} {detail}", "metadata": {}}))
            f.write("\n")
    lines = ["query-id\tcorpus-id\tscore"] + [f"{i}\t{100 + i}\t1" for i in range(len(TOPICS))]
    (scifact / "qrels" / "test.tsv").write_bytes("\r\n".join(lines).encode() + b"\r\n")

    squad = root / "squad-v1.1"
    squad.mkdir()
    articles = []
    for i, (title, _, _) in enumerate(TOPICS[:3]):
        paragraphs = []
        for j, (_, sub2, det2) in enumerate([TOPICS[i], TOPICS[i + 3]]):
            context = _text(sub2, det2, 10 * i + j)
            qas = [{"id": f"q{i}{j}", "question": f"What explains {det2}?", "answers": []}]
            paragraphs.append({"context": context, "qas": qas})
        articles.append({"title": title.replace(" ", "_"), "paragraphs": paragraphs})
    (squad / "dev-v1.1.json").write_text(json.dumps({"version": "1.1", "data": articles}))

    cran = root / "cranfield"
    cran.mkdir()
    docs = []
    for i, (title, subject, detail) in enumerate(TOPICS, 1):
        body = _text(subject, detail, i).lower()
        wrapped = re.sub(r"(.{1,60})(\s|$)", r"\1\n", body).strip()
        docs.append(
            f".I {i}\n.T\n{title.lower()} .\n.A\nsomeone,a.\n.B\nj. x. 1, 1960.\n.W\n{wrapped}"
        )
    (cran / "cran.all.1400").write_text("\n".join(docs) + "\n")
    queries = [f".I {2 * i + 1:03d}\r\n.W\r\n{s} {d} .\r\n" for i, (_, s, d) in enumerate(TOPICS)]
    (cran / "cran.qry").write_bytes("".join(queries).encode())
    qrels = [f"{k} {k} {1 + k % 4} " for k in range(1, len(TOPICS) + 1)] + ["1 2 -1 "]
    (cran / "cranqrel").write_text("\n".join(qrels))


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_fake_data(root)
    return root


def _run(script: str, *args: str, timeout: float = 45) -> str:
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def _rows(out: str, first: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.split()[:1] == [first]]


SEMANTIC_MODEL = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2"
WITH_SEMANTIC = available() and (SEMANTIC_MODEL / "onnx").is_dir()


@pytest.mark.parametrize(
    "semantic",
    [
        False,
        pytest.param(
            True,
            marks=pytest.mark.skipif(not WITH_SEMANTIC, reason="no semantic extra or model"),
        ),
    ],
)
def test_quality_prints_table(data: Path, semantic: bool) -> None:
    model = str(SEMANTIC_MODEL) if semantic else "none"
    out = _run("quality.py", "--data", str(data), "--semantic", model)
    systems = (
        r"product\s+\+semantic\s+bm25s\s+ratio\s+\+semantic ratio"
        if semantic
        else (r"product\s+bm25s\s+ratio")
    )
    assert re.search(rf"^benchmark\s+metric\s+{systems}$", out, re.M), out
    metrics = {(row[0], row[1]): row[2:] for row in _rows(out, "scifact") + _rows(out, "squad")}
    metrics |= {(row[0], row[1]): row[2:] for row in _rows(out, "cranfield")}
    expected = [
        ("scifact", "nDCG@10"),
        ("scifact", "Recall@100"),
        ("squad", "Hit@1"),
        ("squad", "MRR@10"),
        ("cranfield", "nDCG@10"),
        ("cranfield", "MAP@100"),
    ]
    for key in expected:
        assert key in metrics, out
        values = [float(v) for v in metrics[key]]
        scores = values[:3] if semantic else values[:2]  # product, (+semantic), bm25s
        # Every fake query names its document outright: every system must find it.
        assert all(v > 0.5 for v in scores), (key, out)
    assert ("+semantic ms/q" in out) == semantic, out


def test_speed_prints_table(data: Path) -> None:
    out = _run("speed.py", "--data", str(data), "--sizes", "20,40", "--questions", "6",
               "--cold-runs", "1", "--profile", timeout=120)  # fmt: skip
    assert "tantivy/product" in out and "bm25s/product" in out, out
    assert "profile: product search path" in out, out
    header = next(line.split() for line in out.splitlines() if line.startswith("size "))
    columns = header[2:]  # after size and metric: each system, then each peer/product ratio
    systems = [c for c in columns if "/" not in c]
    assert systems[0] == "product" and ("+semantic" in systems) == WITH_SEMANTIC, out
    for size in ("20", "40"):
        rows = {" ".join(r[1 : -len(columns)]): r[-len(columns) :] for r in _rows(out, size)}
        for metric in ("index passages/s", "search median ms", "search p95 ms", "peak memory MB"):
            values = rows[metric][: len(systems)]
            assert all(float(v) > 0 for v in values), (metric, out)
        assert float(rows["cold start s"][0]) > 0, out
        assert float(rows["disk MB"][0]) > 0, out
        if WITH_SEMANTIC:  # the layer costs its embedding time and its vectors on disk
            product, semantic = (float(v) for v in rows["index s"][:2])
            assert semantic > product > 0, out
            assert float(rows["disk MB"][1]) > float(rows["disk MB"][0]), out
            assert float(rows["cold start s"][1]) > 0, out


def _section(out: str, start: str, end: str | None = None) -> str:
    """The lines of `out` from the one starting with `start` to the one starting with `end`."""
    tail = out[out.index(start) :]
    return tail[: tail.index(end)] if end else tail


def _numbers(line: str, label: str, count: int) -> list[float]:
    """The first `count` numbers after `label` on a table line ("1,215" and "0.41" alike)."""
    cells = line.split(label, 1)[1].split()[:count]
    return [float(cell.replace(",", "")) for cell in cells]


def _table_line(text: str, pattern: str) -> str:
    match = re.search(pattern, text, re.M)
    assert match, (pattern, text)
    return match.group(0)


def test_ingest_prints_reading_and_build_tables(data: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.txt").write_text(_text("glaciers", "ice melting", 1) + "\n")
    (docs / "guide.md").write_text("# Bee guide\n\n" + _text("bees", "waggle dances", 2) + "\n")
    (docs / "page.html").write_text(
        "<!DOCTYPE html><html><head><title>Corals</title></head><body><main><p>"
        + _text("corals", "warm seawater", 3)
        + "</p></main></body></html>"
    )
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a PDF\n")  # refused, not timed
    out = _run("ingest.py", "--data", str(data), "--quick", "--docs", str(docs), "--profile",
               timeout=90)  # fmt: skip

    generated = _section(out, "READING generated", "READING files")
    for fmt in ("pdf", "docx", "odt", "epub", "rtf", "html", "markdown", "text"):
        line = _table_line(generated, rf"^{fmt}\s+\d.*$")
        files, pages, mb, product, raw, ratio = _numbers(line, fmt, 6)
        assert files >= 1 and pages > 0 and mb > 0, line
        assert product > 0 and raw > 0 and ratio > 0, line

    real = _section(out, "READING files", "BUILD")
    for fmt in ("text", "markdown", "html"):
        files, pages, _mb, product, raw = _numbers(_table_line(real, rf"^{fmt}\s+\d.*$"), fmt, 5)
        assert files == 1 and pages > 0 and product > 0 and raw > 0, real
    assert re.search(r"pdf: refused by docbot 1 \(corrupt PDF x1\)", real), real

    build = _section(out, "BUILD", "peak memory of the build")
    memory = _section(out, "peak memory of the build", "where the build's time goes")
    passages = {}
    for run in ("docbot, 1 proc", "docbot, 2 proc", "bare Whoosh, 1 field"):
        line = _table_line(build, rf"^60\s+{run}\s.*$")
        count, chars, seconds, rate, vs_bare, vs_target, cpu, cores, per_cpu, vs_bare_cpu = (
            _numbers(line, run, 10)
        )
        assert count >= 50 and chars > 0 and seconds > 0 and rate > 0, line
        assert vs_bare > 0 and vs_target > 0 and cpu > 0 and cores > 0, line
        assert per_cpu > 0 and vs_bare_cpu > 0, line
        passages[run] = count
        parent_mb = _numbers(_table_line(memory, rf"^60\s+{run}\s.*$"), run, 1)[0]
        assert parent_mb > 0, memory
        if run.startswith("docbot"):
            noop, one_file = _numbers(line, run, 12)[10:]
            assert noop >= 0 and one_file > 0, line
    # Both product builds index the same corpus into the same passages.
    assert passages["docbot, 1 proc"] == passages["docbot, 2 proc"], build
    assert "profile: the workers' loop in one process" in out, out
    assert "bot/index.py:add_seed" in out, out
