"""The play of 黄浦区 www.shhuangpu.gov.cn (sites.md §3.2, §0.4): a Ruishu bot wall in front of everything.

A client without JavaScript gets HTTP 202, the challenge page and cookie FSSBBIl1UgzbN7NO; sending that cookie
back (without the one the JavaScript would compute) gets 412 and FSSBBIl1UgzbN7NP. Nothing else is served.
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.site.faults import Fault
from tests.site.pages import FixturePlay
from tests.site.protocol import Request, Response


class HuangpuPlay(FixturePlay):
    def __init__(self) -> None:
        super().__init__("huangpu")

    def check_fault(self, fault: Fault) -> None:
        raise ValueError("the whole site is behind its bot wall: a fault has nothing to replace")

    def respond(self, request: Request, step: str, faults: Sequence[Fault]) -> Response:
        walled = "FSSBBIl1UgzbN7NO=" in request.headers.get("cookie", "")
        return self.bad("cookie_sent_back" if walled else "first_visit")
