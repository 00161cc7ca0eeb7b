"""The play of 上海市人民政府 legacy policy columns (sites.md §1.1, §1.2): static list pages walked
until a 404, detail pages, one of them gb2312."""

from __future__ import annotations

from tests.site.pages import FixturePlay
from tests.site.protocol import PageEdit

# An in-place revision for the incremental-crawl tests (tests.site.protocol.EditedPlay): 沪府规〔2025〕1号
# (the fixture of the 城市维护项目管理办法) gains a second approval before a project enters the budget.
# The wording is invented; the page keeps its URL and its list entry.
EDIT = PageEdit(
    "/nw12344/20250117/fb5452777e7d1309a4a6bba249a62aea.html",
    "新开工项目原则上应取得立项批复后",
    "新开工项目原则上应取得立项批复和初步设计批复后",
)


class ShGovPlay(FixturePlay):
    def __init__(self) -> None:
        super().__init__("sh-gov")
