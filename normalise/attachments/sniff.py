"""The real type of an attachment, read from its bytes: sites name files after the document, serve HTML
error pages under ``.pdf`` links and publish Kingsoft ``.wps`` files that are Word documents inside."""

from __future__ import annotations

import io
import re
import zipfile

from normalise.attachments.limits import Limits
from normalise.attachments.result import AttachmentError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# The PDF header may follow up to 1 KB of junk (PDF 1.7, annex H); readers accept it.
_PDF_HEADER = re.compile(rb"%PDF-\d")
_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<html)", re.IGNORECASE)
# OLE2 directory entries are 128 bytes, aligned to 128, and start with the stream's name in UTF-16LE.
_DIRECTORY_ENTRY = 128

_OTHER_TYPES = (
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF file"),
)


def sniff(data: bytes, limits: Limits) -> str | AttachmentError:
    """``pdf``, ``doc`` (Word 97-2003 and Kingsoft WPS), ``xls``, ``docx`` or ``xlsx``; anything else is
    an error saying what the bytes are. A ZIP is checked for bomb limits before its names are trusted."""
    if not data:
        return AttachmentError("malformed", "empty file")
    if data.startswith(OLE2_MAGIC):
        return _sniff_ole2(data)
    if data.startswith(ZIP_MAGIC):
        return _sniff_zip(data, limits)
    if _PDF_HEADER.search(data[: 1024 + 8]):
        return "pdf"
    if _HTML_START.match(data[:1024]):
        return AttachmentError("malformed", "an HTML page, not a document (the site's error or login page?)")
    for magic, what in _OTHER_TYPES:
        if data.startswith(magic):
            return AttachmentError("unsupported", f"{what}; no extractor reads it")
    return AttachmentError("unsupported", f"unknown file type (starts with {data[:8]!r})")


def _sniff_ole2(data: bytes) -> str | AttachmentError:
    if _has_stream(data, "EncryptedPackage"):
        return AttachmentError("encrypted", "a password-protected Office file")
    if _has_stream(data, "WordDocument"):
        return "doc"
    if _has_stream(data, "Workbook") or _has_stream(data, "Book"):  # Excel 97+, Excel 5/95
        return "xls"
    detail = "an OLE2 container without a Word document or workbook stream (cut short, or another type)"
    return AttachmentError("malformed", detail)


def _has_stream(data: bytes, name: str) -> bool:
    entry = name.encode("utf-16-le") + b"\0\0"
    position = data.find(entry)
    while position != -1:
        if position % _DIRECTORY_ENTRY == 0:
            return True
        position = data.find(entry, position + 1)
    return False


def _sniff_zip(data: bytes, limits: Limits) -> str | AttachmentError:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return AttachmentError("malformed", f"broken ZIP container: {exc}")
    bomb = zip_bomb(members, len(data), limits)
    if bomb is not None:
        return bomb
    names = {member.filename for member in members}
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return "docx"
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return "xlsx"
    if "OFD.xml" in names:
        # No OFD reader on PyPI is maintained beyond a single early release (2026-11): easyofd, ofdkit,
        # ofdreader. Saying so beats guessing text out of the page XML.
        return AttachmentError("unsupported", "an OFD document (GB/T 33190): no maintained reader")
    return AttachmentError("unsupported", "a ZIP archive that is not a DOCX or XLSX")


def zip_bomb(members: list[zipfile.ZipInfo], packed_size: int, limits: Limits) -> AttachmentError | None:
    """Limits on what the archive declares. ``zipfile`` never inflates a member past its declared size
    (it fails the CRC instead), so the declared sizes bound the real work."""
    if len(members) > limits.max_zip_members:
        return AttachmentError("zip-bomb", f"{len(members)} members (limit {limits.max_zip_members})")
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unzipped_bytes:
        return AttachmentError(
            "zip-bomb", f"unpacks to {unpacked} bytes (limit {limits.max_unzipped_bytes})"
        )
    ratio = unpacked / max(packed_size, 1)
    if ratio > limits.max_zip_ratio:
        return AttachmentError(
            "zip-bomb", f"compression ratio {ratio:.0f}:1 (limit {limits.max_zip_ratio:.0f}:1)"
        )
    return None
