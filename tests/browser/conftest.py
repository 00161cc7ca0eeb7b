"""Headless Chromium against a real `policywatch serve`: the Debian chromium and chromedriver, started by
the tests (one browser and one server per module), and a full-page screenshot of every test.

Without chromium the tests skip on a developer's machine and fail under CI=true, where
.ci/ensure-system-packages installs it.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import REPO
from tests.e2e.conftest import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
    "--no-proxy-server",  # the server is on the loopback; nothing else may be reached
    "--window-size=1280,900",
    "--lang=zh-CN",
)
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
SERVER_START_S = 60

# Selenium Manager would download a driver and a browser: there is no internet, and the Debian ones exist.
os.environ["SE_OFFLINE"] = "true"


def require_chromium() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).is_file()]
    if not missing:
        return
    message = f"{' and '.join(missing)} not installed (Debian packages chromium, chromium-driver)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}: .ci/ensure-system-packages installs them in CI")
    pytest.skip(f"{message}: apt-get install chromium chromium-driver to run the browser tests")


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    require_chromium()
    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    # An alert opened by injected script must stay open, so a test can see it rather than have it dismissed.
    options.unhandled_prompt_behavior = "ignore"
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(autouse=True)
def screenshot(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each browser test, pass or fail: the whole page as test-artifacts/screenshots/<test>.png."""
    yield
    if "browser" not in request.fixturenames:
        return
    driver: WebDriver = request.getfixturevalue("browser")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path = SCREENSHOTS / f"{request.node.name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), f"{path} is not a PNG"


def serve(data_dir: Path) -> Iterator[str]:
    """`policywatch serve` on a free port over the archive in ``data_dir``, as a real process; its URL."""
    port = free_port()
    log_path = data_dir / "serve.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("POLICYWATCH_")}
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "policywatch", "serve", "--port", str(port), "--data-dir", str(data_dir)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not _answers(url):
            if server.poll() is not None or time.monotonic() > deadline:
                output = log_path.read_text(encoding="utf-8", errors="replace")
                pytest.fail(f"policywatch serve did not answer on {url} (exit {server.poll()}):\n{output}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/search", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
