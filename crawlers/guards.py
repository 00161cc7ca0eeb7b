"""Tell a usable response from the things that only look like one.

Government sites answer bot walls, JavaScript shells and error envelopes with HTTP 200 or 202. Each
check returns a typed Fault instead of letting such a page become a document (or an empty list that
reads as "every document was deleted").
"""

from __future__ import annotations

import json
import re
from typing import Any

from scrapy.http import Response

from crawlers.output import Fault

# Ruishu (瑞数) bot wall, sites.md §0.4: 202/412 + inline JavaScript, cookies named FSSBBIl1UgzbN7N*.
_CHALLENGE_STATUSES = {202, 412}
_CHALLENGE_COOKIE = re.compile(rb"FSSBBIl1UgzbN7N|0zaLpREBxJs7S", re.IGNORECASE)
_SCRIPT = re.compile(rb"<script", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(<!doctype|<html|<)", re.IGNORECASE)


def _cookies(response: Response) -> bytes:
    return b"; ".join(response.headers.getlist("Set-Cookie"))


def challenge_fault(response: Response) -> Fault | None:
    """An anti-bot challenge: a status the wall uses with inline JavaScript, or the wall's cookies."""
    scripted = bool(_SCRIPT.search(response.body[:65536]))
    if (response.status in _CHALLENGE_STATUSES and scripted) or _CHALLENGE_COOKIE.search(_cookies(response)):
        return Fault("challenge", response.url, f"HTTP {response.status} anti-bot challenge page")
    if response.status == 403:
        return Fault("http-error", response.url, "HTTP 403 (access refused: blocked or geo-fenced)")
    return None


def json_payload(response: Response) -> tuple[dict[str, Any] | None, Fault | None]:
    """The ``data`` member of a platform-style JSON envelope ``{"code": 0, "data": …}``, or the fault."""
    fault = challenge_fault(response)
    if fault:
        return None, fault
    body = response.body
    if _HTML_START.match(body[:512]):
        kind = "spa-shell" if _SCRIPT.search(body) else "layout"
        return None, Fault(
            kind, response.url, f"HTML ({len(body)} bytes) where a JSON API answer was expected"
        )
    try:
        envelope = json.loads(response.text)
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        detail = f"JSON ends early or is malformed after {len(body)} bytes: {exc}"
        return None, Fault("truncated", response.url, detail)
    if not isinstance(envelope, dict) or "code" not in envelope:
        return None, Fault("layout", response.url, "JSON without the {code, data} envelope")
    if envelope["code"] not in (0, "0", 200, "200"):
        detail = f"API error code {envelope['code']}: {envelope.get('msg') or envelope.get('message')}"
        return None, Fault("error-json", response.url, detail)
    if not isinstance(envelope.get("data"), dict):
        return None, Fault("layout", response.url, "API answer has no `data` object")
    return envelope["data"], None


def expect_list(data: dict[str, Any], key: str, url: str, *, at_least: int) -> tuple[list[Any], Fault | None]:
    """spatula-style expectation: the page states how many matches it needs and says so when it differs."""
    value = data.get(key)
    if not isinstance(value, list):
        return [], Fault("layout", url, f"`{key}` missing or not a list (the API layout changed?)")
    if len(value) < at_least:
        return value, Fault("empty", url, f"expected at least {at_least} `{key}`, got {len(value)}")
    return value, None
