"""Benchmark: clause-level ``diff_texts`` against plain character diffs on a heavily reworded document.

Shows why detect/ aligns clauses first: an exact character diff of a reworded policy grows roughly
quadratically (minutes for 60,000 characters), and under diff-match-patch's default 1 s limit a character
diff of the whole document degrades into a false "everything rewritten". Both exact figures are measured
in one run: ``diff_texts`` (target: at most 200 ms, with no coarse clause), and pure character-mode
diff-match-patch without a time limit on the same input, in a child process stopped at ``--cap`` seconds
(smaller slices are timed too, to extrapolate when the cap is reached).
Reads the corpus in place from ../shared/corpus. Run with ``python -m bench.bench_diff [--cap 240]``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from diff_match_patch import diff_match_patch

from detect.diff import TextDiff, diff_texts

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TARGET_CHARS = 60_000
TARGET_MS = 200
RUNS = 7
SEED = 20261123
REWORDED_SHARE = 0.4
MOVED_SHARE = 0.03
AMOUNT_SHARE = 0.1
# Exact character mode is unbounded, so it runs on doubling prefixes until the next one would not fit.
CHAR_MODE_BUDGET_S = 35.0
CHAR_MODE_START = 2_000
CHILD_FLAG = "--char-mode-child"

Row = tuple[str, str, str, str]
T = TypeVar("T")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=240.0, help="seconds allowed to the full char-mode diff")
    cap = parser.parse_args().cap
    before = corpus_paragraphs(TARGET_CHARS)
    after = reworded(before, random.Random(SEED))
    old, new = "\n".join(before), "\n".join(after)
    print(f"before: {len(old):,} chars, {len(before)} paragraphs; after: {len(new):,} chars, {len(after)}")
    ours, ours_row = clause_row(old, new)
    slices, points = exact_char_rows(before, after)
    full, full_row = full_char_row(old, new, cap)
    rows = [
        ours_row,
        default_limit_row(old, new, checklines=True),
        default_limit_row(old, new, checklines=False),
        *slices,
        full_row,
    ]
    print_table(("method", "input (chars)", "time", "result"), rows)
    print()
    verdict = "met" if ours.median_ms <= TARGET_MS and ours.exact else "NOT met"
    print(
        f"diff_texts: {ours.median_ms:,.0f} ms median wall ({ours.cpu_ms:,.0f} ms CPU) of {RUNS} runs, "
        f"{'exact' if ours.exact else 'NOT exact'}; target <= {TARGET_MS} ms exact: {verdict}"
    )
    print(
        f"pure character-mode dmp (Diff_Timeout=0) on the same {len(old):,} / {len(new):,} chars: {full}; "
        f"extrapolated from the slices: {extrapolated(points, len(old))}"
    )


@dataclass(frozen=True)
class Ours:
    median_ms: float
    cpu_ms: float
    exact: bool
    """No clause fell back to a whole-paragraph replacement."""


def corpus_paragraphs(target: int) -> list[str]:
    """Canonical paragraphs of real corpus documents, whole documents until ``target`` characters."""
    paragraphs: list[str] = []
    for path in sorted((CORPUS / "docs").rglob("*.md")):
        paragraphs += canonical(path.read_text(encoding="utf-8"))
        if sum(map(len, paragraphs)) >= target:
            return paragraphs
    raise SystemExit(f"corpus at {CORPUS} has fewer than {target} characters")


def canonical(markdown: str) -> list[str]:
    """Roughly what the normaliser produces: no front matter or disclaimer, one paragraph per line."""
    body = markdown.split("---\n", 2)[2] if markdown.startswith("---\n") else markdown
    lines = (re.sub(r"\s+", " ", line).strip() for line in body.splitlines())
    return [line for line in lines if line and not line.startswith(">")]


def reworded(paragraphs: list[str], rng: random.Random) -> list[str]:
    """A heavy revision: clauses swapped for others' in 40% of paragraphs, amounts changed, some moved."""
    result = []
    for paragraph in paragraphs:
        roll = rng.random()
        if roll < REWORDED_SHARE:
            paragraph = _swap_clauses(paragraph, rng.choice(paragraphs), rng)
        elif roll < REWORDED_SHARE + AMOUNT_SHARE:
            paragraph = re.sub(r"\d+", lambda number: str(int(number.group()) * 2), paragraph)
        result.append(paragraph)
    for _ in range(int(len(result) * MOVED_SHARE)):
        result.insert(rng.randrange(len(result)), result.pop(rng.randrange(len(result))))
    return result


def _swap_clauses(paragraph: str, donor: str, rng: random.Random) -> str:
    clauses = re.split(r"(?<=[，。；])", paragraph)
    donated = re.split(r"(?<=[，。；])", donor)
    return "".join(rng.choice(donated) if rng.random() < 0.5 else clause for clause in clauses)


