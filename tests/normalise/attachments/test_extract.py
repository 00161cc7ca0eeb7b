"""Reading attachments: each format's text, OCR of a scan, and a typed error for every bad file."""

from __future__ import annotations

import hashlib
import io
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from normalise.attachments import (
    AttachmentCache,
    AttachmentError,
    AttachmentResult,
    ExtractedText,
    Limits,
    extract,
    reading,
)
from normalise.attachments import office as office_reader
from normalise.attachments import pdf as pdf_reader
from normalise.attachments.common import Deadline, run_command
from normalise.attachments.reading import read_attachment
from normalise.attachments.sniff import OLE2_MAGIC, sniff
from tests.normalise.attachments.helpers import fixture, han_recall, make_docx, seed_lines, zip_bomb_docx

# seed 003 as text.pdf holds it (the notice and the plan's opening).
_SEED_003 = seed_lines("003")
_START = _SEED_003.index("上海市人民政府关于印发«虹桥国际开放枢纽")
TEXT_PASSAGE = "".join(_SEED_003[_START : _START + 14])
# seed 000 as scanned.pdf prints it: its README names the OCR slips 牛摆子 and 痢港 of the stored text.
SCANNED_PASSAGE = "".join(seed_lines("000")[:14]).replace("牛摆子", "牛鼻子").replace("痢港", "临港")


def text_of(data: bytes, limits: Limits | None = None) -> ExtractedText:
    result = extract(data, limits or Limits())
    assert isinstance(result, ExtractedText), result
    return result


def error_of(data: bytes, limits: Limits | None = None) -> AttachmentError:
    result = extract(data, limits or Limits())
    assert isinstance(result, AttachmentError), result
    return result


# -- formats ------------------------------------------------------------------------------------------------


def test_text_pdf_gives_its_chinese_text_layer_canonicalised() -> None:
    result = text_of(fixture("text.pdf"))
    assert (result.file_type, result.ocr, result.pages) == ("pdf", False, 1)
    # Full-width digits of the source (２０２１年７月３１日) come out folded, as page text is.
    assert "2021年7月31日" in result.text.splitlines()
    assert "制定本规划" in result.text and "一、“十三五”发展回顾" in result.text
    assert han_recall(TEXT_PASSAGE, result.text) == 1.0


def test_scanned_pdf_is_read_by_ocr_with_few_errors() -> None:
    result = text_of(fixture("scanned.pdf"))
    assert (result.file_type, result.ocr) == ("pdf", True)
    assert han_recall(SCANNED_PASSAGE, result.text) >= 0.9
    for phrase in ("招商引资", "高质量发展", "加大重点领域招商引资力度", "虹桥国际开放枢纽"):
        assert phrase in result.text
    # OCR puts spaces between Chinese characters; canonical text has none.
    assert "招 商" not in result.text


def test_docx_gives_paragraphs_and_table_rows_in_order() -> None:
    lines = text_of(fixture("table.docx")).text.splitlines()
    assert lines[:2] == ["序号 | 发文单位", "1 | 上海市长宁区发展和改革委员会"]
    assert "10 | 上海市长宁区投资促进办公室" in lines
    assert lines.index("长发改规〔2024〕4号") > lines.index("10 | 上海市长宁区投资促进办公室")
    assert "现印发给你们，请认真按照执行。" in lines[-2]


def test_doc_is_read_by_antiword_as_utf8() -> None:
    result = text_of(fixture("reply.doc"))
    assert result.file_type == "doc"
    assert result.text.splitlines()[:2] == ["上海市普陀区发展和改革委员会文件", "普发改委〔2023〕14号"]
    assert "完成全年目标的118%。" in result.text


