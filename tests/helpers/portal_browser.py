"""Driving the portal in Debian's headless chromium with Playwright (its own browser download
does not work offline; ./scripts/test.sh installs chromium). Screenshots go to
test-artifacts/portal/."""
import contextlib
import pathlib
import shutil

import pytest
from playwright.async_api import async_playwright, expect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"
PASSWORD = "correct horse battery"


@contextlib.asynccontextmanager
async def browser_page(relay, width: int = 1280, height: int = 900):
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: ./scripts/test.sh installs it (apt-get)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            context = await browser.new_context(base_url=relay.base_url, accept_downloads=True,
                                                viewport={"width": width, "height": height})
            page = await context.new_page()
            page.set_default_timeout(10_000)
            yield page
        finally:
            await browser.close()


async def sign_in(relay, page) -> None:
    await relay.api.admin("portal.set_password", password=PASSWORD)
    await page.goto("/")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#nav")).to_be_visible()
    await expect(page.locator("#page")).to_have_attribute("data-ready", "overview")


async def open_page(page, name: str) -> None:
    await page.get_by_role("link", name=name).click()
    await expect(page.locator("#page")).to_have_attribute("data-ready",
                                                          page_id(name))


def page_id(name: str) -> str:
    return {"API keys": "keys", "Response rules": "rules"}.get(name, name.lower())


async def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
