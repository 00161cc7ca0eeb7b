"""The archive as analysts browse it in Datasette: the metadata describes the real schema, and each canned
query of storage/datasette/metadata.yml answers what its title promises, run through Datasette itself.

The archive is built by the real stages (flows.stages.archive_documents) from documents modelled on the
platform texts of ../shared/corpus (a 试行 细则 with an end date, the soil-pollution 办法 and a 奉贤 district
document citing it), dated relative to today so "this week" and "30 days" mean what they say.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from datasette.app import Datasette
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from crawlers.registry import load_registry
from flows.stages import SourceReport, archive_documents
from normalise.document import NormalisedDocument
from storage.archive import open_crawl_run, sync_sources
from storage.db import make_engine, session_scope
from storage.migrate import upgrade

METADATA = Path(__file__).resolve().parents[2] / "storage" / "datasette" / "metadata.yml"
SOURCE = "sh-platform"
NOW = dt.datetime.now(dt.UTC)
TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def document(native_id: str, title: str, text: str, number: str, status: str = "有效") -> NormalisedDocument:
    return NormalisedDocument(
        source=SOURCE,
        native_id=native_id,
        url=f"https://example.invalid/{native_id}",
        title=title,
        text=text,
        doc_number=number,
        published="2024-08-30",
        status=status,
    )


SOIL_TITLE = "关于印发《上海市建设用地土壤污染责任人认定实施办法》的通知"
EXPIRING_SOON = document(
    "0024::soil",
    SOIL_TITLE,
    f"本办法自2024年9月1日起实施，有效期至{chinese_date(TODAY + dt.timedelta(days=10))}。",
    "沪环规〔2024〕12号",
)
EXPIRING_LATER = document(
    "0070::trial",
    "关于印发《浦东新区促进存量产业用地提质增效实施细则（试行）》的通知",
    f"本细则自2023年12月4日起施行，有效期至{chinese_date(TODAY + dt.timedelta(days=60))}。",
    "浦科经委规〔2023〕5号",
)
REPEALED_BUT_DATED = document(
    "0075::repealed",
    "关于印发《普陀区老旧小区综合治理专项资金管理办法》的通知",
    f"本办法自2022年1月1日起施行，有效期至{chinese_date(TODAY + dt.timedelta(days=20))}。",
    "普府办〔2022〕3号",
    status="废止",
)
CITING = document(
    "0084::citing",
    "关于印发《奉贤区绿色生态城区建设管理办法（试行）》的通知",
    "第六条 涉及疑似污染地块的，按照《上海市建设用地土壤污染责任人认定实施办法》（沪环规〔2024〕12号）"
    "认定责任人。\n第七条 海绵城市建设按照《上海市海绵城市建设技术导则》（沪建标定〔2019〕77号）执行。",
    "沪奉建发〔2025〕2号",
)
AMENDED_BEFORE = document(
    "0074::subsidy",
    "长宁区关于促进招商引资的若干措施",
    "第一条 对新引进的企业给予不超过1000万元的一次性补贴。\n第二条 本措施由区发展改革委负责解释。",
    "长发改规〔2024〕4号",
)
AMENDED_AFTER = document(
    AMENDED_BEFORE.native_id,
    AMENDED_BEFORE.title,
    "第一条 对新引进的企业给予不超过500万元的一次性补贴。\n第二条 本措施由区发展改革委负责解释。",
    AMENDED_BEFORE.doc_number or "",
)


def crawl(engine: Engine, run_id: str, docs: list[NormalisedDocument], seen_at: dt.datetime) -> None:
    report = SourceReport(source_id=SOURCE, status="ok")
    with session_scope(engine) as session:
        archive_documents(
            session,
            docs,
            report,
            crawl_run=open_crawl_run(session, run_id, SOURCE),
            seen_at=seen_at,
            renormalise=lambda *_: None,
        )


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten days ago every document arrived (changes outside the week); two days ago one was amended."""
    path = tmp_path_factory.mktemp("datasette") / "policywatch.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    crawl(
        engine,
        "r1",
        [EXPIRING_SOON, EXPIRING_LATER, REPEALED_BUT_DATED, CITING, AMENDED_BEFORE],
        NOW - dt.timedelta(days=10),
    )
    crawl(engine, "r2", [AMENDED_AFTER], NOW - dt.timedelta(days=2))
    engine.dispose()
    return path


