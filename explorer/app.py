"""``policywatch serve``: a read-only web explorer over the archive (server-rendered, no JavaScript).

Every scraped string reaches the page through Jinja2 with autoescape on; links to scraped URLs are made
only for http(s); raw snapshots are sent as plain-text attachments. A strict Content-Security-Policy is
defence in depth, not the protection.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from explorer.pages import (
    LEVEL_NAMES,
    archive_counts,
    decode_snapshot,
    diff_rows,
    district_name,
    document_page,
    end_of_day,
    facet_values,
    local,
    safe_href,
    snapshot_charset,
    start_of_day,
)
from storage.models import Change, Document, Version
from storage.queries import version_at
from storage.search import SORTS, SearchError, SearchFilters, iter_search, parse_query, search
from storage.snapshots import SnapshotMissing, SnapshotStore

HERE = Path(__file__).parent
PAGE_SIZE = 20
CHANGES_PAGE_SIZE = 50
ATOM_ENTRIES = 100
FACETS_TTL_S = 60.0
EXPORT_FIELDS = (
    "document_id",
    "title",
    "doc_number",
    "agency",
    "district",
    "level",
    "published",
    "status",
    "url",
    "archive_url",
)
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
ATOM = "http://www.w3.org/2005/Atom"


class PageError(Exception):
    """A request the explorer cannot answer: the status, what went wrong and what to do instead."""

    def __init__(self, status: int, title: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.hint = status, title, message, hint


def read_only_engine(database_url: str) -> Engine:
    """The archive opened read-only where the backend allows: SQLite ``mode=ro``, PostgreSQL read-only
    transactions."""
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[-1])
        if not path.is_file():
            raise FileNotFoundError(f"no archive at {path}")
        return create_engine(
            f"sqlite:///file:{path.resolve()}?mode=ro&uri=true",
            connect_args={"check_same_thread": False, "timeout": 30},
        )
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    engine = create_engine(database_url, pool_pre_ping=True)

    def read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET default_transaction_read_only = on")
        cursor.close()
        dbapi_connection.commit()

    event.listen(engine, "connect", read_only)
    return engine


class SecurityHeaders:
    """Adds the security headers to every response, error pages and static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(district_name=district_name, level_names=LEVEL_NAMES, local=local, safe_href=safe_href)
    return env


