"""PDF -> text with pdfplumber; pages without a text layer are rasterised (pdftoppm) and OCR'd (tesseract
chi_sim).

pdfplumber rather than pypdf: it orders characters by their position on the page, which keeps the lines
of multi-column layouts and centred headings together, and its pdfminer core ships the Adobe-GB1 CMaps, so
text in non-embedded Chinese CID fonts (STSong-Light, the usual font of government PDFs made by
reportlab-like tools and old Word exporters) comes out as characters even without a ToUnicode map.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from normalise.attachments.common import Deadline, ReadFailed, canonical_text, run_command
from normalise.attachments.limits import Limits
from normalise.attachments.result import ExtractedText

# A page whose text layer has fewer characters than this (a page number, a stamp caption) but carries an
# image is a scan.
_MIN_LAYER_CHARS = 20
# Page furniture printed in the top or bottom line of a page: "—4—", "- 12 -", "4", "第 3 页", "3/10".
_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－一_]*(?:\d{1,4}|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})[\s\-—–－一_]*$"
)


def read_pdf(data: bytes, limits: Limits, deadline: Deadline) -> ExtractedText:
    try:
        document = pdfplumber.open(io.BytesIO(data))
        pages = document.pages
    except (PdfminerException, MalformedPDFException) as exc:
        raise _open_failure(exc) from exc
    with document, tempfile.TemporaryDirectory(prefix="pw-pdf-") as scratch:
        if len(pages) > limits.max_pages:
            raise ReadFailed("oversized", f"{len(pages)} pages (limit {limits.max_pages})")
        source = Path(scratch) / "file.pdf"
        source.write_bytes(data)
        lines: list[str] = []
        ocr_pages = 0
        for number, page in enumerate(pages, start=1):
            deadline.check(f"reading page {number}")
            try:
                text = page.extract_text() or ""
                scanned = len("".join(text.split())) < _MIN_LAYER_CHARS and (not text.strip() or page.images)
            except (PdfminerException, MalformedPDFException, ValueError, KeyError, TypeError) as exc:
                raise ReadFailed("malformed", f"page {number}: {type(exc).__name__}: {exc}") from exc
            if scanned:
                ocr_pages += 1
                if ocr_pages > limits.max_ocr_pages:
                    raise ReadFailed(
                        "oversized", f"more than {limits.max_ocr_pages} pages without a text layer need OCR"
                    )
                text = _ocr_page(source, number, limits, deadline)
            lines.extend(_without_page_number(text.splitlines()))
        return ExtractedText("pdf", canonical_text([lines]), ocr=ocr_pages > 0, pages=len(pages))


def _open_failure(exc: Exception) -> ReadFailed:
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    if isinstance(cause, PDFEncryptionError):
        return ReadFailed("encrypted", f"password-protected PDF ({type(cause).__name__})")
    return ReadFailed("malformed", f"not a readable PDF: {type(cause).__name__}: {cause}")


def _ocr_page(source: Path, number: int, limits: Limits, deadline: Deadline) -> str:
    image = source.with_name(f"page-{number}")
    what = f"OCR of page {number}"
    rendered = run_command(
        ["pdftoppm", "-r", str(limits.ocr_dpi), "-f", str(number), "-l", str(number), "-gray", "-png",
         "-singlefile", str(source), str(image)],
        timeout=deadline.left(limits.command_timeout_s),
        what=what,
    )
    png = image.with_suffix(".png")
    if rendered.returncode != 0 or not png.exists():
        raise ReadFailed("malformed", f"{what}: pdftoppm failed: {_stderr(rendered.stderr)}")
    recognised = run_command(
        ["tesseract", str(png), "stdout", "-l", "chi_sim"],  # automatic page segmentation
        timeout=deadline.left(limits.command_timeout_s),
        what=what,
    )
    png.unlink()
    if recognised.returncode != 0:
        raise ReadFailed("malformed", f"{what}: tesseract failed: {_stderr(recognised.stderr)}")
    return recognised.stdout.decode("utf-8", "replace")


def _without_page_number(lines: list[str]) -> list[str]:
    """A page's lines without the page number printed above or below them."""
    kept = [line for line in lines if line.strip()]
    if kept and _PAGE_NUMBER.match(kept[-1]):
        kept.pop()
    if kept and _PAGE_NUMBER.match(kept[0]):
        kept.pop(0)
    return kept


def _stderr(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip()[-300:]
