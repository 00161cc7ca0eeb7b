"""What every spider that reads HTML detail pages shares: links, the body container, the header, the item.

A detail page gives the body (the first registry ``body`` selector that matches), the labelled header block
(``header.py``), the national-standard ``<meta>`` tags of TRS-built municipal sites (ArticleTitle, PubDate,
ContentSource: sites.md §0.3, §4.1) and its attachment links (§1.2). ``item_from_page`` is pure, so an item
can be re-derived from raw snapshots; the spiders only add requests and fault records around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse

from crawlers.guards import missing_fault, page_fault
from crawlers.items import PolicyItem
from crawlers.registry import SourceConfig
from crawlers.spiders.base import PolicySpider
from crawlers.spiders.header import header_fields, header_value

META_NAMES = ("ArticleTitle", "PubDate", "ContentSource")
# Attachment files as crawlers of these sites collect them (sites.md §1.2 build_file_xpath, §3.9 .xx_attach).
ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".ofd", ".zip", ".rar")
_VISIBLE_TOKENS = "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]"

# An entry of a list page or list API: the fields the source gave, plus "path", the detail page's path.
Entry = dict[str, Any]


def own_path(href: str, page_url: str, source: SourceConfig) -> str | None:
    """The path (and query) of a link to this source's own site, or None for a link elsewhere.

    Absolute links to one of the site's ``hosts`` count as its own whatever their scheme: fgw lists
    ``http://`` links although the site is served over https (sites.md §4.1). Requests are then built
    from ``base_url``, so a mirror or the local test site is never left for the real host.
    """
    target = urlsplit(urljoin(page_url, href.strip()))
    if target.scheme not in ("http", "https"):
        return None
    if target.netloc != urlsplit(source.base_url).netloc and target.hostname not in source.hosts:
        return None
    return target.path.lstrip("/") + (f"?{target.query}" if target.query else "")


def decode_page(url: str, body: bytes) -> str:
    """A raw snapshot as text: Scrapy's decoding (declared charset, BOM, then detection; gb2312 read as
    gb18030), never BeautifulSoup on bytes, which returns an empty document for GBK-only characters."""
    return HtmlResponse(url, body=body).text


def body_node(page: Selector, source: SourceConfig) -> Selector | None:
    """The container the first registry ``body`` selector matches with text in it."""
    for selector in source.body:
        for node in page.css(selector):
            if "".join(node.xpath(".//text()").getall()).strip():
                return node
    return None


def attachments(page: Selector, page_url: str, source: SourceConfig) -> list[dict[str, str]]:
    """Links to files, in the body or beside it (Minhang's ``.xx_attach``, sites.md §3.9): their URL (on
    ``base_url`` when the file is the site's own) and name."""
    found = []
    for link in page.css("a[href]"):
        href = link.attrib["href"]
        if not urlsplit(href).path.lower().endswith(ATTACHMENT_SUFFIXES):
            continue
        path = own_path(href, page_url, source)
        name = " ".join("".join(link.xpath(".//text()").getall()).split()) or link.attrib.get("title", "")
        found.append({"url": source.url(path) if path else urljoin(page_url, href), "name": name})
    return found


def item_from_page(
    source: SourceConfig, entry: Entry, page_text: str, *, snapshot_ids: list[str]
) -> PolicyItem | None:
    """One document from its list entry and its detail page; None when the page has no body."""
    page = Selector(text=page_text)
    body = body_node(page, source)
    if body is None:
        return None
    body_html = body.get()
    files = attachments(page, source.url(entry["path"]), source)
    body.drop()  # what is left is chrome, where the header block lives
    header = header_fields(page.xpath(_VISIBLE_TOKENS).getall())
    meta = {
        name: value.strip()
        for name in META_NAMES
        if (value := page.css(f'meta[name="{name}"]::attr(content)').get())
    }
    return PolicyItem(
        source=source.id,
        native_id=entry["path"],
        url=source.url(entry["path"]),
        title=meta.get("ArticleTitle") or str(entry.get("title") or "").strip(),
        body_html=body_html,
        doc_number=header_value(header, "doc_number"),
        agency=header_value(header, "agency") or meta.get("ContentSource"),
        published=header_value(header, "published") or meta.get("PubDate") or entry.get("date"),
        status=header_value(header, "status"),
        record={"list": entry, "header": header, "meta": meta, "attachments": files},
        snapshot_ids=snapshot_ids,
    )


def replay_page(
    source: SourceConfig,
    native_id: str,
    bodies: list[bytes],
    snapshot_ids: list[str],
    entries: Callable[[bytes, str], list[Entry]],
) -> PolicyItem | None:
    """Re-extract a document from its raw snapshots (list page or API answer, detail page).

    ``entries`` reads the list snapshot; relative links in it are resolved against the detail page's URL
    (the list page's own URL is not in the snapshot). Without a matching entry the page alone is used.
    """
    if len(bodies) != 2:
        return None
    url = source.url(native_id)
    listed = entries(bodies[0], url)
    entry = next((e for e in listed if e["path"] == native_id), {"path": native_id})
    return item_from_page(source, entry, decode_page(url, bodies[1]), snapshot_ids=snapshot_ids)


class DetailPageSpider(PolicySpider):
    """A spider whose documents are HTML detail pages; subclasses walk lists and call ``detail_request``."""

    def detail_request(self, entry: Entry, list_snapshot: str) -> Request:
        return Request(
            self.source.url(entry["path"]),
            callback=self.parse_detail,
            errback=self.on_error,
            cb_kwargs={"entry": entry, "list_snapshot": list_snapshot},
        )

    def parse_detail(self, response: Response, entry: Entry, list_snapshot: str) -> Iterator[PolicyItem]:
        fault = page_fault(response)
        if fault is not None:
            self.record_fault(fault)
            return
        assert isinstance(response, TextResponse)  # page_fault refuses anything else
        item = item_from_page(
            self.source,
            entry,
            response.text,
            snapshot_ids=[list_snapshot, response.meta["snapshot_id"]],
        )
        if item is None:
            self.record_fault(missing_fault(response, f"document body ({', '.join(self.source.body)})"))
            return
        self.count_item()
        yield item
