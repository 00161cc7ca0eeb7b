"""A local HTTP server that plays a government site for tests and demos; it never contacts a real host.

The server is generic: what it answers comes from a site play (``PlatformPlay`` by default). It keeps the
current step and faults, records the requests it receives, and exposes control endpoints so a site running
in another process (``python -m tests.site``) can be driven too:

* ``POST /_site/step`` ``{"step": "3-amended"}``
* ``POST /_site/faults`` ``[{"kind": "http-500", "site_id": "0075"}]`` (``[]`` clears them)
* ``GET /_site/requests``, ``DELETE /_site/requests``

Pages a ``GET`` gets with status 200 carry validators as a static web server sends them: an ``ETag`` (from
the body, so an edit changes it) and a ``Last-Modified`` (when the site first served that body), and a
request with a matching ``If-None-Match`` (or, without one, an ``If-Modified-Since`` not older than the
page) gets ``304 Not Modified`` with no body (RFC 9110 §13.1). ``validators=False`` plays a server that
sends none; ``cache_control`` adds a ``Cache-Control`` header (government sites send none or ``no-cache``).
``robots`` serves that text as ``/robots.txt`` (otherwise the play answers it: a 404 for every play).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import threading
import time
from collections.abc import Iterable
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.site.faults import Fault
from tests.site.platform import PlatformPlay
from tests.site.protocol import RecordedRequest, Request, Response, SitePlay, json_response

CONTROL_PREFIX = "/_site/"


class TestSite:
    """The site on 127.0.0.1 in a daemon thread: ``with TestSite() as site: get(site.base_url + …)``."""

    # Not a test class, although pytest would collect it by its name.
    __test__ = False

    def __init__(
        self,
        play: SitePlay | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        step: str | None = None,
        log_requests: bool = False,
        validators: bool = True,
        cache_control: str | None = None,
        robots: str | None = None,
    ) -> None:
        self.play: SitePlay = play or PlatformPlay()
        self.log_requests = log_requests
        self.validators = validators
        self.cache_control = cache_control
        self.robots = robots
        # path -> (ETag, Last-Modified as epoch seconds) of the body last served there.
        self._versions: dict[str, tuple[str, int]] = {}
        self._address = (host, port)
        self._lock = threading.Lock()
        self._step = self.play.steps[0]
        self._faults: tuple[Fault, ...] = ()
        self._requests: list[RecordedRequest] = []
        # Set on stop, so requests sleeping in a timeout fault end with the server.
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        if step is not None:
            self.set_step(step)

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the test site is already running")
        self._stopping.clear()
        self._server = _Server(self._address, _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-site", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the test site is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def step(self) -> str:
        return self._step

    def set_step(self, name: str) -> None:
        if name not in self.play.steps:
            raise ValueError(f"unknown step {name!r}; steps are {', '.join(self.play.steps)}")
        with self._lock:
            self._step = name

    @property
    def faults(self) -> tuple[Fault, ...]:
        return self._faults

    def set_faults(self, faults: Iterable[Fault]) -> None:
        """Replace the active faults; each must target a document the play has."""
        faults = tuple(faults)
        for fault in faults:
            self.play.check_fault(fault)
        with self._lock:
            self._faults = faults

    def clear_faults(self) -> None:
        self.set_faults(())

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def answer(self, request: Request) -> Response:
        """The play's response to ``request`` under the current step and faults, recorded."""
        arrived = time.time()
        with self._lock:
            step, faults = self._step, self._faults
        if self.robots is not None and (request.method, request.path) == ("GET", "/robots.txt"):
            response = Response(200, self.robots.encode("utf-8"), "text/plain; charset=utf-8")
        else:
            response = self.play.respond(request, step, faults)
        response = self._conditional(request, response)
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            body = None
        recorded = RecordedRequest(
            request.method, request.path, request.query, body, response.status, arrived, request.headers
        )
        with self._lock:
            self._requests.append(recorded)
        return response

    def _conditional(self, request: Request, response: Response) -> Response:
        """The page with its validators, or a 304 when the request's validators still match it."""
        if not self.validators or request.method != "GET" or response.status != 200:
            return response
        etag = '"' + hashlib.sha256(response.body).hexdigest()[:24] + '"'
        with self._lock:
            previous = self._versions.get(request.path)
            if previous is None or previous[0] != etag:
                # Whole seconds, as HTTP dates go; an edit always moves the date on.
                modified = max(int(time.time()), previous[1] + 1 if previous else 0)
                self._versions[request.path] = (etag, modified)
            modified = self._versions[request.path][1]
        headers = (*response.headers, ("ETag", etag), ("Last-Modified", formatdate(modified, usegmt=True)))
        if self.cache_control:
            headers += (("Cache-Control", self.cache_control),)
        if _not_modified(request.headers, etag, modified):
            return dataclasses.replace(response, status=304, body=b"", headers=headers)
        return dataclasses.replace(response, headers=headers)

    def pause(self, seconds: float) -> bool:
        """Wait like a slow backend; True when the site was stopped meanwhile (then nothing is answered)."""
        return self._stopping.wait(seconds)

    def control(self, method: str, path: str, body: bytes) -> Response:
        """The control endpoints; a bad step or fault is a 400 with the reason."""
        route = (method, path.removeprefix(CONTROL_PREFIX))
        try:
            if route == ("POST", "step"):
                data = _json(body)
                if not isinstance(data, dict) or not isinstance(data.get("step"), str):
                    raise ValueError('expected {"step": "<name>"}')
                self.set_step(data["step"])
            elif route == ("POST", "faults"):
                data = _json(body)
                if not isinstance(data, list):
                    raise ValueError("expected a JSON list of faults")
                self.set_faults(Fault.from_json(item) for item in data)
            elif route == ("GET", "requests"):
                return json_response([dataclasses.asdict(request) for request in self.requests])
            elif route == ("DELETE", "requests"):
                self.reset_requests()
            else:
                return json_response({"error": f"no control endpoint {method} {path}"}, status=404)
        except ValueError as error:
            return json_response({"error": str(error)}, status=400)
        return json_response(
            {"step": self.step, "faults": [dataclasses.asdict(fault) for fault in self.faults]}
        )


def _not_modified(headers: dict[str, str], etag: str, modified: int) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present (weak comparison); else If-Modified-Since."""
    if "if-none-match" in headers:
        tags = [tag.strip().removeprefix("W/") for tag in headers["if-none-match"].split(",")]
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(since).timestamp() >= modified
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise ValueError("the body is not JSON") from None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], site: TestSite) -> None:
        self.site = site
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        site = self.server.site
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        if url.path.startswith(CONTROL_PREFIX):
            self._send(site.control(self.command, url.path, body))
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, url.path, dict(parse_qsl(url.query)), headers, body)
        response = site.answer(request)
        if response.delay and site.pause(response.delay):
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout fault); nothing left to answer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.site.log_requests:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")
