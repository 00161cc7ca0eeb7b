"""Real policy texts from the shared corpus, and body HTML built from them.

No raw HTML of any target site is known (shared/sites.md §5). Fixtures therefore wrap real texts in the
structure of the unified platform's ``data.txt`` body as far as it is documented (sites.md §2, §0.3):
paragraphs in ``<p>`` inside one content ``div``; a line break inside a paragraph of the source text becomes
``<br>`` (inference: how an editor keeps a hard-wrapped title or signature block in one paragraph).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
CHANGNING_SEED = CORPUS / "seeds" / "004_d7a5a1d8257d0abe.txt"
"""长发改规〔2024〕4号, 长宁区 trial implementing opinion (2024-11-15)."""

_BLANK_LINES = re.compile(r"\n\s*\n")
_HEADER_FIELD = re.compile(r"^(\S+): (.*)$")


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs of a plain text, line breaks inside a paragraph kept."""
    return [paragraph.strip() for paragraph in _BLANK_LINES.split(text) if paragraph.strip()]


def body_html(paras: Iterable[str]) -> str:
    """Platform-style body HTML: one ``<p>`` per paragraph, inner line breaks as ``<br>``."""
    inner = "".join(f"<p>{escape(paragraph).replace(chr(10), '<br>')}</p>" for paragraph in paras)
    return f'<div class="TRS_Editor">{inner}</div>'


def corpus_doc(path: Path) -> tuple[dict[str, str], str]:
    """Front matter and body of a corpus/docs file (the repository's disclaimer quote left out)."""
    _, front_matter, body = path.read_text(encoding="utf-8").split("---", 2)
    fields = dict(match.groups() for match in map(_HEADER_FIELD.match, front_matter.splitlines()) if match)
    return fields, "\n".join(line for line in body.splitlines() if not line.startswith(">"))


def revision(name: str) -> tuple[dict[str, str], str]:
    """Header fields and body of a corpus/revisions file (SOURCE comment, ``key: value`` lines, body)."""
    lines = (CORPUS / "revisions" / name).read_text(encoding="utf-8").splitlines()[1:]
    end_of_header = lines.index("")
    fields = dict(match.groups() for match in map(_HEADER_FIELD.match, lines[:end_of_header]) if match)
    return fields, "\n".join(lines[end_of_header + 1 :])
