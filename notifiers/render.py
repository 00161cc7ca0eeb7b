"""Turns a change event into the message a subscriber reads: Chinese, short, and showing what changed.

A reader decides from the message alone whether to open the document, so a modified clause shows the
changed words in place (``…不超过【1000】→【500】万元支持``) rather than the whole clause twice.
The same content is produced twice, as plain text and as Markdown, from one composition routine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, timezone

from notifiers.events import DISTRICT_LABELS, KIND_LABELS, LEVEL_LABELS, ChangeEvent, Clause

CONTEXT_CHARS = 15
"""Unchanged characters shown on each side of a changed fragment."""
MAX_FRAGMENT_CHARS = 60
"""Longest deleted, inserted, added or removed text shown before it is cut with ``…``."""
MAX_SUMMARY_LINES = 5
MAX_SUMMARY_LINE_CHARS = 120

_BEIJING = timezone(timedelta(hours=8))  # fixed offset: China has no daylight saving, no tzdata needed
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*\d*)([.>+-])")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    """Plain text, for e-mail text parts and webhooks."""
    body_markdown: str
    """The same content as Markdown, for services that render it (e-mail HTML, chat apps)."""


@dataclass(frozen=True)
class _Style:
    text: Callable[[str], str]
    """Makes document text safe to embed."""
    strong: Callable[[str], str]
    link: Callable[[str], str]


def _markdown_escape(text: str) -> str:
    # '<' as an entity: scraped text must never become HTML in an e-mail.
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")
    return _MARKDOWN_LINE_START.sub(r"\1\\\2", text)


_PLAIN = _Style(text=lambda text: text, strong=lambda text: text, link=lambda url: url)
_MARKDOWN = _Style(
    text=_markdown_escape,
    strong=lambda text: f"**{_markdown_escape(text)}**" if text else "",
    link=lambda url: f"<{url}>",
)


def kind_label(kind: str) -> str:
    """``修订 amended``: the Chinese label for readers plus the code that filters and logs use."""
    label = KIND_LABELS.get(kind)
    return f"{label} {kind}" if label else kind


def render(event: ChangeEvent, *, max_clauses: int = 10) -> Message:
    """The message for ``event``; at most ``max_clauses`` clauses are shown, the rest are counted."""
    title = f"【{kind_label(event.kind)}】{event.title}"
    if event.doc_number:
        title += f"（{event.doc_number}）"
    return Message(
        title=title,
        body=_compose(event, _PLAIN, max_clauses),
        body_markdown=_compose(event, _MARKDOWN, max_clauses),
    )


def _compose(event: ChangeEvent, style: _Style, max_clauses: int) -> str:
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
        ("文号", style.text(event.doc_number or "")),
        ("发文机关", style.text(event.agency or "")),
        ("范围", style.text(scope)),
        ("链接", style.link(event.url)),
        ("检测时间", event.detected_at.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M（北京时间）")),
        ("存档", style.text(event.archive_ref)),
    ]
    lines += [f"{label}：{value}" for label, value in fields if value]
    sections = ["\n".join(lines)]
    summary = _summary_lines(event.summary)
    if summary:
        sections.append("\n".join(["摘要：", *("  " + style.text(line) for line in summary)]))
    if event.clauses:
        shown = event.clauses[:max_clauses]
        sections.append(f"变动条款（共{len(event.clauses)}处）：")
        sections.append(
            "\n".join(
                f"- {style.text(clause['path'] or '正文')}：{_clause(clause, style)}" for clause in shown
            )
        )
        hidden = len(event.clauses) - len(shown)
        if hidden:
            sections.append(f"另有{hidden}处修改，完整内容见 {style.text(event.archive_ref)}")
    # Blank lines between sections: Markdown needs them around a list.
    return "\n\n".join(sections)


def _summary_lines(summary: str) -> list[str]:
    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    shown = [_cut(line, MAX_SUMMARY_LINE_CHARS) for line in lines[:MAX_SUMMARY_LINES]]
    return [*shown, "…"] if len(lines) > MAX_SUMMARY_LINES else shown


def _clause(clause: Clause, style: _Style) -> str:
    if clause["op"] == "added":
        return f"新增「{style.text(_cut(_flat(clause['after'] or '')))}」"
    if clause["op"] == "removed":
        return f"删除「{style.text(_cut(_flat(clause['before'] or '')))}」"
    segments = _segments(clause["fragments"])
    if not any(isinstance(segment, tuple) for segment in segments):
        segments = [(_flat(clause["before"] or ""), _flat(clause["after"] or ""))]
    last = len(segments) - 1
    parts = []
    for index, segment in enumerate(segments):
        if isinstance(segment, tuple):
            deleted, inserted = segment
            parts.append(f"【{style.text(_cut(deleted))}】→【{style.strong(_cut(inserted))}】")
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
