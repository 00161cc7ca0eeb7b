"""Turns changes into the messages subscribers read: Chinese, short, and showing what changed.

A reader decides from the message alone whether to open the document, so a modified clause shows the
changed words in place (``…不超过【1000】→【500】万元支持``) rather than the whole clause twice. Each
message is composed once as blocks (lines, lists, headings) and written in three styles: plain text
(webhooks, text-only chat bots), Markdown (Slack, DingTalk in markdown mode) and HTML (e-mail, where
the old words are struck through in red and the new ones underlined in green).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from detect.priority import PRIORITY_NAMES
from notifiers.events import (
    DISTRICT_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    LIFECYCLE_KINDS,
    ChangeEvent,
    Clause,
)
from notifiers.schedule import SHANGHAI, Digest

CONTEXT_CHARS = 15
"""Unchanged characters shown on each side of a changed fragment."""
MAX_FRAGMENT_CHARS = 60
"""Longest deleted, inserted, added or removed text shown before it is cut with ``…``."""
MAX_SUMMARY_LINES = 5
MAX_SUMMARY_LINE_CHARS = 120
MAX_DIGEST_CLAUSES = 3
"""Clauses shown per change in a digest; the rest are counted."""

TEXT, MARKDOWN, HTML = "text", "markdown", "html"
STYLES = (TEXT, MARKDOWN, HTML)
PRIORITY_LABELS = ("低", "一般", "高", "紧急")

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*\d*)([.>+-])")
_WHITESPACE = re.compile(r"\s+")
_DELETED_CSS = "color:#b31d28;background:#ffeef0"
_INSERTED_CSS = "color:#22863a;background:#e6ffed"


@dataclass(frozen=True)
class Message:
    title: str
    bodies: dict[str, str]
    """The body in each style (TEXT, MARKDOWN, HTML)."""
    more: dict[str, str]
    """Per style, the line that ends a body cut to a channel's size: where to read all of it."""

    @property
    def body(self) -> str:
        return self.bodies[TEXT]

    @property
    def body_markdown(self) -> str:
        return self.bodies[MARKDOWN]

    @property
    def body_html(self) -> str:
        return self.bodies[HTML]

    def fitted(self, style: str, *, max_chars: int | None = None, max_bytes: int | None = None) -> str:
        """The body in ``style`` within the limits (UTF-8 bytes for services that count bytes): cut
        after the last whole line that fits, followed by the ``more`` line."""
        body = self.bodies[style]
        if _fits(body, max_chars, max_bytes):
            return body
        tail = "\n\n" + self.more[style]
        lines = body.split("\n")
        kept = 0
        while kept < len(lines) and _fits("\n".join(lines[: kept + 1]) + tail, max_chars, max_bytes):
            kept += 1
        if kept:
            return "\n".join(lines[:kept]) + tail
        return _truncate(body, max_chars, max_bytes)


def _fits(text: str, max_chars: int | None, max_bytes: int | None) -> bool:
    return (max_chars is None or len(text) <= max_chars) and (
        max_bytes is None or len(text.encode("utf-8")) <= max_bytes
    )


def _truncate(text: str, max_chars: int | None, max_bytes: int | None) -> str:
    if max_chars is not None:
        text = text[:max_chars]
    if max_bytes is not None:
        text = text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")
    return text


@dataclass(frozen=True)
class _Style:
    text: Callable[[str], str]
    """Makes document text safe to embed."""
    strong: Callable[[str], str]
    link: Callable[[str], str]
    change: Callable[[str, str], str]
    """(deleted, inserted) inside a modified clause."""
    added: Callable[[str], str]
    removed: Callable[[str], str]
    heading: Callable[[str], str]
    lines: Callable[[Sequence[str]], str]
    bullets: Callable[[Sequence[str]], str]
    separator: str


def _markdown_escape(text: str) -> str:
    # '<' as an entity: scraped text must never become HTML in an e-mail or a chat client.
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")
    return _MARKDOWN_LINE_START.sub(r"\1\\\2", text)


def _markdown_strong(text: str) -> str:
    return f"**{_markdown_escape(text)}**" if text else ""


def _html_strong(text: str) -> str:
    return f"<strong>{html.escape(text)}</strong>" if text else ""


