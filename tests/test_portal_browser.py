"""The portal end to end in a real browser (headless chromium) against a real relay: sign-in,
keys, phones, messages through a simulated phone, webchat, analytics and exports."""
import asyncio
import contextlib
import csv
import datetime as dt
import io

import pytest
from playwright.async_api import expect

from helpers.portal_browser import PASSWORD, browser_page, open_page, screenshot, sign_in
from relay.core.inbound import inbound_event
from relay.agent.agent import Agent
from relay.agent.backends.simulator import Simulator
from relay.phones.inbound import RecordInbound

pytestmark = pytest.mark.slow


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


async def _paired_agent(relay, page, phone_id: str, **simulator) -> tuple[Agent, asyncio.Task]:
    """Adds the phone in the portal, checks its Setup QR, and pairs a simulated phone with the
    code shown on screen."""
    await open_page(page, "Phones")
    await page.get_by_label("New phone id").fill(phone_id)
    await page.get_by_role("button", name="Add phone").click()
    qr = page.get_by_role("img", name=f"Setup QR for {phone_id}")
    await expect(qr.locator("svg")).to_be_visible()
    code = await page.locator("#pairing-code").text_content()
    agent = Agent(Simulator(**{"delay": 0.2, **simulator}), relay.base_url,
                  pairing_code=code)
    task = asyncio.ensure_future(agent.run())
    await asyncio.wait_for(agent.connected.wait(), 10)
    return agent, task


async def _stop(agent: Agent, task: asyncio.Task) -> None:
    agent.stop()
    await asyncio.gather(task, return_exceptions=True)
    agent.close()


async def test_a_message_sent_from_the_portal_reaches_sent_through_a_phone(relay):
    await relay.new_client("shop")
    async with browser_page(relay) as page:
        await sign_in(relay, page)
        agent, task = await _paired_agent(relay, page, "phone_main")
        try:
            await page.reload()
            await expect(page.locator("#page")).to_have_attribute("data-ready", "phones")
            await expect(page.get_by_role("cell", name="online")).to_be_visible()
            await page.get_by_role("button", name="Pace phone_main").click()
            pacing = page.get_by_role("form", name="Pacing of phone_main")
            await pacing.get_by_label("Per hour (0: no cap)").fill("5")
            await pacing.get_by_role("button", name="Save pacing").click()
            await expect(page.get_by_role("cell", name="0/5 this hour")).to_be_visible()
            await screenshot(page, "phones")
            await open_page(page, "Messages")
            form = page.locator("#send-form")
            await form.get_by_label("To").fill("+12025550143")
            await form.get_by_label("Text").fill("Hello from the portal")
            await form.get_by_role("button", name="Send").click()
            row = page.locator("#message-list tbody tr").first
            await expect(row.locator("[data-status]")).to_have_text("sent")
            await row.click()
            detail = page.locator("#message-detail")
            await expect(detail.get_by_role("cell", name="sent")).to_be_visible()
            await expect(detail.get_by_role("cell", name="queued")).to_be_visible()
            await screenshot(page, "messages")
        finally:
            await _stop(agent, task)


async def test_a_message_scheduled_in_the_portal_can_be_cancelled_there(relay):
    await relay.new_client("shop")
    await relay.api.admin("phones.add", phone_id="phone_main")
    async with browser_page(relay) as page:
        await sign_in(relay, page)
        await open_page(page, "Messages")
        form = page.locator("#send-form")
        await form.get_by_label("To").fill("+12025550143")
        later = dt.datetime.now() + dt.timedelta(days=30)
        await form.get_by_label("Send at (empty: now)").fill(later.strftime("%Y-%m-%dT%H:%M"))
        await form.get_by_label("Text").fill("See you next month")
        await form.get_by_role("button", name="Send").click()
        row = page.locator("#message-list tbody tr").first
        await expect(row.locator("td").nth(4)).not_to_be_empty()
        await row.click()
        detail = page.locator("#message-detail")
        await expect(detail).to_contain_text("Scheduled for")
        await expect(detail).to_contain_text("1 SMS part (GSM-7)")
        await detail.get_by_role("button", name="Cancel").click()
        await expect(detail).to_contain_text("last error: cancelled")
        await expect(row.locator("[data-status]")).to_have_text("failed")
        await screenshot(page, "messages-scheduled")


@contextlib.asynccontextmanager
async def _webchat_with_a_phone(relay):
    """The Webchat page open, with phone_main paired to an agent that delivers at once."""
    async with browser_page(relay) as page:
        await sign_in(relay, page)
        agent, task = await _paired_agent(relay, page, "phone_main", delay=0)
        try:
            await open_page(page, "Webchat")
            yield page, agent
        finally:
            await _stop(agent, task)


