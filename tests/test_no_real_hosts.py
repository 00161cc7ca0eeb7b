"""The test run itself cannot reach a real host: requests to anything but the loopback fail at once."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.site.server import TestSite


def test_a_real_government_host_is_unreachable_from_tests() -> None:
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen("https://www.shanghai.gov.cn/robots.txt", timeout=5)


def test_a_subprocess_cannot_reach_it_either() -> None:
    code = "import urllib.request; urllib.request.urlopen('http://www.shanghai.gov.cn/', timeout=5)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode != 0


def test_the_local_test_site_is_still_reachable() -> None:
    with (
        TestSite() as site,
        urllib.request.urlopen(f"{site.base_url}/zhengce/detail?businessId=x&siteId=0001") as r,
    ):
        assert r.status == 200
