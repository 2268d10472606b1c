"""Response rules in the portal, in a real browser: a rule made on its page, an SMS left
unanswered past it shown live on the overview, and its conversation marked on the webchat
page."""
import pytest
from playwright.async_api import expect

from helpers.alerts import alerting_relay
from helpers.portal_browser import browser_page, open_page, screenshot, sign_in
from helpers.relays import stop_relay
from helpers.webhooks import inbound
from relay.core.timefmt import iso, utcnow

pytestmark = pytest.mark.slow


async def test_a_rule_made_in_the_portal_shows_what_waits(data_dir):
    running = await alerting_relay(data_dir)
    try:
        async with browser_page(running) as page:
            await sign_in(running, page)
            await open_page(page, "Response rules")
            form = page.locator("#rule-form")
            await form.get_by_label("Name").fill("front desk")
            await form.get_by_label("Reply within (minutes)").fill("1")
            await form.get_by_role("button", name="Create rule").click()
            await expect(page.get_by_role("cell", name="front desk")).to_be_visible()
            await screenshot(page, "rules")

            await open_page(page, "Overview")
            await inbound(running, contact="+12025550178", contact_name="Ann",
                          occurred_at=iso(utcnow()))
            waiting = page.locator("#waiting")
            await expect(waiting).to_contain_text("Ann (+12025550178)")   # live, within 1 s
            await expect(waiting).to_contain_text("front desk")
            await screenshot(page, "overview-waiting")

            await open_page(page, "Webchat")
            await expect(page.locator(".conversations .waiting")).to_have_text("Waiting")
    finally:
        running.client.close()
        await stop_relay(running)
