"""The play of the 上海市统一政策发布平台 (the /gwk/policy JSON API and /zhengce SPA), sites.md §2.

It serves the fixtures in tests/fixtures/sh-platform through the timeline in ``timeline.py``, and behaves
like a picky Java backend behind a WAF: JSON only, error JSON with HTTP 200, bot challenges when told to.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tests.site.faults import Fault
from tests.site.protocol import NOT_FOUND, Request, Response, html_response, json_response
from tests.site.timeline import AMENDMENT, STEPS, Amendment, apply_step, native_id, step_named

__all__ = ["ALL_SITE_IDS", "AMENDMENT", "SITE_IDS", "STEP_NAMES", "Amendment", "PlatformPlay", "documents"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sh-platform"
LIST_PATH = "/gwk/policy/page"
DETAIL_PATH = "/gwk/policy/detail"
SHELL_PATH = "/zhengce/detail"
OK_MESSAGE = "操作成功"
DEFAULT_PAGE_SIZE = 10
CHALLENGE_COOKIE = "FSSBBIl1UgzbN7NO=" + hashlib.sha256(b"policywatch ruishu cookie").hexdigest()[:54]
CHALLENGE_STATUS = {"challenge": 202, "412": 412}


@functools.cache
def _built_documents(folder: str = "documents") -> tuple[dict[str, Any], ...]:
    """The detail payloads of a fixture folder, read once: the ``_fixture`` note is for readers, never
    served. ``documents`` holds the step-1 documents, ``documents-later`` those later steps add."""
    paths = sorted(FIXTURES.glob(f"{folder}/*.json"))
    return tuple(json.loads(path.read_text(encoding="utf-8"))["data"] for path in paths)


def _all_documents() -> tuple[dict[str, Any], ...]:
    return _built_documents() + _built_documents("documents-later")


@functools.cache
def _step_documents(step: str) -> tuple[dict[str, Any], ...]:
    later = {native_id(doc): doc for doc in _built_documents("documents-later")}
    return tuple(apply_step(step_named(step), list(_built_documents()), later))


def documents(step: str = "1-initial") -> list[dict[str, Any]]:
    """The documents (detail payloads: record fields plus ``txt``) as ``step`` serves them, in list order."""
    return copy.deepcopy(list(_step_documents(step)))


STEP_NAMES: tuple[str, ...] = tuple(STEPS)
SITE_IDS: tuple[str, ...] = tuple(sorted({doc["siteId"] for doc in _built_documents()}))
"""The sites of the step-1 documents; a list request naming no site asks for these."""
ALL_SITE_IDS: tuple[str, ...] = tuple(sorted({doc["siteId"] for doc in _all_documents()}))


def _record(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "txt"}


def _spring_error(status: int, error: str, path: str) -> Response:
    """How the backend's framework rejects a request before the API code sees it."""
    return json_response({"status": status, "error": error, "path": path}, status=status)


class BadRequest(ValueError):
    """The JSON body is not what the API accepts."""


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise BadRequest from None
    if not isinstance(data, dict):
        raise BadRequest
    return data


def _list_query(body: dict[str, Any]) -> tuple[list[str], int, int]:
    """siteIdList (none or empty: every site), pageNo and pageSize of a list request."""
    site_ids = body.get("siteIdList") or list(SITE_IDS)
    page_no, page_size = body.get("pageNo", 1), body.get("pageSize", DEFAULT_PAGE_SIZE)
    if not (isinstance(site_ids, list) and all(isinstance(site_id, str) for site_id in site_ids)):
        raise BadRequest
    for value in (page_no, page_size):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BadRequest
    return site_ids, page_no, page_size


def _detail_query(body: dict[str, Any]) -> tuple[str, str]:
    site_id, business_id = body.get("siteId"), body.get("businessId")
    if not (isinstance(site_id, str) and isinstance(business_id, str)):
        raise BadRequest
    return site_id, business_id


