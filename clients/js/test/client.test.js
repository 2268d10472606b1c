// Every method of the client against one real relay with a simulated phone (whose history has a
// message and a missed call imported), the lost-answer retry and webhook verification included.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { Webhook } from "standardwebhooks";

import { Relay, RelayError, WebhookVerificationError, verifyWebhook } from "../dist/index.js";
import { PHONE, RelayWithPhone, losingProxy, receiver, sleep, waitFor } from "./loopback.js";

const QUICK = { attempts: 3, baseDelay: 0.05, maxDelay: 0.1 };
const unique = () => `test-${randomUUID().slice(0, 12)}`;
const sms = (fields = {}) => ({ phone_id: PHONE, channel: "sms", to: "+12025550143", text: "hi",
                                ...fields });

/** A whole second this many days from now (the relay writes times to the millisecond). */
function daysAhead(days) {
  return new Date(Math.floor(Date.now() / 1000) * 1000 + days * 86_400_000);
}

async function collect(iterator) {
  const items = [];
  for await (const item of iterator) items.push(item);
  return items;
}

async function refusal(promise) {
  const error = await promise.then(() => assert.fail("expected a RelayError"), (e) => e);
  assert.ok(error instanceof RelayError, String(error));
  return error;
}

let relay, client;
before(async () => {
  relay = await new RelayWithPhone().start();
  client = new Relay({ url: relay.url, key: relay.key });
});
after(async () => { await relay?.stop(); });

