"""What a spider hands to the rest of the pipeline: one document as the source published it.

Spiders only extract. Everything a later stage needs (normalisation, versioning) must be reachable
from these fields or from the raw snapshots they name, so a document can be re-derived offline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class PolicyItem:
    source: str
    """Registry id of the source that found the document, e.g. ``sh-platform``."""
    native_id: str
    """The source's own stable id, unique within the source (platform: ``<siteId>::<businessId>``)."""
    url: str
    """The page a person opens to read the document."""
    title: str
    body_html: str
    """The document body as HTML, exactly as served (chrome is removed later, by the normaliser)."""
    doc_number: str | None = None
    """文号 as given by the source's metadata, if any."""
    agency: str | None = None
    published: str | None = None
    """Publication date or datetime as the source states it (ISO-like string)."""
    status: str | None = None
    """Validity status from the source metadata: 有效 / 失效 / 废止, when stated."""
    site_id: str | None = None
    """Platform siteId of the issuing site (``0001`` municipal, ``0070``–``0085`` districts)."""
    record: dict[str, Any] = field(default_factory=dict)
    """The source's raw metadata record (platform: the list record merged with the detail data)."""
    snapshot_ids: list[str] = field(default_factory=list)
    """sha256 ids of the raw snapshots this item was extracted from, list page first."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyItem:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})
