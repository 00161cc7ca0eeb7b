from detect.clauses import clause_paths


def test_outline_markers_nest_from_top_level_to_circled_numbers() -> None:
    lines = ["四、政策内容", "（一）产业生态", "1. 做大做强", "（1）智能互联网", "①平台"]
    assert clause_paths(lines) == ["四", "四.(一)", "四.(一).1", "四.(一).1.(1)", "四.(一).1.(1).①"]


def test_paragraph_without_marker_belongs_to_the_preceding_clause() -> None:
    lines = ["（二）支持范围", "适用于在长宁区依法设立的法人。"]
    assert clause_paths(lines) == ["(二)", "(二)"]


def test_higher_level_marker_resets_lower_levels() -> None:
    lines = ["三、方向", "（二）范围", "1. 条件", "四、政策内容", "正文"]
    assert clause_paths(lines)[3:] == ["四", "四"]


def test_lines_before_any_marker_are_numbered_paragraphs() -> None:
    lines = ["各区生态环境局：", "特此通知。", "一、总体要求"]
    assert clause_paths(lines) == ["¶1", "¶2", "一"]


def test_article_path_leaves_out_chapter_and_keeps_items() -> None:
    lines = ["第二章 管理", "第一节 一般规定", "第十六条 （有效期）", "（一）本办法自2024年9月1日起实施"]
    assert clause_paths(lines) == ["第二章", "第二章.第一节", "第十六条", "第十六条.(一)"]


def test_damaged_outline_markers_are_recognised() -> None:
    lines = ["五 、保障措施", "(一)加强组织保障", "1．做大做强", "( 4 ) 商务及金融服务业"]
    assert clause_paths(lines) == ["五", "五.(一)", "五.(一).1", "五.(一).1.(4)"]


def test_spaced_article_number_without_following_space_is_recognised() -> None:
    assert clause_paths(["第 十六 条本办法自2024年9月1日起实施。"]) == ["第十六条"]


def test_heading_hashes_do_not_hide_markers() -> None:
    assert clause_paths(["## 二、基本原则"]) == ["二"]


def test_decimal_amount_at_line_start_is_not_an_item_marker() -> None:
    assert clause_paths(["一、资金", "1.5亿元用于支持重点项目。"]) == ["一", "一"]


def test_words_starting_with_di_are_not_articles() -> None:
    assert clause_paths(["第三方调查机构需符合以下要求："]) == ["¶1"]
