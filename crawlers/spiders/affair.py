"""District sites whose lists come from the CMS's JSON ``…/api/data/affair`` (sites.md §0.3, §3.1, §3.6).

Putuo (``/front/api/data/affair``) and Pudong (``/zwgk-search-front/api/data/affair``) share the CMS: the
same endpoint name, ``/<section>/<channel>/<yyyy>/<day-of-year>/<id>.html`` detail pages and the
``{"code": 0, "data": {"list": [{title, url, display_date, …}], "pageNo", "totalPage", "totalCount"}}``
answer to ``{"channelList": [id], "pageNo": N, "pageSize": S, …}``. A source differs by registry data:
``list_api``, ``channels``, ``list_query`` (Putuo's ordering and ``docFlag``), ``count_cap``, ``body``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from scrapy.http import JsonRequest, Response

from crawlers.guards import blocked_fault, expect_list, json_payload
from crawlers.items import PolicyItem
from crawlers.output import Fault
from crawlers.registry import SourceConfig
from crawlers.spiders.pages import DetailPageSpider, Entry, own_path, replay_page

SHANGHAI = timezone(timedelta(hours=8))


def list_date(value: Any) -> str | None:
    """The list's ``display_date`` as a date: Pudong sends epoch milliseconds (sites.md §3.1)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC).astimezone(SHANGHAI).date().isoformat()
    if value is None:
        return None
    return str(value).strip() or None


def api_entries(records: list[Any], page_url: str, source: SourceConfig) -> list[Entry]:
    """One entry per record that links to a page of this site: the record, its page's path, its date."""
    entries = []
    for record in records:
        url = record.get("url") if isinstance(record, dict) else None
        path = own_path(str(url), page_url, source) if url else None
        if path is not None:
            entries.append({**record, "path": path, "date": list_date(record.get("display_date"))})
    return entries


def replay_item(
    source: SourceConfig, native_id: str, bodies: list[bytes], snapshot_ids: list[str]
) -> PolicyItem | None:
    """Re-extract a document from its raw snapshots (list API answer, detail page), for re-normalisation."""

    def entries(body: bytes, url: str) -> list[Entry]:
        records = (json.loads(body).get("data") or {}).get("list") or []
        return api_entries(records, url, source)

    return replay_page(source, native_id, bodies, snapshot_ids, entries)


def past_end(data: dict[str, Any], page_no: int, previous: tuple[str, ...]) -> bool:
    """Past its last page the API repeats the last page, or answers ``pageNo: 0`` with empty metadata
    (Putuo, sites.md §3.6): neither is a page of its own, nor a fault."""
    echoed = data.get("pageNo")
    if isinstance(echoed, int) and not isinstance(echoed, bool) and echoed != page_no:
        return True
    urls = record_urls(data.get("list") or [])
    return bool(urls) and urls == previous


def record_urls(records: list[Any]) -> tuple[str, ...]:
    """What identifies a page of the list: the urls of its records, in order."""
    return tuple(str(record.get("url")) for record in records if isinstance(record, dict))


class AffairSpider(DetailPageSpider):
    """Walks each channel's list API page by page and reads every document it lists."""

    def page_request(self, channel: str, page_no: int, previous: tuple[str, ...] = ()) -> JsonRequest:
        payload = {
            "channelList": [channel],
            "pageNo": page_no,
            "pageSize": self.source.page_size,
            **self.source.list_query,
        }
        return JsonRequest(
            self.source.url(self.source.list_api or ""),
            data=payload,
            callback=self.parse_page,
            errback=self.on_error,
            cb_kwargs={"channel": channel, "page_no": page_no, "previous": previous},
        )

    async def start(self) -> AsyncIterator[JsonRequest]:
        if not (self.source.channels and self.source.list_api and self.source.body):
            detail = "the registry gives no `channels`, `list_api` or `body` for this source"
            self.record_fault(Fault("layout", self.source.base_url, detail))
            return
        for channel in self.source.channels:
            yield self.page_request(channel, 1)

    def parse_page(
        self, response: Response, channel: str, page_no: int, previous: tuple[str, ...]
    ) -> Iterator[JsonRequest]:
        data, fault = json_payload(response)
        if data is None:
            self.record_fault(blocked_fault(response) or fault)  # type: ignore[arg-type]
            return
        if page_no > 1 and past_end(data, page_no, previous):
            self.logger.info("channel %s ends after page %d", channel, page_no - 1)
            return
        # Page 1 of a channel must list something; a later page is empty only past the end.
        where = f"channel {channel} page {page_no}"
        records, fault = expect_list(data, "list", response.url, at_least=1 if page_no == 1 else 0)
        if fault is not None:
            self.record_fault(Fault(fault.kind, fault.url, f"{where}: {fault.detail}"))
        entries = api_entries(records, response.url, self.source)
        if len(entries) < len(records):
            detail = f"{where}: {len(records) - len(entries)} record(s) without a url on this site"
            self.record_fault(Fault("layout", response.url, detail))
        unknown, go_on = self.unknown_entries(entries, lambda entry: entry["path"])
        for entry in unknown:
            yield self.detail_request(entry, response.meta["snapshot_id"])
        if not go_on:
            self.logger.info("channel %s: page %d lists only archived documents; stop", channel, page_no)
        elif records and self.more_pages(data, page_no):
            yield self.page_request(channel, page_no + 1, record_urls(records))

    def more_pages(self, data: dict[str, Any], page_no: int) -> bool:
        """Up to ``totalPage``, or on past it while ``totalCount`` is the cap (Putuo: 10,000, §3.6)."""
        total, pages, cap = data.get("totalCount"), data.get("totalPage"), self.source.count_cap
        capped = cap is not None and isinstance(total, int) and total >= cap
        return capped or (isinstance(pages, int) and page_no < pages)


class PutuoSpider(AffairSpider):
    name = "putuo"


class PudongSpider(AffairSpider):
    name = "pudong"
