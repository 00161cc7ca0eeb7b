"""What every spider that reads HTML detail pages shares: links, the body container, the header, the item.

A detail page gives the body (the first registry ``body`` selector that matches), the labelled header block
(``header.py``), the national-standard ``<meta>`` tags of TRS-built municipal sites (ArticleTitle, PubDate,
ContentSource: sites.md §0.3, §4.1) and its attachment links (§1.2). ``item_from_page`` is pure, so an item
can be re-derived from raw snapshots; the spiders only add requests and fault records around it, and
download the attachment files (their text is part of the document: normalise/attachments).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.guards import challenge_fault, missing_fault, page_fault
from crawlers.items import PolicyItem
from crawlers.output import Fault
from crawlers.registry import SourceConfig
from crawlers.spiders.base import PolicySpider
from crawlers.spiders.header import header_fields, header_value
from normalise.attachments import DEFAULT_LIMITS, AttachmentError

META_NAMES = ("ArticleTitle", "PubDate", "ContentSource")
# Attachment files as crawlers of these sites collect them (sites.md §1.2 build_file_xpath, §3.9 .xx_attach).
ATTACHMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".ofd", ".zip", ".rar")
# Listed, never downloaded: no reader takes them (normalise/attachments/sniff.py), so fetching them would
# only cost the site bandwidth.
UNREAD_SUFFIXES = (".ofd", ".zip", ".rar")
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


def attachments(page: Selector, page_url: str, source: SourceConfig) -> list[dict[str, Any]]:
    """Links to files, in the body or beside it (Minhang's ``.xx_attach``, sites.md §3.9): their URL (on
    ``base_url`` when the file is the site's own) and name. A file on another site (the crawl stays on the
    source's hosts) or of a type nothing reads is never fetched, which its ``error`` says."""
    found: list[dict[str, Any]] = []
    for link in page.css("a[href]"):
        href = link.attrib["href"]
        file_path = urlsplit(href).path.lower()
        if not file_path.endswith(ATTACHMENT_SUFFIXES):
            continue
        path = own_path(href, page_url, source)
        name = " ".join("".join(link.xpath(".//text()").getall()).split()) or link.attrib.get("title", "")
        file: dict[str, Any] = {"url": source.url(path) if path else urljoin(page_url, href), "name": name}
        if path is None:
            file["error"] = AttachmentError("download", "on another site: not fetched").to_dict()
        elif file_path.endswith(UNREAD_SUFFIXES):
            kind = file_path.rsplit(".", 1)[1].upper()
            file["error"] = AttachmentError("unsupported", f"{kind} files are not read").to_dict()
        found.append(file)
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
    """Re-extract a document from its raw snapshots: list page or API answer, detail page, then the
    attachment files the crawl downloaded.

    ``entries`` reads the list snapshot; relative links in it are resolved against the detail page's URL
    (the list page's own URL is not in the snapshot). Without a matching entry the page alone is used.
    The files are matched to the page's links on this site in order when every one was downloaded; when
    some were not, which is which is only in the version's metadata (``restore_attachments``).
    """
    if len(bodies) < 2:
        return None
    url = source.url(native_id)
    listed = entries(bodies[0], url)
    entry = next((e for e in listed if e["path"] == native_id), {"path": native_id})
    item = item_from_page(source, entry, decode_page(url, bodies[1]), snapshot_ids=snapshot_ids)
    if item is not None:
        fetched = [file for file in item.record["attachments"] if "error" not in file]
        if len(fetched) == len(snapshot_ids) - 2:
            for file, sha256 in zip(fetched, snapshot_ids[2:], strict=True):
                file["sha256"] = sha256
    return item


def restore_attachments(
    item: PolicyItem, recorded: list[dict[str, Any]], downloaded: Mapping[str, str]
) -> bool:
    """Give a replayed item's attachments what the crawl recorded for them by URL (sha256 or error, from
    the version's metadata), else a file of that URL in ``downloaded`` (URL -> sha256: a later crawl's,
    for versions made before files were downloaded). False when a file is still unaccounted for."""
    by_url = {file.get("url"): file for file in recorded if isinstance(file, dict)}
    complete = True
    for file in item.record.get("attachments") or []:
        known = by_url.get(file["url"], {})
        for key in ("sha256", "error"):
            if known.get(key) and key not in file:
                file[key] = known[key]
        if not ("sha256" in file or "error" in file) and downloaded.get(file["url"]):
            file["sha256"] = downloaded[file["url"]]
            item.snapshot_ids.append(file["sha256"])
        complete = complete and ("sha256" in file or "error" in file)
    return complete


def attachment_maxsize() -> int:
    """Bytes an attachment download may have (``POLICYWATCH_ATTACHMENT_MAX_BYTES``, else the default)."""
    configured = os.environ.get("POLICYWATCH_ATTACHMENT_MAX_BYTES", "").strip()
    return int(configured) if configured.isdigit() else DEFAULT_LIMITS.max_download_bytes


class DetailPageSpider(PolicySpider):
    """A spider whose documents are HTML detail pages; subclasses walk lists and call ``detail_request``.

    An item is yielded once its attachments on the source's own site are downloaded, one request after
    the other: each file's snapshot id goes into its attachment entry and the item's ``snapshot_ids``, a
    file that could not be fetched gets an ``error`` there and a fault in the crawl.
    """

    def detail_request(self, entry: Entry, list_snapshot: str) -> Request:
        return Request(
            self.source.url(entry["path"]),
            callback=self.parse_detail,
            errback=self.on_error,
            cb_kwargs={"entry": entry, "list_snapshot": list_snapshot},
        )

    def parse_detail(
        self, response: Response, entry: Entry, list_snapshot: str
    ) -> Iterator[PolicyItem | Request]:
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
        yield from self.fetch_attachments(item, 0)

    def fetch_attachments(self, item: PolicyItem, start: int) -> Iterator[PolicyItem | Request]:
        """The request for the next attachment on this site from ``start`` on, or the finished item."""
        files: list[dict[str, Any]] = item.record["attachments"]
        for index in range(start, len(files)):
            if "error" in files[index]:
                continue
            yield Request(
                files[index]["url"],
                callback=self.parse_attachment,
                errback=self.attachment_failed,
                cb_kwargs={"item": item, "index": index},
                meta={"download_maxsize": attachment_maxsize()},
                dont_filter=True,  # documents share files, and a file is part of each of them
            )
            return
        self.count_item()
        yield item

    def parse_attachment(
        self, response: Response, item: PolicyItem, index: int
    ) -> Iterator[PolicyItem | Request]:
        fault = challenge_fault(response)
        if fault is not None:
            self.record_fault(fault)
            item.record["attachments"][index]["error"] = AttachmentError("download", fault.detail).to_dict()
        else:
            sha256 = response.meta["snapshot_id"]
            item.record["attachments"][index]["sha256"] = sha256
            item.snapshot_ids.append(sha256)
        yield from self.fetch_attachments(item, index + 1)

    def attachment_failed(self, failure: Failure) -> Iterator[PolicyItem | Request]:
        """The document goes on without the file. The fault is an ``attachment`` one: one missing file
        says nothing about whether the source is reachable (storage/health.py)."""
        request = failure.request  # type: ignore[attr-defined]
        item, index = request.cb_kwargs["item"], request.cb_kwargs["index"]
        if failure.check(HttpError):
            error = AttachmentError("download", f"HTTP {failure.value.response.status}")
        elif failure.check(DownloadCancelledError) and "max size" in failure.getErrorMessage():
            error = AttachmentError("oversized", failure.getErrorMessage())
        else:
            error = AttachmentError("download", failure.getErrorMessage() or repr(failure.value))
        item.record["attachments"][index]["error"] = error.to_dict()
        self.record_fault(Fault("attachment", request.url, f"not downloaded ({error.kind}): {error.detail}"))
        yield from self.fetch_attachments(item, index + 1)
