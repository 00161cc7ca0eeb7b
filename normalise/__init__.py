"""Normalisation stage: source HTML and records -> canonical text and metadata (NormalisedDocument)."""

from normalise.document import NORMALISER_VERSION, NormalisedDocument
from normalise.html import html_to_text
from normalise.metadata import find_doc_number, normalise_doc_number, parse_date
from normalise.platform import normalise_item
from normalise.text import collapse_whitespace, fold_width, reflow

__all__ = [
    "NORMALISER_VERSION",
    "NormalisedDocument",
    "collapse_whitespace",
    "find_doc_number",
    "fold_width",
    "html_to_text",
    "normalise_doc_number",
    "normalise_item",
    "parse_date",
    "reflow",
]
