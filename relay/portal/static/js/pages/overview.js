// Overview: health, phones online, queue depth, today's counts, recent failures.
import { api } from "../api.js";
import { h, statusBadge, table, when } from "../ui.js";

const card = (label, value, id) => h("div", { class: "card" },
  h("div", {}, label), h("div", { class: "value", id }, value));

export async function render(root) {
  const o = await api("GET", "/overview");
  const online = o.phones.filter((p) => p.online).length;
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
    h("h2", {}, "Recent failures"),
    table([["Message", (m) => m.message_id], ["When", (m) => when(m.created_at)],
           ["Channel", (m) => m.channel], ["To", (m) => m.to],
           ["Status", (m) => statusBadge(m.status)], ["Error", (m) => m.last_error]],
          o.recent_failures, { caption: "Recent failures" }));
}
