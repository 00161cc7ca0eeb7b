"""What the format readers share: the failure they raise, the time budget, external commands, and the
canonicalisation that makes attachment text follow the same rules as page text."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterable, Sequence

from normalise.attachments.result import AttachmentError, ErrorKind
from normalise.text import collapse_whitespace, fold_width, reflow

CELL_SEPARATOR = " | "  # as normalise/html.py joins the cells of a table row


class ReadFailed(Exception):
    """Raised inside a reader; ``extract`` turns it into the result, so it never leaves the package."""

    def __init__(self, kind: ErrorKind, detail: str) -> None:
        super().__init__(detail)
        self.error = AttachmentError(kind, detail)


class Deadline:
    """The time budget of one file, checked between units of work (pages, sheets)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self, doing: str) -> None:
        if time.monotonic() > self.ends:
            raise ReadFailed("timeout", f"over {self.seconds:.0f} s while {doing}")

    def left(self, cap: float) -> float:
        return max(0.1, min(cap, self.ends - time.monotonic()))


def run_command(args: Sequence[str], *, timeout: float, what: str) -> subprocess.CompletedProcess[bytes]:
    """Run an extractor command; a hang is a ``timeout`` failure, a missing program ``unsupported``."""
    try:
        return subprocess.run(list(args), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ReadFailed("timeout", f"{what}: {args[0]} ran over {timeout:.0f} s") from exc
    except FileNotFoundError as exc:
        raise ReadFailed("unsupported", f"{what}: {args[0]} is not installed") from exc


def canonical_text(blocks: Iterable[Iterable[str] | str]) -> str:
    """Extracted text -> canonical text, so PDF and OCR text diff like page text (normalise/text.py).

    A block of lines is what may be reflowed (a PDF's whole text, one DOCX paragraph): widths are folded,
    whitespace collapsed and hard-wrapped lines joined into paragraphs. A ``str`` block is a finished line
    (a table row from ``row_line``, a sheet heading) and is kept as it is.
    """
    paragraphs: list[str] = []
    for block in blocks:
        if isinstance(block, str):
            paragraphs.extend([block] if block else [])
            continue
        cleaned = (clean_line(line) for line in block)
        paragraphs.extend(reflow(line for line in cleaned if line))
    return "\n".join(paragraphs)


def clean_line(line: str) -> str:
    return collapse_whitespace(fold_width(line))


def row_line(values: Iterable[object]) -> str:
    """One table or sheet row as a finished line, cells joined as normalise/html.py joins them; an empty
    row gives an empty line, which is dropped."""
    cells = [format_cell(value) for value in values]
    while cells and not cells[-1]:
        cells.pop()
    return CELL_SEPARATOR.join(cells) if any(cells) else ""


def format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store 1000 as 1000.0
    return clean_line(str(value))
