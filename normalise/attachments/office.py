"""Office files -> text: DOCX (python-docx), DOC and Kingsoft WPS (antiword, catdoc as fallback), XLS
(xlrd) and XLSX (openpyxl, read-only)."""

from __future__ import annotations

import io
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import ParseError

import docx
import openpyxl
import xlrd
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml.etree import XMLSyntaxError
from xlrd.compdoc import CompDocError

from normalise.attachments.common import (
    Deadline,
    ReadFailed,
    canonical_text,
    clean_line,
    row_line,
    run_command,
)
from normalise.attachments.limits import Limits
from normalise.attachments.result import ExtractedText

_BROKEN_ZIP = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    ParseError,
    XMLSyntaxError,
    PackageNotFoundError,
    EOFError,
    zlib.error,
)
_BROKEN_XLS = (CompDocError, struct.error, ValueError, KeyError, IndexError, AssertionError, EOFError)


def read_docx(data: bytes, limits: Limits, deadline: Deadline) -> ExtractedText:
    """Paragraphs and table rows in document order (a table row is one line, cells joined by " | ")."""
    try:
        blocks = list(_docx_blocks(docx.Document(io.BytesIO(data))))
    except _BROKEN_ZIP as exc:
        raise ReadFailed("malformed", f"not a readable DOCX: {type(exc).__name__}: {exc}") from exc
    deadline.check("reading the DOCX")
    return ExtractedText("docx", canonical_text(blocks))


def _docx_blocks(document: DocxDocument) -> Iterator[list[str] | str]:
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            yield block.text.splitlines()
        elif isinstance(block, Table):
            yield from _table_rows(block)


def _table_rows(table: Table) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; its text counts once.
            if cell._tc is not previous:
                cells.append(cell.text)
            previous = cell._tc
        yield row_line(cells)


def read_doc(data: bytes, limits: Limits, deadline: Deadline) -> ExtractedText:
    """Word 97-2003 binary (and Kingsoft WPS, the same container) via antiword; catdoc when antiword
    refuses the file (Word 6/95, fast-saved files)."""
    with tempfile.TemporaryDirectory(prefix="pw-doc-") as scratch:
        source = Path(scratch) / "file.doc"
        source.write_bytes(data)
        first = run_command(
            ["antiword", "-m", "UTF-8.txt", "-w", "0", str(source)],
            timeout=deadline.left(limits.command_timeout_s),
            what="DOC",
        )
        text = first.stdout.decode("utf-8", "replace")
        if first.returncode == 0 and text.strip():
            return ExtractedText("doc", _doc_text(text))
        complaint = first.stderr.decode("utf-8", "replace").strip()
        if "encrypt" in complaint.lower():
            raise ReadFailed("encrypted", "password-protected Word document")
        second = run_command(
            ["catdoc", "-d", "utf-8", "-w", str(source)],
            timeout=deadline.left(limits.command_timeout_s),
            what="DOC",
        )
        text = second.stdout.decode("utf-8", "replace")
        if second.returncode == 0 and text.strip():
            return ExtractedText("doc", _doc_text(text))
        detail = (complaint or second.stderr.decode("utf-8", "replace").strip())[-300:]
        raise ReadFailed("malformed", f"antiword and catdoc cannot read it: {detail or 'no text'}")


def _doc_text(text: str) -> str:
    # antiword -w 0 and catdoc -w write one paragraph per line (table rows as "|cell|cell|").
    return canonical_text([line] for line in text.splitlines())


def read_xls(data: bytes, limits: Limits, deadline: Deadline) -> ExtractedText:
    try:
        # xlrd writes its complaints about damaged files to stdout unless given a log file.
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
        try:
            blocks: list[str] = []
            for sheet in book.sheets():
                deadline.check(f"reading sheet {sheet.name}")
                _check_rows(sheet.nrows, sheet.name, limits)
                blocks.append(sheet_heading(sheet.name))
                blocks.extend(row_line(sheet.row_values(index)) for index in range(sheet.nrows))
        finally:
            book.release_resources()
    except xlrd.XLRDError as exc:
        kind = "encrypted" if "encrypt" in str(exc).lower() else "malformed"
        raise ReadFailed(kind, f"XLS: {exc}") from exc
    except _BROKEN_XLS as exc:
        raise ReadFailed("malformed", f"not a readable XLS: {type(exc).__name__}: {exc}") from exc
    return ExtractedText("xls", canonical_text(blocks))


def read_xlsx(data: bytes, limits: Limits, deadline: Deadline) -> ExtractedText:
    """Read-only mode streams the sheets, so damage can surface while rows are read, not only at open."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            blocks: list[str] = []
            for sheet in book.worksheets:
                deadline.check(f"reading sheet {sheet.title}")
                blocks.append(sheet_heading(sheet.title))
                for count, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                    _check_rows(count, sheet.title, limits)
                    blocks.append(row_line(row))
        finally:
            book.close()
    except (*_BROKEN_ZIP, OSError, TypeError) as exc:
        raise ReadFailed("malformed", f"not a readable XLSX: {type(exc).__name__}: {exc}") from exc
    return ExtractedText("xlsx", canonical_text(blocks))


def sheet_heading(name: str) -> str:
    return f"## {clean_line(name)}"


def _check_rows(rows: int, sheet: str, limits: Limits) -> None:
    if rows > limits.max_sheet_rows:
        raise ReadFailed("oversized", f"sheet {sheet} has more than {limits.max_sheet_rows} rows")
