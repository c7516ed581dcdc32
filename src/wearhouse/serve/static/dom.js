// Small DOM and formatting helpers: elements are built with textContent, never from HTML strings.

/** An element: el("td", {class: "num"}, "12", child, ...). Event handlers as `on<event>`. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

export const fmt = {
  int: (v) => (v === null || v === undefined ? "–" : integer.format(v)),
  dec: (v) => (v === null || v === undefined ? "–" : decimal.format(v)),
  compact: (v) => (v === null || v === undefined ? "–" : compact.format(v)),
  /** "2026-11-05" -> "Nov 5" (the day is a UTC calendar day: no time zone shift). */
  day: (text) => {
    const [y, m, d] = text.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-US", {
      month: "short", day: "numeric", timeZone: "UTC",
    });
  },
  longDay: (text) => {
    const [y, m, d] = text.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-US", {
      weekday: "short", month: "short", day: "numeric", year: "numeric", timeZone: "UTC",
    });
  },
  month: (text) => {
    const [y, m] = text.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString("en-US", {
      month: "long", year: "numeric", timeZone: "UTC",
    });
  },
  /** An ISO timestamp as local HH:MM:SS. */
  clock: (text) => new Date(text).toLocaleTimeString("en-GB", { hour12: false }),
  /** An ISO timestamp as HH:MM in UTC (gold's days are UTC days). */
  utcClock: (text) => new Date(text).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "UTC" }),
  /** An ISO timestamp as "Nov 5, 07:30" (UTC, as gold's days are). */
  when: (text) => {
    const at = new Date(text);
    return at.toLocaleString("en-US", {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
      timeZone: "UTC",
    });
  },
  minutes: (start, end) => Math.round((new Date(end) - new Date(start)) / 60000),
};

/** A centred message: empty states and errors. */
export function state(title, body, kind = "") {
  return el("div", { class: `state ${kind}` }, el("h3", {}, title), body && el("p", {}, body));
}

/** A card with a heading (and optional hint / right-hand control). */
export function card(title, { hint, right, cls = "" } = {}, ...children) {
  return el(
    "section", { class: `card ${cls}` },
    el("h2", {}, title, hint && el("span", { class: "hint" }, hint), right && el("span", { class: "right" }, right)),
    ...children,
  );
}

/** A table from column specs [{label, value(row), num?}], optional row click. */
export function table(columns, rows, onRow) {
  return el(
    "table", {},
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { class: c.num ? "num" : "" }, c.label)))),
    el("tbody", {}, rows.map((row) => el(
      "tr", { class: onRow ? "clickable" : "", onclick: onRow && (() => onRow(row)) },
      columns.map((c) => el("td", { class: [c.num ? "num" : "", c.cls || ""].join(" ").trim() }, c.value(row))),
    ))),
  );
}
