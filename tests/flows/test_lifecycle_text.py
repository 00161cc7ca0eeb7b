"""What the life-cycle stage reads from one text, as pure functions: references and what they name, the
document's own validity, the relations it states, and the rules for editions, expiry and withdrawal.

Texts are real (../shared/corpus) unless a sentence is quoted inline, and then it is a sentence of a real
document.
"""

from __future__ import annotations

import datetime as dt

import pytest

from detect.lifecycle import (
    Edition,
    amendment_edits,
    is_new_edition,
    relations_of,
    title_act,
    validity_due,
    withdrawn_due,
)
from normalise.references import extract_references, subject_key, title_key
from normalise.validity import extract_validity
from tests.normalise.corpus import CORPUS, corpus_doc

HOUSING = CORPUS / "docs" / "房屋与住房"


def corpus(path: str) -> tuple[str, str, str | None]:
    """Title, body and 文号 of a corpus document."""
    fields, body = corpus_doc(CORPUS / path)
    number = fields["文号"] if fields["文号"] != "-" else None
    return fields["标题"], body, number


def relations(path: str) -> list[tuple[str, str]]:
    title, body, number = corpus(path)
    return sorted(
        (draft.kind, draft.reference.key)
        for draft in relations_of(title, body, own_doc_number=number)
        if draft.kind != "cites"
    )


# --- references ------------------------------------------------------------------------------------------


def test_title_key_folds_quotes_spaces_and_trial_and_edition_marks() -> None:
    assert title_key(
        "关于加快转变发展方式 集中推进本市城市更新高质量发展的规划资源实施意见（2025版）"
    ) == title_key("关于加快转变发展方式集中推进本市城市更新高质量发展的规划资源实施意见（试行）")
    assert (
        title_key("上海市开展对部分个人住房征收房产税试点的暂行办法")
        == "上海市开展对部分个人住房征收房产税试点的办法"
    )


def test_a_notice_that_issued_a_document_stands_for_it() -> None:
    quoted = "关于印发<南码头路街道老旧小区物业服务补贴达标考核奖励实施办法>的通知 "
    assert title_key(quoted) == "南码头路街道老旧小区物业服务补贴达标考核奖励实施办法"
    assert title_key(
        "上海市房屋管理局关于贯彻<住房城乡建设部关于进一步规范房地产估价机构管理工作的通知>的实施意见"
    ) == (title_key("关于贯彻〈住房城乡建设部关于进一步规范房地产估价机构管理工作的通知〉的实施意见"))


def test_subject_of_a_title_without_quotes_drops_the_issuer_and_the_notice() -> None:
    assert (
        subject_key("上海市青浦区人民政府关于印发青浦区公共租赁住房管理实施办法的通知")
        == "青浦区公共租赁住房管理实施办法"
    )


def test_references_carry_the_doc_number_in_brackets_or_glued_after_the_title() -> None:
    text = (
        "本实施办法自发布之日起施行，原《吴淞街道小型建设工程项目管理办法》宝吴街办〔2021〕30号同时废止。\n"
        "经评估，《上海市政府购买服务管理办法》（沪财发〔2021〕3号）需继续实施。"
    )
    found = [(r.title, r.doc_number) for r in extract_references(text)]
    assert found == [
        ("吴淞街道小型建设工程项目管理办法", "宝吴街办〔2021〕30号"),
        ("上海市政府购买服务管理办法", "沪财发〔2021〕3号"),
    ]


def test_a_doc_number_alone_is_a_reference_without_the_words_before_it() -> None:
    text = "沪房规范〔2018〕5号文、沪房规范〔2022〕4号文同时废止。决定废止沪建管〔2015〕684号。"
    assert [r.doc_number for r in extract_references(text)] == [
        "沪房规范〔2018〕5号",
        "沪房规范〔2022〕4号",
        "沪建管〔2015〕684号",
    ]


def test_the_documents_own_doc_number_is_not_a_reference() -> None:
    assert extract_references("沪环规〔2026〕19号\n各有关单位：", own_doc_number="沪环规〔2026〕19号") == []


# --- validity --------------------------------------------------------------------------------------------


