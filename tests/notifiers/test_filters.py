from __future__ import annotations

from typing import Any

import pytest

from notifiers.events import Clause
from notifiers.subscriptions import Subscription
from tests.notifiers.factories import make_event


def subscription(**filters: Any) -> Subscription:
    return Subscription(name="watch", urls=("json://127.0.0.1/hook",), **filters)


def test_no_filters_match_every_change() -> None:
    assert subscription().matches(make_event(kind="repealed", district=None, level="municipal"))


@pytest.mark.parametrize(
    ("filters", "matching", "other"),
    [
        ({"districts": frozenset({"changning", "putuo"})}, {"district": "putuo"}, {"district": "pudong"}),
        ({"districts": frozenset({"changning"})}, {"district": "changning"}, {"district": None}),
        ({"levels": frozenset({"district", "town"})}, {"level": "town"}, {"level": "municipal"}),
        ({"sources": frozenset({"sh-platform"})}, {"source": "sh-platform"}, {"source": "putuo-site"}),
        ({"kinds": frozenset({"new", "amended"})}, {"kind": "new"}, {"kind": "repealed"}),
    ],
    ids=["district-any-of", "district-missing", "level", "source", "kind"],
)
def test_value_filter_matches_any_listed_value_only(
    filters: dict[str, Any], matching: dict[str, Any], other: dict[str, Any]
) -> None:
    watch = subscription(**filters)

    assert (watch.matches(make_event(**matching)), watch.matches(make_event(**other))) == (True, False)


def _clause(before: str | None, after: str | None) -> Clause:
    return Clause(path="三", op="modified", before=before, after=after, fragments=[])


@pytest.mark.parametrize(
    "where",
    [
        {"title": "关于支持集成电路企业的若干措施"},
        {"summary": "新增集成电路专项"},
        {"clauses": (_clause("原条款", "支持集成电路设计"),)},
        {"clauses": (_clause("支持集成电路设计", None),)},
    ],
    ids=["title", "summary", "clause-after", "clause-before"],
)
def test_keyword_is_found_in_title_summary_or_changed_text(where: dict[str, Any]) -> None:
    assert subscription(keywords=("区块链", "集成电路")).matches(make_event(**where))


def test_keyword_absent_everywhere_does_not_match() -> None:
    assert not subscription(keywords=("区块链", "集成电路")).matches(make_event())


def test_latin_keywords_ignore_case() -> None:
    assert subscription(keywords=("ai",)).matches(make_event(title="关于推进AI+制造的实施意见"))


def test_every_given_filter_must_match() -> None:
    watch = subscription(districts=frozenset({"changning"}), kinds=frozenset({"repealed"}))

    assert not watch.matches(make_event(district="changning", kind="amended"))
