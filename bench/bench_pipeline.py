"""Throughput and memory of normalise -> version -> detect, replaying platform records offline.

Builds N platform items from the real texts in ../shared/corpus/docs (cycled, each with its own id),
archives them once (every document new), then again with 10% of them amended (one amount or word
changed) and the rest carrying only noise. Reports documents per second and the process's peak
resident memory after each pass.

    python -m bench.bench_pipeline [--docs 2000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from html import escape
from pathlib import Path

from rich.console import Console
from rich.table import Table

from crawlers.items import PolicyItem
from crawlers.output import CrawlOutput, CrawlStats
from crawlers.registry import load_registry
from crawlers.runner import load_crawl_result
from flows.stages import archive_crawl
from storage.archive import sync_sources
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.snapshots import SnapshotStore

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "docs"


def corpus_texts() -> list[tuple[str, list[str]]]:
    texts = []
    for path in sorted(CORPUS.rglob("*.md")):
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        paragraphs = [p.strip() for p in body.splitlines() if p.strip() and not p.startswith(">")]
        texts.append((paragraphs[0].lstrip("# "), paragraphs[1:]))
    return texts


def to_html(paragraphs: list[str], noisy: bool) -> str:
    indent = "\u3000\u3000" if noisy else ""
    return "".join(f'<p style="text-indent:2em;">{indent}{escape(p)}</p>\n' for p in paragraphs)


def amend(paragraphs: list[str], rng: random.Random) -> list[str]:
    changed = list(paragraphs)
    index = rng.randrange(len(changed))
    changed[index] = changed[index] + "（本款已修订）"
    return changed


def write_crawl(directory: Path, items: list[PolicyItem]) -> None:
    output = CrawlOutput(directory)
    for item in items:
        output.add_item(item)
    output.write_stats(CrawlStats(items=len(items), finished_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00")))
    output.write_result(exit_code=0, duration_s=0.0)


def build_items(n: int, *, amended_share: float, seed: int) -> list[PolicyItem]:
    rng = random.Random(seed)
    texts = corpus_texts()
    items = []
    for i in range(n):
        title, paragraphs = texts[i % len(texts)]
        if amended_share and rng.random() < amended_share:
            paragraphs = amend(paragraphs, rng)
        site_id = f"00{70 + i % 16}"
        items.append(
            PolicyItem(
                source="sh-platform",
                native_id=f"{site_id}::bench{i:07d}",
                url=f"https://www.shanghai.gov.cn/zhengce/detail?businessId=bench{i:07d}&siteId={site_id}",
                title=title,
                body_html=to_html(paragraphs, noisy=bool(amended_share)),
                doc_number=f"沪测规〔2026〕{i}号",
                agency="上海市测试局",
                published="2026-01-01 10:00:00",
                status="有效",
                site_id=site_id,
            )
        )
    return items


def run_pass(
    engine, registry, store, directory: Path, items: list[PolicyItem], run_id: str
) -> dict[str, float]:  # type: ignore[no-untyped-def]
    write_crawl(directory, items)
    result = load_crawl_result(directory)
    assert result is not None
    started = time.perf_counter()
    report = archive_crawl(engine, registry, result, run_id=run_id, store=store)
    elapsed = time.perf_counter() - started
    return {
        "docs": len(items),
        "seconds": elapsed,
        "docs_per_s": len(items) / elapsed,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "new": report.new,
        "amended": report.amended,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = make_engine(args.database_url or f"sqlite:///{root / 'bench.sqlite3'}")
        upgrade(engine)
        registry, store = load_registry(), SnapshotStore(root / "snapshots")
        with session_scope(engine) as session:
            sync_sources(session, registry.sources)
        first = run_pass(
            engine,
            registry,
            store,
            root / "run1" / "sh-platform",
            build_items(args.docs, amended_share=0.0, seed=1),
            "bench-1",
        )
        second = run_pass(
            engine,
            registry,
            store,
            root / "run2" / "sh-platform",
            build_items(args.docs, amended_share=0.1, seed=2),
            "bench-2",
        )
    table = Table(title=f"normalise -> version -> detect, {args.docs} platform records")
    for column in ("pass", "docs", "seconds", "docs/s", "peak RSS MiB", "new", "amended"):
        table.add_column(column, justify="right")
    for name, row in (("1: all new", first), ("2: 10% amended, rest noise", second)):
        table.add_row(
            name,
            str(row["docs"]),
            f"{row['seconds']:.2f}",
            f"{row['docs_per_s']:.0f}",
            f"{row['max_rss_mib']:.0f}",
            str(row["new"]),
            str(row["amended"]),
        )
    Console().print(table)


if __name__ == "__main__":
    main()
