"""The explorer's pages and exports over a real archive, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from starlette.testclient import TestClient

from explorer.app import create_app
from tests.explorer.conftest import Archive

ATOM = "{http://www.w3.org/2005/Atom}"


def hit_links(html: str) -> list[str]:
    return re.findall(r'<li class="hit">\s*<a class="hit-title" href="(/documents/\d+)">', html)


def test_search_page_lists_hits_with_links_and_highlighted_snippets(
    client: TestClient, archive: Archive
) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert '<form id="search"' in home.text and 'name="q"' in home.text
    assert len(hit_links(home.text)) == 5  # no words: every document, newest first

    page = client.get("/search", params={"q": "租金补贴"})
    assert page.status_code == 200
    assert hit_links(page.text) == [f"/documents/{archive.id_of('0071::housing')}"]
    assert "<mark>租金补贴</mark>" in page.text
    assert "浦府规〔2023〕7号" in page.text and "浦东新区 (pudong)" in page.text


def test_no_match_says_what_to_do_next(client: TestClient) -> None:
    page = client.get("/search", params={"q": "招商", "district": "pudong"})
    assert hit_links(page.text) == []
    assert "No document matches <strong>招商</strong>" in page.text
    assert (
        'class="remove-filter" href="/search?q=%E6%8B%9B%E5%95%86"' in page.text
    )  # the same search, unfiltered


def test_filters_and_paging_in_the_page(client: TestClient, archive: Archive) -> None:
    page = client.get("/search", params={"q": "补贴", "district": "minhang", "from": "2024-01-01"})
    assert hit_links(page.text) == [f"/documents/{archive.id_of('0079::investment')}"]
    first = client.get("/search", params={"page": "1"})
    assert "page 1 of 1" in first.text
    assert client.get("/search", params={"page": "7"}).status_code == 404


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2024-13-01"}, "from=&#39;2024-13-01&#39; is not a date"),
        ({"page": "0"}, "page=&#39;0&#39; is not a positive whole number"),
        ({"from": "2024-02-01", "to": "2024-01-01"}, "the date range is empty"),
        ({"sort": "random"}, "sort=&#39;random&#39;"),
        ({"q": "《》"}, "no letters, digits or Chinese characters"),
    ],
)
def test_bad_parameters_are_400_pages_that_say_why(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    page = client.get("/search", params=params)
    assert page.status_code == 400 and message in page.text
    if "page" not in params:  # exports have no pages
        assert client.get("/search.csv", params=params).status_code == 400


def test_csv_export_has_every_hit_with_a_bom(client: TestClient, archive: Archive) -> None:
    response = client.get("/search.csv", params={"q": "补贴"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row["document_id"] for row in rows} == {
        str(archive.id_of(n)) for n in ("0079::investment", "0071::housing", "0075::hostile")
    }
    housing = next(row for row in rows if row["doc_number"] == "浦府规〔2023〕7号")
    assert housing["title"] == "浦东新区人才公寓租金补贴办法" and housing["district"] == "pudong"
    assert housing["archive_url"] == f"http://testserver/documents/{archive.id_of('0071::housing')}"


def test_json_export_matches_the_search(client: TestClient) -> None:
    response = client.get("/search.json", params={"q": "补贴", "district": "pudong"})
    data = json.loads(response.text)
    assert data["query"] == "补贴" and data["filters"] == {"district": "pudong"}
    assert data["total"] == 1 and [hit["title"] for hit in data["hits"]] == ["浦东新区人才公寓租金补贴办法"]
    everything = json.loads(client.get("/search.json").text)
    assert everything["total"] == len(everything["hits"]) == 5


def test_document_page_shows_metadata_life_cycle_versions_and_relations(
    client: TestClient, archive: Archive
) -> None:
    investment = archive.id_of("0079::investment")
    page = client.get(f"/documents/{investment}").text
    assert "闵府办发〔2024〕3号" in page and "闵行区人民政府办公室" in page and "闵行区 (minhang)" in page
    assert "2029-03-31" in page  # valid until, from the text
    assert "v1" in page and "v2 (current)" in page
    versions = archive.versions("0079::investment")
    assert f"/documents/{investment}/diff?from={versions[0].id}&amp;to={versions[1].id}" in page
    assert (
        'select name="from"' in page and 'select name="to"' in page and 'input type="date" name="at"' in page
    )
    assert f"/documents/{investment}/versions/{versions[0].id}/snapshots/{archive.snapshot_sha}" in page

    citing = client.get(f"/documents/{archive.id_of('0084::citing')}").text
    assert "依据 implements" in citing and "按照《上海市建设用地土壤污染责任人认定实施办法》" in citing
    assert f'href="/documents/{archive.id_of("0024::soil")}"' in citing
    housing = client.get(f"/documents/{archive.id_of('0071::housing')}").text
    unresolved = housing[housing.index('id="relations"') :]
    assert (
        "上海市人才安居工程实施办法" in unresolved
        and "未存档 not in the archive: 沪府规〔2020〕9号" in unresolved
    )
    soil = client.get(f"/documents/{archive.id_of('0024::soil')}").text
    assert "被依据 implemented by" in soil and f'href="/documents/{archive.id_of("0084::citing")}"' in soil


def test_unknown_documents_and_versions_are_404_pages(client: TestClient, archive: Archive) -> None:
    missing = client.get("/documents/999999")
    assert missing.status_code == 404 and "the archive has no document 999999" in missing.text
    investment = archive.id_of("0079::investment")
    other = archive.versions("0071::housing")[0].id
    assert client.get(f"/documents/{investment}/diff", params={"from": other, "to": other}).status_code == 404
    assert client.get("/nowhere").status_code == 404
    assert client.post("/search").status_code == 405
    assert client.get(f"/documents/{investment}/text").status_code == 400


def test_diff_page_shows_the_changed_clause_side_by_side(client: TestClient, archive: Archive) -> None:
    investment = archive.id_of("0079::investment")
    old, new = archive.versions("0079::investment")
    page = client.get(f"/documents/{investment}/diff", params={"from": old.id, "to": new.id})
    assert page.status_code == 200
    table = page.text[page.text.index('<table class="diff">') :]
    assert "二.(一)" in table
    assert "最高不超过<del>500</del>万元" in table and "最高不超过<ins>800</ins>万元" in table
    assert "坚持招商引资" not in table  # unchanged clauses are not listed
    assert client.get(f"/documents/{investment}/diff").text.count("<del>500</del>") == 1  # default: last two


def test_text_as_of_a_date_picks_the_version_in_force(client: TestClient, archive: Archive) -> None:
    investment = archive.id_of("0079::investment")

    def text_at(day: str) -> str:
        return client.get(f"/documents/{investment}/text", params={"at": day}).text

    assert "最高不超过500万元" in text_at("2024-04-01") and "版本 version 1," in text_at("2024-04-01")
    assert "replaced by v2" in text_at("2024-04-01")
    assert "最高不超过800万元" in text_at("2024-05-10") and "(still current)" in text_at("2024-05-10")
    too_early = client.get(f"/documents/{investment}/text", params={"at": "2024-03-04"})
    assert too_early.status_code == 404 and "first saw this document on 2024-03-05" in too_early.text
    assert client.get(f"/documents/{investment}/text", params={"at": "yesterday"}).status_code == 400


def test_raw_snapshot_is_a_plain_text_attachment_in_the_declared_charset(
    client: TestClient, archive: Archive
) -> None:
    investment = archive.id_of("0079::investment")
    version = archive.versions("0079::investment")[0]
    response = client.get(f"/documents/{investment}/versions/{version.id}/snapshots/{archive.snapshot_sha}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<h1>招商引资若干意见</h1>" in response.text  # GBK bytes decoded as the server declared
    elsewhere = archive.versions("0071::housing")[0]
    wrong = f"/documents/{investment}/versions/{elsewhere.id}/snapshots/{archive.snapshot_sha}"
    assert client.get(wrong).status_code == 404


def test_changes_feed_and_atom(client: TestClient, archive: Archive) -> None:
    page = client.get("/changes").text
    assert page.index("amended") < page.index("新文件")  # newest first
    minhang = client.get("/changes", params={"district": "minhang", "kind": "amended"}).text
    assert "闵行区人民政府办公室关于促进招商引资" in minhang and "浦东新区人才公寓" not in minhang
    assert client.get("/changes", params={"since": "2024-13-01"}).status_code == 400
    assert "No change matches" in client.get("/changes", params={"since": "2030-01-01"}).text

    response = client.get("/changes.atom", params={"kind": "amended"})
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        for required in ("id", "title", "updated", "summary"):
            assert (entry.findtext(f"{ATOM}{required}") or "").strip()
        assert entry.find(f"{ATOM}link").get("href", "").startswith("http://testserver/documents/")  # type: ignore[union-attr]
    assert any("800" in (entry.findtext(f"{ATOM}summary") or "") for entry in entries)


def test_every_response_carries_a_content_security_policy(client: TestClient, archive: Archive) -> None:
    for path in (
        "/",
        "/changes",
        f"/documents/{archive.id_of('0024::soil')}",
        "/documents/0",
        "/static/style.css",
    ):
        policy = client.get(path).headers["content-security-policy"]
        assert "script-src" in policy or "default-src 'none'" in policy


def test_the_explorer_cannot_write_to_the_archive(client: TestClient) -> None:
    engine = client.app.state.explorer.engine  # type: ignore[attr-defined]
    with engine.connect() as connection, pytest.raises(DBAPIError, match=r"(?i)read.?only"):
        connection.execute(text("UPDATE document SET title = 'x'"))


def test_an_empty_archive_says_how_to_fill_it(engine: Engine, database_url: str, tmp_path: Path) -> None:
    app = create_app(database_url, tmp_path / "snapshots")
    with TestClient(app) as client:
        assert "run <code>policywatch run</code>" in client.get("/").text
        assert "No changes recorded yet" in client.get("/changes").text
        assert ElementTree.fromstring(client.get("/changes.atom").content).find(f"{ATOM}updated") is not None
    app.state.explorer.engine.dispose()


def test_a_missing_archive_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no archive at"):
        create_app(f"sqlite:///{tmp_path / 'none.sqlite3'}", tmp_path)
    assert not (tmp_path / "none.sqlite3").exists()
