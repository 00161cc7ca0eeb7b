"""Benchmark: metadata read from the text of every real document against the corpus index's labels.

Runs ``extract_metadata`` over each file in ../shared/corpus/docs and compares it with that file's row
in gov_docs.csv (matched by the 正文 path): 文号, 发布单位, 发布日期 and 状态. The labels are the
platform's record fields, and the text does not always state them: a notice often leaves its 文号 to
the record, the 发布日期 is the day the platform published the document (the text is signed days
earlier), and 状态 is a flag the platform keeps. So every field reports, besides exact-match accuracy,
how many documents write the label somewhere in their text at all, the accuracy on those, and how
often the text gave another value rather than none; the misses are listed.

    python -m bench.bench_metadata
"""

from __future__ import annotations

import csv
import datetime as dt
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from normalise.metadata import TextMetadata, dates_in, extract_metadata, normalise_doc_number
from normalise.text import collapse_whitespace, fold_width, reflow

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
WITHIN_DAYS = 7
CITY = "上海市"
_NO_LABEL = ("", "-")
_BLANK_LINES = re.compile(r"\n\s*\n")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CorpusDoc:
    path: str
    """Relative to the corpus, as in the index's 正文 column."""
    labels: dict[str, str]
    text: str
    """Canonical text, as the pipeline would make it."""
    metadata: TextMetadata


@dataclass(frozen=True)
class Miss:
    path: str
    expected: str
    got: str | None
    label_in_text: bool


@dataclass
class FieldScore:
    field: str
    labelled: int = 0
    label_in_text: int = 0
    exact: int = 0
    exact_where_in_text: int = 0
    other_value: int = 0
    """Misses where the text gave a value, not nothing: an error where the label is in the text."""
    misses: list[Miss] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.exact / self.labelled if self.labelled else 0.0

    @property
    def accuracy_where_in_text(self) -> float:
        return self.exact_where_in_text / self.label_in_text if self.label_in_text else 0.0


@dataclass(frozen=True)
class Comparison:
    """One row of the report: which label, what the text gave, when they agree."""

    field: str
    expected: Callable[[dict[str, str]], str | None]
    """The label in comparable form; None when the row has no such label."""
    got: Callable[[TextMetadata], str | None]
    in_text: Callable[[CorpusDoc, str], bool]
    """Whether the document's text writes the label at all."""
    agrees: Callable[[str, str], bool] = operator.eq


def canonical_text(body: str) -> str:
    """What the pipeline makes of a page's text: each paragraph folded, collapsed and reflowed.

    The corpus files keep the pages' paragraphs as blank-line separated blocks (a ``<p>`` each), so
    blocks are reflowed separately, as ``html_to_text`` reflows one block at a time: reflowing across
    them would glue a signature to the sentence above it, which no page does.
    """
    return "\n".join(
        line
        for block in _BLANK_LINES.split(body)
        for line in reflow(collapse_whitespace(fold_width(raw)) for raw in block.splitlines())
    )


def corpus_docs(corpus: Path = CORPUS) -> list[CorpusDoc]:
    """Every document of corpus/docs with its index row and the metadata extracted from its text."""
    with (corpus / "gov_docs.csv").open(encoding="utf-8", newline="") as index:
        rows = {row["正文"]: row for row in csv.DictReader(index) if row["正文"]}
    docs = []
    for path in sorted((corpus / "docs").rglob("*.md")):
        relative = path.relative_to(corpus).as_posix()
        text = canonical_text(_body(path.read_text(encoding="utf-8")))
        docs.append(CorpusDoc(relative, rows[relative], text, extract_metadata(text)))
    return docs


def _body(markdown: str) -> str:
    """The text after the front matter and the repository's disclaimer quote."""
    _, _, body = markdown.split("---\n", 2)
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith(">"))
    return "\n".join(lines[start:])


def _day_label(labels: dict[str, str]) -> str | None:
    label = labels["发布日期"]
    return label if len(label) == len("2026-01-01") else None


def _month_label(labels: dict[str, str]) -> str | None:
    label = labels["发布日期"]
    return label if len(label) == len("2026-01") else None


def _publication(metadata: TextMetadata) -> str | None:
    """The text's best word on publication: a stated 发布/印发 date, else the date it was signed."""
    return metadata.published_date or metadata.written_date


def _lead_issuer(metadata: TextMetadata) -> str | None:
    return metadata.issuers[0] if metadata.issuers else None


def _without_city(name: str | None) -> str | None:
    return name.removeprefix(CITY) if name else None


def _compact(s: str) -> str:
    return _WHITESPACE.sub("", s)


def _name_in_text(doc: CorpusDoc, name: str) -> bool:
    return name in _compact(doc.text)


def _date_in_text(doc: CorpusDoc, date: str) -> bool:
    return date in dates_in(doc.text)


def _within_days(expected: str, got: str) -> bool:
    gap = dt.date.fromisoformat(expected) - dt.date.fromisoformat(got)
    return abs(gap.days) <= WITHIN_DAYS


