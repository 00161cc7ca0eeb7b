"""Benchmark: what each crawl asks of a site, first run against later ones (incremental, polite crawling).

Every source with a spider is crawled by real ``scrapy crawl`` processes (crawlers/runner.py) against its
play on the local test site (tests/site/), four times in a row with one data dir (snapshot store, HTTP
cache): a first full walk; an incremental walk with nothing changed (the archive's ids as ``known``, as
``policywatch run`` does while the last full walk is fresh); a full walk with nothing changed (when
``full_walk_every`` is due, or ``policywatch run --full``); and, for the static column sites, a full walk
after one detail page was edited in place (tests/site/sh_gov.py, sh_fgw.py ``EDIT``). Each row counts the
requests the site received (robots.txt included), how many were conditional and answered 304, and how
many bodies were downloaded (status 200). List APIs use small pages (platform 2, affair 1) so their lists
have several pages for an incremental walk to skip.

    python -m bench.bench_crawl_requests
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from crawlers.registry import load_registry
from crawlers.runner import CrawlResult, run_crawl
from tests.site import sh_fgw, sh_gov
from tests.site.minhang import MinhangPlay
from tests.site.platform import SITE_IDS, PlatformPlay
from tests.site.protocol import EditedPlay, PageEdit, SitePlay
from tests.site.pudong import PudongPlay
from tests.site.putuo import PutuoPlay
from tests.site.server import TestSite


@dataclass(frozen=True)
class Case:
    source_id: str
    play: Callable[[], SitePlay]
    fields: dict[str, Any]
    edit: PageEdit | None = None


CASES = (
    Case("sh-gov", sh_gov.ShGovPlay, {"channels": ["nw12344", "nw42944"]}, sh_gov.EDIT),
    Case("sh-fgw", sh_fgw.ShFgwPlay, {"channels": ["fgw_gfxwj"]}, sh_fgw.EDIT),
    Case("minhang", MinhangPlay, {"channels": ["mh-xxgk-cms/website/mh_xxgk/qzfwy_chhy"]}),
    Case("putuo", PutuoPlay, {"channels": ["3", "6", "1614"], "page_size": 1}),
    Case("pudong", PudongPlay, {"page_size": 1}),
    Case("sh-platform", PlatformPlay, {"site_ids": list(SITE_IDS), "page_size": 2}),
)


@dataclass(frozen=True)
class Row:
    source_id: str
    run: str
    full_walk: bool
    requests: int
    not_modified: int
    downloaded: int
    items: int
    known: int


def crawl(
    site: TestSite, case: Case, workdir: Path, run: str, known: set[str] | None
) -> tuple[Row, CrawlResult]:
    sources = workdir / "sources.yaml"
    entry = {"id": case.source_id, "base_url": site.base_url, "download_delay": 0.0, **case.fields}
    sources.write_text(yaml.safe_dump({"sources": [entry]}, allow_unicode=True), encoding="utf-8")
    site.reset_requests()
    result = run_crawl(
        load_registry(sources).get(case.source_id), workdir / run, sources_file=sources, known=known
    )
    if not result.completed:
        raise SystemExit(f"{case.source_id} {run}: the crawl did not complete: {result.faults}")
    asked = site.requests
    row = Row(
        case.source_id,
        run,
        result.full_walk,
        len(asked),
        sum(request.status == 304 for request in asked),
        sum(request.status == 200 for request in asked),
        result.stats.items,
        result.stats.known,
    )
    return row, result


def bench_source(case: Case, workdir: Path) -> list[Row]:
    play: SitePlay = case.play()
    if case.edit is not None:
        play = EditedPlay(play, case.edit)
    with TestSite(play) as site:
        first, result = crawl(site, case, workdir, "1 first", None)
        known = {item.native_id for item in result.output.items()}
        rows = [first]
        rows.append(crawl(site, case, workdir, "2 unchanged", known)[0])
        rows.append(crawl(site, case, workdir, "3 unchanged", None)[0])
        if case.edit is not None:
            site.set_step(play.steps[-1])
            rows.append(crawl(site, case, workdir, "4 one page edited", None)[0])
    return rows


def main() -> None:
    table = Table(title="Requests per crawl on the local test site (robots.txt included)")
    for column in ("source", "run", "walk", "requests", "304", "bodies (200)", "items", "known, skipped"):
        table.add_column(column, justify="left" if column in ("source", "run", "walk") else "right")
    with tempfile.TemporaryDirectory(prefix="policywatch-bench-") as tmp:
        for case in CASES:
            workdir = Path(tmp) / case.source_id
            workdir.mkdir()
            os.environ["POLICYWATCH_DATA_DIR"] = str(workdir / "data")  # snapshots and HTTP cache
            for row in bench_source(case, workdir):
                table.add_row(
                    row.source_id,
                    row.run,
                    "full" if row.full_walk else "incremental",
                    str(row.requests),
                    str(row.not_modified),
                    str(row.downloaded),
                    str(row.items),
                    str(row.known),
                )
            table.add_section()
    Console(width=150).print(table)


if __name__ == "__main__":
    main()
