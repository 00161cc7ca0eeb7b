"""The local platform play behaves as the spider expects the real one to, and its timeline and faults do
exactly what end-to-end tests rely on."""

from __future__ import annotations

import html
import json
import re
import runpy
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from tests.site.faults import Fault
from tests.site.platform import ALL_SITE_IDS, AMENDMENT, FIXTURES, SITE_IDS, STEP_NAMES, documents
from tests.site.server import TestSite
from tests.site.timeline import (
    CITING_FENGXIAN,
    CITING_HONGKOU,
    EXTENSION,
    PAIR_B_SUCCESSOR,
    PAIR_B_TRIAL,
    PARAGRAPH,
    REPEAL,
    SOIL_AMENDMENT,
    VANISHED,
    native_id,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
RECORD_FIELDS = {
    "businessId",
    "siteId",
    "title",
    "summary",
    "publishDate",
    "displayDate",
    "docType",
    "docYear",
    "docNo",
    "docNum",
    "indexNo",
    "genre",
    "effectiveFlag",
    "policyLevel",
    "origin",
    "relates",
    "attrs",
}
ATTRS = {"agency", "draftUnit", "openType", "theme", "documentAgency", "policyStatus", "zwPDFUrl"}
HAN_DIGITS = re.compile(r"(?<=[\u4e00-\u9fff])(\s*)([0-9]+)(\s*)(?=[\u4e00-\u9fff])")
LATER_FIXTURES = sorted(FIXTURES.glob("documents-later/*.json"))
# Never through a proxy from the environment: the site is local.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    site: TestSite,
    method: str,
    path: str,
    body: Any = None,
    content_type: str = "application/json",
    timeout: float = 5,
) -> Reply:
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        site.base_url + path, data=data, method=method, headers={"Content-Type": content_type}
    )
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read())


def page(site: TestSite, site_ids: list[str], page_no: int = 1, page_size: int = 20) -> Reply:
    return call(
        site, "POST", "/gwk/policy/page", {"siteIdList": site_ids, "pageNo": page_no, "pageSize": page_size}
    )


def detail(site: TestSite, site_id: str, business_id: str, timeout: float = 5) -> Reply:
    return call(
        site, "POST", "/gwk/policy/detail", {"siteId": site_id, "businessId": business_id}, timeout=timeout
    )


