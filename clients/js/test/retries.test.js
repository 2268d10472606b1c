// Which answers are retried, and how long the client waits: against a stand-in server that
// answers with scripted statuses and counts the requests.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Relay, RelayError, retryDelay } from "../dist/index.js";
import { freePort, scriptedServer } from "./loopback.js";

const QUICK = { attempts: 3, baseDelay: 0.05, maxDelay: 0.1 };
const message = { phone_id: "phone_main", channel: "pchat", text: "hi" };

async function withServer(answers, body) {
  const server = await scriptedServer(...answers);
  try {
    await body(server, new Relay({ url: server.url, key: "rly_any", retry: QUICK }));
  } finally {
    await server.close();
  }
}

const failure = (promise) => promise.then(() => assert.fail("expected a RelayError"), (e) => {
  assert.ok(e instanceof RelayError, String(e));
  return e;
});

for (const status of [400, 401, 404, 409, 413, 422]) {
  test(`a ${status} is never retried`, () => withServer([[status, {}]], async (server, client) => {
    const error = await failure(client.send(message));
    assert.deepEqual([error.status, error.code], [status, `code_${status}`]);
    assert.equal(server.requests.length, 1);
  }));
}

test("429 waits its Retry-After, 503 backs off", () => withServer(
  [[429, { "Retry-After": "1" }], [503, {}], [202, {}]], async (server, client) => {
    assert.equal((await client.send(message)).message_id, "msg_scripted");
    const [first, second, third] = server.requests;
    assert.ok(second - first >= 0.95, `waited ${second - first} s`);
    assert.ok(third - second < 0.5, `waited ${third - second} s`);
  }));

test("the last try throws the answer with its retryAfter", () => withServer(
  Array(3).fill([503, { "Retry-After": "0" }]), async (server, client) => {
    const error = await failure(client.listPhones());
    assert.deepEqual([error.status, error.retryAfter], [503, 0]);
    assert.equal(server.requests.length, QUICK.attempts);
  }));

test("a Retry-After longer than the policy waits is thrown at once", () => withServer(
  [[429, { "Retry-After": "3600" }]], async (server, client) => {
    const error = await failure(client.listPhones());
    assert.deepEqual([error.status, error.retryAfter], [429, 3600]);
    assert.equal(server.requests.length, 1);
  }));

test("a relay that is not there is a connection error after every try", async () => {
  const client = new Relay({ url: `http://127.0.0.1:${await freePort()}`, key: "rly_any",
                             retry: QUICK });
  const error = await failure(client.listPhones());
  assert.deepEqual([error.status, error.code], [null, "connection_error"]);
});

test("backoff grows with jitter up to its ceiling", () => {
  const policy = { attempts: 10, baseDelay: 1, maxDelay: 4, maxRetryAfter: 60 };
  for (const [retry, ceiling] of [[1, 1], [2, 2], [3, 4], [6, 4]]) {
    const waits = new Set(Array.from({ length: 50 }, () => retryDelay(policy, retry)));
    assert.ok([...waits].every((w) => w >= ceiling / 2 && w <= ceiling) && waits.size > 1);
  }
  assert.equal(retryDelay(policy, 10), null);
  assert.equal(retryDelay({ ...policy, attempts: 1 }, 1), null);
});
