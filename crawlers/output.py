"""The files one crawl of one source leaves behind, the hand-over from the crawl stage to the archive.

``<data>/runs/<run_id>/<source>/`` holds ``fetches.jsonl`` (every HTTP exchange, its body in the
snapshot store), ``items.jsonl`` (extracted documents), ``faults.jsonl`` (what went wrong, typed) and
``stats.json`` (written by the spider when it closes) and ``result.json`` (written by the runner when the
crawl process has ended: its exit code; without it the crawl never finished).
Lines are flushed one by one, so a killed crawl loses at most its last, partial line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from crawlers.items import PolicyItem

FETCHES = "fetches.jsonl"
ITEMS = "items.jsonl"
FAULTS = "faults.jsonl"
STATS = "stats.json"
RESULT = "result.json"


@dataclass(frozen=True)
class Fault:
    """Something a crawl could not use. ``kind`` is one of the names below, so health checks can count."""

    kind: str
    url: str
    detail: str

    KINDS = (
        "http-error",  # a non-2xx status after retries
        "network",  # timeout, DNS, connection refused, redirect loop
        "challenge",  # an anti-bot page (Ruishu 202/412, inline JavaScript)
        "spa-shell",  # the JavaScript shell of a page instead of its data
        "truncated",  # a body that ends before its JSON does
        "error-json",  # the API answered with code != 0
        "layout",  # the response does not have the structure the spider expects
        "empty",  # the source produced no document at all
        "robots",  # a request robots.txt forbids, so it was not made
        "attachment",  # a document's file not downloaded or not readable (its text is left out)
    )


@dataclass
class CrawlStats:
    requests: int = 0
    responses: int = 0
    items: int = 0
    known: int = 0
    """List entries left out of an incremental walk because the archive already has them."""
    faults: int = 0
    started_at: str = ""
    finished_at: str = ""
    finish_reason: str = ""


class CrawlOutput:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def append(self, name: str, record: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / name).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def add_item(self, item: PolicyItem) -> None:
        self.append(ITEMS, item.to_dict())

    def add_fault(self, fault: Fault) -> None:
        self.append(FAULTS, asdict(fault))

    def write_stats(self, stats: CrawlStats) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / (STATS + ".tmp")
        tmp.write_text(json.dumps(asdict(stats), ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(self.directory / STATS)

    def write_result(self, exit_code: int, duration_s: float) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / RESULT).write_text(json.dumps({"exit_code": exit_code, "duration_s": duration_s}))

    def result(self) -> dict[str, Any] | None:
        path = self.directory / RESULT
        return json.loads(path.read_text()) if path.exists() else None

    def read(self, name: str) -> Iterator[dict[str, Any]]:
        path = self.directory / name
        if not path.exists():
            return
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    return  # the partial last line of a killed crawl

    def items(self) -> list[PolicyItem]:
        return [PolicyItem.from_dict(record) for record in self.read(ITEMS)]

    def faults(self) -> list[Fault]:
        return [Fault(**record) for record in self.read(FAULTS)]

    def fetches(self) -> list[dict[str, Any]]:
        return list(self.read(FETCHES))

    def stats(self) -> CrawlStats | None:
        path = self.directory / STATS
        if not path.exists():
            return None
        return CrawlStats(**json.loads(path.read_text(encoding="utf-8")))