def _html_link(url: str) -> str:
    # The URL is also the link text: the e-mail's text part keeps only text.
    return f'<a href="{html.escape(url)}">{html.escape(url)}</a>'


def _span(tag: str, css: str) -> Callable[[str], str]:
    return lambda text: f'<{tag} style="{css}">{html.escape(text)}</{tag}>' if text else ""


_html_deleted = _span("del", _DELETED_CSS)
_html_inserted = _span("ins", _INSERTED_CSS)

_STYLES: dict[str, _Style] = {
    TEXT: _Style(
        text=lambda text: text,
        strong=lambda text: text,
        link=lambda url: url,
        change=lambda deleted, inserted: f"【{deleted}】→【{inserted}】",
        added=lambda text: f"新增「{text}」",
        removed=lambda text: f"删除「{text}」",
        heading=lambda text: f"■ {text}",
        lines="\n".join,
        bullets=lambda items: "\n".join(f"- {item}" for item in items),
        separator="\n\n",
    ),
    MARKDOWN: _Style(
        text=_markdown_escape,
        strong=_markdown_strong,
        link=lambda url: f"<{url}>",
        change=lambda deleted, inserted: f"【{_markdown_escape(deleted)}】→【{_markdown_strong(inserted)}】",
        added=lambda text: f"新增「{_markdown_escape(text)}」",
        removed=lambda text: f"删除「{_markdown_escape(text)}」",
        heading=lambda text: f"#### {text}",
        # Two spaces: a hard line break in CommonMark (and in DingTalk's Markdown).
        lines="  \n".join,
        bullets=lambda items: "\n".join(f"- {item}" for item in items),
        separator="\n\n",
    ),
    HTML: _Style(
        text=html.escape,
        strong=_html_strong,
        link=_html_link,
        # Brackets and arrow stay in the HTML, so the text part apprise derives from it reads the same.
        change=lambda deleted, inserted: f"【{_html_deleted(deleted)}】→【{_html_inserted(inserted)}】",
        added=lambda text: f"新增「{_html_inserted(text)}」",
        removed=lambda text: f"删除「{_html_deleted(text)}」",
        heading=lambda text: f"<h3>{text}</h3>",
        lines=lambda lines: "<p>" + "<br>\n".join(lines) + "</p>",
        bullets=lambda items: "<ul>\n" + "\n".join(f"<li>{item}</li>" for item in items) + "\n</ul>",
        separator="\n",
    ),
}


def kind_label(kind: str) -> str:
    """``修订 amended``: the Chinese label for readers plus the code that filters and logs use."""
    label = KIND_LABELS.get(kind)
    return f"{label} {kind}" if label else kind


def priority_label(priority: int) -> str:
    """``高 high``."""
    index = max(0, min(len(PRIORITY_NAMES) - 1, priority))
    return f"{PRIORITY_LABELS[index]} {PRIORITY_NAMES[index]}"


def archive_link(event: ChangeEvent, archive_url: str | None) -> str | None:
    return (
        archive_url.format(change_id=event.change_id, document_id=event.document_id) if archive_url else None
    )


def render(event: ChangeEvent, *, max_clauses: int = 10, archive_url: str | None = None) -> Message:
    """The message for ``event``; at most ``max_clauses`` clauses are shown, the rest are counted."""
    title = f"【{kind_label(event.kind)}】{event.title}"
    if event.doc_number:
        title += f"（{event.doc_number}）"
    link = archive_link(event, archive_url)
    full = link or event.diff_ref
    return Message(
        title=title,
        bodies={name: _compose(event, style, max_clauses, link) for name, style in _STYLES.items()},
        more={
            name: f"……（消息过长，已截断。完整差异：{_reference(full, style)}）"
            for name, style in _STYLES.items()
        },
    )


def _reference(reference: str, style: _Style) -> str:
    """A link when it is a URL, else a command shown as text."""
    return style.link(reference) if "://" in reference else style.text(reference)


