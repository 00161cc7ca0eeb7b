"""Item pipeline: hands each extracted document over to the archive stage through the crawl's folder."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler

from crawlers.items import PolicyItem
from crawlers.middlewares import crawl_output


class CrawlOutputPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: PolicyItem) -> PolicyItem:
        crawl_output(self.crawler).add_item(item)
        return item
