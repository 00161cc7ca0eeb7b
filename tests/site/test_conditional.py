"""The test site answers conditional requests as a static web server does (RFC 9110 §13): ETag and
Last-Modified on pages, 304 when the validators still match, new validators after an edit."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime

import pytest

from tests.site.protocol import EditedPlay, PageEdit
from tests.site.server import TestSite
from tests.site.sh_fgw import EDIT, ShFgwPlay

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
LIST = "/fgw_gfxwj/index.html"


def get(site: TestSite, path: str, **headers: str) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(site.base_url + path, headers=headers)
    try:
        with OPENER.open(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def site() -> Iterator[TestSite]:
    with TestSite(EditedPlay(ShFgwPlay(), EDIT)) as running:
        yield running


def test_a_page_carries_an_etag_and_a_last_modified(site: TestSite) -> None:
    status, headers, _ = get(site, LIST)
    assert (
        status == 200 and headers["ETag"].startswith('"') and parsedate_to_datetime(headers["Last-Modified"])
    )
    assert "Cache-Control" not in headers


def test_a_matching_etag_gets_304_without_a_body(site: TestSite) -> None:
    _, headers, _ = get(site, LIST)
    status, again, body = get(site, LIST, **{"If-None-Match": headers["ETag"]})
    assert (status, body, again["ETag"]) == (304, b"", headers["ETag"])
    assert [r.status for r in site.requests] == [200, 304]


def test_if_modified_since_alone_gets_304_when_not_older_than_the_page(site: TestSite) -> None:
    _, headers, _ = get(site, LIST)
    assert get(site, LIST, **{"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(site, LIST, **{"If-Modified-Since": formatdate(0, usegmt=True)})[0] == 200


def test_if_none_match_decides_over_if_modified_since(site: TestSite) -> None:
    _, headers, _ = get(site, LIST)
    stale = {"If-None-Match": '"other"', "If-Modified-Since": headers["Last-Modified"]}
    assert get(site, LIST, **stale)[0] == 200
    assert get(site, LIST, **{"If-None-Match": f'W/"x", {headers["ETag"]}'})[0] == 304


def test_an_edit_changes_the_etag_and_moves_last_modified_on(site: TestSite) -> None:
    _, before, body = get(site, EDIT.path)
    site.set_step("2-edited")
    status, after, edited = get(site, EDIT.path, **{"If-None-Match": before["ETag"]})
    assert status == 200 and after["ETag"] != before["ETag"]
    assert parsedate_to_datetime(after["Last-Modified"]) > parsedate_to_datetime(before["Last-Modified"])
    assert EDIT.new.encode() in edited and EDIT.new.encode() not in body
    # The other pages are the same as before the edit.
    _, listed, _ = get(site, LIST)
    assert get(site, LIST, **{"If-None-Match": listed["ETag"]})[0] == 304


@pytest.mark.parametrize("page", ["<p>没有</p>".encode(), "<p>旧文 旧文</p>".encode()])
def test_an_edit_must_find_its_text_exactly_once(page: bytes) -> None:
    with pytest.raises(ValueError, match="exactly once"):
        PageEdit("/p.html", "旧文", "新文").apply(page)


def test_without_validators_and_with_cache_control() -> None:
    with TestSite(ShFgwPlay(), validators=False) as bare:
        _, headers, _ = get(bare, LIST)
        assert "ETag" not in headers and "Last-Modified" not in headers
    with TestSite(ShFgwPlay(), cache_control="no-cache") as site:
        assert get(site, LIST)[1]["Cache-Control"] == "no-cache"


def test_error_pages_and_the_list_api_get_no_validators(site: TestSite) -> None:
    status, headers, _ = get(site, "/fgw_gfxwj/index_9.html")
    assert status == 404 and "ETag" not in headers


def test_robots_txt_is_served_when_given() -> None:
    with TestSite(ShFgwPlay(), robots="User-agent: *\nDisallow: /private/\n") as site:
        status, headers, body = get(site, "/robots.txt")
    assert status == 200 and body.startswith(b"User-agent") and headers.get_content_type() == "text/plain"
