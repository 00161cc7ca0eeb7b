"""Real receivers on 127.0.0.1 that record what they get, so tests assert on delivered messages.

Notifications go through apprise and the network stack exactly as in production; the assertions read
the recording (``SMTPReceiver.messages``, ``HTTPReceiver.requests``) instead of mocking the sender.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qs, quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def _free_port() -> int:
    # aiosmtpd's Controller checks readiness by connecting to its port, so it cannot be given port 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: list[str]
    login: str | None
    """The user that authenticated for this message, None without AUTH."""
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def parts(self, content_type: str) -> list[str]:
        """Decoded bodies of every part of that type (``text/plain``, ``text/html``)."""
        return [
            cast(str, part.get_content())
            for part in self.message.walk()
            if part.get_content_type() == content_type
        ]

    @property
    def text(self) -> str:
        return "\n".join(self.parts("text/plain"))


class SMTPReceiver:
    """An SMTP server on a free local port; with ``user``/``password`` it accepts only that login."""

    def __init__(self, *, user: str | None = None, password: str | None = None) -> None:
        self.user = user
        self.password = password
        self.messages: list[ReceivedMail] = []
        self.port = _free_port()
        auth: dict[str, Any] = (
            # Not auth_required: the recorded login shows whether the client authenticated.
            {"authenticator": self._authenticate, "auth_require_tls": False} if user is not None else {}
        )
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **auth)

    def url(
        self, *, to: str = "team@example.org", sender: str = "pw@example.org", password: str | None = None
    ) -> str:
        """The apprise mailto URL for this server; ``password`` overrides the text put in the URL."""
        credentials = ""
        if self.user is not None:
            secret = password if password is not None else quote(self.password or "", safe="")
            credentials = f"{quote(self.user, safe='')}:{secret}@"
        return (
            f"mailto://{credentials}127.0.0.1:{self.port}?from={sender}&to={to}&smtp=127.0.0.1&mode=insecure"
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        accepted = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (self.user, self.password)
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        content = envelope.original_content or b""
        self.messages.append(
            ReceivedMail(
                sender=str(envelope.mail_from),
                recipients=list(envelope.rcpt_tos),
                login=login,
                message=message_from_bytes(content, policy=policy.default),
            )
        )
        return "250 OK"

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._controller.stop()


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    content_type: str
    body: bytes
    status: int
    """The status the receiver answered with: only 2xx requests count as delivered."""

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode("utf-8")).items()}

    @property
    def delivered(self) -> bool:
        return 200 <= self.status < 300


class HTTPReceiver:
    """A webhook endpoint on a free local port that records every POST; it can be made to fail or slow."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.requests: list[ReceivedRequest] = []
        self.delay = delay
        """Seconds each answer takes, so concurrent senders really overlap."""
        self._status = 200
        self._lock = threading.Lock()
        self._server = _Server(self)
        # A short poll interval: shutdown() waits for it, and every test using the receiver pays it.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, kind: str = "json", path: str = "hook") -> str:
        """An apprise URL posting to this receiver: ``json``, ``form`` or ``xml``."""
        return f"{kind}://127.0.0.1:{self.port}/{path}"

    @property
    def delivered(self) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.delivered]

    def fail_with(self, status: int) -> None:
        """Answer every request with ``status`` (an outage) until ``recover()``."""
        self._status = status

    def recover(self) -> None:
        self._status = 200

    def record(self, path: str, content_type: str, body: bytes) -> int:
        with self._lock:
            status = self._status
            self.requests.append(ReceivedRequest(path, content_type, body, status))
            return status

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Server(ThreadingHTTPServer):
    def __init__(self, receiver: HTTPReceiver) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.receiver = receiver


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        receiver = cast(_Server, self.server).receiver
        time.sleep(receiver.delay)
        status = receiver.record(self.path, self.headers.get("Content-Type", ""), body)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the recording is the log."""
