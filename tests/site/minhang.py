"""The play of 闵行区 zwgk.shmh.gov.cn (sites.md §3.9): list_0.htm, then pages numbered
downwards; detail pages with 生效日期 / 失效日期 / 文件状态."""

from __future__ import annotations

from tests.site.pages import FixturePlay


class MinhangPlay(FixturePlay):
    def __init__(self) -> None:
        super().__init__("minhang")
