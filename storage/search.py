"""Full-text search over each document's current version, correct for Chinese on SQLite and PostgreSQL.

Chinese has no spaces and most words are two characters, which SQLite's trigram tokenizer cannot match
and PostgreSQL's parsers do not split. Text is therefore indexed as the classic CJK analyser does it:
overlapping character bigrams of every run of CJK characters, plus the run's last character alone (so
every character starts a token and one-character queries work as prefixes), and ordinary lower-cased
word tokens for Latin letters and digits. ``search_tokens`` is the one tokeniser used at index and at
query time: a query term matches where its tokens appear consecutively, i.e. where the term is a
substring of the text (punctuation, spaces, character width and letter case aside).

SQLite keeps the tokens in an FTS5 table (unicode61 over the space-separated tokens, phrase queries,
bm25 with the title weighted over the text). PostgreSQL keeps them in a ``tsvector`` with a GIN index
(lexemes without positions, which ``tsvector`` caps at 16,383) and confirms a multi-token term's
adjacency with LIKE on the stored token string of the candidates the index found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import text
from sqlmodel import Session, col, select

from storage.models import Document, Version

SORTS = ("relevance", "date")
Sort = Literal["relevance", "date"]
MAX_LIMIT = 500
MAX_TERMS = 10
TITLE_WEIGHT = 10.0
SNIPPET_CHARS = 120
REFRESH_BATCH = 200

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_HEADING_MARK = re.compile(r"(?m)^#+\s*")  # the canonical text marks headings with "#"
MAX_WORD = 64
"""Longer Latin "words" (encoded blobs) are cut: PostgreSQL refuses lexemes over 2 kB."""


class SearchError(ValueError):
    """A query or filter the search cannot run (the message says what to change)."""


def fold(value: str) -> str:
    """Full-width letters and digits to ASCII, letters to lower case: the form tokens and snippets use."""
    return unicodedata.normalize("NFKC", value).casefold()


def _runs(value: str) -> Iterator[tuple[str, bool]]:
    for match in _RUN.finditer(fold(value)):
        cjk, word = match.groups()
        yield (cjk, True) if cjk else (word, False)


def _run_tokens(run: str, cjk: bool) -> list[str]:
    if not cjk:
        return [run[:MAX_WORD]]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def search_tokens(value: str) -> list[str]:
    """The index tokens of ``value``: CJK bigrams, each CJK run's last character, words and numbers."""
    return [token for run, cjk in _runs(value) for token in _run_tokens(run, cjk)]


@dataclass(frozen=True)
class TermPattern:
    """What one query term must match: ``tokens`` consecutively, the last one as a prefix if ``prefix``."""

    term: str
    tokens: tuple[str, ...]
    prefix: bool


def term_pattern(term: str) -> TermPattern | None:
    """The tokens a term's text must show in a row; None when the term has no letters or digits.

    The term's own end is not the end of a run in the text ("招商" inside "招商引资"), so its final lone
    character is dropped; a term ending in a one-character CJK run ("第12条") keeps it as a prefix.
    """
    runs = list(_runs(term))
    if not runs:
        return None
    tokens = [token for run, cjk in runs for token in _run_tokens(run, cjk)]
    last, last_cjk = runs[-1]
    if last_cjk and len(last) > 1:
        tokens.pop()
    return TermPattern(term=term, tokens=tuple(tokens), prefix=last_cjk and len(last) == 1)


def parse_query(query: str) -> list[TermPattern]:
    """Terms separated by spaces must all match; "quoted words" are one term. Raises SearchError."""
    patterns = []
    for match in _TERM.finditer(query.strip()):
        term = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        pattern = term_pattern(term) if term else None
        if pattern is not None:
            patterns.append(pattern)
    if len(patterns) > MAX_TERMS:
        raise SearchError(f"at most {MAX_TERMS} search terms; this query has {len(patterns)}")
    if query.strip() and not patterns:
        raise SearchError("the query has no letters, digits or Chinese characters to search for")
    return patterns


