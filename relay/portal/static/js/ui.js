// Small DOM helpers: elements built with textContent (never HTML from data), tables, forms.
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function table(columns, rows, { caption, onRow } = {}) {
  // columns: [[heading, row => cell content]]
  const body = rows.map((row) => h("tr", onRow ? {
    class: "clickable", tabindex: "0", onclick: () => onRow(row),
    onkeydown: (e) => { if (e.key === "Enter") onRow(row); } } : {},
  columns.map(([, cell]) => h("td", {}, cell(row) ?? ""))));
  return h("div", { class: "scroll" }, h("table", {},
    caption ? h("caption", { class: "sr-only" }, caption) : null,
    h("thead", {}, h("tr", {}, columns.map(([name]) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, body.length ? body : h("tr", {}, h("td", { colspan: columns.length }, "Nothing yet")))));
}

export function field(label, input) {
  const id = input.id || (input.id = "f-" + Math.random().toString(36).slice(2, 9));
  return h("div", {}, h("label", { for: id }, label), input);
}

export function select(name, options, value = "") {
  return h("select", { name }, options.map(([v, text]) =>
    h("option", { value: v, selected: v === value }, text ?? v)));
}

export function checkboxes(legend, name, values, checked = []) {
  return h("fieldset", { class: "wide" }, h("legend", {}, legend), values.map((v) =>
    h("label", {}, h("input", { type: "checkbox", name, value: v, checked: checked.includes(v) }), v)));
}

// The form's non-empty values; checkbox groups become lists.
export function formValues(form) {
  const values = {};
  for (const element of form.elements) {
    if (!element.name || element.disabled) continue;
    if (element.type === "checkbox") {
      (values[element.name] ||= []);
      if (element.checked) values[element.name].push(element.value);
    } else if (element.value.trim() !== "") {
      values[element.name] = element.value.trim();
    }
  }
  return values;
}

export function notify(text) {
  const line = h("p", {}, text);
  document.getElementById("notice").append(line);
  setTimeout(() => line.remove(), 5000);
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "—";
}

export function statusBadge(status) {
  return h("span", { class: "status-" + status }, status);
}

// Runs fn, showing its error in the notice area rather than failing silently.
export async function guarded(fn) {
  try { return await fn(); } catch (error) { notify(error.message); return undefined; }
}

export function copyButton(text) {
  return h("button", { type: "button", class: "secondary", onclick: async (e) => {
    try { await navigator.clipboard.writeText(text); e.target.textContent = "Copied"; }
    catch { notify("Copy failed: select the text and copy it"); }
  } }, "Copy");
}