def plain(txt: str) -> str:
    """Body text with every kind of step-2 noise undone: tags, entities, width, whitespace."""
    text = html.unescape(re.sub(r"<[^>]+>", "", txt))
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def by_id(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {doc["businessId"]: doc for doc in docs}


@pytest.fixture(scope="module")
def running() -> Iterator[TestSite]:
    with TestSite() as site:
        yield site


@pytest.fixture
def site(running: TestSite) -> TestSite:
    running.set_step("1-initial")
    running.clear_faults()
    running.reset_requests()
    return running


# --- list -------------------------------------------------------------------------------------------------


def test_page_size_two_walks_every_record_of_a_site_newest_first(site: TestSite) -> None:
    expected = [doc["businessId"] for doc in documents() if doc["siteId"] == "0070"]
    assert len(expected) == 3

    first = page(site, ["0070"], 1, 2).json()
    second = page(site, ["0070"], 2, 2).json()
    past_end = page(site, ["0070"], 3, 2).json()

    assert first["code"] == 0 and first["msg"] == "操作成功"
    assert (first["data"]["totalPage"], first["data"]["totalCount"]) == (2, 3)
    assert (second["data"]["pageNo"], second["data"]["pageSize"]) == (2, 2)
    walked = [record["businessId"] for reply in (first, second) for record in reply["data"]["records"]]
    assert walked == expected
    dates = [record["publishDate"] for reply in (first, second) for record in reply["data"]["records"]]
    assert dates == sorted(dates, reverse=True)
    assert past_end["code"] == 0 and past_end["data"]["records"] == []
    assert past_end["data"]["totalPage"] == 2


def test_list_returns_only_the_requested_sites(site: TestSite) -> None:
    for site_id in SITE_IDS:
        records = page(site, [site_id]).json()["data"]["records"]
        assert records and {record["siteId"] for record in records} == {site_id}
    both = page(site, ["0074", "0075"]).json()["data"]
    assert {record["siteId"] for record in both["records"]} == {"0074", "0075"}
    assert page(site, []).json()["data"]["totalCount"] == len(documents()) == 8
    assert page(site, ["0099"]).json()["data"] == {
        "records": [],
        "totalPage": 0,
        "totalCount": 0,
        "pageNo": 1,
        "pageSize": 20,
    }


def test_records_carry_the_platform_fields_and_no_body(site: TestSite) -> None:
    records = page(site, [], 1, 100).json()["data"]["records"]

    for record in records:
        assert set(record) == RECORD_FIELDS
        assert set(record["attrs"]) == ATTRS
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", record["publishDate"])
        assert record["publishDate"].startswith(record["displayDate"])
        assert record["docNum"] is None and re.fullmatch(r"\d{4}", record["docYear"])
        assert record["docNo"].isdigit() and record["attrs"]["documentAgency"] == record["docType"]
        pdf = record["attrs"]["zwPDFUrl"]
        assert pdf == "" or pdf.startswith(f"/gwk/resource/file?pathname=2/{record['siteId']}/")
    assert {record["attrs"]["policyStatus"] for record in records} == {"有效", "失效", "废止"}
    expired = next(record for record in records if record["attrs"]["policyStatus"] == "失效")
    assert (expired["siteId"], expired["businessId"], expired["effectiveFlag"]) == (
        "0001",
        "0001-12344_63443",
        0,
    )
    assert f"{expired['docType']}〔{expired['docYear']}〕{expired['docNo']}号" == "沪府规〔2020〕1号"
    assert {"0001", "0024", "0070", "0074", "0075", "0080"} <= {record["siteId"] for record in records}
    assert any(record["policyLevel"] == "街镇级" for record in records)


# --- detail, shell, errors --------------------------------------------------------------------------------


def test_detail_is_the_record_plus_its_body(site: TestSite) -> None:
    record = next(r for r in page(site, ["0074"]).json()["data"]["records"] if r["businessId"] == "007477151")

    reply = detail(site, AMENDMENT.site_id, AMENDMENT.business_id)

    assert reply.status == 200 and reply.headers.get_content_type() == "application/json"
    payload = reply.json()
    assert (payload["code"], payload["msg"]) == (0, "操作成功")
    data = payload["data"]
    assert {key: value for key, value in data.items() if key != "txt"} == record
    assert (
        data["title"] == "关于印发《长宁区加快构建现代化产业体系促进经济高质量发展的实施意见（试行）》的通知"
    )
    assert '<p style="text-align:center;">长发改规〔2024〕4号</p>' in data["txt"]
    assert data["txt"].count(AMENDMENT.clause) == 1
    assert "_fixture" not in data and "_fixture" not in payload


@pytest.mark.parametrize(
    ("site_id", "business_id"), [("0074", "does-not-exist"), ("0075", AMENDMENT.business_id)]
)
def test_unknown_detail_is_error_json_with_http_200(site: TestSite, site_id: str, business_id: str) -> None:
    reply = detail(site, site_id, business_id)

    assert reply.status == 200
    assert reply.json() == {"code": 500, "msg": "数据不存在", "data": None}


@pytest.mark.parametrize("path", ["/gwk/policy/page", "/gwk/policy/detail"])
def test_api_rejects_other_content_types_with_415(site: TestSite, path: str) -> None:
    body = {"siteIdList": ["0074"], "siteId": "0074", "businessId": AMENDMENT.business_id}

    reply = call(site, "POST", path, body, content_type="application/x-www-form-urlencoded")

    assert reply.status == 415
    assert call(site, "POST", path, body, content_type="application/json; charset=UTF-8").status == 200


@pytest.mark.parametrize("body", [[1, 2], {"siteIdList": "0074"}, {"pageNo": 0}, {"pageSize": "20"}])
def test_malformed_list_request_is_400(site: TestSite, body: Any) -> None:
    assert call(site, "POST", "/gwk/policy/page", body).status == 400


def test_detail_page_is_an_empty_spa_shell(site: TestSite) -> None:
    reply = call(
        site, "GET", f"/zhengce/detail?businessId={AMENDMENT.business_id}&siteId={AMENDMENT.site_id}"
    )

    assert reply.status == 200 and reply.headers.get_content_type() == "text/html"
    assert 3 * 1024 <= len(reply.body) <= 5 * 1024
    page_html = reply.body.decode("utf-8")
    assert 18 <= len(re.findall(r"<script[\s>]", page_html)) <= 22
    assert '<div id="app"></div>' in page_html
    assert "长宁区" not in page_html and "<p" not in page_html


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/robots.txt"), ("GET", "/gwk/policy/page"), ("GET", "/"), ("POST", "/zhengce/detail")],
)
def test_everything_else_is_404(site: TestSite, method: str, path: str) -> None:
    assert call(site, method, path, {} if method == "POST" else None).status == 404


# --- faults -----------------------------------------------------------------------------------------------


