"""Run one source's crawl as its own ``scrapy crawl`` process.

A process per crawl gives full isolation: Twisted's reactor cannot restart inside one process, a hung or
crashing spider cannot take the flow down with it, and the crawl is exactly what a user gets from
``scrapy crawl SOURCE`` by hand.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from crawlers.output import CrawlOutput, CrawlStats, Fault
from crawlers.registry import SourceConfig


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


def crawl_command(source: SourceConfig, run_dir: Path, sources_file: Path | None) -> list[str]:
    overrides = {
        "POLICYWATCH_RUN_DIR": str(run_dir),
        "POLICYWATCH_SOURCES": str(sources_file or ""),
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
    for key, value in overrides.items():
        command += ["-s", f"{key}={value}"]
    return command


def run_crawl(
    source: SourceConfig,
    run_dir: Path,
    *,
    sources_file: Path | None = None,
    timeout_s: float = 6 * 3600,
) -> CrawlResult:
    output = CrawlOutput(run_dir / source.id)
    output.directory.mkdir(parents=True, exist_ok=True)
    command = crawl_command(source, run_dir, sources_file)
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
