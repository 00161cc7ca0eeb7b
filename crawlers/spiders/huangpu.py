"""黄浦区 www.shhuangpu.gov.cn: behind a Ruishu (瑞数) v5 bot wall (sites.md §3.2, §0.4).

Without a JavaScript runtime every request is answered with HTTP 202/412 and a challenge page (inline
``$_ts`` script, a loader under ``/4QbVtADbnLVIc/``, cookies ``FSSBBIl1UgzbN7NO``/``…NP``). This spider
only asks for the documented policy list page and records what came back: the challenge with its evidence,
so the crawl run shows the source as blocked. No list markup behind the wall is documented (§7), so a page
without a challenge is recorded as a layout fault, never guessed at. Huangpu's documents are collected
through sh-platform (siteId 0071); a browser-backed fetch would be the way past the wall.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from scrapy import Request
from scrapy.http import Response

from crawlers.guards import page_fault
from crawlers.output import Fault
from crawlers.spiders.base import PolicySpider


class HuangpuSpider(PolicySpider):
    name = "huangpu"

    async def start(self) -> AsyncIterator[Request]:
        for path in self.source.channels:
            yield Request(self.source.url(path), callback=self.parse_list, errback=self.on_error)

    def parse_list(self, response: Response) -> None:
        detail = "no list markup behind the wall is documented (sites.md §7); use sh-platform siteId 0071"
        self.record_fault(page_fault(response) or Fault("layout", response.url, f"answered, but {detail}"))
