"""The play of 浦东新区 www.pudong.gov.cn (sites.md §3.1): the affair list API under
/zwgk-search-front and the detail pages."""

from __future__ import annotations

from tests.site.pages import FixturePlay


class PudongPlay(FixturePlay):
    def __init__(self) -> None:
        super().__init__("pudong")
