from __future__ import annotations

import logging
import textwrap
from datetime import time, timedelta
from pathlib import Path

import pytest

from notifiers.schedule import Digest
from notifiers.subscriptions import (
    RetryPolicy,
    SubscriptionError,
    load_subscriptions,
    redact_text,
    redact_url,
    topics,
)

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

    assert (first.name, first.urls, first.filters.districts) == (
        "changning-invest",
        (GOOD_URL,),
        frozenset({"changning", "putuo"}),
    )
    assert (first.filters.levels, first.filters.sources, first.filters.kinds) == (
        frozenset({"district"}),
        frozenset({"sh-platform"}),
        frozenset({"new", "amended"}),
    )
    assert first.filters.keywords == ("人工智能", "no")
    assert (second.filters.districts, second.filters.keywords, second.digest) == (None, None, None)


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

    assert load_subscriptions(path)[0].filters.keywords == ("no", "0123")


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
        "allowed keys: name, urls, apprise_config, tags, filters, mode",
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
    "missing-urls": (
        "subscriptions:\n  - name: a\n",
        2,
        "subscription without `urls` or `apprise_config`",
        "add `urls:`",
    ),
    "urls-and-config": (
        ONE + "    apprise_config: apprise.yaml\n",
        4,
        "a subscription has both `urls` and `apprise_config`",
        "keep one of them",
    ),
    "tags-without-config": (ONE + "    tags: [legal]\n", 4, "`tags` without `apprise_config`", "remove them"),
    "missing-apprise-config": (
        "subscriptions:\n  - name: a\n    apprise_config: absent.yaml\n",
        3,
        "apprise config file",
        "a relative path starts at this file's folder",
    ),
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
        "variable PW_TEST_UNSET is not set (or empty) in the environment",
        "set PW_TEST_UNSET in the environment or in a `secrets_file:`",
    ),
    "unknown-topic": (
        ONE + "    filters:\n      topics: [人工智能, 区块连]\n",
        5,
        "unknown topic '区块连'",
        "use one of: 集成电路, 生物医药, 人工智能",
    ),
    "unknown-priority": (
        ONE + "    filters:\n      min_priority: urgent\n",
        5,
        "unknown priority 'urgent'",
        "use one of: low, normal, high, critical",
    ),
    "keywords-unknown-form": (
        ONE + "    filters:\n      keywords: {every: [a]}\n",
        5,
        "unknown key 'every' in filters.keywords",
        "allowed keys: any, all",
    ),
    "keywords-empty-form": (
        ONE + "    filters:\n      keywords: {}\n",
        5,
        "`filters.keywords` has neither `any` nor `all`",
        "write `keywords: {all: [a, b]}`",
    ),
    "unknown-mode": (ONE + "    mode: hourly\n", 4, "unknown mode 'hourly'", "use immediate, `daily 09:00`"),
    "bad-time": (ONE + "    mode: daily 25:00\n", 4, "bad time '25:00' in mode 'daily 25:00'", "HH:MM"),
    "bad-time-words": (ONE + "    mode: daily at nine\n", 4, "bad time 'at nine'", "HH:MM"),
    "unknown-day": (
        ONE + "    mode: weekly someday 09:00\n",
        4,
        "unknown day 'someday'",
        "use one of: monday",
    ),
    "immediate-with-time": (
        ONE + "    mode: immediate 09:00\n",
        4,
        "mode 'immediate 09:00': immediate takes no time",
        "`mode: immediate`",
    ),
    "bad-duration": (
        "delivery:\n  backoff: soon\n" + ONE,
        2,
        "backoff 'soon' is not a positive duration",
        "30s",
    ),
    "bad-attempts": (
        "delivery:\n  max_attempts: 0\n" + ONE,
        2,
        "max_attempts '0' is not 1-100",
        "whole number",
    ),
    "backoff-order": (
        "delivery:\n  backoff: 2h\n  max_backoff: 1h\n" + ONE,
        3,
        "max_backoff is shorter than backoff",
        "at least backoff",
    ),
    "archive-url-field": (
        "archive_url: https://a.example.org/{change}\n" + ONE,
        1,
        "archive_url 'https://a.example.org/{change}' is not an http(s) URL template",
        "{change_id}, {document_id}",
    ),
    "missing-secrets-file": (
        "secrets_file: absent.env\n" + ONE,
        1,
        "cannot read the secrets file",
        "fix the path",
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


def test_mode_daily_at_a_local_time(tmp_path: Path) -> None:
    path = write(tmp_path, ONE + "    mode: daily 18:30\n")

    assert load_subscriptions(path)[0].digest == Digest("daily", time(18, 30))


def test_mode_weekly_defaults_to_monday_nine(tmp_path: Path) -> None:
    path = write(tmp_path, ONE + "    mode: weekly\n")

    assert load_subscriptions(path)[0].digest == Digest("weekly", time(9, 0), weekday=0)


def test_mode_weekly_on_a_day(tmp_path: Path) -> None:
    path = write(tmp_path, ONE + "    mode: weekly fri 17:00\n")

    assert load_subscriptions(path)[0].digest == Digest("weekly", time(17, 0), weekday=4)


def test_mode_immediate_sends_at_once(tmp_path: Path) -> None:
    assert load_subscriptions(write(tmp_path, ONE + "    mode: immediate\n"))[0].digest is None


def test_filters_of_every_kind_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ONE
        + """\
    filters:
      agencies: [经济和信息化委员会]
      keywords: {any: [补贴, 奖励], all: [长宁]}
      topics: [集成电路, 低空经济]
      min_priority: high
""",
    )

    filters = load_subscriptions(path)[0].filters

    assert (filters.agencies, filters.keywords, filters.keywords_all) == (
        ("经济和信息化委员会",),
        ("补贴", "奖励"),
        ("长宁",),
    )
    assert (filters.topics, filters.min_priority) == ((topics()["集成电路"], topics()["低空经济"]), 2)