def test_a_doc_antiword_refuses_is_read_by_catdoc(monkeypatch: pytest.MonkeyPatch) -> None:
    def antiword_refuses(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        if args[0] == "antiword":
            return subprocess.CompletedProcess(args, 1, b"", b"file is not a Word Document.")
        return run_command(args, **kwargs)

    monkeypatch.setattr(office_reader, "run_command", antiword_refuses)
    by_catdoc = office_reader.read_doc(fixture("reply.doc"), Limits(), Deadline(60))
    assert by_catdoc.text == text_of(fixture("reply.doc")).text


def test_ole2_files_are_told_apart_by_their_streams() -> None:
    # Kingsoft .wps files are Word 97 containers: the WordDocument stream decides, never the file name.
    assert sniff(fixture("reply.doc"), Limits()) == "doc"
    assert sniff(fixture("industries.xls"), Limits()) == "xls"
    encrypted_docx = OLE2_MAGIC + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(96)
    assert sniff(encrypted_docx, Limits()) == AttachmentError("encrypted", "a password-protected Office file")
    # A name inside the text is not a directory entry: only a 128-byte-aligned entry counts.
    named_in_text = OLE2_MAGIC + bytes(505) + "Workbook".encode("utf-16-le") + bytes(100)
    assert isinstance(sniff(named_in_text, Limits()), AttachmentError)


def test_a_doc_cut_short_is_malformed() -> None:
    data = fixture("reply.doc")
    assert error_of(data[: len(data) // 2]).kind == "malformed"


@pytest.mark.parametrize(("name", "kind"), [("industries.xlsx", "xlsx"), ("industries.xls", "xls")])
def test_spreadsheets_give_one_line_per_row_under_the_sheet_name(name: str, kind: str) -> None:
    result = text_of(fixture(name))
    assert result.file_type == kind
    assert result.text.splitlines()[:3] == [
        "## 产业目录",
        "类别 | 产业 | 数量",
        "先导产业 | 集成电路、生物医药、人工智能 | 3",
    ]


def test_the_type_comes_from_the_bytes_not_the_name() -> None:
    # A site serving a DOCX under a .pdf link is read as a DOCX.
    assert text_of(fixture("table.docx")).file_type == "docx"


def test_page_numbers_printed_on_pdf_pages_are_not_text() -> None:
    lines = ["—4—", "正文第一行", "第二行", "- 5 -"]
    assert pdf_reader._without_page_number(lines) == ["正文第一行", "第二行"]
    assert pdf_reader._without_page_number(["2024年", "一、总则"]) == ["2024年", "一、总则"]


# -- failures: a typed result, never an exception ------------------------------------------------------------


def test_truncated_pdf_is_malformed() -> None:
    assert error_of(fixture("truncated.pdf")).kind == "malformed"


def test_encrypted_pdf_is_encrypted() -> None:
    error = error_of(fixture("encrypted.pdf"))
    assert error.kind == "encrypted" and "password" in error.detail


def test_html_error_page_named_pdf_is_malformed() -> None:
    error = error_of(fixture("error-page.pdf"))
    assert error.kind == "malformed" and "HTML" in error.detail


def test_oversized_file_is_refused_before_reading() -> None:
    data = fixture("text.pdf") + b"\0" * 4096  # generated, not committed
    error = error_of(data, Limits(max_download_bytes=4096))
    assert error.kind == "oversized" and "limit 4096" in error.detail


def test_too_many_pages_is_oversized() -> None:
    assert error_of(fixture("text.pdf"), Limits(max_pages=0)).kind == "oversized"


def test_too_many_pages_to_ocr_is_oversized() -> None:
    assert error_of(fixture("scanned.pdf"), Limits(max_ocr_pages=0)).kind == "oversized"


def test_zip_bomb_docx_is_refused_before_anything_is_unpacked() -> None:
    bomb = zip_bomb_docx()
    assert len(bomb) < 2 * 1024 * 1024
    error = error_of(bomb)
    assert error.kind == "zip-bomb" and "unpacks to" in error.detail


def test_high_compression_ratio_alone_is_a_zip_bomb() -> None:
    error = error_of(zip_bomb_docx(unpacked_mb=20))
    assert error.kind == "zip-bomb" and "ratio" in error.detail


def test_a_zip_that_is_not_an_office_file_is_unsupported() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("附件1.pdf", fixture("text.pdf"))
    assert error_of(out.getvalue()).kind == "unsupported"


def test_ofd_is_unsupported_with_a_clear_reason() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("OFD.xml", '<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
        archive.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    error = error_of(out.getvalue())
    assert error.kind == "unsupported" and "OFD" in error.detail


def test_broken_docx_is_malformed() -> None:
    data = bytearray(make_docx(["第一条 为规范管理，制定本办法。"]))
    start = data.index(b"word/document.xml")
    data[start + 40 : start + 400] = b"\0" * 360  # the compressed XML is damaged
    assert error_of(bytes(data)).kind == "malformed"


def test_unknown_bytes_and_empty_files_are_errors() -> None:
    assert error_of(b"\x89PNG\r\n\x1a\n....").kind == "unsupported"
    assert error_of(b"").kind == "malformed"


def test_a_command_over_the_time_limit_is_a_timeout() -> None:
    error = error_of(fixture("scanned.pdf"), Limits(total_timeout_s=0.5))  # OCR takes seconds
    assert error.kind == "timeout"


def test_a_reader_that_never_returns_is_killed_at_the_time_limit() -> None:
    # xlrd follows this damaged sector chain forever; the reader's process is killed.
    data = fixture("industries.xls")
    cut = len(data) // 4
    started = time.monotonic()
    error = error_of(data[:cut] + bytes(64) + data[cut + 64 :], Limits(total_timeout_s=0.5))
    assert error.kind == "timeout" and time.monotonic() - started < 30


def test_a_reader_over_the_memory_limit_gives_an_error_not_a_crash() -> None:
    # Where 64 MB runs out (the parser, pdftoppm, tesseract) varies; that it is an error does not.
    result = extract(fixture("scanned.pdf"), Limits(max_memory_bytes=64 * 1024 * 1024))
    assert isinstance(result, AttachmentError)


# -- cache ---------------------------------------------------------------------------------------------------


def test_ocr_runs_once_per_distinct_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counting(data: bytes, limits: Limits) -> AttachmentResult:
        calls.append(len(data))
        return extract(data, limits)

    monkeypatch.setattr(reading, "extract", counting)
    cache = AttachmentCache(tmp_path / "attachments")
    first = read_attachment(fixture("scanned.pdf"), cache)
    assert isinstance(first, ExtractedText) and first.ocr and len(calls) == 1
    again = read_attachment(fixture("scanned.pdf"), AttachmentCache(tmp_path / "attachments"))
    assert again == first and len(calls) == 1
    assert cache.path(hashlib.sha256(fixture("scanned.pdf")).hexdigest()).exists()


def test_errors_are_cached_but_timeouts_are_not(tmp_path: Path) -> None:
    cache = AttachmentCache(tmp_path)
    cache.put("a" * 64, AttachmentError("encrypted", "password-protected PDF"))
    cache.put("b" * 64, AttachmentError("timeout", "over 900 s"))
    assert cache.get("a" * 64) == AttachmentError("encrypted", "password-protected PDF")
    assert cache.get("b" * 64) is None


@pytest.mark.parametrize("name", ["text.pdf", "table.docx", "reply.doc", "industries.xls", "industries.xlsx"])
def test_damaged_files_give_a_result_never_an_exception(name: str) -> None:
    data = fixture(name)
    for cut in (16, len(data) // 4, len(data) // 2, len(data) - 100):
        damaged = [data[:cut], data[:cut] + bytes(64) + data[cut + 64 :]]
        for sample in damaged:  # some send xlrd into an endless loop: a short time limit
            assert isinstance(extract(sample, Limits(total_timeout_s=1)), ExtractedText | AttachmentError)
