"""The plays of the HTML-page sites serve their fixtures exactly as built, answer the list API as the district
CMS does, and refuse faults aimed at nothing; every fixture says what it is modelled on and can be rebuilt."""

from __future__ import annotations

import json
import runpy

import pytest

from tests.conftest import SHARED
from tests.site.faults import Fault
from tests.site.huangpu import HuangpuPlay
from tests.site.minhang import MinhangPlay
from tests.site.pages import FIXTURES, FixturePlay
from tests.site.protocol import Request, Response
from tests.site.pudong import PudongPlay
from tests.site.putuo import PutuoPlay
from tests.site.sh_fgw import ShFgwPlay
from tests.site.sh_gov import ShGovPlay

PLAYS: dict[str, type[FixturePlay]] = {
    "sh-gov": ShGovPlay,
    "sh-fgw": ShFgwPlay,
    "putuo": PutuoPlay,
    "pudong": PudongPlay,
    "minhang": MinhangPlay,
    "huangpu": HuangpuPlay,
}
PUTUO_API = "/front/api/data/affair"


def ask(
    play: FixturePlay, method: str, path: str, body: object = None, content_type: str = "application/json"
) -> Response:
    payload = b"" if body is None else json.dumps(body).encode()
    return play.respond(Request(method, path, {}, {"content-type": content_type}, payload), play.steps[0], ())


def putuo_page(channel: str, page_no: int, size: int = 15) -> dict:
    answer = ask(
        PutuoPlay(), "POST", PUTUO_API, {"channelList": [channel], "pageNo": page_no, "pageSize": size}
    )
    return json.loads(answer.body)["data"]


# -- fixtures --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", PLAYS)
def test_every_fixture_says_what_it_is_modelled_on(slug: str) -> None:
    manifest = json.loads((FIXTURES / slug / "manifest.json").read_text(encoding="utf-8"))
    entries = [*manifest["pages"], *manifest["negative"].values()]
    assert entries and all(entry["modelled_on"] for entry in entries)
    for entry in entries:
        if entry["content_type"].startswith("text/html"):
            head = (FIXTURES / slug / entry["file"]).read_bytes()[:200].decode("ascii", "replace")
            assert head.startswith(
                f"<!-- Fixture built by tests/fixtures/{slug}/build.py, not a captured page"
            )


@pytest.mark.skipif(not (SHARED / "corpus" / "gov_docs.csv").exists(), reason="needs the shared corpus")
@pytest.mark.parametrize("slug", PLAYS)
def test_builder_reproduces_the_committed_fixtures(slug: str) -> None:
    build = runpy.run_path(str(FIXTURES / slug / "build.py"), run_name=f"{slug}_build")
    built = dict(build["outputs"](SHARED))
    committed = {
        path.relative_to(FIXTURES / slug).as_posix(): path.read_bytes()
        for path in (FIXTURES / slug).rglob("*")
        if path.is_file() and path.name != "build.py"
    }
    assert built == committed


# -- serving ---------------------------------------------------------------------------------------------


def test_pages_are_served_as_stored_bytes_with_their_content_type() -> None:
    answer = ask(ShGovPlay(), "GET", "/nw12344/20200813/0001-12344_63071.html")
    stored = (FIXTURES / "sh-gov" / "site" / "nw12344/20200813/0001-12344_63071.html").read_bytes()
    assert (answer.status, answer.content_type, answer.body) == (200, "text/html; charset=gb2312", stored)


def test_an_unknown_path_is_404() -> None:
    assert ask(ShGovPlay(), "GET", "/nw12344/index_3.html").status == 404


def test_the_list_api_wants_json() -> None:
    assert (
        ask(PutuoPlay(), "POST", PUTUO_API, {"channelList": ["3"]}, content_type="text/plain").status == 415
    )


def test_the_list_api_refuses_a_body_without_one_channel() -> None:
    assert ask(PutuoPlay(), "POST", PUTUO_API, {"channelList": []}).status == 400


def test_a_capped_channel_reports_the_cap() -> None:
    data = putuo_page("3", 1)
    assert (data["totalCount"], data["totalPage"], len(data["list"])) == (10000, 667, 2)


def test_past_its_end_a_repeating_channel_answers_its_last_page_again() -> None:
    assert (putuo_page("3", 2)["pageNo"], putuo_page("3", 2)["list"]) == (1, putuo_page("3", 1)["list"])


def test_past_its_end_an_emptying_channel_answers_empty_metadata() -> None:
    assert putuo_page("6", 2) == {"list": [], "pageNo": 0, "totalPage": 0, "totalCount": 0}


def test_a_channel_without_documents_answers_empty_metadata() -> None:
    assert putuo_page("1621", 1)["pageNo"] == 0


def test_pages_are_cut_by_page_size() -> None:
    assert [len(putuo_page("3", n, size=1)["list"]) for n in (1, 2)] == [1, 1]


def test_huangpu_answers_202_then_412_once_its_cookie_comes_back() -> None:
    play = HuangpuPlay()
    first = ask(play, "GET", "/anything.html")
    cookie = dict(first.headers)["Set-Cookie"].split(";")[0]
    again = play.respond(Request("GET", "/anything.html", {}, {"cookie": cookie}, b""), play.steps[0], ())
    assert (first.status, again.status) == (202, 412)


# -- faults ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault("http-500", site_id="nw99999"), "no list"),
        (Fault("truncated", business_id="nw12344/1.html"), "no document"),
        (Fault("error-json", site_id="nw12344"), "JSON list API"),
    ],
)
def test_faults_must_aim_at_something_the_site_has(fault: Fault, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ShGovPlay().check_fault(fault)


def test_a_challenge_fault_puts_up_the_wall_with_its_cookie() -> None:
    play = ShGovPlay()
    walled = (Fault("412", site_id="nw12344"),)
    answer = play.respond(Request("GET", "/nw12344/index.html", {}, {}, b""), play.steps[0], walled)
    assert answer.status == 412 and "FSSBBIl1UgzbN7NO" in dict(answer.headers)["Set-Cookie"]
