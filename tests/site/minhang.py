"""The play of 闵行区 zwgk.shmh.gov.cn (sites.md §3.9): list_0.htm, then pages numbered
downwards; detail pages with 生效日期 / 失效日期 / 文件状态."""

from __future__ import annotations

from tests.site.pages import FixturePlay

# The attachment of 闵建管规〔2025〕2号 is served as a scanned PDF (a page of seed 000 with no text layer,
# tests/fixtures/attachments/README.md): its own file is not stored.
ATTACHMENT_FILES = {
    "/mh-xxgk-cms/UploadPath/uploadfile/2025-07-09/5604af15-bada-6137-280d-faa8b026b579.pdf": "scanned.pdf",
}


class MinhangPlay(FixturePlay):
    def __init__(self) -> None:
        super().__init__("minhang", ATTACHMENT_FILES)
