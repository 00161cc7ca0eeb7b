"""闵行区 zwgk.shmh.gov.cn (mh-xxgk-cms), sites.md §3.9: list pages numbered from the top down.

A column's first page is ``<column>/List/list_0.htm``; the following pages count *down* from the highest
number to ``list_1.htm`` (a scraper of the live site walks ``[0, 140, 139, 138, …]``), one after the other,
so an incremental walk can stop after any of them. Everything else is
a static column site (entries ``li`` with ``span.f_float`` dates and ``../..`` links, body ``.xx_text1``,
the 9-label header with 生效日期 / 失效日期 / 文件状态), so only the paging differs from ``ColumnSpider``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scrapy import Request

from crawlers.spiders.columns import ColumnSpider

# (inference) How list_0 names the highest page is not recorded; its pager links to the other pages.
_LIST_PAGE = re.compile(r"list_(\d+)\.htm")


class MinhangSpider(ColumnSpider):
    name = "minhang"
    first_page = 0

    def list_path(self, column: str, page: int) -> str:
        return f"{column}/List/list_{page}.htm"

    def further_pages(self, page_text: str, column: str, page: int) -> Iterator[Request]:
        """After list_0 the highest page it names, after any other page the one below it, down to list_1."""
        if page != self.first_page:
            if page > 1:
                yield self.list_request(column, page - 1)
            return
        highest = max((int(number) for number in _LIST_PAGE.findall(page_text)), default=0)
        if highest == 0:
            self.logger.info("column %s names no page after list_0", column)
            return
        yield self.list_request(column, highest)
