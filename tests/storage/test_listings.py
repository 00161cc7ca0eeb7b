"""One document, many listings: the platform and a district site (or two columns of one site) listing the
same document make one document, one ``new`` change and one alert; a revision is archived once,
whichever source serves it first; sources that serve their own variant of the text never make versions
flip-flop; a document is withdrawn only when every listing of it is gone.

The document is 闵建管规〔2024〕1号 of ../shared/corpus/gov_docs.csv (《闵行区海绵城市规划建设管理实施细则
（试行）》, 2024-03-15), as the platform lists it (sites.md §2: siteId::businessId, the issuing notice's
title) and as the 闵行 site does (§3.9: its own path, the bare title, 〔〕 typed as []); the clauses are
shortened and the district's 来源 line is the chrome such pages carry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from crawlers.registry import load_registry
from flows.stages import SourceReport, archive_documents
from normalise.document import NormalisedDocument
from notifiers.outbox import route_changes
from notifiers.subscriptions import Subscription
from storage.archive import open_crawl_run, record_version, sync_sources
from storage.db import session_scope
from storage.models import Change, Document, Listing, Outbox, Version
from storage.queries import find_document, listings_of

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
CLAUSES = (
    "第一条 为推进本区海绵城市建设，制定本细则。\n"
    "第二条 新建项目年径流总量控制率不低于75%。\n"
    "第三条 本细则自2024年4月15日起施行，有效期至2026年4月14日。"
)
REVISED = CLAUSES.replace("不低于75%", "不低于80%")

PLATFORM = NormalisedDocument(
    source="sh-platform",
    native_id="0079::2f0c6d1e9b7a4c55",
    url="https://www.shanghai.gov.cn/zhengce/detail/0079::2f0c6d1e9b7a4c55",
    title="关于印发《闵行区海绵城市规划建设管理实施细则（试行）》的通知",
    text=CLAUSES,
    doc_number="闵建管规〔2024〕1号",
    agency="上海市闵行区建设和管理委员会",
    published="2024-03-15",
    status="有效",
    district="minhang",
    level="district",
)
DISTRICT = NormalisedDocument(
    source="minhang",
    native_id="/xxgk/zcwj/20240315/8d1f3a.html",
    url="https://zwgk.shmh.gov.cn/xxgk/zcwj/20240315/8d1f3a.html",
    title="闵行区海绵城市规划建设管理实施细则（试行）",
    text=CLAUSES + "\n（来源：闵行区建设和管理委员会）",
    doc_number="闵建管规[2024]1号",
    published="2024-03-15",
    district="minhang",
    level="district",
)


def revised(doc: NormalisedDocument) -> NormalisedDocument:
    return dataclasses.replace(doc, text=doc.text.replace("不低于75%", "不低于80%"))


@pytest.fixture
def archive(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    return engine


def crawl(
    engine: Engine, run: int, source: str, *docs: NormalisedDocument, withdraw_after: int = 2
) -> SourceReport:
    """One successful crawl of ``source`` that listed ``docs``, on day ``run``."""
    report = SourceReport(source_id=source, status="ok")
    with session_scope(engine) as session:
        archive_documents(
            session,
            list(docs),
            report,
            crawl_run=open_crawl_run(session, f"run-{run}", source),
            seen_at=T0 + dt.timedelta(days=run),
            renormalise=lambda *_: None,
            withdraw_after=withdraw_after,
        )
    return report


def rows(engine: Engine, model: type) -> list:  # type: ignore[type-arg]
    with Session(engine) as session:
        return list(session.exec(select(model).order_by(col(model.id))).all())


def kinds(engine: Engine) -> list[str]:
    return [change.kind for change in rows(engine, Change)]


@pytest.mark.parametrize("first", ["sh-platform", "minhang"])
def test_one_document_on_the_platform_and_a_district_site_is_one_document_and_one_alert(
    archive: Engine, first: str
) -> None:
    sightings = {"sh-platform": PLATFORM, "minhang": DISTRICT}
    second = "minhang" if first == "sh-platform" else "sh-platform"
    assert crawl(archive, 1, first, sightings[first]).new == 1
    assert crawl(archive, 1, second, sightings[second]).new == 0
    [document] = rows(archive, Document)
    assert (document.source_id, document.doc_number) == (first, sightings[first].doc_number)
    listings = rows(archive, Listing)
    assert [(lst.source_id, lst.document_id, lst.matched_by) for lst in listings] == [
        (first, document.id, None),
        (second, document.id, "doc_number"),
    ]
    assert kinds(archive) == ["new"] and len(rows(archive, Version)) == 1
    with session_scope(archive) as session:
        assert route_changes(session, [Subscription(name="everything", urls=("json://127.0.0.1/hook",))]) == 1
    assert [row.subscription for row in rows(archive, Outbox)] == ["everything"]


@pytest.mark.parametrize("first", ["sh-platform", "minhang"])
def test_a_revision_is_amended_once_whichever_source_serves_it_first(archive: Engine, first: str) -> None:
    crawl(archive, 1, "sh-platform", PLATFORM)
    crawl(archive, 1, "minhang", DISTRICT)
    sightings = {"sh-platform": PLATFORM, "minhang": DISTRICT}
    second = "minhang" if first == "sh-platform" else "sh-platform"
    assert crawl(archive, 2, first, revised(sightings[first])).amended == 1
    assert crawl(archive, 2, second, sightings[second]).amended == 0  # not there yet
    assert crawl(archive, 3, second, revised(sightings[second])).amended == 0  # catches up: silent
    for run in (4, 5):
        crawl(archive, run, "sh-platform", revised(PLATFORM))
        crawl(archive, run, "minhang", revised(DISTRICT))
    assert kinds(archive) == ["new", "amended"]
    versions = rows(archive, Version)
    assert [v.seq for v in versions] == [1, 2] and "不低于80%" in versions[1].text
    listing = {lst.source_id: lst for lst in rows(archive, Listing)}
    assert versions[1].listing_id == listing[first].id
    assert all(lst.version_id == versions[1].id for lst in listing.values())


def test_sources_serving_their_own_text_of_one_document_make_no_versions_run_after_run(
    archive: Engine,
) -> None:
    for run in range(1, 6):
        crawl(archive, run, "sh-platform", PLATFORM)
        crawl(archive, run, "minhang", DISTRICT)
    assert len(rows(archive, Version)) == 1 and kinds(archive) == ["new"]
    [document] = rows(archive, Document)
    # The platform's listing created the document and describes it; the district only fills gaps.
    assert (document.title, document.url, document.agency) == (PLATFORM.title, PLATFORM.url, PLATFORM.agency)
    district = {lst.source_id: lst for lst in rows(archive, Listing)}["minhang"]
    assert district.content_hash == DISTRICT.content_hash != PLATFORM.content_hash
    assert district.last_seen == T0 + dt.timedelta(days=5)


def test_a_district_revision_after_the_platform_s_is_a_second_revision(archive: Engine) -> None:
    crawl(archive, 1, "sh-platform", PLATFORM)
    crawl(archive, 1, "minhang", DISTRICT)
    crawl(archive, 2, "sh-platform", revised(PLATFORM))
    crawl(archive, 3, "minhang", revised(DISTRICT))  # catches up with the first revision
    again = dataclasses.replace(
        revised(DISTRICT), text=revised(DISTRICT).text.replace("第三条", "第三条 （修订）")
    )
    assert crawl(archive, 4, "minhang", again).amended == 1  # in step now: its next change is news
    assert kinds(archive) == ["new", "amended", "amended"]


def test_a_single_listing_still_versions_every_change_and_a_revert(archive: Engine) -> None:
    crawl(archive, 1, "sh-platform", PLATFORM)
    crawl(archive, 2, "sh-platform", revised(PLATFORM))
    crawl(archive, 3, "sh-platform", PLATFORM)
    assert kinds(archive) == ["new", "amended", "amended"]
    assert [v.seq for v in rows(archive, Version)] == [1, 2, 3]


def test_withdrawn_only_when_every_listing_has_gone(archive: Engine) -> None:
    crawl(archive, 1, "sh-platform", PLATFORM)
    crawl(archive, 1, "minhang", DISTRICT)
    other = dataclasses.replace(
        PLATFORM, native_id="0079::other", title="关于印发《另一份文件》的通知", doc_number=None
    )
    neighbour = dataclasses.replace(
        DISTRICT, native_id="/xxgk/zcwj/20240316/other.html", title="另一份文件", doc_number=None
    )
    for run in (2, 3, 4):  # the platform stops listing it; the district still does
        crawl(archive, run, "sh-platform", other)
        crawl(archive, run, "minhang", DISTRICT, neighbour)
    assert "withdrawn" not in kinds(archive)
    listing = {
        lst.source_id: lst
        for lst in rows(archive, Listing)
        if lst.native_id in (PLATFORM.native_id, DISTRICT.native_id)
    }
    assert listing["sh-platform"].gone_at == T0 + dt.timedelta(days=3) and listing["minhang"].gone_at is None
    [document] = [d for d in rows(archive, Document) if d.doc_number]
    assert document.missed_runs == 0
    crawl(archive, 5, "minhang", neighbour)
    assert "withdrawn" not in kinds(archive)  # one miss on the district is not yet an absence
    crawl(archive, 6, "minhang", neighbour)
    crawl(archive, 7, "minhang", neighbour)
    withdrawn = [c for c in rows(archive, Change) if c.kind == "withdrawn"]
    assert [c.document_id for c in withdrawn] == [document.id]
    assert "上海市统一政策发布平台、闵行区人民政府的列表中均已没有本文件" in withdrawn[0].summary


def test_a_gone_listing_seen_again_is_listed_again(archive: Engine) -> None:
    crawl(archive, 1, "sh-platform", PLATFORM)
    other = dataclasses.replace(
        PLATFORM, native_id="0079::other", title="关于印发《另一份文件》的通知", doc_number=None
    )
    crawl(archive, 2, "sh-platform", other)
    crawl(archive, 3, "sh-platform", other)
    crawl(archive, 4, "sh-platform", PLATFORM, other)
    platform = next(lst for lst in rows(archive, Listing) if lst.native_id == PLATFORM.native_id)
    assert (platform.gone_at, platform.missed_runs) == (None, 0)


def test_one_source_listing_two_ids_makes_two_documents_while_both_are_listed(archive: Engine) -> None:
    # The platform lists a district document under the district's site and the municipal one.
    twin = dataclasses.replace(
        PLATFORM, native_id="0001::5a0b2c", url=PLATFORM.url.replace("0079::2f0c6d1e9b7a4c55", "0001::5a0b2c")
    )
    crawl(archive, 1, "sh-platform", PLATFORM, twin)
    assert len(rows(archive, Document)) == 2 and kinds(archive) == ["new", "new"]


def test_a_document_re_listed_under_a_new_id_after_the_old_one_went_is_the_same_document(
    archive: Engine,
) -> None:
    other = dataclasses.replace(
        PLATFORM, native_id="0079::other", title="关于印发《另一份文件》的通知", doc_number=None
    )
    moved = dataclasses.replace(
        PLATFORM, native_id="0079::new-id", url=PLATFORM.url.replace("2f0c6d1e9b7a4c55", "new-id")
    )
    crawl(archive, 1, "sh-platform", PLATFORM, other)
    crawl(archive, 2, "sh-platform", other)
    crawl(archive, 3, "sh-platform", other)  # missed twice: gone
    assert crawl(archive, 4, "sh-platform", moved, other).new == 0
    listings = [
        lst for lst in rows(archive, Listing) if lst.native_id in (PLATFORM.native_id, moved.native_id)
    ]
    assert len({lst.document_id for lst in listings}) == 1
    assert [lst.matched_by for lst in listings] == [None, "doc_number"]


def test_two_columns_of_one_site_listing_one_page_are_one_document(archive: Engine) -> None:
    # sites.md §1.1/§1.2: 政策文件 (nw12344) and 沪府规 (nw42944) of www.shanghai.gov.cn link one page.
    page = "87151565cd6246c99854c129797d178c.html"
    policy_files = NormalisedDocument(
        source="sh-gov",
        native_id=f"/nw12344/20221110/{page}",
        url=f"https://www.shanghai.gov.cn/nw12344/20221110/{page}",
        title="上海市人民政府关于印发《上海市促进人工智能产业发展若干政策》的通知",
        text=CLAUSES,
        doc_number="沪府规〔2022〕18号",
        published="2022-11-10",
    )
    rule_column = dataclasses.replace(
        policy_files,
        native_id=f"/nw42944/20221110/{page}",
        url=f"https://www.shanghai.gov.cn/nw42944/20221110/{page}",
    )
    crawl(archive, 1, "sh-gov", policy_files, rule_column)
    assert len(rows(archive, Document)) == 1 and kinds(archive) == ["new"]
    assert [lst.matched_by for lst in rows(archive, Listing)] == [None, "doc_number"]


def test_without_doc_number_the_title_and_the_day_match_listings(archive: Engine) -> None:
    crawl(archive, 1, "sh-platform", dataclasses.replace(PLATFORM, doc_number=None, title=DISTRICT.title))
    crawl(archive, 1, "minhang", dataclasses.replace(DISTRICT, doc_number=None))
    crawl(
        archive,
        1,
        "minhang",
        dataclasses.replace(DISTRICT, doc_number=None, native_id="/x/2025.html", published="2025-03-15"),
    )
    assert [lst.matched_by for lst in rows(archive, Listing)] == [None, "title_date", None]
    assert len(rows(archive, Document)) == 2


def test_documents_are_found_by_any_listing_s_native_id_and_list_their_listings(archive: Engine) -> None:
    crawl(archive, 1, "sh-platform", PLATFORM)
    crawl(archive, 2, "minhang", DISTRICT)
    with session_scope(archive) as session:
        document = find_document(session, DISTRICT.native_id)
        assert document.native_id == PLATFORM.native_id
        assert document.id is not None
        shown = [(lst.source_id, lst.url, lst.first_seen) for lst in listings_of(session, document.id)]
    assert shown == [
        ("sh-platform", PLATFORM.url, T0 + dt.timedelta(days=1)),
        ("minhang", DISTRICT.url, T0 + dt.timedelta(days=2)),
    ]


def test_renormalising_replays_the_listing_a_version_came_from(archive: Engine) -> None:
    crawl(archive, 1, "sh-platform", PLATFORM)
    crawl(archive, 1, "minhang", DISTRICT)
    crawl(archive, 2, "minhang", revised(DISTRICT))  # the revision's text is the district's
    crawl(archive, 3, "sh-platform", revised(PLATFORM))  # the platform catches up
    replayed: list[tuple[str, str]] = []

    def renormalise(version: Version, listing: Listing) -> None:
        replayed.append((listing.source_id, listing.native_id))

    # A newer normaliser reads what the old one dropped (here: the attachment line).
    newer = dataclasses.replace(
        revised(PLATFORM),
        text=revised(PLATFORM).text + "\n附件：闵行区海绵城市建设项目清单",
        normaliser_version=PLATFORM.normaliser_version + 1,
    )
    with session_scope(archive) as session:
        record_version(
            session, newer, crawl_run_id=None, seen_at=T0 + dt.timedelta(days=4), renormalise=renormalise
        )
    assert replayed == [("minhang", DISTRICT.native_id)]
