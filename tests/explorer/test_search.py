"""Search over the archive on SQLite and PostgreSQL: Chinese words of any length, phrases, filters, paging."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from storage.search import (
    SearchError,
    SearchFilters,
    iter_search,
    parse_query,
    refresh_search_index,
    search,
    search_tokens,
)
from tests.explorer.conftest import SECOND_CRAWL, Archive, crawl, investment


def titles(
    archive: Archive, query: str, filters: SearchFilters | None = None, **options: object
) -> list[str]:
    with Session(archive.engine) as session:
        return [hit.title for hit in search(session, query, filters, **options).hits]  # type: ignore[arg-type]


def native_ids(archive: Archive, query: str, filters: SearchFilters | None = None) -> set[str]:
    ids = {archive.id_of(n): n for n in ("0079::investment", "0071::housing", "0024::soil", "0084::citing",
                                         "0075::hostile")}  # fmt: skip
    with Session(archive.engine) as session:
        return {ids[hit.document_id] for hit in search(session, query, filters, limit=50).hits}


def test_tokens_are_cjk_bigrams_with_each_runs_last_character_and_words() -> None:
    assert search_tokens("招商引资 Pudong ２０２４年") == [
        "招商",
        "商引",
        "引资",
        "资",
        "pudong",
        "2024",
        "年",
    ]
    assert search_tokens("第十条。") == ["第十", "十条", "条"]


def test_two_character_words_are_found_in_texts_and_titles(archive: Archive) -> None:
    assert native_ids(archive, "招商") == {"0079::investment", "0075::hostile"}
    assert native_ids(archive, "补贴") == {"0079::investment", "0071::housing", "0075::hostile"}
    assert native_ids(archive, "租金") == {"0071::housing"}  # only in the text
    assert native_ids(archive, "责任人") == {"0024::soil", "0084::citing", "0075::hostile"}
    assert native_ids(archive, "认定责任人") == {"0084::citing"}


def test_phrases_match_only_as_substrings(archive: Archive) -> None:
    assert native_ids(archive, "招商引资") == {"0079::investment"}
    assert native_ids(archive, "引资招商") == set()  # both bigrams' characters exist, not in this order
    assert native_ids(archive, "人才补贴") == set()  # 人才 and 补贴 both in 0071, never adjacent
    assert native_ids(archive, "租金补贴") == {"0071::housing"}
    assert native_ids(archive, "补贴 招商") == {"0079::investment", "0075::hostile"}  # every word
    assert native_ids(archive, '"1500元"') == {"0071::housing"}
    assert native_ids(archive, "每月1500") == {"0071::housing"}
    assert native_ids(archive, "每月150") == set()  # digits are whole numbers


def test_one_character_and_full_width_queries(archive: Archive) -> None:
    assert native_ids(archive, "租") == {"0071::housing"}
    assert native_ids(archive, "寓") == {"0071::housing"}  # the last character of a run
    assert native_ids(archive, "第六条") == {"0084::citing"}
    assert native_ids(archive, "１５００") == {"0071::housing"}


def test_the_index_follows_the_current_version(archive: Archive) -> None:
    assert native_ids(archive, "800万元") == {"0079::investment"}
    assert native_ids(archive, "500万元") == set()
    with Session(archive.engine) as session:
        assert refresh_search_index(session) == 0  # nothing changed since the last crawl
    crawl(archive.engine, "r3", SECOND_CRAWL + dt.timedelta(days=1), [investment(600, [])])
    assert native_ids(archive, "600万元") == {"0079::investment"}
    assert native_ids(archive, "800万元") == set()


def test_filters(archive: Archive) -> None:
    def only(**filters: object) -> set[str]:
        return native_ids(archive, "补贴", SearchFilters(**filters))  # type: ignore[arg-type]

    assert only(district="pudong") == {"0071::housing"}
    assert only(district="jingan") == set()
    assert only(level="district", agency="闵行区") == {"0079::investment"}
    assert only(status="有效", district="minhang") == {"0079::investment"}
    assert only(status="废止") == set()
    assert only(kind="amended") == {"0079::investment", "0075::hostile"}
    assert only(published_from=dt.date(2024, 1, 1)) == {"0079::investment", "0075::hostile"}
    assert only(published_to=dt.date(2024, 3, 1)) == {"0079::investment", "0071::housing"}
    assert only(published_from=dt.date(2024, 3, 2), published_to=dt.date(2024, 3, 2)) == {"0075::hostile"}
    assert native_ids(archive, "", SearchFilters(level="municipal")) == {"0024::soil"}


def test_a_change_kind_filter_finds_documents_with_that_change(archive: Archive) -> None:
    assert native_ids(archive, "", SearchFilters(kind="amended")) == {"0079::investment", "0075::hostile"}
    assert native_ids(archive, "租金", SearchFilters(kind="amended")) == set()
    assert len(native_ids(archive, "", SearchFilters(kind="new"))) == 5
    assert native_ids(archive, "", SearchFilters(kind="repealed")) == set()


def test_paging_and_sorting(archive: Archive) -> None:
    with Session(archive.engine) as session:
        first = search(session, "", page=1, limit=2)
        second = search(session, "", page=2, limit=2)
        third = search(session, "", page=3, limit=2)
        everything = list(iter_search(session, ""))
    assert (first.total, first.pages) == (5, 3)
    assert len(first.hits) == len(second.hits) == 2 and len(third.hits) == 1
    paged = [hit.document_id for hit in first.hits + second.hits + third.hits]
    assert paged == [hit.document_id for hit in everything] and len(set(paged)) == 5
    published = [hit.published for hit in everything]
    assert published == sorted(published, reverse=True)  # without a query: newest first
    # With a query, title hits rank first: 租金补贴 is in the housing measure's title and text.
    assert titles(archive, "补贴")[0] == "浦东新区人才公寓租金补贴办法"
    assert titles(archive, "补贴", sort="date") == [
        '关于招商<script>alert(1)</script>的通知"><svg onload=alert(1)>',  # 2024-03-02
        "闵行区人民政府办公室关于促进招商引资高质量发展的若干意见",  # 2024-03-01
        "浦东新区人才公寓租金补贴办法",  # 2023-06-15
    ]


def test_snippets_mark_the_hits(archive: Archive) -> None:
    with Session(archive.engine) as session:
        hit = search(session, "落户补贴").hits[0]
    marked = [part.text for part in hit.snippet if part.hit]
    assert marked == ["落户补贴"]
    assert "最高不超过800万元" in hit.snippet_text


def test_bad_queries_and_filters_say_what_to_change(archive: Archive) -> None:
    with Session(archive.engine) as session, pytest.raises(SearchError, match="page numbers start at 1"):
        search(session, "补贴", page=0)
    with pytest.raises(SearchError, match="no letters, digits or Chinese"):
        parse_query("《》，。")
    with pytest.raises(SearchError, match="date range is empty"):
        SearchFilters(published_from=dt.date(2024, 2, 1), published_to=dt.date(2024, 1, 1))


@pytest.mark.parametrize(
    "query", ["AND", "NOT 补贴", "补贴 OR", "NEAR(补贴)", "补贴*", "a'b", "x:y", "-补贴", "^补贴"]
)
def test_query_syntax_of_the_backends_is_just_text(archive: Archive, query: str) -> None:
    with Session(archive.engine) as session:
        results = search(session, query)
    words = [pattern.tokens for pattern in parse_query(query)]
    assert all(token.isalnum() for tokens in words for token in tokens)
    if query in ("补贴*", "-补贴", "^补贴"):
        assert results.total == 3  # the punctuation is not an operator
    if query == "NOT 补贴":
        assert results.total == 0  # "not" is a word that must appear, not negation