def metadata() -> dict[str, Any]:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def get(archive_path: Path, path: str, **params: str) -> Any:
    """A page of Datasette's own ASGI app over the archive, with the metadata as the command line loads it."""

    async def ask() -> Any:
        ds = Datasette(files=[str(archive_path)], metadata=metadata())
        await ds.invoke_startup()
        response = await ds.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response

    return asyncio.run(ask())


def canned(archive_path: Path, query: str, **params: str) -> list[dict[str, Any]]:
    return get(archive_path, f"/policywatch/{query}.json", **params, _shape="array").json()


def test_datasette_shows_the_queries_and_the_column_descriptions(archive_path: Path) -> None:
    database = get(archive_path, "/policywatch").text
    for title in ("Changes this week", "Expiring in 30 days", "Documents citing"):
        assert title in database
    table = get(archive_path, "/policywatch/document").text
    assert "文号 as published" in table and "One row per policy document" in table


def test_changes_this_week_lists_the_amendment_of_two_days_ago_not_the_arrivals_of_ten_days_ago(
    archive_path: Path,
) -> None:
    rows = canned(archive_path, "changes_this_week")
    assert [(r["kind"], r["doc_number"]) for r in rows] == [("amended", "长发改规〔2024〕4号")]
    assert rows[0]["title"] == AMENDED_BEFORE.title
    assert "1000万元" in rows[0]["summary"] and "500万元" in rows[0]["summary"]


def test_expiring_in_30_days_lists_documents_in_force_ending_within_30_days(archive_path: Path) -> None:
    rows = canned(archive_path, "expiring_in_30_days")
    assert [(r["doc_number"], r["days_left"]) for r in rows] == [("沪环规〔2024〕12号", 10)]
    assert rows[0]["valid_until"] == (TODAY + dt.timedelta(days=10)).isoformat()
    assert "有效期至" in rows[0]["evidence"]


@pytest.mark.parametrize("target", ["沪环规〔2024〕12号", "沪环规[2024]12号", "土壤污染责任人认定"])
def test_documents_citing_an_archived_document_by_number_or_title(archive_path: Path, target: str) -> None:
    rows = canned(archive_path, "documents_citing", target=target)
    assert [(r["citing_doc_number"], r["kind"]) for r in rows] == [("沪奉建发〔2025〕2号", "implements")]
    assert rows[0]["target_archived_title"] == SOIL_TITLE and rows[0]["still_stated"] == 1
    assert "认定责任人" in rows[0]["quote"]


def test_documents_citing_a_document_nobody_archived(archive_path: Path) -> None:
    rows = canned(archive_path, "documents_citing", target="沪建标定〔2019〕77号")
    assert [(r["citing_doc_number"], r["to_document_id"]) for r in rows] == [("沪奉建发〔2025〕2号", None)]


@pytest.mark.parametrize("target", ["沪府规〔2030〕1号", "  "])
def test_documents_citing_nothing_known_or_blank_is_empty(archive_path: Path, target: str) -> None:
    assert canned(archive_path, "documents_citing", target=target) == []


def test_metadata_describes_every_table_and_column_of_the_archive_and_nothing_else(
    archive_path: Path,
) -> None:
    described = metadata()["databases"]["policywatch"]["tables"]
    hidden = {table for table, meta in described.items() if meta.get("hidden")}
    engine = make_engine(f"sqlite:///{archive_path}")
    schema = inspect(engine)
    # FTS5 keeps its index in shadow tables named after the virtual table; Datasette hides them too.
    actual = {
        table: {column["name"] for column in schema.get_columns(table)}
        for table in schema.get_table_names()
        if table not in hidden and not any(table.startswith(f"{name}_") for name in hidden)
    }
    engine.dispose()
    assert set(described) - hidden == set(actual), "metadata.yml tables vs the archive's tables"
    for table, columns in actual.items():
        assert set(described[table].get("columns", {})) == columns, f"columns of {table}"
    assert all(meta.get("description") for meta in described.values() if meta.get("columns"))
