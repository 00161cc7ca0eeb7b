"""When two listings are one document: the same 文号 with a compatible title, or, without 文号, the same title
published on the same day.

The platform, a district site and the columns of one site list the same document under their own ids, with
the 文号 typed in their own bracket style and the title with or without its issuing body or a site's
suffix. Every folding here only removes spelling differences (bracket and quote styles, widths, spaces,
dashes); nothing that tells two documents apart is folded: 试行 and 2025年版 editions, 关于修改… notices
and a title re-used in another year keep their own identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from normalise.metadata import normalise_doc_number, parse_date
from normalise.text import fold_width

# Spelling variants of one mark, folded to one form each.
_TITLE_FOLD = str.maketrans(
    {
        **dict.fromkeys("〔[［【﹝", "〔"),
        **dict.fromkeys("〕]］】﹞", "〕"),
        **dict.fromkeys("（", "("),
        **dict.fromkeys("）", ")"),
        **dict.fromkeys("〈<＜「『", "《"),
        **dict.fromkeys("〉>＞」』", "》"),
        **dict.fromkeys('“”„‟"＂', '"'),
        **dict.fromkeys("‘’'＇", "'"),
        **dict.fromkeys("—–‒―－‐‑~～", "-"),
        **dict.fromkeys("・•‧∙", "·"),
        "，": ",",
        "：": ":",
        "；": ";",
    }
)
_SPACES = re.compile(r"\s+")
# A listing title sometimes ends with a full stop.
_TRAILING = re.compile(r"[。.]+$")
# A page file name that is an id of its own (32 hex, 0001-12344_54837): the same name under two columns
# of one site is one page. Generic names (index.html, detail.html, content.shtml) are not.
_PAGE_ID = re.compile(r"^(?=.*\d)[\w-]{8,}$")


@dataclass(frozen=True)
class Sighting:
    """What a listing says about its document: enough to tell whether two listings are one document."""

    source: str
    native_id: str
    url: str
    title: str
    doc_number: str | None = None
    published: str | None = None


def doc_number_key(doc_number: str | None) -> str | None:
    """The 文号 as listings are matched on: canonical (``normalise_doc_number``), every bracket one style."""
    canonical = normalise_doc_number(doc_number)
    return canonical.translate(_TITLE_FOLD) if canonical else None


def matchable_title(title: str) -> str:
    """The title as listings are matched on: widths, spaces, bracket/quote/dash styles and a final full
    stop folded; words, editions (试行, 2025年版) and years are kept."""
    folded = _SPACES.sub("", fold_width(title)).translate(_TITLE_FOLD)
    return _TRAILING.sub("", folded)


def date_key(published: str | None) -> str | None:
    """The publication day (ISO); None when a listing gives none or only a month."""
    return parse_date(published) if published else None


def match_reason(new: Sighting, known: Sighting) -> str | None:
    """Why ``new`` and ``known`` are one document (``doc_number`` or ``title_date``), or None if not.

    Both with a 文号: the same 文号, and one title equal to or containing the other (a district page may
    add its body in front or a note behind). Otherwise: the same title on the same publication day. A
    different 文号 always means a different document.
    """
    new_number, known_number = doc_number_key(new.doc_number), doc_number_key(known.doc_number)
    new_title, known_title = matchable_title(new.title), matchable_title(known.title)
    if not new_title or not known_title:
        return None
    if new_number and known_number:
        if new_number != known_number:
            return None
        return "doc_number" if new_title in known_title or known_title in new_title else None
    day = date_key(new.published)
    if day is not None and day == date_key(known.published) and new_title == known_title:
        return "title_date"
    return None


def same_page(url: str, other: str) -> bool:
    """Whether two URLs of one source are the same page: equal but for scheme, host case, doubled or
    trailing slashes, or the same id-like file name under two columns (/nw12344/…/<id>.html and
    /nw42944/…/<id>.html)."""
    a, b = urlsplit(url), urlsplit(other)
    path_a, path_b = _path(a.path), _path(b.path)
    if (a.netloc.lower(), path_a, a.query) == (b.netloc.lower(), path_b, b.query):
        return True
    name_a, name_b = path_a.rsplit("/", 1)[-1], path_b.rsplit("/", 1)[-1]
    stem = name_a.rsplit(".", 1)[0]
    return name_a == name_b and a.query == b.query and _PAGE_ID.fullmatch(stem) is not None


def conflicts_with(new: Sighting, listed: Iterable[Sighting]) -> bool:
    """Whether ``new`` may not join a document because the same source already lists it under another id
    (two ids of one source are two documents, unless they are one page listed in two columns).

    ``listed`` are the document's listings still listed by their sources.
    """
    return any(
        other.source == new.source and other.native_id != new.native_id and not same_page(new.url, other.url)
        for other in listed
    )


def _path(path: str) -> str:
    return re.sub(r"/{2,}", "/", path).rstrip("/") or "/"