describe("messages", () => {
  test("a send without a key gets a UUID and the phone sends it once", async () => {
    const accepted = await client.send(sms({ text: "hello" }));
    assert.equal(accepted.status, "queued");
    assert.match(accepted.idempotency_key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
    const sent = await waitFor(async () => {
      const message = await client.getMessage(accepted.message_id);
      return message.status === "sent" && message;
    }, "the message to be sent");
    assert.deepEqual(sent.history.map((h) => h.status), ["queued", "sending", "sent"]);
    assert.equal(relay.timesSent(accepted.message_id), 1);
  });

  test("every channel and option", async () => {
    const source = unique();
    const sends = [
      { channel: "sms", to: "(202) 555-0143", tags: ["Orders", "vip"], sim: 2 },
      { channel: "wa", to: "+12025550178" },
      { channel: "tg", to: "@relay_test_user" },
      { channel: "notify", title: "Door", subject: "Front door" },
      { channel: "pchat", to: "room-a" },
      { channel: "email", to: "Ann@Example.COM", subject: "Your order" },
      { channel: "tg_bot", to: "-1001234567", bot_token: `123456789:${"A".repeat(35)}` },
    ];
    const ids = [];
    for (const fields of sends) {
      ids.push((await client.send({ phone_id: PHONE, text: "hi", source, ...fields })).message_id);
    }
    const messages = new Map((await collect(client.listMessages({ source })))
      .map((m) => [m.message_id, m]));
    assert.deepEqual(new Set(messages.keys()), new Set(ids));
    const [text, , tg, notify, , email, bot] = ids.map((id) => messages.get(id));
    assert.deepEqual([text.to, text.tags, text.sim], ["+12025550143", ["orders", "vip"], 2]);
    assert.equal(tg.to, "@relay_test_user");
    assert.deepEqual([notify.title, notify.subject], ["Door", "Front door"]);
    assert.deepEqual([email.to, email.subject], ["Ann@example.com", "Your order"]);
    assert.ok(bot.channel === "tg_bot" && !("bot_token" in bot));     // never echoed
  });

  test("the same key again is the same message; another message with it is a conflict", async () => {
    const key = unique();
    const first = await client.send(sms({ text: "once", idempotency_key: key }));
    const again = await client.send(sms({ text: "once", idempotency_key: key }));
    assert.equal(again.duplicate, true);
    assert.equal(again.message_id, first.message_id);
    const conflict = await refusal(client.send(sms({ text: "other", idempotency_key: key })));
    assert.deepEqual([conflict.status, conflict.code, conflict.field],
                     [422, "idempotency_conflict", "text"]);
  });

  test("the list iterates over every page", async () => {
    const source = unique();
    const ids = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await client.send({ phone_id: PHONE, channel: "pchat", text: `n${i}`, source }))
        .message_id);
    }
    const listed = await collect(client.listMessages({ source, page_size: 2 }));
    assert.deepEqual(listed.map((m) => m.message_id), ids.reverse());
    assert.deepEqual(await collect(client.listMessages({ source: unique() })), []);
  });

  test("refusals carry the relay's status, code, message and field", async () => {
    const cases = [
      [sms({ phone_id: "nope" }), 404, "unknown_phone", "phone_id"],
      [sms({ to: "12" }), 400, "invalid_phone_number", "to"],
      [sms({ channel: "fax" }), 400, "unknown_channel", "channel"],
    ];
    for (const [message, status, code, field] of cases) {
      const error = await refusal(client.send(message));
      assert.deepEqual([error.status, error.code, error.field], [status, code, field]);
      assert.ok(error.message && error.body.success === false);
    }
    const unknown = await refusal(client.getMessage("msg_unknown"));
    assert.deepEqual([unknown.status, unknown.code], [404, "unknown_message"]);
    const stranger = new Relay({ url: relay.url, key: "rly_wrong" });
    const refused = await refusal(stranger.listPhones());
    assert.deepEqual([refused.status, refused.code], [401, "invalid_key"]);
  });

  test("url and key come from RELAY_URL and RELAY_API_KEY", async () => {
    const saved = { url: process.env.RELAY_URL, key: process.env.RELAY_API_KEY };
    try {
      process.env.RELAY_URL = relay.url + "/";
      process.env.RELAY_API_KEY = relay.key;
      assert.deepEqual((await new Relay().listPhones()).map((p) => p.phone_id), [PHONE]);
      delete process.env.RELAY_API_KEY;
      assert.throws(() => new Relay(), /RELAY_API_KEY/);
    } finally {
      for (const [name, value] of [["RELAY_URL", saved.url], ["RELAY_API_KEY", saved.key]]) {
        if (value === undefined) delete process.env[name]; else process.env[name] = value;
      }
    }
  });

  test("scheduled, expiring, high-priority sends and a reschedule", async () => {
    const later = daysAhead(30);
    const accepted = await client.send(sms({ send_at: later, ttl_seconds: 3600, priority: "high" }));
    assert.equal(accepted.scheduled_for, later.toISOString());
    const again = daysAhead(31);
    const moved = await client.reschedule(accepted.message_id, again.toISOString());
    assert.deepEqual([moved.scheduled_for, moved.priority], [again.toISOString(), "high"]);
    const expiry = new Date(later.getTime() + 3600_000);
    const expiring = await client.send(sms({ send_at: later, expires_at: expiry }));
    assert.equal(expiring.expires_at, expiry.toISOString());
  });

  test("an sms answer says its encoding and segments", async () => {
    const plain = await client.send(sms({ text: "plain" }));
    assert.deepEqual([plain.encoding, plain.segments], ["GSM-7", 1]);
    const wide = await client.send(sms({ text: "\u263a".repeat(71) }));
    assert.deepEqual([wide.encoding, wide.segments], ["UCS-2", 2]);
  });

  test("cancel twice, then a final one and an unknown one", async () => {
    const accepted = await client.send(sms({ send_at: daysAhead(30) }));
    for (let i = 0; i < 2; i++) {
      const cancelled = await client.cancel(accepted.message_id);
      assert.deepEqual([cancelled.status, cancelled.last_error], ["failed", "cancelled"]);
    }
    const final = await refusal(client.reschedule(accepted.message_id, daysAhead(31)));
    assert.deepEqual([final.status, final.code], [409, "already_final"]);
    const unknown = await refusal(client.cancel("msg_unknown"));
    assert.deepEqual([unknown.status, unknown.code], [404, "unknown_message"]);
  });

  test("a batch answers each item in order", async () => {
    const key = unique();
    const results = await client.sendBatch([
      sms({ text: "one", idempotency_key: key }), sms({ text: "one", idempotency_key: key }),
      sms({ phone_id: "nope" }), { phone_id: PHONE, channel: "pchat", text: "three" }]);
    assert.deepEqual(results.map((r) => [r.index, r.status]), [[0, 202], [1, 200], [2, 404], [3, 202]]);
    assert.equal(results[1].message_id, results[0].message_id);
    assert.equal(results[2].error.code, "unknown_phone");
    assert.match(results[3].idempotency_key, /^[0-9a-f-]{36}$/);
  });
});

