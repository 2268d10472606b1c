"""The portal end to end in a real browser (headless chromium) against a real relay: sign-in,
keys, phones, messages through a simulated phone, webchat, analytics and exports."""
import asyncio
import csv
import io

from playwright.async_api import expect

from portal_helpers import PASSWORD, browser_page, open_page, screenshot, sign_in
from relay.device.agent import Agent
from relay.device.simulator import Simulator


async def test_sign_in_refuses_a_wrong_password_then_signs_in(relay):
    await relay.api.admin("portal.set_password", password=PASSWORD)
    async with browser_page(relay) as page:
        await page.goto("/")
        await page.get_by_label("Password").fill("not the password")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#signin-error")).to_have_text("the password is wrong")
        await expect(page.locator("#nav")).to_be_hidden()
        await screenshot(page, "signin-refused")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.locator("#page")).to_have_attribute("data-ready", "overview")
        await expect(page.locator("#health")).to_have_text("OK")
        await screenshot(page, "overview")
        cookie = next(c for c in await page.context.cookies() if c["name"] == "relay_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.locator("#signin")).to_be_visible()


async def test_first_visit_with_the_setup_code(relay):
    async with browser_page(relay, width=390, height=844) as page:    # a phone's screen
        await page.goto("/")
        await expect(page.locator("#signin-title")).to_have_text("Set up the portal")
        await page.get_by_label("Setup code").fill(relay.relay.portal.setup_code)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Set password and sign in").click()
        await expect(page.locator("#page")).to_have_attribute("data-ready", "overview")
        await screenshot(page, "overview-phone")
    assert relay.relay.portal.setup_code is None


async def test_a_key_made_in_the_portal_works_until_revoked(relay):
    async with browser_page(relay) as page:
        await sign_in(relay, page)
        await open_page(page, "API keys")
        await page.get_by_label("Client name").fill("shop")
        await page.get_by_role("button", name="Create key").click()
        key = await page.locator("#new-key-value").text_content()
        await expect(page.locator("#new-key").get_by_role("button", name="Copy")).to_be_visible()
        await screenshot(page, "keys")
        status, _ = await relay.api.get("/api/v1/phones", key=key)
        assert status == 200
        page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await page.get_by_role("button", name="Revoke shop").click()
        await expect(page.get_by_role("button", name="Revoke shop")).to_have_count(0)
        status, body = await relay.api.get("/api/v1/phones", key=key)
        assert status == 401 and body["error"]["code"] == "invalid_key"
