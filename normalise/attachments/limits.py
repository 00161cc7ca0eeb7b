"""How much work one attachment may cost. Government attachments are mostly a few MB; the limits leave
room for long scanned plans while stopping a hostile or broken file from eating the crawl host."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_download_bytes: int = 50 * MB
    """Scrapy's per-request ``download_maxsize`` for attachment requests; bigger files are not fetched."""
    max_unzipped_bytes: int = 200 * MB
    """Total declared uncompressed size of a DOCX/XLSX (a ZIP), checked before anything is unpacked."""
    max_zip_ratio: float = 100.0
    """Declared uncompressed / compressed size; office XML compresses 5-20x, a bomb thousands of times."""
    max_zip_members: int = 10_000
    max_pages: int = 500
    max_ocr_pages: int = 60
    """Pages without a text layer that may be OCR'd (about 10 s each at 300 dpi on this hardware)."""
    ocr_dpi: int = 300
    max_sheet_rows: int = 100_000
    command_timeout_s: float = 60.0
    """Each external command: antiword/catdoc for a whole file, pdftoppm/tesseract for one page."""
    total_timeout_s: float = 900.0
    """All of one file: the readers check it between pages and sheets, and their process is killed at it."""
    max_memory_bytes: int = 2048 * MB
    """Address space of the process that reads one file (and of the commands it runs)."""


DEFAULT_LIMITS = Limits()
