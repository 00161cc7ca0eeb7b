"""The play of 上海市发展和改革委员会 fgw.sh.gov.cn (sites.md §4.1): column pages stating
`totalPage`, absolute http:// links, detail pages with meta tags."""

from __future__ import annotations

from tests.site.pages import FixturePlay


class ShFgwPlay(FixturePlay):
    def __init__(self) -> None:
        super().__init__("sh-fgw")
