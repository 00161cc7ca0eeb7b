"""Benchmark: precision and recall of every change kind over the labelled evaluation set.

Each case of tests/detect/eval/cases (text-level: noise, editorial, amended, new) and
tests/detect/eval/cases_lifecycle (extended, repealed, superseded, amended by notice, expiring, expired,
withdrawn, upstream_changed) is archived through the real archive stage by ``detect.evaluation.run_case``;
the changes its last step records are compared with its ``expect`` list. The goal is 100% recall and no
false change: the command exits 1 otherwise and lists the cases that miss it.

    .venv/bin/python -m bench.bench_detect_eval [--json] [FOLDER ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from detect.evaluation import Case, load_cases, run_case

CASES = Path(__file__).resolve().parents[1] / "tests" / "detect" / "eval"
FOLDERS = (CASES / "cases", CASES / "cases_lifecycle")


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    correct: int = 0

    @property
    def precision(self) -> float | None:
        return self.correct / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.expected if self.expected else None


@dataclass
class Miss:
    case: str
    missing: list[tuple[str, str]]
    unexpected: list[tuple[str, str]]


@dataclass
class Evaluation:
    cases: int = 0
    kinds: dict[str, Tally] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    seconds: float = 0.0


def evaluate(cases: list[Case]) -> Evaluation:
    """Every case run once; per kind, how many changes were expected, found, and found as expected."""
    started = time.perf_counter()
    result = Evaluation(cases=len(cases))
    for case in cases:
        expected, found = Counter(case.expect), Counter(run_case(case))
        for (_, kind), count in expected.items():
            result.kinds.setdefault(kind, Tally()).expected += count
        for event, count in found.items():
            tally = result.kinds.setdefault(event[1], Tally())
            tally.found += count
            tally.correct += min(count, expected[event])
        if found != expected:
            missing, unexpected = expected - found, found - expected
            result.misses.append(Miss(case.name, sorted(missing.elements()), sorted(unexpected.elements())))
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def report(result: Evaluation) -> str:
    lines = [f"{'kind':<18}{'expected':>9}{'found':>7}{'correct':>9}{'precision':>11}{'recall':>9}"]
    total = Tally()
    for kind, tally in sorted(result.kinds.items()):
        lines.append(
            f"{kind:<18}{tally.expected:>9}{tally.found:>7}{tally.correct:>9}"
            f"{_percent(tally.precision):>11}{_percent(tally.recall):>9}"
        )
        total.expected += tally.expected
        total.found += tally.found
        total.correct += tally.correct
    lines.append(
        f"{'all':<18}{total.expected:>9}{total.found:>7}{total.correct:>9}"
        f"{_percent(total.precision):>11}{_percent(total.recall):>9}"
    )
    lines.append(
        f"{result.cases} cases in {result.seconds} s; {len(result.misses)} not exactly as expected, "
        f"{total.found - total.correct} false change(s)"
    )
    for miss in result.misses:
        lines.append(f"  {miss.case}: missing {miss.missing}, unexpected {miss.unexpected}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=list(FOLDERS), help="case folders")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = evaluate([case for folder in args.folders for case in load_cases(folder)])
    if args.json:
        kinds = {
            kind: {**asdict(tally), "precision": tally.precision, "recall": tally.recall}
            for kind, tally in sorted(result.kinds.items())
        }
        summary = {"cases": result.cases, "kinds": kinds, "misses": [asdict(m) for m in result.misses]}
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(report(result))
    return 1 if result.misses else 0


if __name__ == "__main__":
    sys.exit(main())
