"""Run one source's crawl as its own ``scrapy crawl`` process.

A process per crawl gives full isolation: Twisted's reactor cannot restart inside one process, a hung or
crashing spider cannot take the flow down with it, and the crawl is exactly what a user gets from
``scrapy crawl SOURCE`` by hand.

A crawl is a full walk (every list page to its end) or incremental: the runner hands the spider the native
ids the archive already has (``-a known=FILE``) and list walks stop at the first page listing only those.
Static pages are fetched conditionally from a persistent cache folder per source (``HTTPCACHE_DIR``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from crawlers.output import CrawlOutput, CrawlStats, Fault
from crawlers.registry import SourceConfig
from policywatch.config import load_settings

KNOWN_FILE = "known.json"


@dataclass
class CrawlResult:
    source_id: str
    output: CrawlOutput
    stats: CrawlStats
    faults: list[Fault]
    duration_s: float
    exit_code: int

    @property
    def completed(self) -> bool:
        """The crawl process ran to its end (its faults may still say that parts of the source failed)."""
        return self.exit_code == 0 and self.output.stats() is not None

    @property
    def full_walk(self) -> bool:
        """Every list was walked to its end: nothing was left out as already known, so what the crawl did
        not list is really missing from the source."""
        return self.stats.known == 0


# A scheduled run starts a little less than a period after the one before (that one's record is written
# when its crawl ends): without slack, `full_walk_every: 24h` on a daily schedule would walk fully every
# other day.
FULL_WALK_SLACK = 0.05


def full_walk_due(last_full_walk: datetime | None, every: timedelta, now: datetime) -> bool:
    """A full walk is due when none was ever made or the last one is about ``every`` old (``0``: always)."""
    if last_full_walk is None or every <= timedelta(0):
        return True
    return now - last_full_walk >= every * (1 - FULL_WALK_SLACK)


def cache_dir(source: SourceConfig) -> Path:
    """The persistent HTTP cache of one source (validators and bodies of its static pages)."""
    return load_settings().data_dir / "httpcache" / source.id


def crawl_command(
    source: SourceConfig, run_dir: Path, sources_file: Path | None, known_file: Path | None = None
) -> list[str]:
    overrides = {
        "POLICYWATCH_RUN_DIR": str(run_dir),
        "POLICYWATCH_SOURCES": str(sources_file or ""),
        "HTTPCACHE_DIR": str(cache_dir(source)),
        **source.scrapy_settings(),
    }
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        source.spider or source.id,
        "-a",
        f"source={source.id}",
    ]
    if known_file is not None:
        command += ["-a", f"known={known_file}"]
    for key, value in overrides.items():
        command += ["-s", f"{key}={value}"]
    return command


def run_crawl(
    source: SourceConfig,
    run_dir: Path,
    *,
    sources_file: Path | None = None,
    timeout_s: float = 6 * 3600,
    known: Collection[str] | None = None,
) -> CrawlResult:
    """Crawl ``source``: a full walk, or with ``known`` (native ids already archived) an incremental one."""
    output = CrawlOutput(run_dir / source.id)
    output.directory.mkdir(parents=True, exist_ok=True)
    known_file = None
    if known is not None:
        known_file = output.directory / KNOWN_FILE
        known_file.write_text(json.dumps(sorted(known), ensure_ascii=False), encoding="utf-8")
    command = crawl_command(source, run_dir, sources_file, known_file)
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawlers.settings"}
    started = time.monotonic()
    log_path = output.directory / "scrapy.log"
    with log_path.open("wb") as log:
        try:
            exit_code = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=timeout_s
            ).returncode
        except subprocess.TimeoutExpired:
            exit_code = -1
            output.add_fault(
                Fault("network", source.base_url, f"crawl exceeded {timeout_s:.0f} s and was stopped")
            )
    duration = time.monotonic() - started
    if output.stats() is None or exit_code != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-800:]
        output.add_fault(Fault("network", source.base_url, f"crawl process ended with {exit_code}: {tail}"))
    output.write_result(exit_code, duration)
    result = load_crawl_result(output.directory)
    assert result is not None
    return result


def load_crawl_result(directory: Path) -> CrawlResult | None:
    """A finished crawl rebuilt from its folder alone (None while the crawl has not ended)."""
    output = CrawlOutput(directory)
    meta = output.result()
    if meta is None:
        return None
    return CrawlResult(
        source_id=directory.name,
        output=output,
        stats=output.stats() or CrawlStats(),
        faults=output.faults(),
        duration_s=meta["duration_s"],
        exit_code=meta["exit_code"],
    )
