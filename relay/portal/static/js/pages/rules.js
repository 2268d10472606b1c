// Response rules: which inbound events must get a reply within how many minutes of office
// hours, and whom to tell when one does not (docs/alerts.md): create, edit, delete.
import { api } from "../api.js";
import { checkboxes, field, formValues, guarded, h, select, table, when } from "../ui.js";

const BASE = "/webchat/inbound/rules";
const CHANNELS = ["sms", "wa", "tg", "email", "pchat"];
const EVENT_TYPES = ["message", "call", "answered", "missed"];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const NOTIFY_CHANNELS = ["", "notify", "sms", "email", "wa", "tg"];

// The form's values as the rules endpoint takes them (a rule is replaced whole).
function definition(v) {
  const body = { within_minutes: Number(v.within_minutes), active: v.active !== "no",
                 channels: v.channels, event_types: v.event_types, tag_mode: v.tag_mode };
  if (v.name) body.name = v.name;
  if (v.tags) body.tags = v.tags.split(",").map((t) => t.trim()).filter(Boolean);
  if (v.source_contains) body.source_contains = v.source_contains;
  if (v.office === "yes") {
    body.office_hours = { tz: v.tz || "UTC", days: v.days, start: v.start || "09:00", end: v.end || "17:00" };
  }
  if (v.notify_channel) {
    body.notify = { phone_id: v.notify_phone, channel: v.notify_channel };
    if (v.notify_to) body.notify.to = v.notify_to;
    if (v.notify_channel === "email") body.notify.subject = "Unanswered";
  }
  return body;
}

function editor(existing, phones, onSaved) {
  const r = existing || {};
  const hours = r.office_hours || {};
  const form = h("form", { class: "grid", id: "rule-form", "aria-label": existing ? "Edit rule" : "New rule",
    onsubmit: (e) => { e.preventDefault(); guarded(async () => {
      const body = definition(formValues(form));
      await (existing ? api("PUT", `${BASE}/${encodeURIComponent(r.id)}`, body) : api("POST", BASE, body));
      await onSaved();
    }); } },
  field("Name", h("input", { name: "name", value: r.name || "" })),
  field("Reply within (minutes)", h("input", { name: "within_minutes", type: "number", min: 1, required: true, value: r.within_minutes ?? 15 })),
  checkboxes("Channels (none: every channel)", "channels", CHANNELS, r.channels || []),
  checkboxes("Event types (none: every type)", "event_types", EVENT_TYPES, r.event_types || ["message", "missed"]),
  field("Tags (comma-separated)", h("input", { name: "tags", value: (r.tags || []).join(", ") })),
  field("Tags must match", select("tag_mode", [["any"], ["all"]], r.tag_mode || "any")),
  field("Contact contains", h("input", { name: "source_contains", value: r.source_contains || "" })),
  field("Office hours only", select("office", [["no"], ["yes"]], r.office_hours ? "yes" : "no")),
  field("Time zone", h("input", { name: "tz", value: hours.tz || Intl.DateTimeFormat().resolvedOptions().timeZone })),
  checkboxes("Office days", "days", DAYS, hours.days || DAYS.slice(0, 5)),
  field("Opens", h("input", { name: "start", value: hours.start || "09:00", pattern: "\\d\\d:\\d\\d" })),
  field("Closes", h("input", { name: "end", value: hours.end || "17:00", pattern: "\\d\\d:\\d\\d" })),
  field("Tell the owner by", select("notify_channel", NOTIFY_CHANNELS.map((c) => [c, c || "(webhook only)"]), r.notify?.channel || "")),
  field("From phone", select("notify_phone", phones.map((p) => [p]), r.notify?.phone_id || phones[0])),
  field("To (number or address; not for notify)", h("input", { name: "notify_to", value: r.notify?.to || "" })),
  field("Active", select("active", [["yes"], ["no"]], r.active === false ? "no" : "yes")),
  h("div", {}, h("button", {}, existing ? "Save rule" : "Create rule")));
  return form;
}

const filtersOf = (r) => [r.channels.join(", ") || "every channel", r.event_types.join(", ") || "every type",
  r.tags.length ? `tags ${r.tag_mode}: ${r.tags.join(", ")}` : "", r.source_contains ? `contact ~ ${r.source_contains}` : ""]
  .filter(Boolean).join(" · ");

export async function render(root) {
  const [{ rules }, { phones }] = await Promise.all([api("GET", BASE), api("GET", "/phones")]);
  const phoneIds = phones.map((p) => p.phone_id);
  const formSlot = h("div");
  const reload = async () => { root.replaceChildren(); await render(root); };
  const remove = (r) => confirm(`Delete the rule ${r.name || r.id}?`) && guarded(async () => {
    await api("DELETE", `${BASE}/${encodeURIComponent(r.id)}`);
    await reload();
  });
  formSlot.append(editor(null, phoneIds, reload));
  root.append(h("h1", {}, "Response rules"), formSlot, h("h2", {}, "Rules"),
    table([["Name", (r) => r.name || r.id], ["Within", (r) => `${r.within_minutes} min`],
      ["Covers", filtersOf],
      ["Office hours", (r) => r.office_hours ? `${r.office_hours.days.join(" ")} ${r.office_hours.start}-${r.office_hours.end} ${r.office_hours.tz}` : "always"],
      ["Tells", (r) => r.notify ? `${r.notify.channel} ${r.notify.to || ""}` : "webhooks"],
      ["Active", (r) => r.active ? "yes" : "no"], ["Updated", (r) => when(r.updated_at)],
      ["", (r) => h("div", { class: "row" },
        h("button", { type: "button", class: "secondary", onclick: () => formSlot.replaceChildren(editor(r, phoneIds, reload)) }, "Edit"),
        h("button", { type: "button", class: "danger", onclick: () => remove(r) }, "Delete"))]],
    rules, { caption: "Response rules" }));
}
