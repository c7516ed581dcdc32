// The live tile: WS /v1/live readings and alerts, a sparkline of heart rate, the connection state.
//
// One connection for the whole page, kept across page changes; it reconnects with exponential
// back-off (1 s doubling to 30 s) unless the server refused the token (close codes 44xx).

import { liveUrl } from "./api.js";
import { chart, color, update } from "./charts.js";
import { el, fmt } from "./dom.js";

const KEEP_READINGS = 40;
const KEEP_ALERTS = 8;
const SPARK_POINTS = 60;
const REFUSED = {
  4401: "the token is missing or unknown: set one with the Token button",
  4403: "a device token cannot watch the live feed: use a user, analyst or admin token",
  4404: "this token may only watch its own user",
};

const feed = {
  state: "connecting",
  detail: "",
  readings: [],
  alerts: [],
  heart: [],
  received: 0,
  socket: null,
  retries: 0,
  timer: null,
  tile: null,
  onRefused: null,
};
window.wearhouse.live = feed;

/** Open the feed (once); `onRefused(message)` is called when the server refuses the token. */
export function connect(onRefused) {
  feed.onRefused = onRefused;
  if (feed.socket) return;
  open();
}

/** Close and open again at once (a new token). */
export function reconnect() {
  clearTimeout(feed.timer);
  feed.retries = 0;
  const old = feed.socket;
  feed.socket = null;
  if (old) {
    old.onclose = null;
    old.close(1000, "new token");
  }
  open();
}

function open() {
  setState(feed.retries ? "reconnecting" : "connecting", "");
  const socket = new WebSocket(liveUrl({ kinds: "reading,alert", streams: "heart_rate,steps" }));
  feed.socket = socket;
  socket.onopen = () => {
    feed.retries = 0;
    setState("open", "");
  };
  socket.onmessage = (event) => receive(JSON.parse(event.data));
  socket.onclose = (event) => {
    if (feed.socket !== socket) return;
    feed.socket = null;
    if (REFUSED[event.code] || (event.code >= 4400 && event.code < 4500)) {
      const why = event.reason || REFUSED[event.code] || `refused (${event.code})`;
      setState("refused", why);
      feed.onRefused?.(why);
      return;
    }
    const delay = Math.min(30, 2 ** feed.retries);
    feed.retries += 1;
    setState("reconnecting", `retrying in ${delay} s`);
    feed.timer = setTimeout(open, delay * 1000);
  };
}

function receive(frame) {
  if (frame.type === "reading") {
    feed.received += 1;
    feed.readings.unshift(frame);
    feed.readings.length = Math.min(feed.readings.length, KEEP_READINGS);
    if (frame.stream === "heart_rate" && typeof frame.bpm === "number") {
      feed.heart.push(frame);
      if (feed.heart.length > SPARK_POINTS) feed.heart.shift();
    }
  } else if (frame.type === "alert") {
    feed.alerts.unshift(frame);
    feed.alerts.length = Math.min(feed.alerts.length, KEEP_ALERTS);
  } else if (frame.type === "error") {
    feed.detail = frame.message || frame.error || "";
  }
  render(frame);
}

function setState(state, detail) {
  feed.state = state;
  feed.detail = detail;
  const status = feed.tile?.querySelector(".live-status");
  if (!status) return;
  status.dataset.state = state;
  status.querySelector(".label").textContent = label();
}

function label() {
  const names = { open: "Live", connecting: "Connecting…", reconnecting: "Reconnecting", refused: "Refused" };
  return [names[feed.state] || feed.state, feed.detail].filter(Boolean).join(": ");
}

/** The tile, filled with what has arrived so far; it keeps updating while in the page. */
export function liveTile() {
  const status = el("span", { class: "live-status", "data-state": feed.state }, el("span", { class: "dot" }), el("span", { class: "label" }, label()));
  feed.tile = el(
    "section", { class: "card live", id: "live-tile" },
    el("h2", {}, "Live feed", el("span", { class: "right" }, status)),
    el("div", { class: "live-now" }, el("span", { class: "value", id: "live-bpm" }, "–"), el("span", { class: "unit" }, "bpm, latest heart rate")),
    chart("live-heart-rate", sparkConfig(), "spark"),
    el("div", { class: "sub-title" }, "Readings"),
    el("ul", { class: "feed", id: "live-readings" }),
    el("div", { class: "sub-title" }, "Alerts"),
    el("ul", { class: "alerts", id: "live-alerts" }),
  );
  render(null);
  return feed.tile;
}

function sparkConfig() {
  return {
    type: "line",
    data: {
      labels: feed.heart.map((r) => r.ts),
      datasets: [{
        data: feed.heart.map((r) => r.bpm),
        borderColor: color("bpm"),
        backgroundColor: color("bpm-band"),
        fill: "start",
        borderWidth: 2,
        tension: 0.35,
      }],
    },
    options: {
      animation: false,
      plugins: { legend: { display: false }, tooltip: { displayColors: false } },
      scales: { x: { display: false }, y: { display: false, grace: "10%" } },
    },
  };
}

function render(frame) {
  const tile = feed.tile;
  if (!tile) return;
  tile.dataset.readings = String(feed.received);
  const latest = feed.heart.at(-1);
  tile.querySelector("#live-bpm").textContent = latest ? fmt.int(latest.bpm) : "–";
  update("live-heart-rate", feed.heart.map((r) => fmt.clock(r.ts)), feed.heart.map((r) => r.bpm));

  const list = tile.querySelector("#live-readings");
  list.replaceChildren(
    ...(feed.readings.length
      ? feed.readings.map((r) => readingItem(r, r === frame))
      : [el("li", { class: "empty-line" }, "Waiting for readings… devices posting to /v1/ingest show up here.")]),
  );
  const alerts = tile.querySelector("#live-alerts");
  alerts.replaceChildren(
    ...(feed.alerts.length
      ? feed.alerts.map((a) => el("li", { class: a.kind }, a.message || a.kind, el("small", {}, `${a.user_id ?? "?"} · ${a.device_id} · ${fmt.clock(a.ts)}`)))
      : [el("li", { class: "empty-line", style: "border:none;background:none;padding-left:2px" }, "No alerts.")]),
  );
}

function readingItem(reading, fresh) {
  const heart = reading.stream === "heart_rate";
  const value = heart ? `${fmt.int(reading.bpm)} bpm` : `${fmt.int(reading.steps)} steps`;
  return el(
    "li", { class: fresh ? "fresh" : "", "data-device": reading.device_id, "data-stream": reading.stream },
    el("span", { class: "time" }, fmt.clock(reading.ts)),
    el("span", { class: "what" }, el("span", { class: "id" }, reading.device_id), reading.user_id ? el("span", { class: "muted" }, ` · ${reading.user_id}`) : ""),
    el("span", { class: `val ${heart ? "bpm" : "steps"}` }, value),
  );
}
