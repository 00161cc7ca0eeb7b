"""Detail-page spiders download each attachment on the source's own site before yielding the document.

Minhang's 闵建管规〔2025〕2号 links one PDF (tests/fixtures/minhang), which the play serves as the
scanned fixture (tests/site/minhang.py); fgw's revision notice links one under /cmsres/ (text PDF).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from parsel import Selector
from sqlalchemy.engine import Engine
from sqlmodel import select

from crawlers.registry import load_registry
from crawlers.spiders.columns import ShFgwSpider
from crawlers.spiders.minhang import MinhangSpider
from crawlers.spiders.pages import attachments
from flows.stages import archive_crawl
from storage.archive import sync_sources
from storage.db import session_scope
from storage.models import Version
from storage.snapshots import SnapshotStore
from tests.crawlers.sites import BASE, crawl, crawl_over_http, faults_of, make_spider
from tests.normalise.attachments.helpers import fixture
from tests.site.minhang import MinhangPlay
from tests.site.pages import FixturePlay
from tests.site.sh_fgw import ShFgwPlay

COLUMN = "mh-xxgk-cms/website/mh_xxgk/qzfwy_chhy"
CREDIT = f"{COLUMN}/content/7b3d0f8f-3879-7f53-2108-f9a6d79d5263.htm"
FILE = "/mh-xxgk-cms/UploadPath/uploadfile/2025-07-09/5604af15-bada-6137-280d-faa8b026b579.pdf"


def minhang(tmp_path: Path) -> MinhangSpider:
    return make_spider(MinhangSpider, tmp_path, channels=[COLUMN])  # type: ignore[return-value]


def test_the_attachment_is_fetched_after_its_page_and_named_in_the_item(tmp_path: Path) -> None:
    spider = minhang(tmp_path)
    done = crawl(spider, MinhangPlay())
    urls = done.urls()
    assert urls.index(f"{BASE}{FILE}") > urls.index(f"{BASE}/{CREDIT}")
    item = done.item(CREDIT)
    (file,) = item.record["attachments"]
    assert file["sha256"] == f"sha-of-{FILE}" and "error" not in file
    assert item.snapshot_ids[2:] == [f"sha-of-{FILE}"]
    assert (len(done.items), faults_of(spider)) == (5, [])


def test_attachment_requests_are_capped_and_never_deduplicated(tmp_path: Path) -> None:
    spider = minhang(tmp_path)
    (request,) = [r for r in crawl(spider, MinhangPlay()).requests if r.url.endswith(".pdf")]
    assert request.dont_filter and request.meta["download_maxsize"] == 50 * 1024 * 1024


def test_a_failed_download_is_a_fault_and_the_document_still_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The site without its files: the link answers 404 (over HTTP, where errbacks run as in production).
    result = crawl_over_http(FixturePlay("minhang"), "minhang", tmp_path, monkeypatch, channels=[COLUMN])
    (item,) = [item for item in result.output.items() if item.native_id == CREDIT]
    (file,) = item.record["attachments"]
    assert file["error"] == {"kind": "download", "detail": "HTTP 404"} and "sha256" not in file
    assert len(item.snapshot_ids) == 2 and len(result.output.items()) == 5
    (fault,) = result.faults
    assert (fault.kind, fault.detail) == ("attachment", "not downloaded (download): HTTP 404")
    assert fault.url.endswith(FILE)


def test_files_on_another_site_or_of_unread_types_are_listed_but_not_fetched(tmp_path: Path) -> None:
    source = minhang(tmp_path).source
    links = (
        '<a href="https://other.example.cn/files/1.pdf">附件1</a><a href="/f/2.doc">附件2</a>'
        '<a href="/f/3.OFD">附件3</a>'
    )
    page = Selector(text=f"<div>{links}</div>")
    outside, own, ofd = attachments(page, f"{BASE}/{CREDIT}", source)
    assert outside["error"]["kind"] == "download" and outside["url"] == "https://other.example.cn/files/1.pdf"
    assert own == {"url": f"{BASE}/f/2.doc", "name": "附件2"}
    assert ofd["error"] == {"kind": "unsupported", "detail": "OFD files are not read"}


def test_fgw_attachment_on_its_absolute_host_is_fetched_from_base_url(tmp_path: Path) -> None:
    spider = make_spider(ShFgwSpider, tmp_path, channels=["fgw_gfxwj"], hosts=["fgw.sh.gov.cn"])
    done = crawl(spider, ShFgwPlay())
    fetched = [url for url in done.urls() if "/cmsres/" in url]
    assert fetched and all(url.startswith(BASE) for url in fetched)
    assert faults_of(spider) == []


def test_a_real_crawl_stores_the_file_and_the_archive_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    result = crawl_over_http(MinhangPlay(), "minhang", tmp_path, monkeypatch, channels=[COLUMN])
    assert result.completed and result.faults == []
    (item,) = [item for item in result.output.items() if item.native_id == CREDIT]
    (file,) = item.record["attachments"]
    store = SnapshotStore(tmp_path / "data" / "snapshots")
    assert store.get(file["sha256"]) == fixture("scanned.pdf")
    registry = load_registry(tmp_path / "sources.yaml")
    with session_scope(engine) as session:
        sync_sources(session, registry.sources)
    report = archive_crawl(engine, registry, result, run_id="r1", store=store)
    assert (report.new, report.faults) == (5, [])
    with session_scope(engine) as session:
        texts = [version.text for version in session.exec(select(Version)).all()]
    (with_file,) = [text for text in texts if "# 附件：" in text]
    assert "加大重点领域招商引资力度" in with_file  # the scan, read by OCR
    assert (tmp_path / "data" / "attachments").is_dir()


def test_a_file_over_the_size_limit_is_not_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYWATCH_ATTACHMENT_MAX_BYTES", "10000")  # scanned.pdf is about 73 KB
    result = crawl_over_http(MinhangPlay(), "minhang", tmp_path, monkeypatch, channels=[COLUMN])
    (item,) = [item for item in result.output.items() if item.native_id == CREDIT]
    (file,) = item.record["attachments"]
    assert file["error"]["kind"] == "oversized" and "sha256" not in file
    assert "larger than download max size (10000)" in file["error"]["detail"]
    assert len(result.output.items()) == 5
    (fault,) = result.faults
    assert fault.kind == "attachment" and fault.url.endswith(FILE)
