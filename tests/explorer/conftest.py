"""A small archive built through the real archive stage, and the explorer over it (SQLite and PostgreSQL).

The documents are modelled on real ones: a 闵行 investment-promotion opinion (two versions: its subsidy
cap raised), a 浦东 talent-housing subsidy measure, the 2024 soil-pollution liability rules and a 奉贤
measure citing them (../shared/corpus/revisions/pairA_soil_v1_2024_original.md). One more document
carries XSS payloads in every scraped field, its relation quote and its change summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from crawlers.registry import load_registry
from explorer.app import create_app
from flows.stages import SourceReport, archive_documents
from normalise.document import NormalisedDocument
from storage.archive import open_crawl_run, record_fetches, sync_sources
from storage.db import session_scope
from storage.models import Document, Version
from storage.search import refresh_search_index
from storage.snapshots import SnapshotStore

SOURCE = "sh-platform"
FIRST_CRAWL = dt.datetime(2024, 3, 5, 2, 0, tzinfo=dt.UTC)
SECOND_CRAWL = dt.datetime(2024, 5, 10, 2, 0, tzinfo=dt.UTC)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = '"><svg onload=alert(1)>'
PAYLOADS = (SCRIPT, IMG, SVG)

INVESTMENT_TEXT = (
    "# 一、总体要求\n"
    "（一）坚持招商引资与产业升级并重，优化营商环境。\n"
    "# 二、支持措施\n"
    "（一）对新引进的总部企业给予一次性落户补贴，最高不超过{cap}万元。\n"
    "（二）本意见自2024年4月1日起施行，有效期至2029年3月31日。"
)
SOIL_TITLE = "上海市建设用地土壤污染责任人认定实施办法"
SOIL_NUMBER = "沪环规〔2024〕12号"
UNARCHIVED_TITLE = "上海市人才安居工程实施办法"
UNARCHIVED_NUMBER = "沪府规〔2020〕9号"
CITATION = f"涉及疑似污染地块的，按照《{SOIL_TITLE}》（{SOIL_NUMBER}）认定责任人。"
# The snapshot a district CMS served: GBK bytes declared gb2312, with a script the raw view must not run.
SNAPSHOT_PAGE = "<html><body><h1>招商引资若干意见</h1><script>alert('snapshot')</script></body></html>"


def document(native_id: str, title: str, text: str, **fields: str | list[str] | None) -> NormalisedDocument:
    return NormalisedDocument(
        source=SOURCE,
        native_id=native_id,
        url=str(fields.pop("url", None) or f"https://www.shanghai.gov.cn/nw12344/{native_id}.html"),
        title=title,
        text=text,
        **fields,  # type: ignore[arg-type]
    )


def investment(cap: int, snapshot_ids: list[str]) -> NormalisedDocument:
    return document(
        "0079::investment",
        "闵行区人民政府办公室关于促进招商引资高质量发展的若干意见",
        INVESTMENT_TEXT.format(cap=cap),
        doc_number="闵府办发〔2024〕3号",
        agency="闵行区人民政府办公室",
        district="minhang",
        level="district",
        published="2024-03-01",
        status="有效",
        snapshot_ids=snapshot_ids,
    )


HOUSING = document(
    "0071::housing",
    "浦东新区人才公寓租金补贴办法",
    "第一条 为吸引优秀人才，对符合条件的人才给予租金补贴。\n第二条 补贴标准为每月1500元。\n"
    f"第三条 其他事项按照《{UNARCHIVED_TITLE}》（{UNARCHIVED_NUMBER}）执行。",
    doc_number="浦府规〔2023〕7号",
    agency="浦东新区人民政府",
    district="pudong",
    level="district",
    published="2023-06-15",
    status="有效",
)
SOIL = document(
    "0024::soil",
    SOIL_TITLE,
    "本办法自2024年9月1日起实施，有效期至2029年8月31日。",
    doc_number=SOIL_NUMBER,
    agency="上海市生态环境局",
    level="municipal",
    published="2024-08-30",
    status="有效",
)
CITING = document(
    "0084::citing",
    "关于印发《奉贤区绿色生态城区建设管理办法（试行）》的通知",
    f"第六条 对以出让方式取得土地使用权的建设工程项目，区规划资源局应征询意见。{CITATION}",
    doc_number="沪奉建发〔2025〕2号",
    agency="奉贤区建设和管理委员会",
    district="fengxian",
    level="district",
    published="2025-02-17",
    status="有效",
)


def hostile(version: int) -> NormalisedDocument:
    """Every scraped field carries the payloads; the second version adds one to a clause (the summary)."""
    clause = f"（二）违规者处{version}万元罚款。" + (f"\n{IMG}" if version > 1 else "")
    return document(
        "0075::hostile",
        f"关于招商{SCRIPT}的通知{SVG}",
        f"（一）按照《{SOIL_TITLE}》（{SOIL_NUMBER}）执行{SCRIPT}。\n{clause}\n（三）{SVG}招商补贴。",
        doc_number=f"沪{SCRIPT}〔2024〕1号",
        agency=f"{IMG}办公室{SVG}",
        district="hongkou",
        level="district",
        published="2024-03-02",
        status="有效",
        url="javascript:alert(1)",
    )


@dataclass
class Archive:
    engine: Engine
    database_url: str
    snapshots: Path
    snapshot_sha: str

    def id_of(self, native_id: str) -> int:
        with Session(self.engine) as session:
            found = session.exec(select(Document).where(Document.native_id == native_id)).one()
            assert found.id is not None
            return found.id

    def versions(self, native_id: str) -> list[Version]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Version).where(Version.document_id == self.id_of(native_id)).order_by(Version.seq)
                ).all()
            )


def crawl(
    engine: Engine, run_id: str, seen_at: dt.datetime, docs: list[NormalisedDocument], fetches=()
) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        crawl_run = open_crawl_run(session, run_id, SOURCE)
        record_fetches(session, crawl_run, fetches)
        archive_documents(
            session,
            docs,
            # A partial crawl counts no misses: withdrawals are not what the explorer's tests are about.
            SourceReport(source_id=SOURCE, status="partial"),
            crawl_run=crawl_run,
            seen_at=seen_at,
            renormalise=lambda *_: None,
        )
        refresh_search_index(session)


@pytest.fixture
def archive(engine: Engine, database_url: str, tmp_path: Path) -> Archive:
    store = SnapshotStore(tmp_path / "snapshots")
    sha = store.put(SNAPSHOT_PAGE.encode("gbk"))
    fetch = {
        "seq": 1,
        "method": "GET",
        "url": "https://www.shmh.gov.cn/investment.html",
        "status": 200,
        "headers": {"Content-Type": "text/html; charset=gb2312"},
        "sha256": sha,
        "size": 100,
        "fetched_at": FIRST_CRAWL.isoformat(),
    }
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    crawl(engine, "r1", FIRST_CRAWL, [investment(500, [sha]), HOUSING, SOIL, CITING, hostile(1)], [fetch])
    crawl(engine, "r2", SECOND_CRAWL, [investment(800, [sha]), HOUSING, SOIL, CITING, hostile(2)])
    return Archive(engine=engine, database_url=database_url, snapshots=store.root, snapshot_sha=sha)


@pytest.fixture
def client(archive: Archive) -> Iterator[TestClient]:
    app = create_app(archive.database_url, archive.snapshots)
    with TestClient(app) as test_client:
        yield test_client
    app.state.explorer.engine.dispose()
