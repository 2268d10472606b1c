// Analytics: every filter of the inbound query; charts hourly, by day and by channel; tables
// of top contacts, sent by person, sent by tag and the email report; exports.
import { api } from "../api.js";
import { checkboxes, field, formValues, guarded, h, notify, select, table, when } from "../ui.js";

const CHANNELS = ["sms", "wa", "tg", "email", "pchat"];
const EVENT_TYPES = ["message", "call", "answered", "missed"];
const RANGES = ["1h", "24h", "7d", "30d", "90d", "365d", "all"];
const SORTS = ["newest", "oldest", "slowest", "fastest", "longest"];
const SECTIONS = ["events", "sent_events", "sent_by_day", "sent_by_person", "sent_by_tag", "hourly",
  "top_contacts", "email_report.top_inbound_senders", "email_report.top_sent_recipients",
  "email_report.domains", "email_report.by_day"];

function query(form) {
  const v = formValues(form);
  for (const name of ["from", "to"]) if (v[name]) v[name] = new Date(v[name]).toISOString();
  if (v.from || v.to) delete v.range;
  if (v.tags) v.tags = v.tags.split(",").map((t) => t.trim()).filter(Boolean);
  for (const name of ["min_duration_sec", "max_duration_sec", "limit"]) if (v[name]) v[name] = Number(v[name]);
  if (v.has_response) v.has_response = v.has_response === "yes";
  for (const name of ["channels", "event_types"]) if (!v[name]?.length) delete v[name];
  delete v.section;
  return v;
}

function chart(id, title, type, labels, datasets) {
  const canvas = h("canvas", { id, role: "img", "aria-label": title });
  const figure = h("figure", {}, h("figcaption", {}, title), canvas);
  new window.Chart(canvas, { type, data: { labels, datasets },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } } });
  return figure;
}

function draw(out, r) {
  // Only this page's own charts: another analytics page may be drawing into a view of its own.
  for (const canvas of out.querySelectorAll("canvas")) window.Chart.getChart(canvas)?.destroy();
  const hours = Array.from({ length: 24 }, (_, i) => i);
  const perHour = new Map(r.hourly.map((x) => [x.hour, x.count]));
  const channels = [...new Set([...Object.keys(r.summary.channels || {}), ...Object.keys(r.sent_by_channel)])];
  const s = r.summary;
  out.replaceChildren(
    h("p", { id: "analytics-summary" }, `${s.inbound_total} inbound (${s.messages_total} messages, ` +
      `${s.calls_total} calls: ${s.answered_calls} answered, ${s.missed_calls} missed); ` +
      `${r.sent_summary.sent_total} sent. Median response: ${s.median_response_min ?? "—"} min.`),
    h("div", { class: "charts" },
      chart("chart-hourly", "Inbound by hour of day", "bar", hours,
        [{ label: "inbound", data: hours.map((i) => perHour.get(i) || 0) }]),
      chart("chart-daily", "Sent by day", "bar", r.sent_by_day.map((d) => d.day),
        [{ label: "sent", data: r.sent_by_day.map((d) => d.count) }]),
      chart("chart-channels", "By channel", "bar", channels, [
        { label: "inbound", data: channels.map((c) => s.channels?.[c] || 0) },
        { label: "sent", data: channels.map((c) => r.sent_by_channel[c] || 0) }])),
    h("div", { class: "tables" },
      h("section", {}, h("h2", {}, "Top contacts"), table([["Contact", (x) => x.source], ["Events", (x) => x.total]], r.top_contacts)),
      h("section", {}, h("h2", {}, "Sent by person"), table([["To", (x) => x.destination], ["Sent", (x) => x.total],
        ["Last", (x) => when(x.last_sent)]], r.sent_by_person)),
      h("section", {}, h("h2", {}, "Sent by tag"), table([["Tag", (x) => x.tag], ["Sent", (x) => x.count]], r.sent_by_tag)),
      h("section", {}, h("h2", {}, "Email report"),
        h("p", {}, `${r.email_report.inbound_total} in, ${r.email_report.sent_total} sent`),
        table([["Sender", (x) => x.sender], ["In", (x) => x.count]], r.email_report.top_inbound_senders),
        table([["Recipient", (x) => x.recipient], ["Sent", (x) => x.count]], r.email_report.top_sent_recipients),
        table([["Domain", (x) => x.domain], ["Count", (x) => x.count]], r.email_report.domains))),
    h("h2", {}, `Events (${r.count})`),
    table([["When", (e) => when(e.occurred_at)], ["Type", (e) => e.event_type], ["Channel", (e) => e.channel],
      ["Contact", (e) => e.contact_name || e.source], ["Text", (e) => e.text ?? ""],
      ["Reply (min)", (e) => e.response_min ?? "—"]], r.events));
}

async function download(form, format) {
  const response = await api("POST", "/webchat/inbound/query",
    { ...query(form), format, section: form.elements.section.value }, { raw: true });
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || `relay.${format}`;
  const link = h("a", { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  notify(`Exported ${response.headers.get("X-Relay-Rows")} rows to ${name}`);
}

export async function render(root) {
  const { phones } = await api("GET", "/phones");
  const out = h("div", { id: "analytics-out" });
  const run = () => guarded(async () => draw(out, await api("POST", "/webchat/inbound/query", query(form))));
  const form = h("form", { class: "grid", id: "analytics-form", "aria-label": "Inbound query",
    onsubmit: (e) => { e.preventDefault(); run(); } },
  field("Phone", select("phone_id", [["", "any"], ...phones.map((p) => [p.phone_id])])),
  field("Range", select("range", RANGES.map((r) => [r]), "7d")),
  field("From", h("input", { name: "from", type: "datetime-local" })),
  field("To", h("input", { name: "to", type: "datetime-local" })),
  field("Time zone", h("input", { name: "tz", placeholder: "UTC",
    value: Intl.DateTimeFormat().resolvedOptions().timeZone || "" })),
  checkboxes("Channels", "channels", CHANNELS),
  checkboxes("Event types", "event_types", EVENT_TYPES),
  field("Tags (comma-separated)", h("input", { name: "tags" })),
  field("Tag match", select("tag_mode", [["any"], ["all"]])),
  field("Contact contains", h("input", { name: "source_contains" })),
  field("Min call seconds", h("input", { name: "min_duration_sec", type: "number", min: 0 })),
  field("Max call seconds", h("input", { name: "max_duration_sec", type: "number", min: 0 })),
  field("Answered", select("has_response", [["", "any"], ["yes"], ["no"]])),
  field("Sort", select("sort", SORTS.map((s) => [s]))),
  field("Limit", h("input", { name: "limit", type: "number", min: 1, max: 1000, value: 100 })),
  h("div", {}, h("button", { id: "run-query" }, "Run query")),
  h("div", { class: "wide row" },
    field("Export section", select("section", SECTIONS.map((s) => [s]))),
    ...["csv", "parquet", "xlsx"].map((format) => h("button", { type: "button", class: "secondary",
      onclick: () => guarded(() => download(form, format)) }, `Export ${format.toUpperCase()}`))));
  root.append(h("h1", {}, "Analytics"), form, out);
  await run();    // the form's defaults answer at once, rather than an empty page
}
