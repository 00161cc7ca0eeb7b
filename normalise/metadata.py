"""Canonical forms of the metadata that identifies a document: 文号 and dates.

The same 文号 is written 沪府规〔2022〕18号, 沪府规[2022]18号 or 沪府规（２０２２）18 号 depending on the
site and the editor; one canonical spelling keeps a re-typed bracket from looking like a new document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from normalise.text import DOC_NUMBER_PATTERN, collapse_whitespace, fold_width

_YEAR_IN_BRACKETS = re.compile(r"[〔\[［（(【﹝](\d{4})[〕\]］）)】﹞]")
_WHITESPACE = re.compile(r"\s+")

# The document's own 文号: a line that is nothing but the number, or a labelled value in the header.
_STANDALONE_DOC_NUMBER = re.compile(DOC_NUMBER_PATTERN)
_LABELLED_DOC_NUMBER = re.compile(rf"(?:文号|文件编号|发文字号)[：:]?({DOC_NUMBER_PATTERN})")
_HEADING_MARK = re.compile(r"^#+\s*")

_NUMERIC_DATE = r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
_CHINESE_DATE = r"(?P<cy>\d{4})年(?P<cm>\d{1,2})月(?P<cd>\d{1,2})日"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE = re.compile(rf"(?:{_NUMERIC_DATE}|{_CHINESE_DATE}){_TIME}")


def normalise_doc_number(s: str | None) -> str | None:
    """Canonical 文号: year in 〔〕, no spaces, ASCII digits; None when there is nothing to normalise."""
    if s is None:
        return None
    folded = _WHITESPACE.sub("", fold_width(s))
    return _YEAR_IN_BRACKETS.sub(r"〔\1〕", folded) or None


def find_doc_number(text: str) -> str | None:
    """The document's own 文号 from the header of its text, canonical, or None.

    Official documents carry their 文号 in the header, above the first sentence. Only header lines are
    read, and only a line that is the bare number or a labelled value (文号：…): the body cites other
    documents' numbers in running text, and returning one of those would give the document a wrong
    identity, so a text without such a line yields None.
    """
    for raw_line in text.splitlines():
        line = _HEADING_MARK.sub("", collapse_whitespace(fold_width(raw_line)), count=1)
        if _STANDALONE_DOC_NUMBER.fullmatch(line):
            return normalise_doc_number(line)
        labelled = _LABELLED_DOC_NUMBER.search(line)
        if labelled:
            return normalise_doc_number(labelled.group(1))
        if "。" in line:  # the first sentence ends the header
            return None
    return None


def parse_date(s: str | None) -> str | None:
    """ISO ``YYYY-MM-DD`` from the date spellings sources use (2026-07-31 16:07:48, 2026年7月31日, ...)."""
    if s is None:
        return None
    match = _DATE.fullmatch(collapse_whitespace(fold_width(s)))
    if match is None:
        return None
    parts = ("y", "m", "d") if match["y"] else ("cy", "cm", "cd")
    try:
        return dt.date(*(int(match[part]) for part in parts)).isoformat()
    except ValueError:
        return None


def _field(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()
