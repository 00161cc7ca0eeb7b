"""The play of 普陀区 www.shpt.gov.cn (sites.md §3.6): the affair list API (capped totalCount, the
last page again or empty metadata past the end) and the detail pages."""

from __future__ import annotations

from tests.site.pages import FixturePlay


class PutuoPlay(FixturePlay):
    def __init__(self) -> None:
        super().__init__("putuo")
