// Talking to the relay: the portal's JSON API (session cookie + XSRF header + chosen client)
// and the live websocket.
export const session = { xsrf: null, client: localStorage.getItem("relay.client") || "" };

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.field = error?.field;
  }
}

let onSignedOut = () => {};
export function whenSignedOut(fn) { onSignedOut = fn; }

export async function api(method, path, body, { raw = false } = {}) {
  const headers = { "X-XSRF-Token": session.xsrf || "" };
  if (session.client) headers["X-Relay-Client"] = session.client;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch("/portal/api" + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    if (response.status === 401 && !path.startsWith("/signin") && !path.startsWith("/setup")) {
      onSignedOut();
    }
    throw new ApiError(response.status, answer.error);
  }
  return raw ? response : response.json();
}

export const action = (name, args = {}) => api("POST", "/actions/" + name, args);

// Live facts: {topic, data}. A page listens with live.on(view, topic, fn) for as long as its
// view is in the document: a page left, or drawn by a navigation already superseded, hears nothing.
export const live = {
  socket: null, listeners: [],
  on(view, topic, fn) { this.listeners.push([view, topic, fn]); },
  open() {
    if (this.socket) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = this.socket = new WebSocket(`${scheme}//${location.host}/portal/live`);
    socket.onmessage = (event) => {
      const { topic, data } = JSON.parse(event.data);
      this.listeners = this.listeners.filter(([view]) => view.isConnected);
      for (const [, wanted, fn] of this.listeners) if (wanted === topic) fn(data);
    };
    socket.onclose = (event) => {
      this.socket = null;
      if (event.code === 4401) onSignedOut();    // the session ended (sign-out elsewhere, expiry)
      else if (session.xsrf) setTimeout(() => this.open(), 2000);   // a drop: reconnect
    };
    socket.onopen = () => { document.body.dataset.live = "open"; };
  },
  close() { const s = this.socket; this.socket = null; if (s) s.close(); },
};
