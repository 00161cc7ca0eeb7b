"""Static column sites: ``<column>/index.html``, then ``index_2.html``, ``index_3.html`` … (no ``index_1``).

The legacy policy columns of www.shanghai.gov.cn (sites.md §1.1, §1.2) and the columns of fgw.sh.gov.cn
(§4.1; "the same index_N rule", §4.5) are published this way by the same generation of municipal CMS
(``trout-region`` classes, ``div#ivs_content``, ArticleTitle/PubDate/ContentSource meta, §0.3). A source
differs only by registry data: ``channels`` (column paths), ``list_items`` (one list entry), ``body``
(the body container) and ``hosts`` (its own absolute links), so each spider here is its name alone.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

from parsel import Selector
from scrapy import Request
from scrapy.http import Response, TextResponse

from crawlers.guards import expect_nodes, page_fault
from crawlers.items import PolicyItem
from crawlers.output import Fault
from crawlers.registry import SourceConfig
from crawlers.spiders.pages import DetailPageSpider, Entry, decode_page, own_path, replay_page

# The page count a list page states: fgw's inline `totalPage: N` (sites.md §4.1) or the 2019 portal
# template's `var pageCount = 11;` (§1.1). The current portal template states none (its pager is JS).
_PAGE_COUNT = re.compile(r"\b(?:totalPage|pageCount)\s*[:=]\s*(\d+)")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日")


def list_entries(page_text: str, page_url: str, source: SourceConfig) -> list[Entry]:
    """The documents a list page links to, in page order: path, title (the link's ``title``) and date.

    The date is read from the entry's text outside its link (a title may contain a date itself); links to
    other sites are left out.
    """
    if not source.list_items:
        return []
    entries = []
    for node in Selector(text=page_text).css(source.list_items):
        link = node.css("a[href]")
        path = own_path(link[0].attrib["href"], page_url, source) if link else None
        if path is None:
            continue
        title = link[0].attrib.get("title") or "".join(link[0].xpath(".//text()").getall())
        date = _DATE.search(" ".join(node.xpath(".//text()[not(ancestor::a)]").getall()))
        entries.append({"path": path, "title": title.strip(), "date": date[0] if date else None})
    return entries


def stated_page_count(page_text: str) -> int | None:
    found = _PAGE_COUNT.search(page_text)
    return int(found[1]) if found else None


def replay_item(
    source: SourceConfig, native_id: str, bodies: list[bytes], snapshot_ids: list[str]
) -> PolicyItem | None:
    """Re-extract a document from its raw snapshots (list page, detail page), for re-normalisation."""
    return replay_page(
        source,
        native_id,
        bodies,
        snapshot_ids,
        lambda body, url: list_entries(decode_page(url, body), url, source),
    )


class ColumnSpider(DetailPageSpider):
    """Walks each column's list pages and reads every document they link to."""

    first_page = 1

    def list_path(self, column: str, page: int) -> str:
        return f"{column}/index.html" if page == 1 else f"{column}/index_{page}.html"

    def list_request(self, column: str, page: int, *, blind: bool = False) -> Request:
        # Walking blind (no stated page count), the 404 of the page after the last ends the column; a
        # static site has no other way to say so. Anywhere else a 404 is an error.
        return Request(
            self.source.url(self.list_path(column, page)),
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"column": column, "page": page},
            meta={"handle_httpstatus_list": [404]} if blind else {},
        )

    async def start(self) -> AsyncIterator[Request]:
        if not (self.source.channels and self.source.list_items and self.source.body):
            detail = "the registry gives no `channels`, `list_items` or `body` for this source"
            self.record_fault(Fault("layout", self.source.base_url, detail))
            return
        for column in self.source.channels:
            yield self.list_request(column, self.first_page)

    def parse_list(self, response: Response, column: str, page: int) -> Iterator[Request]:
        if response.status == 404:
            self.logger.info("column %s ends after page %d", column, page - 1)
            return
        fault = page_fault(response)
        if fault is not None:
            self.record_fault(fault)
            return
        assert isinstance(response, TextResponse) and self.source.list_items  # page_fault, start
        # Every list page that exists lists at least one document; none means the markup changed.
        _, fault = expect_nodes(response, self.source.list_items, at_least=1)
        if fault is not None:
            self.record_fault(Fault(fault.kind, fault.url, f"column {column} page {page}: {fault.detail}"))
            return
        entries = list_entries(response.text, response.url, self.source)
        if not entries:
            detail = f"column {column} page {page}: no entry links to a page of this site"
            self.record_fault(Fault("layout", response.url, detail))
        unknown, go_on = self.unknown_entries(entries, lambda entry: entry["path"])
        for entry in unknown:
            yield self.detail_request(entry, response.meta["snapshot_id"])
        if go_on:
            yield from self.further_pages(response.text, column, page)
        else:
            self.logger.info("column %s: page %d lists only archived documents; walk stops", column, page)

    def further_pages(self, page_text: str, column: str, page: int) -> Iterator[Request]:
        """The next page: up to the count the page states, or blind until the site answers 404."""
        count = stated_page_count(page_text)
        if count is None:
            yield self.list_request(column, page + 1, blind=True)
        elif page < count:
            yield self.list_request(column, page + 1)


class ShGovSpider(ColumnSpider):
    name = "sh-gov"


class ShFgwSpider(ColumnSpider):
    name = "sh-fgw"
