// Overview: health, phones online, queue depth, today's counts, the events waiting for a reply
// past a response rule's deadline (live), recent failures.
import { api, live, session } from "../api.js";
import { h, statusBadge, table, when } from "../ui.js";

const card = (label, value, id) => h("div", { class: "card" },
  h("div", {}, label), h("div", { class: "value", id }, value));

const waited = (w) => `${Math.max(0, Math.round((Date.now() - Date.parse(w.occurred_at)) / 60000))} min`;

export async function render(root) {
  const [o, ruleList] = await Promise.all([api("GET", "/overview"),
    session.client ? api("GET", "/webchat/inbound/rules") : { rules: [] }]);
  const ruleName = Object.fromEntries(ruleList.rules.map((r) => [r.id, r.name || r.id]));
  const online = o.phones.filter((p) => p.online).length;
  // Oldest first, as the webchat query's waiting section; the live socket adds and removes.
  const waiting = new Map(o.waiting.map((w) => [w.message_id, w]));
  const waitingSlot = h("div", { id: "waiting", "aria-live": "polite" });
  const drawWaiting = () => waitingSlot.replaceChildren(table([
    ["Contact", (w) => w.contact_name ? `${w.contact_name} (${w.source})` : w.source],
    ["Channel", (w) => `${w.channel} ${w.event_type}`], ["Came in", (w) => when(w.occurred_at)],
    ["Waited", waited], ["Rule", (w) => ruleName[w.rule_id] || w.rule_id]],
  [...waiting.values()].sort((a, b) => a.occurred_at.localeCompare(b.occurred_at)),
  { caption: "Waiting for a reply" }));
  const mine = (data) => data.client_id === session.client;
  live.on(root, "inbound.unanswered", (w) => { if (mine(w)) { waiting.set(w.message_id, w); drawWaiting(); } });
  live.on(root, "inbound.answered_late", (a) => { if (mine(a) && waiting.delete(a.message_id)) drawWaiting(); });
  drawWaiting();
  root.append(
    h("h1", {}, "Overview"),
    h("div", { class: "cards" },
      card("Health", o.database_writable && o.disk_ok ? "OK" : "Degraded", "health"),
      card("Phones online", `${online} / ${o.phones.length}`, "phones-online"),
      card("Queue depth", o.queue_depth, "queue-depth"),
      card("Sent today", o.today ? o.today.sent : "—", "sent-today"),
      card("Inbound today", o.today ? o.today.inbound : "—", "inbound-today")),
    h("p", {}, `Relay ${o.version}. `, o.database_writable ? "The database is writable." :
      "The database cannot be written.", o.disk_ok ? "" : " Free disk space is low."),
    h("h2", {}, "Waiting for a reply"), waitingSlot,
    h("h2", {}, "Recent failures"),
    table([["Message", (m) => m.message_id], ["When", (m) => when(m.created_at)],
           ["Channel", (m) => m.channel], ["To", (m) => m.to],
           ["Status", (m) => statusBadge(m.status)], ["Error", (m) => m.last_error]],
          o.recent_failures, { caption: "Recent failures" }));
}
