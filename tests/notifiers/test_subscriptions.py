from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from notifiers.subscriptions import SubscriptionError, load_subscriptions, redact_text, redact_url

GOOD_URL = "json://127.0.0.1:8099/hook"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "subscriptions.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_file_is_loaded_with_filters(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
        subscriptions:
          - name: changning-invest
            urls: ["{GOOD_URL}"]
            filters:
              districts: [changning, putuo]
              levels: [district]
              sources: [sh-platform]
              keywords: [人工智能, "no"]
              kinds: [new, amended]
          - name: everything
            urls: ["{GOOD_URL}"]
        """,
    )

    first, second = load_subscriptions(path)

    assert (first.name, first.urls, first.districts) == (
        "changning-invest",
        (GOOD_URL,),
        frozenset({"changning", "putuo"}),
    )
    assert (first.levels, first.sources, first.kinds) == (
        frozenset({"district"}),
        frozenset({"sh-platform"}),
        frozenset({"new", "amended"}),
    )
    assert first.keywords == ("人工智能", "no")
    assert (second.districts, second.keywords) == (None, None)


def test_plain_scalars_are_read_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
        subscriptions:
          - name: x
            urls: ["{GOOD_URL}"]
            filters:
              keywords: [no, 0123]
        """,
    )

    assert load_subscriptions(path)[0].keywords == ("no", "0123")


def test_empty_subscription_list_is_valid(tmp_path: Path) -> None:
    assert load_subscriptions(write(tmp_path, "subscriptions: []\n")) == []


ONE = f"subscriptions:\n  - name: a\n    urls: ['{GOOD_URL}']\n"
"""A valid one-subscription file (lines 1-3) that cases extend."""

BAD_FILES = {
    "unknown-top-key": (
        "subscriptions: []\nsubscription: []\n",
        2,
        "unknown key 'subscription'",
        "allowed keys",
    ),
    "unknown-key": (
        ONE + "    filter: {}\n",
        4,
        "unknown key 'filter' in a subscription (did you mean 'filters'?)",
        "allowed keys: name, urls, filters",
    ),
    "unknown-filter": (
        ONE + "    filters:\n      district: [putuo]\n",
        5,
        "unknown key 'district' in filters (did you mean 'districts'?)",
        "allowed keys",
    ),
    "missing-name": (
        f"subscriptions:\n  - urls: ['{GOOD_URL}']\n",
        2,
        "subscription without a name",
        "add `name:",
    ),
    "bad-name": (
        f"subscriptions:\n  - name: Team A\n    urls: ['{GOOD_URL}']\n",
        2,
        "invalid name 'Team A'",
        "lowercase",
    ),
    "missing-urls": ("subscriptions:\n  - name: a\n", 2, "subscription without `urls`", "add `urls:`"),
    "empty-urls": (
        "subscriptions:\n  - name: a\n    urls: []\n",
        3,
        "`urls` is not a non-empty list",
        "write it as",
    ),
    "duplicate-name": (
        ONE + f"  - name: a\n    urls: ['{GOOD_URL}']\n",
        4,
        "duplicate subscription name 'a' (first at line 2)",
        "give each subscription its own name",
    ),
    "unknown-district": (
        ONE + "    filters:\n      districts: [putuo, changnig]\n",
        5,
        "unknown district 'changnig' (did you mean 'changning'?)",
        "use one of: pudong",
    ),
    "unknown-level": (
        ONE + "    filters:\n      levels:\n        - city\n",
        6,
        "unknown level 'city'",
        "use one of: municipal, district, town",
    ),
    "unknown-kind": (
        ONE + "    filters:\n      kinds: [changed]\n",
        5,
        "unknown kind 'changed'",
        "use one of: new, amended",
    ),
    "empty-filter": (
        ONE + "    filters:\n      keywords: []\n",
        5,
        "`filters.keywords` is not a non-empty list",
        "write it as `keywords: [a, b]`",
    ),
    "bad-url": (
        "subscriptions:\n  - name: a\n    urls:\n      - json://127.0.0.1/ok\n      - nosuchservice://host/x\n",
        5,
        "apprise cannot use the URL nosuchservice://host/x",
        "check its scheme",
    ),
    "unset-env": (
        "subscriptions:\n  - name: a\n    urls:\n      - json://u:${PW_TEST_UNSET}@127.0.0.1/hook\n",
        4,
        "environment variable PW_TEST_UNSET is not set",
        "set PW_TEST_UNSET in the environment",
    ),
    "yaml-syntax": ("subscriptions:\n  - name: a\n    urls: [\n", 4, "not valid YAML", "fix the syntax"),
    "empty-file": ("", 1, "the file is empty", "start it with `subscriptions:`"),
}


