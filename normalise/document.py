"""The normalised form of a document: canonical text plus metadata, and the hash that versions it."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Bump when a change to the normaliser can change canonical text or identity metadata. Versions store
# it, so a text difference that only comes from a newer normaliser is recorded as a technical upgrade.
NORMALISER_VERSION = 3

# Metadata that is part of a version's identity: a change here is a change of the document.
# Everything else (summary, view counts, list position) is context and never makes a version.
IDENTITY_FIELDS = ("title", "doc_number", "agency", "status")
_WHITESPACE = re.compile(r"\s+")


@dataclass
class NormalisedDocument:
    source: str
    native_id: str
    url: str
    title: str
    text: str
    """Canonical text: one paragraph per line; headings start with ``#``."""
    doc_number: str | None = None
    agency: str | None = None
    published: str | None = None
    """ISO date ``YYYY-MM-DD``."""
    status: str | None = None
    district: str | None = None
    """District id (``changning``) of the issuing government, whichever source found it."""
    level: str | None = None
    """``municipal``, ``district`` or ``town``."""
    metadata: dict[str, Any] = field(default_factory=dict)
    snapshot_ids: list[str] = field(default_factory=list)
    normaliser_version: int = NORMALISER_VERSION

    def identity(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in IDENTITY_FIELDS}

    @property
    def content_hash(self) -> str:
        """sha256 over canonical text and identity metadata: equal hashes mean no revision.

        Whitespace and line boundaries are left out of the hash: a paragraph split or joined
        differently by a CMS (reflow) is not a revision; the wording is.
        """
        wording = _WHITESPACE.sub("", self.text)
        payload = json.dumps({"text": wording, **self.identity()}, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