def test_validity_stated_in_the_closing_article() -> None:
    title, body, _ = corpus(
        "docs/规划与土地/上海市生态环境局、上海市规划和自然资源局关于印发《上海市建设用地土壤污染责任人认定实施办法》的通知.md"
    )
    validity = extract_validity(title, body, published="2024-08-30", platform_status="有效")
    assert (validity.valid_from.value, validity.valid_until.value) == ("2024-09-01", "2029-08-31")  # type: ignore[union-attr]
    assert validity.valid_until.quote == "本办法自2024年9月1日起实施，有效期至2029年8月31日。"  # type: ignore[union-attr]
    assert validity.trial is None
    assert validity.status.to_dict() == {"value": "有效", "source": "platform", "quote": "平台标注：有效"}  # type: ignore[union-attr]


def test_validity_of_a_duration_ends_the_day_before_its_anniversary() -> None:
    validity = extract_validity(
        "关于印发《月浦镇限额以下小型建设工程管理办法（试行）》的通知",
        "本办法自2025年2月17日起实施，试行1年。",
        published=None,
        platform_status=None,
    )
    assert validity.valid_until.value == "2026-02-16"  # type: ignore[union-attr]
    assert validity.trial.source == "title"  # type: ignore[union-attr]


def test_trial_from_the_text_when_the_title_does_not_say() -> None:
    validity = extract_validity(
        "实施办法", "(二)本办法自发布之日起实施，试行一年。", published="2025-09-04", platform_status=None
    )
    assert validity.trial.quote == "(二)本办法自发布之日起实施，试行一年。"  # type: ignore[union-attr]
    assert validity.valid_until.value == "2026-09-03"  # type: ignore[union-attr]


def test_a_term_stated_about_something_else_is_not_the_documents() -> None:
    text = "《准入资格确认书》有效期2年，到期后需重新申请。\n检验检测报告有效期为一年。"
    assert extract_validity("管理办法", text, published=None, platform_status=None).valid_until is None


def test_an_extension_notice_has_no_validity_of_the_regulation_it_cites() -> None:
    title, body, _ = corpus(
        "docs/房屋与住房/上海市奉贤区人民政府关于延长《奉贤区农村村民住房建设管理办法》施行期限的通知.md"
    )
    assert extract_validity(title, body, published="2026-01-15", platform_status="有效").valid_until is None


def test_extension_of_the_carried_regulation_beats_its_original_term_and_keeps_it_as_a_conflict() -> None:
    title, body, _ = corpus(
        "docs/城市更新与历史保护/上海市嘉定区文物局关于延长《嘉定区不可移动文物保护暂行规定》有效期的通知.md"
    )
    validity = extract_validity(title, body, published="2024-10-31", platform_status="有效")
    assert validity.valid_until.value == "2026-11-01"  # type: ignore[union-attr]
    assert "有效期延长至2026年11月1日" in validity.valid_until.quote  # type: ignore[union-attr]
    assert [(c.value, c.quote) for c in validity.conflicts] == [
        ("2026-10-31", "第四十三条  本规定自2024年11月1日起实施，有效期二年。")
    ]


# --- relations -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "act"),
    [
        ("关于延长《上海市政府购买服务管理办法》有效期的通知", "extends"),
        ("金山区住房保障和房屋管理局延长《金山区区属征收安置住房管理办法》有效期的通知", "extends"),
        (
            "上海市人民政府关于《上海市人民政府关于印发〈上海市开展对部分个人住房征收房产税试点的暂行办法〉的通知》继续有效的通知",
            "extends",
        ),
        ("关于废止行政规范性文件《崇明区创新型企业总部认定和奖励管理办法》的通知", "repeals"),
        ("关于修改《上海市扬尘在线监测数据执法应用规定》的通知", "amends"),
        (
            "上海市青浦区住房保障和房屋管理局关于印发修改后的《青浦区公共租赁住房管理实施办法》的通知",
            "revises",
        ),
        ("关于印发《松江区水利项目建设和资金管理办法（修订）》的通知", "issues"),
    ],
)
def test_title_says_what_a_document_does(title: str, act: str) -> None:
    assert title_act(title) == act


def test_an_interpretation_interprets_the_document_its_title_names() -> None:
    # A 政策解读 title as the platform lists them (相关链接, sites.md §2).
    title = "关于《上海市建设用地土壤污染责任人认定实施办法》的政策解读"
    drafts = relations_of(
        title, "为加强建设用地土壤污染风险管控，制定《上海市建设用地土壤污染责任人认定实施办法》。"
    )
    assert [(d.kind, d.reference.key) for d in drafts] == [
        ("interprets", "标题:上海市建设用地土壤污染责任人认定实施办法")
    ]