@dataclass(frozen=True)
class SearchFilters:
    district: str | None = None
    level: str | None = None
    agency: str | None = None
    """Documents whose issuing agency contains this text."""
    status: str | None = None
    """The validity status (有效, 失效, 废止, 已修改)."""
    kind: str | None = None
    """Documents with at least one change of this kind."""
    published_from: date | None = None
    published_to: date | None = None

    def __post_init__(self) -> None:
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise SearchError(
                f"the date range is empty: from {self.published_from} is after to {self.published_to}"
            )

    def active(self) -> dict[str, str]:
        """The filters in use, by name, as text (for pages, exports and "remove a filter" hints)."""
        values = {
            "district": self.district,
            "level": self.level,
            "agency": self.agency,
            "status": self.status,
            "kind": self.kind,
            "from": self.published_from.isoformat() if self.published_from else None,
            "to": self.published_to.isoformat() if self.published_to else None,
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class SnippetPart:
    text: str
    hit: bool


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    title: str
    doc_number: str | None
    agency: str | None
    district: str | None
    level: str | None
    published: str | None
    status: str | None
    url: str
    snippet: list[SnippetPart] = field(default_factory=list)
    """The text around the first hit; parts with ``hit`` are the matched words (plain text: escape it)."""

    @property
    def snippet_text(self) -> str:
        return "".join(part.text for part in self.snippet)


@dataclass(frozen=True)
class SearchResults:
    query: str
    filters: SearchFilters
    total: int
    page: int
    limit: int
    hits: list[SearchHit]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def search(
    session: Session,
    query: str,
    filters: SearchFilters | None = None,
    *,
    page: int = 1,
    limit: int = 20,
    sort: Sort | None = None,
    snippets: bool = True,
) -> SearchResults:
    """One page of the documents matching every term of ``query`` and every filter.

    An empty query lists the filtered documents. Relevance (the default with a query) ranks title hits
    first; ``date`` sorts by publication date, newest first.
    """
    filters = filters or SearchFilters()
    if page < 1:
        raise SearchError("page numbers start at 1")
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}")
    if sort is not None and sort not in SORTS:
        raise SearchError(f"sort must be one of {', '.join(SORTS)}")
    patterns = parse_query(query)
    plan = _plan(session, patterns, filters, sort or ("relevance" if patterns else "date"))
    page_query = f"ORDER BY {plan.order} LIMIT :limit OFFSET :offset"
    page_params = {**plan.params, "limit": limit, "offset": (page - 1) * limit}
    count_query = text(f"SELECT count(*) {plan.body}")
    if session.get_bind().dialect.name == "sqlite":  # FTS5's bm25() cannot sit beside a window function
        total = session.execute(count_query, plan.params).scalar_one()
        rows = session.execute(text(f"SELECT {plan.id_column} {plan.body} {page_query}"), page_params).all()
    else:
        # One pass counts and pages: confirming phrases on the candidates is the cost, not sorting them.
        rows = session.execute(
            text(f"SELECT {plan.id_column}, count(*) OVER () {plan.body} {page_query}"), page_params
        ).all()
        if rows:
            total = rows[0][1]
        else:  # nothing on this page: nothing at all, or past the last page
            total = session.execute(count_query, plan.params).scalar_one() if page > 1 else 0
    ids = [row[0] for row in rows]
    hits = _hits(session, ids, patterns if snippets else [])
    return SearchResults(query=query, filters=filters, total=total, page=page, limit=limit, hits=hits)


def iter_search(
    session: Session, query: str, filters: SearchFilters | None = None, *, sort: Sort | None = None
) -> Iterator[SearchHit]:
    """Every hit of a search, page by page, without snippets (exports)."""
    page = 1
    while True:
        results = search(session, query, filters, page=page, limit=MAX_LIMIT, sort=sort, snippets=False)
        yield from results.hits
        if page >= results.pages:
            return
        page += 1


@dataclass(frozen=True)
class _Plan:
    body: str
    params: dict[str, Any]
    order: str
    id_column: str = "d.id"


