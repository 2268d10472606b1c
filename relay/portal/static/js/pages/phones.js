// Phones: add (with the Setup QR), online or offline, last seen, battery, signal, queue;
// re-pair and remove.
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
      ["In flight", (p) => p.in_flight],
      ["", (p) => h("div", { class: "row" },
        h("button", { type: "button", class: "secondary", "aria-label": `Re-pair ${p.phone_id}`,
          onclick: () => guarded(async () => show(await action("phones.pair", { phone_id: p.phone_id }))) },
          "Re-pair"),
        h("button", { type: "button", class: "danger", "aria-label": `Remove ${p.phone_id}`,
          onclick: () => confirm(`Remove ${p.phone_id}? Its messages stay in the log.`) &&
            guarded(async () => { await action("phones.remove", { phone_id: p.phone_id });
                                  notify(`${p.phone_id} removed`); await reload(); }) },
          "Remove"))],
    ], phones, { caption: "Phones" }),
    h("div", { id: "pairing-out" }, out));
}
