"""The shipped topics are the industries the municipal 招商引资 measures name, each with its own name."""

from __future__ import annotations

import yaml

from notifiers.subscriptions import TOPICS_FILE, topics
from tests.conftest import SHARED

MEASURES = SHARED / "corpus" / "seeds" / "000_065a853221348270.txt"


def test_every_topic_is_an_industry_named_in_the_measures() -> None:
    # The OCR text breaks lines inside words (低空经\n济).
    measures = MEASURES.read_text(encoding="utf-8").replace("\n", "")

    assert [name for name in topics() if name not in measures] == []


def test_every_industry_of_the_measures_is_a_topic() -> None:
    named = [
        "集成电路",
        "生物医药",
        "人工智能",
        "电子信息",
        "生命健康",
        "汽车",
        "高端装备",
        "先进材料",
        "时尚消费品",
    ]
    named += [
        "数字经济",
        "绿色低碳",
        "元宇宙",
        "智能终端",
        "未来健康",
        "未来智能",
        "未来能源",
        "未来空间",
        "未来材料",
    ]
    named += ["高技术船舶", "大飞机", "低空经济", "商业航天"]

    assert list(topics()) == named


def test_each_topic_lists_its_own_name_first() -> None:
    assert [name for name, topic in topics().items() if topic.keywords[0] != name] == []


def test_file_names_its_source() -> None:
    assert "招商引资" in yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))["source"]
