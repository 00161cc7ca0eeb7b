"""Life-cycle events as pure functions: what a document does to others, and when validity runs out.

A notice acts on other documents: 关于延长…有效期 / …继续有效 extends them, 关于废止 and "…同时废止" repeal
them, 关于修改 amends them, and a new edition (试行 -> 正式, 2025版, 修订后重新印发) supersedes the one it
replaces. Every other reference is a citation, or an implementation when the document says it acts
"根据/依据/按照" the one it names. The archive (storage.archive) resolves references to documents and
records the changes these functions decide on.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from detect.diff import ClauseChange
from normalise.references import Reference, extract_references, quoted_titles, subject_key, title_key
from normalise.text import fold_width
from normalise.validity import extension_until, parse_chinese_date

DEFAULT_EXPIRING_DAYS = 30
WITHDRAW_AFTER_MISSES = 3
"""Consecutive successful crawls without a document before it counts as withdrawn."""

# Relations a document has to the documents it names, strongest first.
ACTS = ("supersedes", "repeals", "amends", "extends")
RELATION_KINDS = (*ACTS, "interprets", "implements", "cites")
# The change a relation makes on its target.
EFFECTS = {"supersedes": "superseded", "repeals": "repealed", "amends": "amended", "extends": "extended"}
# Changes of a document that documents citing or implementing it must review.
UPSTREAM_KINDS = frozenset({"amended", "superseded", "repealed"})
# The status a document has after a life-cycle change.
STATUS_AFTER = {
    "superseded": "失效",
    "repealed": "废止",
    "amended": "已修改",
    "extended": "有效",
    "expired": "失效",
}
IN_FORCE = frozenset({"有效", "已修改"})

_CLAUSE_BREAK = re.compile(r"[，,；;：:]")
_IMPLEMENTS = re.compile(r"(?:根据|依据|按照|遵照|参照|贯彻|落实|执行)")
_EXTENDS = re.compile(r"延长(?:至|到)|继续实施|继续有效|继续适用|继续执行|继续施行")
_AMENDS = re.compile(r"作如下修改|修改如下|作如下修订|修订如下")
# A title's own verb, read outside its quotes: 《关于修订X的通知》 quoted in a title is not a revision.
_TITLE_ACTS = (
    ("repeals", re.compile(r"废止")),
    ("extends", re.compile(r"延长.*(?:有效期|施行期限|实施期限)|继续有效|继续适用|继续施行")),
    ("revises", re.compile(r"修订|修改后的|重新印发|重新发布")),
    ("amends", re.compile(r"修改")),
    ("interprets", re.compile(r"解读")),
)
# 将第一条中的"X"修改为"Y": the edits an amendment notice lists.
_EDIT = re.compile(r"将(第[^“”\"]{1,30}?)中的[“\"](.+?)[”\"](?:修改|改)为[“\"](.+?)[”\"]")
_QUOTED = re.compile(r"《[^》]*》|〈[^〉]*〉|<[^>]*>")


@dataclass(frozen=True)
class RelationDraft:
    kind: str
    reference: Reference
    valid_until: dt.date | None = None
    """For ``extends``: the new end of validity (None: "继续有效" without a date)."""
    effective: dt.date | None = None
    """For ``repeals``: the date the repeal takes effect, when the notice gives one."""


@dataclass(frozen=True)
class Edition:
    """What decides whether one document is a new edition of another."""

    title: str
    doc_number: str | None
    published: str | None


def title_act(title: str) -> str:
    """What a document does, from the verb of its title: extends, repeals, amends, revises, ... issues."""
    outside = _QUOTED.sub("", fold_width(title))
    return next((act for act, pattern in _TITLE_ACTS if pattern.search(outside)), "issues")


def relations_of(title: str, text: str, *, own_doc_number: str | None = None) -> list[RelationDraft]:
    """The relations a document states to the documents it names, one per target and kind.

    A target acted on (extended, repealed, amended, superseded) is not also listed as cited.
    """
    act = title_act(title)
    own_subject = subject_key(title)
    references = _numbered(extract_references(text, own_doc_number=own_doc_number))
    drafts = [_draft(reference, act, own_subject) for reference in references]
    drafts += _title_drafts(title, act, references)
    strongest: dict[str, RelationDraft] = {}
    for draft in drafts:
        known = strongest.get(draft.reference.key)
        if known is None or RELATION_KINDS.index(draft.kind) < RELATION_KINDS.index(known.kind):
            strongest[draft.reference.key] = draft
    acted_on = {key for key, draft in strongest.items() if draft.kind in ACTS}
    if not acted_on:
        return list(strongest.values())
    aliases = _aliases(references)
    return [
        draft
        for key, draft in strongest.items()
        if draft.kind in ACTS or not (acted_on & aliases.get(key, {key}))
    ]


def is_new_edition(newer: Edition, older: Edition) -> bool:
    """``newer`` replaces ``older``: the same subject (试行/暂行/版 aside), issued later as a document of its
    own, not as a notice about it (an extension notice of the old edition is replaced along with it)."""
    if title_act(newer.title) not in ("issues", "revises"):
        return False
    if title_act(older.title) not in ("issues", "revises", "extends"):
        return False
    if newer.doc_number and newer.doc_number == older.doc_number:
        return False  # one document listed twice
    if not (newer.published and older.published and older.published < newer.published):
        return False
    return subject_key(newer.title) == subject_key(older.title)


def amendment_edits(text: str) -> list[ClauseChange]:
    """The edits a 关于修改 notice lists (将第一条中的"X"修改为"Y"), as clause changes of its target."""
    return [
        ClauseChange(path=path, op="modified", before=before, after=after)
        for path, before, after in _EDIT.findall(fold_width(text))
    ]


def validity_due(valid_until: dt.date, today: dt.date, days: int = DEFAULT_EXPIRING_DAYS) -> str | None:
    """``expired`` once the last day of validity has passed, ``expiring`` within ``days`` of it."""
    if today > valid_until:
        return "expired"
    if (valid_until - today).days <= days:
        return "expiring"
    return None


def withdrawn_due(missed_runs: int, after: int = WITHDRAW_AFTER_MISSES) -> bool:
    """Withdrawn only after ``after`` consecutive successful crawls without it, never on the first miss."""
    return missed_runs >= max(after, 2)


_VERBS = {"repealed": "已废止", "superseded": "已被新版本替代", "amended": "已修改", "extended": "延期"}


def summary_of(kind: str, target: str, notice: str, *, valid_until: dt.date | None = None) -> str:
    """One line saying what happened to ``target`` (《title》 and 文号) and which notice says so."""
    if kind == "extended":
        until = f"有效期延长至{_chinese(valid_until)}" if valid_until else "继续有效"
        return f"{target}{until}（依据{notice}）"
    return f"{target}{_VERBS[kind]}（依据{notice}）"


def upstream_summary(relation: str, upstream: str, kind: str, *, notice: str | None, edits: str) -> str:
    """Why a document citing or implementing ``upstream`` must be reviewed: what happened to it, and the
    notice that did it (or, for a change of its own text, the edits)."""
    verb = "依据" if relation == "implements" else "引用"
    how = f"（依据{notice}），" if notice else f"：{edits}。"
    return f"本文件{verb}的{upstream}{_VERBS.get(kind, '有变动')}{how}本文件待复核"


def expiry_summary(kind: str, valid_until: dt.date, today: dt.date) -> str:
    if kind == "expired":
        return f"有效期已于{_chinese(valid_until)}届满，未见延期"
    return f"有效期至{_chinese(valid_until)}，还剩{(valid_until - today).days}天"


def _chinese(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _draft(reference: Reference, act: str, own_subject: str) -> RelationDraft:
    clause = _clause_of(reference)
    names_own_subject = bool(reference.title) and title_key(reference.title or "") == own_subject
    if _IMPLEMENTS.search(_CLAUSE_BREAK.split(reference.before)[-1]):
        return RelationDraft("implements", reference)
    if "废止" in clause or "停止执行" in clause:
        # A new edition repealing the old one by name replaces it.
        kind = "supersedes" if act in ("issues", "revises") and names_own_subject else "repeals"
        effective = parse_chinese_date(clause) if kind == "repeals" else None
        return RelationDraft(kind, reference, effective=effective)
    if act == "extends" and (_EXTENDS.search(reference.after) or _EXTENDS.search(clause)):
        return RelationDraft("extends", reference, valid_until=extension_until(reference.after))
    if act == "amends" and (_AMENDS.search(reference.sentence) or names_own_subject):
        return RelationDraft("amends", reference)
    if act == "revises" and names_own_subject and reference.doc_number:
        return RelationDraft("supersedes", reference)
    return RelationDraft("cites", reference)


def _title_drafts(title: str, act: str, references: list[Reference]) -> list[RelationDraft]:
    """The documents a notice's title acts on, with the 文号 and sentence the body gives for them."""
    if act not in ("extends", "repeals", "amends", "interprets"):
        return []
    kind = act
    drafts = []
    for quoted in quoted_titles(title):
        key = title_key(quoted)
        named = [r for r in references if r.title and title_key(r.title) == key]
        reference = next((r for r in named if r.doc_number), None) or Reference(quoted, None, title, 0, 0)
        valid_until = extension_until(reference.after) if kind == "extends" else None
        drafts.append(RelationDraft(kind, reference, valid_until=valid_until))
    return drafts


def _clause_of(reference: Reference) -> str:
    """The clause of the sentence the reference stands in (between commas, semicolons, colons)."""
    head = _CLAUSE_BREAK.split(reference.before)[-1]
    tail = _CLAUSE_BREAK.split(reference.after)[0]
    return head + reference.sentence[reference.start : reference.end] + tail


def _numbered(references: list[Reference]) -> list[Reference]:
    """A title quoted alone gets the 文号 the text gives it elsewhere: one document, one key."""
    numbers = {title_key(r.title): r.doc_number for r in references if r.title and r.doc_number}
    return [
        replace(r, doc_number=numbers.get(title_key(r.title))) if r.title and not r.doc_number else r
        for r in references
    ]


def _aliases(references: list[Reference]) -> dict[str, set[str]]:
    """Per reference key, every key its document goes by in this text: its 文号 and its title."""
    by_title: dict[str, set[str]] = {}
    for reference in references:
        if reference.title:
            by_title.setdefault(title_key(reference.title), set()).add(reference.key)
    aliases: dict[str, set[str]] = {}
    for reference in references:
        keys = aliases.setdefault(reference.key, {reference.key})
        if reference.title:
            name = title_key(reference.title)
            keys |= {f"标题:{name}", *by_title[name]}
    return aliases
