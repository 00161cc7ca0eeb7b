"""上海市统一政策发布平台: the JSON API behind www.shanghai.gov.cn/zhengce (sites.md §2).

``POST /gwk/policy/page`` lists records per siteId (``{"siteIdList": [...], "pageNo", "pageSize"}`` →
``data.records`` / ``data.totalPage``); ``POST /gwk/policy/detail`` (``{"siteId", "businessId"}``) gives
the body HTML in ``data.txt`` (fallback ``data.txt1``). The human detail page ``/zhengce/detail`` is a
4 KB JavaScript shell with no text, so it is only ever used as the document's link, never parsed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy.http import JsonRequest, Response

from crawlers.guards import expect_list, json_payload
from crawlers.items import PolicyItem
from crawlers.output import Fault
from crawlers.registry import SourceConfig
from crawlers.spiders.base import PolicySpider


def compose_doc_number(record: dict[str, Any]) -> str | None:
    """文号 as the platform's own front end builds it: docType〔docYear〕docNo号, else docNum."""
    doc_type, year, number = (str(record.get(k) or "").strip() for k in ("docType", "docYear", "docNo"))
    if doc_type and year and number:
        return f"{doc_type}〔{year}〕{number.removesuffix('号')}号"
    return str(record.get("docNum") or "").strip() or None


def item_from_payloads(
    record: dict[str, Any], detail: dict[str, Any], *, source: SourceConfig, snapshot_ids: list[str]
) -> PolicyItem:
    """One document from its list record and its detail data; pure, so raw snapshots can be replayed."""
    merged = {**record, **{k: v for k, v in detail.items() if k not in ("txt", "txt1")}}
    merged["attrs"] = {**(record.get("attrs") or {}), **(detail.get("attrs") or {})}
    attrs = merged["attrs"]
    site_id = str(merged.get("siteId") or "")
    business_id = str(merged["businessId"])
    return PolicyItem(
        source=source.id,
        native_id=f"{site_id}::{business_id}",
        url=source.url("/zhengce/detail?" + urlencode({"businessId": business_id, "siteId": site_id})),
        title=str(merged.get("title") or "").strip(),
        body_html=str(detail.get("txt") or detail.get("txt1") or ""),
        doc_number=compose_doc_number(merged),
        agency=attrs.get("agency") or attrs.get("documentAgency") or merged.get("agency"),
        published=merged.get("publishDate") or merged.get("displayDate"),
        status=attrs.get("policyStatus") or merged.get("effectiveFlag"),
        site_id=site_id or None,
        record=merged,
        snapshot_ids=snapshot_ids,
    )


def replay_item(
    source: SourceConfig, native_id: str, bodies: list[bytes], snapshot_ids: list[str]
) -> PolicyItem | None:
    """Re-extract a document from its raw snapshots (list page, detail), for re-normalisation."""
    if len(bodies) != 2:
        return None
    list_body, detail_body = bodies
    business_id = native_id.partition("::")[2]
    records = json.loads(list_body).get("data", {}).get("records", [])
    record = next(
        (r for r in records if str(r.get("businessId")) == business_id), {"businessId": business_id}
    )
    detail = json.loads(detail_body)["data"]
    return item_from_payloads(record, detail, source=source, snapshot_ids=snapshot_ids)


class ShPlatformSpider(PolicySpider):
    name = "sh-platform"

    def _api_request(
        self, path: str, payload: dict[str, Any], callback: Any, **cb_kwargs: Any
    ) -> JsonRequest:
        return JsonRequest(
            self.source.url(path),
            data=payload,
            headers={"Origin": self.source.base_url, "Referer": self.source.url("/zhengce/list")},
            callback=callback,
            errback=self.on_error,
            cb_kwargs=cb_kwargs,
        )

    def page_request(self, site_id: str, page_no: int) -> JsonRequest:
        payload = {"siteIdList": [site_id], "pageNo": page_no, "pageSize": self.source.page_size}
        return self._api_request(
            "/gwk/policy/page", payload, self.parse_page, site_id=site_id, page_no=page_no
        )

    async def start(self) -> AsyncIterator[JsonRequest]:
        for site_id in self.source.site_ids:
            yield self.page_request(site_id, 1)

    def parse_page(self, response: Response, site_id: str, page_no: int) -> Iterator[JsonRequest]:
        data, fault = json_payload(response)
        if data is None:
            self.record_fault(fault)  # type: ignore[arg-type]
            return
        # Page 1 of a site must list something; later pages may be empty only past the last page.
        records, fault = expect_list(data, "records", response.url, at_least=1 if page_no == 1 else 0)
        if fault:
            self.record_fault(
                Fault(fault.kind, fault.url, f"siteId {site_id} page {page_no}: {fault.detail}")
            )
        usable = []
        for record in records:
            if not isinstance(record, dict) or not record.get("businessId"):
                self.record_fault(
                    Fault("layout", response.url, f"record without businessId: {record!r:.200}")
                )
                continue
            usable.append({"siteId": str(record.get("siteId") or site_id), "record": record})
        unknown, go_on = self.unknown_entries(
            usable, lambda entry: f"{entry['siteId']}::{entry['record']['businessId']}"
        )
        for entry in unknown:
            record = entry["record"]
            payload = {"siteId": entry["siteId"], "businessId": str(record["businessId"])}
            yield self._api_request(
                "/gwk/policy/detail",
                payload,
                self.parse_detail,
                record=record,
                list_snapshot=response.meta["snapshot_id"],
            )
        if not go_on:
            self.logger.info("siteId %s: page %d lists only archived documents; walk stops", site_id, page_no)
            return
        total_pages = data.get("totalPage")
        if isinstance(total_pages, int) and page_no < total_pages and records:
            yield self.page_request(site_id, page_no + 1)

    def parse_detail(
        self, response: Response, record: dict[str, Any], list_snapshot: str
    ) -> Iterator[PolicyItem]:
        data, fault = json_payload(response)
        if data is None:
            self.record_fault(fault)  # type: ignore[arg-type]
            return
        if not str(data.get("txt") or data.get("txt1") or "").strip():
            self.record_fault(Fault("layout", response.url, f"detail of {record['businessId']} has no body"))
            return
        self.count_item()
        yield item_from_payloads(
            record, data, source=self.source, snapshot_ids=[list_snapshot, response.meta["snapshot_id"]]
        )
