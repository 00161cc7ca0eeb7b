"""The play of 上海市人民政府 legacy policy columns (sites.md §1.1, §1.2): static list pages walked
until a 404, detail pages, one of them gb2312."""

from __future__ import annotations

from tests.site.pages import FixturePlay


class ShGovPlay(FixturePlay):
    def __init__(self) -> None:
        super().__init__("sh-gov")