def clause_row(old: str, new: str) -> tuple[Ours, Row]:
    diff_texts(old, new)  # warm-up: imports, regex compilation
    wall, cpu = [], []
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.thread_time()
        result = diff_texts(old, new)
        wall.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    ours = Ours(statistics.median(wall) * 1000, statistics.median(cpu) * 1000, result.coarse_pairs == 0)
    ops = Counter(change.op for change in result.changes)
    summary = ", ".join(f"{count} {op}" for op, count in sorted(ops.items()))
    return ours, (
        "diff_texts (char_timeout 0.2 s)",
        _sizes(old, new),
        f"median {ours.median_ms:,.0f} ms of {RUNS} (CPU {ours.cpu_ms:,.0f} ms)",
        f"{summary}; {result.coarse_pairs} coarse, {result.sentence_pairs} sentence-level; "
        f"{_kept_share(old, result):.1%} of old chars kept",
    )


def _kept_share(old: str, result: TextDiff) -> float:
    """Comparable to the character diffs' equal share: old text outside removed or deleted spans."""
    lost = 0
    for change in result.changes:
        if change.op == "removed" or change.coarse:
            lost += len(change.before or "")
        lost += sum(len(text) for op, text in change.fragments if op == -1)
    return 1 - lost / len(old)


def default_limit_row(old: str, new: str, *, checklines: bool) -> Row:
    """The library's default 1 s limit, with and without its line-level speed-up."""
    dmp = diff_match_patch()
    timings, diffs = _timed(partial(dmp.diff_main, old, new, checklines=checklines), 1)
    mode = "defaults (line speed-up)" if checklines else "char mode"
    return (f"dmp {mode}, 1 s limit", _sizes(old, new), _seconds(timings[0]), _equal_share(diffs))


def exact_char_rows(before: list[str], after: list[str]) -> tuple[list[Row], list[tuple[int, float]]]:
    """Exact character mode on doubling prefixes while the next size (about 4x the time) fits the budget;
    the rows and the (size, seconds) points."""
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    rows: list[Row] = []
    points: list[tuple[int, float]] = []
    spent, size = 0.0, CHAR_MODE_START
    while size < TARGET_CHARS:
        old, new = _prefix(before, size), _prefix(after, size)
        timings, diffs = _timed(partial(dmp.diff_main, old, new, checklines=False), 1)
        spent += timings[0]
        rows.append(("dmp char mode, no limit", _sizes(old, new), _seconds(timings[0]), _equal_share(diffs)))
        points.append((size, timings[0]))
        if spent + 4 * timings[0] > CHAR_MODE_BUDGET_S:
            break
        size *= 2
    return rows, points


def full_char_row(old: str, new: str, cap: float) -> tuple[str, Row]:
    """Exact character mode on the whole input in a child process, stopped after ``cap`` seconds."""
    label = ("dmp char mode, no limit (child)", _sizes(old, new))
    if cap <= 0:
        return "not run (--cap 0)", (*label, "not run", "")
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "bench.bench_diff", CHILD_FLAG]
    try:
        child = subprocess.run(
            command,
            input=json.dumps([old, new]),
            capture_output=True,
            text=True,
            timeout=cap,
            cwd=root,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return f"> {cap:,.0f} s (stopped at the cap)", (*label, f"> {cap:,.0f} s", "stopped at the cap")
    seconds, share = json.loads(child.stdout)
    return f"{seconds:,.1f} s", (*label, _seconds(seconds), share)


def char_mode_child() -> None:
    """Runs in the child: reads [old, new] on stdin, prints [seconds, equal share] of an exact char diff."""
    old, new = json.loads(sys.stdin.read())
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0
    timings, diffs = _timed(partial(dmp.diff_main, old, new, checklines=False), 1)
    print(json.dumps([timings[0], _equal_share(diffs)]))


def extrapolated(points: list[tuple[int, float]], chars: int) -> str:
    """The time the last two slices' growth rate predicts for ``chars`` characters."""
    if len(points) < 2:
        return "too few slices"
    (small, t_small), (large, t_large) = points[-2:]
    exponent = math.log(t_large / t_small) / math.log(large / small)
    return f"~{t_large * (chars / large) ** exponent:,.0f} s (time ~ n^{exponent:.1f})"


def _prefix(paragraphs: list[str], chars: int) -> str:
    return "\n".join(paragraphs)[:chars]


def _timed(run: Callable[[], T], runs: int) -> tuple[list[float], T]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return timings, result


def _sizes(old: str, new: str) -> str:
    return f"{len(old):,} / {len(new):,}"


def _seconds(elapsed: float) -> str:
    return f"{elapsed:,.2f} s"


def _equal_share(diffs: list[tuple[int, str]]) -> str:
    equal = sum(len(text) for op, text in diffs if op == 0)
    total = sum(len(text) for op, text in diffs if op <= 0)
    return f"{equal / total:.1%} of old chars kept equal, {len(diffs)} ops"


def print_table(header: Row, rows: list[Row]) -> None:
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
    for row in [header, tuple("-" * width for width in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    if sys.argv[1:] == [CHILD_FLAG]:
        char_mode_child()
    else:
        main()
