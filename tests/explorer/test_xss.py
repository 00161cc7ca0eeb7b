"""Scraped strings are escaped everywhere: payloads planted in a document's title, 文号, agency, text, URL,
relation quote and change summary never become markup, on any page or export (escaping alone, the
Content-Security-Policy aside)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from xml.etree import ElementTree

from starlette.testclient import TestClient

from tests.explorer.conftest import IMG, PAYLOADS, SCRIPT, SOIL_NUMBER, Archive

DANGEROUS_TAGS = {"script", "svg", "img", "iframe", "object", "embed"}


class Markup(HTMLParser):
    """Every tag and attribute of a page, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str, where: str) -> str:
    """Fails if the page has a dangerous tag, an event-handler attribute or a script URL; returns its text."""
    parser = Markup()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in DANGEROUS_TAGS, f"{where}: <{tag}> in the page"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: <{tag} {name}=...>"
            assert not (value or "").strip().lower().startswith("javascript:"), f"{where}: {name}={value}"
    assert "<script" not in html.lower() and "<svg" not in html.lower() and "<img" not in html.lower()
    return "".join(parser.text)


def pages(client: TestClient, archive: Archive) -> dict[str, str]:
    hostile = archive.id_of("0075::hostile")
    old, new = archive.versions("0075::hostile")
    paths = [
        "/",
        "/search?q=招商",
        f"/search?q={SCRIPT}",
        f"/search?q=招商&agency={IMG}",
        f"/search?from={SCRIPT}",
        f"/documents/{hostile}",
        f"/documents/{archive.id_of('0024::soil')}",  # the hostile document's relation, seen from its target
        f"/documents/{hostile}/diff?from={old.id}&to={new.id}",
        f"/documents/{hostile}/text?at=2024-05-10",
        f"/documents/{hostile}/text?at={IMG}",
        f"/documents/{hostile}/diff?from={SCRIPT}",
        "/changes",
        f"/changes?kind={SCRIPT}",
        f"/nowhere/{SCRIPT}",
    ]
    responses = {path: client.get(path) for path in paths}
    for path, response in responses.items():
        assert response.headers["content-type"].startswith("text/html"), path
    return {path: response.text for path, response in responses.items()}


def test_payloads_are_planted_where_the_test_says(archive: Archive) -> None:
    """The payloads really are in the archive: title, 文号, agency, text, relation quote, change summary."""
    from sqlmodel import Session, select

    from storage.models import Change, Document, Relation

    with Session(archive.engine) as session:
        document = session.exec(select(Document).where(Document.native_id == "0075::hostile")).one()
        relation = session.exec(select(Relation).where(Relation.from_document_id == document.id)).one()
        summaries = [c.summary for c in session.exec(select(Change).where(Change.document_id == document.id))]
    assert (
        SCRIPT in document.title and SCRIPT in (document.doc_number or "") and IMG in (document.agency or "")
    )
    assert document.url == "javascript:alert(1)"
    assert SCRIPT in relation.quote and SOIL_NUMBER in relation.quote
    assert any("<img src=x onerror=" in summary for summary in summaries)  # summaries clip the rest


def test_no_page_turns_a_payload_into_markup(client: TestClient, archive: Archive) -> None:
    for path, html in pages(client, archive).items():
        text = assert_inert(html, path)
        if path.startswith(f"/documents/{archive.id_of('0075::hostile')}") and "?" not in path:
            for payload in PAYLOADS:
                assert payload in text, f"{path}: {payload} not shown as text"
    document = pages(client, archive)[f"/documents/{archive.id_of('0075::hostile')}"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "&lt;img src=x onerror=alert(1)&gt;" in document  # onerror= only as escaped text
    assert "&lt;img src=x onerror=" in pages(client, archive)["/changes"]  # the change summary


def test_exports_and_feeds_keep_payloads_inert(client: TestClient, archive: Archive) -> None:
    raw_json = client.get("/search.json", params={"q": "招商"}).text
    assert "<" not in raw_json and ">" not in raw_json
    titles = [hit["title"] for hit in json.loads(raw_json)["hits"]]
    assert any(SCRIPT in title for title in titles)  # the data is intact once parsed

    atom = client.get("/changes.atom").content.decode()
    assert "<script" not in atom and "<img" not in atom and "<svg" not in atom
    summaries = [
        e.text or "" for e in ElementTree.fromstring(atom).iter("{http://www.w3.org/2005/Atom}summary")
    ]
    assert any("<img src=x onerror=" in summary for summary in summaries)  # summaries clip the rest

    # CSV keeps the scraped text as it is (it is data for spreadsheets), served so no browser renders it.
    csv_export = client.get("/search.csv", params={"q": "招商"})
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert csv_export.headers["content-disposition"].startswith("attachment")
    assert csv_export.headers["x-content-type-options"] == "nosniff"


def test_the_raw_snapshot_is_never_served_as_html(client: TestClient, archive: Archive) -> None:
    investment = archive.id_of("0079::investment")
    version = archive.versions("0079::investment")[0]
    response = client.get(f"/documents/{investment}/versions/{version.id}/snapshots/{archive.snapshot_sha}")
    assert "<script>alert('snapshot')</script>" in response.text  # the archived bytes, as text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
