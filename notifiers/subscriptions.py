"""Who is told about which change, how and when: the subscription file, its validation, and redaction.

A subscription file is checked whole before anything is sent, because a half-read file would silently
drop someone's alerts. Apprise URLs carry passwords and webhook tokens, so every URL that is shown
(errors, stored delivery errors, logs) goes through ``redact_url`` first, and every secret value the
file uses is masked wherever its text goes.
"""

from __future__ import annotations

import difflib
import functools
import logging
import os
import re
import string
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import quote

import apprise
import yaml
from apprise.common import MATCH_ALL_TAG
from apprise.plugins.base import NotifyBase
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from detect.priority import PRIORITY_NAMES
from notifiers.events import DISTRICT_LABELS, KIND_LABELS, LEVEL_LABELS, ChangeEvent
from notifiers.schedule import WEEKDAYS, Digest

MASK = "****"
TOPICS_FILE = Path(__file__).with_name("topics.yaml")

_NAME = re.compile(r"[a-z0-9_-]{1,128}")  # 128: the width of outbox.subscription
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)")
_SECRET_KEY = re.compile(r"token|key|secret|pass|pwd|auth|sig|credential", re.IGNORECASE)
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.~=+]{16,}")
_URL_IN_TEXT = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.IGNORECASE)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_DURATION = re.compile(r"(\d+)\s*([smh])")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}
_MIN_SECRET_CHARS = 4
"""Shorter values of a service's private fields are not masked in text: they would mangle it."""

_TOP_KEYS = ("subscriptions", "secrets_file", "archive_url", "delivery")
_SUBSCRIPTION_KEYS = ("name", "urls", "apprise_config", "tags", "filters", "mode", "operators")
_FILTER_KEYS = ("districts", "levels", "sources", "agencies", "keywords", "topics", "kinds", "min_priority")
_KEYWORD_KEYS = ("any", "all")
_DELIVERY_KEYS = ("max_attempts", "backoff", "max_backoff")
_ARCHIVE_FIELDS = ("change_id", "document_id")
_MODES = ("immediate", "daily", "weekly")
_VOCABULARIES: dict[str, Collection[str]] = {
    "districts": DISTRICT_LABELS,
    "levels": LEVEL_LABELS,
    "kinds": KIND_LABELS,
}