def _compose(event: ChangeEvent, style: _Style, max_clauses: int, link: str | None) -> str:
    lines = [f"{style.strong(kind_label(event.kind))}：{style.text(event.title)}"]
    scope = " · ".join(
        label
        for label in (
            DISTRICT_LABELS.get(event.district or "", event.district),
            LEVEL_LABELS.get(event.level or "", event.level),
        )
        if label
    )
    fields = [
        ("重要程度", priority_label(event.priority)),
        ("文号", style.text(event.doc_number or "")),
        ("发文机关", style.text(event.agency or "")),
        ("范围", style.text(scope)),
        ("状态", style.text(event.status or "未标注")),
        ("有效期", style.text(event.validity or "")),
        ("发布日期", style.text(event.published or "")),
        ("链接", style.link(event.url)),
        ("检测时间", _beijing(event.detected_at)),
        ("存档", style.link(link) if link else style.text(event.archive_ref)),
    ]
    lines += [f"{label}：{value}" for label, value in fields if value]
    blocks = [style.lines(lines)]
    if event.evidence or event.kind in LIFECYCLE_KINDS:
        blocks.append(_evidence(event, style))
    summary = _summary_lines(event.summary)
    if summary:
        blocks.append(style.lines(["摘要：", *("  " + style.text(line) for line in summary)]))
    if event.clauses:
        shown = event.clauses[:max_clauses]
        blocks.append(style.lines([f"变动条款（共{len(event.clauses)}处）："]))
        blocks.append(style.bullets([_clause_line(clause, style) for clause in shown]))
        hidden = len(event.clauses) - len(shown)
        if hidden:
            reference = _reference(link or event.diff_ref, style)
            blocks.append(style.lines([f"另有{hidden}处修改，完整内容见 {reference}"]))
    return style.separator.join(blocks)


def _evidence(event: ChangeEvent, style: _Style) -> str:
    """What proves the change: the document stating it and its words, else the source page's status."""
    if event.evidence is None:
        status = f"（状态：{style.text(event.status)}）" if event.status else ""
        return style.lines([f"依据：来源页面{status} {style.link(event.url)}"])
    proof = event.evidence
    lines = [
        f"依据：{style.text(proof.title)}"
        + (f"（{style.text(proof.doc_number)}）" if proof.doc_number else "")
        + (f" {style.link(proof.url)}" if proof.url else "")
    ]
    if proof.quote:
        lines.append(f"原文：「{style.text(_cut(_flat(proof.quote), MAX_SUMMARY_LINE_CHARS))}」")
    return style.lines(lines)


