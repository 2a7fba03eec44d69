"""benchmarks/throughput.py runs end to end on a tiny load and prints a table with numbers.

Only that it works is checked: no figure is compared with a target or a wall clock, since the
benchmark is not part of the suite's pass/fail and this machine's speed varies.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "throughput.py"
NUMBER = r"[\d,]+\.\d+"
ROWS = (
    ("Library.ask loop (reference)", "sequential, no Telegram"),
    ("PTB as shipped (AIORateLimiter)", "all at once"),
    ("PTB as shipped (AIORateLimiter)", "25/s, bursts of 10"),
    ("PTB, rate limiter off", "all at once"),
    ("PTB, rate limiter off", "100/s, bursts of 10"),
)


@pytest.mark.timeout(90)
def test_throughput_benchmark_prints_a_table_with_numbers() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--chats", "5", "--questions-per-chat", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=55,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert re.search(r"machine: \d+ CPUs \(nproc \d+\), Python 3\.\d+", out), out
    for name, load in ROWS:
        # every question answered, then answers/s, ratio, p50, p99, max, p50 ratio, errors 0
        row = rf"{re.escape(name)}\s+{re.escape(load)}\s+10/10\s+" + rf"{NUMBER}\s+" * 6 + r"0\s"
        assert re.search(row, out), f"no complete row for {name}, {load}:\n{out}"
    assert "target: capacity >= 100 answers/s" in out
    assert "TIMEOUT" not in proc.stderr
