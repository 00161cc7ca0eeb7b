"""What the generic test server and a site play exchange, so plays (the platform now, district sites later)
stay independent of the HTTP plumbing."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tests.site.faults import Fault

JSON_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html;charset=utf-8"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    """URL path without the query string."""
    query: dict[str, str]
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    """Seconds the server waits before answering (the timeout fault)."""


def json_response(payload: Any, status: int = 200) -> Response:
    """Compact UTF-8 JSON, as a Java backend writes it (no ASCII escapes, no spaces)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, JSON_TYPE)


def html_response(text: str, status: int = 200, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return Response(status, text.encode("utf-8"), HTML_TYPE, headers)


NOT_FOUND = html_response(
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    status=404,
)


class SitePlay(Protocol):
    """A site played by the test server: its timeline, which faults it accepts, and its responses."""

    @property
    def steps(self) -> Sequence[str]: ...

    def check_fault(self, fault: Fault) -> None:
        """Raise ValueError when ``fault`` targets something this site does not have."""

    def respond(self, request: Request, step: str, faults: Sequence[Fault]) -> Response: ...


@dataclass(frozen=True)
class RecordedRequest:
    """One request the site received (control requests excluded), for tests to assert on."""

    method: str
    path: str
    """URL path without the query string."""
    query: dict[str, str]
    json: Any
    """The decoded JSON body, or None when there was none or it was not JSON."""
    status: int
    time: float
    """Arrival, in seconds since the epoch."""
    headers: dict[str, str]


@dataclass(frozen=True)
class PageEdit:
    """An in-place revision of one page: ``old`` becomes ``new`` (in the page's bytes, ``encoding``)."""

    path: str
    old: str
    new: str
    encoding: str = "utf-8"

    def apply(self, body: bytes) -> bytes:
        old, new = self.old.encode(self.encoding), self.new.encode(self.encoding)
        if body.count(old) != 1:
            raise ValueError(f"the edit of {self.path} needs {self.old!r} exactly once in the page")
        return body.replace(old, new)


class EditedPlay:
    """``play`` with one more step, ``edited``, in which one page is revised in place: same URL, same list
    pages, a new text (how a site publishes a corrected document). Everything else is the last step's."""

    def __init__(self, play: SitePlay, edit: PageEdit, edited: str = "2-edited") -> None:
        self.play, self.edit, self.edited = play, edit, edited
        self.steps: tuple[str, ...] = (*play.steps, edited)

    def check_fault(self, fault: Fault) -> None:
        self.play.check_fault(fault)

    def respond(self, request: Request, step: str, faults: Sequence[Fault]) -> Response:
        if step != self.edited:
            return self.play.respond(request, step, faults)
        answer = self.play.respond(request, self.play.steps[-1], faults)
        if (request.method, request.path, answer.status) != ("GET", self.edit.path, 200):
            return answer
        return dataclasses.replace(answer, body=self.edit.apply(answer.body))
