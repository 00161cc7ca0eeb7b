"""The generic play of an HTML-page site: it serves a fixture folder (tests/fixtures/<slug>/, written by the
folder's build.py) exactly as built — raw bytes, status, Content-Type and headers from ``manifest.json`` —
and answers the district CMS's JSON list API from the folder's channel records.

Faults aim at what the manifest names: ``site_id`` is a list (a column or a channel), ``business_id`` a
document (its native id, the detail page's path). Their responses are those of the platform play
(tests/site/faults.py): a 500 page, error JSON, a slow answer, a body cut in half, a Ruishu challenge.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tests.site.faults import Fault
from tests.site.protocol import NOT_FOUND, Request, Response, html_response, json_response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ATTACHMENTS = FIXTURES / "attachments"
# Content-Types the CMSs send for attachment files (a .wps as Word: Kingsoft files are Word inside).
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".wps": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
STEPS = ("1-initial",)
# The bot wall a `challenge` / `412` fault puts in place of a page (Huangpu's, sites.md §3.2).
CHALLENGE_STATUS = {"challenge": 202, "412": 412}
_EMPTY_PAST_END = {"list": [], "pageNo": 0, "totalPage": 0, "totalCount": 0}


def affair_answer(data: dict[str, Any] | None, code: int = 0, message: str = "操作成功") -> dict[str, Any]:
    """The envelope of the district CMS's list API: ``{"code": 0, "message": …, "data": …}`` (sites.md
    §3.1; the same CMS answers Putuo, §0.3). The message text is invented."""
    return {"code": code, "message": message, "data": data}


def _response(folder: Path, entry: dict[str, Any]) -> Response:
    headers = tuple((name, value) for name, value in entry.get("headers", []))
    return Response(entry["status"], (folder / entry["file"]).read_bytes(), entry["content_type"], headers)


@functools.cache
def _wall() -> Response:
    """Huangpu's first answer (challenge page and wall cookie), the bot wall every play can put up."""
    return FixturePlay("huangpu").bad("first_visit")


class FixturePlay:
    """Serves one fixture site; one step (these sites have no timeline yet)."""

    steps: Sequence[str] = STEPS

    def __init__(self, slug: str, files: dict[str, str] | None = None) -> None:
        self.folder = FIXTURES / slug
        self.files = files or {}
        """Attachment paths the pages link to -> the tests/fixtures/attachments file served there."""
        manifest = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
        self.pages = {(page["method"], page["path"]): page for page in manifest["pages"]}
        self.api: dict[str, Any] = manifest["api"]
        self.negative: dict[str, dict[str, Any]] = manifest["negative"]
        self.records = {
            channel: json.loads((self.folder / spec["file"]).read_text(encoding="utf-8"))
            for channel, spec in self.api.get("channels", {}).items()
        }
        self.lists = {page["list"] for page in manifest["pages"] if "list" in page} | set(self.records)
        self.details = {page["detail"] for page in manifest["pages"] if "detail" in page}

    def bad(self, name: str) -> Response:
        """A negative fixture as the site would serve it."""
        return _response(self.folder, self.negative[name])

    def check_fault(self, fault: Fault) -> None:
        if fault.kind == "error-json" and not self.api:
            raise ValueError("error-json needs a JSON list API; this site serves HTML lists")
        if fault.site_id is not None and fault.site_id not in self.lists:
            raise ValueError(f"no list {fault.site_id!r}; lists are {', '.join(sorted(self.lists))}")
        if fault.business_id is not None and fault.business_id not in self.details:
            raise ValueError(f"no document {fault.business_id!r}")

    def respond(self, request: Request, step: str, faults: Sequence[Fault]) -> Response:
        if self.api and (request.method, request.path) == ("POST", self.api["path"]):
            return self._api(request, faults)
        page = self.pages.get((request.method, request.path))
        if page is None:
            return self._file(request.path)
        hits = [
            fault
            for fault in faults
            if ("list" in page and fault.hits_list([page["list"]]))
            or ("detail" in page and fault.hits_detail(page["detail"]))
        ]
        normal = functools.partial(_response, self.folder, page)
        return self._fault_response(hits[0], normal) if hits else normal()

    def _file(self, path: str) -> Response:
        name = self.files.get(path)
        if name is None:
            return NOT_FOUND
        return Response(200, (ATTACHMENTS / name).read_bytes(), FILE_TYPES[Path(path).suffix.lower()])

    def _api(self, request: Request, faults: Sequence[Fault]) -> Response:
        """``POST`` JSON ``{"channelList": [id], "pageNo": N, "pageSize": S, …}``, as the CMS answers it."""
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            refused = {"status": 415, "error": "Unsupported Media Type", "path": request.path}
            return json_response(refused, 415)
        try:
            query = json.loads(request.body)
            (channel,) = query["channelList"]
            page_no, size = int(query.get("pageNo", 1)), int(query.get("pageSize", 20))
        except (ValueError, KeyError, TypeError):
            return json_response({"status": 400, "error": "Bad Request", "path": request.path}, 400)
        hits = [fault for fault in faults if fault.hits_list([str(channel)])]
        normal = functools.partial(self._api_page, str(channel), page_no, max(size, 1))
        return self._fault_response(hits[0], normal) if hits else normal()

    def _api_page(self, channel: str, page_no: int, size: int) -> Response:
        records = self.records.get(channel)
        if records is None:  # a channel without documents answers like a page past the end
            return json_response(affair_answer(_EMPTY_PAST_END))
        spec = self.api["channels"][channel]
        total = spec["reported_total"] or len(records)
        last = max(math.ceil(len(records) / size), 1)
        if page_no > last and spec["past_end"] == "empty":
            return json_response(affair_answer(_EMPTY_PAST_END))
        shown = min(page_no, last)  # past the end, "repeat" answers the last page again
        data = {
            "list": records[(shown - 1) * size : shown * size],
            "pageNo": shown,
            "pageSize": size,
            "totalPage": math.ceil(total / size),
            "totalCount": total,
        }
        return json_response(affair_answer(data))

    def _fault_response(self, fault: Fault, normal: Callable[[], Response]) -> Response:
        if fault.kind == "http-500":
            return html_response("<html><body><h1>500 Internal Server Error</h1></body></html>", status=500)
        if fault.kind == "error-json":
            return json_response(affair_answer(None, 500, "系统繁忙，请稍后再试"))
        if fault.kind in CHALLENGE_STATUS:
            return dataclasses.replace(_wall(), status=CHALLENGE_STATUS[fault.kind])
        answer = normal()
        if fault.kind == "timeout":
            return dataclasses.replace(answer, delay=fault.delay)
        return dataclasses.replace(answer, body=answer.body[: len(answer.body) // 2])  # truncated
