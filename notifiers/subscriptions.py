"""Who is told about which change: the subscription file, its validation, and URL redaction.

A subscription file is checked whole before anything is sent, because a half-read file would silently
drop someone's alerts. Apprise URLs carry passwords and webhook tokens, so every URL that is shown
(errors, stored delivery errors, logs) goes through ``redact_url`` first.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import apprise
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from notifiers.events import DISTRICT_LABELS, KIND_LABELS, LEVEL_LABELS, ChangeEvent

MASK = "****"

_NAME = re.compile(r"[a-z0-9_-]{1,128}")  # 128: the width of outbox.subscription
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_KEY = re.compile(r"token|key|secret|pass|pwd|auth|sig|credential", re.IGNORECASE)
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.~=+]{16,}")
_URL_IN_TEXT = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]+", re.IGNORECASE)

_TOP_KEYS = ("subscriptions",)
_SUBSCRIPTION_KEYS = ("name", "urls", "filters")
_VOCABULARIES: dict[str, Collection[str]] = {
    "districts": DISTRICT_LABELS,
    "levels": LEVEL_LABELS,
    "kinds": KIND_LABELS,
}
_FILTER_KEYS = ("districts", "levels", "sources", "keywords", "kinds")


class SubscriptionError(ValueError):
    """The subscription file was refused; ``problems`` holds one ``file:line: reason; fix`` per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Subscription:
    """A named set of apprise URLs and the filters a change must pass to be sent to them.

    Each filter that is set must match (AND); within a filter any listed value matches (OR).
    """

    name: str
    urls: tuple[str, ...] = field(repr=False)
    """Apprise URLs with environment references expanded: they contain secrets, never show them."""
    districts: frozenset[str] | None = None
    levels: frozenset[str] | None = None
    sources: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    keywords: tuple[str, ...] | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Values taken from the environment, masked by ``redact_text`` wherever this subscription's text goes."""

    def matches(self, event: ChangeEvent) -> bool:
        return (
            _any_of(self.districts, event.district)
            and _any_of(self.levels, event.level)
            and _any_of(self.sources, event.source)
            and _any_of(self.kinds, event.kind)
            and (self.keywords is None or _mentions(event, self.keywords))
        )


def _any_of(allowed: frozenset[str] | None, value: str | None) -> bool:
    return allowed is None or value in allowed


def _mentions(event: ChangeEvent, keywords: tuple[str, ...]) -> bool:
    texts = [text.casefold() for text in event.texts()]
    return any(keyword.casefold() in text for keyword in keywords for text in texts)


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
"""Every value any subscription file took from the environment: masked in apprise's log lines."""


class _RedactingFilter(logging.Filter):
    """apprise logs some URLs verbatim (``Unparseable JSON URL json://user:pw@``): mask them first."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_text(record.getMessage(), _LOGGED_SECRETS), ()
        return True


# A logger filter runs before every handler, including the root handlers records propagate to.
logging.getLogger("apprise").addFilter(_RedactingFilter())


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

    Scalars are read as their raw text: YAML 1.1 coercions (``no`` -> False, ``0123`` -> 83) must not
    change a keyword or a name.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def problem(self, node: Node | None, reason: str, fix: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(f"{self.path}:{line}: {reason}; {fix}")

    def file(self, root: Node | None) -> list[Subscription]:
        if root is None:
            self.problem(None, "the file is empty", "start it with `subscriptions:` followed by a list")
            return []
        fields = self.mapping(root, _TOP_KEYS, "the file")
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
            subscription = self.subscription(entry)
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

    def subscription(self, node: Node) -> Subscription | None:
        fields = self.mapping(node, _SUBSCRIPTION_KEYS, "a subscription")
        name = self.name(node, fields.get("name"))
        urls, secrets = self.urls(node, fields.get("urls"))
        filters = self.filters(fields["filters"]) if "filters" in fields else {}
        if name is None or not urls:
            return None

        def chosen(key: str) -> frozenset[str] | None:
            return frozenset(filters[key]) if key in filters else None

        return Subscription(
            name=name,
            urls=tuple(urls),
            districts=chosen("districts"),
            levels=chosen("levels"),
            sources=chosen("sources"),
            kinds=chosen("kinds"),
            keywords=tuple(filters["keywords"]) if "keywords" in filters else None,
            secrets=tuple(secrets),
        )

    def name(self, parent: Node, node: Node | None) -> str | None:
        if node is None:
            self.problem(parent, "subscription without a name", "add `name: <id>` (a-z, 0-9, '-', '_')")
            return None
        name = self.string(node, "name")
        if name is not None and not _NAME.fullmatch(name):
            self.problem(node, f"invalid name '{name}'", "use 1-128 lowercase letters, digits, '-' or '_'")
            return None
        return name

    def urls(self, parent: Node, node: Node | None) -> tuple[list[str], list[str]]:
        if node is None:
            self.problem(parent, "subscription without `urls`", "add `urls:` with at least one apprise URL")
            return [], []
        urls: list[str] = []
        secrets: list[str] = []
        for item in self.strings(node, "urls"):
            expanded = self.expand(item)
            if expanded is None:
                continue
            url, values = expanded
            url_secrets = [*values, *(quote(value, safe="") for value in values)]
            secrets += url_secrets
            _LOGGED_SECRETS.update(url_secrets)
            if not apprise.Apprise().add(url):
                self.problem(
                    item,
                    f"apprise cannot use the URL {_shown(str(item.value))}",
                    "check its scheme and required parts (https://github.com/caronc/apprise/wiki)",
                )
                continue
            urls.append(url)
        return urls, secrets

    def expand(self, node: ScalarNode) -> tuple[str, list[str]] | None:
        """The URL with ``${VAR}`` replaced, and the values used (secrets to mask later)."""
        template = str(node.value)
        names = _ENV_REF.findall(template)
        unset = [name for name in names if not os.environ.get(name)]
        for name in unset:
            self.problem(
                node,
                f"environment variable {name} is not set (or empty)",
                f"set {name} in the environment of policywatch, or remove the reference",
            )
        if unset:
            return None
        values = [os.environ[name] for name in names]
        if _ENV_REF.fullmatch(template):
            return values[0], values
        # Inside a URL a value is percent-encoded, so a password with '@' or '/' cannot break the URL
        # (apprise decodes it again); a reference that is the whole URL is taken as it is.
        return _ENV_REF.sub(lambda match: quote(os.environ[match.group(1)], safe=""), template), values

    def filters(self, node: Node) -> dict[str, list[str]]:
        filters: dict[str, list[str]] = {}
        for key, value in self.mapping(node, _FILTER_KEYS, "filters").items():
            items = self.strings(value, f"filters.{key}")
            if not items:
                continue
            vocabulary = _VOCABULARIES.get(key)
            if vocabulary is not None:
                for item in items:
                    if item.value not in vocabulary:
                        self.problem(
                            item,
                            f"unknown {key[:-1]} '{item.value}'{_did_you_mean(item.value, vocabulary)}",
                            f"use one of: {', '.join(vocabulary)}",
                        )
            filters[key] = [str(item.value) for item in items]
        return filters

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


def _shown(template: str) -> str:
    """A URL as written in the file, safe to show: a bare ``${VAR}`` reference reveals nothing."""
    return template if _ENV_REF.fullmatch(template) else redact_url(template)


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