COMPARISONS = (
    Comparison(
        "文号",
        lambda labels: None if labels["文号"] in _NO_LABEL else normalise_doc_number(labels["文号"]),
        lambda metadata: metadata.doc_number,
        lambda doc, expected: expected in (normalise_doc_number(doc.text) or ""),
    ),
    Comparison(
        "发布单位 (lead issuer)",
        lambda labels: _compact(labels["发布单位"]) or None,
        _lead_issuer,
        _name_in_text,
    ),
    Comparison(
        f"发布单位 (lead issuer, {CITY} prefix ignored)",
        lambda labels: _without_city(_compact(labels["发布单位"])) or None,
        lambda metadata: _without_city(_lead_issuer(metadata)),
        _name_in_text,
    ),
    Comparison(
        "发布日期 (day labels) exact",
        _day_label,
        _publication,
        _date_in_text,
    ),
    Comparison(
        f"发布日期 (day labels) within {WITHIN_DAYS} days",
        _day_label,
        _publication,
        _date_in_text,
        _within_days,
    ),
    Comparison(
        "发布日期 (month-only labels) same month",
        _month_label,
        _publication,
        lambda doc, expected: any(date.startswith(expected) for date in dates_in(doc.text)),
        lambda expected, got: got.startswith(expected),
    ),
    Comparison(
        "状态",
        lambda labels: labels["状态"] or None,
        lambda metadata: metadata.status,
        lambda doc, expected: doc.metadata.status is not None,
    ),
)

NOTES = (
    "where in text: accuracy on the documents whose text writes the label.",
    "label in text: the label is written somewhere in the text (for 状态: the text has a status field; "
    "for month-only labels: some date of that month is written, often a different one).",
    "other value: misses where the text gave a different value rather than none.",
    "文号: read from a header line (the bare number or 文号：…) or a dated citation carrying the document's "
    "own title (the 题注 of a reissued regulation); other numbers in sentences cite other documents.",
    "发布单位: the index gives the lead issuer only; the text's is the first name of its signature block "
    "(else header, labelled 发布机构, title, imprint).",
    "发布日期: the index has the platform's publication date; the text gives its 印发 date when it states "
    "one and otherwise its 成文日期 (signature date), which precedes publication by days: the exact "
    "row measures how often the two coincide, not extraction errors.",
    "状态: a platform flag; texts do not state their own status, so the pipeline takes it from the record.",
)


def score(docs: list[CorpusDoc]) -> dict[str, FieldScore]:
    """Per comparison: labelled documents, labels written in the text, exact matches, misses."""
    scores = {}
    for comparison in COMPARISONS:
        result = scores[comparison.field] = FieldScore(comparison.field)
        for doc, expected in _labelled(docs, comparison):
            got = comparison.got(doc.metadata)
            in_text = comparison.in_text(doc, expected)
            right = got is not None and comparison.agrees(expected, got)
            result.labelled += 1
            result.label_in_text += in_text
            result.exact += right
            result.exact_where_in_text += right and in_text
            if not right:
                result.other_value += got is not None
                result.misses.append(Miss(doc.path, expected, got, in_text))
    return scores


def _labelled(docs: list[CorpusDoc], comparison: Comparison) -> Iterator[tuple[CorpusDoc, str]]:
    for doc in docs:
        expected = comparison.expected(doc.labels)
        if expected is not None:
            yield doc, expected


def main() -> None:
    docs = corpus_docs()
    scores = score(docs)
    console = Console()
    table = Table(title=f"metadata from text vs the index labels, {len(docs)} documents of corpus/docs")
    for column in ("field", "labelled", "label in text", "exact", "accuracy", "where in text", "other value"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for result in scores.values():
        table.add_row(
            result.field,
            str(result.labelled),
            str(result.label_in_text),
            str(result.exact),
            f"{result.accuracy:.1%}",
            f"{result.accuracy_where_in_text:.1%}" if result.label_in_text else "-",
            str(result.other_value),
        )
    console.print(table)
    for note in NOTES:
        console.print(f"- {note}")
    console.print(_coverage(docs))
    for result in scores.values():
        _print_misses(console, result)


def _coverage(docs: list[CorpusDoc]) -> str:
    """How often the text gives the fields the index has no label for."""
    counts = {
        "成文日期": sum(doc.metadata.written_date is not None for doc in docs),
        "施行日期": sum(doc.metadata.effective_date is not None for doc in docs),
        "joint issuance (2+ issuers)": sum(len(doc.metadata.issuers) > 1 for doc in docs),
        "政策解读 links": sum(bool(doc.metadata.interpretation_links) for doc in docs),
        "文号 in text without an index label": sum(
            doc.metadata.doc_number is not None and doc.labels["文号"] in _NO_LABEL for doc in docs
        ),
    }
    return "text gives (no label to check): " + ", ".join(f"{k} {v}/{len(docs)}" for k, v in counts.items())


def _print_misses(console: Console, result: FieldScore) -> None:
    """Every miss except a document that does not state the label and was given nothing: that is right."""
    listed = [miss for miss in result.misses if miss.label_in_text or miss.got is not None]
    silent = len(result.misses) - len(listed)
    if listed:
        table = Table(title=f"misses: {result.field}")
        for column in ("file", "expected", "got", "label in text"):
            table.add_column(column, overflow="fold")
        for miss in listed:
            file = miss.path.removeprefix("docs/")
            table.add_row(file, miss.expected, miss.got or "-", "yes" if miss.label_in_text else "no")
        console.print(table)
    if silent:
        console.print(f"{result.field}: {silent} documents do not state the label and got none (not listed)")


if __name__ == "__main__":
    main()
