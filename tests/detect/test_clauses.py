from detect.clauses import clause_paths, is_debris, parse_clauses


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


def test_tree_nests_clauses_with_their_paragraph_ranges() -> None:
    lines = ["前言", "一、总体要求", "正文", "（一）目标", "1. 第一项", "（二）原则", "二、措施"]
    tree = parse_clauses(lines)
    assert [(c.path, c.start, c.end) for c in tree.clauses] == [("一", 1, 6), ("二", 6, 7)]
    first = tree.clauses[0]
    assert [(c.path, c.label, c.start, c.end) for c in first.children] == [
        ("一.(一)", "(一)", 3, 5),
        ("一.(二)", "(二)", 5, 6),
    ]
    assert [c.path for c in tree.walk()] == ["一", "一.(一)", "一.(一).1", "一.(二)", "二"]
    found = tree.find("一.(一).1")
    assert found is not None and (found.start, found.end, found.children) == (4, 5, ())
    assert tree.find("三") is None


def test_tree_records_each_paragraphs_marker_as_written() -> None:
    tree = parse_clauses(["第 十六 条 本办法自印发之日起施行。", "( 4 ) 商务服务", "正文"])
    assert tree.markers == ("第 十六 条", "( 4 )", "")


def test_ocr_damaged_item_separators_are_recognised() -> None:
    lines = [
        "一、加大招商力度",
        "1. 聚焦战略。",
        "2，加快构建。",
        "3，加快发展。",
        "6。加强要素招商。",
        "8，、加强载体招商。",
    ]
    assert clause_paths(lines) == ["一", "一.1", "一.2", "一.3", "一.6", "一.8"]


def test_item_number_without_separator_is_taken_only_where_expected() -> None:
    lines = ["二、方式创新", "4，实施产业生态招商。", "5加强场景招商。", "7加强会展招商。"]
    assert clause_paths(lines) == ["二", "二.4", "二.5", "二.5"]


def test_ocr_lookalike_number_is_taken_only_where_expected() -> None:
    lines = ["四、服务保障", "14，强化招商协同联动。", "1S，加大招商培训力度。", "1S，重复的误读。"]
    assert clause_paths(lines) == ["四", "四.14", "四.15", "四.15"]


def test_dash_read_for_one_opens_the_first_top_level_clause() -> None:
    assert clause_paths(["—、总体要求", "—、再次出现"]) == ["一", "一"]


def test_item_swallowed_by_its_heading_owns_the_following_paragraphs() -> None:
    lines = [
        "一、重点领域",
        "3，加快发展。",
        "二、推动招商引资方式创新4，实施产业生态招商。",
        "实施精准招商计划。",
        "5加强场景招商。",
    ]
    assert clause_paths(lines) == ["一", "一.3", "二", "二.4", "二.5"]


def test_page_debris_and_chrome_lines_never_open_a_clause() -> None:
    lines = ["一、总体要求", "—4一", "1. 第一项", "__S", "4一", "【打印本页】【关闭窗口】", "第 2 页 共 5 页"]
    assert clause_paths(lines) == ["一", "一", "一.1", "一.1", "一.1", "一.1", "一.1"]
    assert [is_debris(line) for line in lines] == [False, True, False, True, True, True, True]


def test_short_content_is_not_debris() -> None:
    assert not any(is_debris(line) for line in ["特此通知。", "一、总体要求", "2024年", "附件"])
