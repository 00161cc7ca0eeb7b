"""Attachments in the archive stage: their text is part of the version, a changed file is an amendment,
and a file that fails after it was read never becomes a version.

Crawls are simulated by writing the hand-over folder the Minhang spider leaves for 闵建管规〔2025〕2号
(tests/fixtures/minhang: its detail page links one attachment), with real raw snapshots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from crawlers.output import FETCHES, CrawlOutput, CrawlStats
from crawlers.registry import Registry
from crawlers.runner import CrawlResult, load_crawl_result
from crawlers.spiders.columns import list_entries
from crawlers.spiders.pages import decode_page, item_from_page
from flows.stages import SourceReport, archive_crawl, renormalise_archive, renormalise_version
from normalise.document import NORMALISER_VERSION
from storage.archive import listing_of
from storage.db import session_scope
from storage.models import Change, Version
from storage.snapshots import SnapshotStore
from tests.crawlers.sites import served
from tests.normalise.attachments.helpers import fixture, make_docx
from tests.site.minhang import MinhangPlay

PLAY = MinhangPlay()
COLUMN = "mh-xxgk-cms/website/mh_xxgk/qzfwy_chhy"
CREDIT = f"{COLUMN}/content/7b3d0f8f-3879-7f53-2108-f9a6d79d5263.htm"  # 闵建管规〔2025〕2号, on list_2
NAME = "关于废止《闵行区建筑市场主体不良信用信息认定管理办法》的通知.pdf"
# An attachment's text before and after a revision (one amount changed).
FIRST = ["第一条对不良信用信息的企业，处以不超过1000元的罚款。", "第二条本办法自发布之日起施行。"]
REVISED = ["第一条对不良信用信息的企业，处以不超过5000元的罚款。", "第二条本办法自发布之日起施行。"]
DOWNLOAD_FAILED = {"error": {"kind": "download", "detail": "HTTP 500"}}


@pytest.fixture
def store(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "data" / "snapshots")


def write_crawl(
    tmp_path: Path,
    store: SnapshotStore,
    registry: Registry,
    run_id: str,
    attachment: bytes | dict[str, Any] | None,
) -> CrawlResult:
    """The Minhang spider's hand-over folder for one document whose attachment was downloaded as
    ``attachment`` (bytes), failed (an ``error`` entry), or was never fetched (None: a crawl made before
    attachments were downloaded)."""
    source = registry.get("minhang")
    output = CrawlOutput(tmp_path / "runs" / run_id / "minhang")
    list_body, page_body = served(PLAY, f"/{COLUMN}/List/list_2.htm").body, served(PLAY, f"/{CREDIT}").body
    url = source.url(CREDIT)
    (entry,) = (e for e in list_entries(decode_page(url, list_body), url, source) if e["path"] == CREDIT)
    item = item_from_page(source, entry, decode_page(url, page_body), snapshot_ids=[store.put(list_body)])
    assert item is not None
    item.snapshot_ids.append(store.put(page_body))
    (file,) = item.record["attachments"]
    if isinstance(attachment, bytes):
        sha256 = store.put(attachment)
        file["sha256"] = sha256
        item.snapshot_ids.append(sha256)
        fetch = {"seq": 1, "method": "GET", "url": file["url"], "status": 200, "sha256": sha256}
        output.append(FETCHES, fetch | {"fetched_at": "2026-03-01T07:59:00+00:00", "size": len(attachment)})
    elif attachment is not None:
        file.update(attachment)
    output.add_item(item)
    output.write_stats(CrawlStats(requests=3, responses=3, items=1, finished_at="2026-03-01T08:00:00+00:00"))
    output.write_result(exit_code=0, duration_s=1.0)
    result = load_crawl_result(output.directory)
    assert result is not None
    return result


def crawl(
    archive: Engine, tmp_path: Path, store: SnapshotStore, registry: Registry, run_id: str, attachment: Any
) -> SourceReport:
    result = write_crawl(tmp_path, store, registry, run_id, attachment)
    return archive_crawl(archive, registry, result, run_id=run_id, store=store)


def versions(engine: Engine) -> list[Version]:
    with session_scope(engine) as session:
        return list(session.exec(select(Version).order_by(Version.seq)).all())


def change_kinds(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return [change.kind for change in session.exec(select(Change).order_by(Change.id)).all()]


def test_attachment_text_follows_the_body_under_its_name(
    archive: Engine, tmp_path: Path, store: SnapshotStore, registry: Registry
) -> None:
    report = crawl(archive, tmp_path, store, registry, "r1", make_docx(FIRST))
    assert (report.new, report.faults) == (1, [])
    (version,) = versions(archive)
    body, heading, attachment = version.text.partition(f"\n# 附件：{NAME}\n")
    assert heading and "闵行区建筑市场主体不良信用信息认定管理办法" in body
    assert attachment.splitlines() == FIRST
    (recorded,) = version.doc_metadata["attachments"]
    assert recorded["type"] == "docx" and recorded["chars"] == len(attachment) and recorded["ocr"] is False
    assert recorded["sha256"] == version.snapshot_ids[2] and "error" not in recorded


def test_scanned_attachment_is_read_by_ocr(
    archive: Engine, tmp_path: Path, store: SnapshotStore, registry: Registry
) -> None:
    crawl(archive, tmp_path, store, registry, "r1", fixture("scanned.pdf"))
    (version,) = versions(archive)
    assert "加大重点领域招商引资力度" in version.text
    assert version.doc_metadata["attachments"][0]["ocr"] is True


def test_a_changed_attachment_is_a_new_version_and_an_amendment(
    archive: Engine, tmp_path: Path, store: SnapshotStore, registry: Registry
) -> None:
    crawl(archive, tmp_path, store, registry, "r1", make_docx(FIRST))
    report = crawl(archive, tmp_path, store, registry, "r2", make_docx(REVISED))
    assert report.amended == 1
    assert [v.seq for v in versions(archive)] == [1, 2]
    assert change_kinds(archive) == ["new", "amended"]


def test_the_same_attachment_again_is_no_new_version(
    archive: Engine, tmp_path: Path, store: SnapshotStore, registry: Registry
) -> None:
    crawl(archive, tmp_path, store, registry, "r1", make_docx(FIRST))
    crawl(archive, tmp_path, store, registry, "r2", make_docx(FIRST))
    assert len(versions(archive)) == 1


@pytest.mark.parametrize(
    ("attachment", "cause"),
    [
        (fixture("error-page.pdf"), "malformed"),  # the site serves its error page under the file's URL
        (fixture("truncated.pdf"), "malformed"),  # a corrupted re-upload
        (DOWNLOAD_FAILED, "download"),  # the download failed (recorded by the crawl as a fault)
    ],
)
def test_an_attachment_failing_after_it_was_read_makes_no_version(
    archive: Engine, tmp_path: Path, store: SnapshotStore, registry: Registry, attachment: Any, cause: str
) -> None:
    crawl(archive, tmp_path, store, registry, "r1", make_docx(FIRST))
    report = crawl(archive, tmp_path, store, registry, "r2", attachment)
    (version,) = versions(archive)
    assert version.doc_metadata["attachments"][0]["chars"] > 0
    assert (report.new, report.amended, report.items) == (0, 0, 1)
    assert change_kinds(archive) == ["new"]
    kept = [fault for fault in report.faults if "kept version 1" in fault["detail"]]
    assert len(kept) == 1 and kept[0]["kind"] == "attachment" and NAME in kept[0]["detail"]
    unreadable = [fault for fault in report.faults if "unreadable" in fault["detail"]]
    assert [fault["detail"].split("(")[1].split(")")[0] for fault in unreadable] == (
        [cause] if cause != "download" else []
    )


def test_an_attachment_never_read_is_left_out_with_its_error(
    archive: Engine, tmp_path: Path, store: SnapshotStore, registry: Registry
) -> None:
    report = crawl(archive, tmp_path, store, registry, "r1", fixture("encrypted.pdf"))
    (version,) = versions(archive)
    assert "# 附件：" not in version.text
    (recorded,) = version.doc_metadata["attachments"]
    assert recorded["error"]["kind"] == "encrypted" and recorded["sha256"]
    (fault,) = report.faults
    assert fault["kind"] == "attachment" and "encrypted" in fault["detail"]
    # Read later (the site fixed the file): the text arrives as an amendment.
    crawl(archive, tmp_path, store, registry, "r2", make_docx(FIRST))
    assert change_kinds(archive) == ["new", "amended"]


def test_a_version_with_attachments_replays_from_its_snapshots(
    archive: Engine, tmp_path: Path, store: SnapshotStore, registry: Registry
) -> None:
    crawl(archive, tmp_path, store, registry, "r1", fixture("table.docx"))
    crawl(archive, tmp_path, store, registry, "r2", DOWNLOAD_FAILED)  # kept: version 1 stays current
    (version,) = versions(archive)
    with session_scope(archive) as session:
        redone = renormalise_version(version, listing_of(session, version), registry, store)
    assert redone is not None and redone.content_hash == version.content_hash
    assert redone.metadata["attachments"] == version.doc_metadata["attachments"]


def test_reading_attachments_for_the_first_time_is_a_technical_upgrade(
    archive: Engine, tmp_path: Path, store: SnapshotStore, registry: Registry
) -> None:
    crawl(archive, tmp_path, store, registry, "r1", None)
    _as_made_before_attachments(archive)
    # `policywatch renormalise` cannot re-derive it: its snapshots hold no attachment.
    assert renormalise_archive(archive, registry, store).unavailable == 1
    report = crawl(archive, tmp_path, store, registry, "r2", make_docx(FIRST))
    assert (report.technical_upgrades, report.amended) == (1, 0)
    latest = versions(archive)[-1]
    assert latest.technical_upgrade and latest.normaliser_version == NORMALISER_VERSION
    assert FIRST[0] in latest.text
    assert change_kinds(archive) == ["new"]


def _as_made_before_attachments(engine: Engine) -> None:
    """The archived version as normaliser 2 left it: links listed, nothing downloaded or read."""
    with session_scope(engine) as session:
        (version,) = session.exec(select(Version)).all()
        assert "# 附件：" not in version.text
        files = [{"url": file["url"], "name": file["name"]} for file in version.doc_metadata["attachments"]]
        version.doc_metadata = {**version.doc_metadata, "attachments": files}
        version.normaliser_version = 2
        session.add(version)
