"""Normalise items read from HTML detail pages (sh-gov, sh-fgw, Putuo, Pudong, Minhang).

The body is canonicalised exactly as for the platform (``normalise_item``): same text, same 文号/date rules,
same metadata read from the text. What a page adds is its labelled header block (索引号, 成文日期,
生效日期 / 失效日期 on Minhang, …), which is the source's own record and so wins over what the text says.
"""

from __future__ import annotations

from typing import Any

from crawlers.items import PolicyItem
from crawlers.spiders.header import header_value
from normalise.document import NormalisedDocument
from normalise.metadata import parse_date
from normalise.platform import normalise_item


def normalise_page_item(item: PolicyItem, *, district: str | None) -> NormalisedDocument:
    """Canonical text plus metadata for one detail-page item; the page header wins over the text."""
    document = normalise_item(item, district=district)
    header: dict[str, str] = item.record.get("header") or {}
    from_header: dict[str, Any] = {
        "index_no": header_value(header, "index_no"),
        "topic": header_value(header, "topic"),
        "open_type": header_value(header, "open_type"),
        "written_date": parse_date(header_value(header, "written")),
        "effective_date": parse_date(header_value(header, "effective")),
        "expiry_date": parse_date(header_value(header, "expires")),
        "attachments": item.record.get("attachments"),
        "page_header": header,
    }
    document.metadata.update({key: value for key, value in from_header.items() if value})
    return document
