"""extract_metadata on the real corpus: the benchmark's comparison with the index as thresholds, then
each extraction rule on real lines of corpus documents, seeds and pages."""

from __future__ import annotations

import pytest

from bench import bench_metadata
from bench.bench_metadata import CorpusDoc, FieldScore, canonical_text
from normalise.metadata import extract_metadata
from normalise.text import collapse_whitespace, fold_width, reflow
from tests.normalise.corpus import CORPUS, corpus_doc

DOCS = CORPUS / "docs"
SEEDS = CORPUS / "seeds"
WITHIN = f"发布日期 (day labels) within {bench_metadata.WITHIN_DAYS} days"


@pytest.fixture(scope="module")
def docs() -> list[CorpusDoc]:
    return bench_metadata.corpus_docs()


@pytest.fixture(scope="module")
def scores(docs: list[CorpusDoc]) -> dict[str, FieldScore]:
    return bench_metadata.score(docs)


def doc_text(pattern: str) -> str:
    """Canonical text of the one corpus document whose path matches ``pattern``."""
    (path,) = DOCS.glob(pattern)
    return canonical_text(corpus_doc(path)[1])


def pdf_text(lines: list[str]) -> str:
    """Plain text through the pipeline's line canonicalisation and reflow, as PDF and OCR text gets it."""
    return "\n".join(reflow(collapse_whitespace(fold_width(line)) for line in lines))


# --- the benchmark's figures (python -m bench.bench_metadata prints them with every miss) ---


def test_every_doc_number_the_text_states_is_found(scores: dict[str, FieldScore]) -> None:
    result = scores["文号"]
    assert result.label_in_text >= 18 and result.accuracy_where_in_text >= 0.99


def test_no_doc_number_read_from_the_text_contradicts_the_index(scores: dict[str, FieldScore]) -> None:
    assert scores["文号"].other_value == 0


def test_lead_issuer_agrees_with_the_index(scores: dict[str, FieldScore]) -> None:
    result = scores["发布单位 (lead issuer)"]
    assert result.accuracy >= 0.84 and result.accuracy_where_in_text >= 0.97


def test_publication_date_is_read_wherever_the_text_states_it(scores: dict[str, FieldScore]) -> None:
    result = scores["发布日期 (day labels) exact"]
    assert result.label_in_text >= 73 and result.accuracy_where_in_text >= 0.99


def test_signature_date_is_within_a_week_of_the_platform_date(scores: dict[str, FieldScore]) -> None:
    assert scores[WITHIN].accuracy >= 0.94


def test_no_status_is_read_from_prose(scores: dict[str, FieldScore]) -> None:
    # Repeal and extension notices talk about other documents' status; none states its own.
    assert scores["状态"].other_value == 0


def test_nearly_every_document_has_a_signature_date(docs: list[CorpusDoc]) -> None:
    # The three without: a typo (2025年月30日) and two texts that carry no date at all.
    assert sum(doc.metadata.written_date is not None for doc in docs) >= 118


