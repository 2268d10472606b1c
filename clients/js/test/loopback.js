// Real servers on loopback for the client's tests: a relay with a simulated phone (both `relay`
// processes from the repo's .venv), a TCP proxy in front of it that can lose answers, a stand-in
// that answers with scripted statuses, and a webhook receiver.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const PHONE = "phone_main";
// Inbound history for the query's sections: imported before the relay starts.
const HISTORY = [
  { channel: "sms", event_type: "message", contact: "+12025550143", contact_name: "Ann",
    text: "Are you open today?", occurred_at: "2026-11-20T09:00:00Z", event_id: "h-1" },
  { channel: "sms", event_type: "missed", contact: "+12025550178", duration_sec: 0,
    occurred_at: "2026-11-20T10:30:00Z", event_id: "h-2" },
];

/** `relay` from RELAY_BIN, else the repo's .venv (what ./scripts/test.sh makes). */
const relayBin = () => process.env.RELAY_BIN || path.join(REPO, ".venv", "bin", "relay");

export const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

export async function waitFor(condition, what = "the condition", timeout = 30) {
  const deadline = Date.now() + timeout * 1000;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(0.05);
  }
}

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `relay serve` on a free port with a fresh data dir, a client key, and phone_main paired to
 * `relay phone --simulate`, which writes the id of each message it sends to its sent log. */
export class RelayWithPhone {
  async start() {
    this.folder = mkdtempSync(path.join(os.tmpdir(), "relay-js-client-"));
    this.dataDir = path.join(this.folder, "data");
    this.sentLog = path.join(this.folder, "sent.log");
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    // tg_bot messages go to a closed loopback port: the relay sends nothing off the machine.
    this.env = { ...process.env, RELAY_RATE_LIMIT: "0",
                 RELAY_CALLBACK_ALLOW_NETWORKS: "127.0.0.1/32",
                 RELAY_TELEGRAM_API_BASE: `http://127.0.0.1:${await freePort()}` };
    this.processes = [];
    this.key = this.cli("keys", "create", "--name", "clients").trim().split("\n").pop();
    const code = JSON.parse(this.cli("phones", "add", PHONE)).pairing_code;
    const history = path.join(this.folder, "history.jsonl");
    writeFileSync(history, HISTORY.map((event) => JSON.stringify(event) + "\n").join(""));
    this.cli("events", "import", history);
    this.spawn(["serve", "--data-dir", this.dataDir, "--port", String(this.port)], "relay.log");
    await waitFor(() => this.healthy(), "the relay to start");
    this.spawn(["phone", "--simulate", "--relay", this.url, "--pairing-code", code,
                "--state", path.join(this.folder, "phone"), "--sent-log", this.sentLog,
                "--delay", "0.02"], "phone.log");
    await waitFor(async () => (await this.get("/api/v1/phones")).phones.some((p) => p.online),
                  "the phone to connect");
    return this;
  }

  cli(...args) {
    return execFileSync(relayBin(), [...args, "--data-dir", this.dataDir],
                        { env: this.env, encoding: "utf8", timeout: 60_000 });
  }

  spawn(args, logName) {
    const log = openSync(path.join(this.folder, logName), "a");
    this.processes.push(spawn(relayBin(), args, { env: this.env, stdio: ["ignore", log, log] }));
  }

  async get(route) {
    const response = await fetch(this.url + route,
                                 { headers: { Authorization: `Bearer ${this.key}` } });
    return await response.json();
  }

  async healthy() {
    if (this.processes[0].exitCode !== null) {
      throw new Error("relay exited: " + readFileSync(path.join(this.folder, "relay.log"), "utf8"));
    }
    try {
      return (await this.get("/health")).database === "writable";
    } catch {
      return false;
    }
  }

  /** How often the simulated phone sent the message. */
  timesSent(messageId) {
    if (!existsSync(this.sentLog)) return 0;
    return readFileSync(this.sentLog, "utf8").split(/\s+/).filter((id) => id === messageId).length;
  }

  async stop() {
    for (const child of [...this.processes].reverse()) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/** Forwards each connection to the relay; on the first `lose` connections the relay's answer is
 * swallowed (read and dropped), so the client sees none and times out, while the relay has
 * done the request. */
export async function losingProxy(upstreamPort, lose = 1) {
  const proxy = { connections: 0 };
  const server = net.createServer((client) => {
    const swallow = ++proxy.connections <= lose;
    const upstream = net.connect(upstreamPort, "127.0.0.1");
    client.pipe(upstream);
    upstream.on("data", (data) => { if (!swallow) client.write(data); });
    const end = () => { client.destroy(); upstream.destroy(); };
    for (const socket of [client, upstream]) socket.on("close", end).on("error", end);
  });
  return await listening(server, proxy);
}

/** Answers every request with the next of `answers` ([status, headers]), in the relay's error
 * shape, recording when each request came: for what the client does on each status. */
export async function scriptedServer(...answers) {
  const scripted = { requests: [] };
  const server = http.createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      scripted.requests.push(Date.now() / 1000);
      const [status, headers] = answers.shift() ?? [200, {}];
      const body = status < 400 ? { success: true, message_id: "msg_scripted" }
        : { success: false, error: { code: `code_${status}`, message: "scripted", field: null } };
      response.writeHead(status, { "Content-Type": "application/json", Connection: "close",
                                   ...headers });
      response.end(JSON.stringify(body));
    });
  });
  return await listening(server, scripted);
}

/** A webhook receiver: records each POST's raw body and headers, answers 200. */
export async function receiver() {
  const receiving = { received: [] };
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      receiving.received.push({ body: Buffer.concat(chunks), headers: request.headers });
      response.writeHead(200, { "Content-Length": "0" }).end();
    });
  });
  await listening(server, receiving);
  receiving.url += "/hook";
  /** The first delivery whose JSON body passes `predicate`, waiting for it. */
  receiving.first = (predicate) => waitFor(
    () => receiving.received.find((d) => predicate(JSON.parse(d.body.toString()))),
    "a webhook delivery", 20);
  return receiving;
}

async function listening(server, handle) {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sockets = new Set();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  handle.url = `http://127.0.0.1:${server.address().port}`;
  handle.close = () => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(resolve);
  });
  return handle;
}