describe("retries against the relay", () => {
  test("a lost answer is retried with the same key: one message, sent once", async () => {
    const proxy = await losingProxy(relay.port);
    try {
      const source = unique();
      const throughProxy = new Relay({ url: proxy.url, key: relay.key, timeout: 1, retry: QUICK });
      const accepted = await throughProxy.send(sms({ source, text: "exactly once" }));
      assert.equal(proxy.connections, 2);
      assert.equal(accepted.duplicate, true);   // the first try was accepted; this is its repeat
      const listed = await collect(client.listMessages({ source }));
      assert.deepEqual(listed.map((m) => m.message_id), [accepted.message_id]);
      await waitFor(async () => (await client.getMessage(accepted.message_id)).status === "sent",
                    "the message to be sent");
      await sleep(0.3);                         // a second delivery to the phone would come by now
      assert.equal(relay.timesSent(accepted.message_id), 1);
    } finally {
      await proxy.close();
    }
  });

  test("without retries a lost answer is a timeout error", async () => {
    const proxy = await losingProxy(relay.port);
    try {
      const source = unique();
      const once = new Relay({ url: proxy.url, key: relay.key, timeout: 0.5, retry: false });
      const lost = await refusal(once.send(sms({ source })));
      assert.deepEqual([lost.status, lost.code], [null, "timeout"]);
      assert.equal(proxy.connections, 1);
      assert.equal((await collect(client.listMessages({ source }))).length, 1);
    } finally {
      await proxy.close();
    }
  });
});

describe("reads", () => {
  test("the query answers every section", async () => {
    await client.send(sms({ text: "we are open", tags: ["replies"] }));
    const answer = await client.query({ range: "all", sort: "oldest", limit: 10 });
    assert.deepEqual(Object.keys(answer).sort(), [
      "answered_in_time", "count", "email_report", "events", "filters", "hourly",
      "sent_by_channel", "sent_by_day", "sent_by_person", "sent_by_tag", "sent_events",
      "sent_summary", "success", "summary", "top_contacts", "waiting"]);
    assert.deepEqual(Object.keys(answer.summary).sort(), [
      "answered_calls", "avg_call_duration_sec", "calls_total", "channels", "inbound_total",
      "median_response_min", "messages_total", "missed_calls"]);
    assert.deepEqual(Object.keys(answer.events[0]).sort(), [
      "channel", "contact_name", "duration_sec", "event_type", "message_id", "occurred_at",
      "phone_id", "response_min", "source", "tags", "text", "waiting"]);
    assert.deepEqual([answer.summary.inbound_total, answer.summary.missed_calls], [2, 1]);
    assert.deepEqual([answer.events[0].source, answer.events[0].contact_name], ["+12025550143", "Ann"]);
    assert.equal(answer.hourly.length, 24);
    assert.ok(answer.sent_by_tag.some((row) => row.tag === "replies"));
    const calls = await client.query({ from: new Date("2026-11-20T10:00:00Z"),
                                       to: "2026-11-21T00:00:00Z", event_types: ["missed"] });
    assert.deepEqual(calls.events.map((e) => e.event_type), ["missed"]);
    const refused = await refusal(client.query({ range: "5y" }));
    assert.deepEqual([refused.status, refused.field], [400, "range"]);
  });

  test("an export is the section's bytes", async () => {
    const csv = new TextDecoder().decode(await client.export("csv", "top_contacts", { range: "all" }));
    assert.equal(csv.split(/\r?\n/)[0], "source,total");
    assert.ok(csv.includes("'+12025550143"));
  });

  test("phones", async () => {
    const phones = await client.listPhones();
    assert.deepEqual(phones.map((p) => [p.phone_id, p.online]), [[PHONE, true]]);
    assert.ok((await client.getPhone(PHONE)).capabilities.includes("sms"));
    const unknown = await refusal(client.getPhone("nope"));
    assert.deepEqual([unknown.status, unknown.code], [404, "unknown_phone"]);
  });

  test("contacts", async () => {
    for (const number of ["+12025550101", "+12025550102", "+12025550103"]) {
      await client.setContact(number, { name: `C${number.at(-1)}`, tags: ["Club"] });
    }
    assert.equal((await client.getContact("(202) 555-0102")).name, "C2");
    const listed = await collect(client.listContacts({ tag: "club", page_size: 2 }));
    assert.deepEqual(listed.map((c) => c.address), ["+12025550101", "+12025550102", "+12025550103"]);
    await client.deleteContact("+12025550103");
    const gone = await refusal(client.getContact("+12025550103"));
    assert.deepEqual([gone.status, gone.code], [404, "unknown_contact"]);
  });
});