class Explorer:
    """The routes, over one read-only engine and the snapshot store."""

    def __init__(self, engine: Engine, snapshots_dir: Path) -> None:
        self.engine = engine
        self.store = SnapshotStore(snapshots_dir)
        self.env = _environment()
        self._facets: tuple[float, dict[str, list[str]]] | None = None

    # --- plumbing -----------------------------------------------------------------------------------

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(request=request, **context)
        return HTMLResponse(html, status_code=status)

    def session(self) -> Session:
        return Session(self.engine)

    def facets(self, session: Session) -> dict[str, list[str]]:
        if self._facets is None or time.monotonic() - self._facets[0] > FACETS_TTL_S:
            self._facets = (time.monotonic(), facet_values(session))
        return self._facets[1]

    def page_error(self, request: Request, error: PageError) -> HTMLResponse:
        return self.render(request, "error.html", status=error.status, error=error)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            error = PageError(
                405, "不支持的请求 Method not allowed", "the explorer is read-only: it answers GET only"
            )
        else:
            error = PageError(
                exc.status_code,
                "找不到页面 Not found" if exc.status_code == 404 else f"错误 Error {exc.status_code}",
                f"there is no page at {request.url.path}",
                "start from the search page",
            )
        return self.page_error(request, error)

    def guarded(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            try:
                return handler(request)
            except PageError as error:
                return self.page_error(request, error)
            except SearchError as exc:
                return self.page_error(request, PageError(400, "无法搜索 Cannot search", str(exc)))

        return endpoint

    # --- search ---------------------------------------------------------------------------------------

    def search_page(self, request: Request) -> Response:
        query, filters, sort = _search_params(request)
        page = _int_param(request, "page", 1)
        with self.session() as session:
            results = search(session, query, filters, page=page, limit=PAGE_SIZE, sort=sort)
            if results.total and page > results.pages:
                raise PageError(
                    404,
                    "没有这一页 No such page",
                    f"page {page} is past the last page ({results.pages})",
                    "go back to the first page of the results",
                )
            facets = self.facets(session)
            documents, versions = archive_counts(session)
        params = _search_query_params(query, filters, sort)
        return self.render(
            request,
            "search.html",
            results=results,
            query=query,
            filters=filters,
            sort=sort,
            facets=facets,
            documents=documents,
            versions=versions,
            params=params,
            without={
                name: _url("/search", {k: v for k, v in params.items() if k != name}) for name in params
            },
            page_url=lambda number: _url("/search", {**params, "page": str(number)}),
            export_query=urlencode(params),
        )

    def search_csv(self, request: Request) -> Response:
        query, filters, sort = _search_params(request)
        base = str(request.base_url)

        def rows() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            buffer.write("\ufeff")  # a BOM, so Excel reads the file as UTF-8 and shows the Chinese
            writer.writerow(EXPORT_FIELDS)
            with self.session() as session:
                for hit in iter_search(session, query, filters, sort=sort):
                    writer.writerow([_csv_cell(value) for value in _export_row(hit, base).values()])
                    if buffer.tell() > 64_000:
                        yield buffer.getvalue()
                        buffer.seek(0)
                        buffer.truncate()
            yield buffer.getvalue()

        return StreamingResponse(
            rows(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="policywatch-search.csv"'},
        )

    def search_json(self, request: Request) -> Response:
        query, filters, sort = _search_params(request)
        base = str(request.base_url)

        def chunks() -> Iterator[str]:
            header = {"query": query, "filters": filters.active(), "sort": sort}
            yield _json(header)[:-1] + ', "hits": ['
            count = 0
            with self.session() as session:
                for hit in iter_search(session, query, filters, sort=sort):
                    yield (("," if count else "") + "\n" + _json(_export_row(hit, base)))
                    count += 1
            yield f'\n], "total": {count}}}\n'

        return StreamingResponse(
            chunks(),
            media_type="application/json; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="policywatch-search.json"'},
        )

    # --- documents ------------------------------------------------------------------------------------

    def document(self, request: Request) -> Response:
        with self.session() as session:
            document = _document(session, request)
            page = document_page(session, document)
        return self.render(request, "document.html", page=page, doc=document)

    def diff(self, request: Request) -> Response:
        with self.session() as session:
            document = _document(session, request)
            versions = list(
                session.exec(
                    select(Version).where(Version.document_id == document.id).order_by(col(Version.seq))
                ).all()
            )
            if len(versions) < 2:
                raise PageError(
                    404,
                    "无可比较的版本 Nothing to compare",
                    f"document {document.id} has only {len(versions)} version(s)",
                    "a diff needs two versions; the document page shows its text",
                )
            by_id = {version.id: version for version in versions}
            older = by_id.get(_int_param(request, "from", versions[-2].id or 0))
            newer = by_id.get(_int_param(request, "to", versions[-1].id or 0))
            if older is None or newer is None:
                choices = ", ".join(f"{v.id} (v{v.seq})" for v in versions)
                raise PageError(
                    404,
                    "没有这个版本 No such version",
                    f"document {document.id} has versions {choices}",
                    "choose two of them on the document page",
                )
        rows = diff_rows(older.text, newer.text)
        return self.render(
            request, "diff.html", doc=document, older=older, newer=newer, rows=rows, versions=versions
        )

    def text_at(self, request: Request) -> Response:
        with self.session() as session:
            document = _document(session, request)
            assert document.id is not None
            at = _date_param(request, "at")
            version_id = request.query_params.get("version")
            if version_id is not None:
                version = session.get(Version, _int_param(request, "version", 0))
                if version is None or version.document_id != document.id:
                    raise PageError(
                        404,
                        "没有这个版本 No such version",
                        f"document {document.id} has no version {version_id}",
                        "the document page lists its versions",
                    )
            elif at is None:
                raise PageError(
                    400,
                    "请给出日期 Which date?",
                    "give the date as ?at=YYYY-MM-DD",
                    "or pick a date in the form on the document page",
                )
            else:
                version = version_at(session, document.id, end_of_day(at))
                if version is None:
                    first = session.exec(
                        select(Version).where(Version.document_id == document.id).order_by(col(Version.seq))
                    ).first()
                    since = local(first.first_seen)[:10] if first else "never"
                    raise PageError(
                        404,
                        "该日期尚无存档 Not archived yet on that date",
                        f"the archive first saw this document on {since}; nothing was archived by {at}",
                        "choose a later date",
                    )
            newest = session.exec(
                select(Version).where(Version.document_id == document.id).order_by(col(Version.seq).desc())
            ).first()
            following = session.exec(
                select(Version).where(Version.document_id == document.id, Version.seq == version.seq + 1)
            ).first()
        return self.render(
            request, "text.html", doc=document, version=version, at=at, newest=newest, following=following
        )

    def snapshot(self, request: Request) -> Response:
        sha256 = request.path_params["sha256"]
        with self.session() as session:
            document = _document(session, request)
            version_id = request.path_params["version_id"]
            version = session.get(Version, version_id)
            if (
                version is None
                or version.document_id != document.id
                or sha256 not in (version.snapshot_ids or [])
            ):
                raise PageError(
                    404,
                    "没有这个快照 No such snapshot",
                    f"version {version_id} of document {document.id} has no snapshot {sha256}",
                    "the versions table on the document page links each version's snapshots",
                )
            charset = snapshot_charset(session, sha256)
        try:
            body = self.store.get(sha256)
        except SnapshotMissing as exc:
            raise PageError(
                404,
                "快照文件缺失 Snapshot file missing",
                str(exc),
                "serve with the --data-dir the archive was crawled into",
            ) from None
        return Response(
            decode_snapshot(body, charset),
            media_type="text/plain; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="{sha256}.txt"',
                "x-content-type-options": "nosniff",
            },
        )

    # --- changes --------------------------------------------------------------------------------------

    def _changes(
        self, session: Session, request: Request, limit: int, offset: int
    ) -> list[tuple[Change, Document]]:
        query = select(Change, Document).join(Document, col(Change.document_id) == Document.id)
        kind, district = request.query_params.get("kind"), request.query_params.get("district")
        since = _date_param(request, "since")
        if kind:
            query = query.where(Change.kind == kind)
        if district:
            query = query.where(Document.district == district)
        if since:
            query = query.where(Change.detected_at >= start_of_day(since))
        query = (
            query.order_by(col(Change.detected_at).desc(), col(Change.id).desc()).offset(offset).limit(limit)
        )
        return [(change, document) for change, document in session.exec(query).all()]

    def changes(self, request: Request) -> Response:
        page = _int_param(request, "page", 1)
        with self.session() as session:
            rows = self._changes(session, request, CHANGES_PAGE_SIZE + 1, (page - 1) * CHANGES_PAGE_SIZE)
            facets = self.facets(session)
        params = {
            name: request.query_params[name]
            for name in ("kind", "district", "since")
            if request.query_params.get(name)
        }
        return self.render(
            request,
            "changes.html",
            rows=rows[:CHANGES_PAGE_SIZE],
            page=page,
            more=len(rows) > CHANGES_PAGE_SIZE,
            params=params,
            facets=facets,
            page_url=lambda number: _url("/changes", {**params, "page": str(number)}),
            atom_url=_url("/changes.atom", params),
        )

    def changes_atom(self, request: Request) -> Response:
        with self.session() as session:
            rows = self._changes(session, request, ATOM_ENTRIES, 0)
        base = str(request.base_url)
        ElementTree.register_namespace("", ATOM)
        feed = ElementTree.Element(f"{{{ATOM}}}feed")
        _sub(feed, "id", str(request.url))
        _sub(feed, "title", "policywatch: 政策文件变化 changes")
        updated = rows[0][0].detected_at if rows else datetime.now(UTC)
        _sub(feed, "updated", updated.isoformat())
        author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
        _sub(author, "name", "policywatch")
        ElementTree.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=str(request.url))
        ElementTree.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=base + "changes")
        for change, document in rows:
            entry = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
            link = f"{base}documents/{document.id}"
            if change.from_version_id:
                link += f"/diff?from={change.from_version_id}&to={change.to_version_id}"
            _sub(entry, "id", f"{base}changes/{change.id}")
            label = f"{document.doc_number} " if document.doc_number else ""
            _sub(entry, "title", f"[{change.kind}] {label}{document.title}")
            _sub(entry, "updated", change.detected_at.isoformat())
            ElementTree.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=link)
            _sub(entry, "summary", change.summary)
            ElementTree.SubElement(entry, f"{{{ATOM}}}category", term=change.kind)
        xml = ElementTree.tostring(feed, encoding="unicode", xml_declaration=False)
        return Response(
            '<?xml version="1.0" encoding="utf-8"?>\n' + xml,
            media_type="application/atom+xml; charset=utf-8",
        )


