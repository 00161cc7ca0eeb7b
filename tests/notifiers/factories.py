"""Builders for notifier tests: events without a database, and changes stored in a real archive."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from sqlalchemy.engine import Engine

from notifiers.events import ChangeEvent, Clause
from storage.db import session_scope
from storage.models import Change, Document, Source, Version

AMOUNT_CLAUSE = Clause(
    path="四.(一).1",
    op="modified",
    before="（一）对符合条件的人工智能项目，给予单个项目不超过1000万元支持。",
    after="（一）对符合条件的人工智能项目，给予单个项目不超过500万元支持。",
    fragments=[
        (0, "（一）对符合条件的人工智能项目，给予单个项目不超过"),
        (-1, "1000"),
        (1, "500"),
        (0, "万元支持。"),
    ],
)
TEXT = "第一条 为促进本区人工智能产业发展，制定本政策。\n第二条 本政策适用于在本区注册的企业。"

_native_ids = count(1)


def make_event(**overrides: Any) -> ChangeEvent:
    """An amended 长宁 district policy whose clause 四.(一).1 cuts support from 1000 to 500 万元."""
    fields: dict[str, Any] = {
        "change_id": 1,
        "kind": "amended",
        "priority": 2,
        "detected_at": datetime(2026, 11, 23, 7, 30, tzinfo=UTC),
        "summary": "第四条第（一）项扶持金额调整",
        "clauses": (AMOUNT_CLAUSE,),
        "document_id": 7,
        "sources": ("sh-platform",),
        "title": "长宁区关于促进人工智能产业发展的若干政策",
        "doc_number": "长府规〔2024〕3号",
        "agency": "上海市长宁区人民政府",
        "url": "https://www.shcn.gov.cn/art/2024/3/1/art_1.html",
        "district": "changning",
        "level": "district",
        "status": "有效",
        "published": "2024-03-01",
        "validity": "2024-03-01 至 2026-12-31（试行）",
        "evidence": None,
        "text": TEXT,
        "archive_ref": "policywatch show 7",
        "diff_ref": "policywatch diff 7 --from 1 --to 2",
    }
    fields.update(overrides)
    return ChangeEvent(**fields)


def store_change(
    engine: Engine,
    *,
    kind: str = "amended",
    summary: str = "第四条第（一）项扶持金额调整",
    diff: dict[str, Any] | None = None,
    priority: int = 2,
    detected_at: datetime | None = None,
    text: str = TEXT,
    evidence: dict[str, Any] | None = None,
    **document: Any,
) -> int:
    """Stores a document, its first version and one change to a second version; returns the change id."""
    fields: dict[str, Any] = {
        "source_id": "sh-platform",
        "native_id": f"doc-{next(_native_ids)}",
        "title": "长宁区关于促进人工智能产业发展的若干政策",
        "url": "https://www.shcn.gov.cn/art/2024/3/1/art_1.html",
        "doc_number": "长府规〔2024〕3号",
        "agency": "上海市长宁区人民政府",
        "district": "changning",
        "level": "district",
        "status": "有效",
    }
    fields.update(document)
    with session_scope(engine) as session:
        if session.get(Source, fields["source_id"]) is None:
            session.add(Source(id=fields["source_id"], name=fields["source_id"], level="municipal"))
            session.flush()  # no ORM relationships: the unit of work does not order inserts by foreign key
        stored = Document(**fields)
        session.add(stored)
        session.flush()
        assert stored.id is not None
        versions = [
            Version(
                document_id=stored.id, seq=seq, content_hash=f"{seq}" * 64, text=text, normaliser_version=1
            )
            for seq in (1, 2)
        ]
        session.add_all(versions)
        session.flush()
        assert versions[0].id is not None and versions[1].id is not None
        change = Change(
            document_id=stored.id,
            kind=kind,
            from_version_id=versions[0].id if kind != "new" else None,
            to_version_id=versions[1].id,
            summary=summary,
            diff=diff if diff is not None else {"changes": [{**AMOUNT_CLAUSE, "coarse": False}]},
            priority=priority,
            evidence=evidence,
            **({"detected_at": detected_at} if detected_at else {}),
        )
        session.add(change)
        session.flush()
        assert change.id is not None
        return change.id
