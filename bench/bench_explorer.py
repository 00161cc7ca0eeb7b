"""Explorer latency on a large archive: search p50/p95/max and document-page p50/p95 on SQLite.

Builds an archive of N versions (default 100,000) from the real corpus: every row of
../shared/corpus/gov_docs.csv (title, 文号, agency, level, date, status) becomes a document, cycled as
earlier editions (文号 and date years moved back) until there are N/10 documents; each takes the full
text of its own row when the corpus has it, else one of the 121 texts of its category, and gets about
ten revisions — amounts changed, clauses inserted, deleted and reworded — each a version with its change
(kind, summary and clause diff computed by detect.diff on the edited clauses). Rows go in by bulk inserts
through SQLAlchemy core into the schema storage/migrate.py creates (the pipeline would take hours); the
search index is then refreshed as `policywatch` does.

Then, after a warm-up, a fixed query set (two-character words, longer phrases, filters, a query with
no hit) runs through storage.search.search, and the document and diff pages through the explorer app.

    python -m bench.bench_explorer [--versions 100000] [--db PATH] [--repeats 5] [--seed 7]

--db keeps the archive in PATH and reuses it when it is already built (delete it to rebuild).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from crawlers.registry import load_registry
from detect.diff import ClauseChange, TextDiff, diff_clause, summarise
from detect.priority import priority_of
from explorer.app import create_app
from normalise.document import NormalisedDocument
from storage.archive import sync_sources
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Change, CrawlRun, Document, Listing, Version
from storage.search import SearchFilters, refresh_search_index, search

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SOURCE = "sh-platform"
LEVELS = {"市级": "municipal", "区级": "district", "街镇级": "town"}
BATCH_DOCUMENTS = 500

# Wording a reviser swaps in a clause: each pair keeps the sentence grammatical, as real rewordings do.
REWORDINGS = (
    ("应当", "应"),
    ("给予", "予以"),
    ("支持", "扶持"),
    ("加强", "强化"),
    ("根据", "依据"),
    ("有关", "相关"),
    ("及时", "尽快"),
    ("组织实施", "推进实施"),
    ("进一步", "切实"),
    ("负责", "牵头负责"),
)
# Amounts, rates, areas and durations; not dates (2026年12月3日), whose edits would make nonsense.
_AMOUNT = re.compile(
    r"(?<![\d.年月])(\d{1,5}(?:\.\d+)?)(亿元|万元|元|%|个工作日|个月|天|平方米|名|家|年(?![\d月]))"
)
_CLAUSE_PATH = re.compile(r"^(第[一二三四五六七八九十百零]+条)")
_YEAR = re.compile(r"〔(\d{4})〕")


@dataclass(frozen=True)
class Record:
    """One row of gov_docs.csv."""

    category: str
    level: str
    title: str
    doc_number: str
    agency: str
    published: str
    status: str
    url: str
    text_path: str


def read_records() -> list[Record]:
    with (CORPUS / "gov_docs.csv").open(encoding="utf-8", newline="") as handle:
        return [
            Record(
                category=row["分类"],
                level=row["层级"],
                title=row["标题"],
                doc_number=row["文号"],
                agency=row["发布单位"],
                published=row["发布日期"],
                status=row["状态"],
                url=row["官方链接"],
                text_path=row["正文"],
            )
            for row in csv.DictReader(handle)
        ]


def read_bodies() -> dict[str, list[str]]:
    """Paragraphs of each full text, keyed by its path as gov_docs.csv names it (docs/<分类>/<title>.md)."""
    bodies = {}
    for path in sorted((CORPUS / "docs").rglob("*.md")):
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        lines = [line.strip() for line in body.splitlines()]
        # The disclaimer quote and the repeated heading are the corpus's, not the document's.
        bodies[str(path.relative_to(CORPUS))] = [
            line for line in lines if line and not line.startswith((">", "# "))
        ]
    return bodies


class Reviser:
    """Realistic successive revisions of one text: every call edits a copy and says what it changed."""

    def __init__(self, rng: random.Random, clause_bank: list[str]) -> None:
        self.rng = rng
        self.clause_bank = clause_bank

    def revise(self, paragraphs: list[str]) -> tuple[list[str], list[ClauseChange], bool]:
        """One to three edits; returns the new paragraphs, their clause changes, and whether all were
        rewordings (an editorial revision)."""
        while True:
            revised = list(paragraphs)
            changes: list[ClauseChange] = []
            editorial = True
            for _ in range(self.rng.choice((1, 1, 2, 3))):
                edit = self.rng.choice((self._amount, self._amount, self._insert, self._delete, self._reword))
                change = edit(revised) or self._insert(revised)
                editorial = editorial and edit == self._reword and change.op == "modified"
                changes.append(change)
            if revised != paragraphs:  # two edits of one revision can cancel out (×2 then ×0.5)
                return revised, changes, editorial

    def _pick(self, paragraphs: list[str], wanted: Callable[[str], bool]) -> int | None:
        candidates = [i for i, p in enumerate(paragraphs) if wanted(p)]
        return self.rng.choice(candidates) if candidates else None

    def _amount(self, paragraphs: list[str]) -> ClauseChange | None:
        index = self._pick(paragraphs, lambda p: bool(_AMOUNT.search(p)))
        if index is None:
            return None
        before = paragraphs[index]
        match = self.rng.choice(list(_AMOUNT.finditer(before)))
        figure = match.group(1)
        scaled = float(figure) * self.rng.choice((0.5, 0.8, 1.2, 1.5, 2.0))
        # Whole numbers stay whole (3年 → 5年, not 4.5年), and the figure always changes.
        changed = f"{max(1, round(scaled))}" if figure.isdigit() else f"{round(scaled, 1):g}"
        if changed == figure:
            changed = f"{float(figure) + 1:g}"
        after = before[: match.start(1)] + changed + before[match.end(1) :]
        paragraphs[index] = after
        return diff_clause(_path(before, index), before, after)

    def _insert(self, paragraphs: list[str]) -> ClauseChange:
        index = self.rng.randrange(len(paragraphs) + 1)
        clause = self.rng.choice(self.clause_bank)
        paragraphs.insert(index, clause)
        return ClauseChange(path=_path(clause, index), op="added", before=None, after=clause)

    def _delete(self, paragraphs: list[str]) -> ClauseChange | None:
        if len(paragraphs) < 6:
            return None
        index = self.rng.randrange(1, len(paragraphs))
        before = paragraphs.pop(index)
        return ClauseChange(path=_path(before, index), op="removed", before=before, after=None)

    def _reword(self, paragraphs: list[str]) -> ClauseChange | None:
        old, new = self.rng.choice(REWORDINGS)
        index = self._pick(paragraphs, lambda p: old in p)
        if index is None:
            return None
        before = paragraphs[index]
        paragraphs[index] = before.replace(old, new, 1)
        return diff_clause(_path(before, index), before, paragraphs[index])


def _path(paragraph: str, index: int) -> str:
    match = _CLAUSE_PATH.match(paragraph)
    return match.group(1) if match else f"第{index + 1}段"


@dataclass
class BuildReport:
    documents: int
    versions: int
    changes: int
    seconds: float
    index_seconds: float


def earlier_edition(record: Record, generation: int) -> Record:
    """The same regulation ``generation`` editions back: 文号 and dates move back as many years."""
    if generation == 0:
        return record
    year = int(record.published[:4]) - generation if record.published[:4].isdigit() else 2020
    number = _YEAR.sub(lambda m: f"〔{int(m.group(1)) - generation}〕", record.doc_number)
    published = f"{year}{record.published[4:]}" if record.published else ""
    return replace(record, doc_number=number, published=published)


def district_keys() -> dict[str, str]:
    """Chinese district name (普陀) → district key (putuo), from the district sources of the registry."""
    return {
        source.name.removesuffix("人民政府").removesuffix("新区").removesuffix("区"): source.district
        for source in load_registry().sources
        if source.district
    }


def build_archive(engine: Engine, versions: int, seed: int) -> BuildReport:
    """``versions`` versions on about versions/10 documents, bulk-inserted into the migrated schema."""
    started = time.perf_counter()
    rng = random.Random(seed)
    records, bodies = read_records(), read_bodies()
    by_category: dict[str, list[list[str]]] = defaultdict(list)
    for record in records:
        if record.text_path in bodies:
            by_category[record.category].append(bodies[record.text_path])
    every_body = list(bodies.values())
    clause_bank = [p for body in every_body for p in body if 20 <= len(p) <= 200]
    reviser = Reviser(rng, clause_bank)
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    now = datetime.now(UTC)
    run = {"run_id": "bench-explorer", "source_id": SOURCE, "status": "ok", "started_at": now}
    with engine.begin() as connection:
        crawl_run_id = connection.execute(insert(CrawlRun.__table__).values(**run)).inserted_primary_key[0]

    documents, changes, written = 0, 0, 0
    batch = _Batch(reviser, district_keys(), crawl_run_id, now)
    while written < versions:
        generation, row = divmod(documents, len(records))
        record = earlier_edition(records[row], generation)
        native_id = record.url.rsplit("/", 1)[-1] + (f"~{generation}" if generation else "")
        body = bodies.get(record.text_path) or rng.choice(by_category.get(record.category) or every_body)
        count = min(versions - written, rng.randint(6, 14))
        batch.add_document(documents + 1, written + 1, record, native_id, body, count)
        documents += 1
        written += count
        changes += count
        if len(batch.documents) >= BATCH_DOCUMENTS:
            batch.flush(engine)
    batch.flush(engine)
    built = time.perf_counter() - started
    started = time.perf_counter()
    with session_scope(engine) as session:
        refresh_search_index(session)
    with engine.connect() as connection:  # the size reported is the archive's, not a pending WAL's
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return BuildReport(documents, written, changes, built, time.perf_counter() - started)


class _Batch:
    """Rows waiting for one bulk insert, with their ids given here (no round trip per row)."""

    def __init__(self, reviser: Reviser, districts: dict[str, str], crawl_run_id: int, now: datetime) -> None:
        self.reviser, self.rng = reviser, reviser.rng
        self.districts, self.crawl_run_id, self.now = districts, crawl_run_id, now
        self.documents: list[dict[str, Any]] = []
        self.listings: list[dict[str, Any]] = []
        self.versions: list[dict[str, Any]] = []
        self.changes: list[dict[str, Any]] = []

    def add_document(
        self,
        document_id: int,
        first_version_id: int,
        record: Record,
        native_id: str,
        body: list[str],
        count: int,
    ) -> None:
        """A document and its ``count`` versions and changes; version ids from ``first_version_id``."""
        rng, now = self.rng, self.now
        url = f"https://www.shanghai.gov.cn/zhengce/detail/{native_id}"
        district = next((key for name, key in self.districts.items() if name in record.agency[:8]), None)
        published = _date(record.published) or date(2020, 1, 1)
        seen = datetime(published.year, published.month, published.day, 2, tzinfo=UTC)
        # Revisions spread from publication to now, so "changes this week" and date filters see a mix.
        step = max(timedelta(hours=1), (now - seen) / (count + 1))
        paragraphs = list(body)
        last_id = first_version_id + count - 1
        for seq in range(1, count + 1):
            version_id = first_version_id + seq - 1
            if seq == 1:
                clause_changes: list[ClauseChange] = []
                kind = "new"
                number = f"（{record.doc_number}）" if record.doc_number else ""
                summary = f"新文件：{record.title}{number}"
            else:
                paragraphs, clause_changes, editorial = self.reviser.revise(paragraphs)
                kind = "editorial" if editorial else "amended"
                summary = summarise(TextDiff(clause_changes, elapsed_ms=0.0, coarse_pairs=0))
            seen_at = min(now, seen + step * (seq - 1) * rng.uniform(0.8, 1.2))
            normalised = NormalisedDocument(
                source=SOURCE,
                native_id=native_id,
                url=url,
                title=record.title,
                text="\n".join(paragraphs),
                doc_number=record.doc_number or None,
                agency=record.agency,
                published=record.published,
                status=record.status,
                district=district,
                level=LEVELS.get(record.level),
            )
            self.versions.append(
                {
                    "id": version_id,
                    "document_id": document_id,
                    "listing_id": document_id,
                    "seq": seq,
                    "content_hash": normalised.content_hash,
                    "text": normalised.text,
                    "doc_metadata": {**normalised.identity(), "published": record.published},
                    "snapshot_ids": [],
                    "normaliser_version": normalised.normaliser_version,
                    "technical_upgrade": False,
                    "crawl_run_id": self.crawl_run_id,
                    "first_seen": seen_at,
                    "last_seen": now if version_id == last_id else seen_at,
                }
            )
            diff = TextDiff(clause_changes, elapsed_ms=0.0, coarse_pairs=0).to_dict()
            self.changes.append(
                {
                    "document_id": document_id,
                    "kind": kind,
                    "from_version_id": version_id - 1 if seq > 1 else None,
                    "to_version_id": version_id,
                    "detected_at": seen_at,
                    "summary": summary,
                    "diff": diff,
                    "priority": priority_of(kind, diff),
                    "routed_at": seen_at,
                    "event_key": "",
                }
            )
        first_seen = self.versions[-count]["first_seen"]
        common = {
            "source_id": SOURCE,
            "native_id": native_id,
            "url": url,
            "title": record.title,
            "doc_number": record.doc_number or None,
            "published": record.published,
            "first_seen": first_seen,
            "last_seen": now,
            "missed_runs": 0,
        }
        self.documents.append(
            {
                **common,
                "id": document_id,
                "agency": record.agency,
                "district": district,
                "level": LEVELS.get(record.level),
                "status": record.status,
                "current_version_id": last_id,
                "lifecycle_version_id": None,
                "trial": "试行" in record.title or "暂行" in record.title,
                "validity_status": record.status if record.status in ("有效", "失效", "废止") else None,
                "validity_evidence": {},
                "pending_review": False,
            }
        )
        latest_hash = self.versions[-1]["content_hash"]
        self.listings.append(
            {**common, "id": document_id, "document_id": document_id, "content_hash": latest_hash}
        )

    def flush(self, engine: Engine) -> None:
        with engine.begin() as connection:
            for table, rows in (
                (Document.__table__, self.documents),
                (Listing.__table__, self.listings),
                (Version.__table__, _columns(Version, self.versions)),
                (Change.__table__, self.changes),
            ):
                if rows:
                    connection.execute(insert(table), rows)
        self.documents, self.listings, self.versions, self.changes = [], [], [], []


def _columns(model: type, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attribute names to column names (Version.doc_metadata is the column `metadata`)."""
    renames = {attr: column.name for attr, column in model.__table__.columns.items() if attr != column.name}
    renames["doc_metadata"] = "metadata"
    return [{renames.get(key, key): value for key, value in row.items()} for row in rows]


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Sample(NamedTuple):
    """One timed call: wall-clock and this process's CPU time, both in ms. On a busy machine the wall
    time grows with other processes' load; the CPU time shows what the call itself costs."""

    wall: float
    cpu: float