def _beijing(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M（北京时间）")


def _summary_lines(summary: str) -> list[str]:
    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    shown = [_cut(line, MAX_SUMMARY_LINE_CHARS) for line in lines[:MAX_SUMMARY_LINES]]
    return [*shown, "…"] if len(lines) > MAX_SUMMARY_LINES else shown


def _clause_line(clause: Clause, style: _Style) -> str:
    return f"{style.text(clause['path'] or '正文')}：{_clause(clause, style)}"


def _clause(clause: Clause, style: _Style) -> str:
    if clause["op"] == "added":
        return style.added(_cut(_flat(clause["after"] or "")))
    if clause["op"] == "removed":
        return style.removed(_cut(_flat(clause["before"] or "")))
    segments = _segments(clause["fragments"])
    if not any(isinstance(segment, tuple) for segment in segments):
        segments = [(_flat(clause["before"] or ""), _flat(clause["after"] or ""))]
    last = len(segments) - 1
    parts = []
    for index, segment in enumerate(segments):
        if isinstance(segment, tuple):
            deleted, inserted = segment
            parts.append(style.change(_cut(deleted), _cut(inserted)))
        else:
            parts.append(style.text(_context(segment, first=index == 0, last=index == last)))
    return "".join(parts)


def _segments(fragments: list[tuple[int, str]]) -> list[str | tuple[str, str]]:
    """Kept text as ``str``; each run of deletions and insertions merged into one (deleted, inserted)."""
    segments: list[str | tuple[str, str]] = []
    for op, raw in fragments:
        text = _flat(raw)
        previous = segments[-1] if segments else None
        if op == 0:
            segments.append(text)
        elif isinstance(previous, tuple):
            deleted, inserted = previous
            segments[-1] = (deleted + text, inserted) if op < 0 else (deleted, inserted + text)
        else:
            segments.append((text, "") if op < 0 else ("", text))
    return segments


def _context(text: str, *, first: bool, last: bool) -> str:
    """Unchanged text around changes, shortened to CONTEXT_CHARS next to each change."""
    if first:
        return text if len(text) <= CONTEXT_CHARS else "…" + text[-CONTEXT_CHARS:]
    if last:
        return text if len(text) <= CONTEXT_CHARS else text[:CONTEXT_CHARS] + "…"
    if len(text) <= 2 * CONTEXT_CHARS:
        return text
    return text[:CONTEXT_CHARS] + "…" + text[-CONTEXT_CHARS:]


def _flat(text: str) -> str:
    return _WHITESPACE.sub(" ", text)


def _cut(text: str, limit: int = MAX_FRAGMENT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_digest(
    subscription: str,
    key: str,
    events: Sequence[ChangeEvent],
    *,
    digest: Digest | None = None,
    archive_url: str | None = None,
) -> Message:
    """One message for the changes of one digest period, most important first, grouped by document.

    ``digest`` (the subscription's schedule) states the period's hours when it still matches ``key``.
    """
    window = digest.window(key) if digest else None
    kind = "每周摘要" if key.startswith("weekly:") else "每日摘要"
    title = f"【policywatch {kind}】{key.partition(':')[2]}：{len(events)}项政策变动"
    since = f" --since {window[0].isoformat()}" if window else ""
    return Message(
        title=title,
        bodies={
            name: _compose_digest(subscription, key, events, style, window, archive_url)
            for name, style in _STYLES.items()
        },
        more={
            name: f"……（摘要过长，已截断。完整列表：{style.text('policywatch changes' + since)}）"
            for name, style in _STYLES.items()
        },
    )


def _compose_digest(
    subscription: str,
    key: str,
    events: Sequence[ChangeEvent],
    style: _Style,
    window: tuple[datetime, datetime] | None,
    archive_url: str | None,
) -> str:
    period = f"{_beijing(window[0])} 至 {_beijing(window[1])}" if window else key
    intro = f"订阅「{style.text(subscription)}」{period}检测到{len(events)}项变动，按重要程度排列。"
    blocks = [style.lines([intro])]
    ranked = sorted(events, key=lambda event: (-event.priority, event.change_id))
    for priority, of_priority in groupby(ranked, key=lambda event: event.priority):
        changes = list(of_priority)
        blocks.append(style.heading(f"{priority_label(priority)}（{len(changes)}项）"))
        by_document: dict[int, list[ChangeEvent]] = {}
        for event in changes:
            by_document.setdefault(event.document_id, []).append(event)
        for document_changes in by_document.values():
            blocks.append(_digest_document(document_changes, style, archive_url))
    return style.separator.join(blocks)


def _digest_document(changes: list[ChangeEvent], style: _Style, archive_url: str | None) -> str:
    first = changes[0]
    heading = style.strong(first.title) + (f"（{style.text(first.doc_number)}）" if first.doc_number else "")
    details = " · ".join(style.text(part) for part in (first.agency, first.status, first.validity) if part)
    lines = [heading, *([details] if details else []), f"链接：{style.link(first.url)}"]
    items = []
    for event in changes:
        shown = [_clause_line(clause, style) for clause in event.clauses[:MAX_DIGEST_CLAUSES]]
        hidden = len(event.clauses) - len(shown)
        if hidden:
            shown.append(f"另有{hidden}处修改")
        if not shown:
            shown = [style.text(line) for line in _summary_lines(event.summary)[:1]]
        link = archive_link(event, archive_url)
        reference = style.link(link) if link else style.text(event.diff_ref)
        items.append(f"{style.strong(kind_label(event.kind))}：{'；'.join(shown)}（{reference}）")
    return style.separator.join([style.lines(lines), style.bullets(items)])


def render_test(subscription: str, details: Sequence[str]) -> Message:
    """The message ``policywatch subscriptions test`` sends: proves the channel works, says what comes."""
    lines = [
        f"这是一条测试消息：订阅「{subscription}」的政策变动提醒将通过此渠道送达。",
        *details,
    ]
    return plain_message(f"【policywatch 测试】订阅 {subscription}", lines)


def plain_message(title: str, lines: Sequence[str], more: str = "……") -> Message:
    """A message of plain lines in every channel's style (tests of a channel, operators' notices);
    ``more`` ends a body cut to fit a channel's size limit."""
    return Message(
        title=title,
        bodies={name: style.lines([style.text(line) for line in lines]) for name, style in _STYLES.items()},
        more={name: style.text(more) for name, style in _STYLES.items()},
    )