@pytest.mark.parametrize(("text", "line", "reason", "fix"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_refused_naming_file_line_reason_and_fix(
    tmp_path: Path, text: str, line: int, reason: str, fix: str
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(SubscriptionError) as refused:
        load_subscriptions(path)

    assert f"{path}:{line}: {reason}" in str(refused.value)
    assert fix in str(refused.value)


def test_one_bad_subscription_refuses_the_whole_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
        subscriptions:
          - name: good
            urls: ["{GOOD_URL}"]
          - name: bad
            urls: ["{GOOD_URL}"]
            filters: {{kinds: [typo]}}
        """,
    )

    with pytest.raises(SubscriptionError):
        load_subscriptions(path)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""\
        subscriptions:
          - name: a
            urls: ["{GOOD_URL}"]
            filters: {{kinds: [typo], levels: [city]}}
          - urls: ["{GOOD_URL}"]
        """,
    )

    with pytest.raises(SubscriptionError) as refused:
        load_subscriptions(path)

    assert [problem.split(": ")[0] for problem in refused.value.problems] == [
        f"{path}:4",
        f"{path}:4",
        f"{path}:5",
    ]


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SubscriptionError, match="cannot read the subscription file"):
        load_subscriptions(tmp_path / "absent.yaml")


def test_environment_reference_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW_TEST_TOKEN", "abc123")
    path = write(
        tmp_path, "subscriptions:\n  - name: a\n    urls: ['json://127.0.0.1/hook/${PW_TEST_TOKEN}']\n"
    )

    assert load_subscriptions(path)[0].urls == ("json://127.0.0.1/hook/abc123",)


def test_environment_value_is_percent_encoded_inside_a_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW_TEST_PASSWORD", "p@ss/word")
    path = write(
        tmp_path,
        "subscriptions:\n  - name: a\n    urls: ['json://user:${PW_TEST_PASSWORD}@127.0.0.1/hook']\n",
    )

    assert load_subscriptions(path)[0].urls == ("json://user:p%40ss%2Fword@127.0.0.1/hook",)


def test_whole_url_from_environment_is_taken_verbatim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW_TEST_URL", "json://127.0.0.1:8099/hook?token=abc")
    path = write(tmp_path, "subscriptions:\n  - name: a\n    urls: ['${PW_TEST_URL}']\n")

    assert load_subscriptions(path)[0].urls == ("json://127.0.0.1:8099/hook?token=abc",)


def test_secret_from_environment_never_appears_in_errors_or_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A short user-part secret in a URL apprise rejects: not token-shaped, so only the
    # registry of environment values can mask it in apprise's own "Unparseable URL" log line.
    monkeypatch.setenv("PW_TEST_SECRET", "hunter2x")
    path = write(tmp_path, "subscriptions:\n  - name: a\n    urls: ['json://${PW_TEST_SECRET}@']\n")

    with caplog.at_level(logging.DEBUG, logger="apprise"), pytest.raises(SubscriptionError) as refused:
        load_subscriptions(path)

    assert "apprise cannot use the URL json://${PW_TEST_SECRET}@" in str(refused.value)
    assert any("json://" in record.getMessage() for record in caplog.records)
    assert "hunter2x" not in str(refused.value) + caplog.text


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (
            "mailto://user:s3cret@127.0.0.1:2525?from=pw@example.org&to=team@example.org",
            "mailto://user:****@127.0.0.1:2525?from=pw@example.org&to=team@example.org",
        ),
        ("json://127.0.0.1/hook?access_token=abc&mode=1", "json://127.0.0.1/hook?access_token=****&mode=1"),
        ("json://127.0.0.1/hook?key=abc&secret=def", "json://127.0.0.1/hook?key=****&secret=****"),
        (
            "discord://123456789012345678/AbCdEf123456GhIjKl789012",
            "discord://123456789012345678/****",
        ),
        ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/", "tgram://123456789:****/"),
        ("dingtalk://a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "dingtalk://****"),
        ("json://127.0.0.1:8099/hook", "json://127.0.0.1:8099/hook"),
        ("not a url s3cret", "****"),
    ],
    ids=[
        "password",
        "token-query",
        "key-query",
        "path-token",
        "bot-token",
        "host-token",
        "no-secret",
        "not-url",
    ],
)
def test_redact_url_masks_secrets(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


def test_redact_text_masks_urls_and_given_secrets() -> None:
    text = "POST json://u:pw123@127.0.0.1/hook failed; server said: bad token hunter2x"

    assert (
        redact_text(text, ["hunter2x"])
        == "POST json://u:****@127.0.0.1/hook failed; server said: bad token ****"
    )
