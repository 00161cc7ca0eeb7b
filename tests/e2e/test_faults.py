"""End to end: a source that misbehaves leaves the archive as it was and says so on the crawl run.

From an archive of step 1, each case serves step 3 (the 长宁 amendment) with one fault hitting exactly the
amended document or its list page; the run must finish with exit 0, record the fault, and record no
change (the fault must not look like an amendment, a deletion or a new document).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from storage.db import make_engine
from storage.models import CrawlRun
from tests.e2e.conftest import Workspace, make_workspace
from tests.e2e.state import archive_state
from tests.site.faults import Fault
from tests.site.platform import AMENDMENT
from tests.site.server import TestSite

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fault_site() -> Iterator[TestSite]:
    with TestSite() as site:
        yield site


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, prefect_api: str, fault_site: TestSite) -> Workspace:
    fault_site.set_step("1-initial")
    workspace = make_workspace(tmp_path_factory.mktemp("baseline"), None, prefect_api, fault_site)
    workspace.run()
    return workspace


def last_crawl_run(workspace: Workspace) -> CrawlRun:
    with Session(make_engine(workspace.database_url)) as session:
        return session.exec(select(CrawlRun).order_by(col(CrawlRun.id).desc())).first()  # type: ignore[return-value]


CASES = [
    (Fault("http-500", site_id=AMENDMENT.site_id), "http-error"),
    (Fault("error-json", site_id=AMENDMENT.site_id), "error-json"),
    (Fault("timeout", business_id=AMENDMENT.business_id, delay=8), "network"),
    (Fault("truncated", business_id=AMENDMENT.business_id), "truncated"),
    (Fault("challenge", business_id=AMENDMENT.business_id), "challenge"),
    (Fault("412", site_id=AMENDMENT.site_id), "challenge"),
]


@pytest.mark.parametrize(("fault", "kind"), CASES, ids=[fault.kind for fault, _ in CASES])
def test_fault_leaves_archive_unchanged_and_is_recorded(
    baseline: Workspace, fault_site: TestSite, tmp_path: Path, fault: Fault, kind: str
) -> None:
    workspace = baseline.clone(tmp_path / "case")
    before = archive_state(workspace.database_url)
    fault_site.set_step("3-amended")
    fault_site.set_faults([fault])
    try:
        completed = workspace.run()
    finally:
        fault_site.clear_faults()
    assert completed.returncode == 0
    assert archive_state(workspace.database_url) == before
    crawl_run = last_crawl_run(workspace)
    assert crawl_run.status == "partial"
    assert kind in {entry["kind"] for entry in crawl_run.error_log}
    assert crawl_run.items == 7  # every other document was still read


def test_unreachable_source_is_a_failed_crawl_not_deleted_documents(
    baseline: Workspace, tmp_path: Path
) -> None:
    workspace = baseline.clone(tmp_path / "case")
    before = archive_state(workspace.database_url)
    text = workspace.sources.read_text(encoding="utf-8")
    workspace.sources.write_text(
        text.replace(text.split("base_url: ")[1].split("\n")[0], "http://127.0.0.1:9")
    )
    completed = workspace.run()
    assert completed.returncode == 0
    assert archive_state(workspace.database_url) == before
    crawl_run = last_crawl_run(workspace)
    assert crawl_run.status == "failed"
    assert {entry["kind"] for entry in crawl_run.error_log} >= {"network", "empty"}
