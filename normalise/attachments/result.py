"""What reading an attachment gives: its text, or a typed error. Nothing here raises."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

ErrorKind = Literal["malformed", "encrypted", "oversized", "zip-bomb", "unsupported", "timeout", "download"]
ERROR_KINDS: tuple[ErrorKind, ...] = (
    "malformed",  # bytes that do not parse as the type they claim (or an HTML error page)
    "encrypted",  # password-protected
    "oversized",  # over the download size, a page or OCR-page or sheet-row limit
    "zip-bomb",  # a DOCX/XLSX whose declared unpacked size or ratio is beyond the limits
    "unsupported",  # a type no extractor reads (OFD, RAR, images, unknown bytes)
    "timeout",  # an extractor ran past its time limit
    "download",  # the file was not fetched (HTTP error, network, on another site)
)


@dataclass(frozen=True)
class AttachmentError:
    kind: ErrorKind
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttachmentError:
        kind = data.get("kind")
        return cls(kind if kind in ERROR_KINDS else "malformed", str(data.get("detail") or ""))


@dataclass(frozen=True)
class ExtractedText:
    file_type: str
    """What the bytes are (pdf, doc, docx, xls, xlsx), whatever the file name said."""
    text: str
    """Canonical text (normalise/text.py rules): one paragraph per line."""
    ocr: bool = False
    """True when at least one page had no text layer and was read by OCR."""
    pages: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractedText:
        return cls(str(data["file_type"]), str(data["text"]), bool(data.get("ocr")), data.get("pages"))


AttachmentResult = ExtractedText | AttachmentError


def result_to_dict(result: AttachmentResult) -> dict[str, Any]:
    """``{"text": …}`` or ``{"error": …}``: how results are cached and passed between processes."""
    if isinstance(result, AttachmentError):
        return {"error": result.to_dict()}
    return {"text": result.to_dict()}


def result_from_dict(data: dict[str, Any]) -> AttachmentResult:
    if "error" in data:
        return AttachmentError.from_dict(data["error"])
    return ExtractedText.from_dict(data["text"])
