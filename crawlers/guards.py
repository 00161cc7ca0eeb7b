"""Tell a usable response from the things that only look like one.

Government sites answer bot walls, JavaScript shells and error envelopes with HTTP 200 or 202. Each
check returns a typed Fault instead of letting such a page become a document (or an empty list that
reads as "every document was deleted").
"""

from __future__ import annotations

import json
import re
from typing import Any

from parsel import SelectorList
from scrapy.http import Response, TextResponse

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


# -- HTML pages (district and commission sites) ------------------------------------------------------------

# What a Ruishu page carries besides its status (sites.md §0.4, §3.2, §8): the `$_ts` bootstrap object, tags
# marked r="m", and a loader script under a random-looking top-level folder.
_RUISHU_BOOTSTRAP = re.compile(rb"\$_ts\b")
_RUISHU_MARK = re.compile(rb"\sr=[\"']m[\"']", re.IGNORECASE)
_TAG = re.compile(rb"<(meta|script)\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(rb"\ssrc=[\"']([^\"']+)[\"']", re.IGNORECASE)
_COOKIE_NAME = re.compile(rb"^\s*([^=;\s]+)=")
_HTML_END = re.compile(rb"</html\s*>", re.IGNORECASE)
# A JavaScript shell: scripts, an empty mount point for the front end (`<div id="app"></div>`, as the
# platform's /zhengce pages, sites.md §0.1) and next to no text of its own.
_SHELL_MAX_TEXT = 200
_VISIBLE_TEXT = "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]"
_EMPTY_MOUNT = "//body//*[@id='app' or @id='root'][not(node())]"


def challenge_evidence(response: Response) -> list[str]:
    """Why a response is taken for a bot wall, for the crawl record: status, wall cookies, page markers."""
    evidence = [f"HTTP {response.status}"]
    cookies = (_COOKIE_NAME.match(cookie) for cookie in response.headers.getlist("Set-Cookie"))
    walled = [match[1].decode("latin-1") for match in cookies if match and _CHALLENGE_COOKIE.search(match[1])]
    if walled:
        evidence.append(f"cookies {', '.join(walled)}")
    head = response.body[:65536]
    if _RUISHU_BOOTSTRAP.search(head):
        evidence.append("$_ts bootstrap script")
    marked = [tag[0] for tag in _TAG.finditer(head) if _RUISHU_MARK.search(tag[0])]
    if marked:
        evidence.append('tags marked r="m"')
    evidence += [f"loader {src[1].decode('latin-1')}" for tag in marked if (src := _SRC.search(tag))]
    return evidence


def blocked_fault(response: Response) -> Fault | None:
    """``challenge_fault`` with the evidence in its detail, so the crawl run shows why it was blocked."""
    fault = challenge_fault(response)
    if fault is not None and fault.kind == "challenge":
        return Fault("challenge", response.url, f"{fault.detail}: {'; '.join(challenge_evidence(response))}")
    return fault


def page_fault(response: Response) -> Fault | None:
    """Why an HTML page must not be parsed at all: a bot wall (with its evidence), 403, not text, cut short.

    A page whose body was cut off by a proxy or a failing server still has its body container, and parsed
    it would read as a revision that deleted the rest of the document.
    """
    fault = blocked_fault(response)
    if fault is not None:
        return fault
    if response.status >= 400:  # a status let through for classification (settings.HTTPERROR_ALLOWED_CODES)
        return Fault("http-error", response.url, f"HTTP {response.status}")
    if not isinstance(response, TextResponse):
        return Fault("layout", response.url, "not an HTML page (a download or an empty answer)")
    if not _HTML_END.search(response.body[-4096:]):
        return Fault("truncated", response.url, f"HTML ends after {len(response.body)} bytes without </html>")
    return None


def missing_fault(response: TextResponse, what: str) -> Fault:
    """A page that lacks ``what``: a JavaScript shell (scripts, empty mount, no text) or changed layout."""
    text = "".join(response.xpath(_VISIBLE_TEXT).getall()).strip()
    if len(text) < _SHELL_MAX_TEXT and _SCRIPT.search(response.body) and response.xpath(_EMPTY_MOUNT):
        detail = f"{what}: a JavaScript shell ({len(text)} characters of text) instead of the page"
        return Fault("spa-shell", response.url, detail)
    return Fault("layout", response.url, f"{what}: not on the page (the layout changed?)")


def expect_nodes(
    response: TextResponse, selector: str, *, at_least: int
) -> tuple[SelectorList, Fault | None]:
    """spatula-style expectation for HTML: the CSS ``selector`` must match ``at_least`` times on the page."""
    nodes = response.css(selector)
    if len(nodes) >= at_least:
        return nodes, None
    what = f"`{selector}` matched {len(nodes)} times, expected at least {at_least}"
    return nodes, missing_fault(response, what)
