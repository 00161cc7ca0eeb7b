"""`make demo` keeps working: it runs offline and shows the amendment alert it delivered."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_demo_shows_the_delivered_amendment(prefect_api: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "tests.demo"],
        env={**os.environ, "PREFECT_API_URL": prefect_api, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "【1000】→【500】" in completed.stdout
    assert '"kind": "amended"' in completed.stdout
