// Messages: the list with filters, live status changes over the websocket, a message's
// detail (status history, last_error, its schedule, a cancel button while it waits) and a send
// form for any channel, now or at a time.
import { api, live } from "../api.js";
import { RANK, STATUSES } from "../statuses.js";
import { field, formValues, guarded, h, notify, select, statusBadge, table, when } from "../ui.js";

export const CHANNELS = ["sms", "wa", "tg", "notify", "email", "tg_bot", "pchat"];

// The latest status each message was seen in (live events can overtake a list being read).
const seen = new Map();
export function latest(id, status) {
  const known = seen.get(id);
  if (known === undefined || RANK[status] > RANK[known]) seen.set(id, status);
  return seen.get(id);
}

export function sendForm(phones, onSent, preset = {}) {
  const channel = select("channel", CHANNELS.map((c) => [c]), preset.channel || "sms");
  const extras = h("div", { class: "wide row" });
  const showExtras = () => extras.replaceChildren(...{
    email: [field("Subject", h("input", { name: "subject" }))],
    notify: [field("Title", h("input", { name: "title" }))],
    tg_bot: [field("Bot token", h("input", { name: "bot_token", type: "password", autocomplete: "off" }))],
  }[channel.value] || []);
  channel.addEventListener("change", showExtras);
  showExtras();
  const form = h("form", { class: "grid", id: "send-form", "aria-label": "Send a message",
    onsubmit: (e) => { e.preventDefault(); guarded(async () => {
      const body = formValues(form);
      if (body.tags) body.tags = body.tags.split(",").map((t) => t.trim()).filter(Boolean);
      if (body.send_at) body.send_at = new Date(body.send_at).toISOString();
      const answer = await api("POST", "/messages", body);
      const queued = answer.scheduled_for ? `Scheduled for ${when(answer.scheduled_for)}` : "Queued";
      notify(`${queued} ${answer.message_id}${answer.warning ? ": " + answer.warning : ""}`);
      form.querySelector("[name=text]").value = "";
      onSent?.(answer);
    }); } },
  field("Phone", select("phone_id", phones.map((p) => [p]), preset.phone_id)),
  field("Channel", channel),
  field("To", h("input", { name: "to", value: preset.to || "", placeholder: "+12025550143" })),
  field("Tags (comma-separated)", h("input", { name: "tags" })),
  field("Send at (empty: now)", h("input", { name: "send_at", type: "datetime-local" })),
  field("Priority", select("priority", [["normal"], ["high"]])),
  extras,
  h("div", { class: "wide" }, field("Text", h("textarea", { name: "text", required: true }))),
  h("div", {}, h("button", {}, "Send")));
  return form;
}

async function detail(out, id) {
  const path = "/messages/" + encodeURIComponent(id);
  const { message: m } = await api("GET", path);
  const cancel = h("button", { type: "button", onclick: () => guarded(async () => {
    await api("POST", path + "/cancel");
    notify(`Cancelled ${m.message_id}`);
    await detail(out, id);
  }) }, "Cancel");
  out.replaceChildren(h("section", { id: "message-detail", "aria-labelledby": "detail-title" },
    h("h2", { id: "detail-title" }, `Message ${m.message_id}`),
    h("p", {}, `${m.channel} to ${m.to ?? "—"} via ${m.phone_id}: `, h("q", {}, m.text)),
    h("p", {}, "Status: ", statusBadge(m.status), m.last_error ? ` · last error: ${m.last_error}` : ""),
    h("p", {}, m.scheduled_for ? `Scheduled for ${when(m.scheduled_for)} · ` : "",
      `expires ${when(m.expires_at)} · priority ${m.priority}`,
      m.segments ? ` · ${m.segments} SMS part${m.segments > 1 ? "s" : ""} (${m.encoding})` : ""),
    m.status === "queued" ? h("p", {}, cancel) : "",
    table([["Status", (e) => statusBadge(e.status)], ["At", (e) => when(e.at)],
           ["Error", (e) => e.error ?? ""]], m.history, { caption: "Status history" })));
  out.scrollIntoView();
}

export async function render(root) {
  const { phones } = await api("GET", "/phones");
  const list = h("div", { id: "message-list" });
  const out = h("div");
  const filters = h("form", { class: "grid", "aria-label": "Filter messages",
    onsubmit: (e) => { e.preventDefault(); guarded(load); } },
  field("Status", select("status", [["", "any"], ...STATUSES.map((s) => [s])])),
  field("Channel", select("channel", [["", "any"], ...CHANNELS.map((c) => [c])])),
  field("Phone", select("phone_id", [["", "any"], ...phones.map((p) => [p.phone_id])])),
  field("Source", h("input", { name: "source" })),
  field("Since", h("input", { name: "since", type: "datetime-local" })),
  field("Until", h("input", { name: "until", type: "datetime-local" })),
  h("div", {}, h("button", {}, "Filter")));

  async function load() {
    const query = formValues(filters);
    for (const name of ["since", "until"]) {
      if (query[name]) query[name] = new Date(query[name]).toISOString();
    }
    const { messages } = await api("GET", "/messages?" + new URLSearchParams({ limit: 100, ...query }));
    list.replaceChildren(table([
      ["Message", (m) => m.message_id], ["Created", (m) => when(m.created_at)],
      ["Channel", (m) => m.channel], ["To", (m) => m.to ?? "—"],
      ["Scheduled for", (m) => (m.scheduled_for ? when(m.scheduled_for) : "")],
      ["Status", (m) => h("span", { dataset: { status: m.message_id } }, statusBadge(latest(m.message_id, m.status)))],
      ["Delivery", (m) => h("span", { dataset: { delivery: m.message_id } }, m.delivery_result ?? "")],
      ["Last error", (m) => m.last_error ?? ""],
    ], messages, { caption: "Messages", onRow: (m) => guarded(() => detail(out, m.message_id)) }));
  }

  live.on(root, "message.status", (change) => {
    const status = latest(change.message_id, change.status);
    const cell = list.querySelector(`[data-status="${CSS.escape(change.message_id)}"]`);
    if (cell) cell.replaceChildren(statusBadge(status));
  });
  live.on(root, "message.delivery", (report) => {
    const cell = list.querySelector(`[data-delivery="${CSS.escape(report.message_id)}"]`);
    if (cell) cell.textContent = report.result;
  });
  live.on(root, "message.accepted", () => guarded(load));
  root.append(h("h1", {}, "Messages"),
    h("h2", {}, "Send"), sendForm(phones.map((p) => p.phone_id)),
    h("h2", {}, "List"), filters, list, out);
  await load();
}
