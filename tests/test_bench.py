"""The benchmarks keep running (tiny sizes here; the README command runs them at full size)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench import bench_explorer, bench_pipeline


def test_pipeline_bench_reports_throughput_and_memory(capsys: pytest.CaptureFixture[str]) -> None:
    bench_pipeline.main(["--docs", "30"])
    output = capsys.readouterr().out
    assert "docs/s" in output and "peak RSS MiB" in output


def test_explorer_bench_builds_the_archive_and_reports_search_and_page_latency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "explorer.sqlite3"
    bench_explorer.main(["--versions", "300", "--pages", "3", "--repeats", "1", "--db", str(archive)])
    output = capsys.readouterr().out
    assert "300 versions" in output and "archive size" in output
    for row in ("search ", "search page", "document page", "diff, last two versions", "diff, first to last"):
        assert row in output
    with sqlite3.connect(archive) as db:
        assert db.execute("SELECT count(*) FROM version").fetchone() == (300,)
        assert db.execute("SELECT count(*) FROM change").fetchone() == (300,)
        unrevised = "SELECT count(*) FROM version a JOIN version b ON b.document_id = a.document_id "
        unrevised += "AND b.seq = a.seq + 1 AND b.content_hash = a.content_hash"
        assert db.execute(unrevised).fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM search_entry").fetchone()[0] > 20
    bench_explorer.main(["--pages", "1", "--repeats", "1", "--db", str(archive)])
    assert "reusing" in capsys.readouterr().out