async def test_inbound_appears_live_in_webchat_and_can_be_answered(relay):
    await relay.new_client("shop")
    async with _webchat_with_a_phone(relay) as (page, agent):
        agent.report_inbound({"event_id": "ev-1", "channel": "sms", "event_type": "message",
                              "contact": "+12025550178", "text": "Are you open today?",
                              "occurred_at": "2026-11-26T10:00:00Z"})
        await expect(page.get_by_text("Are you open today?")).to_be_visible()
        agent.report_inbound({"event_id": "ev-2", "channel": "sms", "event_type": "missed",
                              "contact": "+12025550178", "duration_sec": 0,
                              "occurred_at": "2026-11-26T10:01:00Z"})
        await expect(page.get_by_text("Missed call")).to_be_visible()
        reply = page.locator("#send-form")
        await reply.get_by_label("Text").fill("Yes, until six")
        await reply.get_by_role("button", name="Send").click()
        timeline = page.locator(".timeline")
        await expect(timeline.locator("li.out")).to_contain_text("Yes, until six")
        await expect(timeline.locator("li.out [data-status]")).to_have_text("sent")
        await screenshot(page, "webchat")


async def test_webchat_keeps_one_conversation_whatever_the_letter_case(relay):
    """Bob@Example.com writing in and a reply to bob@example.com are one conversation, as
    they are one contact in analytics."""
    client = await relay.new_client("shop")
    try:
        async with _webchat_with_a_phone(relay) as (page, agent):
            agent.report_inbound({"event_id": "ev-1", "channel": "email",
                                  "event_type": "message", "contact": "Bob@Example.com",
                                  "text": "Is my order ready?",
                                  "occurred_at": "2026-11-26T10:00:00Z"})
            await expect(page.get_by_text("Is my order ready?")).to_be_visible()
            status, _ = await client.post("/api/v1/messages", {
                "phone_id": "phone_main", "channel": "email", "to": "bob@example.com",
                "subject": "Your order", "text": "Ready since noon"})
            assert status == 202
            await expect(page.locator(".timeline li.out")).to_contain_text("Ready since noon")
            await expect(page.locator(".conversations li")).to_have_count(1)
    finally:
        client.close()


async def test_analytics_draws_charts_and_exports_csv(relay):
    client = await relay.new_client("shop")
    await relay.api.admin("phones.add", phone_id="phone_main")
    for number, (contact, kind) in enumerate([("+12025550178", "message"),
                                              ("+12025550178", "answered"),
                                              ("+12025550143", "message")]):
        event = inbound_event({"event_id": f"ev-{number}", "channel": "sms", "event_type": kind,
                               "contact": contact, "text": "hi" if kind == "message" else None,
                               "duration_sec": 60 if kind == "answered" else None,
                               "occurred_at": "2026-11-20T09:30:00Z"}, "US")
        await relay.relay.store.write(RecordInbound("phone_main", event))
    for text in ("one", "two"):
        status, _ = await client.post("/api/v1/messages", {
            "phone_id": "phone_main", "channel": "sms", "to": "+12025550143", "text": text,
            "tags": ["vip"]})
        assert status == 202
    async with browser_page(relay) as page:
        await sign_in(relay, page)
        await open_page(page, "Analytics")
        form = page.locator("#analytics-form")
        await form.get_by_label("Range").select_option("all")
        await form.get_by_label("Time zone").fill("UTC")
        await form.get_by_role("button", name="Run query").click()
        await expect(page.locator("#analytics-summary")).to_contain_text("3 inbound")
        for chart in ("chart-hourly", "chart-daily", "chart-channels"):
            total = await page.evaluate(
                "id => Chart.getChart(document.getElementById(id)).data.datasets"
                ".flatMap(d => d.data).reduce((a, b) => a + b, 0)", chart)
            assert total > 0, chart
        await expect(page.get_by_role("cell", name="vip")).to_be_visible()
        await screenshot(page, "analytics")
        async with page.expect_download() as waiting:
            await page.get_by_role("button", name="Export CSV").click()
        download = await waiting.value
        assert download.suggested_filename.endswith(".csv")
        rows = list(csv.DictReader(io.StringIO((await download.path()).read_text())))
        # CSV cells that start with + are neutralised for spreadsheets (relay/analytics/exports)
        assert sorted(r["source"] for r in rows) == ["'+12025550143", "'+12025550178",
                                                     "'+12025550178"]