describe("response rules", () => {
  test("are created, listed, replaced and deleted", async () => {
    const rule = await client.createRule({ name: "front desk", within_minutes: 15,
                                           channels: ["sms"], event_types: ["missed"] });
    assert.ok(rule.id.startsWith("rl_"));
    assert.deepEqual((await client.listRules()).map((r) => r.id), [rule.id]);
    assert.equal((await client.getRule(rule.id)).name, "front desk");
    const replaced = await client.replaceRule(rule.id, { within_minutes: 5 });
    assert.deepEqual([replaced.within_minutes, replaced.name], [5, null]);
    assert.equal(await client.deleteRule(rule.id), rule.id);
    assert.deepEqual(await client.listRules(), []);
    const refused = await refusal(client.createRule({ within_minutes: 0 }));
    assert.deepEqual([refused.status, refused.field], [400, "within_minutes"]);
  });
});

describe("callbacks and webhook verification", () => {
  let hooks, registration;
  before(async () => {
    hooks = await receiver();
    registration = await client.registerCallback(hooks.url, { event_types: [], callback_token: "tok-1" });
  });
  after(async () => { await hooks.close(); });

  async function statusDelivery() {
    const accepted = await client.send(sms({ text: "hook me", status_callback_url: hooks.url }));
    const delivery = await hooks.first((body) => body.message_id === accepted.message_id
                                                 && body.status === "sent");
    return { ...delivery, message_id: accepted.message_id };
  }

  test("a real delivery verifies and gives the event", async () => {
    assert.ok(registration.created && registration.secret.startsWith("whsec_"));
    const delivery = await statusDelivery();
    const event = verifyWebhook(delivery.body, delivery.headers, registration.secret);
    assert.deepEqual([event.type, event.message_id, event.callback_id],
                     ["message.status", delivery.message_id, registration.callback.id]);
    assert.equal(delivery.headers.authorization, "Bearer tok-1");
    assert.deepEqual(verifyWebhook(delivery.body.toString(), new Headers(delivery.headers),
                                   registration.secret), event);
  });

  test("a tampered body, another secret and missing headers are refused", async () => {
    const { body, headers } = await statusDelivery();
    const tampered = body.toString().replace('"sent"', '"failed"');
    assert.notEqual(tampered, body.toString());
    assert.throws(() => verifyWebhook(tampered, headers, registration.secret),
                  (e) => e instanceof WebhookVerificationError && /signature/.test(e.message));
    const other = await client.registerCallback(hooks.url + "-other", { event_types: [] });
    assert.throws(() => verifyWebhook(body, headers, other.secret), WebhookVerificationError);
    await client.deleteCallback({ id: other.callback.id });
    const { "webhook-signature": _, ...unsigned } = headers;
    assert.throws(() => verifyWebhook(body, unsigned, registration.secret), /headers/);
    assert.throws(() => verifyWebhook(body, { ...headers, "webhook-signature": "garbage" },
                                      registration.secret), WebhookVerificationError);
  });

  test("an old timestamp is refused though its signature matches", async () => {
    const { body, headers } = await statusDelivery();
    const old = new Date(Date.now() - 10 * 60 * 1000);
    const stale = { ...headers, "webhook-timestamp": String(Math.floor(old.getTime() / 1000)),
                    "webhook-signature": new Webhook(registration.secret)
                      .sign(headers["webhook-id"], old, body.toString()) };
    assert.throws(() => verifyWebhook(body, stale, registration.secret), /too old/);
  });

  test("callbacks are listed, deliveries logged and redelivered, callbacks deleted", async () => {
    assert.ok((await client.listCallbacks()).some((c) => c.id === registration.callback.id));
    const again = await client.registerCallback(hooks.url, { event_types: [] });
    assert.ok(!again.created && again.secret !== registration.secret);
    registration = again;
    const delivery = await statusDelivery();
    const logged = await waitFor(async () => {
      const found = await collect(client.listDeliveries({ callback_id: again.callback.id,
                                                          page_size: 1 }));
      return found.some((d) => d.message_id === delivery.message_id && d.status === "delivered")
        && found;
    }, "the delivery to be logged");
    const mine = logged.find((d) => d.message_id === delivery.message_id);
    assert.equal((await client.redeliver(mine.delivery_id)).status, "pending");
    assert.equal(await client.deleteCallback({ callback_url: hooks.url }), again.callback.id);
    assert.ok(!(await client.listCallbacks()).some((c) => c.id === again.callback.id));
    const refused = await refusal(client.registerCallback(hooks.url, { event_types: ["nope"] }));
    assert.deepEqual([refused.status, refused.field], [400, "event_types"]);
  });
});
