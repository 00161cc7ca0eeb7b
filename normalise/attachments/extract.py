"""Bytes of one attachment -> its canonical text or a typed error; cached per distinct file."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from normalise.attachments.common import Deadline, ReadFailed
from normalise.attachments.limits import DEFAULT_LIMITS, Limits
from normalise.attachments.office import read_doc, read_docx, read_xls, read_xlsx
from normalise.attachments.pdf import read_pdf
from normalise.attachments.result import AttachmentError, AttachmentResult, ExtractedText
from normalise.attachments.sniff import sniff

# Bump when a reader's output can change for the same bytes: cached results of older readers are ignored.
EXTRACTOR_VERSION = 1

log = logging.getLogger(__name__)

_READERS: dict[str, Callable[[bytes, Limits, Deadline], ExtractedText]] = {
    "pdf": read_pdf,
    "doc": read_doc,
    "docx": read_docx,
    "xls": read_xls,
    "xlsx": read_xlsx,
}


def extract(data: bytes, limits: Limits = DEFAULT_LIMITS) -> AttachmentResult:
    """The text of a file, read by the reader its bytes call for. Never raises: a broken, encrypted,
    oversized or hostile file is an ``AttachmentError``."""
    if len(data) > limits.max_download_bytes:
        return AttachmentError("oversized", f"{len(data)} bytes (limit {limits.max_download_bytes})")
    file_type = sniff(data, limits)
    if isinstance(file_type, AttachmentError):
        return file_type
    try:
        return _READERS[file_type](data, limits, Deadline(limits.total_timeout_s))
    except ReadFailed as failed:
        return failed.error
    except Exception as exc:  # a parser bug on hostile input must cost one attachment, not the crawl
        log.warning("%s reader failed on a %d-byte file", file_type, len(data), exc_info=True)
        return AttachmentError("malformed", f"{file_type} reader failed: {type(exc).__name__}: {exc}")


class AttachmentCache:
    """Extraction results by (sha256 of the bytes, EXTRACTOR_VERSION), one JSON file each, so a scanned
    PDF is OCR'd once however many documents and crawls carry it. Lives beside the snapshot store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}-v{EXTRACTOR_VERSION}.json"

    def get(self, sha256: str) -> AttachmentResult | None:
        try:
            stored = json.loads(self.path(sha256).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        if "error" in stored:
            return AttachmentError.from_dict(stored["error"])
        return ExtractedText.from_dict(stored["text"])

    def put(self, sha256: str, result: AttachmentResult) -> None:
        if isinstance(result, AttachmentError) and result.kind == "timeout":
            return  # a slow moment is not a property of the file: try again next time
        key = "error" if isinstance(result, AttachmentError) else "text"
        payload = {key: result.to_dict()}
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(payload, out, ensure_ascii=False)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def read_attachment(
    data: bytes, cache: AttachmentCache | None = None, limits: Limits = DEFAULT_LIMITS
) -> AttachmentResult:
    """``extract`` through the cache."""
    if cache is None:
        return extract(data, limits)
    sha256 = hashlib.sha256(data).hexdigest()
    cached = cache.get(sha256)
    if cached is not None:
        return cached
    result = extract(data, limits)
    cache.put(sha256, result)
    return result
