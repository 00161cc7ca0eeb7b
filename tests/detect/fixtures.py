"""Access to the named before/after pairs under tests/detect/pairs (origins in pairs/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PAIRS = Path(__file__).parent / "pairs"


def read_pair(name: str) -> tuple[str, str]:
    before = (PAIRS / name / "before.txt").read_text(encoding="utf-8")
    return before, (PAIRS / name / "after.txt").read_text(encoding="utf-8")


def expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAIRS / name / "expected.json").read_text(encoding="utf-8"))
    return data


def names_with_expectations() -> list[str]:
    return sorted(path.parent.name for path in PAIRS.glob("*/expected.json"))
