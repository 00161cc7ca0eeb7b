"""The example files shipped with the project stay valid."""

from __future__ import annotations

import pytest

from crawlers.registry import load_registry
from notifiers.subscriptions import load_subscriptions
from tests.conftest import REPO


def test_example_subscriptions_file_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_USER", "bot")
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    names = [s.name for s in load_subscriptions(REPO / "subscriptions.example.yaml")]
    assert names == ["changning-invest", "legal-municipal", "operators"]


def test_builtin_registry_loads() -> None:
    assert load_registry().get("sh-platform").base_url == "https://www.shanghai.gov.cn"