def test_benchmark_prints_every_comparison(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # field names unwrapped
    bench_metadata.main()
    output = capsys.readouterr().out
    assert all(comparison.field in output for comparison in bench_metadata.COMPARISONS)


# --- 成文日期: the signature block's date ---


def test_signature_date_in_chinese_numerals() -> None:
    # 沪住建规范〔2021〕3号 (zjw.sh.gov.cn)
    assert extract_metadata("特此通知。\n二○二一年三月十九日").written_date == "2021-03-19"


def test_signature_date_in_full_width_digits_of_pdf_text() -> None:
    text = pdf_text((SEEDS / "003_f93ece479afd5806.txt").read_text(encoding="utf-8").splitlines())
    assert extract_metadata(text).written_date == "2021-07-31"


def test_first_signature_is_the_notices_not_its_attachments() -> None:
    # The notice is signed 2023-01-20; the regulation it forwards, signed by 市水务局 2023-01-10, follows.
    text = doc_text("市政与基础设施/上海市人民政府办公厅转发市水务局修订的*.md")
    assert extract_metadata(text).written_date == "2023-01-20"


def test_date_with_a_typo_still_closes_the_signature_block() -> None:
    # 静城管政〔2025〕8号 is signed "2025年月30日".
    metadata = extract_metadata("上海市静安区城市管理行政执法局\n2025年月30日")
    assert (metadata.issuers, metadata.written_date) == (("上海市静安区城市管理行政执法局",), None)


# --- issuers ---


def test_joint_signature_lists_the_bodies_in_order() -> None:
    bodies = ("上海市生态环境局", "上海市住房和城乡建设管理委员会", "上海市交通委员会")  # 沪环规〔2024〕2号
    assert extract_metadata("\n".join([*bodies, "2024年3月13日"])).issuers == bodies


def test_joint_signature_on_one_line_is_split_where_the_next_name_begins() -> None:
    text = "上海市黄浦区发展和改革委员会        上海市黄浦区财政局\n2024年7月22日"  # 黄发改规〔2024〕2号
    assert extract_metadata(text).issuers == ("上海市黄浦区发展和改革委员会", "上海市黄浦区财政局")


def test_party_body_in_a_joint_signature() -> None:
    bodies = ("上海市宝山区规划和自然资源局", "中共上海市宝山区委社会工作部")  # 宝规划资源〔2024〕2号
    assert extract_metadata("\n".join([*bodies, "2024年9月10日"])).issuers == bodies


def test_street_office_of_a_district_government_is_one_body() -> None:
    text = "上海市浦东新区人民政府南码头路街道办事处\n2025年7月18日"  # 浦南规〔2025〕1号
    assert extract_metadata(text).issuers == ("上海市浦东新区人民政府南码头路街道办事处",)


def test_ten_bodies_of_a_joint_district_policy() -> None:
    issuers = extract_metadata((SEEDS / "004_d7a5a1d8257d0abe.txt").read_text(encoding="utf-8")).issuers
    assert (len(issuers), issuers[0], issuers[-1]) == (10, "长宁区发展和改革委员会", "长宁区投资促进办公室")


def test_closing_formula_glued_to_the_signature_by_reflow() -> None:
    # 奉柘府〔2023〕22号 writes 特此通知 without 。, so plain-text reflow joins it to the name below.
    text = pdf_text(["特此通知", "奉贤区柘林镇人民政府", "2023年10月13日"])
    assert extract_metadata(text).issuers == ("奉贤区柘林镇人民政府",)


def test_red_header_names_the_issuer_of_an_unsigned_pdf() -> None:
    text = pdf_text((SEEDS / "003_f93ece479afd5806.txt").read_text(encoding="utf-8").splitlines())
    assert extract_metadata(text).issuers == ("上海市人民政府",)


def test_title_names_the_issuer_when_the_signature_is_a_seal() -> None:
    text = doc_text("房屋与住房/浦东新区人民政府关于废止《临港地区限价商品住房*.md")
    assert extract_metadata(text).issuers == ("浦东新区人民政府",)


def test_name_line_above_the_title() -> None:
    text = (
        "沪住建规范〔2023〕4号\n上海市住房和城乡建设管理委员会\n"
        "关于印发《上海市建设工程施工项目经理和总监理工程师质量安全违法违规行为记分管理办法》的通知\n"
        "各区建设行政管理部门、各特定地区管委会，各有关单位："
    )
    assert extract_metadata(text).issuers == ("上海市住房和城乡建设管理委员会",)


def test_labelled_issuer_of_a_page_header() -> None:
    # zjw.sh.gov.cn header of 沪住建规范〔2020〕9号; the notice below it is signed by seal only.
    text = doc_text("工程建设管理/关于延长《上海市建设工程合同信息报送管理规定》有效期的通知.md")
    assert extract_metadata(text).issuers == ("上海市住房和城乡建设管理委员会",)


def test_printing_office_is_not_the_issuer_of_a_signed_notice() -> None:
    # 航府规〔2025〕1号: signed by the town government, printed by its 党政办公室.
    text = doc_text("房屋与住房/关于废止《航头镇农村集体资产租赁交易实施办法》的通知.md")
    assert extract_metadata(text).issuers == ("浦东新区航头镇人民政府",)


def test_printing_office_is_the_issuer_of_last_resort() -> None:
    text = pdf_text((SEEDS / "000_065a853221348270.txt").read_text(encoding="utf-8").splitlines())
    assert extract_metadata(text).issuers == ("上海市投资促进工作领导小组办公室",)


# --- 发布日期 stated in the text ---


def test_imprint_gives_the_publication_date() -> None:
    text = "浦东新区航头镇党政办公室           2025年10月11日印发"  # 航府规〔2025〕1号
    assert extract_metadata(text).published_date == "2025-10-11"


def test_labelled_page_dates() -> None:
    text = (CORPUS / "pages" / "minhang_detail_1.txt").read_text(encoding="utf-8")
    metadata = extract_metadata(text)
    assert (metadata.written_date, metadata.published_date) == ("2024-06-13", "2024-06-21")


def test_an_empty_label_does_not_take_the_next_label_as_its_value() -> None:
    # minhang_detail_1.txt: "生效日期:" is followed by "失效日期:".
    text = (CORPUS / "pages" / "minhang_detail_1.txt").read_text(encoding="utf-8")
    assert extract_metadata(text).effective_date is None


# --- 施行日期 ---


def test_effective_from_a_stated_date() -> None:
    text = "本通知自2020年11月1日起施行。"  # 沪城管规〔2020〕4号
    assert extract_metadata(text).effective_date == "2020-11-01"


def test_effective_from_issue_is_the_signature_date() -> None:
    # 沪规划资源风〔2021〕176号
    text = "现将修改后的文件重新印发，自印发之日起施行。\n上海市规划和自然资源局\n2021年5月17日"
    assert extract_metadata(text).effective_date == "2021-05-17"


def test_stopping_execution_is_not_taking_effect() -> None:
    text = "废止文件自2026年8月15日起停止执行。"  # 沪崇发改规〔2026〕2号
    assert extract_metadata(text).effective_date is None


def test_effective_clause_of_a_regulation_signed_below_it_counts() -> None:
    text = doc_text("市政与基础设施/上海市人民政府办公厅转发市水务局修订的*.md")
    assert extract_metadata(text).effective_date == "2023-02-01"


def test_effective_clause_of_an_attached_older_notice_does_not_count() -> None:
    # 沪发改规范〔2024〕1号 extends 沪发改规范〔2019〕5号 and attaches it, signed, with its 2019 clause.
    text = doc_text("工程建设管理/关于延长《关于印发〈上海市《政府制定价格听证办法》实施细则*.md")
    assert extract_metadata(text).effective_date is None


# --- 文号 ---


def test_doc_number_from_the_note_of_a_reissued_regulation() -> None:
    # 黄发改规〔2026〕2号 has no number line; the 题注 of the regulation it reissues cites it by title.
    text = doc_text("工程建设管理/关于印发修订后的《黄浦区政府投资基金管理办法》的通知.md")
    assert extract_metadata(text).doc_number == "黄发改规〔2026〕2号"


def test_dated_citation_under_another_title_is_not_the_documents_number() -> None:
    text = doc_text("工程建设管理/关于印发修订后的《黄浦区政府投资基金管理办法》的通知.md")
    assert extract_metadata(text.split("\n", 1)[1]).doc_number is None  # without its title line


def test_a_bare_word_first_line_is_no_title_to_recognise() -> None:
    # A page whose first line is just "通知" would otherwise own every dated citation of a notice.
    text = doc_text("工程建设管理/关于印发修订后的《黄浦区政府投资基金管理办法》的通知.md")
    assert extract_metadata("通知\n" + text.split("\n", 1)[1]).doc_number is None


def test_labelled_doc_number_of_a_page_header() -> None:
    text = doc_text("工程建设管理/关于延长《上海市建设工程合同信息报送管理规定》有效期的通知.md")
    assert extract_metadata(text).doc_number == "沪住建规范〔2020〕9号"


# --- status ---


def test_labelled_status() -> None:
    # Field layout of minhang_detail_1.txt, value from the index's 状态.
    assert extract_metadata("文件状态:\n失效").status == "失效"


def test_undocumented_labelled_status_is_not_a_status() -> None:
    text = (CORPUS / "pages" / "minhang_detail_1.txt").read_text(encoding="utf-8")  # 文件状态: 正常
    assert extract_metadata(text).status is None


# --- 政策解读 links ---


def test_interpretations_listed_under_related_items_once_each() -> None:
    text = doc_text("工程建设管理/关于印发《上海市建设项目工程总承包招标评标办法》的通知.md")
    title = "《上海市建设项目工程总承包招标评标办法》文件解读"  # listed twice on the page
    assert extract_metadata(text).interpretation_links == (title,)


def test_related_notice_that_is_not_an_interpretation_is_left_out() -> None:
    # 相关稿件 lists the interpretation and the notice that issued the 办法.
    text = doc_text("工程建设管理/上海市住房和城乡建设管理委员会关于延长《上海市建设工程生产安全事故*.md")
    title = "《上海市建设工程生产安全事故行业调查办法（试行）》解读材料"
    assert extract_metadata(text).interpretation_links == (title,)


def test_inline_related_link() -> None:
    title = "关于《上海市建设用地土壤污染责任人认定实施办法》的政策解读"  # 沪环规〔2024〕12号
    assert extract_metadata(f"相关链接：{title}").interpretation_links == (title,)


def test_interpretation_in_prose_is_not_a_link() -> None:
    # The 长宁 policy asks departments to "做好解读"; it lists no related items.
    text = (SEEDS / "004_d7a5a1d8257d0abe.txt").read_text(encoding="utf-8")
    assert extract_metadata(text).interpretation_links == ()
