// API keys: create (shown once, with a copy button), rotate with a grace period, revoke.
import { action } from "../api.js";
import { refreshClients } from "../app.js";
import { copyButton, field, guarded, h, notify, select, table, when } from "../ui.js";

const GRACES = [["1h", "1 hour"], ["24h", "24 hours"], ["7d", "7 days"]];

function shownOnce(result) {
  return h("div", { class: "secret", id: "new-key" },
    h("span", {}, `Key for ${result.name} (shown only now):`),
    h("code", { id: "new-key-value" }, result.key), copyButton(result.key),
    result.previous_keys_expire_at ? h("span", {}, "The previous key works until ",
      when(result.previous_keys_expire_at)) : null);
}

export async function render(root) {
  const { keys } = await action("keys.list");
  const name = h("input", { name: "name", required: true, placeholder: "billing-app" });
  const grace = select("grace", GRACES, "24h");
  const out = h("div", { id: "key-out" });
  const done = async (result) => {
    root.replaceChildren();
    await refreshClients();
    await render(root);
    root.querySelector("#key-out").replaceChildren(shownOnce(result));
  };
  root.append(
    h("h1", {}, "API keys"),
    h("form", { class: "row", onsubmit: (e) => { e.preventDefault();
      guarded(async () => done(await action("keys.create", { name: name.value.trim() }))); } },
    field("Client name", name), h("button", {}, "Create key")),
    out,
    h("div", { class: "row" }, field("Grace period when rotating", grace)),
    table([
      ["Client", (k) => k.name], ["Key", (k) => h("code", {}, k.display)],
      ["Created", (k) => when(k.created_at)], ["Expires", (k) => when(k.expires_at)],
      ["Revoked", (k) => when(k.revoked_at)], ["Last used", (k) => when(k.last_used_at)],
      ["Active", (k) => h("span", { class: k.active ? "online" : "offline" }, k.active ? "yes" : "no")],
      ["", (k) => k.active ? h("div", { class: "row" },
        h("button", { type: "button", class: "secondary", "aria-label": `Rotate ${k.name}`,
          onclick: () => guarded(async () => done(await action("keys.rotate",
            { name: k.name, grace: grace.value }))) }, "Rotate"),
        h("button", { type: "button", class: "danger", "aria-label": `Revoke ${k.name}`,
          onclick: () => confirm(`Revoke every key of ${k.name}? Its programs get 401 at once.`) &&
            guarded(async () => { await action("keys.revoke", { name: k.name });
                                  notify(`${k.name} revoked`); root.replaceChildren(); await render(root); }) },
          "Revoke")) : ""],
    ], keys, { caption: "API keys" }));
}