def timed(call: Callable[[], Any], repeats: int) -> Iterator[Sample]:
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        yield Sample((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)


@dataclass(frozen=True)
class Query:
    label: str
    text: str
    filters: dict[str, Any]


QUERIES = (
    Query("2-char word", "招商", {}),
    Query("2-char word", "补贴", {}),
    Query("2-char word", "人才", {}),
    Query("2-char word", "企业", {}),
    Query("phrase", "历史风貌保护", {}),
    Query("phrase", "建设工程质量", {}),
    Query("phrase", "住房公积金", {}),
    Query("two terms", "土壤 污染", {}),
    Query("word + district", "企业", {"district": "pudong"}),
    Query("word + status", "补贴", {"status": "有效"}),
    Query("word + level + from", "管理", {"level": "municipal", "published_from": date(2024, 1, 1)}),
    Query("word + agency", "建设", {"agency": "住房和城乡建设"}),
    Query("word + change kind", "人才", {"kind": "amended"}),
    Query("filters only", "", {"district": "minhang"}),
    Query("no hit", "量子纠缠", {}),
)


def measure_search(engine: Engine, repeats: int) -> list[tuple[Query, int, list[Sample]]]:
    """Each query once to warm the caches, then ``repeats`` timed runs, each in its own session (as a
    request of the explorer has), with snippets (as the search page shows them)."""

    def run(query: Query) -> int:
        with Session(engine) as session:
            return search(session, query.text, SearchFilters(**query.filters)).total

    totals = [run(query) for query in QUERIES]
    return [
        (query, total, list(timed(lambda query=query: run(query), repeats)))
        for query, total in zip(QUERIES, totals, strict=True)
    ]


def query_params(query: Query) -> dict[str, str]:
    """The search page's URL parameters for ``query`` (the page calls the date filter ``from``)."""
    names = {"published_from": "from", "published_to": "to"}
    params = {names.get(name, name): str(value) for name, value in query.filters.items()}
    return {"q": query.text, **params} if query.text else params


def measure_pages(engine: Engine, path: Path, pages: int, repeats: int, seed: int) -> dict[str, list[Sample]]:
    """Through the app, as a browser asks them: the search page for every query, and for ``pages`` random
    documents the document page, the diff of its last two versions (the page's own link) and of its first
    and last (the widest)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Version.document_id, func.min(Version.id), func.max(Version.id))
            .group_by(Version.document_id)
            .having(func.count() > 1)  # a diff needs two versions
            .order_by(Version.document_id)
        ).all()
    sample = random.Random(seed).sample(rows, min(pages, len(rows)))
    urls = {
        "search page": [f"/search?{urlencode(query_params(query))}" for query in QUERIES],
        "document page": [f"/documents/{document_id}" for document_id, _, _ in sample],
        "diff, last two versions": [f"/documents/{document_id}/diff" for document_id, _, _ in sample],
        "diff, first to last": [
            f"/documents/{document_id}/diff?from={first}&to={last}" for document_id, first, last in sample
        ],
    }
    with TestClient(create_app(f"sqlite:///{path}", path.parent / "snapshots")) as client:

        def get(url: str) -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")

        for url in urls["document page"][:10]:  # warm-up: templates compiled, caches filled
            get(url)
        return {
            name: [sample for url in group for sample in timed(lambda url=url: get(url), repeats)]
            for name, group in urls.items()
        }


def archive_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        documents = connection.execute(select(func.count()).select_from(Document.__table__)).scalar_one()
        versions = connection.execute(select(func.count()).select_from(Version.__table__)).scalar_one()
    return documents, versions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--versions", type=int, default=100_000, help="versions to build (default 100,000)")
    parser.add_argument("--db", type=Path, help="SQLite file to build into, or reuse when already built")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per query and page (default 5)")
    parser.add_argument("--pages", type=int, default=100, help="documents whose pages are timed")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.versions < 1 or args.repeats < 1 or args.pages < 1:
        parser.error("--versions, --repeats and --pages must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        path = (args.db or Path(tmp) / "explorer-bench.sqlite3").resolve()
        run_bench(path, args)


def run_bench(path: Path, args: argparse.Namespace) -> None:
    console = Console()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    documents, versions = counts(engine)
    if versions:
        console.print(f"reusing {path}: {documents:,} documents, {versions:,} versions (delete to rebuild)")
    else:
        report = build_archive(engine, args.versions, args.seed)
        documents, versions = report.documents, report.versions
        console.print(
            f"built {documents:,} documents, {versions:,} versions and {report.changes:,} changes in "
            f"{report.seconds:.1f} s (bulk insert); search index refreshed in {report.index_seconds:.1f} s"
        )
    console.print(f"archive size: {archive_size(path) / 2**20:,.0f} MiB ({path.name} with its WAL)")

    load_before = os.getloadavg()[0]
    results = measure_search(engine, args.repeats)
    table = Table(title=f"search on SQLite, {documents:,} documents / {versions:,} versions")
    for column in ("query", "kind", "hits", "p50 ms", "max ms", "cpu p50 ms"):
        table.add_column(column, justify="right" if column.endswith(("ms", "hits")) else "left")
    for query, total, samples in results:
        filters = ", ".join(f"{name}={value}" for name, value in query.filters.items())
        label = query.text or "(none)"
        table.add_row(
            label + (f" [{filters}]" if filters else ""),
            query.label,
            f"{total:,}",
            f"{percentile([s.wall for s in samples], 0.5):.1f}",
            f"{max(s.wall for s in samples):.1f}",
            f"{percentile([s.cpu for s in samples], 0.5):.1f}",
        )
    console.print(table)
    every = [sample for *_, samples in results for sample in samples]
    summary = Table(title="latency summary (ms)")
    for column in ("what", "samples", "p50", "p95", "max", "cpu p50", "cpu p95"):
        summary.add_column(column, justify="left" if column == "what" else "right")
    summary.add_row("search", *_stats(every))
    for name, samples in measure_pages(engine, path, args.pages, args.repeats, args.seed).items():
        summary.add_row(name, *_stats(samples))
    console.print(summary)
    load_after = os.getloadavg()[0]
    console.print(
        f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after; {os.cpu_count()} CPUs"
    )
    engine.dispose()


def _stats(samples: list[Sample]) -> tuple[str, ...]:
    wall, cpu = [s.wall for s in samples], [s.cpu for s in samples]
    figures = (
        percentile(wall, 0.5),
        percentile(wall, 0.95),
        max(wall),
        percentile(cpu, 0.5),
        percentile(cpu, 0.95),
    )
    return (str(len(samples)), *(f"{figure:.1f}" for figure in figures))


if __name__ == "__main__":
    main()
