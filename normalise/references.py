"""References from one document to others: 《title》 with or without its 文号, or a 文号 alone.

Documents name what they implement, amend, extend or repeal by its title in 《》, usually followed by its
文号 in brackets; either may be missing. The same document is quoted with 《》, 〈〉 or <> when nested,
with or without its 试行/暂行/年份版 suffix, and sometimes by the title of the notice that issued it
(《关于印发〈X〉的通知》). ``title_key`` folds all of that away, so a reference and the document it names
meet on one key.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from normalise.metadata import normalise_doc_number
from normalise.text import DOC_NUMBER_PATTERN, fold_width

_OPEN, _CLOSE = "《〈<", "》〉>"
# "上海市房屋管理局关于贯彻…的实施意见" is quoted with and without its issuing body.
_ISSUER = re.compile(
    r"^[\u4e00-\u9fff、]{2,30}?(?:人民政府办公厅|人民政府|办公厅|委员会|局|委|办公室|办事处)(?=关于)"
)
_QUOTE_MARKS = re.compile(r"[《》〈〉<>「」『』“”\"'‘’]")
_SPACES = re.compile(r"\s+")
# Edition marks: （试行） (2025版) （2025年版） （2025年修订） （修订）, or 试行/暂行 among the words.
_EDITION = re.compile(r"[（(](?:试行|暂行|修订|修订稿|\d{4}年?版|\d{4}年修订)[）)]|试行|暂行")
# 《关于印发〈X〉的通知》: the notice that issued X stands for X.
_ISSUING_NOTICE = re.compile(
    r"^.*?(?:印发|转发|批转|发布|公布)(?:修订后的|修改后的|修订的|制订的)?[〈<《](.+)[〉>》]的通知$"
)
# A title without 《》: "<agency>关于印发X的通知" names X.
_UNQUOTED_SUBJECT = re.compile(
    r"^(?:.*?关于)?(?:印发|转发|批转|发布|修订印发|修订实施)?(?:修订后的|修改后的)?(.+?)(?:的通知)?$"
)
_DOC_NUMBER = re.compile(DOC_NUMBER_PATTERN)
# Words a bare 文号 can be glued to in running text ("废止沪建管〔2015〕684号"): never part of the number.
_LEADING_WORDS = re.compile(
    r"^.*?(?:同时废止|废止|根据|依据|按照|参照|印发的|制定的|和|及|与|原|的|年|月|日)"
)
_BRACKETED = re.compile(r"\s*[（(]([^（）()]{0,80})[）)]")
_SENTENCE = re.compile(r"[^。；;！？\n]+[。；;！？]?")


@dataclass(frozen=True)
class Reference:
    title: str | None
    """As quoted, outer 《》 removed; None for a 文号 alone."""
    doc_number: str | None
    """Canonical 文号, from the brackets after the title or standing alone."""
    sentence: str
    """The sentence the reference occurs in: the evidence of whatever it says about the document."""
    start: int
    """Offset of the reference in ``sentence``."""
    end: int

    @property
    def key(self) -> str:
        """What identifies the referenced document: its 文号 when given, else its title."""
        return f"文号:{self.doc_number}" if self.doc_number else f"标题:{title_key(self.title or '')}"

    @property
    def before(self) -> str:
        """The words of the sentence before the reference."""
        return self.sentence[: self.start]

    @property
    def after(self) -> str:
        return self.sentence[self.end :]


@functools.lru_cache(maxsize=65536)  # the same titles are quoted by thousands of documents
def title_key(title: str) -> str:
    """The comparable form of a quoted title: quotes, spaces, width and 试行/暂行/edition marks folded."""
    text = _SPACES.sub("", fold_width(title))
    issued = _ISSUING_NOTICE.match(text)
    if issued:
        text = issued.group(1)
    elif text.endswith("的通知"):
        text = _UNQUOTED_SUBJECT.match(text).group(1)  # type: ignore[union-attr]  # matches any text
    return _EDITION.sub("", _QUOTE_MARKS.sub("", _ISSUER.sub("", text)))


def subject_key(title: str) -> str:
    """The key of what a document is about: the first 《》 title in its own title, else its plain title."""
    quoted = next(_quoted(title), None)
    if quoted is not None:
        return title_key(title[quoted[0] + 1 : quoted[1] - 1])
    text = _SPACES.sub("", fold_width(title))
    return title_key(_UNQUOTED_SUBJECT.match(text).group(1))  # type: ignore[union-attr]  # matches any text


def quoted_titles(title: str) -> list[str]:
    """The top-level 《》 titles inside a document title."""
    return [title[start + 1 : end - 1] for start, end in _quoted(title)]


def extract_references(text: str, *, own_doc_number: str | None = None) -> list[Reference]:
    """Every reference in ``text``, in order; the document's own 文号 is not a reference."""
    references = []
    for sentence in sentences(text):
        references.extend(_in_sentence(sentence, own_doc_number))
    return references


def sentences(text: str) -> Iterator[str]:
    """Sentences of a canonical text (a line never continues a sentence of the line before)."""
    for line in text.splitlines():
        for match in _SENTENCE.finditer(line.lstrip("# ")):
            sentence = match.group(0).strip()
            if sentence:
                yield sentence


def _in_sentence(sentence: str, own_doc_number: str | None) -> Iterator[Reference]:
    taken: list[tuple[int, int]] = []
    for start, end in _quoted(sentence):
        title = sentence[start + 1 : end - 1]
        doc_number, end = _number_after(sentence, end)
        taken.append((start, end))
        yield Reference(title, doc_number, sentence, start, end)
    for match in _DOC_NUMBER.finditer(sentence):
        if any(start <= match.start() < end for start, end in taken):
            continue
        raw = match.group(0)
        trimmed = _LEADING_WORDS.sub("", raw) or raw
        doc_number = normalise_doc_number(trimmed)
        if doc_number != own_doc_number:
            yield Reference(None, doc_number, sentence, match.end() - len(trimmed), match.end())


def _number_after(sentence: str, end: int) -> tuple[str | None, int]:
    """The 文号 given right after a quoted title, in brackets or glued to it, and where it ends."""
    bracket = _BRACKETED.match(sentence, end)
    if bracket:
        number = _DOC_NUMBER.search(bracket.group(1))
        return (normalise_doc_number(number.group(0)), bracket.end()) if number else (None, end)
    glued = _DOC_NUMBER.match(sentence, end)
    if glued and _LEADING_WORDS.sub("", glued.group(0)) == glued.group(0):
        return normalise_doc_number(glued.group(0)), glued.end()
    return None, end


def _quoted(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each top-level 《…》, nested quotes of any style inside it included."""
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char == "《" and depth == 0:
            depth, start = 1, index
        elif depth and char in _OPEN:
            depth += 1
        elif depth and char in _CLOSE:
            depth -= 1
            if depth == 0:
                yield start, index + 1
