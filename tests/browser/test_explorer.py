"""The explorer in headless Chromium, as an analyst uses it: search, open a document, open a diff; and a
document whose scraped title and text carry script and markup stays inert text.

The archive is built by the real stages (flows.stages.archive_documents): a 长宁 district 招商 policy
modelled on the platform's district documents (../shared/sites.md §0.2), amended once, and a document
with planted XSS payloads, as a compromised or careless CMS could serve them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from crawlers.registry import load_registry
from storage.archive import sync_sources
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from tests.browser.conftest import serve
from tests.flows.test_lifecycle import crawl, document

POLICY_TITLE = "长宁区关于促进招商引资高质量发展的若干措施"
POLICY_V1 = document(
    "0074::007499001",
    POLICY_TITLE,
    "第一条 为优化营商环境，促进招商引资高质量发展，制定本措施。\n"
    "第二条 对新引进的总部企业，给予不超过1000万元的一次性落户奖励。\n"
    "第三条 本措施自2026年1月1日起施行，有效期至2028年12月31日。",
    "长发改规〔2025〕7号",
    "2025-12-20",
)
POLICY_V2 = document(
    POLICY_V1.native_id,
    POLICY_TITLE,
    POLICY_V1.text.replace("不超过1000万元的一次性落户奖励", "不超过500万元的落户奖励，分三年拨付"),
    POLICY_V1.doc_number,
    "2025-12-20",
)
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
XSS = document(
    "0074::007499002",
    f"关于防范网页注入{SCRIPT}的通知{IMG}",
    f"第一条 网页中出现{SCRIPT}或{IMG}等代码的，应当作为文字显示。\n第二条 本通知自印发之日起施行。",
    "长网信〔2025〕1号",
    "2025-11-03",
)


@pytest.fixture(scope="module")
def explorer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("explorer")
    engine = make_engine(f"sqlite:///{data_dir / 'policywatch.sqlite3'}")
    upgrade(engine)
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    crawl(engine, "r1", [POLICY_V1, XSS])
    crawl(engine, "r22", [POLICY_V2, XSS])
    engine.dispose()
    yield from serve(data_dir)


def wait(browser: WebDriver) -> WebDriverWait:
    return WebDriverWait(browser, 10)


def no_alert(browser: WebDriver) -> None:
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018  # the property raises when no dialog is open


def search_for(browser: WebDriver, explorer: str, query: str) -> list[WebElement]:
    """Types ``query`` into the search form of the front page and submits it; the hits' title links."""
    browser.get(f"{explorer}/")
    box = browser.find_element(By.CSS_SELECTOR, "form#search input[name=q]")
    box.send_keys(query)
    box.submit()
    # The front page lists documents too: wait for the results page, then for its hits.
    wait(browser).until(expected_conditions.url_contains("q="))
    wait(browser).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "li.hit")))
    return browser.find_elements(By.CSS_SELECTOR, "li.hit a.hit-title")


def open_document(browser: WebDriver, explorer: str, title: str) -> None:
    link = next(a for a in search_for(browser, explorer, title[:4]) if a.text == title)
    link.click()
    wait(browser).until(expected_conditions.url_matches(r"/documents/\d+$"))


def test_searching_a_two_character_word_finds_the_document_and_its_title_opens_it(
    browser: WebDriver, explorer: str
) -> None:
    links = search_for(browser, explorer, "招商")
    assert "q=%E6%8B%9B%E5%95%86" in browser.current_url
    assert [a.text for a in links] == [POLICY_TITLE]
    links[0].click()
    wait(browser).until(expected_conditions.url_matches(r"/documents/\d+$"))
    assert POLICY_TITLE in browser.find_element(By.TAG_NAME, "h1").text
    assert "长发改规〔2025〕7号" in browser.find_element(By.TAG_NAME, "body").text


def test_the_diff_shows_the_deleted_and_the_inserted_clause_text(browser: WebDriver, explorer: str) -> None:
    open_document(browser, explorer, POLICY_TITLE)
    from_select = browser.find_element(By.CSS_SELECTOR, "select[name=from]")
    to_select = browser.find_element(By.CSS_SELECTOR, "select[name=to]")
    assert from_select.find_element(By.XPATH, "./ancestor::form") == to_select.find_element(
        By.XPATH, "./ancestor::form"
    )
    to_select.find_element(By.XPATH, "./ancestor::form").submit()
    wait(browser).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.diff")))
    assert re.search(r"/documents/\d+/diff\?from=\d+&to=\d+$", browser.current_url)
    deleted = "".join(element.text for element in browser.find_elements(By.CSS_SELECTOR, "table.diff del"))
    inserted = "".join(element.text for element in browser.find_elements(By.CSS_SELECTOR, "table.diff ins"))
    assert "1000" in deleted and "一次性" in deleted
    assert "500" in inserted and "分三年拨付" in inserted
    assert "500" not in deleted and "1000" not in inserted
    assert "第二条" in browser.find_element(By.CSS_SELECTOR, "table.diff").text


def assert_inert(browser: WebDriver) -> None:
    """No dialog opened, no element was injected, and the payloads read as the text they are."""
    no_alert(browser)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert SCRIPT in body and IMG in body
    assert browser.find_elements(By.CSS_SELECTOR, "img[onerror], img[src='x']") == []
    scripts = browser.find_elements(By.TAG_NAME, "script")
    assert not [s for s in scripts if "alert" in (s.get_attribute("textContent") or "")]


def test_a_document_carrying_script_and_markup_shows_them_as_text(browser: WebDriver, explorer: str) -> None:
    open_document(browser, explorer, XSS.title)
    assert_inert(browser)
    assert XSS.title in browser.find_element(By.TAG_NAME, "h1").text


def test_search_results_show_a_hostile_title_and_snippet_as_text(browser: WebDriver, explorer: str) -> None:
    browser.get(f"{explorer}/search?q=%E6%B3%A8%E5%85%A5")  # 注入
    wait(browser).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "li.hit")))
    assert_inert(browser)
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "li.hit a.hit-title")] == [XSS.title]
