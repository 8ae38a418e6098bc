"""The dashboard in a real browser (headless chromium): signed in through the chat link, every
page on seeded data draws without console errors and passes axe-core (no serious or critical
violation), each chart paints its canvas, filters and the CSV export work, someone who is not
an admin sees only their own, and a forged, reused or expired link is refused.

`HANDOFF_SCREENSHOTS=1` also writes docs/dashboard-overview.png and docs/dashboard-story.png."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from csv import reader as csv_reader
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.devtools.sandbox import Sandbox
from db.uow import Database
from tests.browser.conftest import Browser
from tests.dashboard.helpers import dashboard_sandbox, link_from_chat
from tests.dashboard.seed import OTHER_SECRET, Seeded, profiles, seed

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "api" / "dashboard" / "static" / "vendor" / "axe-core" / "axe.min.js"
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
PAGES = ("/dashboard", "/dashboard/requests", "/dashboard/people", "/dashboard/directory")

PAINTED = """
return Array.from(document.querySelectorAll('.chart')).map(function (el) {
  var canvas = el.querySelector('canvas');
  if (!canvas || !canvas.width || !canvas.height) return el.id + ': no canvas';
  var data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (var i = 3; i < data.length; i += 4) if (data[i] !== 0) return el.id + ': painted';
  return el.id + ': blank';
});
"""
AXE_RUN = """
var done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(function (r) {
  done(r.violations
    .filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; })
    .map(function (v) { return v.id + ': ' + v.help + ' (' + v.nodes.length + ')'; }));
}, function (e) { done(['axe failed: ' + e]); });
"""


@pytest.fixture
async def app(
    db: Database, database_url: str
) -> AsyncIterator[tuple[Sandbox, Seeded, list[datetime]]]:
    now = [NOW]
    async with dashboard_sandbox(database_url, clock=lambda: now[0]) as box:
        await profiles(db, NOW)
        yield box, await seed(db, NOW), now


async def sign_in(box: Sandbox, browser: Browser, user: str) -> str:
    """Follow the link `/handoff dashboard` answered with; returns the link."""
    link = await link_from_chat(box, user)
    await browser("get", link)
    await continue_(browser)
    return link


async def continue_(browser: Browser) -> None:
    await browser.js("document.getElementById('continue').click();")
    await wait_for(
        browser, "document.readyState === 'complete' && !document.getElementById('continue')"
    )


async def wait_for(browser: Browser, condition: str, seconds: float = 10) -> None:
    script = f"""
    var done = arguments[arguments.length - 1], until = Date.now() + {seconds * 1000};
    (function poll() {{
      var ok = false; try {{ ok = !!({condition}); }} catch (e) {{}}
      if (ok) return done(true);
      if (Date.now() > until) return done(false);
      setTimeout(poll, 50);
    }})();
    """
    assert await browser.js_async(script), f"timed out waiting for: {condition}"


async def text(browser: Browser) -> str:
    return str(await browser.js("return document.body.innerText;"))


async def accessible(browser: Browser) -> list[str]:
    if not await browser.js("return typeof axe !== 'undefined';"):
        await browser.js(AXE.read_text())
    return list(await browser.js_async(AXE_RUN))


async def screenshot(browser: Browser, name: str) -> None:
    if not os.environ.get("HANDOFF_SCREENSHOTS"):
        return
    height = int(await browser.js("return document.documentElement.scrollHeight;"))
    await browser("set_window_size", 1280, min(max(height, 900), 4000))
    await browser("save_screenshot", str(ROOT / "docs" / name))
    await browser("set_window_size", 1280, 900)


async def test_an_admin_signs_in_from_chat_and_every_page_works(
    app: tuple[Sandbox, Seeded, list[datetime]], browser: Browser
) -> None:
    box, seeded, _ = app
    await sign_in(box, browser, "U_ALICE")
    assert (await browser.js("return location.pathname;")) == "/dashboard"

    for path in PAGES:
        await browser("get", box.base_url + path)
        await wait_for(browser, "document.readyState === 'complete'")
        shown = await text(browser)
        assert "Admin: the whole workspace" in shown, path
        assert OTHER_SECRET not in shown
        if path == "/dashboard":
            await wait_for(browser, "document.querySelectorAll('.chart canvas').length === 4")
            painted = await browser.js(PAINTED)
            assert painted == [
                "open-age: painted",
                "confirm-weeks: painted",
                "outcomes: painted",
                "hops: painted",
            ]
            await screenshot(browser, "dashboard-overview.png")
        assert await accessible(browser) == [], path
        assert await browser.console_errors() == [], path

    await browser("get", f"{box.base_url}/dashboard/requests/{seeded.refund}")
    story = await text(browser)
    assert "Refunds are Bob's" in story and "Open the thread in Slack" in story
    assert await accessible(browser) == []
    await screenshot(browser, "dashboard-story.png")

    # Filters: type a search, pick a status, submit the form as a person would.
    await browser("get", f"{box.base_url}/dashboard/requests")
    await browser.js(
        "document.querySelector('input[name=q]').value = 'invoice';"
        "document.querySelector('select[name=status]').value = 'owned';"
        "document.querySelector('form.filters').requestSubmit();"
    )
    await wait_for(browser, "location.search.indexOf('q=invoice') >= 0")
    await wait_for(browser, "document.readyState === 'complete'")
    assert "12 request(s)" in await text(browser)  # 11 weekly invoices and the refund
    exported = await browser.js_async(
        "var done = arguments[0];"
        "fetch(document.getElementById('csv').href).then(r => r.text()).then(done);"
    )
    rows = list(csv_reader(io.StringIO(str(exported))))
    assert rows[0][:3] == ["id", "created_at", "status"] and len(rows) == 13
    assert await browser.console_errors() == []


async def test_someone_else_sees_only_their_own_and_acts_from_the_people_page(
    app: tuple[Sandbox, Seeded, list[datetime]], browser: Browser
) -> None:
    box, seeded, _ = app
    await sign_in(box, browser, "U_BOB")
    await browser("get", f"{box.base_url}/dashboard/requests")
    shown = await text(browser)
    assert "Showing what involves you" in shown
    assert "Password reset" in shown and "The API answers 500" not in shown
    await browser("get", f"{box.base_url}/dashboard/requests/{seeded.two_days}")
    assert "Not found" in await text(browser)
    assert all("404" in e for e in await browser.console_errors())  # that 404, nothing else

    await browser("get", f"{box.base_url}/dashboard/people")
    await wait_for(browser, "typeof htmx !== 'undefined'")
    await browser.js("document.querySelector('.actions button').click();")
    await wait_for(browser, "document.querySelector('.said') !== null")
    assert "Confirmed" in await text(browser)
    assert await accessible(browser) == []
    assert await browser.console_errors() == []


async def test_forged_reused_and_expired_links_are_refused(
    app: tuple[Sandbox, Seeded, list[datetime]], browser: Browser
) -> None:
    box, _, now = app
    used = await sign_in(box, browser, "U_BOB")
    await browser("delete_all_cookies")

    await browser("get", used)
    await continue_(browser)
    assert "already used" in await text(browser)

    await browser("get", f"{box.base_url}/dashboard/sign-in?token=forged-by-someone")
    await continue_(browser)
    assert "not valid" in await text(browser)

    late = await link_from_chat(box, "U_BOB")
    now[0] += timedelta(minutes=11)
    await browser("get", late)
    await continue_(browser)
    assert "expired" in await text(browser)
    assert await accessible(browser) == []

    await browser("get", f"{box.base_url}/dashboard")
    assert "Sign in from Slack" in await text(browser)
