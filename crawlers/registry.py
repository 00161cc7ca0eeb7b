"""The source registry: which sources exist, how to reach them, and which spider reads them.

Sources are data (``crawlers/sources.yaml``); a user file given with ``--sources`` is merged over the
built-in entries by ``id`` so one field (typically ``base_url``) can be changed without copying the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

BUILTIN_REGISTRY = Path(__file__).with_name("sources.yaml")

LEVELS = ("municipal", "district", "commission")
# The 16 district ids fixed for users (subscription filters, registry entries) and their names.
DISTRICTS: dict[str, str] = {
    "pudong": "浦东新区", "huangpu": "黄浦区", "jingan": "静安区", "xuhui": "徐汇区",
    "changning": "长宁区", "putuo": "普陀区", "hongkou": "虹口区", "yangpu": "杨浦区",
    "baoshan": "宝山区", "minhang": "闵行区", "jiading": "嘉定区", "jinshan": "金山区",
    "songjiang": "松江区", "qingpu": "青浦区", "fengxian": "奉贤区", "chongming": "崇明区",
}  # fmt: skip

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# AutoThrottle never waits longer than this (unless the source's own delay is longer).
AUTOTHROTTLE_MAX_DELAY = 60.0

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: str | int | float) -> timedelta:
    """``full_walk_every``: ``0`` (always) or a number with a unit, ``90m``, ``24h``, ``7d``."""
    if isinstance(value, bool):
        raise ValueError("expected 0 or a duration such as 24h")
    if isinstance(value, int | float):
        if value != 0:
            raise ValueError(f"a bare number must be 0 (always); give a unit for {value}, e.g. {value}h")
        return timedelta(0)
    found = _DURATION.match(value)
    if found is None:
        raise ValueError(f"{value!r} is not a duration; use 0 or a number with s, m, h or d (e.g. 24h)")
    return timedelta(**{_DURATION_UNITS[found[2]]: float(found[1])})


_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "name": str,
    "level": str,
    "spider": (str, type(None)),
    "base_url": str,
    "enabled": bool,
    "district": (str, type(None)),
    "platform_site_id": (str, type(None)),
    "site_ids": list,
    "page_size": int,
    "download_delay": (int, float),
    "concurrency": int,
    "download_timeout": (int, float),
    "retries": int,
    "retry_backoff": (int, float),
    # Sources read from HTML pages or a district CMS's list API (crawlers/spiders/columns.py, affair.py).
    "channels": list,
    "list_items": (str, type(None)),
    "body": list,
    "hosts": list,
    "list_api": (str, type(None)),
    "list_query": dict,
    "count_cap": (int, type(None)),
    "full_walk_every": (str, int, float),
}
# List fields held as tuples of strings (the registry is immutable once loaded).
_STRING_LISTS = ("site_ids", "channels", "body", "hosts")


class RegistryError(ValueError):
    """A sources file that cannot be used; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class SourceConfig:
    id: str
    name: str
    level: str
    base_url: str
    spider: str | None = None
    enabled: bool = True
    district: str | None = None
    platform_site_id: str | None = None
    site_ids: tuple[str, ...] = ()
    page_size: int = 20
    download_delay: float = 2.0
    concurrency: int = 1
    download_timeout: float = 30.0
    retries: int = 3
    retry_backoff: float = 2.0
    """Seconds before the first retry; doubled for each further one."""
    channels: tuple[str, ...] = ()
    """What the spider walks: column paths of a static site, channel ids of a list API, or list pages."""
    list_items: str | None = None
    """CSS selector of one entry of an HTML list page; every list page must match it at least once."""
    body: tuple[str, ...] = ()
    """CSS selectors of a detail page's body container, tried in order; the first match is the body."""
    hosts: tuple[str, ...] = ()
    """Host names the site's own absolute links use; such links are fetched through ``base_url``."""
    list_api: str | None = None
    """Path of the JSON list API (``POST``, one channel per request)."""
    list_query: dict[str, Any] = field(default_factory=dict, hash=False)
    """Members the list API needs in every request body besides channel, page and page size."""
    count_cap: int | None = None
    """A ``totalCount`` at this value is the API's cap, not the real count: walk on past ``totalPage``."""
    full_walk_every: str | int | float = "24h"
    """How often a crawl walks every list page to its end; in between, a list walk stops at the first page
    whose documents are all archived. Full walks catch in-place edits of older documents and count what
    a source no longer lists. ``0``: every crawl is a full walk."""

    @property
    def full_walk_interval(self) -> timedelta:
        return parse_duration(self.full_walk_every)

    def url(self, path: str) -> str:
        """An absolute URL on this source's host: every request a spider makes goes through here."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def scrapy_settings(self) -> dict[str, Any]:
        """This source's politeness as Scrapy settings (per host: delay, concurrency, timeout, retries).

        The delay is a floor: no random jitter below it (Scrapy's default varies it by ±50 %), and
        AutoThrottle may lengthen it but its ceiling never cuts a longer registry delay short.
        """
        return {
            "DOWNLOAD_DELAY": self.download_delay,
            "DOWNLOAD_DELAY_JITTER": 0.0,
            "AUTOTHROTTLE_START_DELAY": self.download_delay,
            "AUTOTHROTTLE_MAX_DELAY": max(AUTOTHROTTLE_MAX_DELAY, self.download_delay),
            "CONCURRENT_REQUESTS_PER_DOMAIN": self.concurrency,
            "DOWNLOAD_TIMEOUT": self.download_timeout,
            "RETRY_TIMES": self.retries,
            "RETRY_BACKOFF_BASE": self.retry_backoff,
        }

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _FIELDS}
        for name in _STRING_LISTS:
            data[name] = list(data[name])
        data["list_query"] = dict(self.list_query)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceConfig:
        known = {k: v for k, v in data.items() if k in _FIELDS}
        for name in _STRING_LISTS:
            if name in known:
                known[name] = tuple(str(value) for value in known[name])
        return cls(**known)


@dataclass(frozen=True)
class Registry:
    sources: tuple[SourceConfig, ...]

    def get(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources)
        raise RegistryError(f"unknown source {source_id!r}; known sources: {known}")

    def enabled(self, only: list[str] | None = None) -> list[SourceConfig]:
        """Sources to crawl: the enabled ones with a spider, or exactly ``only`` (which must exist)."""
        if only:
            chosen = [self.get(source_id) for source_id in only]
            unusable = [s.id for s in chosen if not s.spider]
            if unusable:
                raise RegistryError(
                    f"no spider exists yet for {', '.join(unusable)}; their documents are collected "
                    "through sh-platform (see the platform_site_id in the registry)"
                )
            return chosen
        return [s for s in self.sources if s.enabled and s.spider]

    def district_of_site(self, site_id: str | None) -> str | None:
        """The district whose platform siteId this is (a record with siteId 0074 is 长宁's)."""
        for source in self.sources:
            if site_id and source.platform_site_id == site_id and source.district:
                return source.district
        return None


def _read_entries(path: Path) -> list[dict[str, Any]]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the sources file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        raise RegistryError(f"{path}: expected a mapping with a `sources:` list of entries")
    entries = document["sources"]
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise RegistryError(f"{path}: entry {position} needs an `id` (a source id such as sh-platform)")
        unknown = sorted(set(entry) - set(_FIELDS))
        if unknown:
            raise RegistryError(
                f"{path}: source {entry['id']!r} has unknown field(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(_FIELDS)}"
            )
        for name, value in entry.items():
            expected = _FIELDS[name]
            # bool is an int in Python; `page_size: yes` must still be refused.
            if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
                raise RegistryError(f"{path}: source {entry['id']!r}: field `{name}` has the wrong type")
    return entries


def _validate(entry: dict[str, Any], origin: str) -> None:
    where = f"{origin}: source {entry['id']!r}"
    for required in ("name", "level", "base_url"):
        if required not in entry:
            raise RegistryError(f"{where}: missing `{required}`")
    if entry["level"] not in LEVELS:
        raise RegistryError(f"{where}: level must be one of {', '.join(LEVELS)}")
    if entry.get("district") is not None and entry["district"] not in DISTRICTS:
        raise RegistryError(f"{where}: unknown district {entry['district']!r}")
    parts = urlsplit(entry["base_url"])
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise RegistryError(
            f"{where}: base_url must be scheme + host only (e.g. https://www.shanghai.gov.cn), "
            f"got {entry['base_url']!r}"
        )
    try:
        parse_duration(entry.get("full_walk_every", 0))
    except ValueError as exc:
        raise RegistryError(f"{where}: full_walk_every: {exc}") from None
    if entry.get("download_delay", 1.0) < 1.0 and parts.hostname not in _LOOPBACK:
        raise RegistryError(
            f"{where}: download_delay below 1 s is only allowed for a local test server; "
            "government sites get at least one second between requests"
        )


def load_registry(user_file: Path | None = None) -> Registry:
    merged: dict[str, dict[str, Any]] = {e["id"]: dict(e) for e in _read_entries(BUILTIN_REGISTRY)}
    origin = {source_id: str(BUILTIN_REGISTRY) for source_id in merged}
    if user_file is not None:
        for entry in _read_entries(user_file):
            merged.setdefault(entry["id"], {}).update(entry)
            origin[entry["id"]] = str(user_file)
    for source_id, entry in merged.items():
        _validate(entry, origin[source_id])
    return Registry(tuple(SourceConfig.from_dict(entry) for entry in merged.values()))
