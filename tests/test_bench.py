"""The benchmarks keep running (tiny sizes here; the README command runs them at full size)."""

from __future__ import annotations

import pytest

from bench import bench_pipeline


def test_pipeline_bench_reports_throughput_and_memory(capsys: pytest.CaptureFixture[str]) -> None:
    bench_pipeline.main(["--docs", "30"])
    output = capsys.readouterr().out
    assert "docs/s" in output and "peak RSS MiB" in output
