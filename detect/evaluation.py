"""The labelled evaluation set: histories of real documents and exactly the changes they must produce.

A case is a folder with ``case.yaml``::

    description: …
    source: where the texts come from
    steps:                 # archived in order; each step is the whole set of documents one crawl saw
      - docs:
          - {id: cn, title: "…", doc_number: "长发改规〔2024〕4号", status: 有效, text: before.txt}
      - crawl: partial     # optional: ok (default), partial or failed; only an ok crawl counts misses
        docs: [...]
    today: 2026-12-11      # optional: run the validity check as of this date after the last step
    days: 30               # optional: its threshold
    expect:                # the changes the LAST step (plus the validity check) creates
      - {doc: cn, kind: amended}

``text`` names a file in the case folder, or ``corpus:<path>`` a text of the shared corpus read in place
(its front matter, source header and disclaimer left out); ``edits: [{old: …, new: …}]`` changes it on
purpose (each ``old`` must occur exactly once), so a case can say exactly what it altered in a real text.
Documents may also give ``agency``, ``published`` (YYYY-MM-DD), ``district`` and ``level``.

``run_case`` archives every step through the real archive stage (flows.stages.archive_documents) in a
fresh in-memory archive, so a case checks what a crawl records.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import SQLModel, col, func, select

from detect.lifecycle import DEFAULT_EXPIRING_DAYS
from flows.stages import SourceReport, archive_documents, check_validity
from normalise.document import NormalisedDocument
from normalise.metadata import normalise_doc_number
from storage.archive import open_crawl_run
from storage.db import make_engine, session_scope
from storage.models import Change, Document, Source

SOURCE = "evaluation"
CORPUS = Path(os.environ.get("POLICYWATCH_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "corpus"
STARTED = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
CRAWL_STATUSES = ("ok", "partial", "failed")
_HEADER_LINE = re.compile(r"^(?:<!--.*-->|[^\s:：]{1,12}(?:\([^)]*\))?: .*|>.*)$")


class CaseError(ValueError):
    """A case folder that does not follow the format: says which file and what is wrong."""


@dataclass(frozen=True)
class CaseDocument:
    id: str
    title: str
    text: str
    doc_number: str | None = None
    agency: str | None = None
    status: str | None = None
    published: str | None = None
    district: str | None = None
    level: str | None = None

    def normalised(self, case: str) -> NormalisedDocument:
        return NormalisedDocument(
            source=SOURCE,
            native_id=self.id,
            url=f"https://evaluation.invalid/{case}/{self.id}",
            title=self.title,
            text=self.text,
            doc_number=normalise_doc_number(self.doc_number),
            agency=self.agency,
            published=self.published,
            status=self.status,
            district=self.district,
            level=self.level,
        )


@dataclass(frozen=True)
class Step:
    docs: tuple[CaseDocument, ...]
    crawl: str = "ok"


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    source: str
    steps: tuple[Step, ...]
    expect: tuple[tuple[str, str], ...]
    today: dt.date | None = None
    days: int = DEFAULT_EXPIRING_DAYS


def load_cases(folder: Path) -> list[Case]:
    """Every case under ``folder`` (one sub-folder each), in name order; none if the folder is missing."""
    if not folder.is_dir():
        return []
    return [load_case(path.parent) for path in sorted(folder.glob("*/case.yaml"))]


def load_case(directory: Path) -> Case:
    path = directory / "case.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        steps = tuple(_step(directory, step) for step in data["steps"])
        expect = tuple((str(item["doc"]), str(item["kind"])) for item in data.get("expect") or [])
        today = data.get("today")
        return Case(
            name=directory.name,
            description=str(data["description"]),
            source=str(data["source"]),
            steps=steps,
            expect=tuple(sorted(expect)),
            today=dt.date.fromisoformat(str(today)) if today else None,
            days=int(data.get("days", DEFAULT_EXPIRING_DAYS)),
        )
    except (KeyError, TypeError, ValueError, OSError, yaml.YAMLError) as exc:
        raise CaseError(f"{path}: {type(exc).__name__}: {exc}") from None


def run_case(case: Case) -> list[tuple[str, str]]:
    """The (doc, kind) changes the last step of ``case`` (and its validity check) records, sorted."""
    engine = make_engine("sqlite://")  # in memory: one connection per thread keeps it alive
    SQLModel.metadata.create_all(engine)
    with session_scope(engine) as session:
        session.add(Source(id=SOURCE, name="evaluation set", level="municipal"))
    last_before = 0
    for number, step in enumerate(case.steps, start=1):
        with session_scope(engine) as session:
            last_before = session.exec(select(func.coalesce(func.max(Change.id), 0))).one()
            report = SourceReport(source_id=SOURCE, status=step.crawl)
            archive_documents(
                session,
                [] if step.crawl == "failed" else [doc.normalised(case.name) for doc in step.docs],
                report,
                crawl_run=open_crawl_run(session, f"step-{number}", SOURCE),
                seen_at=STARTED + dt.timedelta(days=number),
                renormalise=lambda *_: None,
            )
    with session_scope(engine) as session:
        if case.today is not None:
            check_validity(session, case.today, case.days)
        rows = session.exec(
            select(Document.native_id, Change.kind)
            .join(Document, col(Change.document_id) == Document.id)
            .where(col(Change.id) > last_before)
        ).all()
    engine.dispose()
    return sorted((native_id, kind) for native_id, kind in rows)


def _step(directory: Path, data: dict[str, Any]) -> Step:
    crawl = str(data.get("crawl", "ok"))
    if crawl not in CRAWL_STATUSES:
        raise ValueError(f"crawl must be one of {', '.join(CRAWL_STATUSES)}, not {crawl!r}")
    return Step(tuple(_document(directory, doc) for doc in data.get("docs") or []), crawl)


def _document(directory: Path, data: dict[str, Any]) -> CaseDocument:
    optional = ("doc_number", "agency", "status", "published", "district", "level")
    text = _text(directory, str(data["text"]))
    for edit in data.get("edits") or []:
        if text.count(edit["old"]) != 1:
            raise ValueError(f"{data['id']}: an edit's old text must occur exactly once: {edit['old']!r}")
        text = text.replace(edit["old"], edit["new"])
    return CaseDocument(
        id=str(data["id"]),
        title=str(data["title"]),
        text=text,
        **{name: str(data[name]) for name in optional if data.get(name) is not None},
    )


def _text(directory: Path, name: str) -> str:
    if not name.startswith("corpus:"):
        return (directory / name).read_text(encoding="utf-8")
    raw = (CORPUS / name.removeprefix("corpus:")).read_text(encoding="utf-8")
    if raw.startswith("---\n"):
        raw = raw[4:].split("\n---\n", 1)[1]
    lines = [line for line in raw.splitlines() if line.strip()]
    while lines and _HEADER_LINE.match(lines[0]):
        lines.pop(0)  # the corpus's source comment, "标题: …" header and disclaimer are not the document
    return "\n".join(lines)
