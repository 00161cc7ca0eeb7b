"""Attachment text as part of a document: after the body, a heading ``# 附件：<name>`` and the file's text
for each attachment, and what became of every file in ``metadata["attachments"]``.

Attachment text is part of the document's version, so a changed file is a change of the document. A
file that could not be read is left out of the text with its error recorded; ``lost_attachments`` says
when leaving it out would look like a deletion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from normalise.attachments.common import clean_line
from normalise.attachments.result import AttachmentError, AttachmentResult
from normalise.document import NormalisedDocument

HEADING = "# 附件："


def add_attachments(
    document: NormalisedDocument, files: Iterable[dict[str, Any]], read: Callable[[str], AttachmentResult]
) -> None:
    """Append the text of ``files`` (the item's ``record["attachments"]``) and record each one's outcome.

    ``read`` gives the extraction result of a downloaded file by its snapshot sha256.
    """
    sections: list[str] = []
    outcomes: list[dict[str, Any]] = []
    for file in files:
        result = _result_of(file, read)
        name = clean_line(file.get("name") or _file_name(file["url"]))
        outcome: dict[str, Any] = {"name": name, "url": file["url"], "sha256": file.get("sha256")}
        if isinstance(result, AttachmentError):
            outcome["error"] = result.to_dict()
        else:
            sections += [f"{HEADING}{name}", result.text]
            outcome |= {"type": result.file_type, "chars": len(result.text), "ocr": result.ocr}
        outcomes.append(outcome)
    if outcomes:
        document.text = "\n".join([document.text, *sections]) if document.text else "\n".join(sections)
        document.metadata["attachments"] = outcomes


def _result_of(file: dict[str, Any], read: Callable[[str], AttachmentResult]) -> AttachmentResult:
    if file.get("error"):
        return AttachmentError.from_dict(file["error"])
    if not file.get("sha256"):
        return AttachmentError("download", "not downloaded by the crawl that saw this page")
    result = read(file["sha256"])
    if not isinstance(result, AttachmentError) and not result.text.strip():
        return AttachmentError("malformed", f"no text in the {result.file_type} file")
    return result


def _file_name(url: str) -> str:
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def _files_with_text(previous_metadata: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The attachments a version holds the text of, by URL."""
    files = previous_metadata.get("attachments") or []
    return {file["url"]: file for file in files if isinstance(file, dict) and file.get("chars")}


def lost_attachments(document: NormalisedDocument, previous_metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Attachments the previous version had the text of that this one could not read (same URL).

    Archiving such a document would read as "the attachment was deleted" when it was only a failed
    download or a broken re-upload, so the previous version must stay current instead.
    """
    had_text = _files_with_text(previous_metadata)
    return [
        file
        for file in document.metadata.get("attachments") or []
        if isinstance(file, dict) and file.get("error") and file["url"] in had_text
    ]
