// Callbacks: create, edit, deactivate, delete; the delivery log with attempts and redeliver.
import { api } from "../api.js";
import { checkboxes, copyButton, field, formValues, guarded, h, notify, select, statusBadge, table, when } from "../ui.js";

const BASE = "/webchat/callbacks/inbound";
const CHANNELS = ["sms", "wa", "tg", "email", "pchat"];
const EVENT_TYPES = ["message", "call", "answered", "missed"];
const TEXT_FIELDS = ["source_filter", "keyword_filter", "min_duration_sec", "max_duration_sec"];

// A callback's definition as the register endpoint takes it (a token must be given again).
function definition(values) {
  const body = { callback_url: values.callback_url, channels: values.channels || [],
                 event_types: values.event_types || [], active: values.active !== "no" };
  if (!body.channels.length) delete body.channels;
  for (const name of TEXT_FIELDS) if (values[name] !== undefined && values[name] !== null) {
    body[name] = name.endsWith("_sec") ? Number(values[name]) : values[name];
  }
  if (values.callback_token) body.callback_token = values.callback_token;
  return body;
}

function editor(existing, onSaved) {
  const c = existing || {};
  const form = h("form", { class: "grid", id: "callback-form", "aria-label": existing ? "Edit callback" : "New callback",
    onsubmit: (e) => { e.preventDefault(); guarded(async () => {
      const answer = await api("POST", BASE, definition(formValues(form)));
      onSaved(answer);
    }); } },
  h("div", { class: "wide" }, field("Callback URL", h("input", { name: "callback_url", type: "url", required: true,
    value: c.callback_url || "", readonly: Boolean(existing), size: 60 }))),
  checkboxes("Channels (none: every channel)", "channels", CHANNELS, c.channels || []),
  checkboxes("Event types", "event_types", EVENT_TYPES, c.event_types || ["message"]),
  field("Contact filter", h("input", { name: "source_filter", value: c.source_filter || "" })),
  field("Keyword filter", h("input", { name: "keyword_filter", value: c.keyword_filter || "" })),
  field("Min call seconds", h("input", { name: "min_duration_sec", type: "number", min: 0, value: c.min_duration_sec ?? "" })),
  field("Max call seconds", h("input", { name: "max_duration_sec", type: "number", min: 0, value: c.max_duration_sec ?? "" })),
  field("Callback token (sent back in each delivery)", h("input", { name: "callback_token", type: "password", autocomplete: "off" })),
  field("Active", select("active", [["yes"], ["no"]], c.active === false ? "no" : "yes")),
  h("div", {}, h("button", {}, existing ? "Save callback" : "Create callback")));
  return form;
}

async function deliveries(out, callbackId) {
  const query = callbackId ? "?" + new URLSearchParams({ callback_id: callbackId }) : "";
  const { deliveries: list } = await api("GET", `${BASE}/deliveries${query}`);
  out.replaceChildren(h("h2", {}, "Delivery log"), table([
    ["Delivery", (d) => d.delivery_id], ["Type", (d) => d.type], ["Subject", (d) => d.message_id],
    ["Status", (d) => statusBadge(d.status)], ["Attempts", (d) => d.attempts],
    ["Tries", (d) => h("ul", {}, d.events.map((e) => h("li", {},
      `${when(e.at)} ${e.event}${e.attempt ? " #" + e.attempt : ""} ${e.outcome ?? ""} ${e.status_code ?? ""} ${e.error ?? ""}`)))],
    ["Next try", (d) => when(d.next_attempt_at)],
    ["", (d) => h("button", { type: "button", class: "secondary", "aria-label": `Redeliver ${d.delivery_id}`,
      onclick: () => guarded(async () => { await api("POST", `${BASE}/deliveries/${encodeURIComponent(d.delivery_id)}/redeliver`);
                                           notify("Queued again"); await deliveries(out, callbackId); }) }, "Redeliver")],
  ], list, { caption: "Webhook deliveries" }));
}

export async function render(root) {
  const { callbacks } = await api("GET", BASE);
  const formSlot = h("div");
  const secretSlot = h("div");
  const log = h("div", { id: "deliveries" });
  const reload = async (answer) => {
    root.replaceChildren();
    await render(root);
    if (answer?.secret && answer.created) {
      root.querySelector("#secret-out").replaceChildren(h("div", { class: "secret" },
        "Signing secret (shown only now): ", h("code", {}, answer.secret), copyButton(answer.secret)));
    }
  };
  const remove = (c) => confirm(`Delete the callback to ${c.callback_url}?`) && guarded(async () => {
    await api("DELETE", `${BASE}?` + new URLSearchParams({ id: c.id }));
    await reload();
  });
  const deactivate = (c) => guarded(async () => {
    await api("POST", BASE, definition({ ...c, active: "no" }));
    notify("Deactivated (a callback token must be entered again on edit)");
    await reload();
  });
  formSlot.append(editor(null, reload));
  root.append(h("h1", {}, "Callbacks"), h("div", { id: "secret-out" }, secretSlot), formSlot,
    h("h2", {}, "Registered"),
    table([["URL", (c) => c.callback_url], ["Channels", (c) => c.channels.join(", ") || "all"],
      ["Events", (c) => c.event_types.join(", ") || "status only"],
      ["Active", (c) => c.active ? "yes" : `no${c.deactivated_reason ? " (" + c.deactivated_reason + ")" : ""}`],
      ["Created", (c) => when(c.created_at)],
      ["", (c) => h("div", { class: "row" },
        h("button", { type: "button", class: "secondary", onclick: () => formSlot.replaceChildren(editor(c, reload)) }, "Edit"),
        c.active ? h("button", { type: "button", class: "secondary", onclick: () => deactivate(c) }, "Deactivate") : "",
        h("button", { type: "button", class: "secondary", onclick: () => guarded(() => deliveries(log, c.id)) }, "Deliveries"),
        h("button", { type: "button", class: "danger", onclick: () => remove(c) }, "Delete"))]],
    callbacks, { caption: "Callbacks" }),
    log);
  await deliveries(log);
}
