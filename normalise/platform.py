"""Normalise items of the unified policy platform (www.shanghai.gov.cn /gwk/policy API).

The platform record is the authority for metadata; the body only fills gaps. Metadata keeps what later
stages and analysts need and nothing volatile: a summary rewrite, a view count or a list position must
never make a new version.
"""

from __future__ import annotations

import re
from typing import Any

from crawlers.items import PolicyItem
from normalise.document import NormalisedDocument
from normalise.html import html_to_text
from normalise.metadata import KNOWN_STATUSES, extract_metadata, normalise_doc_number, parse_date
from normalise.text import collapse_whitespace, fold_width

# 街镇 bodies publish on their district's platform site; their level is "town".
_TOWN_AGENCY = re.compile(r"(镇|街道)(人民政府|政府|办事处)?$")


def issuing_level(district: str | None, agency: str | None) -> str:
    """municipal, district or town: the level of government that issued the document."""
    if district is None:
        return "municipal"
    if agency and _TOWN_AGENCY.search(agency):
        return "town"
    return "district"


def normalise_item(item: PolicyItem, *, district: str | None) -> NormalisedDocument:
    """Canonical text plus merged metadata for one platform item; the record wins over the body."""
    record = item.record
    attrs: dict[str, Any] = record.get("attrs") or {}
    text = html_to_text(item.body_html)
    in_text = extract_metadata(text)
    doc_number = normalise_doc_number(item.doc_number)
    body_doc_number = in_text.doc_number
    published_raw = item.published or record.get("publishDate")
    agency = _clean(item.agency)
    status = _clean(item.status)
    # A numeric effectiveFlag is kept in metadata, not guessed into a status.
    known_status = status if status in KNOWN_STATUSES else None

    metadata = {
        "site_id": item.site_id or record.get("siteId"),
        "index_no": record.get("indexNo"),
        "relates": [{"id": rel.get("id"), "title": rel.get("title")} for rel in record.get("relates") or []],
        # The body (正文, "zw") as a PDF, by its name (sites.md §2): data.txt already gives that text, so
        # the file is kept as a link, not read as an attachment.
        "pdf_url": attrs.get("zwPDFUrl"),
        "effective_flag": record.get("effectiveFlag"),
        "policy_status": attrs.get("policyStatus"),
        "published": published_raw,
        "doc_number_in_body": body_doc_number if doc_number and body_doc_number != doc_number else None,
        "source_status": status if known_status is None else None,
        # What the text says of itself, beside the record's fields (which win): context, never identity.
        "issuers_in_text": list(in_text.issuers),
        "written_date": in_text.written_date,
        "published_in_text": in_text.published_date,
        "effective_date": in_text.effective_date,
        "status_in_text": in_text.status,
        "interpretation_links": list(in_text.interpretation_links),
    }
    return NormalisedDocument(
        source=item.source,
        native_id=item.native_id,
        url=item.url,
        title=_clean(item.title) or "",
        text=text,
        doc_number=doc_number or body_doc_number,
        agency=agency,
        published=parse_date(published_raw),
        status=known_status,
        district=district,
        level=issuing_level(district, agency),
        metadata={key: value for key, value in metadata.items() if value not in (None, "", [])},
        snapshot_ids=list(item.snapshot_ids),
    )


def _clean(value: str | None) -> str | None:
    """Identity fields are hashed: whitespace and character width must not make them differ."""
    if value is None:
        return None
    return collapse_whitespace(fold_width(value)) or None
