"""The portal's Callbacks page in a real browser: create, edit, deactivate and delete a
callback, and its delivery log with attempts and redeliver, against a real receiver."""
import asyncio

import pytest
from playwright.async_api import expect

from helpers.polling import eventually
from helpers.portal_browser import browser_page, open_page, screenshot, sign_in
from helpers.webhooks import inbound

pytestmark = pytest.mark.slow


async def test_callbacks_are_managed_and_redelivered_from_the_portal(hooks, receiver):
    async with browser_page(hooks) as page:
        await sign_in(hooks, page)
        await open_page(page, "Callbacks")
        form = page.locator("#callback-form")
        await form.get_by_label("Callback URL").fill(receiver.url("hook"))
        await form.get_by_role("button", name="Create callback").click()
        await expect(page.locator("#secret-out code")).to_contain_text("whsec_")

        await inbound(hooks, text="first")
        await eventually(lambda: receiver.bodies("hook"), what="the first delivery")
        await page.get_by_role("button", name="Deliveries").click()
        await expect(page.locator("#deliveries tbody tr")).to_have_count(1)
        await expect(page.locator("#deliveries")).to_contain_text("delivered")
        await page.get_by_role("button", name="Redeliver").first.click()
        await eventually(lambda: len(receiver.bodies("hook")) == 2, what="the redelivery")
        await screenshot(page, "callbacks")

        await page.get_by_role("button", name="Edit").click()
        await page.locator("#callback-form").get_by_label("Keyword filter").fill("urgent")
        await page.get_by_role("button", name="Save callback").click()
        # The Deactivate button shows before the save too: wait for the saved filter itself.
        await eventually(lambda: [c.spec.keyword_filter for c in
                                  hooks.relay.state.webhooks.client_callbacks("app")] == ["urgent"],
                         what="the saved keyword filter")

        await page.get_by_role("button", name="Deactivate").click()
        await expect(page.get_by_role("button", name="Deactivate")).to_have_count(0)
        assert not hooks.relay.state.webhooks.client_callbacks("app")[0].spec.active

        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await page.get_by_role("button", name="Delete").click()
        await expect(page.get_by_role("button", name="Edit")).to_have_count(0)
        assert not hooks.relay.state.webhooks.client_callbacks("app")
