// The portal's shell: sign-in, the client chooser, and the page router (#overview, ...).
import { api, live, session, whenSignedOut } from "./api.js";
import { notify } from "./ui.js";
import * as overview from "./pages/overview.js";
import * as phones from "./pages/phones.js";
import * as keys from "./pages/keys.js";
import * as messages from "./pages/messages.js";
import * as webchat from "./pages/webchat.js";
import * as analytics from "./pages/analytics.js";
import * as callbacks from "./pages/callbacks.js";
import * as rules from "./pages/rules.js";

const PAGES = { overview, phones, keys, messages, webchat, analytics, callbacks, rules };
const $ = (id) => document.getElementById(id);

function showSignIn(setupRequired) {
  session.xsrf = null;
  live.close();
  $("nav").hidden = $("account").hidden = true;
  $("page").replaceChildren();
  $("signin").hidden = false;
  $("setup-field").hidden = !setupRequired;
  $("setup-code").required = setupRequired;
  $("signin-title").textContent = setupRequired ? "Set up the portal" : "Sign in";
  $("password").autocomplete = setupRequired ? "new-password" : "current-password";
  $("signin-button").textContent = setupRequired ? "Set password and sign in" : "Sign in";
  $("password").focus();
}

export async function refreshClients(clients) {
  clients ||= (await api("GET", "/session")).clients;
  const chooser = $("client");
  if (!clients.includes(session.client)) session.client = clients[0] || "";
  chooser.replaceChildren(...(clients.length ? clients : [""]).map((name) =>
    new Option(name || "(no client yet: create an API key)", name, false, name === session.client)));
}

async function signedIn(answer) {
  session.xsrf = answer.xsrf_token;
  $("signin").hidden = true;
  $("nav").hidden = $("account").hidden = false;
  await refreshClients(answer.clients);
  live.open();
  route();
}

// Each navigation draws into a view of its own. A render still waiting for the relay when the
// next one starts goes on drawing into its view, which is no longer in the document: only the
// latest navigation shows, and says it is ready.
let navigations = 0;

async function route() {
  if (!session.xsrf) return;
  const name = location.hash.slice(1) || "overview";
  const page = PAGES[name] || overview;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === "#" + name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const navigation = ++navigations;
  const root = $("page");
  const view = document.createElement("div");
  root.replaceChildren(view);
  delete root.dataset.ready;
  root.dataset.page = name;
  document.title = `Relay · ${name}`;
  try {
    await page.render(view);
  } catch (error) {
    if (navigation === navigations) notify(error.message);
  }
  if (navigation === navigations) root.dataset.ready = name;
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const setup = !$("setup-field").hidden;
  const body = { password: $("password").value };
  if (setup) body.setup_code = $("setup-code").value.trim();
  $("signin-error").textContent = "";
  try {
    await api("POST", setup ? "/setup" : "/signin", body);
    $("password").value = "";
    await signedIn(await api("GET", "/session"));
  } catch (error) {
    $("signin-error").textContent = error.message;
  }
});

$("signout").addEventListener("click", async () => {
  await api("POST", "/signout").catch(() => {});
  showSignIn(false);
});

$("client").addEventListener("change", (event) => {
  session.client = event.target.value;
  localStorage.setItem("relay.client", session.client);
  route();
});

whenSignedOut(() => showSignIn(false));
window.addEventListener("hashchange", route);

const state = await api("GET", "/session");
if (state.signed_in) await signedIn(state); else showSignIn(state.setup_required);
