"""End to end: `policywatch run` walks incrementally between full walks, and only full walks count misses.

Real `policywatch run` processes against the local platform site (small pages, so a site's list has more
than one page): the first run is a full walk, the second (its full walk is fresh under the default
`full_walk_every: 24h`) stops at the first page of already archived documents, `--full` walks everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from storage.db import make_engine, session_scope
from storage.models import Change, CrawlRun, Listing
from tests.e2e.conftest import Workspace, make_workspace
from tests.site.server import TestSite

pytestmark = pytest.mark.e2e


@pytest.fixture
def workspace(tmp_path: Path, prefect_api: str, site: TestSite) -> Workspace:
    workspace = make_workspace(tmp_path, None, prefect_api, site)
    sources = yaml.safe_load(workspace.sources.read_text(encoding="utf-8"))
    del sources["sources"][0]["full_walk_every"]  # the built-in default, 24h
    workspace.sources.write_text(yaml.safe_dump(sources, allow_unicode=True), encoding="utf-8")
    return workspace


def crawl_runs(workspace: Workspace) -> list[tuple[bool, str, int]]:
    with session_scope(make_engine(workspace.database_url)) as session:
        runs = session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()  # type: ignore[arg-type]
        return [(run.full_walk, run.status, run.items) for run in runs]


def misses(workspace: Workspace) -> dict[str, int]:
    with session_scope(make_engine(workspace.database_url)) as session:
        return {listing.native_id: listing.missed_runs for listing in session.exec(select(Listing)).all()}


def amended(workspace: Workspace) -> int:
    with session_scope(make_engine(workspace.database_url)) as session:
        return len(session.exec(select(Change).where(Change.kind == "amended")).all())


def test_an_incremental_run_counts_no_misses_and_full_walks_do(workspace: Workspace, site: TestSite) -> None:
    workspace.run()
    first = misses(workspace)
    assert first and set(first.values()) == {0}

    # Step 3 edits a known document in place; the incremental walk stops at page 1 of each site, so
    # documents further down (0070's third) are not listed, and must not count as missed.
    site.set_step("3-amended")
    site.reset_requests()
    workspace.run()
    second_details = [r for r in site.requests if r.path == "/gwk/policy/detail"]
    assert second_details == []  # every listed document is already archived
    pages = {
        (r.json["siteIdList"][0], r.json["pageNo"]) for r in site.requests if r.path == "/gwk/policy/page"
    }
    assert ("0070", 1) in pages and ("0070", 2) not in pages  # 0070's third document went unlisted
    assert crawl_runs(workspace)[-1] == (False, "ok", 0)
    assert set(misses(workspace).values()) == {0}
    assert amended(workspace) == 0  # an in-place edit waits for the next full walk

    workspace.run("--full")
    assert crawl_runs(workspace)[-1][:2] == (True, "ok")
    assert set(misses(workspace).values()) == {0}
    assert amended(workspace) == 1
