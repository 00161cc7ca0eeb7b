"""The evaluation cases of tests/detect/eval/cases, run straight through ``detect_change``.

A tiny stand-in for the shared runner (detect/evaluation.py), which archives the same cases through the
real pipeline: every document of every step is compared with its previous appearance, and the last step
must produce exactly the expected (doc, kind) changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from detect.changes import Snapshot, detect_change
from normalise.document import IDENTITY_FIELDS

CASES = Path(__file__).parent / "eval" / "cases"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CASES / name / "case.yaml").read_text(encoding="utf-8"))
    return data


def run(name: str) -> list[tuple[str, str]]:
    seen: dict[str, Snapshot] = {}
    found: list[tuple[str, str]] = []
    for step in load(name)["steps"]:
        found = []
        for doc in step["docs"]:
            text = (CASES / name / doc["text"]).read_text(encoding="utf-8")
            current = Snapshot(text, {key: doc.get(key) for key in IDENTITY_FIELDS})
            draft = detect_change(seen.get(doc["id"]), current)
            found += [(str(doc["id"]), draft.kind)] if draft else []
            seen[doc["id"]] = current
    return sorted(found)


NAMES = sorted(path.parent.name for path in CASES.glob("*/case.yaml"))


@pytest.mark.parametrize("name", NAMES)
def test_last_step_makes_exactly_the_expected_changes(name: str) -> None:
    expected = sorted((str(item["doc"]), str(item["kind"])) for item in load(name)["expect"] or [])
    assert run(name) == expected


def test_every_noise_type_and_kind_has_cases() -> None:
    assert len(NAMES) >= 45
    kinds = {item["kind"] for name in NAMES for item in load(name)["expect"] or []}
    assert kinds == {"new", "amended", "editorial"}
    assert sum(not load(name)["expect"] for name in NAMES) >= 10
