"""Attachments of policy documents (PDF, DOC/WPS, DOCX, XLS/XLSX) as canonical text.

The type comes from the bytes, never the file name; every failure is a typed ``AttachmentError`` result,
never an exception; results are cached by the file's sha256 so OCR runs once per distinct file.
"""

from normalise.attachments.limits import DEFAULT_LIMITS, Limits
from normalise.attachments.reading import EXTRACTOR_VERSION, AttachmentCache, extract, read_attachment
from normalise.attachments.result import ERROR_KINDS, AttachmentError, AttachmentResult, ExtractedText

__all__ = [
    "DEFAULT_LIMITS",
    "ERROR_KINDS",
    "EXTRACTOR_VERSION",
    "AttachmentCache",
    "AttachmentError",
    "AttachmentResult",
    "ExtractedText",
    "Limits",
    "extract",
    "read_attachment",
]