def _sub(parent: ElementTree.Element, name: str, value: str) -> None:
    ElementTree.SubElement(parent, f"{{{ATOM}}}{name}").text = value


def _url(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _int_param(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise PageError(400, "参数有误 Bad parameter", f"{name}={value!r} is not a positive whole number")
    return int(value)


def _date_param(request: Request, name: str) -> date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PageError(
            400,
            "日期有误 Bad date",
            f"{name}={value!r} is not a date",
            "write dates as YYYY-MM-DD, e.g. 2024-03-01",
        ) from None


def _search_params(request: Request) -> tuple[str, SearchFilters, Any]:
    params = request.query_params
    sort = params.get("sort") or None
    if sort is not None and sort not in SORTS:
        raise PageError(400, "参数有误 Bad parameter", f"sort={sort!r}: choose {' or '.join(SORTS)}")
    try:
        filters = SearchFilters(
            district=params.get("district") or None,
            level=params.get("level") or None,
            agency=(params.get("agency") or "").strip() or None,
            status=params.get("status") or None,
            kind=params.get("kind") or None,
            published_from=_date_param(request, "from"),
            published_to=_date_param(request, "to"),
        )
    except SearchError as exc:
        raise PageError(400, "日期范围有误 Bad date range", str(exc), "swap or remove the dates") from None
    query = params.get("q", "")
    parse_query(query)  # a bad query is refused before an export starts streaming
    return query, filters, sort


def _search_query_params(query: str, filters: SearchFilters, sort: str | None) -> dict[str, str]:
    params = {"q": query} if query.strip() else {}
    params.update(filters.active())
    if sort:
        params["sort"] = sort
    return params


def _export_row(hit: Any, base: str) -> dict[str, Any]:
    row = asdict(hit)
    row.pop("snippet", None)
    row["archive_url"] = f"{base}documents/{hit.document_id}"
    return {name: row.get(name) for name in EXPORT_FIELDS}


def _json(value: Any) -> str:
    # Chinese stays readable; <, > and & are escaped so scraped markup is inert wherever the JSON lands.
    encoded = json.dumps(value, ensure_ascii=False)
    return encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csv_cell(value: Any) -> Any:
    # Spreadsheets run cells that start like a formula; scraped text must never be one.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _document(session: Session, request: Request) -> Document:
    document = session.get(Document, request.path_params["document_id"])
    if document is None:
        raise PageError(
            404,
            "没有这个文件 No such document",
            f"the archive has no document {request.path_params['document_id']}",
            "search for it by title or 文号",
        )
    return document


def create_app(database_url: str, snapshots_dir: Path) -> Starlette:
    """The explorer over the archive at ``database_url`` (opened read-only) and its raw snapshots."""
    explorer = Explorer(read_only_engine(database_url), snapshots_dir)
    guarded = explorer.guarded
    routes = [
        Route("/", guarded(explorer.search_page)),
        Route("/search", guarded(explorer.search_page)),
        Route("/search.csv", guarded(explorer.search_csv)),
        Route("/search.json", guarded(explorer.search_json)),
        Route("/documents/{document_id:int}", guarded(explorer.document)),
        Route("/documents/{document_id:int}/diff", guarded(explorer.diff)),
        Route("/documents/{document_id:int}/text", guarded(explorer.text_at)),
        Route(
            "/documents/{document_id:int}/versions/{version_id:int}/snapshots/{sha256}",
            guarded(explorer.snapshot),
        ),
        Route("/changes", guarded(explorer.changes)),
        Route("/changes.atom", guarded(explorer.changes_atom)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: explorer.http_error})
    app.add_middleware(SecurityHeaders)
    app.state.explorer = explorer
    return app