def test_extension_notice_extends_each_target_to_its_own_date() -> None:
    title, body, number = corpus(
        "docs/房屋与住房/上海市房屋管理局关于延长《上海市廉租住房申请对象住房面积核查办法》等2个规范性文件有效期的通知.md"
    )
    drafts = [d for d in relations_of(title, body, own_doc_number=number) if d.kind == "extends"]
    assert sorted((d.reference.doc_number, d.valid_until) for d in drafts) == [
        ("沪房规范〔2019〕19号", dt.date(2029, 12, 31)),
        ("沪房规范〔2019〕6号", dt.date(2029, 6, 30)),
    ]


def test_what_a_notice_names_under_根据_is_implemented_not_extended() -> None:
    kinds = relations(
        "docs/房屋与住房/上海市房屋管理局关于延长《上海市廉租住房申请对象住房面积核查办法》等2个规范性文件有效期的通知.md"
    )
    assert ("implements", "标题:上海市行政规范性文件管理规定") in kinds


def test_repeal_notice_names_its_target_once_by_doc_number() -> None:
    assert relations(
        "docs/房屋与住房/关于废止《关于印发_南码头路街道老旧小区物业服务补贴达标考核奖励实施办法_的通知 "
        "》的通知.md"
    ) == [
        ("implements", "标题:上海市行政规范性文件管理规定"),
        ("repeals", "文号:浦南规〔2025〕1号"),
    ]


def test_new_edition_repealing_the_old_one_by_name_supersedes_it() -> None:
    kinds = relations(
        "docs/工程建设管理/上海市住房和城乡建设管理委员会关于修订印发《上海市建设项目工程总承包招标评标办法》的通知.md"
    )
    assert ("supersedes", "文号:沪住建规范〔2022〕4号") in kinds
    assert not [kind for kind in kinds if kind[0] == "repeals"]


def test_amendment_notice_amends_the_document_it_names_and_lists_the_edits() -> None:
    title, body, number = corpus(
        "docs/规划与土地/上海市生态环境局、上海市规划和自然资源局关于修改 "
        "《上海市建设用地土壤污染责任人认定实施办法》的通知.md"
    )
    assert [
        d.reference.key for d in relations_of(title, body, own_doc_number=number) if d.kind == "amends"
    ] == ["标题:上海市建设用地土壤污染责任人认定实施办法"]
    assert [(e.path, e.before, e.after) for e in amendment_edits(body)] == [
        ("第一条", "《中华人民共和国土壤污染防治法》", "《中华人民共和国生态环境法典》")
    ]


# --- editions, expiry, withdrawal ------------------------------------------------------------------------

TRIAL = Edition(
    "关于印发《关于加快转变发展方式 集中推进本市城市更新高质量发展的规划资源实施意见（试行）》的通知",
    "沪规划资源研〔2023〕448号",
    "2023-11-20",
)
EDITION_2025 = Edition(
    "关于印发《关于加快转变发展方式 集中推进本市城市更新高质量发展的规划资源实施意见（2025版）》的通知",
    "沪规划资源更〔2025〕281号",
    "2025-07-25",
)


def test_a_later_edition_of_the_same_subject_replaces_the_trial() -> None:
    assert is_new_edition(EDITION_2025, TRIAL)
    assert not is_new_edition(TRIAL, EDITION_2025)


def test_the_same_document_listed_twice_is_not_a_new_edition() -> None:
    assert not is_new_edition(Edition(EDITION_2025.title, TRIAL.doc_number, "2025-07-25"), TRIAL)


def test_a_notice_about_a_document_is_never_its_new_edition() -> None:
    extension = Edition(
        "关于延长《关于加快转变发展方式集中推进本市城市更新高质量发展的规划资源实施意见（试行）》有效期的通知",
        None,
        "2025-01-01",
    )
    assert not is_new_edition(extension, TRIAL)


@pytest.mark.parametrize(
    ("today", "due"),
    [("2026-11-30", None), ("2026-12-01", "expiring"), ("2026-12-31", "expiring"), ("2027-01-01", "expired")],
)
def test_expiring_within_30_days_of_the_last_day_expired_after_it(today: str, due: str | None) -> None:
    assert validity_due(dt.date(2026, 12, 31), dt.date.fromisoformat(today)) == due


@pytest.mark.parametrize(
    ("missed", "after", "due"), [(2, 3, False), (3, 3, True), (1, 1, False), (2, 1, True)]
)
def test_withdrawn_after_k_misses_and_never_on_the_first(missed: int, after: int, due: bool) -> None:
    assert withdrawn_due(missed, after) is due
