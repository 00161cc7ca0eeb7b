"""The life cycle in the archive stage, on SQLite and PostgreSQL: what each crawl and validity check records.

The platform scenario replays the local site's timeline (steps 4 and 5, as the end-to-end test does over
HTTP); the other tests archive documents directly, with sentences of real documents as their texts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from crawlers.output import CrawlOutput, CrawlStats
from crawlers.registry import Registry, load_registry
from crawlers.runner import load_crawl_result
from crawlers.spiders.sh_platform import item_from_payloads
from flows.stages import SourceReport, archive_crawl, archive_documents, check_validity
from normalise.document import NormalisedDocument
from storage.archive import open_crawl_run, sync_sources
from storage.db import session_scope
from storage.models import Change, Document, Relation
from storage.snapshots import SnapshotStore
from tests.flows.test_stages import archive_step
from tests.site.platform import documents
from tests.site.timeline import (
    CITING_FENGXIAN,
    CITING_HONGKOU,
    EXTENSION,
    PAIR_B_SUCCESSOR,
    PAIR_B_TRIAL,
    REPEAL,
    SOIL_AMENDMENT,
    VANISHED,
)

SOURCE = "sh-platform"
T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)

TRIAL_TITLE = "关于印发《浦东新区促进存量产业用地提质增效实施细则（试行）》的通知"
EXTENSION_TITLE = "关于延长《浦东新区促进存量产业用地提质增效实施细则（试行）》有效期的通知"
EXTENSION_TEXT = (
    "经评估，2023年11月浦东新区科技和经济委员会印发的《浦东新区促进存量产业用地提质增效实施细则(试行)》"
    "(浦科经委规〔2023〕5号)需继续实施，有效期延长至{until}。"
)
SOIL_TITLE = (
    "上海市生态环境局、上海市规划和自然资源局关于印发《上海市建设用地土壤污染责任人认定实施办法》的通知"
)
CITATION = (
    "涉及疑似污染地块的，按照《上海市建设用地土壤污染责任人认定实施办法》（沪环规〔2024〕12号）认定责任人。"
)


def document(
    native_id: str, title: str, text: str, number: str | None, published: str, **extra: str
) -> NormalisedDocument:
    return NormalisedDocument(
        source=SOURCE,
        native_id=native_id,
        url=f"https://example.invalid/{native_id}",
        title=title,
        text=text,
        doc_number=number,
        published=published,
        status=extra.get("status", "有效"),
    )


TRIAL = document(
    "0070::trial",
    TRIAL_TITLE,
    "本细则自2023年12月4日起施行，有效期至2024年12月3日。",
    "浦科经委规〔2023〕5号",
    "2023-11-03",
)
TRIAL_EXTENSION = document(
    "0070::extension",
    EXTENSION_TITLE,
    EXTENSION_TEXT.format(until="2026年12月3日"),
    "浦科经委规〔2024〕11号",
    "2024-12-27",
)
SOIL = document(
    "0024::soil",
    SOIL_TITLE,
    "本办法自2024年9月1日起实施，有效期至2029年8月31日。",
    "沪环规〔2024〕12号",
    "2024-08-30",
)
SOIL_NOTICE = document(
    "0024::notice",
    "上海市生态环境局、上海市规划和自然资源局关于修改 《上海市建设用地土壤污染责任人认定实施办法》的通知",
    "现决定对《上海市建设用地土壤污染责任人认定实施办法》作如下修改：\n"
    "将第一条中的“《中华人民共和国土壤污染防治法》”修改为“《中华人民共和国生态环境法典》”。",
    "沪环规〔2026〕19号",
    "2026-08-17",
)
CITING = document(
    "0084::citing",
    "关于印发《奉贤区绿色生态城区建设管理办法（试行）》的通知",
    f"第六条 对以出让方式取得土地使用权的建设工程项目，在土地出让之前，区规划资源局应征询意见。{CITATION}",
    "沪奉建发〔2025〕2号",
    "2025-02-17",
)


@pytest.fixture
def archive(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    return engine


def crawl(engine: Engine, run_id: str, docs: list[NormalisedDocument], status: str = "ok") -> SourceReport:
    report = SourceReport(source_id=SOURCE, status=status)
    with session_scope(engine) as session:
        archive_documents(
            session,
            docs,
            report,
            crawl_run=open_crawl_run(session, run_id, SOURCE),
            seen_at=T0 + dt.timedelta(days=len(run_id)),
            renormalise=lambda *_: None,
        )
    return report


def events(engine: Engine, after: int = 0) -> list[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Document.native_id, Change.kind)
            .join(Document, col(Change.document_id) == Document.id)
            .where(col(Change.id) > after)
        ).all()
    return sorted((native_id, kind) for native_id, kind in rows)


def last_change_id(engine: Engine) -> int:
    with Session(engine) as session:
        return max(session.exec(select(Change.id)).all(), default=0) or 0


def fetch(engine: Engine, native_id: str) -> Document:
    with Session(engine) as session:
        return session.exec(select(Document).where(Document.native_id == native_id)).one()


def check(engine: Engine, today: str, days: int = 30) -> list[tuple[str, str]]:
    before = last_change_id(engine)
    with session_scope(engine) as session:
        check_validity(session, dt.date.fromisoformat(today), days)
    return events(engine, before)


def test_platform_life_cycle_makes_exactly_the_expected_changes(archive: Engine, tmp_path: Path) -> None:
    registry = load_registry()
    archive_step(archive, registry, tmp_path, "r4", "4-citing")
    assert {kind for _, kind in events(archive)} == {"new"}

    before = last_change_id(archive)
    archive_step(archive, registry, tmp_path, "r5", "5-lifecycle")
    assert events(archive, before) == sorted(
        [
            (EXTENSION, "new"),
            (REPEAL, "new"),
            (SOIL_AMENDMENT, "new"),
            (PAIR_B_SUCCESSOR, "new"),
            ("0070::0070324449", "extended"),
            ("0070::0070342687", "repealed"),
            (PAIR_B_TRIAL, "superseded"),
            ("0024::bf83c20301d64e4790a91509a1606023", "amended"),
            (CITING_FENGXIAN, "upstream_changed"),
            (CITING_HONGKOU, "upstream_changed"),
        ]
    )
    before = last_change_id(archive)
    archive_step(archive, registry, tmp_path, "r6", "5-lifecycle")
    assert events(archive, before) == []
    archive_step(archive, registry, tmp_path, "r7", "5-lifecycle")
    assert events(archive, before) == [(VANISHED, "withdrawn")]
    assert check(archive, "2026-12-11") == sorted(
        [("0074::007477151", "expiring"), ("0070::0070324449", "expired"), ("0080::5_181851", "expired")]
    )


def test_a_notice_archived_before_its_target_acts_on_it_when_it_arrives(archive: Engine) -> None:
    crawl(archive, "r1", [TRIAL_EXTENSION])
    before = last_change_id(archive)
    crawl(archive, "r2", [TRIAL_EXTENSION, TRIAL])
    assert events(archive, before) == [(TRIAL.native_id, "extended"), (TRIAL.native_id, "new")]
    assert fetch(archive, TRIAL.native_id).valid_until == dt.date(2026, 12, 3)


def test_upstream_change_names_the_change_and_marks_the_citing_document_pending_review(
    archive: Engine,
) -> None:
    crawl(archive, "r1", [SOIL, CITING])
    crawl(archive, "r2", [SOIL, CITING, SOIL_NOTICE])
    with Session(archive) as session:
        amended = session.exec(select(Change).where(Change.kind == "amended")).one()
        upstream = session.exec(select(Change).where(Change.kind == "upstream_changed")).one()
    assert upstream.diff["upstream"] == {"change_id": amended.id, "kind": "amended"}
    assert upstream.evidence["quote"] == CITATION  # type: ignore[index]
    assert "沪环规〔2026〕19号" in upstream.summary
    assert fetch(archive, CITING.native_id).pending_review


def test_pending_review_ends_with_the_citing_documents_own_next_version(archive: Engine) -> None:
    crawl(archive, "r1", [SOIL, CITING])
    crawl(archive, "r2", [SOIL, CITING, SOIL_NOTICE])
    revised = document(
        CITING.native_id,
        CITING.title,
        CITING.text + "\n第七条 建设单位应按照规划设计条件编制设计方案。",
        CITING.doc_number,
        "2025-02-17",
    )
    crawl(archive, "r3", [SOIL, revised, SOIL_NOTICE])
    assert not fetch(archive, CITING.native_id).pending_review


def test_a_citation_the_current_text_dropped_gets_no_upstream_change(archive: Engine) -> None:
    crawl(archive, "r1", [SOIL, CITING])
    without = document(
        CITING.native_id, CITING.title, CITING.text.replace(CITATION, ""), CITING.doc_number, "2025-02-17"
    )
    crawl(archive, "r2", [SOIL, without])
    before = last_change_id(archive)
    crawl(archive, "r3", [SOIL, without, SOIL_NOTICE])
    assert events(archive, before) == sorted([(SOIL.native_id, "amended"), (SOIL_NOTICE.native_id, "new")])


RULES = document(
    "0070::rules",
    "关于印发《南码头路街道老旧小区物业服务补贴达标考核奖励实施办法》的通知",
    "本办法自2025年10月1日起实施，有效期至2028年9月30日。",
    "浦南规〔2025〕1号",
    "2025-07-23",
)
RULES_REPEAL = document(
    "0070::repeal",
    "关于废止《关于印发<南码头路街道老旧小区物业服务补贴达标考核奖励实施办法>的通知 》的通知",
    "经研究决定，即日起废止《关于印发<南码头路街道老旧小区物业服务补贴达标考核奖励实施办法>的通知》"
    "(浦南规〔2025〕1号)。",
    "浦南规〔2026〕3号",
    "2026-07-01",
)
RULES_FLAGGED = document(
    RULES.native_id, RULES.title, RULES.text, RULES.doc_number, "2025-07-23", status="废止"
)


def test_the_platform_flagging_a_repealed_document_is_not_a_second_repeal(archive: Engine) -> None:
    crawl(archive, "r1", [RULES])
    crawl(archive, "r2", [RULES, RULES_REPEAL])
    before = last_change_id(archive)
    crawl(archive, "r3", [RULES_FLAGGED, RULES_REPEAL])
    assert events(archive, before) == []
    assert fetch(archive, RULES.native_id).validity_status == "废止"


def test_a_notice_arriving_with_the_platform_flag_is_the_evidence_of_the_one_repeal(archive: Engine) -> None:
    crawl(archive, "r1", [RULES])
    before = last_change_id(archive)
    crawl(archive, "r2", [RULES_FLAGGED, RULES_REPEAL])
    assert events(archive, before) == sorted([(RULES.native_id, "repealed"), (RULES_REPEAL.native_id, "new")])
    with Session(archive) as session:
        repealed = session.exec(select(Change).where(Change.kind == "repealed")).one()
    assert repealed.evidence["doc_number"] == "浦南规〔2026〕3号"  # type: ignore[index]


def test_each_successful_crawl_counts_a_miss_once_however_often_it_is_archived(archive: Engine) -> None:
    crawl(archive, "r1", [SOIL, SOIL_NOTICE])
    crawl(archive, "r2", [SOIL])
    crawl(archive, "r2", [SOIL])
    assert fetch(archive, SOIL_NOTICE.native_id).missed_runs == 1


def test_a_partial_crawl_counts_no_miss(archive: Engine) -> None:
    crawl(archive, "r1", [SOIL, SOIL_NOTICE])
    crawl(archive, "r2", [SOIL], status="partial")
    assert fetch(archive, SOIL_NOTICE.native_id).missed_runs == 0


def test_a_miss_counts_only_on_the_sites_the_crawl_listed(archive: Engine) -> None:
    crawl(archive, "r1", [SOIL, CITING])
    crawl(archive, "r2", [SOIL])  # nothing of site 0084 listed: the crawl did not cover it
    crawl(archive, "r3", [SOIL, document("0084::other", "其他文件", "特此通知。", None, "2025-01-01")])
    assert fetch(archive, CITING.native_id).missed_runs == 1


def test_a_takedown_answer_is_a_miss_of_that_document_not_a_fault_of_the_source(
    archive: Engine, tmp_path: Path
) -> None:
    registry = load_registry()
    store = SnapshotStore(tmp_path / "snapshots")
    kept, taken = (
        next(doc for doc in documents() if doc["businessId"] == b) for b in ("0070324449", "0070342687")
    )
    archive_crawl(
        archive,
        registry,
        platform_crawl(tmp_path, store, "r1", [kept, taken], registry),
        run_id="r1",
        store=store,
    )

    result = platform_crawl(tmp_path, store, "r2", [kept], registry, taken_down=taken)
    report = archive_crawl(archive, registry, result, run_id="r2", store=store)

    assert report.status == "ok"
    assert fetch(archive, "0070::0070342687").missed_runs == 1


def platform_crawl(tmp_path, store, run_id, served, registry: Registry, taken_down=None):  # type: ignore[no-untyped-def]
    """The hand-over folder of a platform crawl that listed ``served`` (and ``taken_down``, whose detail
    answered 数据不存在)."""
    output = CrawlOutput(tmp_path / "runs" / run_id / SOURCE)
    source = registry.get(SOURCE)
    for seq, payload in enumerate(served):
        record = {k: v for k, v in payload.items() if k != "txt"}
        sha = store.put(json.dumps({"code": 0, "data": payload}, ensure_ascii=False).encode())
        output.add_item(item_from_payloads(record, payload, source=source, snapshot_ids=[sha, sha]))
        output.append("fetches.jsonl", fetch_line(seq, payload, sha))
    if taken_down is not None:
        sha = store.put(
            json.dumps({"code": 500, "msg": "数据不存在", "data": None}, ensure_ascii=False).encode()
        )
        output.append("fetches.jsonl", fetch_line(len(served), taken_down, sha))
        output.append(
            "faults.jsonl",
            {"kind": "error-json", "url": "/gwk/policy/detail", "detail": "API error code 500: 数据不存在"},
        )
    output.write_stats(CrawlStats(requests=3, responses=3, items=len(served), finished_at=T0.isoformat()))
    output.write_result(exit_code=0, duration_s=1.0)
    result = load_crawl_result(output.directory)
    assert result is not None
    return result


def fetch_line(seq: int, payload: dict, sha: str) -> dict:  # type: ignore[type-arg]
    body = json.dumps({"siteId": payload["siteId"], "businessId": payload["businessId"]})
    return {
        "seq": seq,
        "method": "POST",
        "url": "http://127.0.0.1/gwk/policy/detail",
        "request_body": body,
        "status": 200,
        "headers": {},
        "sha256": sha,
        "size": 10,
        "fetched_at": T0.isoformat(),
    }


def test_documents_archived_before_life_cycles_get_their_facts_without_alerts(archive: Engine) -> None:
    crawl(archive, "r1", [TRIAL, TRIAL_EXTENSION])
    with session_scope(archive) as session:  # as the archive was before migration 0003
        session.exec(delete(Relation))  # type: ignore[call-overload]
        session.exec(delete(Change).where(col(Change.kind) == "extended"))  # type: ignore[call-overload]
        for row in session.exec(select(Document)).all():
            row.lifecycle_version_id, row.valid_until, row.validity_evidence = None, None, {}
            session.add(row)
    before = last_change_id(archive)
    crawl(archive, "r2", [TRIAL, TRIAL_EXTENSION])
    assert events(archive, before) == []
    assert fetch(archive, TRIAL.native_id).valid_until == dt.date(2026, 12, 3)


def test_expiring_once_per_end_of_validity_and_again_after_an_extension(archive: Engine) -> None:
    crawl(archive, "r1", [TRIAL])
    assert check(archive, "2024-11-20") == [(TRIAL.native_id, "expiring")]
    assert check(archive, "2024-11-25") == []
    crawl(archive, "r2", [TRIAL, TRIAL_EXTENSION])
    assert check(archive, "2026-11-20") == [(TRIAL.native_id, "expiring")]


def test_another_threshold_is_another_expiring_alert(archive: Engine) -> None:
    crawl(archive, "r1", [TRIAL])
    check(archive, "2024-11-20", days=30)
    assert check(archive, "2024-11-30", days=7) == [(TRIAL.native_id, "expiring")]


def test_expired_once_then_out_of_force(archive: Engine) -> None:
    crawl(archive, "r1", [TRIAL])
    assert check(archive, "2024-12-04") == [(TRIAL.native_id, "expired")]
    assert check(archive, "2024-12-05") == []
    assert fetch(archive, TRIAL.native_id).validity_status == "失效"


def test_an_extension_after_expiry_puts_the_document_back_in_force(archive: Engine) -> None:
    crawl(archive, "r1", [TRIAL])
    check(archive, "2024-12-04")
    crawl(archive, "r2", [TRIAL, TRIAL_EXTENSION])
    trial = fetch(archive, TRIAL.native_id)
    assert (trial.validity_status, trial.valid_until) == ("有效", dt.date(2026, 12, 3))
    assert trial.validity_evidence["status"]["doc_number"] == "浦科经委规〔2024〕11号"
