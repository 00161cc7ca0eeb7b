from __future__ import annotations

from typing import Any

import pytest

from notifiers.events import Clause
from notifiers.subscriptions import Filters, Subscription, topics
from tests.notifiers.factories import make_event


def subscription(**filters: Any) -> Subscription:
    return Subscription(name="watch", urls=("json://127.0.0.1/hook",), filters=Filters(**filters))


def test_no_filters_match_every_change() -> None:
    assert subscription().matches(make_event(kind="repealed", district=None, level="municipal"))


@pytest.mark.parametrize(
    ("filters", "matching", "other"),
    [
        ({"districts": frozenset({"changning", "putuo"})}, {"district": "putuo"}, {"district": "pudong"}),
        ({"districts": frozenset({"changning"})}, {"district": "changning"}, {"district": None}),
        ({"levels": frozenset({"district", "town"})}, {"level": "town"}, {"level": "municipal"}),
        ({"sources": frozenset({"minhang"})}, {"sources": ("sh-platform", "minhang")}, {"sources": ("pt",)}),
        ({"kinds": frozenset({"new", "amended"})}, {"kind": "new"}, {"kind": "repealed"}),
        ({"agencies": ("经济和信息化",)}, {"agency": "上海市经济和信息化委员会"}, {"agency": "上海市财政局"}),
        ({"agencies": ("财政局",)}, {"agency": "上海市财政局"}, {"agency": None}),
        ({"min_priority": 2}, {"priority": 2}, {"priority": 1}),
    ],
    ids=[
        "district-any-of",
        "district-missing",
        "level",
        "source",
        "kind",
        "agency",
        "agency-missing",
        "priority",
    ],
)
def test_value_filter_matches_any_listed_value_only(
    filters: dict[str, Any], matching: dict[str, Any], other: dict[str, Any]
) -> None:
    watch = subscription(**filters)

    assert (watch.matches(make_event(**matching)), watch.matches(make_event(**other))) == (True, False)


def test_editorial_changes_are_left_out_unless_asked_for() -> None:
    editorial = make_event(kind="editorial", priority=0)

    assert (
        subscription().matches(editorial),
        subscription(kinds=frozenset({"editorial"})).matches(editorial),
    ) == (
        False,
        True,
    )


def _clause(before: str | None, after: str | None) -> Clause:
    return Clause(path="三", op="modified", before=before, after=after, fragments=[])


@pytest.mark.parametrize(
    "where",
    [
        {"title": "关于支持集成电路企业的若干措施"},
        {"summary": "新增集成电路专项"},
        {"clauses": (_clause("原条款", "支持集成电路设计"),)},
        {"clauses": (_clause("支持集成电路设计", None),)},
        {"kind": "new", "clauses": (), "text": "第三条 支持集成电路设计企业。"},
    ],
    ids=["title", "summary", "clause-after", "clause-before", "new-document-text"],
)
def test_keyword_is_found_in_title_summary_or_changed_text(where: dict[str, Any]) -> None:
    assert subscription(keywords=("区块链", "集成电路")).matches(make_event(**where))


def test_unchanged_text_of_an_amended_document_is_not_searched() -> None:
    event = make_event(text="第三条 支持集成电路设计企业。")

    assert not subscription(keywords=("集成电路",)).matches(event)


def test_keyword_absent_everywhere_does_not_match() -> None:
    assert not subscription(keywords=("区块链", "集成电路")).matches(make_event())


def test_latin_keywords_ignore_case() -> None:
    assert subscription(keywords=("ai",)).matches(make_event(title="关于推进AI+制造的实施意见"))


def test_all_of_keywords_need_every_one() -> None:
    watch = subscription(keywords_all=("人工智能", "长宁"))

    assert (
        watch.matches(make_event()),
        watch.matches(make_event(title="关于促进人工智能产业发展的若干政策")),
    ) == (
        True,
        False,
    )


def test_topic_matches_any_of_its_keywords() -> None:
    watch = subscription(topics=(topics()["集成电路"],))

    assert watch.matches(make_event(title="关于支持芯片设计企业发展的若干措施", clauses=()))


def test_topic_without_any_keyword_does_not_match() -> None:
    watch = subscription(topics=(topics()["低空经济"], topics()["生物医药"]))

    assert not watch.matches(make_event())


def test_every_given_filter_must_match() -> None:
    watch = subscription(districts=frozenset({"changning"}), kinds=frozenset({"repealed"}))

    assert not watch.matches(make_event(district="changning", kind="amended"))