class SubscriptionError(ValueError):
    """The subscription file was refused; ``problems`` holds one ``file:line: reason; fix`` per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Topic:
    name: str
    group: str
    keywords: tuple[str, ...]


@functools.cache
def topics() -> dict[str, Topic]:
    """The named keyword sets shipped in ``topics.yaml`` (where each comes from is written there)."""
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    return {
        name: Topic(name, entry["group"], tuple(entry["keywords"])) for name, entry in data["topics"].items()
    }


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failed delivery is tried again: the wait doubles from ``backoff`` up to ``max_backoff``.

    The defaults ride out an outage of about six hours before a row is failed for operators to see.
    """

    max_attempts: int = 12
    backoff: timedelta = timedelta(minutes=1)
    max_backoff: timedelta = timedelta(hours=1)

    def wait(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        return min(self.backoff * 2 ** min(attempts - 1, 30), self.max_backoff)


@dataclass(frozen=True)
class Filters:
    """Every filter that is set must match (AND); within a filter any listed value matches (OR)."""

    districts: frozenset[str] | None = None
    levels: frozenset[str] | None = None
    sources: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    """None: every kind except ``editorial`` (wording fixes are alerted only when asked for)."""
    agencies: tuple[str, ...] | None = None
    """Any of these must be part of the issuing body's name as the platform writes it (``长宁区``)."""
    keywords: tuple[str, ...] | None = None
    """Any of these must be mentioned."""
    keywords_all: tuple[str, ...] | None = None
    """Each of these must be mentioned."""
    topics: tuple[Topic, ...] | None = None
    """Any keyword of any of these topics must be mentioned."""
    min_priority: int = 0

    def matches(self, event: ChangeEvent) -> bool:
        texts = [text.casefold() for text in event.texts()]
        return (
            _any_of(self.districts, event.district)
            and _any_of(self.levels, event.level)
            and (self.sources is None or not self.sources.isdisjoint(event.sources))
            and (event.kind in self.kinds if self.kinds is not None else event.kind != "editorial")
            and event.priority >= self.min_priority
            and (self.agencies is None or any(agency in (event.agency or "") for agency in self.agencies))
            and (self.keywords is None or any(_mentioned(keyword, texts) for keyword in self.keywords))
            and all(_mentioned(keyword, texts) for keyword in self.keywords_all or ())
            and (
                self.topics is None
                or any(_mentioned(keyword, texts) for topic in self.topics for keyword in topic.keywords)
            )
        )


def _any_of(allowed: frozenset[str] | None, value: str | None) -> bool:
    return allowed is None or value in allowed


def _mentioned(keyword: str, texts: list[str]) -> bool:
    keyword = keyword.casefold()
    return any(keyword in text for text in texts)


@dataclass(frozen=True)
class Subscription:
    """A named set of channels, the filters a change must pass to reach them, and when it is sent."""

    name: str
    urls: tuple[str, ...] = field(default=(), repr=False)
    """Apprise URLs with ``${VAR}`` references expanded: they contain secrets, never show them."""
    apprise_config: Path | None = None
    """An apprise YAML/TEXT config file to take the channels from instead of ``urls``."""
    tags: tuple[str, ...] = ()
    """With ``apprise_config``: use only the services with any of these tags (none: every service)."""
    filters: Filters = Filters()
    digest: Digest | None = None
    """None: each change is sent at once; else changes are collected into daily or weekly digests."""
    retry: RetryPolicy = RetryPolicy()
    archive_url: str | None = None
    """Where a reader can open the archived change: a URL with ``{change_id}`` / ``{document_id}``."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Secret values this subscription uses, masked by ``redact_text`` wherever its text goes."""
    operators: bool = False
    """True: receives health alerts (a source failing, blocked, drifting, stale; undelivered alerts)
    instead of document changes."""

    def matches(self, event: ChangeEvent) -> bool:
        return not self.operators and self.filters.matches(event)


def redact_url(url: str) -> str:
    """``url`` with its password, token-like host/path parts and secret-named query values masked.

    Works on the raw string instead of a URL parser: apprise URLs put tokens where parsers choke
    (``tgram://123:ABC.../``), and a redactor that raises would leak the URL in the traceback.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return MASK
    rest, question, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        netloc = f"{_mask_token(user)}{':' + MASK if colon else ''}@{_mask_parts(hostport, ':')}"
    else:
        netloc = _mask_parts(hostport, ":")
    redacted = f"{scheme}://{netloc}{slash}{_mask_parts(path, '/')}"
    if question:
        redacted += "?" + "&".join(_mask_query_pair(pair) for pair in query.split("&"))
    return redacted


def _mask_token(part: str) -> str:
    # Webhook tokens are long and mix letters and digits; ids (all digits) and words stay readable.
    looks_like_token = (
        _TOKEN_CHARS.fullmatch(part) is not None
        and any(c.isdigit() for c in part)
        and any(c.isalpha() for c in part)
    )
    return MASK if looks_like_token else part


def _mask_parts(text: str, separator: str) -> str:
    return separator.join(_mask_token(part) for part in text.split(separator))


def _mask_query_pair(pair: str) -> str:
    key, equals, value = pair.partition("=")
    if not equals:
        return _mask_token(pair)
    return f"{key}={MASK if _SECRET_KEY.search(key) else _mask_token(value)}"


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every URL in it redacted and every given secret masked, ready to show or store."""
    text = _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)
    # Longest first, so a secret that contains another one is masked whole.
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


_LOGGED_SECRETS: set[str] = set()
"""Every secret any subscription file used: masked in the log lines of the libraries that send."""


