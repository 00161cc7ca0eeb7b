"""The archive stage without Prefect: crawl hand-over folder -> normalise -> version -> detect.

Crawls are simulated by writing the hand-over files of the platform spider for each step of the test
site's timeline (the same documents the end-to-end tests fetch over HTTP).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from crawlers.output import CrawlOutput, CrawlStats
from crawlers.registry import Registry
from crawlers.runner import load_crawl_result
from crawlers.spiders.sh_platform import item_from_payloads
from flows.stages import archive_crawl, pending_crawls, renormalise_archive, renormalise_version
from normalise.document import NORMALISER_VERSION
from storage.archive import listing_of
from storage.db import session_scope
from storage.models import Change, CrawlRun, Document, Listing, Version
from storage.snapshots import SnapshotStore
from tests.site.platform import AMENDMENT, documents


def write_crawl(root: Path, store: SnapshotStore, run_id: str, step: str, registry: Registry) -> Path:
    """The folder the spider would leave after crawling ``step``, with real raw snapshots."""
    output = CrawlOutput(root / run_id / "sh-platform")
    source = registry.get("sh-platform")
    for document in documents(step):
        record = {k: v for k, v in document.items() if k != "txt"}
        list_sha = store.put(
            json.dumps({"code": 0, "data": {"records": [record]}}, ensure_ascii=False).encode()
        )
        detail_sha = store.put(json.dumps({"code": 0, "data": document}, ensure_ascii=False).encode())
        output.add_item(
            item_from_payloads(record, document, source=source, snapshot_ids=[list_sha, detail_sha])
        )
    output.write_stats(CrawlStats(requests=9, responses=9, items=8, finished_at="2026-03-01T08:00:00+00:00"))
    output.write_result(exit_code=0, duration_s=1.0)
    return output.directory


def archive_step(archive: Engine, registry: Registry, tmp_path: Path, run_id: str, step: str):  # type: ignore[no-untyped-def]
    store = SnapshotStore(tmp_path / "snapshots")
    result = load_crawl_result(write_crawl(tmp_path / "runs", store, run_id, step, registry))
    assert result is not None
    return archive_crawl(archive, registry, result, run_id=run_id, store=store)


def changes(engine: Engine) -> list[Change]:
    with session_scope(engine) as session:
        return list(session.exec(select(Change).order_by(Change.id)).all())


def test_first_crawl_archives_every_document_as_new(
    archive: Engine, registry: Registry, tmp_path: Path
) -> None:
    report = archive_step(archive, registry, tmp_path, "r1", "1-initial")
    assert (report.items, report.new, report.amended, report.status) == (8, 8, 0, "ok")
    assert [c.kind for c in changes(archive)] == ["new"] * 8


def test_district_comes_from_the_platform_site_id(
    archive: Engine, registry: Registry, tmp_path: Path
) -> None:
    archive_step(archive, registry, tmp_path, "r1", "1-initial")
    with session_scope(archive) as session:
        changning = session.exec(
            select(Document).where(Document.native_id.endswith(AMENDMENT.business_id))
        ).one()
        assert (changning.district, changning.level) == ("changning", "district")


def test_noise_only_makes_no_version_and_no_change(
    archive: Engine, registry: Registry, tmp_path: Path
) -> None:
    archive_step(archive, registry, tmp_path, "r1", "1-initial")
    report = archive_step(archive, registry, tmp_path, "r2", "2-noise")
    assert (report.new, report.amended) == (0, 0)
    with session_scope(archive) as session:
        assert len(session.exec(select(Version)).all()) == 8


def test_amended_clause_is_one_change_with_old_and_new_amount(
    archive: Engine, registry: Registry, tmp_path: Path
) -> None:
    archive_step(archive, registry, tmp_path, "r1", "1-initial")
    archive_step(archive, registry, tmp_path, "r2", "2-noise")
    report = archive_step(archive, registry, tmp_path, "r3", "3-amended")
    assert (report.new, report.amended) == (0, 1)
    amended = changes(archive)[-1]
    (clause,) = amended.diff["changes"]
    assert clause["op"] == "modified"
    assert "不超过1000万元" in clause["before"] and "不超过500万元" in clause["after"]
    assert "1000" in amended.summary and "500" in amended.summary


def test_archiving_the_same_crawl_twice_changes_nothing(
    archive: Engine, registry: Registry, tmp_path: Path
) -> None:
    archive_step(archive, registry, tmp_path, "r1", "1-initial")
    archive_step(archive, registry, tmp_path, "r1", "1-initial")
    assert len(changes(archive)) == 8
    with session_scope(archive) as session:
        assert len(session.exec(select(CrawlRun)).all()) == 1


def test_a_version_is_re_derived_from_its_raw_snapshots_alone(
    archive: Engine, registry: Registry, tmp_path: Path
) -> None:
    archive_step(archive, registry, tmp_path, "r1", "1-initial")
    store = SnapshotStore(tmp_path / "snapshots")
    with session_scope(archive) as session:
        for version in session.exec(select(Version)).all():
            redone = renormalise_version(version, listing_of(session, version), registry, store)
            assert redone is not None and redone.content_hash == version.content_hash


def test_crawls_left_by_a_killed_run_are_found_for_archiving(
    archive: Engine, registry: Registry, tmp_path: Path
) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    write_crawl(tmp_path / "runs", store, "killed", "1-initial", registry)
    with session_scope(archive) as session:
        session.add(CrawlRun(run_id="killed", source_id="sh-platform", status="crawled"))
    pending = pending_crawls(archive, tmp_path / "runs", exclude_run="now")
    assert [(run_id, result.source_id, result.stats.items) for run_id, result in pending] == [
        ("killed", "sh-platform", 8)
    ]


def test_renormalise_records_technical_upgrades_and_no_change(
    archive: Engine, registry: Registry, tmp_path: Path
) -> None:
    archive_step(archive, registry, tmp_path, "r1", "1-initial")
    with session_scope(archive) as session:  # as if an older normaliser had kept a view counter
        for version in session.exec(select(Version)).all():
            version.normaliser_version = NORMALISER_VERSION - 1
            version.text += "\n阅读次数：12"
            version.content_hash = "old-normaliser-" + version.content_hash[15:]
            session.add(version)
        for listing in session.exec(select(Listing)).all():  # which its listings were last seen with
            assert listing.content_hash is not None
            listing.content_hash = "old-normaliser-" + listing.content_hash[15:]
            session.add(listing)
    report = renormalise_archive(archive, registry, SnapshotStore(tmp_path / "snapshots"))
    assert (report.checked, report.upgraded, report.unavailable) == (8, 8, 0)
    with session_scope(archive) as session:
        upgrades = session.exec(select(Version).where(Version.seq == 2)).all()
        assert len(upgrades) == 8 and all(v.technical_upgrade for v in upgrades)
        assert all("阅读次数" not in v.text for v in upgrades)
    assert [c.kind for c in changes(archive)] == ["new"] * 8


def test_renormalise_leaves_current_documents_alone(
    archive: Engine, registry: Registry, tmp_path: Path
) -> None:
    archive_step(archive, registry, tmp_path, "r1", "1-initial")
    report = renormalise_archive(archive, registry, SnapshotStore(tmp_path / "snapshots"))
    assert (report.checked, report.upgraded) == (0, 0)