def _plan(session: Session, patterns: list[TermPattern], filters: SearchFilters, sort: Sort) -> _Plan:
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {}
    where = ["d.current_version_id IS NOT NULL"]
    if not patterns:
        body = "FROM document d"
        relevance = "0"
    elif dialect == "sqlite" and sort == "relevance" and not filters.active():
        # Only indexed documents (each has a current version) are in the FTS table: ranking needs no join.
        match = " AND ".join(_fts5_phrase(pattern) for pattern in patterns)
        return _Plan(
            body="FROM search_fts WHERE search_fts MATCH :match",
            params={"match": match},
            order=f"bm25(search_fts, {TITLE_WEIGHT}, 1.0), search_fts.rowid DESC",
            id_column="search_fts.rowid",
        )
    elif dialect == "sqlite":
        # CROSS JOIN: SQLite must walk the full-text hits first, never the documents (a filter index
        # would otherwise make it run the MATCH once per document).
        body = "FROM search_fts CROSS JOIN document d ON d.id = search_fts.rowid"
        where.append("search_fts MATCH :match")
        params["match"] = " AND ".join(_fts5_phrase(pattern) for pattern in patterns)
        relevance = f"bm25(search_fts, {TITLE_WEIGHT}, 1.0)"
    else:
        body = "FROM search_entry e JOIN document d ON d.id = e.document_id"
        params["tsquery"] = " & ".join(_tsquery(pattern) for pattern in patterns)
        where.append("e.vector @@ CAST(:tsquery AS tsquery)")
        title_hits = []
        for index, pattern in enumerate(patterns):
            params[f"like{index}"] = _like(pattern)
            if len(pattern.tokens) > 1:  # the index knows the tokens are there, not that they are adjacent
                where.append(
                    f"(' ' || e.title_tokens || ' ' LIKE :like{index} "
                    f"OR ' ' || e.body_tokens || ' ' LIKE :like{index})"
                )
            title_hits.append(f"CASE WHEN ' ' || e.title_tokens || ' ' LIKE :like{index} THEN 1 ELSE 0 END")
        relevance = "-(" + " + ".join(title_hits) + ")"
    where += _filter_clauses(filters, params)
    newest = "d.published DESC NULLS LAST" if dialect != "sqlite" else "d.published IS NULL, d.published DESC"
    order = f"{relevance}, {newest}, d.id DESC" if sort == "relevance" else f"{newest}, d.id DESC"
    return _Plan(body=f"{body} WHERE {' AND '.join(where)}", params=params, order=order)


def _filter_clauses(filters: SearchFilters, params: dict[str, Any]) -> list[str]:
    clauses = []
    for name in ("district", "level"):
        value = getattr(filters, name)
        if value:
            params[name] = value
            clauses.append(f"d.{name} = :{name}")
    if filters.status:
        params["status"] = filters.status
        clauses.append("d.validity_status = :status")
    if filters.agency:
        params["agency"] = "%" + _escape_like(filters.agency) + "%"
        clauses.append("d.agency LIKE :agency ESCAPE '\\'")
    if filters.kind:
        params["kind"] = filters.kind
        clauses.append("EXISTS (SELECT 1 FROM change c WHERE c.document_id = d.id AND c.kind = :kind)")
    if filters.published_from:
        params["published_from"] = filters.published_from.isoformat()
        clauses.append("d.published >= :published_from")
    if filters.published_to:
        # published is an ISO date, sometimes with a time: everything on the last day is in range.
        params["published_to"] = filters.published_to.isoformat() + "\uffff"
        clauses.append("d.published <= :published_to")
    return clauses


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts5_phrase(pattern: TermPattern) -> str:
    # Tokens hold only letters and digits, so they need no quoting inside the phrase.
    return f'"{" ".join(pattern.tokens)}"' + (" *" if pattern.prefix else "")


def _tsquery(pattern: TermPattern) -> str:
    lexemes = [f"'{token}'" for token in pattern.tokens]
    if pattern.prefix:
        lexemes[-1] += ":*"
    return "(" + " & ".join(lexemes) + ")"


def _like(pattern: TermPattern) -> str:
    # Tokens hold no LIKE wildcards; the token string is space-separated, padded with a space each side.
    joined = " ".join(pattern.tokens)
    return f"% {joined}%" if pattern.prefix else f"% {joined} %"


def _hits(session: Session, ids: list[int], patterns: list[TermPattern]) -> list[SearchHit]:
    if not ids:
        return []
    rows = session.exec(
        select(
            Document.id,
            Document.title,
            Document.doc_number,
            Document.agency,
            Document.district,
            Document.level,
            Document.published,
            Document.validity_status,
            Document.status,
            Document.url,
            Version.text if patterns else Version.id,
        )
        .join(Version, col(Version.id) == Document.current_version_id)
        .where(col(Document.id).in_(ids))
    ).all()
    by_id = {row[0]: row for row in rows}
    hits = []
    for document_id in ids:
        if document_id not in by_id:
            continue
        _, title, number, agency, district, level, published, validity, status, url, body = by_id[document_id]
        hits.append(
            SearchHit(
                document_id=document_id,
                title=title,
                doc_number=number,
                agency=agency,
                district=district,
                level=level,
                published=published,
                status=validity or status,
                url=url,
                snippet=snippet(body, patterns) if patterns else [],
            )
        )
    return hits


