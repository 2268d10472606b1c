"""What the owner sees in the portal's pages, in headless chromium against a real relay: one
page at a time however fast the navigation, analytics answering as soon as it opens, and the
analytics tables readable in full at a desktop width."""
import asyncio
import contextlib

import pytest
from playwright.async_api import expect

from helpers.portal_browser import browser_page, open_page, screenshot, sign_in

pytestmark = pytest.mark.slow

# The longest address of the sent_by_person table: an email address has no space to wrap at.
LONG_ADDRESS = "accounts.payable.department@example-company.com"
THREE_SENT = ("+12025550143", "+12025550178", "+12025550178")


@contextlib.asynccontextmanager
async def _client_who_sent(relay, name: str, addresses):
    """A client that has sent one message to each address (email to those with an @) through
    phone_main."""
    client = await relay.new_client(name)
    try:
        await relay.api.admin("phones.add", phone_id="phone_main")
        for to in addresses:
            channel = {"channel": "email", "subject": "Invoice"} if "@" in to else {"channel": "sms"}
            status, body = await client.post("/api/v1/messages", {
                "phone_id": "phone_main", "to": to, "text": "hello", **channel})
            assert status == 202, body
        yield client
    finally:
        client.close()


@contextlib.asynccontextmanager
async def _answered_late(page, url: str, client: str | None = None):
    """Holds the relay's answers to url (for one client, or all) until the block has run, then
    waits until the page has received the last of them: a render started in the block is still
    waiting while the next one starts, and finishes last."""
    release = asyncio.Event()
    held = []

    async def answer_late(route):
        if client is not None and route.request.headers.get("x-relay-client") != client:
            await route.continue_()
            return
        held.append(asyncio.ensure_future(page.wait_for_event(
            "requestfinished", lambda request: request is route.request)))
        await release.wait()
        await route.continue_()

    await page.route(url, answer_late)
    try:
        yield
    finally:
        release.set()
    assert held, f"nothing asked for {url}"
    await asyncio.gather(*held)
    await page.unroute(url)
    await page.evaluate("() => new Promise(requestAnimationFrame)")


async def test_choosing_a_client_then_a_page_at_once_draws_only_that_page(relay):
    """The overview asked for by the client change answers last: it must not be drawn under
    the Phones page that was asked for after it."""
    for name in ("cafe", "shop"):
        (await relay.new_client(name)).close()
    async with browser_page(relay) as page:
        await sign_in(relay, page)
        async with _answered_late(page, "**/portal/api/overview"):
            await page.locator("#client").select_option("shop")
            await page.get_by_role("link", name="Phones").click()
            await expect(page.locator("#page")).to_have_attribute("data-ready", "phones")
        await expect(page.locator("#page h1")).to_have_text(["Phones"])
        await expect(page.locator("#health")).to_have_count(0)
        await expect(page.locator("#page")).to_have_attribute("data-ready", "phones")
        await screenshot(page, "client-then-page")


async def test_analytics_shows_the_last_chosen_client_however_fast_the_choices(relay):
    """Choosing shop then cafe on the Analytics page, shop's answer arriving last: cafe's
    summary and charts stay, alone."""
    (await relay.new_client("shop")).close()
    async with _client_who_sent(relay, "cafe", THREE_SENT), browser_page(relay) as page:
        await sign_in(relay, page)
        await open_page(page, "Analytics")
        await expect(page.locator("#client")).to_have_value("cafe")
        async with _answered_late(page, "**/portal/api/webchat/inbound/query", "shop"):
            async with page.expect_request(lambda request: "/inbound/query" in request.url
                                           and request.headers["x-relay-client"] == "shop"):
                await page.locator("#client").select_option("shop")
            await page.locator("#client").select_option("cafe")
            await expect(page.locator("#analytics-summary")).to_contain_text("3 sent")
        await expect(page.locator("#analytics-summary")).to_have_count(1)
        await expect(page.locator("#analytics-summary")).to_contain_text("3 sent")
        assert await _chart_total(page, "chart-daily") == 3


async def _chart_total(page, chart_id: str) -> float:
    return await page.evaluate(
        "id => Chart.getChart(document.getElementById(id)).data.datasets"
        ".flatMap(d => d.data).reduce((a, b) => a + b, 0)", chart_id)


async def test_analytics_shows_the_default_query_when_it_opens(relay):
    async with _client_who_sent(relay, "shop", THREE_SENT), browser_page(relay) as page:
        await sign_in(relay, page)
        await open_page(page, "Analytics")
        await expect(page.locator("#analytics-summary")).to_contain_text("3 sent")
        await expect(page.locator("#analytics-out").get_by_role("cell", name="+12025550178")
                     ).to_be_visible()
        assert await _chart_total(page, "chart-daily") == 3


async def test_sent_by_person_shows_its_last_column_in_full_at_desktop_widths(relay):
    async with _client_who_sent(relay, "shop", ["+12025550143", LONG_ADDRESS]), \
            browser_page(relay) as page:
        await sign_in(relay, page)
        await open_page(page, "Analytics")
        section = page.locator("section", has=page.get_by_role("heading", name="Sent by person"))
        await expect(section.get_by_role("cell", name=LONG_ADDRESS)).to_be_visible()
        headings = section.get_by_role("columnheader")
        await expect(headings).to_have_text(["To", "Sent", "Last"])
        for width in (1280, 1024):
            await page.set_viewport_size({"width": width, "height": 900})
            await screenshot(page, f"analytics-{width}")
            frame = await section.locator(".scroll").bounding_box()
            for cell in [headings.nth(2), *await section.locator("td:nth-child(3)").all()]:
                box = await cell.bounding_box()
                assert box["x"] >= frame["x"] and (
                    box["x"] + box["width"] <= frame["x"] + frame["width"] + 0.5), width
                assert await cell.evaluate("c => c.scrollWidth <= c.clientWidth"), width