class PlatformPlay:
    """Routing and responses of the platform; the server owns the step and the faults and passes them in."""

    steps: Sequence[str] = STEP_NAMES

    def __init__(self) -> None:
        self._shell = (FIXTURES / "spa_shell.html").read_text(encoding="utf-8")
        self._challenge = (FIXTURES / "challenge.html").read_text(encoding="utf-8")
        self._business_ids = {doc["businessId"] for doc in _all_documents()}

    def check_fault(self, fault: Fault) -> None:
        if fault.site_id is not None and fault.site_id not in ALL_SITE_IDS:
            raise ValueError(
                f"no document of siteId {fault.site_id!r}; site ids are {', '.join(ALL_SITE_IDS)}"
            )
        if fault.business_id is not None and fault.business_id not in self._business_ids:
            raise ValueError(f"no document with businessId {fault.business_id!r}")

    def respond(self, request: Request, step: str, faults: Sequence[Fault]) -> Response:
        route = (request.method, request.path)
        if route == ("GET", SHELL_PATH):
            return html_response(self._shell)
        if route not in {("POST", LIST_PATH), ("POST", DETAIL_PATH)}:
            return NOT_FOUND
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return _spring_error(415, "Unsupported Media Type", request.path)
        try:
            body = _json_object(request.body)
            if request.path == LIST_PATH:
                site_ids, page_no, page_size = _list_query(body)
                hits = [fault for fault in faults if fault.hits_list(site_ids)]
                normal = functools.partial(self._list, step, site_ids, page_no, page_size)
            else:
                site_id, business_id = _detail_query(body)
                hits = [fault for fault in faults if fault.hits_detail(business_id)]
                normal = functools.partial(self._detail, step, site_id, business_id)
        except BadRequest:
            return _spring_error(400, "Bad Request", request.path)
        return self._fault_response(hits[0], normal) if hits else normal()

    def _list(self, step: str, site_ids: list[str], page_no: int, page_size: int) -> Response:
        matching = [_record(doc) for doc in _step_documents(step) if doc["siteId"] in site_ids]
        start = (page_no - 1) * page_size
        return json_response(
            {
                "code": 0,
                "msg": OK_MESSAGE,
                "data": {
                    "records": matching[start : start + page_size],
                    "totalPage": math.ceil(len(matching) / page_size),
                    "totalCount": len(matching),
                    "pageNo": page_no,
                    "pageSize": page_size,
                },
            }
        )

    def _detail(self, step: str, site_id: str, business_id: str) -> Response:
        key = (site_id, business_id)
        document = next(
            (doc for doc in _step_documents(step) if (doc["siteId"], doc["businessId"]) == key), None
        )
        if document is None:
            return json_response({"code": 500, "msg": "数据不存在", "data": None})
        return json_response({"code": 0, "msg": OK_MESSAGE, "data": document})

    def _fault_response(self, fault: Fault, normal: Callable[[], Response]) -> Response:
        """The response ``fault`` puts in place of the normal one (computed only when the fault needs it)."""
        if fault.kind == "http-500":
            return html_response("<html><body><h1>500 Internal Server Error</h1></body></html>", status=500)
        if fault.kind == "error-json":
            return json_response({"code": 500, "msg": "系统繁忙，请稍后再试", "data": None})
        if fault.kind in CHALLENGE_STATUS:
            cookie = (("Set-Cookie", f"{CHALLENGE_COOKIE}; Path=/; HttpOnly"),)
            return html_response(self._challenge, status=CHALLENGE_STATUS[fault.kind], headers=cookie)
        answer = normal()
        if fault.kind == "timeout":
            return dataclasses.replace(answer, delay=fault.delay)
        # truncated: cut at a character boundary, so the body is valid UTF-8 but broken JSON.
        text = answer.body.decode("utf-8")
        return dataclasses.replace(answer, body=text[: len(text) // 2].encode("utf-8"))