def _term_regex(pattern: TermPattern) -> str:
    # The term's runs in order, anything that is not a letter or digit allowed between them.
    return r"[\W_]*".join(re.escape(run) for run, _ in _runs(pattern.term))


def snippet(body: str, patterns: Sequence[TermPattern], width: int = SNIPPET_CHARS) -> list[SnippetPart]:
    """About ``width`` characters of ``body`` around the first hit of ``patterns``, the hits marked (the
    opening when only the title matched)."""
    finder = re.compile("|".join(f"(?:{_term_regex(pattern)})" for pattern in patterns), re.IGNORECASE)
    first = finder.search(body)
    if first is None:  # typed in another width (１５００ for 1500): look again in the folded text
        body = unicodedata.normalize("NFKC", body)
        first = finder.search(body)
    start = max(0, first.start() - width // 3) if first else 0
    # Whitespace is collapsed inside the window only: folding a whole long text for 20 hits is the cost.
    window = " ".join(_HEADING_MARK.sub("", body[start : start + 2 * width]).split())[:width]
    parts = [SnippetPart("…", False)] if start else []
    position = 0
    for match in finder.finditer(window):
        if match.start() > position:
            parts.append(SnippetPart(window[position : match.start()], False))
        if match.end() > match.start():
            parts.append(SnippetPart(match.group(), True))
        position = match.end()
    if position < len(window):
        parts.append(SnippetPart(window[position:], False))
    if start + len(window) < len(body):
        parts.append(SnippetPart("…", False))
    return parts


# --- keeping the index in step with the archive -----------------------------------------------------------


def refresh_search_index(session: Session) -> int:
    """Index every document whose current version is not the indexed one; returns how many it indexed.

    Idempotent, and one indexed join when nothing changed. Call it after archiving (and before serving).
    """
    stale = session.execute(
        text(
            "SELECT d.id FROM document d LEFT JOIN search_entry e ON e.document_id = d.id "
            "WHERE d.current_version_id IS NOT NULL "
            "AND (e.version_id IS NULL OR e.version_id <> d.current_version_id) ORDER BY d.id"
        )
    ).all()
    ids = [row[0] for row in stale]
    for start in range(0, len(ids), REFRESH_BATCH):
        _index(session, ids[start : start + REFRESH_BATCH])
    return len(ids)


def _index(session: Session, ids: list[int]) -> None:
    rows = session.exec(
        select(Document.id, Document.title, Version.id, Version.text)
        .join(Version, col(Version.id) == Document.current_version_id)
        .where(col(Document.id).in_(ids))
    ).all()
    sqlite = session.get_bind().dialect.name == "sqlite"
    delete_params = [{"id": document_id} for document_id, *_ in rows]
    if not delete_params:
        return
    entries = []
    for document_id, title, version_id, body in rows:
        title_tokens, body_tokens = search_tokens(title), search_tokens(body)
        entry: dict[str, Any] = {
            "id": document_id,
            "version_id": version_id,
            "title": " ".join(title_tokens),
            "body": " ".join(body_tokens),
        }
        if not sqlite:
            lexemes = sorted(set(title_tokens) | set(body_tokens))
            entry["vector"] = " ".join(f"'{lexeme}'" for lexeme in lexemes)
        entries.append(entry)
    session.execute(text("DELETE FROM search_entry WHERE document_id = :id"), delete_params)
    if sqlite:
        session.execute(text("DELETE FROM search_fts WHERE rowid = :id"), delete_params)
        session.execute(
            text("INSERT INTO search_fts (rowid, title, body) VALUES (:id, :title, :body)"), entries
        )
        session.execute(
            text("INSERT INTO search_entry (document_id, version_id) VALUES (:id, :version_id)"), entries
        )
    else:
        session.execute(
            text(
                "INSERT INTO search_entry (document_id, version_id, title_tokens, body_tokens, vector) "
                "VALUES (:id, :version_id, :title, :body, CAST(:vector AS tsvector)) "
                # A refresh at `serve` start may race the archive stage's: the later one wins.
                "ON CONFLICT (document_id) DO UPDATE SET version_id = excluded.version_id, "
                "title_tokens = excluded.title_tokens, body_tokens = excluded.body_tokens, "
                "vector = excluded.vector"
            ),
            entries,
        )