class _RedactingFilter(logging.Filter):
    """apprise logs some URLs verbatim (``Unparseable JSON URL json://user:pw@``) and urllib3 logs request
    paths with their query (``/robot/send?access_token=…``): mask them first."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_text(record.getMessage(), _LOGGED_SECRETS), ()
        return True


# A logger filter runs before every handler, including the root handlers records propagate to.
for _logger in ("apprise", "urllib3.connectionpool"):
    logging.getLogger(_logger).addFilter(_RedactingFilter())


def service_secrets(service: NotifyBase) -> list[str]:
    """The values of a service's private fields (password, token, key): secrets even when written in
    the file or in an apprise config in clear."""
    values = (
        getattr(service, name, None) for name, spec in service.template_tokens.items() if spec.get("private")
    )
    return [value for value in values if isinstance(value, str) and len(value) >= _MIN_SECRET_CHARS]


def config_services(path: Path, tags: tuple[str, ...]) -> list[NotifyBase]:
    """The services of an apprise config file with any of ``tags`` (every service without tags)."""
    config = apprise.AppriseConfig()
    config.add(str(path))
    notifier = apprise.Apprise()
    notifier.add(config)
    return list(notifier.find(tag=list(tags) if tags else MATCH_ALL_TAG))


def load_subscriptions(path: str | Path) -> list[Subscription]:
    """Reads and checks the whole file; any problem refuses all of it (``SubscriptionError``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SubscriptionError(
            [f"{path}: cannot read the subscription file ({exc}); fix the path"]
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        # Only the problem and its line: str(exc) quotes the offending line, which may hold a secret.
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SubscriptionError(
            [f"{path}:{line}: not valid YAML ({exc.problem}); fix the syntax on or just before that line"]
        ) from None
    reader = _Reader(path)
    subscriptions = reader.file(root)
    if reader.problems:
        raise SubscriptionError(reader.problems)
    return subscriptions


class _Reader:
    """Walks the composed YAML nodes, so every problem is reported with the line it is on.

    Scalars are read as their raw text: YAML 1.1 coercions (``no`` -> False, ``0123`` -> 83,
    ``09:00`` -> 540) must not change a keyword, a name or a time.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self.file_secrets: dict[str, str] = {}
        self.secrets_path: Path | None = None

    def problem(self, node: Node | None, reason: str, fix: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(f"{self.path}:{line}: {reason}; {fix}")

    def file(self, root: Node | None) -> list[Subscription]:
        if root is None:
            self.problem(None, "the file is empty", "start it with `subscriptions:` followed by a list")
            return []
        fields = self.mapping(root, _TOP_KEYS, "the file")
        if "secrets_file" in fields:
            self.secrets_file(fields["secrets_file"])
        archive_url = self.archive_url(fields["archive_url"]) if "archive_url" in fields else None
        retry = self.delivery(fields["delivery"]) if "delivery" in fields else RetryPolicy()
        entries = fields.get("subscriptions")
        if entries is None:
            self.problem(root, "no `subscriptions:` list", "add `subscriptions:` followed by a list")
            return []
        if not isinstance(entries, SequenceNode):
            self.problem(entries, "`subscriptions` is not a list", "write each subscription as `- name: ...`")
            return []
        subscriptions: list[Subscription] = []
        first_lines: dict[str, int] = {}
        for entry in entries.value:
            subscription = self.subscription(entry, archive_url, retry)
            if subscription is None:
                continue
            if subscription.name in first_lines:
                self.problem(
                    entry,
                    f"duplicate subscription name '{subscription.name}' (first at line "
                    f"{first_lines[subscription.name]})",
                    "give each subscription its own name",
                )
                continue
            first_lines[subscription.name] = entry.start_mark.line + 1
            subscriptions.append(subscription)
        return subscriptions

    def subscription(self, node: Node, archive_url: str | None, retry: RetryPolicy) -> Subscription | None:
        fields = self.mapping(node, _SUBSCRIPTION_KEYS, "a subscription")
        name = self.name(node, fields.get("name"))
        tags = (
            tuple(str(tag.value) for tag in self.strings(fields["tags"], "tags")) if "tags" in fields else ()
        )
        urls: list[str] = []
        config: Path | None = None
        secrets: list[str] = []
        if "urls" in fields and "apprise_config" in fields:
            self.problem(
                fields["apprise_config"],
                "a subscription has both `urls` and `apprise_config`",
                "keep one of them",
            )
        elif "apprise_config" in fields:
            config, secrets = self.apprise_config(fields["apprise_config"], tags)
        elif "urls" in fields:
            urls, secrets = self.urls(fields["urls"])
        else:
            self.problem(
                node,
                "subscription without `urls` or `apprise_config`",
                "add `urls:` with at least one apprise URL, or `apprise_config:` with an apprise config file",
            )
        if tags and "apprise_config" not in fields:
            self.problem(
                fields["tags"],
                "`tags` without `apprise_config`",
                "tags select services of an apprise config; remove them",
            )
        filters = self.filters(fields["filters"]) if "filters" in fields else Filters()
        digest = self.mode(fields["mode"]) if "mode" in fields else None
        operators = self.operators(fields["operators"], fields) if "operators" in fields else False
        if name is None or not (urls or config):
            return None
        return Subscription(
            name=name,
            urls=tuple(urls),
            apprise_config=config,
            tags=tags,
            filters=filters,
            digest=digest,
            retry=retry,
            archive_url=archive_url,
            secrets=tuple(secrets),
            operators=operators,
        )

    def operators(self, node: Node, fields: dict[str, Node]) -> bool:
        raw = self.string(node, "operators")
        if raw not in ("true", "false"):
            if raw is not None:
                self.problem(node, f"operators '{raw}' is not true or false", "write `operators: true`")
            return False
        for key in ("filters", "mode") if raw == "true" else ():
            if key in fields:
                self.problem(
                    fields[key],
                    f"`{key}` on an operators subscription",
                    "health alerts go out at once and unfiltered; remove it",
                )
        return raw == "true"

    def name(self, parent: Node, node: Node | None) -> str | None:
        if node is None:
            self.problem(parent, "subscription without a name", "add `name: <id>` (a-z, 0-9, '-', '_')")
            return None
        name = self.string(node, "name")
        if name is not None and not _NAME.fullmatch(name):
            self.problem(node, f"invalid name '{name}'", "use 1-128 lowercase letters, digits, '-' or '_'")
            return None
        return name

    def urls(self, node: Node) -> tuple[list[str], list[str]]:
        urls: list[str] = []
        secrets: list[str] = []
        for item in self.strings(node, "urls"):
            expanded = self.expand(item)
            if expanded is None:
                continue
            url, values = expanded
            secrets += self.remember([*values, *(quote(value, safe="") for value in values)])
            service = apprise.Apprise.instantiate(url)
            if service is None:
                self.problem(
                    item,
                    f"apprise cannot use the URL {_shown(str(item.value))}",
                    "check its scheme and required parts (https://github.com/caronc/apprise/wiki)",
                )
                continue
            secrets += self.remember(service_secrets(service))
            urls.append(url)
        return urls, secrets

    def apprise_config(self, node: Node, tags: tuple[str, ...]) -> tuple[Path | None, list[str]]:
        value = self.string(node, "apprise_config")
        if value is None:
            return None, []
        path = self.path.parent / value
        if not path.is_file():
            self.problem(
                node,
                f"apprise config file {path} does not exist",
                "fix the path (a relative path starts at this file's folder)",
            )
            return None, []
        services = config_services(path, tags)
        if not services:
            wanted = f" tagged {', '.join(tags)}" if tags else ""
            self.problem(
                node,
                f"apprise config file {path} has no usable service{wanted}",
                "check its URLs and tags (`apprise --config FILE --tag TAG --dry-run` lists them)",
            )
            return None, []
        return path, self.remember([secret for service in services for secret in service_secrets(service)])

    def remember(self, secrets: list[str]) -> list[str]:
        """Registers secrets for the log filter; returns them."""
        _LOGGED_SECRETS.update(secrets)
        return secrets

    def expand(self, node: ScalarNode) -> tuple[str, list[str]] | None:
        """The URL with ``${VAR}`` replaced, and the values used (secrets to mask later).

        A variable comes from the environment, else from the secrets file.
        """
        template = str(node.value)
        names = _ENV_REF.findall(template)
        values = {name: os.environ.get(name) or self.file_secrets.get(name) for name in names}
        unset = [name for name, value in values.items() if not value]
        for name in unset:
            where = f"the environment or {self.secrets_path}" if self.secrets_path else "the environment"
            self.problem(
                node,
                f"variable {name} is not set (or empty) in {where}",
                f"set {name} in the environment or in a `secrets_file:`, or remove the reference",
            )
        if unset:
            return None
        used = [value for value in values.values() if value]
        if _ENV_REF.fullmatch(template):
            return used[0], used
        # Inside a URL a value is percent-encoded, so a password with '@' or '/' cannot break the URL
        # (apprise decodes it again); a reference that is the whole URL is taken as it is.
        return _ENV_REF.sub(lambda match: quote(values[match.group(1)] or "", safe=""), template), used

    def secrets_file(self, node: Node) -> None:
        """KEY=VALUE lines (``#`` comments, blank lines); values are never repeated in a problem."""
        value = self.string(node, "secrets_file")
        if value is None:
            return
        path = self.path.parent / value
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(node, f"cannot read the secrets file {path} ({type(exc).__name__})", "fix the path")
            return
        self.secrets_path = path
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            match = _SECRET_LINE.fullmatch(line.strip())
            if match is None:
                self.problems.append(
                    f"{path}:{number}: not a KEY=VALUE line; write one secret per line as NAME=value"
                )
                continue
            self.file_secrets[match.group(1)] = _unquote(match.group(2).strip())

    def archive_url(self, node: Node) -> str | None:
        value = self.string(node, "archive_url")
        if value is None:
            return None
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError:
            names = {"{"}
        unknown = sorted(names - set(_ARCHIVE_FIELDS))
        if not value.startswith(("http://", "https://")) or unknown:
            self.problem(
                node,
                f"archive_url '{value}' is not an http(s) URL template",
                "write it like https://archive.example.org/change/{change_id} ({change_id}, {document_id})",
            )
            return None
        return value

    def delivery(self, node: Node) -> RetryPolicy:
        fields = self.mapping(node, _DELIVERY_KEYS, "delivery")
        policy = RetryPolicy()
        attempts = policy.max_attempts
        if "max_attempts" in fields:
            raw = self.string(fields["max_attempts"], "delivery.max_attempts")
            if raw is not None and raw.isdigit() and 1 <= int(raw) <= 100:
                attempts = int(raw)
            elif raw is not None:
                self.problem(
                    fields["max_attempts"], f"max_attempts '{raw}' is not 1-100", "give a whole number"
                )
        backoff = self.duration(fields.get("backoff"), "backoff", policy.backoff)
        longest = self.duration(fields.get("max_backoff"), "max_backoff", policy.max_backoff)
        if longest < backoff:
            self.problem(
                fields.get("max_backoff", node),
                "max_backoff is shorter than backoff",
                "make max_backoff at least backoff",
            )
        return RetryPolicy(max_attempts=attempts, backoff=backoff, max_backoff=max(longest, backoff))

    def duration(self, node: Node | None, key: str, default: timedelta) -> timedelta:
        if node is None:
            return default
        raw = self.string(node, f"delivery.{key}")
        match = _DURATION.fullmatch(raw or "")
        if match is None or int(match.group(1)) == 0:
            if raw is not None:
                self.problem(node, f"{key} '{raw}' is not a positive duration", "write it as 30s, 5m or 2h")
            return default
        return timedelta(**{_DURATION_UNITS[match.group(2)]: int(match.group(1))})

    def mode(self, node: Node) -> Digest | None:
        """``immediate``, ``daily [HH:MM]`` or ``weekly [day] [HH:MM]``: Asia/Shanghai, 09:00, monday."""
        raw = self.string(node, "mode")
        if raw is None:
            return None
        every, *rest = raw.split()
        if every not in _MODES:
            self.problem(
                node,
                f"unknown mode '{raw}'{_did_you_mean(every, _MODES)}",
                "use immediate, `daily 09:00` or `weekly monday 09:00` (local time, Asia/Shanghai)",
            )
            return None
        if every == "immediate":
            if rest:
                self.problem(node, f"mode '{raw}': immediate takes no time", "write `mode: immediate`")
            return None
        weekday = 0
        if every == "weekly" and rest and not _CLOCK.fullmatch(rest[0]):
            day = rest.pop(0).lower()
            matching = [n for n, name in enumerate(WEEKDAYS) if day in (name, name[:3])]
            if not matching:
                self.problem(
                    node, f"unknown day '{day}' in mode '{raw}'", f"use one of: {', '.join(WEEKDAYS)}"
                )
                return None
            weekday = matching[0]
        at = self.clock(rest[0]) if len(rest) == 1 else time(9, 0) if not rest else None
        if at is None:
            self.problem(
                node,
                f"bad time '{' '.join(rest)}' in mode '{raw}'",
                "give one local time as HH:MM (00:00-23:59), e.g. `daily 09:00`",
            )
            return None
        return Digest(every=every, at=at, weekday=weekday)

    def clock(self, text: str) -> time | None:
        match = _CLOCK.fullmatch(text)
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            return None
        return time(int(match.group(1)), int(match.group(2)))

    def filters(self, node: Node) -> Filters:
        fields = self.mapping(node, _FILTER_KEYS, "filters")
        values: dict[str, list[str]] = {}
        for key in ("districts", "levels", "sources", "agencies", "topics", "kinds"):
            if key in fields:
                values[key] = self.vocabulary(fields[key], key)
        any_of, all_of = self.keywords(fields["keywords"]) if "keywords" in fields else (None, None)
        min_priority = 0
        if "min_priority" in fields:
            raw = self.string(fields["min_priority"], "filters.min_priority")
            if raw in PRIORITY_NAMES:
                min_priority = PRIORITY_NAMES.index(raw)
            elif raw is not None:
                self.problem(
                    fields["min_priority"],
                    f"unknown priority '{raw}'{_did_you_mean(raw, PRIORITY_NAMES)}",
                    f"use one of: {', '.join(PRIORITY_NAMES)}",
                )

        def chosen(key: str) -> frozenset[str] | None:
            return frozenset(values[key]) if key in values else None

        return Filters(
            districts=chosen("districts"),
            levels=chosen("levels"),
            sources=chosen("sources"),
            kinds=chosen("kinds"),
            agencies=tuple(values["agencies"]) if "agencies" in values else None,
            keywords=any_of,
            keywords_all=all_of,
            topics=tuple(topics()[name] for name in values["topics"] if name in topics())
            if "topics" in values
            else None,
            min_priority=min_priority,
        )

    def vocabulary(self, node: Node, key: str) -> list[str]:
        """A list filter; values of a fixed vocabulary (districts, levels, kinds, topics) are checked."""
        items = self.strings(node, f"filters.{key}")
        vocabulary = topics() if key == "topics" else _VOCABULARIES.get(key)
        for item in items if vocabulary is not None else ():
            if item.value not in vocabulary:
                self.problem(
                    item,
                    f"unknown {key[:-1]} '{item.value}'{_did_you_mean(item.value, vocabulary)}",
                    f"use one of: {', '.join(vocabulary)}",
                )
        return [str(item.value) for item in items]

    def keywords(self, node: Node) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
        """``[a, b]`` (any of them) or ``{any: [a, b], all: [c, d]}``."""
        if not isinstance(node, MappingNode):
            return tuple(str(item.value) for item in self.strings(node, "filters.keywords")), None
        fields = self.mapping(node, _KEYWORD_KEYS, "filters.keywords")
        if not fields:
            self.problem(
                node, "`filters.keywords` has neither `any` nor `all`", "write `keywords: {all: [a, b]}`"
            )
        any_of, all_of = (
            tuple(str(item.value) for item in self.strings(fields[key], f"filters.keywords.{key}"))
            if key in fields
            else None
            for key in _KEYWORD_KEYS
        )
        return any_of, all_of

    def mapping(self, node: Node, allowed: tuple[str, ...], where: str) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.problem(
                node, f"{where} is not a mapping", f"write it as `key: value` lines ({', '.join(allowed)})"
            )
            return {}
        fields: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in allowed:
                self.problem(
                    key_node,
                    f"unknown key '{key}' in {where}{_did_you_mean(key, allowed)}",
                    f"allowed keys: {', '.join(allowed)}",
                )
            elif key in fields:
                self.problem(key_node, f"key '{key}' given twice in {where}", "keep one of them")
            else:
                fields[key] = value_node
        return fields

    def strings(self, node: Node, where: str) -> list[ScalarNode]:
        """A non-empty list of non-empty scalars; an empty filter would silently match nothing."""
        if not isinstance(node, SequenceNode) or not node.value:
            self.problem(
                node, f"`{where}` is not a non-empty list", f"write it as `{where.split('.')[-1]}: [a, b]`"
            )
            return []
        return [item for item in node.value if self.string(item, where) is not None]

    def string(self, node: Node, where: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag == "tag:yaml.org,2002:null" or not node.value.strip():
            self.problem(node, f"`{where}` has an empty or non-text value", "give it a text value")
            return None
        return str(node.value)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _shown(template: str) -> str:
    """A URL as written in the file, safe to show: a bare ``${VAR}`` reference reveals nothing."""
    return template if _ENV_REF.fullmatch(template) else redact_url(template)


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