def test_delivery_policy_applies_to_every_subscription(tmp_path: Path) -> None:
    path = write(tmp_path, "delivery:\n  max_attempts: 3\n  backoff: 30s\n  max_backoff: 2h\n" + ONE)

    assert load_subscriptions(path)[0].retry == RetryPolicy(3, timedelta(seconds=30), timedelta(hours=2))


def test_retry_wait_doubles_up_to_the_maximum() -> None:
    policy = RetryPolicy(backoff=timedelta(minutes=1), max_backoff=timedelta(minutes=5))

    assert [policy.wait(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 5)]


def test_archive_url_is_kept_for_messages(tmp_path: Path) -> None:
    path = write(tmp_path, "archive_url: https://archive.example.org/change/{change_id}\n" + ONE)

    assert load_subscriptions(path)[0].archive_url == "https://archive.example.org/change/{change_id}"


APPRISE_CONFIG = """\
urls:
  - json://127.0.0.1:8099/legal:
      tag: legal
  - json://127.0.0.1:8099/invest:
      tag: invest
"""


def test_apprise_config_is_resolved_next_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "apprise.yaml").write_text(APPRISE_CONFIG, encoding="utf-8")
    path = write(
        tmp_path, "subscriptions:\n  - name: a\n    apprise_config: apprise.yaml\n    tags: [legal]\n"
    )

    (subscription,) = load_subscriptions(path)

    assert (subscription.apprise_config, subscription.tags, subscription.urls) == (
        tmp_path / "apprise.yaml",
        ("legal",),
        (),
    )


def test_apprise_config_without_a_service_of_the_tags_is_refused(tmp_path: Path) -> None:
    (tmp_path / "apprise.yaml").write_text(APPRISE_CONFIG, encoding="utf-8")
    path = write(
        tmp_path, "subscriptions:\n  - name: a\n    apprise_config: apprise.yaml\n    tags: [press]\n"
    )

    with pytest.raises(
        SubscriptionError,
        match=r"subscriptions.yaml:3: apprise config file .* has no usable service tagged press",
    ):
        load_subscriptions(path)


def test_variable_comes_from_the_secrets_file(tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("# tokens\n\nPW_TEST_FILE_TOKEN='abc123'\n", encoding="utf-8")
    path = write(
        tmp_path,
        "secrets_file: secrets.env\nsubscriptions:\n  - name: a\n    urls: ['json://127.0.0.1/h/${PW_TEST_FILE_TOKEN}']\n",
    )

    assert load_subscriptions(path)[0].urls == ("json://127.0.0.1/h/abc123",)


def test_environment_wins_over_the_secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW_TEST_BOTH", "fromenv")
    (tmp_path / "secrets.env").write_text("PW_TEST_BOTH=fromfile\n", encoding="utf-8")
    path = write(
        tmp_path,
        "secrets_file: secrets.env\nsubscriptions:\n  - name: a\n    urls: ['json://127.0.0.1/h/${PW_TEST_BOTH}']\n",
    )

    assert load_subscriptions(path)[0].urls == ("json://127.0.0.1/h/fromenv",)


def test_bad_secrets_line_is_refused_with_its_line_but_not_its_text(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("PW_TEST_OK=1\nhunter2x without a name\n", encoding="utf-8")
    path = write(tmp_path, "secrets_file: secrets.env\n" + ONE)

    with pytest.raises(SubscriptionError) as refused:
        load_subscriptions(path)

    assert f"{secrets}:2: not a KEY=VALUE line" in str(refused.value)
    assert "hunter2x" not in str(refused.value)


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


def test_secret_written_in_clear_is_masked_in_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(
        tmp_path,
        "subscriptions:\n  - name: a\n    urls: ['mailto://bot:s3cretpw@127.0.0.1?to=a@b.org&from=c@d.org']\n",
    )
    load_subscriptions(path)

    with caplog.at_level(logging.DEBUG, logger="apprise"):
        logging.getLogger("apprise").warning("server said: wrong password s3cretpw")

    assert "s3cretpw" not in caplog.text


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
