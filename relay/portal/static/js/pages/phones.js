// Phones: add (with the Setup QR), online or offline, last seen, battery, signal, queue,
// pacing (what is used of each cap, what is held); re-pair, pace and remove.
import { action, api } from "../api.js";
import { field, guarded, h, notify, table, when } from "../ui.js";

function pairing(result) {
  const qr = h("div", { class: "qr", role: "img", "aria-label": `Setup QR for ${result.phone_id}` });
  qr.innerHTML = result.qr_svg;    // SVG made by the relay (segno), not from user text
  return h("section", { id: "pairing", "aria-labelledby": "pairing-title" },
    h("h2", { id: "pairing-title" }, `Pair ${result.phone_id}`),
    h("p", {}, "Scan this with the Relay app, or enter the code. It works once, until ",
      when(result.expires_at), "."), qr,
    h("p", {}, "Pairing code: ", h("code", { id: "pairing-code" }, result.pairing_code),
      " · Relay URL: ", h("code", {}, result.relay_url)),
    h("p", {}, "On an Android phone with Termux and Termux:API, these two commands install the ",
      "agent and pair it (the QR code carries them too):"),
    h("pre", { id: "install-commands" }, result.install_commands.join("\n")));
}

function paced(p) {
  const pacing = p.pacing;
  const parts = [];
  if (pacing.min_interval_seconds || pacing.jitter_seconds)
    parts.push(`every ${pacing.min_interval_seconds} s` +
               (pacing.jitter_seconds ? ` + up to ${pacing.jitter_seconds} s` : ""));
  parts.push(`${pacing.used_hour}${pacing.per_hour ? "/" + pacing.per_hour : ""} this hour`);
  parts.push(`${pacing.used_day}${pacing.per_day ? "/" + pacing.per_day : ""} today`);
  if (pacing.held) parts.push(`${pacing.held} held (${pacing.reason}) until ${pacing.held_until}`);
  return parts.join(" · ");
}

// The phone's own pacing; an empty field is the relay-wide setting.
const PACING_FIELDS = [["min_interval_seconds", "Interval (s)", "0.001"],
                       ["jitter_seconds", "Jitter (s)", "0.001"],
                       ["per_hour", "Per hour (0: no cap)", "1"],
                       ["per_day", "Per day (0: no cap)", "1"]];

function pacingForm(p, done) {
  const inputs = PACING_FIELDS.map(([name, , step]) => h("input", {
    name, type: "number", min: "0", step, value: p.pacing.own[name] ?? "",
    placeholder: `relay: ${p.pacing[name]}` }));
  return h("form", { id: "pacing-form", "aria-label": `Pacing of ${p.phone_id}`,
    onsubmit: (e) => { e.preventDefault(); guarded(async () => {
      const pacing = Object.fromEntries(inputs.map((input) =>
        [input.name, input.value === "" ? null : Number(input.value)]));
      await action("phones.pace", { phone_id: p.phone_id, pacing });
      notify(`${p.phone_id} paced`);
      await done();
    }); } },
    h("h2", {}, `Pacing of ${p.phone_id}`),
    h("div", { class: "row" }, PACING_FIELDS.map(([, label], i) => field(label, inputs[i]))),
    h("button", {}, "Save pacing"));
}

export async function render(root) {
  const { phones } = await api("GET", "/phones");
  const input = h("input", { name: "phone_id", required: true, pattern: "[A-Za-z0-9_.\\-]+",
                             placeholder: "phone_main" });
  const out = h("div");
  const show = (result) => { out.replaceChildren(pairing(result)); out.scrollIntoView(); };
  const reload = () => { root.replaceChildren(); return render(root); };
  root.append(
    h("h1", {}, "Phones"),
    h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); guarded(async () => {
      const result = await action("phones.add", { phone_id: input.value.trim() });
      await reload();
      root.querySelector("#pairing-out").replaceChildren(pairing(result));
    }); } }, field("New phone id", input), h("button", {}, "Add phone")),
    table([
      ["Phone", (p) => p.phone_id],
      ["State", (p) => h("span", { class: p.online ? "online" : "offline" },
        p.online ? "online" : "offline")],
      ["Last seen", (p) => when(p.last_seen)], ["Battery", (p) => p.battery ?? "—"],
      ["Signal", (p) => p.signal ?? "—"], ["Queue", (p) => p.queue_depth],
      ["In flight", (p) => p.in_flight], ["Pacing", paced],
      ["", (p) => h("div", { class: "row" },
        h("button", { type: "button", class: "secondary", "aria-label": `Re-pair ${p.phone_id}`,
          onclick: () => guarded(async () => show(await action("phones.pair", { phone_id: p.phone_id }))) },
          "Re-pair"),
        h("button", { type: "button", class: "secondary", "aria-label": `Pace ${p.phone_id}`,
          onclick: () => { out.replaceChildren(pacingForm(p, reload)); out.scrollIntoView(); } },
          "Pace"),
        h("button", { type: "button", class: "danger", "aria-label": `Remove ${p.phone_id}`,
          onclick: () => confirm(`Remove ${p.phone_id}? Its messages stay in the log.`) &&
            guarded(async () => { await action("phones.remove", { phone_id: p.phone_id });
                                  notify(`${p.phone_id} removed`); await reload(); }) },
          "Remove"))],
    ], phones, { caption: "Phones" }),
    h("div", { id: "pairing-out" }, out));
}
