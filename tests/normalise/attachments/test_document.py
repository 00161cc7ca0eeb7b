"""Attachment text in the document and the outcome of each file in its metadata."""

from __future__ import annotations

from normalise.attachments import AttachmentError, AttachmentResult, ExtractedText
from normalise.attachments.document import add_attachments, lost_attachments
from normalise.document import NormalisedDocument

URL = "https://zwgk.shmh.gov.cn/mh-xxgk-cms/UploadPath/uploadfile/2025-07-09/%E9%99%84%E4%BB%B61.pdf"
READ = {"a" * 64: ExtractedText("pdf", "第一条对企业给予不超过1000万元支持。", ocr=True, pages=2)}


def read(sha256: str) -> AttachmentResult:
    return READ.get(sha256) or ExtractedText("docx", "")


def document() -> NormalisedDocument:
    return NormalisedDocument("minhang", "p.htm", "https://zwgk.shmh.gov.cn/p.htm", "通知", "正文第一段。")


def test_each_file_follows_the_body_under_its_name() -> None:
    doc = document()
    add_attachments(doc, [{"url": URL, "name": "附件１ 实施细则", "sha256": "a" * 64}], read)
    assert doc.text == "正文第一段。\n# 附件：附件1实施细则\n第一条对企业给予不超过1000万元支持。"
    assert doc.metadata["attachments"] == [
        {"name": "附件1实施细则", "url": URL, "sha256": "a" * 64, "type": "pdf", "chars": 20, "ocr": True}
    ]


def test_a_file_without_a_name_is_named_after_its_url() -> None:
    doc = document()
    add_attachments(doc, [{"url": URL, "name": "", "sha256": "a" * 64}], read)
    assert "# 附件：附件1.pdf" in doc.text.splitlines()


def test_unread_files_are_left_out_with_their_error() -> None:
    doc = document()
    files = [
        {"url": URL, "name": "下载失败", "error": {"kind": "download", "detail": "HTTP 500"}},
        {"url": URL + "2", "name": "没有下载"},
        {"url": URL + "3", "name": "空文件", "sha256": "b" * 64},
    ]
    add_attachments(doc, files, read)
    assert doc.text == "正文第一段。"
    errors = [file["error"]["kind"] for file in doc.metadata["attachments"]]
    assert errors == ["download", "download", "malformed"]
    assert "not downloaded" in doc.metadata["attachments"][1]["error"]["detail"]


def test_no_attachments_leave_the_document_as_it_was() -> None:
    doc = document()
    add_attachments(doc, [], read)
    assert (doc.text, doc.metadata) == ("正文第一段。", {})


def test_a_file_is_lost_only_when_the_previous_version_had_its_text() -> None:
    doc = document()
    broken = AttachmentError("malformed", "not a readable PDF").to_dict()
    add_attachments(doc, [{"url": URL, "name": "附件1", "error": broken}], read)
    had_text = {"attachments": [{"url": URL, "name": "附件1", "chars": 120}]}
    had_error = {"attachments": [{"url": URL, "name": "附件1", "error": {"kind": "encrypted", "detail": ""}}]}
    other_file = {"attachments": [{"url": URL + "x", "name": "附件2", "chars": 120}]}
    assert [file["url"] for file in lost_attachments(doc, had_text)] == [URL]
    assert lost_attachments(doc, had_error) == lost_attachments(doc, other_file) == []
