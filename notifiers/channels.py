"""Sending one message to every channel of a subscription, each in the form and size it can take.

Each apprise service is sent to on its own: e-mail gets our HTML (apprise derives the text part from
it), services that take Markdown (Slack, DingTalk with ``format=markdown``) our Markdown, the rest our
plain text (escaped by apprise for other HTML services), cut to the size the service accepts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import apprise
from apprise.conversion import convert_between
from apprise.plugins.base import NotifyBase
from apprise.plugins.email import NotifyEmail

from notifiers.render import HTML, MARKDOWN, TEXT, Message
from notifiers.subscriptions import Subscription, config_services, redact_text

# What the services accept, in UTF-8 bytes of the body, where it is stricter than apprise's body_maxlen.
# WeCom group bots: text content "最长不超过2048个字节" (work.weixin.qq.com/api/doc/90000/90136/91770).
# Feishu and Lark custom bots refuse request bodies over 20 KB; apprise posts JSON with \uXXXX escapes,
# six bytes for a Chinese character that is three in UTF-8, so the body gets half of it. DingTalk
# publishes no exact figure for custom robots (20 KB is the one commonly reported): treated alike.
MAX_BYTES: dict[str, int] = {"wecombot": 2048, "feishu": 9_500, "lark": 9_500, "dingtalk": 9_500}

_FORMAT_OF_STYLE = {
    HTML: apprise.NotifyFormat.HTML,
    MARKDOWN: apprise.NotifyFormat.MARKDOWN,
    TEXT: apprise.NotifyFormat.TEXT,
}
_SEPARATOR = "\r\n"
"""What apprise puts between title and body for services without a title field."""


@dataclass(frozen=True)
class Channel:
    """How to write for one service: the style of its body and how long the body may be."""

    style: str
    max_chars: int | None
    max_bytes: int | None


def channel_of(service: NotifyBase, title: str) -> Channel:
    """Services without a title field get the title in front of the body: it counts against the limit."""
    if isinstance(service, NotifyEmail):  # no size that matters to a mail; format=text asks for text
        style = HTML if service.notify_format == apprise.NotifyFormat.HTML else TEXT
        return Channel(style=style, max_chars=None, max_bytes=None)
    merged = len(title) + len(_SEPARATOR) if service.title_maxlen <= 0 and title else 0
    max_bytes = MAX_BYTES.get(str(service.secure_protocol))
    return Channel(
        style=MARKDOWN if service.notify_format == apprise.NotifyFormat.MARKDOWN else TEXT,
        max_chars=service.body_maxlen - merged if service.body_maxlen > 0 else None,
        max_bytes=max_bytes - len(title.encode("utf-8")) - len(_SEPARATOR)
        if max_bytes and merged
        else max_bytes,
    )


def services(subscription: Subscription) -> list[NotifyBase]:
    if subscription.apprise_config is not None:
        return config_services(subscription.apprise_config, subscription.tags)
    found = (apprise.Apprise.instantiate(url) for url in subscription.urls)
    return [service for service in found if service is not None]


def send(subscription: Subscription, message: Message) -> str | None:
    """Sends to every service of the subscription; None on full success, else the (redacted) reasons."""
    targets = services(subscription)
    if not targets:
        return "no usable apprise service (the apprise config changed since the subscriptions were loaded?)"
    failures = []
    for service in targets:
        channel = channel_of(service, message.title)
        body = message.fitted(channel.style, max_chars=channel.max_chars, max_bytes=channel.max_bytes)
        body = convert_between(_FORMAT_OF_STYLE[channel.style], service.notify_format, body)
        # One at a time in this thread, so apprise's warnings are this service's reasons.
        with _apprise_warnings() as warnings:
            # Only True is success (apprise 1.x returns False on failure, None when nothing was sent).
            sent = service.notify(title=message.title, body=body, body_format=service.notify_format)
        if sent is not True:
            reason = "; ".join(warnings) or "apprise reported a failure without a reason"
            failures.append(f"{service.url(privacy=True)}: {reason}")
    if not failures:
        return None
    return redact_text("; ".join(failures), subscription.secrets)


@contextmanager
def _apprise_warnings() -> Iterator[list[str]]:
    """apprise gives the reason for a failure only in its log: collect this thread's warnings."""
    collector = _ThreadWarnings()
    logger = logging.getLogger("apprise")
    logger.addHandler(collector)
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)


class _ThreadWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())
