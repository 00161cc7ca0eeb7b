"""Faults the test site can inject on top of any step, each aimed at one list (siteId) or one detail
(businessId) so a test can tell exactly which request it hit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# kind -> what it can target: "list" (a site_id), "detail" (a business_id) or "either" (exactly one of them).
FAULT_TARGETS = {
    "http-500": "list",
    "error-json": "list",
    "timeout": "detail",
    "truncated": "detail",
    "challenge": "either",
    "412": "either",
}
DEFAULT_DELAY = 30.0


@dataclass(frozen=True)
class Fault:
    """``http-500`` / ``error-json``: every list page of ``site_id``; ``timeout`` (after ``delay`` seconds) /
    ``truncated``: the detail of ``business_id``; ``challenge`` (HTTP 202) / ``412``: a Ruishu-style challenge
    instead of the list of ``site_id`` or the detail of ``business_id``."""

    kind: str
    site_id: str | None = None
    business_id: str | None = None
    delay: float = DEFAULT_DELAY

    def __post_init__(self) -> None:
        target = FAULT_TARGETS.get(self.kind)
        if target is None:
            raise ValueError(f"unknown fault kind {self.kind!r}; kinds are {', '.join(FAULT_TARGETS)}")
        if target == "list" and (self.site_id is None or self.business_id is not None):
            raise ValueError(f"fault {self.kind!r} targets a list: give site_id only")
        if target == "detail" and (self.business_id is None or self.site_id is not None):
            raise ValueError(f"fault {self.kind!r} targets a detail: give business_id only")
        if target == "either" and (self.site_id is None) == (self.business_id is None):
            raise ValueError(f"fault {self.kind!r} targets a list or a detail: give site_id or business_id")
        if self.delay < 0:
            raise ValueError("a fault delay cannot be negative")

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """A fault from a control-endpoint object such as ``{"kind": "http-500", "site_id": "0075"}``."""
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            raise ValueError(f"a fault is an object with a string 'kind', not {data!r}")
        unknown = set(data) - {"kind", "site_id", "business_id", "delay"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        for name in ("site_id", "business_id"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise ValueError(f"fault {name} must be a string")
        delay = data.get("delay", DEFAULT_DELAY)
        if isinstance(delay, bool) or not isinstance(delay, int | float):
            raise ValueError("fault delay must be a number of seconds")
        return cls(data["kind"], data.get("site_id"), data.get("business_id"), float(delay))

    def hits_list(self, site_ids: list[str]) -> bool:
        return self.site_id is not None and self.site_id in site_ids

    def hits_detail(self, business_id: str) -> bool:
        return self.business_id is not None and self.business_id == business_id