def test_http_500_hits_every_list_page_of_one_site_only(site: TestSite) -> None:
    site.set_faults([Fault("http-500", site_id="0075")])

    assert [page(site, ["0075"], n).status for n in (1, 1, 2)] == [500, 500, 500]
    assert page(site, ["0074", "0075"]).status == 500
    assert page(site, ["0074"]).status == 200
    assert detail(site, "0075", "0075200708").json()["code"] == 0


def test_error_json_hits_the_list_of_one_site_with_http_200(site: TestSite) -> None:
    site.set_faults([Fault("error-json", site_id="0070")])

    reply = page(site, ["0070"])

    assert reply.status == 200
    assert reply.json() == {"code": 500, "msg": "系统繁忙，请稍后再试", "data": None}
    assert page(site, ["0080"]).json()["code"] == 0


def test_timeout_delays_one_detail_only(site: TestSite) -> None:
    site.set_faults([Fault("timeout", business_id="0075200708", delay=1.0)])

    with pytest.raises(TimeoutError):
        detail(site, "0075", "0075200708", timeout=0.3)
    started = time.monotonic()
    assert detail(site, "0074", AMENDMENT.business_id, timeout=0.3).json()["code"] == 0
    assert time.monotonic() - started < 0.3

    site.set_faults([Fault("timeout", business_id="0075200708", delay=0.2)])
    started = time.monotonic()
    assert detail(site, "0075", "0075200708").json()["data"]["businessId"] == "0075200708"
    assert time.monotonic() - started >= 0.2


def test_truncated_detail_is_http_200_with_half_the_json(site: TestSite) -> None:
    whole = detail(site, "0080", "5_181851").body
    site.set_faults([Fault("truncated", business_id="5_181851")])

    reply = detail(site, "0080", "5_181851")

    assert reply.status == 200
    assert whole.startswith(reply.body) and 0.4 < len(reply.body) / len(whole) < 0.6
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.body.decode("utf-8"))
    assert detail(site, "0001", "0001-12344_63443").json()["code"] == 0


@pytest.mark.parametrize(("kind", "status"), [("challenge", 202), ("412", 412)])
@pytest.mark.parametrize("target", ["list", "detail"])
def test_challenge_answers_a_ruishu_page_instead(site: TestSite, kind: str, status: int, target: str) -> None:
    if target == "list":
        site.set_faults([Fault(kind, site_id="0074")])
        reply, spared = page(site, ["0074"]), page(site, ["0075"])
    else:
        site.set_faults([Fault(kind, business_id=AMENDMENT.business_id)])
        reply, spared = detail(site, "0074", AMENDMENT.business_id), page(site, ["0074"])

    assert reply.status == status and reply.headers.get_content_type() == "text/html"
    assert reply.headers["Set-Cookie"].startswith("FSSBBIl1UgzbN7NO=")
    challenge = reply.body.decode("utf-8")
    meta = re.search(r'<meta id="\w+" content="([^"]+)"', challenge)
    assert meta and len(meta[1]) > 300
    assert re.search(r"<script[^>]*>\(function\(\)\{.+\}\)\(\)</script>", challenge)
    assert spared.status == 200 and spared.json()["code"] == 0


def test_faults_are_validated(site: TestSite) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("slow")
    with pytest.raises(ValueError, match="targets a list"):
        Fault("http-500", business_id="0075200708")
    with pytest.raises(ValueError, match="targets a detail"):
        Fault("timeout", site_id="0075")
    with pytest.raises(ValueError, match="site_id or business_id"):
        Fault("challenge", site_id="0075", business_id="0075200708")
    with pytest.raises(ValueError, match="no document of siteId"):
        site.set_faults([Fault("http-500", site_id="0071")])
    with pytest.raises(ValueError, match="no document with businessId"):
        site.set_faults([Fault("truncated", business_id="nope")])
    assert site.faults == ()


# --- timeline ---------------------------------------------------------------------------------------------


def test_unknown_step_is_refused(site: TestSite) -> None:
    assert STEP_NAMES == ("1-initial", "2-noise", "3-amended", "4-citing", "5-lifecycle")
    with pytest.raises(ValueError, match="unknown step"):
        site.set_step("6-repealed")
    assert site.step == "1-initial"


