"""A real headless chromium (Debian's `chromium` + `chromium-driver`, driven by Selenium; nothing
is downloaded at test time). Without them the browser tests skip locally and FAIL in CI
(`CI` set): .ci/run installs them.

Selenium's calls block, and the app under test serves on the test's own event loop, so every
browser call runs in a worker thread (`Browser` wraps them)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("HANDOFF_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HANDOFF_CHROMEDRIVER", "/usr/bin/chromedriver")


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(path) or shutil.which(path)):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (make install)"
    return None


class Browser:
    """The driver's calls, each awaited in a thread so the app can answer meanwhile."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def __call__(self, method: str, *args: Any) -> Any:
        return await asyncio.to_thread(getattr(self.driver, method), *args)

    async def js(self, script: str, *args: Any) -> Any:
        return await asyncio.to_thread(self.driver.execute_script, script, *args)

    async def js_async(self, script: str, *args: Any) -> Any:
        return await asyncio.to_thread(self.driver.execute_async_script, script, *args)

    async def console_errors(self) -> list[str]:
        logs = await asyncio.to_thread(self.driver.get_log, "browser")
        return [entry["message"] for entry in logs if entry.get("level") == "SEVERE"]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One browser for the whole session."""
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests need chromium in CI: {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium: Any) -> Iterator[Browser]:
    chromium.delete_all_cookies()
    chromium.get_log("browser")  # drop what an earlier test left (its expected 4xx)
    yield Browser(chromium)
    chromium.delete_all_cookies()
