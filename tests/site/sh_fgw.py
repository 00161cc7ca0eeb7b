"""The play of 上海市发展和改革委员会 fgw.sh.gov.cn (sites.md §4.1): column pages stating
`totalPage`, absolute http:// links, detail pages with meta tags."""

from __future__ import annotations

from tests.site.pages import FixturePlay
from tests.site.protocol import PageEdit

# The /cmsres/ attachment (sites.md §4.1) is served as a text PDF of seed 003, 沪府发〔2021〕14号
# (tests/fixtures/attachments/README.md): the page's own file is not stored.
ATTACHMENT_FILES = {
    "/cmsres/fa/fa12c86fb885e607e814362c5f4ca586/94fcc5186de1ad2d0c7c2a35828c28c7.pdf": "text.pdf",
}

# An in-place revision for the incremental-crawl tests (tests.site.protocol.EditedPlay): the 价格听证 rules
# of 沪发改规范〔2024〕1号 ask for 5 working days' notice instead of 3. The edit is invented.
EDIT = PageEdit(
    "/fgw_gfxwj/20240205/2067b1c57dff31ad5cc4934219235ba6.html",
    "应当提前至少3个工作日以书面形式告知",
    "应当提前至少5个工作日以书面形式告知",
)


class ShFgwPlay(FixturePlay):
    def __init__(self) -> None:
        super().__init__("sh-fgw", ATTACHMENT_FILES)