def by_native_id(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {native_id(doc): doc for doc in docs}


def test_citing_step_is_step_3_plus_a_trial_and_two_citing_district_documents() -> None:
    amended, citing = by_native_id(documents("3-amended")), by_native_id(documents("4-citing"))

    assert {key: doc for key, doc in citing.items() if key in amended} == amended
    assert set(citing) - set(amended) == {PAIR_B_TRIAL, CITING_FENGXIAN, CITING_HONGKOU}
    citation = plain("《上海市建设用地土壤污染责任人认定实施办法》（沪环规〔2024〕12号）")
    for key in (CITING_FENGXIAN, CITING_HONGKOU):
        assert citation in plain(citing[key]["txt"])


def test_lifecycle_step_adds_four_notices_and_drops_one_document() -> None:
    citing, lifecycle = by_native_id(documents("4-citing")), by_native_id(documents("5-lifecycle"))

    assert set(citing) - set(lifecycle) == {VANISHED}
    assert set(lifecycle) - set(citing) == {PAIR_B_SUCCESSOR, EXTENSION, REPEAL, SOIL_AMENDMENT}
    assert all(lifecycle[key] == doc for key, doc in citing.items() if key != VANISHED)
    assert {doc["siteId"] for doc in lifecycle.values()} == set(ALL_SITE_IDS)


def test_later_documents_are_never_served_by_steps_1_to_3() -> None:
    later = {f"{d['data']['siteId']}::{d['data']['businessId']}" for d in map(load, LATER_FIXTURES)}

    assert len(later) == 7
    for step in ("1-initial", "2-noise", "3-amended"):
        assert not later & set(by_native_id(documents(step)))


def test_noise_step_changes_bytes_but_not_the_documents() -> None:
    initial, noisy = documents("1-initial"), documents("2-noise")
    before, after = by_id(initial), by_id(noisy)

    assert before.keys() == after.keys()
    assert [doc["businessId"] for doc in noisy] != [doc["businessId"] for doc in initial]
    for business_id, doc in before.items():
        changed = after[business_id]
        assert {key for key in doc if doc[key] != changed[key]} == {"txt", "summary"}
        assert plain(changed["txt"]) == plain(doc["txt"])
    joined = "".join(doc["txt"] for doc in noisy)
    for noise in ("　　", "&nbsp;", "  ", "<br/>", "\n\t", "\n    "):
        assert noise in joined
    assert re.search("[０-９]", joined)
    for match in re.finditer("<br/>", joined):
        assert re.fullmatch("[\u4e00-\u9fff]{2}", joined[match.start() - 1] + joined[match.end()])


def test_noise_flips_digit_spacing_and_spares_title_and_signature_lines() -> None:
    before, after = by_id(documents("1-initial")), by_id(documents("2-noise"))
    flips = set()
    for business_id, doc in before.items():
        pairs = zip(
            PARAGRAPH.finditer(doc["txt"]), PARAGRAPH.finditer(after[business_id]["txt"]), strict=True
        )
        for old, new in pairs:
            if old["style"] != "text-indent:2em;":
                assert new["inner"].strip() == old["inner"]
                continue
            spacing = [
                [
                    bool(m[1] or m[3])
                    for m in HAN_DIGITS.finditer(unicodedata.normalize("NFKC", html.unescape(p)))
                ]
                for p in (old["inner"], new["inner"])
            ]
            flips |= {(was, now) for was, now in zip(*spacing, strict=True) if was != now}
    assert flips == {(True, False), (False, True)}


def test_amended_step_changes_exactly_one_clause_of_one_document() -> None:
    noisy, amended = by_id(documents("2-noise")), by_id(documents("3-amended"))

    changed = [business_id for business_id in noisy if noisy[business_id] != amended[business_id]]

    assert changed == [AMENDMENT.business_id]
    old_text, new_text = plain(noisy[changed[0]]["txt"]), plain(amended[changed[0]]["txt"])
    old_clause, new_clause = plain(AMENDMENT.clause), plain(AMENDMENT.amended_clause)
    assert (old_text.count(old_clause), new_text.count(new_clause)) == (1, 1)
    assert new_text == old_text.replace(old_clause, new_clause)
    assert plain(AMENDMENT.old) in new_text  # the other 1000 万元 clauses are untouched
    assert [doc["businessId"] for doc in documents("3-amended")] == [
        doc["businessId"] for doc in documents("2-noise")
    ]


def test_site_serves_the_current_step(site: TestSite) -> None:
    initial = detail(site, AMENDMENT.site_id, AMENDMENT.business_id).body

    site.set_step("2-noise")
    noisy = detail(site, AMENDMENT.site_id, AMENDMENT.business_id).body
    noisy_order = [record["businessId"] for record in page(site, []).json()["data"]["records"]]
    site.set_step("3-amended")
    amended = detail(site, AMENDMENT.site_id, AMENDMENT.business_id).json()["data"]

    assert noisy != initial
    assert noisy_order == [doc["businessId"] for doc in documents("2-noise")]
    assert plain(AMENDMENT.amended_clause) in plain(amended["txt"])
    assert plain(AMENDMENT.clause) not in plain(amended["txt"])


# --- control and recording --------------------------------------------------------------------------------


def test_control_endpoints_drive_the_site(site: TestSite) -> None:
    reply = call(site, "POST", "/_site/step", {"step": "3-amended"})
    assert reply.status == 200 and reply.json()["step"] == "3-amended" == site.step
    assert call(site, "POST", "/_site/step", {"step": "9-later"}).status == 400
    assert call(site, "POST", "/_site/step", ["3-amended"]).status == 400

    faults = [
        {"kind": "http-500", "site_id": "0075"},
        {"kind": "timeout", "business_id": "5_181851", "delay": 2},
    ]
    assert call(site, "POST", "/_site/faults", faults).status == 200
    assert site.faults == (
        Fault("http-500", site_id="0075"),
        Fault("timeout", business_id="5_181851", delay=2),
    )
    assert page(site, ["0075"]).status == 500
    for bad in (
        [{"kind": "flood", "site_id": "0075"}],
        [{"kind": "http-500", "site_id": "0071"}],
        {"kind": "412"},
    ):
        reply = call(site, "POST", "/_site/faults", bad)
        assert reply.status == 400 and reply.json()["error"]
    assert len(site.faults) == 2
    assert call(site, "POST", "/_site/faults", []).status == 200 and site.faults == ()

    recorded = call(site, "GET", "/_site/requests").json()
    assert [(r["method"], r["path"], r["json"], r["status"]) for r in recorded] == [
        ("POST", "/gwk/policy/page", {"siteIdList": ["0075"], "pageNo": 1, "pageSize": 20}, 500)
    ]
    assert call(site, "DELETE", "/_site/requests").status == 200
    assert call(site, "GET", "/_site/requests").json() == []


def test_requests_are_recorded_in_order_with_their_bodies(site: TestSite) -> None:
    started = time.time()
    page(site, ["0074"], 1, 5)
    call(site, "GET", "/zhengce/detail?businessId=007477151&siteId=0074")
    detail(site, "0074", "nope")

    recorded = site.requests

    assert [(r.method, r.path, r.status) for r in recorded] == [
        ("POST", "/gwk/policy/page", 200),
        ("GET", "/zhengce/detail", 200),
        ("POST", "/gwk/policy/detail", 200),
    ]
    assert recorded[0].json == {"siteIdList": ["0074"], "pageNo": 1, "pageSize": 5}
    assert recorded[1].query == {"businessId": "007477151", "siteId": "0074"} and recorded[1].json is None
    assert recorded[2].headers["content-type"] == "application/json"
    assert started <= recorded[0].time <= recorded[2].time <= time.time()
    site.reset_requests()
    assert site.requests == []


def test_site_lifecycle() -> None:
    site = TestSite(step="2-noise")
    with pytest.raises(RuntimeError):
        _ = site.base_url
    with site:
        assert site.step == "2-noise"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", site.base_url)
        with pytest.raises(RuntimeError):
            site.start()
        base_url = site.base_url
    with pytest.raises(urllib.error.URLError):
        OPENER.open(base_url + "/robots.txt", timeout=1)


# --- fixtures ---------------------------------------------------------------------------------------------


def test_every_fixture_says_what_it_is_modelled_on() -> None:
    paths = sorted(FIXTURES.glob("documents/*.json"))
    assert len(paths) == 8
    for path in [*paths, *LATER_FIXTURES]:
        assert "modelled on" in load(path)["_fixture"]
    edited = [path for path in LATER_FIXTURES if "added sentence" in load(path)["_fixture"]]
    assert [path.name.split("_")[0] for path in edited] == ["0076", "0084"]
    for path in FIXTURES.glob("*.html"):
        assert re.match(r"<!-- Fixture .*modelled on", path.read_text(encoding="utf-8"))


@pytest.mark.skipif(not (SHARED / "corpus" / "gov_docs.csv").exists(), reason="needs the shared corpus")
def test_builder_reproduces_the_committed_fixtures() -> None:
    build = runpy.run_path(str(FIXTURES / "build.py"), run_name="sh_platform_build")

    built = dict(build["outputs"](SHARED))

    committed = {
        path.relative_to(FIXTURES).as_posix(): path.read_text(encoding="utf-8")
        for path in [*FIXTURES.glob("documents/*.json"), *LATER_FIXTURES, *FIXTURES.glob("*.html")]
    }
    assert built == committed
