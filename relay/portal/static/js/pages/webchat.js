// Webchat: conversations grouped by contact across channels, inbound and sent in time order,
// calls inline; reply from the page; new inbound events and sends appear live. A conversation
// with an event waiting for a reply past a response rule's deadline is marked "Waiting".
import { api, live, session } from "../api.js";
import { h, statusBadge, when } from "../ui.js";
import { latest, sendForm } from "./messages.js";

const CALLS = { answered: "Answered call", missed: "Missed call", call: "Call" };

function minutes(seconds) {
  return seconds ? ` (${Math.floor(seconds / 60)}m ${seconds % 60}s)` : "";
}

function entry(item) {
  if (item.kind === "in" && CALLS[item.event_type]) {
    return h("li", { class: "call" }, `${CALLS[item.event_type]}${minutes(item.duration_sec)}`,
      h("small", {}, `${item.channel} · ${when(item.at)}`));
  }
  return h("li", { class: item.kind }, item.text ?? "",
    h("small", {}, `${item.channel} · ${when(item.at)}`,
      item.kind === "out" ? [" · ", h("span", { dataset: { status: item.id } },
        statusBadge(latest(item.id, item.status)))] : ""));
}

export async function render(root) {
  const [report, sent, phones] = await Promise.all([
    api("POST", "/webchat/inbound/query", { range: "30d", limit: 1000, sort: "newest" }),
    api("GET", "/messages?limit=500"),
    api("GET", "/phones")]);
  // One conversation per contact whatever the letter case, as analytics counts contacts
  // (docs/analytics.md): keyed by the lower-cased address, shown as first seen.
  const conversations = new Map();    // key -> {key, contact, name, items, last}
  const keyOf = (contact) => contact && contact.toLowerCase();
  const add = (contact, name, item) => {
    if (!contact) return;
    const key = keyOf(contact);
    const c = conversations.get(key) || { key, contact, name: null, items: [], ids: new Set() };
    if (c.ids.has(item.id)) return;
    c.ids.add(item.id);
    c.name ||= name;
    c.items.push(item);
    conversations.set(key, c);
  };
  const inbound = (e) => add(e.source, e.contact_name, { kind: "in", id: e.message_id, at: e.occurred_at,
    channel: e.channel, text: e.text, event_type: e.event_type, duration_sec: e.duration_sec,
    phone_id: e.phone_id });
  const outbound = (m) => add(m.to, null, { kind: "out", id: m.message_id, at: m.created_at,
    channel: m.channel, text: m.text, status: m.status, phone_id: m.phone_id });
  report.events.forEach(inbound);
  sent.messages.forEach(outbound);
  const waiting = new Set(report.waiting.map((w) => keyOf(w.source)));   // contact keys

  const listPane = h("ul", { class: "conversations", "aria-label": "Conversations" });
  const threadPane = h("div", { id: "thread" });
  let chosen = null;

  function drawList() {
    const ordered = [...conversations.values()].map((c) => {
      c.items.sort((a, b) => a.at.localeCompare(b.at));
      c.last = c.items.at(-1);
      return c;
    }).sort((a, b) => b.last.at.localeCompare(a.last.at));
    listPane.replaceChildren(...ordered.map((c) => h("li", {}, h("button", {
      type: "button", "aria-pressed": String(c.key === chosen), dataset: { contact: c.contact },
      onclick: () => { chosen = c.key; drawList(); drawThread(); } },
    h("strong", {}, c.name || c.contact),
    waiting.has(c.key) ? [" ", h("span", { class: "waiting", title: "past a response rule's deadline, no reply yet" }, "Waiting")] : "",
    h("br"),
    h("small", {}, `${[...new Set(c.items.map((i) => i.channel))].join(", ")} · ${when(c.last.at)}`)))));
    if (!ordered.length) listPane.append(h("li", {}, "No conversations in the last 30 days"));
  }

  function drawThread() {
    const c = conversations.get(chosen);
    if (!c) { threadPane.replaceChildren(h("p", {}, "Choose a conversation")); return; }
    const lastIn = [...c.items].reverse().find((i) => i.kind === "in") || c.last;
    const timeline = h("ul", { class: "timeline", "aria-label": `Conversation with ${c.name || c.contact}`,
      "aria-live": "polite" }, c.items.map(entry));
    threadPane.replaceChildren(h("h2", {}, c.name ? `${c.name} (${c.contact})` : c.contact), timeline,
      h("h2", {}, "Reply"),
      sendForm(phones.phones.map((p) => p.phone_id), null,
        { to: c.contact, phone_id: lastIn.phone_id, channel: lastIn.channel }));
    timeline.scrollTop = timeline.scrollHeight;
  }

  const redraw = () => { drawList(); drawThread(); };
  const mine = (data) => data.client_id === session.client;
  live.on(root, "inbound.unanswered", (w) => { if (mine(w)) { waiting.add(keyOf(w.source)); drawList(); } });
  live.on(root, "inbound", (e) => { inbound(e); chosen ||= keyOf(e.source); redraw(); });
  live.on(root, "message.accepted", (m) => {   // a reply ends the wait (answered late)
    outbound({ ...m, status: "queued" }); if (m.to) waiting.delete(keyOf(m.to)); redraw(); });
  live.on(root, "message.status", (change) => {
    const status = latest(change.message_id, change.status);
    const cell = threadPane.querySelector(`[data-status="${CSS.escape(change.message_id)}"]`);
    if (cell) cell.replaceChildren(statusBadge(status));
  });
  chosen = [...conversations.keys()][0] || null;
  root.append(h("h1", {}, "Webchat"), h("div", { class: "chat" }, h("div", {}, listPane), threadPane));
  redraw();
}
